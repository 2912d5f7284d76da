use super::stages::image_bases;
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// Every `FROM` that names an image pins it by digest (`@sha256:…`). Arguments are
    /// substituted first; references whose value is not known, `scratch` and earlier stages
    /// are not judged.
    ///
    /// Off by default: digests need tooling (Renovate, Dependabot) to stay current. Turn it on
    /// with `--extend-select base-image-not-digest-pinned`.
    ///
    /// ## Why it matters
    /// A tag can be moved to another image at any time, by the publisher or by whoever takes
    /// over the account. A digest names exactly one image, so the build is reproducible and a
    /// replaced base image cannot slip in.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// FROM python:3.12-slim@sha256:<digest of that image>
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#from
    /// - https://docs.docker.com/build/building/best-practices/#pin-base-image-versions
    pub static BASE_IMAGE_NOT_DIGEST_PINNED = {
        id: "DKR004",
        name: "base-image-not-digest-pinned",
        category: Dockerfile,
        severity: Low,
        default_enabled: false,
        applies: Applies::Dockerfile,
        pss_level: None,
        summary: "Base images should be pinned by digest",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (stage, from, word, image) in image_bases(cx.df) {
        if !word.complete || image.digest.is_some() {
            continue;
        }
        cx.report(
            from,
            word.span,
            format!(
                "{} is built from `{}` without a digest",
                stage.label(),
                word.value
            ),
        );
        cx.about(word.value.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_images_without_a_digest() {
        let v = run_dockerfile(&BASE_IMAGE_NOT_DIGEST_PINNED, "FROM alpine:3.20\n");
        assert_eq!(lines(&v), [(1, 6)]);
    }

    #[test]
    fn passes_digests_stages_and_scratch() {
        let v = run_dockerfile(
            &BASE_IMAGE_NOT_DIGEST_PINNED,
            "FROM alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS a\nFROM a\nFROM scratch\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
