use palisade_dockerfile::Body;

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// Every `WORKDIR` is an absolute path (`/app`, or `C:\app` on Windows) after argument
    /// substitution. A value that depends on an unknown variable (`$HOME/app` with `HOME` from
    /// the base image) is not judged.
    ///
    /// ## Why it matters
    /// A relative `WORKDIR` is resolved against the previous one, which may be set by the base
    /// image and change when the base image changes. The same Dockerfile then puts files in a
    /// different place.
    ///
    /// ## Example
    /// ```dockerfile
    /// WORKDIR app
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// WORKDIR /app
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#workdir
    pub static RELATIVE_WORKDIR = {
        id: "DKR022",
        name: "relative-workdir",
        category: Dockerfile,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3000"],
        summary: "`WORKDIR` should be an absolute path",
        dockerfile_check: check,
    }
}

fn absolute(path: &str) -> bool {
    let b = path.as_bytes();
    path.starts_with('/')
        || path.starts_with('\\')
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

fn check(cx: &mut DockerfileCx<'_>) {
    for ins in &cx.df.instructions {
        let Body::Workdir(w) = &ins.body else {
            continue;
        };
        if w.complete && !absolute(w.value.trim()) {
            cx.report_code(
                ins,
                w.span,
                Some("DL3000"),
                format!("`WORKDIR {}` is relative", w.value),
            );
            cx.about(w.value.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_relative_paths() {
        let v = run_dockerfile(
            &RELATIVE_WORKDIR,
            "FROM a:1\nARG D=src\nWORKDIR app\nWORKDIR ${D}\n",
        );
        assert_eq!(lines(&v), [(3, 9), (4, 9)]);
    }

    #[test]
    fn passes_absolute_and_unknown_paths() {
        let v = run_dockerfile(
            &RELATIVE_WORKDIR,
            "FROM a:1\nWORKDIR /app\nWORKDIR C:\\\\app\nWORKDIR $HOME/x\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
