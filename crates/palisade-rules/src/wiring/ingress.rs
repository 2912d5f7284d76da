//! The Service backends of an Ingress, shared by the rules that follow them.

use palisade_load::{FieldPath, Node};
use palisade_model::Object;

/// One backend of an Ingress that names a Service.
pub struct Backend {
    /// The Service's name.
    pub service: String,
    /// Path to the key that names the Service.
    pub name_path: FieldPath,
    /// The port it asks for, with the path to the key that names it.
    pub port: Option<(BackendPort, FieldPath)>,
}

pub enum BackendPort {
    Number(i64),
    Name(String),
}

/// Whether `obj` is an Ingress of a group whose backends these rules read.
pub fn is_ingress(obj: &Object) -> bool {
    obj.id.kind == "Ingress" && matches!(obj.id.group(), "networking.k8s.io" | "extensions")
}

/// The Service backends of an Ingress: `spec.defaultBackend` (`spec.backend` before v1)
/// and every `spec.rules[].http.paths[].backend`. Resource backends are left out.
pub fn backends(obj: &Object) -> Vec<Backend> {
    let mut out = Vec::new();
    if !is_ingress(obj) {
        return out;
    }
    for key in ["defaultBackend", "backend"] {
        let path = FieldPath::parse_dotted("spec").key(key);
        if let Some(node) = obj.node(&path) {
            out.extend(backend(node, &path));
        }
    }
    let rules = FieldPath::parse_dotted("spec.rules");
    for (r, rule) in obj
        .node(&rules)
        .map_or(&[][..], Node::items)
        .iter()
        .enumerate()
    {
        let paths = rules.index(r).keys(&["http", "paths"]);
        let items = rule.get("http").and_then(|h| h.get("paths"));
        for (p, item) in items.map_or(&[][..], Node::items).iter().enumerate() {
            let path = paths.index(p).key("backend");
            if let Some(node) = item.get("backend") {
                out.extend(backend(node, &path));
            }
        }
    }
    out
}

fn backend(node: &Node, path: &FieldPath) -> Option<Backend> {
    // networking.k8s.io/v1: `service: {name, port: {number | name}}`.
    if let Some(service) = node.get("service") {
        let name = service.get("name").and_then(Node::scalar_text)?;
        let port_path = path.keys(&["service", "port"]);
        let port = service.get("port").and_then(|port| {
            if let Some(n) = port.get("number").and_then(Node::as_i64) {
                Some((BackendPort::Number(n), port_path.key("number")))
            } else {
                let name = port.get("name").and_then(Node::as_str)?;
                Some((BackendPort::Name(name.to_string()), port_path.key("name")))
            }
        });
        return Some(Backend {
            service: name,
            name_path: path.keys(&["service", "name"]),
            port,
        });
    }

    // Before v1: `serviceName` and `servicePort` (a number or a name).
    let name = node.get("serviceName").and_then(Node::scalar_text)?;
    let port_path = path.key("servicePort");
    let port = node.get("servicePort").and_then(|port| {
        if let Some(n) = port.as_i64() {
            Some((BackendPort::Number(n), port_path.clone()))
        } else {
            let text = port.as_str()?;
            Some(match text.parse::<i64>() {
                Ok(n) => (BackendPort::Number(n), port_path.clone()),
                Err(_) => (BackendPort::Name(text.to_string()), port_path.clone()),
            })
        }
    });
    Some(Backend {
        service: name,
        name_path: path.key("serviceName"),
        port,
    })
}
