use palisade_dockerfile::{Instruction, Keyword};

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// A stage has at most one `CMD`, one `ENTRYPOINT` and one `HEALTHCHECK`. Only the last of
    /// each takes effect, so every earlier one is reported, pointing at the later one that
    /// replaces it. `ONBUILD` triggers are not counted.
    ///
    /// ## Why it matters
    /// The earlier instructions are dead code that readers take at face value: a reviewer sees
    /// the first `CMD` and believes it is what runs.
    ///
    /// ## Example
    /// ```dockerfile
    /// CMD ["gunicorn", "app:app"]
    /// COPY . /app
    /// CMD ["python", "app.py"]
    /// ```
    ///
    /// ## Fix
    /// Keep the one that should run:
    /// ```dockerfile
    /// COPY . /app
    /// CMD ["gunicorn", "app:app"]
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#cmd
    /// - https://docs.docker.com/reference/dockerfile/#entrypoint
    /// - https://docs.docker.com/reference/dockerfile/#healthcheck
    pub static INSTRUCTION_REPEATED = {
        id: "DKR024",
        name: "instruction-repeated",
        category: Dockerfile,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL4003", "DL4004", "DL3012"],
        summary: "A stage should have one `CMD`, one `ENTRYPOINT` and one `HEALTHCHECK`",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for stage in &cx.df.stages {
        for (keyword, code) in [
            (Keyword::Cmd, "DL4003"),
            (Keyword::Entrypoint, "DL4004"),
            (Keyword::Healthcheck, "DL3012"),
        ] {
            let found: Vec<&Instruction> = cx
                .df
                .stage_instructions(stage)
                .iter()
                .filter(|i| i.keyword == keyword && i.runs_here())
                .collect();
            let Some(last) = found.last() else { continue };
            for earlier in &found[..found.len() - 1] {
                cx.report_code(
                    earlier,
                    earlier.keyword_span,
                    Some(code),
                    format!(
                        "this `{}` has no effect: the one on line {} replaces it",
                        keyword.as_str(),
                        last.span.start.line
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_every_replaced_instruction() {
        let v = run_dockerfile(
            &INSTRUCTION_REPEATED,
            "FROM a:1\nCMD a\nENTRYPOINT [\"b\"]\nCMD c\nHEALTHCHECK NONE\nCMD d\nHEALTHCHECK CMD x\n",
        );
        assert_eq!(lines(&v), [(2, 1), (4, 1), (5, 1)]);
        assert_eq!(v[0].code, Some("DL4003"));
        assert!(v[0].message.contains("line 6"), "{}", v[0].message);
    }

    #[test]
    fn passes_one_per_stage() {
        let v = run_dockerfile(
            &INSTRUCTION_REPEATED,
            "FROM a:1\nCMD a\nFROM b:1\nCMD b\nONBUILD CMD c\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
