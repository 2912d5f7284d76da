use palisade_dockerfile::Keyword;

use super::stages::last_in_lineage;
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// The final stage (or the stage it is built from) has a `HEALTHCHECK` instruction.
    /// `HEALTHCHECK NONE` counts: it is an explicit choice.
    ///
    /// Off by default: Kubernetes ignores `HEALTHCHECK` and uses the pod's liveness and
    /// readiness probes instead (see `missing-liveness-probe` and `missing-readiness-probe`).
    /// Turn it on for images that also run under Docker or Compose.
    ///
    /// ## Why it matters
    /// Docker, Compose and Swarm use the health check to tell a running container from a
    /// working one, to restart it and to hold traffic until it is ready. Without one, a process
    /// that hangs still looks healthy.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM nginx:1.27
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// FROM nginx:1.27
    /// HEALTHCHECK --interval=30s --timeout=3s CMD ["curl", "-fs", "http://localhost/"]
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#healthcheck
    /// - https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
    pub static MISSING_HEALTHCHECK = {
        id: "DKR014",
        name: "missing-healthcheck",
        category: Dockerfile,
        severity: Low,
        default_enabled: false,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3057"],
        summary: "The final stage should declare a `HEALTHCHECK`",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    let df = cx.df;
    if last_in_lineage(df, |i| i.keyword == Keyword::Healthcheck).is_some() {
        return;
    }
    let Some(stage) = df.final_stage() else {
        return;
    };
    let Some(from) = df.from_of(stage) else {
        return;
    };
    cx.report_code(
        from,
        from.keyword_span,
        Some("DL3057"),
        format!("{} declares no `HEALTHCHECK`", stage.label()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_a_final_stage_without_healthcheck() {
        let v = run_dockerfile(
            &MISSING_HEALTHCHECK,
            "FROM a:1 AS b\nHEALTHCHECK NONE\nFROM c:1\n",
        );
        assert_eq!(lines(&v), [(3, 1)]);
    }

    #[test]
    fn passes_inherited_and_explicit_healthchecks() {
        let v = run_dockerfile(
            &MISSING_HEALTHCHECK,
            "FROM a:1 AS b\nHEALTHCHECK CMD true\nFROM b\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
