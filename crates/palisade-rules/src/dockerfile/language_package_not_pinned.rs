use palisade_dockerfile::shell::{Command, ShellWord};

use super::commands::{invocation, options_and_operands, scripts};
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// Language packages installed in a `RUN` name a version:
    ///
    /// | command | pinned form | hadolint |
    /// |---|---|---|
    /// | `pip install`, `python -m pip install` | `flask==3.0.3`, `flask>=3,<4`, `flask~=3.0` | DL3013 |
    /// | `npm install`/`i`/`add` | `express@4.21.1` | DL3016 |
    /// | `gem install` | `rails:7.2.1`, `rails -v 7.2.1` | DL3028 |
    /// | `go install` | `golang.org/x/tools/gopls@v0.16.2` (not `@latest`) | DL3062 |
    ///
    /// Requirement and constraint files (`-r`, `-c`), paths, URLs, archives and wheels are not
    /// judged, nor are `npm install` and `npm ci` without package names (they read the lock
    /// file). One finding per command, at its first unpinned package.
    ///
    /// ## Why it matters
    /// An unpinned install resolves to whatever the registry serves on the day of the build,
    /// so rebuilds change behaviour without a code change, and a hijacked new release reaches
    /// the image on the next build.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN pip install --no-cache-dir flask gunicorn
    /// RUN go install golang.org/x/tools/gopls@latest
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// RUN pip install --no-cache-dir flask==3.0.3 gunicorn==23.0.0
    /// RUN go install golang.org/x/tools/gopls@v0.16.2
    /// ```
    /// or install from a lock file (`pip install -r requirements.txt`, `npm ci`).
    ///
    /// ## References
    /// - https://pip.pypa.io/en/stable/topics/repeatable-installs/
    /// - https://docs.npmjs.com/cli/commands/npm-ci
    /// - https://go.dev/ref/mod#go-install
    pub static LANGUAGE_PACKAGE_NOT_PINNED = {
        id: "DKR020",
        name: "language-package-not-pinned",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3013", "DL3016", "DL3028", "DL3062"],
        summary: "Installed pip, npm, gem and go packages should be pinned to a version",
        dockerfile_check: check,
    }
}

const PIP_VALUED: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--trusted-host",
    "--cache-dir",
    "--src",
    "--upgrade-strategy",
    "--progress-bar",
    "--log",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--cert",
    "--client-cert",
    "--global-option",
    "-C",
    "--config-settings",
    "--only-binary",
    "--no-binary",
    "--report",
    "--python",
];
const NPM_VALUED: &[&str] = &[
    "--registry",
    "--prefix",
    "--cache",
    "--tag",
    "-w",
    "--workspace",
    "--userconfig",
];
const GEM_VALUED: &[&str] = &[
    "-v",
    "--version",
    "-i",
    "--install-dir",
    "-n",
    "--bindir",
    "-s",
    "--source",
    "--platform",
    "-P",
    "--trust-policy",
];

/// The arguments of a pip call after `install`, for `pip…` and `python… -m pip`.
pub(crate) fn pip_install_args(cmd: &Command) -> Option<&[ShellWord]> {
    let inv = invocation(cmd);
    let p = inv.program;
    let args = if p.starts_with("pip") {
        inv.args
    } else if p.starts_with("python") {
        let at = inv.args.iter().position(|a| a.value == "pip")?;
        (at > 0 && inv.args[at - 1].value == "-m").then(|| &inv.args[at + 1..])?
    } else {
        return None;
    };
    let i = args.iter().position(|a| !a.value.starts_with('-'))?;
    (args[i].value == "install").then(|| &args[i + 1..])
}

fn is_pip_spec_pinned(v: &str) -> bool {
    v.contains(['=', '<', '>', '@', '~']) || v.contains("://")
}

fn local(v: &str) -> bool {
    v.starts_with(['.', '/', '~', '$'])
        || [".whl", ".tar.gz", ".zip", ".tgz", ".tar.bz2"]
            .iter()
            .any(|e| v.ends_with(e))
        || v.contains('$')
}

/// The first unpinned operand of a language install, and hadolint's code.
fn unpinned(cmd: &Command) -> Option<(&ShellWord, &'static str, &'static str)> {
    if let Some(args) = pip_install_args(cmd) {
        let (options, operands) = options_and_operands(args, PIP_VALUED);
        let _ = options;
        return operands
            .into_iter()
            .find(|w| !local(&w.value) && !is_pip_spec_pinned(&w.value))
            .map(|w| (w, "DL3013", "pip install"));
    }
    let inv = invocation(cmd);
    match inv.program {
        "npm" => {
            let (_, operands) = options_and_operands(inv.args, NPM_VALUED);
            let (verb, packages) = operands.split_first()?;
            if !matches!(verb.value.as_str(), "install" | "i" | "add" | "isntall") {
                return None;
            }
            packages
                .iter()
                .copied()
                .find(|w| {
                    let v = w.value.as_str();
                    // `@scope/name` needs a second `@` for a version.
                    let at = if let Some(rest) = v.strip_prefix('@') {
                        rest.contains('@')
                    } else {
                        v.contains('@')
                    };
                    !at && !local(v) && !v.contains(':') && (v.starts_with('@') || !v.contains('/'))
                })
                .map(|w| (w, "DL3016", "npm install"))
        }
        "gem" => {
            let (options, operands) = options_and_operands(inv.args, GEM_VALUED);
            let (verb, gems) = operands.split_first()?;
            if verb.value != "install"
                || options.iter().any(|o| {
                    matches!(o.value.as_str(), "-v" | "--version")
                        || o.value.starts_with("--version=")
                })
            {
                return None;
            }
            gems.iter()
                .copied()
                .find(|w| !w.value.contains(':') && !local(&w.value))
                .map(|w| (w, "DL3028", "gem install"))
        }
        "go" => {
            let (_, operands) = options_and_operands(
                inv.args,
                &[
                    "-o", "-C", "-modfile", "-tags", "-ldflags", "-gcflags", "-p",
                ],
            );
            let (verb, packages) = operands.split_first()?;
            if verb.value != "install" {
                return None;
            }
            packages
                .iter()
                .copied()
                .find(|w| {
                    let v = w.value.as_str();
                    !local(v)
                        && v.split_once('@')
                            .is_none_or(|(_, ver)| ver == "latest" || ver.is_empty())
                })
                .map(|w| (w, "DL3062", "go install"))
        }
        _ => None,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (ins, _, script) in scripts(cx.df) {
        for cmd in &script.commands {
            if let Some((word, code, what)) = unpinned(cmd) {
                cx.report_code(
                    ins,
                    word.span,
                    Some(code),
                    format!("`{what}` installs `{}` without a version", word.value),
                );
                cx.about(format!("{what} {}", word.value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_unpinned_language_packages() {
        let v = run_dockerfile(
            &LANGUAGE_PACKAGE_NOT_PINNED,
            "FROM a:1\nRUN pip install --no-cache-dir -i https://x flask==3 gunicorn\n\
             RUN python3 -m pip install -U pip\nRUN npm install -g @angular/cli typescript@5\n\
             RUN gem install rails && go install golang.org/x/tools/gopls@latest\n",
        );
        assert_eq!(lines(&v), [(2, 54), (3, 31), (4, 20), (5, 17), (5, 37)]);
        let codes: Vec<_> = v.iter().map(|v| v.code.unwrap()).collect();
        assert_eq!(codes, ["DL3013", "DL3013", "DL3016", "DL3028", "DL3062"]);
    }

    #[test]
    fn passes_pins_lock_files_and_local_sources() {
        let v = run_dockerfile(
            &LANGUAGE_PACKAGE_NOT_PINNED,
            "FROM a:1\nRUN pip install -r requirements.txt . ./dist/app.whl 'x>=1,<2'\n\
             RUN npm ci && npm install && npm i @types/node@22 ./local\n\
             RUN gem install bundler -v 2.5.0 && gem install rake:13.2.1\n\
             RUN go install ./... && go install example.com/cmd@v1.2.3\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
