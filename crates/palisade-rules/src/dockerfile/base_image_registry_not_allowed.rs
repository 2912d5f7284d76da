use crate::image::allowed::{allowed_entries, is_allowed};

use super::stages::image_bases;
use crate::declare_rule;
use crate::rule::{Applies, DockerfileCx};

declare_rule! {
    /// ## What it checks
    /// Every `FROM` that names an image comes from an allowed registry. The list comes from
    /// `--allowed-registry` and from `trustedRegistries` in a `.hadolint.yaml`; with no list
    /// the rule checks nothing, and giving one turns it on.
    ///
    /// An entry is a registry host (`ghcr.io`), a registry and path prefix matched at a `/`
    /// boundary (`ghcr.io/acme`), or a host pattern with a leading `*.` (`*.gcr.io` allows
    /// `eu.gcr.io` and `gcr.io` itself is not included). Images without a registry come from
    /// `docker.io`. Arguments are substituted first; an image whose reference is not known is
    /// not judged, and neither are `scratch` and earlier stages.
    ///
    /// ## Why it matters
    /// The base image is code that runs in every build and ships in every image. Pulling it
    /// only from registries you mirror or control means it went through your scanning and
    /// signing, and a typo-squatted public repository never becomes your base.
    ///
    /// ## Example
    /// With `--allowed-registry registry.example.com`:
    /// ```dockerfile
    /// FROM docker.io/someone/base:1.0
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// FROM registry.example.com/mirror/someone/base:1.0
    /// ```
    ///
    /// ## References
    /// - https://docs.docker.com/reference/dockerfile/#from
    /// - https://github.com/hadolint/hadolint#configure (trustedRegistries)
    pub static BASE_IMAGE_REGISTRY_NOT_ALLOWED = {
        id: "DKR002",
        name: "base-image-registry-not-allowed",
        category: Dockerfile,
        severity: High,
        default_enabled: false,
        applies: Applies::Dockerfile,
        pss_level: None,
        aliases: ["DL3026"],
        summary: "Base images should come from an allowed registry",
        dockerfile_check: check,
    }
}

fn check(cx: &mut DockerfileCx<'_>) {
    let allowed = allowed_entries(&cx.settings.allowed_registries);
    if allowed.is_empty() {
        return;
    }
    for (stage, from, word, image) in image_bases(cx.df) {
        if !word.complete || is_allowed(image, &allowed) {
            continue;
        }
        cx.report_code(
            from,
            word.span,
            Some("DL3026"),
            format!(
                "{} is built from `{}`, from `{}`, which is not an allowed registry",
                stage.label(),
                word.value,
                image.registry
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use crate::testing::{lines, run_dockerfile, run_dockerfile_with};

    const FILE: &str = "FROM alpine:3.20\nFROM registry.example.com/base:1\nFROM eu.gcr.io/p/x:1\n\
                        FROM ghcr.io/acme-evil/x:1\nFROM ghcr.io/acme/x:1\n";

    fn allowing(entries: &[&str]) -> Settings {
        Settings {
            allowed_registries: entries.iter().map(|e| e.to_string()).collect(),
            ..Settings::default()
        }
    }

    #[test]
    fn flags_registries_outside_the_list() {
        let v = run_dockerfile_with(
            &BASE_IMAGE_REGISTRY_NOT_ALLOWED,
            FILE,
            &allowing(&["registry.example.com", "*.gcr.io", "ghcr.io/acme"]),
        );
        assert_eq!(lines(&v), [(1, 6), (4, 6)]);
    }

    #[test]
    fn passes_allowed_registries_and_checks_nothing_without_a_list() {
        let all = allowing(&["docker.io", "registry.example.com", "*.gcr.io", "ghcr.io"]);
        assert!(run_dockerfile_with(&BASE_IMAGE_REGISTRY_NOT_ALLOWED, FILE, &all).is_empty());
        assert!(run_dockerfile(&BASE_IMAGE_REGISTRY_NOT_ALLOWED, FILE).is_empty());
    }
}
