use super::commands::scripts;
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// No `RUN` changes directory with `cd` at its top level. A `cd` inside a subshell
    /// (`(cd src && make)`) or a command substitution is left alone: it says on its face that
    /// the change is local. One finding per `RUN`.
    ///
    /// ## Why it matters
    /// The change lasts only for that `RUN`, which readers often forget: the next instruction
    /// runs in the previous `WORKDIR` again. `WORKDIR` states the directory once, for every
    /// later instruction, and creates it if needed.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN cd /src && make
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// WORKDIR /src
    /// RUN make
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/build/building/best-practices/#workdir
    pub static CD_IN_RUN = {
        id: "DKR023",
        name: "cd-in-run",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3003"],
        summary: "Use `WORKDIR` rather than `cd` in `RUN`",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (ins, _, script) in scripts(cx.df) {
        if let Some(cd) = script
            .commands
            .iter()
            .find(|c| c.program() == "cd" && !c.subshell && !c.nested)
        {
            cx.report_code(
                ins,
                cd.name.span,
                Some("DL3003"),
                "`cd` in `RUN` lasts only for this instruction; use `WORKDIR`",
            );
            let to = cd.args.first().map_or("", |a| a.value.as_str());
            cx.about(format!("cd {to}").trim_end());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_top_level_cd_once_per_run() {
        let v = run_dockerfile(&CD_IN_RUN, "FROM a:1\nRUN cd /a && make && cd /b\n");
        assert_eq!(lines(&v), [(2, 5)]);
    }

    #[test]
    fn passes_subshells() {
        assert!(
            run_dockerfile(
                &CD_IN_RUN,
                "FROM a:1\nRUN (cd /a && make) && x=$(cd /b; pwd)\n"
            )
            .is_empty()
        );
    }
}
