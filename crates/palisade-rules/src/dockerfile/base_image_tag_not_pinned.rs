use super::stages::image_bases;
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// Every `FROM` that names an image gives a tag other than `latest`, or a digest. Arguments
    /// are substituted with their defaults and `--build-arg` values first, so
    /// `FROM node:${NODE_VERSION}` with `ARG NODE_VERSION=22.11` passes, and `FROM ${IMAGE}`
    /// is judged on what `IMAGE` holds. A reference whose value is not known (an `ARG`
    /// without a default) is not judged; `scratch` and earlier stages are not images.
    ///
    /// ## Why it matters
    /// Without a tag the builder pulls `latest`, whatever was pushed last: two builds of the
    /// same commit can produce different images, and a rebuild for a security fix can pull in
    /// an unrelated major upgrade.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM ubuntu
    /// FROM node:latest AS build
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// FROM ubuntu:24.04
    /// FROM node:22.11-bookworm AS build
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#from
    /// - https://docs.docker.com/build/building/best-practices/#from
    pub static BASE_IMAGE_TAG_NOT_PINNED = {
        id: "DKR003",
        name: "base-image-tag-not-pinned",
        category: Dockerfile,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3006", "DL3007"],
        summary: "Base images should name a tag other than `latest`, or a digest",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (stage, from, word, image) in image_bases(cx.df) {
        if !word.complete || image.digest.is_some() {
            continue;
        }
        let (code, message) = match image.tag.as_deref() {
            None => (
                "DL3006",
                format!(
                    "{} is built from `{}`, which has no tag, so the build pulls `latest`",
                    stage.label(),
                    word.value
                ),
            ),
            Some("latest") => (
                "DL3007",
                format!(
                    "{} is built from `{}`, which uses the moving `latest` tag",
                    stage.label(),
                    word.value
                ),
            ),
            Some(_) => continue,
        };
        cx.report_code(from, word.span, Some(code), message);
        cx.about(word.value.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lines, run_dockerfile};

    #[test]
    fn flags_untagged_and_latest_images_after_substitution() {
        let v = run_dockerfile(
            &BASE_IMAGE_TAG_NOT_PINNED,
            "ARG IMAGE=ubuntu\nFROM ${IMAGE} AS a\nFROM node:latest\nFROM localhost:5000/app\n",
        );
        assert_eq!(lines(&v), [(2, 6), (3, 6), (4, 6)]);
        assert_eq!(v[0].code, Some("DL3006"));
        assert_eq!(v[1].code, Some("DL3007"));
        assert!(v[0].message.contains("`ubuntu`"), "{}", v[0].message);
    }

    #[test]
    fn passes_tags_digests_stages_and_unknown_values() {
        let v = run_dockerfile(
            &BASE_IMAGE_TAG_NOT_PINNED,
            "ARG V=22\nARG UNSET\nFROM node:${V} AS a\nFROM a\nFROM scratch\nFROM $UNSET\n\
             FROM alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\
             FROM golang:${GO:-1.23}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
