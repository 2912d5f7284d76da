use std::cmp::Reverse;
use std::collections::BTreeSet;

use palisade_load::{FieldPath, Node};
use palisade_model::Object;

use super::access::{Subject, subject_path};
use super::rights::{Right, analysis, detail, place_of, through};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};
use crate::wiring::WorkloadIndex;
use crate::wiring::index::{kind_name, namespace};

declare_rule! {
    /// ## What it checks
    /// No workload among the files runs as a ServiceAccount that a binding among the files
    /// gives one of the rights the `rbac-subject-*` rules look for: every permission
    /// (RBAC101), reading Secrets (RBAC102), creating pods (RBAC103), running commands in
    /// pods (RBAC104), `nodes/proxy` (RBAC105), creating ServiceAccount tokens (RBAC106),
    /// `escalate`, `bind` or `impersonate` (RBAC107), changing admission webhooks (RBAC108).
    /// The chain is followed as the API server does: the pod's `serviceAccountName` (or
    /// `default`) in the workload's namespace, the RoleBindings of that namespace and the
    /// ClusterRoleBindings that name the ServiceAccount, and the Roles and ClusterRoles
    /// they refer to, aggregated or built in (`cluster-admin`, `edit`, …).
    ///
    /// One finding per workload, at its `serviceAccountName` (or its pod spec when it sets
    /// none), naming the most dangerous right, the binding and the role rule that give it,
    /// and the other rights the account holds. Its severity is that right's: critical for
    /// every permission or an escalation verb across the cluster or in `kube-system`, high
    /// for the other rights across the cluster, medium for them in another namespace.
    /// Bindings of `cluster-admin` count here: a workload running with it is the case
    /// that matters most.
    ///
    /// A workload whose pods get no token is not reported: `automountServiceAccountToken:
    /// false` in the pod spec, or on the ServiceAccount when it is among the files and the
    /// pod spec does not override it, unless a projected `serviceAccountToken` volume brings
    /// one back. Pods and ReplicaSets owned by another object (`ownerReferences`) are left
    /// to their owner.
    ///
    /// ## Why it matters
    /// The token of a pod's ServiceAccount is mounted into every container of the pod. An
    /// attacker who gets code running in the container (a vulnerable dependency, an
    /// exposed debug endpoint) gets the account's permissions with it. A web application
    /// whose account can read Secrets or create pods turns one bug into the namespace's
    /// credentials; with `cluster-admin`, into the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       serviceAccountName: web
    ///       containers: [{name: web, image: "example/web:1.4"}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: web-admin}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    /// - {kind: ServiceAccount, name: web, namespace: shop}
    /// ```
    ///
    /// ## Fix
    /// Give the workload an account of its own with only what it calls, or no token at all
    /// when it does not call the API:
    /// ```yaml
    ///     spec:
    ///       serviceAccountName: web
    ///       automountServiceAccountToken: false
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege
    /// - https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting
    /// - https://kubernetes.io/docs/concepts/security/service-accounts/
    ///
    /// ## Known problems
    /// Rights given to the groups a ServiceAccount belongs to (`system:serviceaccounts`,
    /// `system:serviceaccounts:<namespace>`) are reported once, at their binding, by the
    /// `rbac-subject-*` rules, not again for every workload. A workload without a namespace
    /// matches only bindings without one. Bindings whose role is not among the files and
    /// not built in are not judged (`palisade who-can` lists them as unknown).
    pub static RBAC_WORKLOAD_PRIVILEGED_SERVICE_ACCOUNT = {
        id: "RBAC109",
        name: "rbac-workload-privileged-service-account",
        category: Rbac,
        severity: Critical,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Workloads should not run as ServiceAccounts with escalation rights",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    let namespaces: BTreeSet<&str> = cx
        .objects
        .iter()
        .filter(|o| o.pod.is_some())
        .map(|o| namespace(o))
        .collect();
    let (access, rights) = analysis(cx);

    for ns in namespaces {
        for workload in index.workloads(ns) {
            let obj = cx.objects[workload.object];
            if workload.controlled || obj.id.kind == "PodTemplate" {
                continue;
            }
            let Some((account, path)) = service_account(obj) else {
                continue;
            };
            let account_object = index.named(ns, "ServiceAccount", &account);
            if !gets_token(obj, account_object.map(|i| cx.objects[i])) {
                continue;
            }

            let subject = Subject::service_account(ns, &account);
            let mut held: Vec<_> = access
                .grants_to(&subject)
                .flat_map(|(g, grant)| rights.of_grant(g).iter().map(move |h| (grant, h)))
                .collect();
            // The strongest right first; among equals, a binding in the workload's own file.
            let file = |i: usize| cx.files().and_then(|f| f.get(i).copied());
            held.sort_by_key(|(grant, h)| {
                let elsewhere = file(grant.binding) != file(workload.object);
                (
                    Reverse(h.right.severity(&grant.scope)),
                    h.right,
                    elsewhere,
                    grant.binding,
                )
            });
            let Some(&(grant, top)) = held.first() else {
                continue;
            };

            let binding = cx.objects[grant.binding];
            let mut message = format!(
                "`{}` runs as `{subject}`, which can {}{} {}, given by `{}`",
                kind_name(obj),
                top.right.action(),
                detail(top),
                grant.scope.describe(),
                kind_name(binding),
            );
            if let Some(place) = place_of(
                cx,
                grant.binding,
                &subject_path(grant.subject_index),
                workload.object,
            ) {
                message.push_str(&format!(" ({place})"));
            }
            message.push(' ');
            message.push_str(&through(cx, &access, grant, top, workload.object));
            let others: Vec<&str> = held
                .iter()
                .map(|(_, h)| h.right)
                .filter(|&r| r != top.right)
                .collect::<BTreeSet<Right>>()
                .into_iter()
                .map(Right::short)
                .collect();
            if !others.is_empty() {
                message.push_str(&format!("; it can also {}", others.join(", ")));
            }
            cx.report_as(
                top.right.severity(&grant.scope),
                workload.object,
                path,
                message,
            );
        }
    }
}

/// The ServiceAccount a workload's pods run as, and the path a finding about it points at:
/// `serviceAccountName`, the older `serviceAccount`, or `default` (pointing at the pod
/// spec, through the absent `serviceAccountName`).
fn service_account(obj: &Object) -> Option<(String, FieldPath)> {
    let pod = obj.pod.as_ref()?;
    let spec = obj.node(&pod.spec)?;
    for key in ["serviceAccountName", "serviceAccount"] {
        if let Some(name) = spec
            .get(key)
            .and_then(Node::as_str)
            .filter(|n| !n.is_empty())
        {
            return Some((name.to_string(), pod.spec.key(key)));
        }
    }
    Some(("default".to_string(), pod.spec.key("serviceAccountName")))
}

/// Whether the workload's pods get a token of their ServiceAccount: the pod spec's
/// `automountServiceAccountToken`, else the ServiceAccount's when it is among the files,
/// else yes; a projected `serviceAccountToken` volume brings one in any case.
fn gets_token(obj: &Object, account: Option<&Object>) -> bool {
    let Some(spec) = obj.pod.as_ref().and_then(|p| obj.node(&p.spec)) else {
        return true;
    };
    let automount = |node: &Node| {
        node.get("automountServiceAccountToken")
            .and_then(Node::as_bool)
    };
    let mounted = automount(spec)
        .or_else(|| account.and_then(|a| automount(&a.root)))
        .unwrap_or(true);
    mounted || projects_token(spec)
}

/// Whether a volume of the pod spec projects a ServiceAccount token.
fn projects_token(spec: &Node) -> bool {
    spec.get("volumes")
        .map_or(&[][..], Node::items)
        .iter()
        .filter_map(|v| v.get("projected")?.get("sources"))
        .flat_map(Node::items)
        .any(|source| source.get("serviceAccountToken").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::fixtures::{account, binding, deployment, role};
    use crate::rule::Severity;
    use crate::testing::run_set;

    #[test]
    fn flags_a_workload_whose_account_is_bound_to_cluster_admin() {
        let v = run_set(
            &RBAC_WORKLOAD_PRIVILEGED_SERVICE_ACCOUNT,
            &format!(
                "{}{}",
                deployment("web", "shop", Some("web")),
                binding(
                    "web-admin",
                    "",
                    "ClusterRole/cluster-admin",
                    &account("shop", "web")
                ),
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "Deployment/web");
        assert_eq!(
            v[0].1.path.to_string(),
            "spec.template.spec.serviceAccountName"
        );
        assert_eq!(v[0].1.severity, Some(Severity::Critical));
        assert_eq!(
            v[0].1.message,
            "`Deployment/web` runs as `ServiceAccount shop/web`, which can do anything across the cluster, given by `ClusterRoleBinding/web-admin` (line 17) through the built-in `ClusterRole/cluster-admin` `rules[0]`"
        );
    }

    #[test]
    fn follows_the_default_account_and_names_the_other_rights() {
        let v = run_set(
            &RBAC_WORKLOAD_PRIVILEGED_SERVICE_ACCOUNT,
            &format!(
                "{}{}{}",
                deployment("api", "shop", None),
                role(
                    "api",
                    "shop",
                    "[{apiGroups: [''], resources: [secrets], verbs: [get]}, {apiGroups: [''], resources: [pods/exec], verbs: [create]}]"
                ),
                binding(
                    "api",
                    "shop",
                    "Role/api",
                    "[{kind: ServiceAccount, name: default}]"
                ),
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].1.path.to_string(),
            "spec.template.spec.serviceAccountName"
        );
        assert_eq!(v[0].1.severity, Some(Severity::Medium));
        assert_eq!(
            v[0].1.message,
            "`Deployment/api` runs as `ServiceAccount shop/default`, which can read Secrets (`get`) in namespace `shop`, given by `RoleBinding/api` (line 21) through `Role/api` `rules[0]` (line 15); it can also exec into pods"
        );
    }

    #[test]
    fn the_strongest_right_comes_first_whatever_the_binding_order() {
        let v = run_set(
            &RBAC_WORKLOAD_PRIVILEGED_SERVICE_ACCOUNT,
            &format!(
                "{}{}{}{}",
                deployment("ops", "shop", Some("ops")),
                role(
                    "secrets",
                    "",
                    "[{apiGroups: [''], resources: [secrets], verbs: [list]}]"
                ),
                binding(
                    "here",
                    "shop",
                    "ClusterRole/secrets",
                    &account("shop", "ops")
                ),
                binding(
                    "everywhere",
                    "",
                    "ClusterRole/secrets",
                    &account("shop", "ops")
                ),
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].1.severity, Some(Severity::High));
        assert!(
            v[0].1.message.contains(
                "can read Secrets (`list`) across the cluster, given by `ClusterRoleBinding/everywhere`"
            ),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn built_in_edit_in_kube_system_is_an_escalation_of_the_cluster() {
        let v = run_set(
            &RBAC_WORKLOAD_PRIVILEGED_SERVICE_ACCOUNT,
            &format!(
                "{}{}",
                deployment("ops", "kube-system", Some("ops")),
                binding(
                    "ops",
                    "kube-system",
                    "ClusterRole/edit",
                    &account("kube-system", "ops")
                ),
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].1.severity, Some(Severity::Critical));
        assert!(
            v[0].1.message.ends_with(
                "; it can also read Secrets, create pods, exec into pods, create tokens"
            ),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn passes_workloads_without_tokens_or_rights_and_other_namespaces() {
        let no_token = deployment("batch", "shop", Some("batch")).replace(
            "      serviceAccountName: batch\n",
            "      serviceAccountName: batch\n      automountServiceAccountToken: false\n",
        );
        let v = run_set(
            &RBAC_WORKLOAD_PRIVILEGED_SERVICE_ACCOUNT,
            &format!(
                "{no_token}{}{}{}{}{}{}",
                binding(
                    "batch",
                    "",
                    "ClusterRole/cluster-admin",
                    &account("shop", "batch")
                ),
                deployment("quiet", "shop", Some("quiet")),
                "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: quiet, namespace: shop}\nautomountServiceAccountToken: false\n",
                binding(
                    "quiet",
                    "",
                    "ClusterRole/cluster-admin",
                    &account("shop", "quiet")
                ),
                deployment("viewer", "shop", Some("viewer")),
                binding(
                    "viewer",
                    "shop",
                    "ClusterRole/view",
                    &account("shop", "viewer")
                ),
            ),
        );
        let other = run_set(
            &RBAC_WORKLOAD_PRIVILEGED_SERVICE_ACCOUNT,
            &format!(
                "{}{}",
                deployment("web", "other", Some("web")),
                binding(
                    "web-admin",
                    "",
                    "ClusterRole/cluster-admin",
                    &account("shop", "web")
                ),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
        assert!(other.is_empty(), "{other:?}");
    }

    #[test]
    fn a_projected_token_counts_even_without_automount() {
        let projected = deployment("web", "shop", Some("web")).replace(
            "      containers:",
            "      automountServiceAccountToken: false\n      volumes:\n      - name: token\n        projected:\n          sources: [{serviceAccountToken: {path: token}}]\n      containers:",
        );
        let v = run_set(
            &RBAC_WORKLOAD_PRIVILEGED_SERVICE_ACCOUNT,
            &format!(
                "{projected}{}",
                binding(
                    "web-admin",
                    "",
                    "ClusterRole/cluster-admin",
                    &account("shop", "web")
                ),
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
    }
}
