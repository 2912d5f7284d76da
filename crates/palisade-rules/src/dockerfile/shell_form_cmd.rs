use palisade_dockerfile::{Body, CommandForm};

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// `CMD` and `ENTRYPOINT` use the exec (JSON array) form. Text that starts with `[` but is
    /// not valid JSON (single quotes, a trailing comma) is the shell form too, which the
    /// message points out.
    ///
    /// ## Why it matters
    /// In the shell form the program runs as a child of `/bin/sh -c`. The shell is process 1
    /// and does not pass on `SIGTERM`, so `docker stop` and Kubernetes' graceful shutdown wait
    /// for the timeout and then kill the program without letting it clean up. A shell-form
    /// `ENTRYPOINT` also ignores the arguments given by `CMD` and `docker run`.
    ///
    /// ## Example
    /// ```dockerfile
    /// CMD gunicorn --bind 0.0.0.0:8000 app:app
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
    /// ```
    /// When the shell is needed for variables, end the command with `exec` so the program
    /// replaces the shell: `CMD ["sh", "-c", "exec gunicorn --bind 0.0.0.0:$PORT app:app"]`.
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#shell-and-exec-form
    /// - https://docs.docker.com/reference/build-checks/json-args-recommended/
    pub static SHELL_FORM_CMD = {
        id: "DKR025",
        name: "shell-form-cmd",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3025"],
        summary: "`CMD` and `ENTRYPOINT` should use the exec (JSON) form",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for ins in &cx.df.instructions {
        let (Body::Cmd(form) | Body::Entrypoint(form)) = &ins.body else {
            continue;
        };
        let CommandForm::Shell { text, span } = form else {
            continue;
        };
        let keyword = ins.keyword.as_str();
        let message = if text.starts_with('[') {
            format!(
                "`{keyword}` looks like a JSON array but is not valid JSON (use double quotes), so it runs through a shell"
            )
        } else {
            format!(
                "`{keyword}` in shell form runs the program under `/bin/sh -c`, which does not pass on signals"
            )
        };
        cx.report_code(ins, *span, Some("DL3025"), message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_shell_forms_and_broken_json() {
        let v = run_dockerfile(
            &SHELL_FORM_CMD,
            "FROM a:1\nENTRYPOINT ['x']\nCMD run --fast\n",
        );
        assert_eq!(lines(&v), [(2, 12), (3, 5)]);
        assert!(v[0].message.contains("not valid JSON"), "{}", v[0].message);
    }

    #[test]
    fn passes_exec_forms() {
        assert!(
            run_dockerfile(&SHELL_FORM_CMD, "FROM a:1\nENTRYPOINT [\"x\"]\nCMD []\n").is_empty()
        );
    }
}
