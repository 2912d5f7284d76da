use palisade_load::FieldPath;

use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No core `v1` Service has `spec.type: NodePort`.
    ///
    /// Only the `NodePort` type is flagged. A `LoadBalancer` Service usually opens node
    /// ports too, but its exposure is the load balancer's, which `service-load-balancer`
    /// (NET002) judges; flagging it here as well would give one cause two findings.
    ///
    /// ## Why it matters
    /// A NodePort Service listens on the same port of every node in the cluster, on every
    /// node address, bypassing any ingress controller with its TLS, authentication and rate
    /// limits. Whoever can reach a node can reach the Service, and the exposure is easy to
    /// miss because nothing in the cluster marks those ports as public.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web}
    /// spec:
    ///   type: NodePort
    ///   selector: {app: web}
    ///   ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
    /// ```
    ///
    /// ## Fix
    /// Keep the Service internal and expose it through an Ingress or Gateway:
    /// ```yaml
    /// spec:
    ///   type: ClusterIP
    ///   selector: {app: web}
    ///   ports: [{port: 80, targetPort: 8080}]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport
    /// - https://kubernetes.io/docs/concepts/services-networking/ingress/
    pub static SERVICE_NODE_PORT = {
        id: "NET001",
        name: "service-node-port",
        category: Network,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["Service"]),
        pss_level: None,
        summary: "Services should not be exposed on node ports",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    // Knative and others have a `Service` kind of their own, without `spec.type`.
    if !cx.obj.id.group().is_empty() {
        return;
    }
    let path = FieldPath::parse_dotted("spec.type");
    if cx.obj.node(&path).and_then(|n| n.as_str()) != Some("NodePort") {
        return;
    }
    cx.report(
        path,
        "Service is exposed on a port of every node (`type: NodePort`)",
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_node_port_services() {
        let v = run(
            &SERVICE_NODE_PORT,
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  ports: [{port: 80}]\n",
        );
        assert_eq!(paths(&v), ["spec.type"]);
        assert!(
            v[0].message.contains("`type: NodePort`"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn passes_other_types_and_other_services() {
        let v = run(
            &SERVICE_NODE_PORT,
            "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec: {type: LoadBalancer}\n---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: c}\nspec: {type: NodePort}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
