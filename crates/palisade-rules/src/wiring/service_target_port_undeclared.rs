use palisade_load::{FieldPath, Node};
use palisade_model::{ContainerKind, Object};

use super::WorkloadIndex;
use super::index::{namespace, service_selector};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// Every port of a core `v1` Service sends traffic to a port that the pods it selects
    /// declare. The target is `spec.ports[].targetPort`, or `port` when `targetPort` is left
    /// out. A named target must be the `name` of a container port of a selected pod
    /// template; a numeric target must be one of their `containerPort`s.
    ///
    /// Only Services that select at least one workload among the scanned files are checked
    /// (`service-selects-no-pods`, SVC001, reports the others). Declaring container ports
    /// is optional in Kubernetes, so a numeric target is judged only when the selected
    /// templates declare at least one port; when none does, the files cannot tell and the
    /// rule says nothing. A named target always needs a declared port of that name. The
    /// protocol is not compared.
    ///
    /// ## Why it matters
    /// A Service whose target port no container listens on has endpoints that refuse every
    /// connection, and a named target port that no container declares leaves the Service
    /// with no endpoints at all. Both objects look right on their own, so the mismatch —
    /// a port renumbered in the Deployment only, a typo in a port name — survives review.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web}
    /// spec:
    ///   selector: {app: web}
    ///   ports: [{port: 80, targetPort: http}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: "nginx:1.27"
    ///         ports: [{name: web, containerPort: 8080}]
    /// ```
    ///
    /// ## Fix
    /// Point the Service at a port the container declares, by name or number:
    /// ```yaml
    /// spec:
    ///   ports: [{port: 80, targetPort: web}]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports
    /// - https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports
    pub static SERVICE_TARGET_PORT_UNDECLARED = {
        id: "SVC002",
        name: "service-target-port-undeclared",
        category: Network,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["Service"]),
        pss_level: None,
        summary: "Service target ports must be container ports of the pods they select",
        set_check: check,
    }
}

/// The ports the containers of the selected templates declare.
#[derive(Default)]
struct DeclaredPorts {
    numbers: Vec<i64>,
    names: Vec<String>,
}

/// Where a Service port sends traffic.
enum Target {
    Number(i64),
    Name(String),
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        let Some(selector) = service_selector(obj) else {
            continue;
        };
        let Some(selected) = index.selected(namespace(obj), &selector) else {
            continue;
        };
        let Some(first) = selected.first() else {
            continue;
        };

        let mut declared = DeclaredPorts::default();
        for w in &selected {
            collect_ports(cx.objects[w.object], &mut declared);
        }
        let workload = cx.objects[first.object].id.name.as_deref().unwrap_or("");
        let workload = format!("{}/{workload}", cx.objects[first.object].id.kind);

        let ports = FieldPath::parse_dotted("spec.ports");
        let Some(list) = obj.node(&ports) else {
            continue;
        };
        for (p, port) in list.items().iter().enumerate() {
            let (key, node) = match port.get("targetPort").filter(|n| !n.is_null()) {
                Some(n) => ("targetPort", n),
                None => match port.get("port") {
                    Some(n) => ("port", n),
                    None => continue,
                },
            };
            let Some(target) = read_target(node) else {
                continue;
            };
            let path = ports.index(p).key(key);
            match target {
                Target::Name(name) if !declared.names.contains(&name) => cx.report(
                    i,
                    path,
                    format!(
                        "Declare a container port named `{name}` in `{workload}`, or point \
                         the Service at a port its containers declare"
                    ),
                ),
                Target::Number(n)
                    if !declared.numbers.is_empty() && !declared.numbers.contains(&n) =>
                {
                    cx.report(
                        i,
                        path,
                        format!(
                            "Point the Service at a declared container port of `{workload}`: \
                             none of its containers declares port {n}"
                        ),
                    )
                }
                _ => {}
            }
        }
    }
}

fn read_target(node: &Node) -> Option<Target> {
    if let Some(n) = node.as_i64() {
        return Some(Target::Number(n));
    }
    let text = node.as_str()?.trim();
    match text.parse::<i64>() {
        Ok(n) => Some(Target::Number(n)),
        Err(_) if !text.is_empty() => Some(Target::Name(text.to_string())),
        Err(_) => None,
    }
}

/// Adds the ports of the containers that serve traffic: regular containers and sidecars
/// (init containers with `restartPolicy: Always`).
fn collect_ports(obj: &Object, declared: &mut DeclaredPorts) {
    let Some(pod) = &obj.pod else { return };
    for c in &pod.containers {
        let serves = c.kind == ContainerKind::Regular || c.is_sidecar(&obj.root);
        if !serves {
            continue;
        }
        let Some(ports) = obj.node(&c.path.key("ports")) else {
            continue;
        };
        for port in ports.items() {
            if let Some(n) = port.get("containerPort").and_then(Node::as_i64) {
                declared.numbers.push(n);
            }
            if let Some(name) = port.get("name").and_then(Node::as_str) {
                declared.names.push(name.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: 'nginx:1.27'\n        ports: [{name: http, containerPort: 8080}]\n";

    fn service(ns: &str, ports: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  selector: {{app: web}}\n  ports: {ports}\n"
        )
    }

    #[test]
    fn flags_target_ports_no_container_declares() {
        let v = run_set(
            &SERVICE_TARGET_PORT_UNDECLARED,
            &format!(
                "{DEPLOYMENT}{}",
                service(
                    "shop",
                    "[{port: 80, targetPort: web}, {port: 81, targetPort: 9090}, {port: 8081}]"
                )
            ),
        );
        let paths: Vec<_> = v.iter().map(|(_, v)| v.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "spec.ports[0].targetPort",
                "spec.ports[1].targetPort",
                "spec.ports[2].port"
            ]
        );
        assert!(
            v[0].1.message.contains("`Deployment/web`"),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn passes_declared_names_numbers_and_defaulted_ports() {
        let v = run_set(
            &SERVICE_TARGET_PORT_UNDECLARED,
            &format!(
                "{DEPLOYMENT}{}",
                service(
                    "shop",
                    "[{port: 80, targetPort: http}, {port: 81, targetPort: 8080}, {port: 8080}]"
                )
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_when_no_workload_is_selected() {
        let v = run_set(
            &SERVICE_TARGET_PORT_UNDECLARED,
            &format!(
                "{DEPLOYMENT}{}",
                service("other", "[{port: 80, targetPort: nope}]")
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_about_numbers_when_no_port_is_declared() {
        let undeclared = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: 'nginx:1.27'}]\n";
        let v = run_set(
            &SERVICE_TARGET_PORT_UNDECLARED,
            &format!(
                "{undeclared}{}",
                service("shop", "[{port: 80, targetPort: 9999}]")
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
