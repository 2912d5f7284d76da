//! Which image references the image rules can judge.

use palisade_model::ImageRef;

/// Whether `image` is a reference the image rules can judge: not empty, not an unexpanded
/// template (`$(VAR)`, `${VAR}`, `{{ … }}`), and made only of characters a reference may
/// contain, which leaves out placeholders such as `<image>` or `{IMAGE}`.
pub(super) fn judgeable(image: &ImageRef) -> bool {
    let raw = image.raw.trim();
    !raw.is_empty()
        && !image.is_templated()
        && raw.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@' | '+')
        })
}

/// Whether `image` is neither a reference nor a placeholder: text such as `ñginx:latest`
/// that no registry serves and no template fills in, so the kubelet can never pull it.
pub(super) fn malformed(image: &ImageRef) -> bool {
    let raw = image.raw.trim();
    !raw.is_empty()
        && !image.is_templated()
        && !raw.contains(['<', '>', '{', '}', '$'])
        && !judgeable(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_and_placeholders_are_not_judged() {
        for raw in [
            "",
            " ",
            "${REGISTRY}/web",
            "{{ .Values.image }}",
            "<image_url>",
            "{IMAGE}",
        ] {
            assert!(!judgeable(&ImageRef::parse(raw)), "{raw:?}");
        }
        for raw in ["nginx", "localhost:5000/a/b:1.0", "ghcr.io/x/y@sha256:abc"] {
            assert!(judgeable(&ImageRef::parse(raw)), "{raw:?}");
        }
    }

    #[test]
    fn text_that_is_no_reference_and_no_placeholder_is_malformed() {
        for raw in ["ñginx:latest", "nginx latest", "web:1.0!"] {
            assert!(malformed(&ImageRef::parse(raw)), "{raw:?}");
        }
        for raw in [
            "",
            "nginx:1.27",
            "${REGISTRY}/web",
            "<image_url>",
            "{IMAGE}",
        ] {
            assert!(!malformed(&ImageRef::parse(raw)), "{raw:?}");
        }
    }
}
