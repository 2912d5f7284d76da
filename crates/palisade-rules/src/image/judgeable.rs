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
        && well_formed(image)
}

/// Whether the reference follows the distribution grammar: repository path components in
/// lower case (`NGINX` is refused by every registry), each run of letters and digits joined
/// by `.`, `_`, `__` or dashes; a tag, when a `:` announces one, of up to 128 word
/// characters, dots and dashes not starting with either; a registry host of letters,
/// digits, dots and dashes with an optional port.
fn well_formed(image: &ImageRef) -> bool {
    let raw = image.raw.trim();
    let name_tag = raw.split('@').next().unwrap_or_default();
    if name_tag.ends_with(':') || raw.ends_with('@') {
        return false;
    }
    let tag_ok = image.tag.as_deref().is_none_or(|t| {
        t.len() <= 128
            && !t.starts_with(['.', '-'])
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    });
    let registry_ok = !image.registry_explicit || {
        let (host, port) = match image.registry.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (image.registry.as_str(), None),
        };
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            && port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    };
    let digest_ok = image.digest.as_deref().is_none_or(digest_well_formed);
    raw == image.raw
        && tag_ok
        && registry_ok
        && digest_ok
        && image.repository.split('/').all(path_component_ok)
}

/// `sha256:` with 64 lowercase hex digits, or `sha512:` with 128: the digests registries
/// and runtimes accept.
fn digest_well_formed(digest: &str) -> bool {
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match digest.split_once(':') {
        Some(("sha256", h)) => hex(h, 64),
        Some(("sha512", h)) => hex(h, 128),
        _ => false,
    }
}

fn path_component_ok(component: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !component.starts_with(alnum) || !component.ends_with(alnum) {
        return false;
    }
    let mut rest = component;
    while let Some(at) = rest.find(|c: char| !alnum(c)) {
        let after = &rest[at..];
        let end = after.find(alnum).unwrap_or(after.len());
        let separator = &after[..end];
        if !matches!(separator, "." | "_" | "__") && !separator.chars().all(|c| c == '-') {
            return false;
        }
        rest = &after[end..];
    }
    true
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
        for raw in [
            "nginx",
            "localhost:5000/a/b:1.0",
            "ghcr.io/x/y@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(judgeable(&ImageRef::parse(raw)), "{raw:?}");
        }
    }

    #[test]
    fn text_that_is_no_reference_and_no_placeholder_is_malformed() {
        for raw in [
            "ñginx:latest",
            "nginx latest",
            "web:1.0!",
            "NGINX:1",
            "nginx:",
            "team//web:1",
            "web-:1",
            "web..x:1",
            "web:-1",
            "localhost:port/web",
            "nginx@sha256:abc",
            "nginx@md5:0123456789abcdef0123456789abcdef",
            " nginx:1",
            "nginx:1.25 ",
        ] {
            assert!(malformed(&ImageRef::parse(raw)), "{raw:?}");
        }
        for raw in [
            "",
            "nginx:1.27",
            "Registry.Example.COM:5000/team/web_app__x--y:V1_2.3-rc",
            "ghcr.io/a.b/c@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "${REGISTRY}/web",
            "<image_url>",
            "{IMAGE}",
        ] {
            assert!(!malformed(&ImageRef::parse(raw)), "{raw:?}");
        }
    }
}
