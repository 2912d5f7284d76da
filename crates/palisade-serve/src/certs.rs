//! `palisade certs`: a certificate authority and a serving certificate for the webhook.
//!
//! The serving certificate names the Service the API server calls
//! (`NAME`, `NAME.NS`, `NAME.NS.svc`, `NAME.NS.svc.cluster.local`) plus `localhost` and
//! `127.0.0.1` for local tests. The CA is what the webhook configurations' `caBundle` holds.
//! Keys are ECDSA P-256; the CA is valid for ten years, the serving certificate for one.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// A CA and a serving certificate signed by it, as PEM.
pub struct Generated {
    pub ca_cert: String,
    pub ca_key: String,
    pub cert: String,
    pub key: String,
}

/// The DNS names of a Service.
pub fn service_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        service.to_string(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
        "localhost".to_string(),
    ]
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(days);
}

/// A new CA.
pub fn ca(common_name: &str) -> Result<(String, String, Issuer<'static, KeyPair>), String> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    validity(&mut params, 3650);
    let key = KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let (cert_pem, key_pem) = (cert.pem(), key.serialize_pem());
    Ok((cert_pem, key_pem, Issuer::new(params, key)))
}

/// A serving certificate for `names` (and 127.0.0.1) signed by `issuer`.
pub fn leaf(names: &[String], issuer: &Issuer<'_, KeyPair>) -> Result<(String, String), String> {
    let mut params = CertificateParams::new(names.to_vec()).map_err(|e| e.to_string())?;
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    validity(&mut params, 365);
    let key = KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = params.signed_by(&key, issuer).map_err(|e| e.to_string())?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// A CA and a serving certificate for a Service.
pub fn generate(service: &str, namespace: &str) -> Result<Generated, String> {
    let (ca_cert, ca_key, issuer) = ca(&format!("{service}.{namespace} webhook CA"))?;
    let (cert, key) = leaf(&service_names(service, namespace), &issuer)?;
    Ok(Generated {
        ca_cert,
        ca_key,
        cert,
        key,
    })
}

/// The files [`write`] writes.
pub const FILE_NAMES: [&str; 3] = ["ca.crt", "tls.crt", "tls.key"];

/// Writes `ca.crt`, `tls.crt` and `tls.key` into `dir` (created if needed); the key is
/// readable by its owner only. The CA's key is not kept: a new serving certificate comes
/// with a new CA. Files already there are replaced only with `replace`: a new CA no longer
/// matches the `caBundle` the old one was installed as.
pub fn write(dir: &Path, g: &Generated, replace: bool) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if !replace {
        let present: Vec<String> = FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .filter(|path| path.symlink_metadata().is_ok())
            .map(|path| path.display().to_string())
            .collect();
        let exist = match present.as_slice() {
            [] => None,
            [one] => Some(format!("{one} already exists")),
            [rest @ .., last] => Some(format!("{} and {last} already exist", rest.join(", "))),
        };
        if let Some(exist) = exist {
            return Err(format!(
                "{exist}; pass --force to replace them (a new CA no longer matches the \
                 `caBundle` of webhook configurations installed with the old one)"
            ));
        }
    }
    let write = |name: &str, text: &str, private: bool| -> Result<(), String> {
        let path = dir.join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true);
        // Without `replace`, a file that appeared since the check above is not overwritten.
        if replace {
            options.create(true).truncate(true);
        } else {
            options.create_new(true);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if private { 0o600 } else { 0o644 });
        }
        #[cfg(not(unix))]
        let _ = private;
        use std::io::Write;
        options
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write("ca.crt", &g.ca_cert, false)?;
    write("tls.crt", &g.cert, false)?;
    write("tls.key", &g.key, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_serving_certificate_is_usable_with_its_key() {
        let g = generate("palisade", "palisade").unwrap();
        assert!(g.ca_cert.starts_with("-----BEGIN CERTIFICATE-----"));
        crate::tls::server_config(g.cert.as_bytes(), g.key.as_bytes()).unwrap();
        assert!(crate::tls::server_config(g.cert.as_bytes(), g.ca_key.as_bytes()).is_err());
    }

    #[test]
    fn existing_files_are_replaced_only_when_asked() {
        let dir =
            std::env::temp_dir().join(format!("palisade-certs-replace-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = generate("palisade", "palisade").unwrap();
        write(&dir, &first, false).unwrap();
        let second = generate("palisade", "palisade").unwrap();
        let e = write(&dir, &second, false).unwrap_err();
        assert!(e.contains("ca.crt") && e.contains("--force"), "{e}");
        let kept = std::fs::read_to_string(dir.join("ca.crt")).unwrap();
        assert_eq!(kept, first.ca_cert);
        write(&dir, &second, true).unwrap();
        let replaced = std::fs::read_to_string(dir.join("ca.crt")).unwrap();
        assert_eq!(replaced, second.ca_cert);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
