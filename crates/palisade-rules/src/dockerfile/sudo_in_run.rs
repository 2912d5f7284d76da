use super::commands::scripts;
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// No `RUN` command calls `sudo`, including inside `$( … )`, subshells and heredoc scripts.
    ///
    /// ## Why it matters
    /// Build steps run as the current `USER`; `sudo` in a Dockerfile means the image ships the
    /// `sudo` binary and a sudoers rule that lets that user become root, which undoes the point
    /// of a non-root `USER`. It also prompts or fails when no TTY is attached, so builds behave
    /// differently on laptops and in CI.
    ///
    /// ## Example
    /// ```dockerfile
    /// USER app
    /// RUN sudo apt-get install -y curl
    /// ```
    ///
    /// ## Fix
    /// Run the privileged step as root, then switch users:
    /// ```dockerfile
    /// RUN apt-get install -y curl
    /// USER app
    /// ```
    /// Use `gosu` or `su-exec` in an entrypoint when a process must drop privileges at run time.
    ///
    /// ## References
    /// - https://docs.docker.com/build/building/best-practices/#user
    pub static SUDO_IN_RUN = {
        id: "DKR006",
        name: "sudo-in-run",
        category: Dockerfile,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3004"],
        summary: "`RUN` commands should not use `sudo`",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (ins, _, script) in scripts(cx.df) {
        if let Some(cmd) = script.commands.iter().find(|c| c.program() == "sudo") {
            cx.report_code(
                ins,
                cmd.name.span,
                Some("DL3004"),
                "`sudo` is called in a `RUN` command",
            );
            let what = cmd.args.iter().find(|a| !a.value.starts_with('-'));
            cx.about(format!("sudo {}", what.map_or("", |a| a.value.as_str())).trim_end());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_sudo_anywhere_in_a_run() {
        let v = run_dockerfile(
            &SUDO_IN_RUN,
            "FROM a:1\nRUN apt-get update && sudo apt-get install -y x\nRUN echo $(sudo id)\n",
        );
        assert_eq!(lines(&v), [(2, 23), (3, 10)]);
    }

    #[test]
    fn passes_runs_without_sudo() {
        let v = run_dockerfile(&SUDO_IN_RUN, "FROM a:1\nRUN echo sudo && gosu app id\n");
        assert!(v.is_empty(), "{v:?}");
    }
}
