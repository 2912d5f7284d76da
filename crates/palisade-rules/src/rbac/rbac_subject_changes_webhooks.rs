use super::policy_rules::BINDING_KINDS;
use super::rights::{Right, report_subjects};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// No subject of a ClusterRoleBinding among the files can `create`, `update`, `patch`
    /// or `delete` `mutatingwebhookconfigurations` or `validatingwebhookconfigurations`
    /// (`admissionregistration.k8s.io`) through a role in the files, aggregated from them,
    /// or built in. One finding per subject, at its entry in `subjects`, naming the verbs,
    /// the role, the rule and where it is written.
    ///
    /// Webhook configurations live outside namespaces, so a RoleBinding never grants them;
    /// only ClusterRoleBindings are reported. A rule narrowed by `resourceNames` still
    /// counts: changing one named webhook configuration can still point it anywhere or open
    /// its failure policy. A rule granting everything is `rbac-subject-full-control`'s
    /// (RBAC101). Kubernetes' own `system:` users and groups, and the public groups, are
    /// not reported.
    ///
    /// ## Why it matters
    /// An admission webhook receives every object it matches, Secrets included, before it
    /// is stored, and a mutating webhook can rewrite it: add a container, a host mount or a
    /// privileged flag to every pod of the cluster. Deleting or loosening a validating
    /// webhook switches off the policies it enforces. Controllers that manage their own
    /// webhook (certificate managers, service meshes) need this on their own configuration
    /// only.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: injector}
    /// rules:
    /// - apiGroups: ["admissionregistration.k8s.io"]
    ///   resources: ["mutatingwebhookconfigurations"]
    ///   verbs: ["get", "list", "watch", "update", "patch"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: injector}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: injector}
    /// subjects:
    /// - {kind: ServiceAccount, name: injector, namespace: mesh}
    /// ```
    ///
    /// ## Fix
    /// Narrow the rule to the controller's own configuration:
    /// ```yaml
    /// rules:
    /// - apiGroups: ["admissionregistration.k8s.io"]
    ///   resources: ["mutatingwebhookconfigurations"]
    ///   resourceNames: ["mesh-sidecar-injector"]
    ///   verbs: ["get", "update", "patch"]
    /// ```
    /// The finding stays, with the names in its message; suppress it on the binding with
    /// the reason once the names are the controller's own.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks
    ///
    /// ## Known problems
    /// Only the files are read: a binding whose role is neither among them nor a built-in
    /// role Palisade models is not judged (`palisade who-can` lists it as unknown).
    pub static RBAC_SUBJECT_CHANGES_WEBHOOKS = {
        id: "RBAC108",
        name: "rbac-subject-changes-webhooks",
        category: Rbac,
        severity: High,
        default_enabled: true,
        applies: Applies::Kinds(BINDING_KINDS),
        pss_level: None,
        summary: "Bindings should not let subjects change admission webhook configurations",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    report_subjects(cx, Right::ChangeWebhooks);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::fixtures::{account, binding, role};
    use crate::testing::run_set;

    const INJECTOR: &str = "[{apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [get, list, patch]}]";

    #[test]
    fn flags_cluster_wide_webhook_changes() {
        let v = run_set(
            &RBAC_SUBJECT_CHANGES_WEBHOOKS,
            &format!(
                "{}{}",
                role("injector", "", INJECTOR),
                binding(
                    "injector",
                    "",
                    "ClusterRole/injector",
                    &account("mesh", "injector")
                ),
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].1.message,
            "`ServiceAccount mesh/injector` can change admission webhooks (`patch`) across the cluster through `ClusterRole/injector` `rules[0]` (line 5)"
        );
    }

    #[test]
    fn passes_reads_and_role_bindings() {
        let v = run_set(
            &RBAC_SUBJECT_CHANGES_WEBHOOKS,
            &format!(
                "{}{}{}{}",
                role("injector", "", INJECTOR),
                binding(
                    "in-mesh",
                    "mesh",
                    "ClusterRole/injector",
                    &account("mesh", "injector")
                ),
                role(
                    "watcher",
                    "",
                    "[{apiGroups: [admissionregistration.k8s.io], resources: ['*'], verbs: [get, list, watch]}]"
                ),
                binding(
                    "watcher",
                    "",
                    "ClusterRole/watcher",
                    &account("mesh", "injector")
                ),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
