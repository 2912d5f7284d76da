//! Container image references.
//!
//! `[registry/]repository[:tag][@digest]`, with Docker Hub's defaults: a first path component
//! is a registry only if it looks like a host (`.` or `:` in it, or `localhost`); otherwise the
//! registry is `docker.io`, and a one-component repository lives under `library/`.

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The reference as written.
    pub raw: String,
    /// The registry host, `docker.io` when none is written.
    pub registry: String,
    /// Whether the registry was written out rather than defaulted.
    pub registry_explicit: bool,
    /// The repository path, with `library/` added for Docker Hub official images.
    pub repository: String,
    pub tag: Option<String>,
    /// `algorithm:hex`, e.g. `sha256:…`.
    pub digest: Option<String>,
}

pub const DOCKER_HUB: &str = "docker.io";

impl ImageRef {
    pub fn parse(raw: &str) -> ImageRef {
        let text = raw.trim();
        let (name_tag, digest) = match text.split_once('@') {
            Some((n, d)) => (n, Some(d.to_string())),
            None => (text, None),
        };

        // A tag follows the last `:` that comes after the last `/`.
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (
                &name_tag[..last_slash + i],
                Some(name_tag[last_slash + i + 1..].to_string()),
            ),
            None => (name_tag, None),
        };

        let (registry, registry_explicit, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (normalize_registry(first), true, rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), false, name.to_string()),
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };

        ImageRef {
            raw: raw.to_string(),
            registry,
            registry_explicit,
            repository,
            tag: tag.filter(|t| !t.is_empty()),
            digest: digest.filter(|d| !d.is_empty()),
        }
    }

    /// The tag, or `latest` when none is written (what the runtime pulls).
    pub fn effective_tag(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }

    /// Whether the reference still contains unexpanded variables (`$(VAR)`, `${VAR}`).
    pub fn is_templated(&self) -> bool {
        self.raw.contains("$(") || self.raw.contains("${") || self.raw.contains("{{")
    }
}

fn normalize_registry(host: &str) -> String {
    match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_string()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_defaults() {
        let r = ImageRef::parse("nginx");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("docker.io", "library/nginx", None)
        );
        assert_eq!(r.effective_tag(), "latest");
        assert!(!r.registry_explicit);
        let r = ImageRef::parse("bitnami/redis:7.2");
        assert_eq!(r.repository, "bitnami/redis");
        assert_eq!(r.tag.as_deref(), Some("7.2"));
    }

    #[test]
    fn registry_with_port_is_not_a_tag() {
        let r = ImageRef::parse("localhost:5000/team/app");
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag, None);
    }

    #[test]
    fn tag_and_digest_together() {
        let r = ImageRef::parse("gcr.io/distroless/static:nonroot@sha256:abcd");
        assert_eq!(r.registry, "gcr.io");
        assert_eq!(r.repository, "distroless/static");
        assert_eq!(r.tag.as_deref(), Some("nonroot"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abcd"));
    }

    #[test]
    fn docker_hub_aliases_are_normalised() {
        let r = ImageRef::parse("index.docker.io/library/busybox:1.36");
        assert_eq!(r.registry, "docker.io");
        assert!(r.registry_explicit);
        assert_eq!(r.repository, "library/busybox");
    }
}
