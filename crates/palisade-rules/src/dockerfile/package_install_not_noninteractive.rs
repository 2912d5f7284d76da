use super::commands::{Manager, has_flag, package_call, scripts, short_count};
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// Package-manager commands that ask for confirmation are told not to:
    ///
    /// | manager | commands | accepted | hadolint |
    /// |---|---|---|---|
    /// | `apt-get`, `apt` | `install`, `upgrade`, `dist-upgrade`, `full-upgrade`, `remove`, `purge`, `autoremove` | `-y`, `--yes`, `--assume-yes`, `-qq` | DL3014 |
    /// | `yum` | `install`, `groupinstall`, `localinstall`, `reinstall`, `update`, `upgrade`, `remove`, `erase` | `-y`, `--assumeyes` | DL3030 |
    /// | `dnf` | the same | `-y`, `--assumeyes` | DL3038 |
    /// | `zypper` | `install`/`in`, `update`/`up`, `remove`/`rm`, `patch`, `dist-upgrade`/`dup` | `-n`, `--non-interactive`, `-y`, `--no-confirm` | DL3034 |
    ///
    /// `apk` and `microdnf` do not prompt. A command fed by `yes |` passes.
    ///
    /// ## Why it matters
    /// A build has no terminal: a prompt either aborts the step or, with some configurations,
    /// waits for input until the build times out.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install curl
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y curl
    /// ```
    ///
    /// ## References
    /// - https://manpages.debian.org/apt-get.8
    /// - https://docs.docker.com/build/building/best-practices/#apt-get
    pub static PACKAGE_INSTALL_NOT_NONINTERACTIVE = {
        id: "DKR016",
        name: "package-install-not-noninteractive",
        category: Dockerfile,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3014", "DL3030", "DL3034", "DL3038"],
        summary: "Package managers should be told not to prompt (`-y`)",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (ins, _, script) in scripts(cx.df) {
        for cmd in &script.commands {
            let Some(call) = package_call(cmd) else {
                continue;
            };
            let (actions, ok, code): (&[&str], bool, &str) = match call.manager {
                Manager::AptGet | Manager::Apt => (
                    &[
                        "install",
                        "upgrade",
                        "dist-upgrade",
                        "full-upgrade",
                        "remove",
                        "purge",
                        "autoremove",
                    ],
                    has_flag(&call.options, Some('y'), &["yes", "assume-yes"])
                        || short_count(&call.options, 'q') >= 2
                        || call.options.iter().any(|o| {
                            o.value == "--quiet=2"
                                || o.value.to_ascii_lowercase().contains("assume-yes=true")
                        }),
                    "DL3014",
                ),
                Manager::Yum | Manager::Dnf => (
                    &[
                        "install",
                        "groupinstall",
                        "localinstall",
                        "reinstall",
                        "update",
                        "upgrade",
                        "remove",
                        "erase",
                    ],
                    has_flag(&call.options, Some('y'), &["assumeyes"]),
                    if call.manager == Manager::Yum {
                        "DL3030"
                    } else {
                        "DL3038"
                    },
                ),
                Manager::Zypper => (
                    &[
                        "install",
                        "in",
                        "update",
                        "up",
                        "remove",
                        "rm",
                        "patch",
                        "dist-upgrade",
                        "dup",
                    ],
                    has_flag(&call.options, Some('n'), &["non-interactive"])
                        || has_flag(&call.options, Some('y'), &["no-confirm"]),
                    "DL3034",
                ),
                Manager::Apk | Manager::Microdnf => continue,
            };
            if !call.action_is(actions) || ok || fed_by_yes(script, cmd) {
                continue;
            }
            cx.report_code(
                ins,
                call.anchor().span,
                Some(code),
                format!(
                    "`{} {}` may ask for confirmation; add `{}`",
                    call.inv.program,
                    call.anchor().value,
                    if call.manager == Manager::Zypper {
                        "--non-interactive"
                    } else {
                        "-y"
                    }
                ),
            );
            cx.about(call.subject());
        }
    }
}

/// `yes | apt-get install …`
fn fed_by_yes(
    script: &palisade_dockerfile::shell::Script,
    cmd: &palisade_dockerfile::shell::Command,
) -> bool {
    script.pipelines.get(cmd.pipeline).is_some_and(|p| {
        p.members
            .iter()
            .flatten()
            .take_while(|&&i| script.commands[i].span != cmd.span)
            .any(|&i| script.commands[i].program() == "yes")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_commands_that_may_prompt() {
        let v = run_dockerfile(
            &PACKAGE_INSTALL_NOT_NONINTERACTIVE,
            "FROM a:1\nRUN apt-get update && apt-get -q install curl\nRUN dnf upgrade\nRUN zypper in vim\n",
        );
        assert_eq!(lines(&v), [(2, 34), (3, 9), (4, 12)]);
        assert_eq!(v[1].code, Some("DL3038"));
    }

    #[test]
    fn passes_yes_flags_quiet_level_two_and_apk() {
        let v = run_dockerfile(
            &PACKAGE_INSTALL_NOT_NONINTERACTIVE,
            "FROM a:1\nRUN apt-get install -qy a && apt-get -qq install b && apt-get update\n\
             RUN yum install --assumeyes c && zypper -n in d && apk add e\nRUN yes | apt-get install f\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
