//! Which registries an image may come from: one reading of `--allowed-registry` entries (and
//! hadolint's `trustedRegistries`) for manifests and Dockerfiles alike.

use palisade_model::ImageRef;
use palisade_model::image::DOCKER_HUB;

/// The allowed entries of `settings.allowed_registries`, as compared: lowercase, without a
/// trailing `/`, Docker Hub's aliases read as `docker.io`. Empty entries are dropped.
pub(crate) fn allowed_entries(entries: &[String]) -> Vec<String> {
    entries.iter().filter_map(|e| normalise_entry(e)).collect()
}

fn normalise_entry(entry: &str) -> Option<String> {
    let entry = entry.trim().trim_end_matches('/').to_ascii_lowercase();
    if entry.is_empty() {
        return None;
    }
    let (host, rest) = match entry.split_once('/') {
        Some((host, rest)) => (host, Some(rest)),
        None => (entry.as_str(), None),
    };
    let host = match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => DOCKER_HUB,
        other => other,
    };
    Some(match rest {
        Some(rest) => format!("{host}/{rest}"),
        None => host.to_string(),
    })
}

/// Whether `image` comes from one of `allowed` (entries from [`allowed_entries`]): a registry
/// host allows everything on it, `*.example.com` every host below `example.com`, and a
/// registry with a path that repository and everything below it at a `/` boundary.
pub(crate) fn is_allowed(image: &ImageRef, allowed: &[String]) -> bool {
    let host = image.registry.to_ascii_lowercase();
    let full = format!("{host}/{}", image.repository.to_ascii_lowercase());
    allowed.iter().any(|entry| {
        if let Some(suffix) = entry.strip_prefix("*.") {
            return host.ends_with(&format!(".{suffix}"));
        }
        host == *entry
            || full == *entry
            || full
                .strip_prefix(entry.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(image: &str, entries: &[&str]) -> bool {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        is_allowed(&ImageRef::parse(image), &allowed_entries(&entries))
    }

    #[test]
    fn hosts_paths_and_wildcards() {
        assert!(allowed("ghcr.io/acme/web:1", &["ghcr.io"]));
        assert!(allowed("ghcr.io/acme/web:1", &["GHCR.io/acme/"]));
        assert!(!allowed("ghcr.io/acme-evil/web:1", &["ghcr.io/acme"]));
        assert!(allowed("eu.registry.example.com/web:1", &["*.example.com"]));
        assert!(!allowed("example.com/web:1", &["*.example.com"]));
        assert!(!allowed("evilexample.com/web:1", &["*.example.com"]));
        assert!(allowed("nginx:1.27", &["index.docker.io/library"]));
        assert!(!allowed("someone/web:1", &["docker.io/library"]));
    }
}
