use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// The pod spec sets `automountServiceAccountToken: false`. One finding per object, at
    /// that key when it is set to something else, or at the pod spec when it is missing.
    ///
    /// The rule looks at the pod spec only. A ServiceAccount can also set
    /// `automountServiceAccountToken: false`, and the pod inherits it when its own spec is
    /// silent, but which ServiceAccount a pod runs as and how that account is configured
    /// cannot be seen from one object. Setting it in the pod spec makes the choice visible
    /// where the workload is reviewed.
    ///
    /// ## Why it matters
    /// By default Kubernetes mounts a token for the pod's ServiceAccount into every
    /// container. Most applications never call the Kubernetes API, yet anyone who gets code
    /// execution in them can read the token and act with the account's permissions. Not
    /// mounting it removes that step of every attack that starts in the container.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// spec:
    ///   template:
    ///     spec:                     # token mounted by default
    ///       containers:
    ///       - name: web
    ///         image: registry.example.com/web:1.4.2
    /// ```
    ///
    /// ## Fix
    /// Turn the mount off:
    /// ```yaml
    ///     spec:
    ///       automountServiceAccountToken: false
    /// ```
    /// A workload that does talk to the API server (a controller, an operator) needs its
    /// token: suppress this rule for it with a reason, or mount a short-lived token
    /// explicitly with a `projected` volume of source `serviceAccountToken`.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting
    /// - https://kubernetes.io/docs/concepts/security/service-accounts/
    /// - CIS Kubernetes Benchmark, 5.1.6
    pub static SERVICE_ACCOUNT_TOKEN_AUTOMOUNT = {
        id: "HRD002",
        name: "service-account-token-automount",
        category: Hardening,
        severity: Low,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Pods should not mount a service account token they do not need",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = &cx.obj.pod else { return };
    let setting = pod
        .spec_node(&cx.obj.root)
        .and_then(|spec| spec.get("automountServiceAccountToken"))
        .filter(|n| !n.is_null());

    match setting.map(|n| (n, n.as_bool())) {
        Some((_, Some(false))) => {}
        Some((node, _)) => cx.report(
            pod.spec.key("automountServiceAccountToken"),
            format!(
                "pod sets `automountServiceAccountToken: {}`, so every container gets an API token",
                node.describe()
            ),
        ),
        None => cx.report(
            pod.spec.key("automountServiceAccountToken"),
            "pod does not set `automountServiceAccountToken: false`, so every container gets an API token",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_pods_that_mount_the_token() {
        let v = run(
            &SERVICE_ACCOUNT_TOKEN_AUTOMOUNT,
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers: [{name: a}]\n---\napiVersion: v1\nkind: Pod\nspec:\n  automountServiceAccountToken: true\n  containers: [{name: a}]\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.template.spec.automountServiceAccountToken",
                "spec.automountServiceAccountToken",
            ]
        );
        assert!(v.iter().all(|v| v.container.is_none()));
        assert!(
            v[1].message
                .contains("`automountServiceAccountToken: true`"),
            "{}",
            v[1].message
        );
    }

    #[test]
    fn passes_pods_that_opt_out() {
        let v = run(
            &SERVICE_ACCOUNT_TOKEN_AUTOMOUNT,
            "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      automountServiceAccountToken: false\n      containers: [{name: a}]\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
