use std::net::IpAddr;

use palisade_load::FieldPath;

use super::index::is_core_service;
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No core `v1` Service of `spec.type: ExternalName` has an IP address (IPv4 or IPv6)
    /// as its `spec.externalName`.
    ///
    /// The rule needs only the Service itself, so it runs in the admission webhook too.
    ///
    /// ## Why it matters
    /// An `ExternalName` Service is a DNS `CNAME`: cluster DNS answers with the name, and
    /// a CNAME to an IP address is not resolvable. Clients fail to connect, or worse,
    /// resolve the digits as a host name through a search domain. Kubernetes documents that
    /// IP addresses are not meant for `externalName` and that the result is undefined.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: db}
    /// spec:
    ///   type: ExternalName
    ///   externalName: 10.20.0.15
    /// ```
    ///
    /// ## Fix
    /// Use a DNS name, or reach the address through a Service without a selector and an
    /// EndpointSlice that lists it:
    /// ```yaml
    /// spec:
    ///   type: ExternalName
    ///   externalName: db.internal.example.com
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/service/#externalname
    /// - https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors
    pub static EXTERNAL_NAME_IP = {
        id: "SVC010",
        name: "external-name-is-ip-address",
        category: Network,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["Service"]),
        pss_level: None,
        summary: "ExternalName Services must name a DNS name, not an IP address",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let obj = cx.obj;
    if !is_core_service(obj) {
        return;
    }
    let spec_type = obj.node(&FieldPath::parse_dotted("spec.type"));
    if spec_type.and_then(|n| n.as_str()) != Some("ExternalName") {
        return;
    }
    let path = FieldPath::parse_dotted("spec.externalName");
    let Some(name) = obj.node(&path).and_then(|n| n.as_str()) else {
        return;
    };
    let bare = name.trim().trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_err() {
        return;
    }
    cx.report(
        path,
        format!("Name a DNS name here: `{name}` is an IP address, which a CNAME cannot point at"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    fn service(kind: &str, name: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: db}}\nspec:\n  type: {kind}\n  externalName: '{name}'\n"
        )
    }

    #[test]
    fn flags_ip_addresses() {
        for ip in ["10.20.0.15", "2001:db8::1", "[2001:db8::1]"] {
            let v = run(&EXTERNAL_NAME_IP, &service("ExternalName", ip));
            assert_eq!(paths(&v), ["spec.externalName"], "{ip}");
        }
    }

    #[test]
    fn passes_dns_names_and_other_types() {
        for yaml in [
            service("ExternalName", "db.example.com"),
            service("ExternalName", "10.20.0.15.nip.io"),
            service("ClusterIP", "10.20.0.15"),
        ] {
            assert!(run(&EXTERNAL_NAME_IP, &yaml).is_empty(), "{yaml}");
        }
    }
}
