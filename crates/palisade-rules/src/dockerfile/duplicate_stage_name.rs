use palisade_dockerfile::Body;

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// No two stages have the same name (`FROM … AS name`), compared without case as BuildKit
    /// compares them. The second and later uses are reported.
    ///
    /// ## Why it matters
    /// BuildKit refuses the file; older builders let the later stage shadow the earlier one,
    /// so `COPY --from=name` silently copies from a different stage than the author meant.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22 AS build
    /// FROM golang:1.23 AS build
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// FROM node:22 AS web-build
    /// FROM golang:1.23 AS api-build
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/build-checks/duplicate-stage-name/
    pub static DUPLICATE_STAGE_NAME = {
        id: "DKR027",
        name: "duplicate-stage-name",
        category: Dockerfile,
        severity: High,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3024"],
        summary: "Stage names should be unique",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    let df = cx.df;
    for (i, stage) in df.stages.iter().enumerate() {
        let Some(name) = &stage.name else { continue };
        let Some(first) = df.stages[..i].iter().find(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        }) else {
            continue;
        };
        let Some(from) = df.from_of(stage) else {
            continue;
        };
        let Body::From {
            alias: Some(alias), ..
        } = &from.body
        else {
            continue;
        };
        let line = df.from_of(first).map_or(0, |f| f.span.start.line);
        cx.report_code(
            from,
            alias.span,
            Some("DL3024"),
            format!("stage name `{name}` is already used on line {line}"),
        );
        cx.about(name.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_repeated_names_in_any_case() {
        let v = run_dockerfile(
            &DUPLICATE_STAGE_NAME,
            "FROM a:1 AS build\nFROM b:1 AS BUILD\n",
        );
        assert_eq!(lines(&v), [(2, 13)]);
    }

    #[test]
    fn passes_unique_names() {
        assert!(
            run_dockerfile(
                &DUPLICATE_STAGE_NAME,
                "FROM a:1 AS a\nFROM b:1 AS b\nFROM c:1\n"
            )
            .is_empty()
        );
    }
}
