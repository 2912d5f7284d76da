use palisade_dockerfile::shell::{Command, is_shell};

use super::commands::{invocation, scripts};
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// No `RUN` runs a script straight from the network: `curl … | sh`, `wget -O- … | bash`,
    /// the same into `sudo sh`, `python`, `perl`, `ruby` or `node`, `sh -c "$(curl …)"`, and
    /// `bash <(curl …)`. `curl` and `wget` count, with `fetch`; the interpreters are the POSIX
    /// shells (`sh`, `bash`, `dash`, `ash`, `ksh`, `zsh`) and those four languages.
    ///
    /// ## Why it matters
    /// The script is whatever the server returns at build time: nothing checks that it is the
    /// one you reviewed, a compromised or hijacked host can serve anything, and a connection cut
    /// halfway runs a truncated script. The build is not reproducible either.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN curl -fsSL https://get.example.com/install.sh | sh
    /// ```
    ///
    /// ## Fix
    /// Download a pinned version, verify its checksum, then run it:
    /// ```dockerfile
    /// ADD --checksum=sha256:<sha256 of the script> https://get.example.com/v1.2.3/install.sh /tmp/install.sh
    /// RUN sh /tmp/install.sh && rm /tmp/install.sh
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#add---checksum
    pub static PIPE_TO_SHELL = {
        id: "DKR009",
        name: "pipe-to-shell",
        category: Dockerfile,
        severity: High,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        summary: "`RUN` must not pipe a download into a shell",
        dockerfile_check: check,
    }
}

fn is_download(cmd: &Command) -> bool {
    matches!(invocation(cmd).program, "curl" | "wget" | "fetch")
}

fn is_interpreter(cmd: &Command) -> bool {
    let p = invocation(cmd).program;
    is_shell(p)
        || ["python", "python3", "perl", "ruby", "node"].contains(&p)
        || p.starts_with("python3.")
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (ins, _, script) in scripts(cx.df) {
        let cmds = &script.commands;
        let mut reported = false;

        // `curl … | sh`
        for p in script.pipes() {
            let members: Vec<&Command> = p.members.iter().flatten().map(|&i| &cmds[i]).collect();
            let Some(first_download) = members.iter().position(|c| is_download(c)) else {
                continue;
            };
            if let Some(shell) = members[first_download + 1..]
                .iter()
                .find(|c| is_interpreter(c))
            {
                let (d, s) = (
                    invocation(members[first_download]).program,
                    invocation(shell).program,
                );
                cx.report(
                    ins,
                    shell.name.span,
                    format!("`{d}` output is piped into `{s}`"),
                );
                cx.about(format!("{d} | {s}"));
                reported = true;
                break;
            }
        }
        if reported {
            continue;
        }

        // `sh -c "$(curl …)"` and `bash <(curl …)`
        for (i, c) in cmds.iter().enumerate() {
            if c.nested || !is_interpreter(c) {
                continue;
            }
            let substituted = cmds
                .iter()
                .any(|d| d.nested && is_download(d) && c.args.iter().any(|a| a.span == d.span));
            let process = cmds.get(i + 1).is_some_and(|d| {
                d.subshell
                    && !d.nested
                    && d.list == c.list
                    && is_download(d)
                    && d.span.start > c.name.span.start
                    && c.args
                        .iter()
                        .all(|a| a.span.start < d.span.start || a.span.start > d.span.end)
            });
            if substituted || process {
                cx.report(
                    ins,
                    c.name.span,
                    format!(
                        "`{}` runs a script downloaded in the same command",
                        invocation(c).program
                    ),
                );
                cx.about(invocation(c).program);
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_downloads_run_by_a_shell() {
        let v = run_dockerfile(
            &PIPE_TO_SHELL,
            "FROM a:1\nRUN curl -fsSL https://x.io/i.sh | sudo -E bash -s -- --yes\n\
             RUN wget -qO- https://x.io/i.py | python3\n\
             RUN sh -c \"$(curl -fsSL https://x.io/i.sh)\"\n\
             RUN bash <(curl -s https://x.io/i.sh)\n",
        );
        assert_eq!(lines(&v), [(2, 36), (3, 35), (4, 5), (5, 5)]);
        assert!(
            v[0].message.contains("`curl` output is piped into `bash`"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn passes_downloads_saved_and_checked() {
        let v = run_dockerfile(
            &PIPE_TO_SHELL,
            "FROM a:1\nRUN curl -fsSLo /tmp/i.sh https://x.io/i.sh && echo \"$SUM  /tmp/i.sh\" | sha256sum -c && sh /tmp/i.sh\nRUN curl -s https://x.io | tar -xz\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
