//! `palisade install`: the manifests in the repository's `deploy/` folder, as one stream.
//!
//! The files are compiled into the binary, so what `palisade install` prints is exactly what
//! the folder holds (a test compares them). With a CA bundle, the cert-manager objects and
//! annotations are left out and the CA is written into both webhook configurations instead.
//! Webhook configurations are readable cluster-wide, so the bundle is checked first: PEM
//! `CERTIFICATE` blocks only, each an X.509 certificate; a private key is refused.

use base64::Engine as _;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::{PemObject, SectionKind};

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
/// Fails, as [`check_ca_bundle`] says, unless `ca_pem` holds certificates and nothing else.
pub fn manifests_with_ca_bundle(ca_pem: &[u8]) -> Result<String, String> {
    check_ca_bundle(ca_pem)?;
    let bundle = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let docs: Vec<String> = FILES
        .iter()
        .filter(|(name, _)| *name != CERT_MANAGER_FILE)
        .map(|(_, text)| with_bundle(text, &bundle))
        .collect();
    Ok(join(docs.iter().map(String::as_str)))
}

/// Checks that `pem` can be a `caBundle`: one or more PEM `CERTIFICATE` blocks, each an X.509
/// certificate, and no other PEM block. Returns how many certificates it holds. Messages
/// never quote the file, which may hold a key.
pub fn check_ca_bundle(pem: &[u8]) -> Result<usize, String> {
    let labels: Vec<String> = pem
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let line = String::from_utf8_lossy(line);
            let label = line
                .trim()
                .strip_prefix("-----BEGIN ")?
                .strip_suffix("-----")?;
            Some(label.trim().to_string())
        })
        .collect();
    if let Some(key) = labels.iter().find(|l| l.contains("PRIVATE KEY")) {
        return Err(format!(
            "holds a private key (a `{key}` block); webhook configurations are readable across \
             the cluster, so give the CA's certificate instead (`ca.crt` from `palisade certs`)"
        ));
    }
    if labels.is_empty() {
        return Err(
            "holds no PEM certificate; give the CA's certificate as PEM \
             (`-----BEGIN CERTIFICATE-----`), e.g. `ca.crt` from `palisade certs`"
                .into(),
        );
    }
    if let Some(other) = labels.iter().find(|l| *l != "CERTIFICATE") {
        return Err(format!(
            "holds a `{other}` block; a CA bundle holds only `CERTIFICATE` blocks"
        ));
    }

    let mut count = 0;
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem) {
        let (kind, der) = section.map_err(|e| format!("is not valid PEM: {e}"))?;
        if kind != SectionKind::Certificate {
            return Err("holds PEM blocks other than `CERTIFICATE`".into());
        }
        count += 1;
        RootCertStore::empty()
            .add(CertificateDer::from(der))
            .map_err(|e| format!("certificate {count} is not a usable X.509 certificate: {e}"))?;
    }
    if count != labels.len() {
        return Err(format!(
            "holds {} `BEGIN CERTIFICATE` line(s) but {count} complete certificate(s)",
            labels.len()
        ));
    }
    Ok(count)
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
        let ca = crate::certs::generate("palisade", "palisade")
            .unwrap()
            .ca_cert;
        let text = manifests_with_ca_bundle(ca.as_bytes()).unwrap();
        assert!(!text.contains("cert-manager"), "{text}");
        assert_eq!(text.matches("caBundle: LS0t").count(), 3);
        assert!(manifests().contains("cert-manager.io/inject-ca-from"));
        let parsed = palisade_load::parse_str(&text, &palisade_load::Limits::default());
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(parsed.documents.len(), FILES.len() - 1);
    }

    #[test]
    fn a_ca_bundle_holds_certificates_and_nothing_else() {
        let g = crate::certs::generate("palisade", "palisade").unwrap();
        assert_eq!(check_ca_bundle(g.ca_cert.as_bytes()), Ok(1));
        let two = format!("subject=CN = a\n{}{}", g.ca_cert, g.cert);
        assert_eq!(check_ca_bundle(two.as_bytes()), Ok(2));

        // A key, alone or beside the certificate, is refused without being quoted.
        for text in [g.key.clone(), format!("{}{}", g.ca_cert, g.ca_key)] {
            let e = manifests_with_ca_bundle(text.as_bytes()).unwrap_err();
            assert!(e.contains("private key"), "{e}");
            let body: String = g.key.lines().nth(1).unwrap().into();
            assert!(!e.contains(&body), "{e}");
        }
        let e = check_ca_bundle(b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n").unwrap_err();
        assert!(e.contains("`RSA PRIVATE KEY`"), "{e}");

        let e = check_ca_bundle(b"hello\n").unwrap_err();
        assert!(e.contains("no PEM certificate"), "{e}");
        let e = check_ca_bundle(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
            .unwrap_err();
        assert!(e.contains("only `CERTIFICATE`"), "{e}");
        let e =
            check_ca_bundle(b"-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n")
                .unwrap_err();
        assert!(e.contains("not a usable X.509 certificate"), "{e}");
        let truncated = &g.ca_cert[..g.ca_cert.len() - 20];
        assert!(check_ca_bundle(truncated.as_bytes()).is_err());
    }
}
