use palisade_dockerfile::Keyword;

use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// The file does not use `MAINTAINER`.
    ///
    /// ## Why it matters
    /// `MAINTAINER` has been deprecated since Docker 1.13 and is not part of the OCI image
    /// configuration; tools that read image metadata look for the
    /// `org.opencontainers.image.authors` label instead.
    ///
    /// ## Example
    /// ```dockerfile
    /// MAINTAINER Jane Doe <jane@example.com>
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#maintainer-deprecated
    /// - https://github.com/opencontainers/image-spec/blob/main/annotations.md
    pub static MAINTAINER_DEPRECATED = {
        id: "DKR029",
        name: "maintainer-deprecated",
        category: Dockerfile,
        severity: Low,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL4000"],
        summary: "Use the `org.opencontainers.image.authors` label rather than `MAINTAINER`",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for ins in cx
        .df
        .instructions
        .iter()
        .filter(|i| i.keyword == Keyword::Maintainer)
    {
        cx.report_code(
            ins,
            ins.keyword_span,
            Some("DL4000"),
            "`MAINTAINER` is deprecated; use the `org.opencontainers.image.authors` label",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_maintainer() {
        assert_eq!(
            lines(&run_dockerfile(
                &MAINTAINER_DEPRECATED,
                "FROM a:1\nMAINTAINER me\n"
            )),
            [(2, 1)]
        );
    }

    #[test]
    fn passes_labels() {
        assert!(
            run_dockerfile(
                &MAINTAINER_DEPRECATED,
                "FROM a:1\nLABEL org.opencontainers.image.authors=me\n"
            )
            .is_empty()
        );
    }
}
