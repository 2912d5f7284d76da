//! The serving certificate: loaded from PEM files and reloaded when they change.
//!
//! Kubernetes updates a mounted Secret by writing the new files into a fresh folder and
//! swapping the `..data` symlink, which file watchers on the files themselves miss. So the
//! files are read again on a timer and their contents compared; when they differ, a new
//! TLS configuration is built and swapped in. Connections already open keep the
//! configuration they started with, new handshakes get the new one: no request is dropped.
//! A certificate and key that do not belong together (seen between two non-atomic writes)
//! are not used; the next poll tries again.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::metrics::Metrics;

/// Where the certificate chain and its key are.
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn fingerprint(cert: &[u8], key: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    cert.hash(&mut h);
    key.hash(&mut h);
    h.finish()
}

/// Builds a TLS configuration from PEM bytes.
pub fn server_config(cert: &[u8], key: &[u8]) -> Result<ServerConfig, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate file is not PEM: {e}"))?;
    if chain.is_empty() {
        return Err("the certificate file holds no certificate".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|e| format!("the key file holds no private key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and key do not fit together: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The loaded certificate and what it was loaded from.
pub struct Certificates {
    files: CertFiles,
    config: RustlsConfig,
    loaded: u64,
    /// Files last found unusable, so the warning is logged once per change.
    refused: Option<u64>,
}

impl Certificates {
    /// Loads the files; an error says which file is wrong and how.
    pub fn load(files: CertFiles) -> Result<Certificates, String> {
        let (cert, key) = (read(&files.cert)?, read(&files.key)?);
        let config = server_config(&cert, &key)?;
        Ok(Certificates {
            loaded: fingerprint(&cert, &key),
            files,
            config: RustlsConfig::from_config(Arc::new(config)),
            refused: None,
        })
    }

    /// The configuration the server accepts connections with; it follows reloads.
    pub fn rustls(&self) -> RustlsConfig {
        self.config.clone()
    }

    /// Reads the files again and switches to them if they changed and are usable. Returns
    /// whether a new certificate is now served.
    pub fn reload_if_changed(&mut self, metrics: &Metrics) -> bool {
        let (cert, key) = match (read(&self.files.cert), read(&self.files.key)) {
            (Ok(c), Ok(k)) => (c, k),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "certificate files unreadable; still serving the loaded certificate");
                return false;
            }
        };
        let seen = fingerprint(&cert, &key);
        if seen == self.loaded || Some(seen) == self.refused {
            return false;
        }
        match server_config(&cert, &key) {
            Ok(config) => {
                self.config.reload_from_config(Arc::new(config));
                self.loaded = seen;
                metrics.cert_reload(true);
                tracing::info!(cert = %self.files.cert.display(), "serving certificate reloaded");
                true
            }
            Err(e) => {
                self.refused = Some(seen);
                metrics.cert_reload(false);
                tracing::warn!(error = %e, "new certificate files not usable yet; still serving the loaded certificate");
                false
            }
        }
    }

    /// Polls the files every `interval`, forever.
    pub async fn watch(mut self, interval: Duration, metrics: Arc<Metrics>) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            self.reload_if_changed(&metrics);
        }
    }
}
