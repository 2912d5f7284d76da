//! The destinations a VirtualService names: where its HTTP, TCP and TLS routes send traffic
//! and where its HTTP routes mirror it.

use palisade_load::{FieldPath, Node};
use palisade_model::Object;

/// The kinds of route a VirtualService holds, by their key under `spec`.
const SECTIONS: [&str; 3] = ["http", "tcp", "tls"];

/// One `destination` (or `mirror`) of a VirtualService.
#[derive(Debug, Clone)]
pub struct Destination {
    pub host: String,
    /// The `host` key.
    pub host_path: FieldPath,
    /// The `subset`, if one is named, and its key.
    pub subset: Option<(String, FieldPath)>,
}

impl Destination {
    /// Reads a `Destination` message at `path`; `None` without a `host`.
    fn read(node: &Node, path: FieldPath) -> Option<Destination> {
        let host = node.get("host").and_then(Node::as_str)?.trim();
        if host.is_empty() {
            return None;
        }
        let subset = node
            .get("subset")
            .and_then(Node::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| (s.to_string(), path.key("subset")));
        Some(Destination {
            host: host.to_string(),
            host_path: path.key("host"),
            subset,
        })
    }
}

/// Every route list of a VirtualService, `spec.{http,tcp,tls}[].route`, with its path.
pub fn route_lists(vs: &Object) -> Vec<(FieldPath, &[Node])> {
    let Some(spec) = vs.root.get("spec") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in SECTIONS {
        let base = FieldPath::root().keys(&["spec", section]);
        let rules = spec.get(section).map_or(&[][..], Node::items);
        for (i, rule) in rules.iter().enumerate() {
            let routes = rule.get("route").map_or(&[][..], Node::items);
            out.push((base.index(i).key("route"), routes));
        }
    }
    out
}

/// The destinations of every route: `spec.{http,tcp,tls}[].route[].destination`.
pub fn route_destinations(vs: &Object) -> Vec<Destination> {
    let mut out = Vec::new();
    for (base, routes) in route_lists(vs) {
        for (j, route) in routes.iter().enumerate() {
            let path = base.index(j).key("destination");
            if let Some(d) = route
                .get("destination")
                .and_then(|n| Destination::read(n, path))
            {
                out.push(d);
            }
        }
    }
    out
}

/// Where HTTP routes mirror traffic: `spec.http[].mirror` and
/// `spec.http[].mirrors[].destination`.
pub fn mirror_destinations(vs: &Object) -> Vec<Destination> {
    let mut out = Vec::new();
    let Some(http) = vs.root.get("spec").and_then(|s| s.get("http")) else {
        return out;
    };
    let base = FieldPath::root().keys(&["spec", "http"]);
    for (i, rule) in http.items().iter().enumerate() {
        let path = base.index(i);
        if let Some(d) = rule
            .get("mirror")
            .and_then(|n| Destination::read(n, path.key("mirror")))
        {
            out.push(d);
        }
        let mirrors = rule.get("mirrors").map_or(&[][..], Node::items);
        for (j, mirror) in mirrors.iter().enumerate() {
            let at = path.key("mirrors").index(j).key("destination");
            if let Some(d) = mirror
                .get("destination")
                .and_then(|n| Destination::read(n, at))
            {
                out.push(d);
            }
        }
    }
    out
}
