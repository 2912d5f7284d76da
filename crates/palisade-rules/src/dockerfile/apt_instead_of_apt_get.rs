use super::commands::{invocation, package_call, scripts};
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// `RUN` commands use `apt-get` (or `apt-cache`), not `apt`.
    ///
    /// ## Why it matters
    /// `apt` is meant for people at a terminal: its output and behaviour may change between
    /// releases, and it warns that it "does not have a stable CLI interface" when used in
    /// scripts. `apt-get` is the interface Debian keeps stable for scripts.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt update && apt install -y curl
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y curl
    /// ```
    ///
    /// ## References
    /// - https://manpages.debian.org/apt.8 (the "SCRIPT USAGE" section)
    pub static APT_INSTEAD_OF_APT_GET = {
        id: "DKR019",
        name: "apt-instead-of-apt-get",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3027"],
        summary: "Use `apt-get` rather than `apt` in scripts",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (ins, _, script) in scripts(cx.df) {
        for cmd in &script.commands {
            let inv = invocation(cmd);
            if inv.program == "apt" {
                cx.report_code(
                    ins,
                    inv.name.span,
                    Some("DL3027"),
                    "`apt` is for interactive use; scripts should call `apt-get`",
                );
                cx.about(package_call(cmd).map_or_else(|| "apt".to_string(), |c| c.subject()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_apt() {
        let v = run_dockerfile(
            &APT_INSTEAD_OF_APT_GET,
            "FROM a:1\nRUN apt update && sudo apt install -y x\n",
        );
        assert_eq!(lines(&v), [(2, 5), (2, 24)]);
    }

    #[test]
    fn passes_apt_get() {
        assert!(
            run_dockerfile(
                &APT_INSTEAD_OF_APT_GET,
                "FROM a:1\nRUN apt-get update; apt-cache policy\n"
            )
            .is_empty()
        );
    }
}
