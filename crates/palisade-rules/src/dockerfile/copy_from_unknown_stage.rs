use palisade_dockerfile::{Dockerfile, Instruction, Keyword, Word};

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// `COPY --from=…` and `RUN --mount=…,from=…` name a stage that exists and is not the
    /// current one:
    ///
    /// * a stage index (`--from=0`) must be an earlier stage;
    /// * a name must be the name of another stage (compared without case). A name that matches
    ///   no stage and does not look like an image reference (it has no `/`, `:`, `.` or `@`)
    ///   is reported: BuildKit would silently pull an image of that name from Docker Hub, which
    ///   is almost never what a typo meant. Write images with a tag (`--from=nginx:1.27`).
    ///
    /// Values that depend on unknown arguments are not judged.
    ///
    /// ## Why it matters
    /// A stage copying from itself fails the build, and a misspelt stage name turns into a
    /// pull of an unrelated public image whose files then land in yours.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// RUN go build -o /out/app .
    /// FROM gcr.io/distroless/static:nonroot
    /// COPY --from=biuld /out/app /app
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// COPY --from=build /out/app /app
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#copy---from
    /// - https://docs.docker.com/build/building/multi-stage/
    pub static COPY_FROM_UNKNOWN_STAGE = {
        id: "DKR026",
        name: "copy-from-unknown-stage",
        category: Dockerfile,
        severity: High,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3022", "DL3023"],
        summary: "`COPY --from` should name another existing stage",
        dockerfile_check: check,
    }
}

/// What `--from` refers to.
fn judge(df: &Dockerfile, current: usize, value: &str) -> Option<(&'static str, String)> {
    if let Ok(n) = value.parse::<usize>() {
        return match n {
            n if n == current => Some(("DL3023", format!("`--from={value}` is this stage itself"))),
            n if n > current => Some((
                "DL3022",
                format!("`--from={value}` names a stage that does not come before this one"),
            )),
            _ => None,
        };
    }
    let named = df.stages.iter().find(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(value))
    });
    match named {
        Some(s) if s.index == current => {
            Some(("DL3023", format!("`--from={value}` is this stage itself")))
        }
        Some(_) => None,
        None if value.contains(['/', ':', '.', '@']) => None,
        None => Some((
            "DL3022",
            format!(
                "`--from={value}` names no stage of this file; BuildKit would pull an image called `{value}`"
            ),
        )),
    }
}

fn from_values(ins: &Instruction) -> Vec<(Word, String)> {
    ins.flags
        .iter()
        .filter_map(|f| {
            let v = f.value.as_ref()?;
            match (ins.keyword, f.name.as_str()) {
                (Keyword::Copy, "from") => Some((v.clone(), v.value.clone())),
                (Keyword::Run, "mount") => v
                    .value
                    .split(',')
                    .find_map(|kv| kv.strip_prefix("from="))
                    .map(|from| (v.clone(), from.to_string())),
                _ => None,
            }
        })
        .collect()
}

fn check(cx: &mut DockerfileCx<'_>) {
    for ins in &cx.df.instructions {
        let Some(current) = ins.stage else { continue };
        for (word, value) in from_values(ins) {
            if !word.complete || ins.onbuild.is_some() {
                continue;
            }
            if let Some((code, message)) = judge(cx.df, current, &value) {
                cx.report_code(ins, word.span, Some(code), message);
                cx.about(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_own_later_and_unknown_stages() {
        let v = run_dockerfile(
            &COPY_FROM_UNKNOWN_STAGE,
            "FROM a:1 AS build\nCOPY --from=Build /x /y\nFROM b:1\nCOPY --from=biuld /x /y\n\
             COPY --from=2 /x /y\nRUN --mount=type=bind,from=nope,target=/m ls\n",
        );
        assert_eq!(lines(&v), [(2, 13), (4, 13), (5, 13), (6, 13)]);
        let codes: Vec<_> = v.iter().map(|v| v.code.unwrap()).collect();
        assert_eq!(codes, ["DL3023", "DL3022", "DL3022", "DL3022"]);
    }

    #[test]
    fn passes_earlier_stages_indexes_and_images() {
        let v = run_dockerfile(
            &COPY_FROM_UNKNOWN_STAGE,
            "FROM a:1 AS build\nFROM b:1\nCOPY --from=build /x /y\nCOPY --from=0 /x /y\n\
             COPY --from=nginx:1.27 /etc/nginx /n\nARG S\nCOPY --from=$S /a /b\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
