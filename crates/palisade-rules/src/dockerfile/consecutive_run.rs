use palisade_dockerfile::{Instruction, Keyword};

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// No stage has several `RUN` instructions in a row that could be one: each run of
    /// consecutive shell-form `RUN`s with the same flags (`--mount`, `--network`,
    /// `--security`) gets one finding, on the second `RUN`. `RUN`s with different flags, in the
    /// exec form, with heredocs, or already running more than two commands are left alone (a
    /// long step kept apart is usually a deliberate cache boundary), and so is any `RUN` that
    /// follows another instruction.
    ///
    /// ## Why it matters
    /// Each `RUN` is a layer. Files a step deletes stay in the layer of the step that created
    /// them (cleaning a package cache in a later `RUN` saves nothing), and many small layers
    /// make pulls slower.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update
    /// RUN apt-get install -y --no-install-recommends curl
    /// RUN rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// RUN apt-get update \
    ///  && apt-get install -y --no-install-recommends curl \
    ///  && rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/build/building/best-practices/#minimize-the-number-of-layers
    pub static CONSECUTIVE_RUN = {
        id: "DKR013",
        name: "consecutive-run",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3059"],
        summary: "Consecutive `RUN` instructions should be combined",
        dockerfile_check: check,
    }
}

fn mergeable(i: &Instruction) -> bool {
    i.runs_here()
        && i.run().is_some_and(|r| {
            r.command.is_shell()
                && r.heredocs.is_empty()
                && r.script
                    .as_ref()
                    .is_some_and(|s| s.commands.iter().filter(|c| !c.nested).count() <= 2)
        })
}

fn same_flags(a: &Instruction, b: &Instruction) -> bool {
    let flags = |i: &Instruction| -> Vec<(String, Option<String>)> {
        i.flags
            .iter()
            .map(|f| (f.name.clone(), f.value.as_ref().map(|v| v.raw.clone())))
            .collect()
    };
    flags(a) == flags(b)
}

fn check(cx: &mut DockerfileCx<'_>) {
    for stage in &cx.df.stages {
        let ins: Vec<&Instruction> = cx
            .df
            .stage_instructions(stage)
            .iter()
            .filter(|i| i.runs_here())
            .collect();
        let mut i = 0;
        while i < ins.len() {
            let mut j = i + 1;
            while j < ins.len()
                && ins[j].keyword == Keyword::Run
                && mergeable(ins[i])
                && mergeable(ins[j])
                && same_flags(ins[i], ins[j])
            {
                j += 1;
            }
            if j - i >= 2 {
                let (first, last) = (ins[i], ins[j - 1]);
                cx.report_code(
                    ins[i + 1],
                    ins[i + 1].keyword_span,
                    Some("DL3059"),
                    format!(
                        "{} consecutive `RUN` instructions (lines {}–{}) could be one layer",
                        j - i,
                        first.span.start.line,
                        last.span.start.line
                    ),
                );
            }
            i = j.max(i + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_each_group_once() {
        let v = run_dockerfile(
            &CONSECUTIVE_RUN,
            "FROM a:1\nRUN a\nRUN b\nRUN c\nENV X=1\nRUN d\n# note\nRUN e\n",
        );
        assert_eq!(lines(&v), [(3, 1), (8, 1)]);
        assert!(
            v[0].message.starts_with("3 consecutive"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn passes_different_flags_and_exec_forms() {
        let v = run_dockerfile(
            &CONSECUTIVE_RUN,
            "FROM a:1\nRUN a\nRUN --mount=type=cache,target=/c b\nRUN [\"c\"]\nRUN d\nRUN e && f && g\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
