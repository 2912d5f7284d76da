use super::commands::{Manager, has_flag, package_call, scripts};
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// `apt-get install` (and `apt install`) is given `--no-install-recommends`, or the
    /// equivalent `-o APT::Install-Recommends=false`.
    ///
    /// ## Why it matters
    /// By default apt also installs every package the requested ones *recommend*: editors,
    /// documentation, compilers, daemons. They make the image larger and add software that
    /// needs patching but that nothing in the image uses.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y python3
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends python3
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/build/building/best-practices/#apt-get
    /// - https://manpages.debian.org/apt.conf.5
    pub static APT_INSTALL_RECOMMENDS = {
        id: "DKR018",
        name: "apt-install-recommends",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3015"],
        summary: "`apt-get install` should use `--no-install-recommends`",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (ins, _, script) in scripts(cx.df) {
        for cmd in &script.commands {
            let Some(call) = package_call(cmd) else {
                continue;
            };
            if !matches!(call.manager, Manager::AptGet | Manager::Apt) || !call.installs() {
                continue;
            }
            let off = has_flag(&call.options, None, &["no-install-recommends"])
                || call.options.iter().any(|o| {
                    let v = o.value.to_ascii_lowercase();
                    v.contains("install-recommends=false") || v.contains("install-recommends=0")
                });
            if !off {
                cx.report_code(
                    ins,
                    call.anchor().span,
                    Some("DL3015"),
                    format!(
                        "`{} install` also installs recommended packages",
                        call.inv.program
                    ),
                );
                cx.about(call.subject());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_installs_with_recommends() {
        let v = run_dockerfile(
            &APT_INSTALL_RECOMMENDS,
            "FROM a:1\nRUN apt-get install -y curl\n",
        );
        assert_eq!(lines(&v), [(2, 13)]);
    }

    #[test]
    fn passes_either_spelling() {
        let v = run_dockerfile(
            &APT_INSTALL_RECOMMENDS,
            "FROM a:1\nRUN apt-get install -y --no-install-recommends a && apt-get -o APT::Install-Recommends=false install -y b\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
