use super::commands::{Manager, PackageCall, not_a_package_name, package_call, scripts};
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// Operating-system packages installed in a `RUN` name a version:
    ///
    /// | manager | pinned form | hadolint |
    /// |---|---|---|
    /// | `apt-get install`, `apt install` | `curl=8.5.0-2` | DL3008 |
    /// | `apk add` | `curl=8.11.1-r0`, `curl~8.11` | DL3018 |
    /// | `yum install` | `curl-8.5.0` | DL3033 |
    /// | `dnf`/`microdnf install` | `curl-8.5.0` | DL3041 |
    /// | `zypper install` | `curl=8.6.0`, `curl>=8` | DL3037 |
    ///
    /// Operands that are variables, paths, URLs or local package files are not package names
    /// and are not judged. One finding per install command, at its first unpinned package.
    ///
    /// ## Why it matters
    /// Without versions, the same Dockerfile installs different software on different days: a
    /// rebuild for an unrelated change can pull a new major version, and two images of one
    /// commit can differ.
    ///
    /// Pins have a cost: distributions drop old versions from their mirrors (Alpine keeps only
    /// the latest `-rN` of a branch), so exact pins break builds until they are bumped. Pin
    /// with a tool that updates them (Renovate), pin to a prefix where the manager allows it
    /// (`apk add curl~8.11`), or ignore this rule for the packages where drift is acceptable.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl=8.5.0-2ubuntu10.6
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/build/building/best-practices/#apt-get
    /// - https://wiki.alpinelinux.org/wiki/Alpine_Package_Keeper#Advanced_usage
    pub static PACKAGE_NOT_PINNED = {
        id: "DKR015",
        name: "package-not-pinned",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3008", "DL3018", "DL3033", "DL3037", "DL3041"],
        summary: "Installed OS packages should be pinned to a version",
        dockerfile_check: check,
    }
}

fn code(m: Manager) -> &'static str {
    match m {
        Manager::AptGet | Manager::Apt => "DL3008",
        Manager::Apk => "DL3018",
        Manager::Yum => "DL3033",
        Manager::Dnf | Manager::Microdnf => "DL3041",
        Manager::Zypper => "DL3037",
    }
}

fn pinned(m: Manager, name: &str) -> bool {
    match m {
        Manager::AptGet | Manager::Apt => name.contains('='),
        Manager::Apk => name.contains(['=', '~', '<', '>']),
        Manager::Zypper => name.contains(['=', '<', '>']) || rpm_versioned(name),
        Manager::Yum | Manager::Dnf | Manager::Microdnf => {
            rpm_versioned(name) || name.contains('=')
        }
    }
}

/// `name-1.2.3`: a `-` followed by a digit (RPM's name-version form).
fn rpm_versioned(name: &str) -> bool {
    name.match_indices('-')
        .any(|(i, _)| name[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
}

fn unpinned<'a>(call: &'a PackageCall<'a>) -> Vec<&'a palisade_dockerfile::shell::ShellWord> {
    call.operands
        .iter()
        .copied()
        .filter(|w| !not_a_package_name(w) && !w.value.starts_with('@'))
        .filter(|w| !pinned(call.manager, &w.value))
        .collect()
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (ins, _, script) in scripts(cx.df) {
        for cmd in &script.commands {
            let Some(call) = package_call(cmd) else {
                continue;
            };
            if !call.installs() {
                continue;
            }
            let names = unpinned(&call);
            let Some(first) = names.first() else { continue };
            let listed: Vec<String> = names
                .iter()
                .take(5)
                .map(|w| format!("`{}`", w.value))
                .collect();
            let more = if names.len() > 5 {
                format!(" and {} more", names.len() - 5)
            } else {
                String::new()
            };
            cx.report_code(
                ins,
                first.span,
                Some(code(call.manager)),
                format!(
                    "`{} {}` installs {}{more} without a version",
                    call.inv.program,
                    call.anchor().value,
                    listed.join(", ")
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
    fn flags_unpinned_packages_of_each_manager() {
        let v = run_dockerfile(
            &PACKAGE_NOT_PINNED,
            "FROM a:1\nRUN apt-get install -y curl=8.5 git\nRUN apk add --no-cache bash\n\
             RUN yum install -y httpd && dnf install -y nginx-1.24.0 jq\nRUN zypper in -y vim\n",
        );
        assert_eq!(lines(&v), [(2, 33), (3, 24), (4, 20), (4, 57), (5, 18)]);
        let codes: Vec<_> = v.iter().map(|v| v.code.unwrap()).collect();
        assert_eq!(codes, ["DL3008", "DL3018", "DL3033", "DL3041", "DL3037"]);
        assert_eq!(
            v[0].message,
            "`apt-get install` installs `git` without a version"
        );
    }

    #[test]
    fn passes_pins_files_variables_and_other_subcommands() {
        let v = run_dockerfile(
            &PACKAGE_NOT_PINNED,
            "FROM a:1\nRUN apt-get update && apt-get install -y ./local.deb \"$PKGS\" curl=8.5\n\
             RUN apk add --virtual .build-deps gcc=13.2.1-r0 && apk del .build-deps\nRUN apk upgrade\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
