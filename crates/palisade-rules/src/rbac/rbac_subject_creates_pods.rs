use super::policy_rules::BINDING_KINDS;
use super::rights::{Right, report_subjects};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// No subject of a RoleBinding or ClusterRoleBinding among the files can `create` pods
    /// or the controllers that create them: `pods` and `replicationcontrollers` (core),
    /// `deployments`, `statefulsets`, `daemonsets` and `replicasets` (`apps`), `jobs` and
    /// `cronjobs` (`batch`). The role may be in the files, aggregated from them, or built in
    /// (`edit`, `admin`). One finding per subject, at its entry in `subjects`, naming the
    /// role, the rule and where it is written. High across the cluster and in
    /// `kube-system`, medium in other namespaces.
    ///
    /// `resourceNames` cannot narrow `create` (the name of a new object is not known when
    /// the request is authorized), so a rule narrowed that way grants nothing here. A rule
    /// granting everything is `rbac-subject-full-control`'s (RBAC101). Kubernetes' own
    /// `system:` users and groups, and the public groups, are not reported.
    ///
    /// ## Why it matters
    /// Whoever creates a pod chooses its `serviceAccountName`, and so acts with the
    /// permissions of any ServiceAccount of the namespace; the pod can also mount every
    /// Secret and ConfigMap of the namespace. Across the cluster, that includes the
    /// control plane's ServiceAccounts in `kube-system`. Unless Pod Security Admission or a
    /// policy stops it, the pod can be privileged and take over its node too.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: job-runner}
    /// rules:
    /// - apiGroups: ["batch"]
    ///   resources: ["jobs"]
    ///   verbs: ["create", "get", "list"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: job-runner}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: job-runner}
    /// subjects:
    /// - {kind: ServiceAccount, name: scheduler, namespace: batch}
    /// ```
    ///
    /// ## Fix
    /// Bind pod-creating roles with RoleBindings in the namespaces that need them, keep
    /// powerful ServiceAccounts out of those namespaces, and enforce Pod Security Admission
    /// there:
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: job-runner, namespace: reports}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: job-runner}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation
    /// - https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping
    ///
    /// ## Known problems
    /// `update` and `patch` of an existing controller can change its pod template, and
    /// with it the ServiceAccount, but are not counted: most deployment pipelines hold them.
    /// Only the files are read: a binding whose role is neither among them nor a built-in
    /// role Palisade models is not judged (`palisade who-can` lists it as unknown).
    pub static RBAC_SUBJECT_CREATES_PODS = {
        id: "RBAC103",
        name: "rbac-subject-creates-pods",
        category: Rbac,
        severity: High,
        default_enabled: true,
        applies: Applies::Kinds(BINDING_KINDS),
        pss_level: None,
        summary: "Bindings should not let subjects create pods or pod controllers",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    report_subjects(cx, Right::CreatePods);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::fixtures::{account, binding, role};
    use crate::rule::Severity;
    use crate::testing::run_set;

    #[test]
    fn flags_subjects_that_create_pods_or_controllers() {
        let v = run_set(
            &RBAC_SUBJECT_CREATES_PODS,
            &format!(
                "{}{}{}{}",
                role(
                    "runner",
                    "",
                    "[{apiGroups: [batch], resources: [jobs, cronjobs], verbs: [create]}, {apiGroups: [''], resources: [pods], verbs: ['*']}]"
                ),
                binding(
                    "runner",
                    "",
                    "ClusterRole/runner",
                    &account("batch", "scheduler")
                ),
                role(
                    "deployer",
                    "kube-system",
                    "[{apiGroups: ['*'], resources: [deployments], verbs: [create]}]"
                ),
                binding(
                    "deployer",
                    "kube-system",
                    "Role/deployer",
                    &account("kube-system", "ci")
                ),
            ),
        );
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(
            v[0].1.message,
            "`ServiceAccount batch/scheduler` can create pods (`jobs`, `cronjobs`) across the cluster through `ClusterRole/runner` `rules[0]` (line 5) and 1 more rule"
        );
        assert_eq!(v[0].1.severity, Some(Severity::High));
        assert!(
            v[1].1
                .message
                .contains("(`deployments`) in namespace `kube-system`")
        );
        assert_eq!(v[1].1.severity, Some(Severity::High));
    }

    #[test]
    fn names_cannot_narrow_create_and_reads_are_not_creation() {
        let v = run_set(
            &RBAC_SUBJECT_CREATES_PODS,
            &format!(
                "{}{}",
                role(
                    "r",
                    "shop",
                    "[{apiGroups: [''], resources: [pods], resourceNames: [web], verbs: [create]}, {apiGroups: [apps], resources: [deployments], verbs: [get, list, patch]}, {apiGroups: [''], resources: [pods/exec], verbs: [create]}]"
                ),
                binding("r", "shop", "Role/r", &account("shop", "web")),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
