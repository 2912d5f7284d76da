use palisade_dockerfile::{Body, Run};

use super::commands::scripts;
use super::language_package_not_pinned::pip_install_args;
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// `pip install` (and `python -m pip install`) runs with `--no-cache-dir`, unless the
    /// stage sets `ENV PIP_NO_CACHE_DIR=1` (any value other than `0`, `false`, `no` or `off`)
    /// or the `RUN` mounts a cache on pip's cache folder (`--mount=type=cache,target=/root/.cache/pip`).
    /// Only stages whose files ship in the final image are checked.
    ///
    /// ## Why it matters
    /// pip keeps every downloaded wheel in `~/.cache/pip`. In an image that cache is dead
    /// weight, often larger than the installed packages, and it stays in the layer even if a
    /// later `RUN` deletes it.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN pip install -r requirements.txt
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// ```
    ///
    /// ## References
    /// - https://pip.pypa.io/en/stable/topics/caching/
    pub static PIP_CACHE_NOT_DISABLED = {
        id: "DKR021",
        name: "pip-cache-not-disabled",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3042"],
        summary: "`pip install` should use `--no-cache-dir`",
        dockerfile_check: check,
    }
}

fn stage_disables_cache(cx: &DockerfileCx<'_>, stage: usize, before: usize) -> bool {
    let lineage = cx.df.shipped_stages();
    let mut stages: Vec<usize> = lineage.into_iter().skip_while(|&s| s != stage).collect();
    stages.reverse();
    stages.iter().any(|&s| {
        let Some(st) = cx.df.stages.get(s) else { return false };
        cx.df.stage_instructions(st).iter().any(|i| {
            i.index < before
                && matches!(&i.body, Body::Env(pairs) if pairs.iter().any(|p| {
                    p.key == "PIP_NO_CACHE_DIR"
                        && !matches!(p.value.value.to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off" | "")
                }))
        })
    })
}

fn check(cx: &mut DockerfileCx<'_>) {
    let shipped = cx.df.shipped_stages();
    for (ins, _, script) in scripts(cx.df) {
        let Some(stage) = ins.stage.filter(|s| shipped.contains(s)) else {
            continue;
        };
        if Run::cache_targets(ins)
            .iter()
            .any(|t| t.contains(".cache/pip") || t.contains(".cache"))
            || stage_disables_cache(cx, stage, ins.index)
        {
            continue;
        }
        for cmd in &script.commands {
            let Some(args) = pip_install_args(cmd) else {
                continue;
            };
            if args.iter().any(|a| a.value == "--no-cache-dir") {
                continue;
            }
            cx.report_code(
                ins,
                cmd.name.span,
                Some("DL3042"),
                "`pip install` keeps its download cache in the layer; add `--no-cache-dir`",
            );
            cx.about(cmd.program());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_pip_without_no_cache_dir() {
        let v = run_dockerfile(
            &PIP_CACHE_NOT_DISABLED,
            "FROM a:1\nRUN pip3 install x==1 && python -m pip install y==1\n",
        );
        assert_eq!(lines(&v), [(2, 5), (2, 26)]);
    }

    #[test]
    fn passes_the_flag_the_env_cache_mounts_and_builder_stages() {
        let v = run_dockerfile(
            &PIP_CACHE_NOT_DISABLED,
            "FROM a:1 AS build\nRUN pip install x==1\nFROM b:1\nRUN pip install --no-cache-dir x==1\n\
             RUN --mount=type=cache,target=/root/.cache/pip pip install y==1\nENV PIP_NO_CACHE_DIR=1\nRUN pip install z==1\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
