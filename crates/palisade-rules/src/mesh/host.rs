//! Istio host names and `exportTo` visibility.
//!
//! Istio expands a host only when it has no dot at all: `reviews` written in namespace `shop`
//! means `reviews.shop.svc.cluster.local`. Anything with a dot is taken as written, so
//! `reviews.shop` is a different host, which no Kubernetes Service provides. Hosts of the
//! form `name.namespace.svc.<domain>` are a Kubernetes Service's, whatever the cluster
//! domain; they are compared as if the domain were `cluster.local`, since the files do not
//! say which domain the cluster uses.

use std::net::IpAddr;

use palisade_load::Node;

/// The Kubernetes cluster domain Istio assumes.
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// What a host names, once a short name is expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostForm {
    /// A Kubernetes Service's own host: `name.namespace.svc.<domain>`, or a short name.
    Service { name: String, namespace: String },
    /// `name.namespace` or `name.namespace.svc`: Istio does not expand it, so it names a
    /// Kubernetes Service only in the eyes of DNS, not of the mesh.
    Literal { name: String, namespace: String },
    /// `*.example.com` or `*`.
    Wildcard,
    /// Any other name or an IP address: an external host, or one only a ServiceEntry knows.
    Other,
}

/// Reads `host` as written in an object of namespace `namespace`.
pub fn form(host: &str, namespace: &str) -> HostForm {
    let host = normalise(host);
    if host.starts_with('*') {
        return HostForm::Wildcard;
    }
    if host.parse::<IpAddr>().is_ok() {
        return HostForm::Other;
    }
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        [name] => HostForm::Service {
            name: (*name).to_string(),
            namespace: namespace.to_string(),
        },
        [name, ns] | [name, ns, "svc"] => HostForm::Literal {
            name: (*name).to_string(),
            namespace: (*ns).to_string(),
        },
        [name, ns, "svc", _, ..] => HostForm::Service {
            name: (*name).to_string(),
            namespace: (*ns).to_string(),
        },
        _ => HostForm::Other,
    }
}

/// The host Istio resolves `host` to from namespace `namespace`, in the form hosts are
/// compared in: lower case, short names expanded, Kubernetes Service hosts under
/// `cluster.local`.
pub fn key(host: &str, namespace: &str) -> String {
    match form(host, namespace) {
        HostForm::Service { name, namespace } => service_key(&name, &namespace),
        _ => normalise(host),
    }
}

/// The host of the Kubernetes Service `name` in `namespace`.
pub fn service_key(name: &str, namespace: &str) -> String {
    format!("{name}.{namespace}.svc.{CLUSTER_DOMAIN}")
}

/// Whether the wildcard host `pattern` (`*.example.com`, `*`) covers the host `key`, itself
/// possibly a narrower wildcard.
pub fn wildcard_covers(pattern: &str, key: &str) -> bool {
    match pattern.strip_prefix('*') {
        Some("") => true,
        Some(suffix) => key.len() > suffix.len() && key.ends_with(suffix),
        None => pattern == key,
    }
}

fn normalise(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The namespaces an Istio object (or a Service, through its `networking.istio.io/exportTo`
/// annotation) is visible from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportTo {
    /// `*`: every namespace.
    all: bool,
    /// `.`: the object's own namespace.
    own: bool,
    /// Namespaces named outright.
    names: Vec<String>,
}

impl ExportTo {
    /// Visible everywhere, Istio's default.
    pub fn everywhere() -> ExportTo {
        ExportTo {
            all: true,
            ..ExportTo::default()
        }
    }

    /// Reads a list of entries (`["."]`, `["*"]`, `["~"]`, namespace names); `None` when
    /// the list is empty, so the default applies.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Option<ExportTo> {
        let mut out = ExportTo::default();
        let mut any = false;
        for entry in entries {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            any = true;
            match entry {
                "*" => out.all = true,
                "." => out.own = true,
                // `~`: hidden from every namespace.
                "~" => {}
                name => out.names.push(name.to_string()),
            }
        }
        any.then_some(out)
    }

    /// Reads a `spec.exportTo` sequence.
    pub fn from_node(node: Option<&Node>) -> Option<ExportTo> {
        let items = node.map_or(&[][..], Node::items);
        ExportTo::parse(items.iter().filter_map(Node::as_str))
    }

    /// Reads the comma-separated `networking.istio.io/exportTo` annotation.
    pub fn from_annotation(text: Option<&str>) -> Option<ExportTo> {
        ExportTo::parse(text?.split(','))
    }

    /// Whether an object of namespace `owner` is visible from namespace `from`: `None` when
    /// the files cannot tell, because a namespace that matters is not written (`""`).
    pub fn visible(&self, owner: &str, from: &str) -> Option<bool> {
        if self.all {
            return Some(true);
        }
        if !self.own && self.names.is_empty() {
            return Some(false);
        }
        if !from.is_empty() && self.names.iter().any(|n| n == from) {
            return Some(true);
        }
        if from.is_empty() || (owner.is_empty() && self.own) {
            return None;
        }
        Some(self.own && owner == from)
    }

    /// The entries, for messages: `` `.`, `banana` ``.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.all {
            parts.push("`*`".to_string());
        }
        if self.own {
            parts.push("`.`".to_string());
        }
        parts.extend(self.names.iter().map(|n| format!("`{n}`")));
        if parts.is_empty() {
            return "`~` (no namespace)".into();
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_expand_in_the_writers_namespace_and_dotted_names_do_not() {
        assert_eq!(key("reviews", "shop"), "reviews.shop.svc.cluster.local");
        assert_eq!(
            key("Reviews.Shop.svc.cluster.local.", "x"),
            "reviews.shop.svc.cluster.local"
        );
        assert_eq!(
            key("reviews.shop.svc.corp.example", "x"),
            "reviews.shop.svc.cluster.local"
        );
        assert_eq!(key("reviews.shop", "x"), "reviews.shop");
        assert_eq!(key("api.example.com", "x"), "api.example.com");
        assert_eq!(
            form("reviews.shop", "x"),
            HostForm::Literal {
                name: "reviews".into(),
                namespace: "shop".into()
            }
        );
        assert_eq!(
            form("reviews.shop.svc", "x"),
            HostForm::Literal {
                name: "reviews".into(),
                namespace: "shop".into()
            }
        );
        assert_eq!(form("*.example.com", "x"), HostForm::Wildcard);
        assert_eq!(form("10.0.0.1", "x"), HostForm::Other);
    }

    #[test]
    fn wildcards_cover_names_below_them_only() {
        assert!(wildcard_covers(
            "*.eu.example.com",
            "reviews.eu.example.com"
        ));
        assert!(wildcard_covers("*.eu.example.com", "*.a.eu.example.com"));
        assert!(!wildcard_covers("*.eu.example.com", "eu.example.com"));
        assert!(!wildcard_covers("*.eu.example.com", "xeu.example.com"));
        assert!(wildcard_covers("*", "anything.at.all"));
    }

    #[test]
    fn export_to_follows_istio() {
        let own = ExportTo::parse(["."]).unwrap();
        assert_eq!(own.visible("shop", "shop"), Some(true));
        assert_eq!(own.visible("shop", "other"), Some(false));
        assert_eq!(own.visible("", "other"), None, "unknown owner namespace");
        assert_eq!(own.visible("shop", ""), None, "unknown reader namespace");
        let named = ExportTo::from_annotation(Some("hello1, hello2,.")).unwrap();
        assert_eq!(named.visible("hello", "hello2"), Some(true));
        assert_eq!(named.visible("hello", "hello"), Some(true));
        assert_eq!(named.visible("hello", "bogus"), Some(false));
        let only = ExportTo::from_annotation(Some("banana")).unwrap();
        assert_eq!(
            only.visible("default", "default"),
            Some(false),
            "own namespace not listed"
        );
        let none = ExportTo::parse(["~"]).unwrap();
        assert_eq!(none.visible("shop", "shop"), Some(false));
        assert_eq!(none.visible("shop", ""), Some(false));
        assert_eq!(ExportTo::parse(["*"]).unwrap().visible("a", ""), Some(true));
        assert_eq!(ExportTo::parse([]), None);
    }
}
