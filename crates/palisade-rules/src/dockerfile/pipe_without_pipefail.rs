use palisade_dockerfile::shell::{Script, ShellWord, is_shell};

use super::commands::{invocation, scripts};
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// A `RUN` with a pipe (`a | b`) runs under `pipefail`: either the stage's `SHELL` sets it
    /// (`SHELL ["/bin/bash", "-o", "pipefail", "-c"]`), or the command sets it before the pipe
    /// (`set -o pipefail`, `set -eo pipefail`), or a heredoc script is handed to a shell started
    /// with it (`RUN <<EOF bash -o pipefail`). One finding per `RUN`, at the command after its
    /// first pipe. `RUN`s whose shell is not POSIX (PowerShell) are not checked.
    ///
    /// ## Why it matters
    /// A pipeline's status is the status of its last command. `curl -fsSL … | tar -xz` succeeds
    /// when `curl` fails, as long as `tar` is happy with an empty input, and the build goes on
    /// with a missing or truncated download.
    ///
    /// Debian's and Ubuntu's `/bin/sh` (dash) had no `pipefail` before dash 0.5.12; use `bash`
    /// there.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    /// RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/build/building/best-practices/#using-pipes
    /// - https://www.gnu.org/software/bash/manual/bash.html#Pipelines
    pub static PIPE_WITHOUT_PIPEFAIL = {
        id: "DKR030",
        name: "pipe-without-pipefail",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL4006"],
        summary: "`RUN` commands with pipes should run with `pipefail`",
        dockerfile_check: check,
    }
}

/// Whether `-o pipefail` (or options bundled before it, `-eo pipefail`) is among `args`.
fn names_pipefail(args: &[ShellWord]) -> bool {
    args.windows(2).any(|w| {
        w[0].value.starts_with('-')
            && !w[0].value.starts_with("--")
            && w[0].value.ends_with('o')
            && w[1].value == "pipefail"
    })
}

/// Whether pipefail is on for command `before`: a top-level `set … -o pipefail` comes before
/// it, or a shell started with `-o pipefail` runs the heredoc it is read from
/// (`RUN <<EOF bash -o pipefail`; a heredoc's commands follow the command that reads it).
fn sets_pipefail(script: &Script, before: usize) -> bool {
    script.commands[..before].iter().any(|c| {
        let setter = c.program() == "set" && !c.subshell;
        let shell = is_shell(c.program()) && !c.heredocs.is_empty();
        (setter || shell) && names_pipefail(&c.args)
    })
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (ins, run, script) in scripts(cx.df) {
        if run.shell.pipefail {
            continue;
        }
        for p in script.pipes() {
            let members: Vec<usize> = p.members.iter().flatten().copied().collect();
            let (Some(&first), Some(&second)) = (members.first(), members.get(1)) else {
                continue;
            };
            if sets_pipefail(script, first) {
                continue;
            }
            cx.report_code(
                ins,
                script.commands[second].name.span,
                Some("DL4006"),
                "a pipe without `pipefail` hides the failure of every command but the last",
            );
            cx.about(format!(
                "{} | {}",
                invocation(&script.commands[first]).program,
                invocation(&script.commands[second]).program
            ));
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_pipes_without_pipefail() {
        let v = run_dockerfile(
            &PIPE_WITHOUT_PIPEFAIL,
            "FROM a:1\nRUN curl -s x | tar -xz | cat\nRUN a | b && set -o pipefail\n",
        );
        assert_eq!(lines(&v), [(2, 17), (3, 9)]);
    }

    #[test]
    fn passes_shell_and_inline_pipefail() {
        let v = run_dockerfile(
            &PIPE_WITHOUT_PIPEFAIL,
            "FROM a:1\nRUN set -euxo pipefail; a | b\nSHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN c | d\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_heredoc_run_by_a_pipefail_shell_passes() {
        let v = run_dockerfile(
            &PIPE_WITHOUT_PIPEFAIL,
            "FROM a:1\nRUN <<EOF bash -o pipefail\ncurl -s x | tar -xz\nEOF\n\
             RUN <<EOF /bin/bash -euo pipefail\ncurl -s x | tar -xz\nEOF\n\
             RUN <<EOF bash\ncurl -s x | tar -xz\nEOF\n\
             RUN <<EOF bash -o errexit\ncurl -s x | tar -xz\nEOF\n",
        );
        assert_eq!(lines(&v), [(9, 13), (12, 13)]);
    }
}
