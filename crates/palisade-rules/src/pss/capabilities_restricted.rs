use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// Every container drops all capabilities (`capabilities.drop` contains `ALL`) and adds
    /// back at most `NET_BIND_SERVICE`. As in upstream, `ALL` must be written in capitals.
    /// Pod Security Standards, restricted, from v1.22 (upstream check
    /// `capabilities_restricted`); it replaces `capabilities-baseline` at that level. From
    /// v1.25 Windows pods are exempt.
    ///
    /// ## Why it matters
    /// Container runtimes grant a dozen capabilities by default (`CHOWN`, `DAC_OVERRIDE`,
    /// `SETUID`, `NET_RAW`…). Few programs need any of them, and each widens what an
    /// attacker can do after a compromise — `NET_RAW`, for example, allows spoofing
    /// traffic on the pod network.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: ["NET_ADMIN"]
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["ALL"]
    ///     add: ["NET_BIND_SERVICE"]   # only if it binds a port below 1024
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
    /// - capabilities(7)
    pub static CAPABILITIES_RESTRICTED = {
        id: "PSS105",
        name: "capabilities-restricted",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Restricted),
        summary: "Containers must drop ALL capabilities and add back only NET_BIND_SERVICE",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let v = cx.settings.pss_version;
    if !v.at_least(22) {
        return;
    }
    let Some(pod) = Pod::of(cx) else { return };
    if v.at_least(25) && pod.is_windows() {
        return;
    }
    for c in pod.containers() {
        let sec = &c.security;
        if !sec.capabilities_drop.iter().any(|d| d.value == "ALL") {
            cx.report_container(
                c,
                c.path.keys(&["securityContext", "capabilities", "drop"]),
                format!("container `{}` does not drop `ALL` capabilities", c.name),
            );
            cx.case("drop:ALL");
        }
        for cap in sec
            .capabilities_add
            .iter()
            .filter(|a| a.value != "NET_BIND_SERVICE")
        {
            let message = format!("container `{}` adds capability `{}`", c.name, cap.value);
            // Beyond the runtime's default set this is also a baseline violation, and it
            // weighs as much here as it does there.
            if super::capabilities_baseline::ALLOWED.contains(&cap.value.as_str()) {
                cx.report_container(c, cap.path.clone(), message);
            } else {
                let severity = super::capabilities_baseline::CAPABILITIES_BASELINE
                    .meta
                    .severity;
                cx.report_container_as(severity, c, cap.path.clone(), message);
            }
            cx.case(format!("add:{}", cap.value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn requires_drop_all_and_allows_only_net_bind_service() {
        let v = run(
            &CAPABILITIES_RESTRICTED,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext: {capabilities: {drop: [ALL], add: [NET_BIND_SERVICE, NET_RAW]}}\n  - name: b\n  - name: c\n    securityContext: {capabilities: {drop: [all]}}\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.containers[0].securityContext.capabilities.add[1]",
                "spec.containers[1].securityContext.capabilities.drop",
                "spec.containers[2].securityContext.capabilities.drop"
            ]
        );
    }

    #[test]
    fn capabilities_beyond_the_baseline_set_keep_the_baseline_severity() {
        let v = run(
            &CAPABILITIES_RESTRICTED,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext: {capabilities: {drop: [ALL], add: [CHOWN, SYS_ADMIN]}}\n",
        );
        let severities: Vec<_> = v.iter().map(|v| v.severity).collect();
        assert_eq!(severities, [None, Some(crate::rule::Severity::High)]);
    }

    #[test]
    fn each_finding_names_its_case_for_other_scanners_checks() {
        let v = run(
            &CAPABILITIES_RESTRICTED,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext: {capabilities: {add: [NET_RAW, SYS_ADMIN]}}\n",
        );
        let cases: Vec<_> = v.iter().map(|v| v.cases.clone()).collect();
        assert_eq!(cases, [["drop:ALL"], ["add:NET_RAW"], ["add:SYS_ADMIN"]]);
    }

    #[test]
    fn passes_dropped_containers() {
        let v = run(
            &CAPABILITIES_RESTRICTED,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext: {capabilities: {drop: [ALL]}}\n",
        );
        assert!(v.is_empty());
    }
}
