use palisade_dockerfile::Run;
use palisade_dockerfile::shell::Script;

use super::commands::{Manager, PackageCall, has_flag, invocation, package_call, scripts};
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// A `RUN` that installs operating-system packages also removes the package manager's
    /// download cache, in the same `RUN`, after the install:
    ///
    /// | manager | accepted | hadolint |
    /// |---|---|---|
    /// | `apt-get`, `apt` | `rm -rf /var/lib/apt/lists/*` | DL3009 |
    /// | `apk` | `apk add --no-cache`, `rm -rf /var/cache/apk/*`, `apk cache clean` | DL3019 |
    /// | `yum` | `yum clean all`, `rm -rf /var/cache/yum` | DL3032 |
    /// | `dnf`, `microdnf` | `dnf clean all`, `microdnf clean all`, `rm -rf /var/cache/dnf` | DL3040 |
    /// | `zypper` | `zypper clean`, `zypper cc`, `rm -rf /var/cache/zypp` | DL3036 |
    ///
    /// A `RUN --mount=type=cache` on the cache folder passes too: the cache then never reaches
    /// a layer. Only stages whose files ship in the final image are checked (the final stage
    /// and the stages it is built `FROM`); a builder stage used through `COPY --from` leaves its
    /// caches behind anyway.
    ///
    /// ## Why it matters
    /// Package indexes and downloaded archives are tens to hundreds of megabytes that the
    /// running container never reads. Removing them in a later `RUN` saves nothing: they stay
    /// in the earlier layer.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl
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
    /// - https://docs.docker.com/build/building/best-practices/#apt-get
    /// - https://docs.docker.com/build/cache/optimize/#use-cache-mounts
    pub static PACKAGE_CACHE_NOT_CLEANED = {
        id: "DKR017",
        name: "package-cache-not-cleaned",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3009", "DL3019", "DL3032", "DL3036", "DL3040"],
        summary: "Package installs should clean the package cache in the same `RUN`",
        dockerfile_check: check,
    }
}

/// hadolint code, cache folders, and the cleaning subcommands (`program`, `args…`).
fn cleaning(
    m: Manager,
) -> (
    &'static str,
    &'static [&'static str],
    &'static [&'static [&'static str]],
) {
    match m {
        Manager::AptGet | Manager::Apt => ("DL3009", &["/var/lib/apt/lists"], &[]),
        Manager::Apk => (
            "DL3019",
            &["/var/cache/apk", "/etc/apk/cache"],
            &[&["apk", "cache", "clean"], &["apk", "cache", "purge"]],
        ),
        Manager::Yum => ("DL3032", &["/var/cache/yum"], &[&["yum", "clean", "all"]]),
        Manager::Dnf | Manager::Microdnf => (
            "DL3040",
            &["/var/cache/dnf", "/var/cache/yum"],
            &[
                &["dnf", "clean", "all"],
                &["microdnf", "clean", "all"],
                &["tdnf", "clean", "all"],
            ],
        ),
        Manager::Zypper => (
            "DL3036",
            &["/var/cache/zypp"],
            &[&["zypper", "clean"], &["zypper", "cc"]],
        ),
    }
}

fn cleaned(call: &PackageCall<'_>, index: usize, script: &Script, mounts: &[String]) -> bool {
    let (_, folders, commands) = cleaning(call.manager);
    if call.manager == Manager::Apk && has_flag(&call.options, None, &["no-cache"]) {
        return true;
    }
    if mounts.iter().any(|m| {
        folders
            .iter()
            .any(|f| f.starts_with(m.trim_end_matches('/')) || m.starts_with(f))
    }) {
        return true;
    }
    script.commands[index + 1..].iter().any(|c| {
        let inv = invocation(c);
        let args: Vec<&str> = inv.args.iter().map(|a| a.value.as_str()).collect();
        (inv.program == "rm"
            && args
                .iter()
                .any(|a| folders.iter().any(|f| a.starts_with(f))))
            || commands.iter().any(|cmd| {
                cmd[0] == inv.program
                    && args
                        .iter()
                        .filter(|a| !a.starts_with('-'))
                        .copied()
                        .collect::<Vec<_>>()
                        == cmd[1..]
            })
    })
}

fn check(cx: &mut DockerfileCx<'_>) {
    let shipped = cx.df.shipped_stages();
    for (ins, _, script) in scripts(cx.df) {
        if !ins.stage.is_some_and(|s| shipped.contains(&s)) {
            continue;
        }
        let mounts = Run::cache_targets(ins);
        let mut seen: Vec<&str> = Vec::new();
        for (i, cmd) in script.commands.iter().enumerate() {
            let Some(call) = package_call(cmd) else {
                continue;
            };
            let (code, ..) = cleaning(call.manager);
            if !call.installs() || seen.contains(&code) || cleaned(&call, i, script, &mounts) {
                continue;
            }
            seen.push(code);
            cx.report_code(
                ins,
                call.anchor().span,
                Some(code),
                format!(
                    "`{} {}` leaves the package cache in the layer; clean it in the same `RUN`",
                    call.inv.program,
                    call.anchor().value
                ),
            );
            cx.about(call.subject());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_installs_without_cleanup_in_shipped_stages() {
        let v = run_dockerfile(
            &PACKAGE_CACHE_NOT_CLEANED,
            "FROM a:1 AS build\nRUN apt-get install -y gcc\nFROM build AS base\n\
             RUN rm -rf /var/lib/apt/lists/* && apt-get install -y curl\nRUN apk add bash\n\
             RUN yum install -y x\nFROM base\nRUN dnf install -y y && microdnf install z\n",
        );
        assert_eq!(lines(&v), [(2, 13), (4, 44), (5, 9), (6, 9), (8, 9)]);
        let codes: Vec<_> = v.iter().map(|v| v.code.unwrap()).collect();
        assert_eq!(codes, ["DL3009", "DL3009", "DL3019", "DL3032", "DL3040"]);
    }

    #[test]
    fn passes_cleanups_cache_mounts_and_builder_stages() {
        let v = run_dockerfile(
            &PACKAGE_CACHE_NOT_CLEANED,
            "FROM a:1 AS build\nRUN apt-get install -y gcc\nFROM b:1\n\
             RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n\
             RUN apk add --no-cache bash\nRUN yum install -y x && yum clean all\n\
             RUN --mount=type=cache,target=/var/lib/apt/lists apt-get install -y z\n\
             RUN zypper -n in q && zypper clean -a\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
