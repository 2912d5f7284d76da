use palisade_load::{FieldPath, Node};

use crate::declare_rule;
use crate::rule::{Applies, Cx};
use crate::secrets::value_shapes::{contains_reference, credential_shape};

declare_rule! {
    /// ## What it checks
    /// No name in an Endpoints or EndpointSlice object carries a credential: a
    /// `user:password@` prefix, or a value shaped like a token (a URL with a password, a
    /// JSON Web Token, a cloud or GitHub key, a private key — the shapes `secret-in-env`
    /// recognises). The names read are
    /// - in Endpoints: `subsets[].addresses[]` and `subsets[].notReadyAddresses[]`
    ///   (`hostname`, `nodeName`, `targetRef.name`) and `subsets[].ports[].name`;
    /// - in EndpointSlices: `endpoints[].addresses[]` (host names when `addressType` is
    ///   `FQDN`), `endpoints[].hostname`, `nodeName` and `targetRef.name`, and
    ///   `ports[].name`.
    ///
    /// The value is never printed. The rule needs only the object, so the admission webhook
    /// can run it too; the shipped webhook configuration does not send Endpoints and
    /// EndpointSlices, which controllers rewrite on every change of a Service's pods.
    ///
    /// ## Why it matters
    /// Hand-written Endpoints point a Service at something outside the cluster, often a
    /// database or a partner's API, and a connection string pasted whole into the address
    /// puts its password into the manifest. Endpoints are not Secrets: any user who may
    /// read Services and Endpoints (most namespace readers, and many monitoring tools) sees
    /// them, and the value stays in the repository's history. The API server rejects most
    /// such names, but only after the file is committed.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: discovery.k8s.io/v1
    /// kind: EndpointSlice
    /// metadata:
    ///   name: orders-db-1
    ///   labels: {kubernetes.io/service-name: orders-db}
    /// addressType: FQDN
    /// endpoints:
    /// - addresses: ["orders:Winter2024@db.partner.example.com"]
    /// ports: [{name: postgres, port: 5432, protocol: TCP}]
    /// ```
    ///
    /// ## Fix
    /// Give the address alone, and pass the credential to the client from a Secret:
    /// ```yaml
    /// endpoints:
    /// - addresses: [db.partner.example.com]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/
    /// - https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors
    /// - https://kubernetes.io/docs/concepts/configuration/secret/
    pub static ENDPOINTS_CREDENTIAL_IN_NAME = {
        id: "SVC012",
        name: "endpoints-credential-in-name",
        category: Network,
        severity: High,
        default_enabled: true,
        applies: Applies::Kinds(&["Endpoints", "EndpointSlice"]),
        pss_level: None,
        summary: "Endpoints and EndpointSlices must not carry credentials in names or addresses",
        check: check,
    }
}

/// The name fields of one endpoint address.
const ADDRESS_NAMES: [&[&str]; 3] = [&["hostname"], &["nodeName"], &["targetRef", "name"]];

fn check(cx: &mut Cx<'_>) {
    let obj = cx.obj;
    let mut names: Vec<(FieldPath, &str)> = Vec::new();
    let root = FieldPath::root();
    match obj.id.kind.as_str() {
        "Endpoints" => {
            for (i, subset) in obj
                .root
                .get("subsets")
                .map_or(&[][..], Node::items)
                .iter()
                .enumerate()
            {
                let at = root.key("subsets").index(i);
                for list in ["addresses", "notReadyAddresses"] {
                    for (j, address) in subset
                        .get(list)
                        .map_or(&[][..], Node::items)
                        .iter()
                        .enumerate()
                    {
                        address_names(address, &at.key(list).index(j), &mut names);
                    }
                }
                port_names(subset, &at, &mut names);
            }
        }
        "EndpointSlice" => {
            for (i, endpoint) in obj
                .root
                .get("endpoints")
                .map_or(&[][..], Node::items)
                .iter()
                .enumerate()
            {
                let at = root.key("endpoints").index(i);
                for (j, address) in endpoint
                    .get("addresses")
                    .map_or(&[][..], Node::items)
                    .iter()
                    .enumerate()
                {
                    if let Some(text) = address.as_str() {
                        names.push((at.key("addresses").index(j), text));
                    }
                }
                address_names(endpoint, &at, &mut names);
            }
            port_names(&obj.root, &root, &mut names);
        }
        _ => {}
    }
    for (path, value) in names {
        if let Some(what) = credential_in(value) {
            let field = path_field(&path);
            cx.report(
                path,
                format!("Remove the credential from this {field}: it holds {what}"),
            );
        }
    }
}

fn address_names<'a>(address: &'a Node, at: &FieldPath, out: &mut Vec<(FieldPath, &'a str)>) {
    for keys in ADDRESS_NAMES {
        let node = keys.iter().try_fold(address, |n, k| n.get(k));
        if let Some(text) = node.and_then(Node::as_str) {
            out.push((at.keys(keys), text));
        }
    }
}

fn port_names<'a>(parent: &'a Node, at: &FieldPath, out: &mut Vec<(FieldPath, &'a str)>) {
    for (k, port) in parent
        .get("ports")
        .map_or(&[][..], Node::items)
        .iter()
        .enumerate()
    {
        if let Some(text) = port.get("name").and_then(Node::as_str) {
            out.push((at.key("ports").index(k).key("name"), text));
        }
    }
}

/// Whether `value` carries a credential as this rule sees one: the engine masks such values
/// wherever it quotes a line, whichever rules run.
pub fn carries_credential(value: &str) -> bool {
    credential_in(value).is_some()
}

/// What credential `value` carries, if any.
fn credential_in(value: &str) -> Option<&'static str> {
    credential_shape(value).or_else(|| {
        user_and_password(value).then_some("a user name and password (`user:password@host`)")
    })
}

/// `user:password@host` without a scheme, which the URL shape does not cover.
fn user_and_password(value: &str) -> bool {
    let Some((userinfo, host)) = value.rsplit_once('@') else {
        return false;
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return false;
    };
    !user.is_empty() && !password.is_empty() && !host.is_empty() && !contains_reference(password)
}

/// The field a path ends at, for messages: `hostname`, `address`, `port name`.
fn path_field(path: &FieldPath) -> &'static str {
    use palisade_load::Segment;
    let keys: Vec<&str> = path
        .segments()
        .iter()
        .filter_map(|s| match s {
            Segment::Key(k) => Some(k.as_str()),
            Segment::Index(_) => None,
        })
        .collect();
    match keys.as_slice() {
        [.., "ports", "name"] => "port name",
        [.., "targetRef", "name"] => "target name",
        [.., "hostname"] => "hostname",
        [.., "nodeName"] => "node name",
        _ => "address",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    // Credential-shaped test values are assembled at run time, as in the secrets rules.
    fn jwt() -> String {
        format!(
            "eyJ{}.eyJ{}.{}",
            "h".repeat(10),
            "p".repeat(20),
            "s".repeat(20)
        )
    }

    #[test]
    fn flags_credentials_in_endpoints_names() {
        let yaml = format!(
            "apiVersion: v1\nkind: Endpoints\nmetadata: {{name: db}}\nsubsets:\n- addresses:\n  - ip: 10.0.0.5\n    hostname: 'app:hunter2@db'\n  notReadyAddresses:\n  - ip: 10.0.0.6\n    targetRef: {{kind: Pod, name: '{}'}}\n  ports:\n  - {{name: 'postgres://app:hunter2@db:5432', port: 5432}}\n",
            jwt()
        );
        let v = run(&ENDPOINTS_CREDENTIAL_IN_NAME, &yaml);
        assert_eq!(
            paths(&v),
            [
                "subsets[0].addresses[0].hostname",
                "subsets[0].notReadyAddresses[0].targetRef.name",
                "subsets[0].ports[0].name",
            ]
        );
        assert!(
            v[0].message.contains("user name and password"),
            "{}",
            v[0].message
        );
        assert!(v[1].message.contains("JSON Web Token"), "{}", v[1].message);
        assert!(v.iter().all(|f| !f.message.contains("hunter2")));
    }

    #[test]
    fn flags_credentials_in_endpoint_slice_addresses() {
        let yaml = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: db-1}\naddressType: FQDN\nendpoints:\n- addresses: [db.example.com, 'orders:Winter2024@db.partner.example.com']\n  hostname: db\nports: [{name: postgres, port: 5432}]\n";
        let v = run(&ENDPOINTS_CREDENTIAL_IN_NAME, yaml);
        assert_eq!(paths(&v), ["endpoints[0].addresses[1]"]);
        assert!(
            v[0].message
                .starts_with("Remove the credential from this address")
        );
    }

    #[test]
    fn passes_plain_names_and_references() {
        for yaml in [
            "apiVersion: v1\nkind: Endpoints\nmetadata: {name: db}\nsubsets:\n- addresses: [{ip: 10.0.0.5, hostname: db-0, nodeName: node-a}]\n  ports: [{name: postgres, port: 5432}]\n",
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s}\naddressType: FQDN\nendpoints:\n- addresses: ['ops@example.com', 'app:$(DB_PASSWORD)@db']\n",
            "apiVersion: example.com/v1\nkind: Endpoints\nmetadata: {name: db}\nsubsets:\n- addresses: [{hostname: 'a:b@c'}]\n",
        ] {
            assert!(
                run(&ENDPOINTS_CREDENTIAL_IN_NAME, yaml).is_empty(),
                "{yaml}"
            );
        }
    }
}
