use super::stages::image_bases;
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// Every `FROM` that names an image (not `scratch`, not an earlier stage) writes out the
    /// registry it comes from: `docker.io/library/python:3.12`, `ghcr.io/acme/base:1.4`, not
    /// `python:3.12`. Arguments are substituted first, so `FROM ${BASE}` is judged on the
    /// value of `BASE`; a reference whose value is not known is not judged.
    ///
    /// Off by default: many teams rely on Docker Hub being the default on purpose. Turn it on
    /// with `--extend-select base-image-registry-implicit`.
    ///
    /// ## Why it matters
    /// An image without a registry is pulled from whatever the builder treats as default:
    /// Docker Hub for Docker and BuildKit, but a configured search list (`registries.conf`)
    /// for Podman and Buildah, where a short name can resolve to a different registry on a
    /// different machine. Writing the registry makes the source of the base image explicit and
    /// reviewable, and lets mirrors and allow-lists match it.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// FROM docker.io/library/python:3.12-slim
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#from
    /// - https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md
    pub static BASE_IMAGE_REGISTRY_IMPLICIT = {
        id: "DKR001",
        name: "base-image-registry-implicit",
        category: Dockerfile,
        severity: Low,
        default_enabled: false,
        applies: Applies::Dockerfile,
        pss_level: None,
        summary: "Base images should name their registry",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    for (stage, from, word, image) in image_bases(cx.df) {
        if image.registry_explicit || !word.complete {
            continue;
        }
        cx.report(
            from,
            word.span,
            format!(
                "{} is built from `{}`, which names no registry (it resolves to `{}`)",
                stage.label(),
                word.value,
                image.registry
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
    fn flags_images_without_a_registry() {
        let v = run_dockerfile(
            &BASE_IMAGE_REGISTRY_IMPLICIT,
            "ARG BASE=node:22\nFROM python:3.12 AS a\nFROM ${BASE}\nFROM a\n",
        );
        assert_eq!(lines(&v), [(2, 6), (3, 6)]);
        assert!(v[1].message.contains("`node:22`"), "{}", v[1].message);
    }

    #[test]
    fn passes_explicit_registries_scratch_and_unknown_arguments() {
        let v = run_dockerfile(
            &BASE_IMAGE_REGISTRY_IMPLICIT,
            "ARG BASE\nFROM docker.io/library/python:3.12\nFROM scratch\nFROM $BASE\nFROM localhost:5000/x:1\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
