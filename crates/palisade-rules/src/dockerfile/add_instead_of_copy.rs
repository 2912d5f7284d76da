use palisade_dockerfile::{Body, Source};

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// `ADD` is used only for what `COPY` cannot do: downloading a URL, cloning a Git
    /// repository, or unpacking a local tar archive (`.tar`, `.tar.gz`, `.tgz`, `.tar.bz2`,
    /// `.tbz2`, `.tar.xz`, `.txz`, `.tar.zst`). An `ADD` whose sources are all plain local
    /// files, folders or heredocs should be a `COPY`. Sources whose names depend on an unknown
    /// argument are given the benefit of the doubt.
    ///
    /// ## Why it matters
    /// `ADD` does more than copy: it unpacks anything that looks like an archive and fetches
    /// anything that looks like a URL. Using it for plain files invites surprises (a file that
    /// is later renamed to `.tar.gz` gets unpacked) and hides the intent from reviewers.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD requirements.txt /app/
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// COPY requirements.txt /app/
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/build/building/best-practices/#add-or-copy
    pub static ADD_INSTEAD_OF_COPY = {
        id: "DKR011",
        name: "add-instead-of-copy",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3020"],
        summary: "Use `COPY` rather than `ADD` for local files",
        dockerfile_check: check,
    }
}

const ARCHIVES: &[&str] = &[
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".tzst",
    ".tar.lz", ".tar.z",
];

fn check(cx: &mut DockerfileCx<'_>) {
    for ins in &cx.df.instructions {
        let Body::Add(t) = &ins.body else { continue };
        let plain = t.sources.iter().all(|s| match s {
            Source::Heredoc(_) => true,
            Source::Path(w) => {
                let v = w.value.to_ascii_lowercase();
                w.complete
                    && !v.contains("://")
                    && !v.starts_with("git@")
                    && !ARCHIVES.iter().any(|a| v.ends_with(a))
            }
        });
        if plain {
            cx.report_code(
                ins,
                ins.keyword_span,
                Some("DL3020"),
                "`ADD` copies only local files here; `COPY` says so and does nothing more",
            );
            cx.about(t.dest.value.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_plain_local_sources() {
        let v = run_dockerfile(
            &ADD_INSTEAD_OF_COPY,
            "FROM a:1\nADD app.py conf/ /app/\nADD <<EOF /x\nhi\nEOF\n",
        );
        assert_eq!(lines(&v), [(2, 1), (3, 1)]);
    }

    #[test]
    fn passes_archives_urls_git_and_unknown_names() {
        let v = run_dockerfile(
            &ADD_INSTEAD_OF_COPY,
            "FROM a:1\nADD rootfs.tar.xz /\nADD https://x.io/a /a\nADD git@github.com:a/b.git /b\nARG F\nADD $F /f\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
