//! `palisade install`: the manifests in the repository's `deploy/` folder, as one stream.
//!
//! The files are compiled into the binary, so what `palisade install` prints is exactly what
//! the folder holds (a test compares them). With a CA bundle, the cert-manager objects and
//! annotations are left out and the CA is written into both webhook configurations instead.

use base64::Engine as _;

/// The files of `deploy/`, in the order they are applied.
pub const FILES: &[(&str, &str)] = &[
    (
        "00-namespace.yaml",
        include_str!("../../../deploy/00-namespace.yaml"),
    ),
    (
        "10-serviceaccount.yaml",
        include_str!("../../../deploy/10-serviceaccount.yaml"),
    ),
    (
        "20-config.yaml",
        include_str!("../../../deploy/20-config.yaml"),
    ),
    (
        "30-certificate.yaml",
        include_str!("../../../deploy/30-certificate.yaml"),
    ),
    (
        "40-deployment.yaml",
        include_str!("../../../deploy/40-deployment.yaml"),
    ),
    (
        "50-poddisruptionbudget.yaml",
        include_str!("../../../deploy/50-poddisruptionbudget.yaml"),
    ),
    (
        "60-service.yaml",
        include_str!("../../../deploy/60-service.yaml"),
    ),
    (
        "70-networkpolicy.yaml",
        include_str!("../../../deploy/70-networkpolicy.yaml"),
    ),
    (
        "80-validatingwebhook.yaml",
        include_str!("../../../deploy/80-validatingwebhook.yaml"),
    ),
    (
        "90-mutatingwebhook.yaml",
        include_str!("../../../deploy/90-mutatingwebhook.yaml"),
    ),
];

const CERT_MANAGER_FILE: &str = "30-certificate.yaml";
const INJECT_ANNOTATION: &str = "cert-manager.io/inject-ca-from:";

/// Joins documents into one YAML stream.
pub fn join<'a>(docs: impl IntoIterator<Item = &'a str>) -> String {
    docs.into_iter()
        .map(|d| d.trim_end_matches('\n'))
        .collect::<Vec<_>>()
        .join("\n---\n")
        + "\n"
}

/// Every manifest, with certificates from cert-manager.
pub fn manifests() -> String {
    join(FILES.iter().map(|(_, text)| *text))
}

/// Every manifest, with `ca_pem` as the webhooks' `caBundle` and no cert-manager objects.
pub fn manifests_with_ca_bundle(ca_pem: &[u8]) -> String {
    let bundle = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let docs: Vec<String> = FILES
        .iter()
        .filter(|(name, _)| *name != CERT_MANAGER_FILE)
        .map(|(_, text)| with_bundle(text, &bundle))
        .collect();
    join(docs.iter().map(String::as_str))
}

fn with_bundle(text: &str, bundle: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with(INJECT_ANNOTATION) {
            continue;
        }
        // An `annotations:` holding only the cert-manager one goes with it.
        let next_is_inject = lines
            .get(i + 1)
            .is_some_and(|n| n.trim_start().starts_with(INJECT_ANNOTATION));
        let after_next_is_sibling = lines
            .get(i + 2)
            .is_none_or(|n| n.len() - n.trim_start().len() <= line.len() - trimmed.len());
        if trimmed == "annotations:" && next_is_inject && after_next_is_sibling {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if trimmed == "clientConfig:" {
            let indent = line.len() - trimmed.len() + 2;
            out.push_str(&format!("{}caBundle: {bundle}\n", " ".repeat(indent)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_bundle_replaces_cert_manager() {
        let text = manifests_with_ca_bundle(
            b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        );
        assert!(!text.contains("cert-manager"), "{text}");
        assert_eq!(text.matches("caBundle: LS0t").count(), 3);
        assert!(manifests().contains("cert-manager.io/inject-ca-from"));
        let parsed = palisade_load::parse_str(&text, &palisade_load::Limits::default());
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(parsed.documents.len(), FILES.len() - 1);
    }
}
