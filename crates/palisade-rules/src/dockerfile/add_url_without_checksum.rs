use palisade_dockerfile::{Body, Source};

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// Every `ADD` of an `http://` or `https://` URL has a `--checksum=sha256:…` flag. Git
    /// sources (`…​.git`, `git@…`) are not judged here.
    ///
    /// ## Why it matters
    /// Without a checksum, `ADD` puts whatever the server returns into the image: a moved
    /// release, a compromised mirror or a tampered download is built in silently. With
    /// `--checksum` the build fails when the content differs from the one you reviewed.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// ADD --checksum=sha256:93dcc18adc78c65a028a84799ecf8ad40c936fdfc5f2a57b1acda5a8117fa82c \
    ///     https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#add---checksum
    pub static ADD_URL_WITHOUT_CHECKSUM = {
        id: "DKR010",
        name: "add-url-without-checksum",
        category: Dockerfile,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        summary: "`ADD` of a URL should verify a `--checksum`",
        dockerfile_check: check,
    }
}

/// A URL without what may carry a credential (user information, query, fragment).
fn url_without_credentials(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit('@').next().unwrap_or(authority);
    format!("{scheme}://{host}{path}")
}

fn check(cx: &mut DockerfileCx<'_>) {
    for ins in &cx.df.instructions {
        let Body::Add(t) = &ins.body else { continue };
        if ins.flag("checksum").is_some() {
            continue;
        }
        for s in &t.sources {
            let Source::Path(w) = s else { continue };
            let v = w.value.to_ascii_lowercase();
            let url = v.starts_with("http://") || v.starts_with("https://");
            if url && !v.ends_with(".git") && !v.contains(".git#") {
                cx.report(
                    ins,
                    w.span,
                    format!(
                        "`ADD {}` downloads without a `--checksum`",
                        url_without_credentials(&w.value)
                    ),
                );
                cx.about(url_without_credentials(&w.value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_urls_without_a_checksum() {
        let v = run_dockerfile(
            &ADD_URL_WITHOUT_CHECKSUM,
            "FROM a:1\nARG V=1.0\nADD --chmod=755 https://x.io/v${V}/tool /usr/local/bin/tool\n",
        );
        assert_eq!(lines(&v), [(3, 17)]);
        assert!(
            v[0].message.contains("https://x.io/v1.0/tool"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn messages_leave_out_credentials_in_the_url() {
        let v = run_dockerfile(
            &ADD_URL_WITHOUT_CHECKSUM,
            "FROM a:1\nADD https://u:Leak1@h.io/f.tgz?token=Leak2#Leak3 /x\n",
        );
        assert_eq!(v.len(), 1);
        assert!(!v[0].message.contains("Leak"), "{}", v[0].message);
        assert!(
            v[0].message.contains("https://h.io/f.tgz"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn passes_checksums_local_files_and_git() {
        let v = run_dockerfile(
            &ADD_URL_WITHOUT_CHECKSUM,
            "FROM a:1\nADD --checksum=sha256:abc https://x.io/t /t\nADD app.tar.gz /app\nADD https://github.com/a/b.git /src\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
