//! Shared helpers: certificates on disk, a server on 127.0.0.1, and a TLS client.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use palisade_engine::Config;
use palisade_serve::{CertFiles, Running, ServeOptions};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The shared data folder: `PALISADE_SHARED`, or `shared/` beside the repository.
pub fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("PALISADE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    assert!(
        dir.join("conformance").is_dir(),
        "shared data not found at {} (set PALISADE_SHARED)",
        dir.display()
    );
    dir
}

/// A fresh, empty folder under the system's temporary folder.
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "palisade-serve-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A CA and a serving certificate for localhost and 127.0.0.1, written to `dir`.
pub struct Certs {
    pub dir: PathBuf,
    pub ca_pem: String,
    pub cert_pem: String,
}

impl Certs {
    pub fn files(&self) -> CertFiles {
        CertFiles {
            cert: self.dir.join("tls.crt"),
            key: self.dir.join("tls.key"),
        }
    }

    /// The serving certificate, DER.
    pub fn cert_der(&self) -> Vec<u8> {
        der(&self.cert_pem)
    }
}

pub fn der(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .as_ref()
        .to_vec()
}

pub fn write_certs(dir: &Path) -> Certs {
    let g = palisade_serve::certs::generate("palisade", "palisade").unwrap();
    palisade_serve::certs::write(dir, &g, true).unwrap();
    Certs {
        dir: dir.to_path_buf(),
        ca_pem: g.ca_cert,
        cert_pem: g.cert,
    }
}

/// Starts a server on 127.0.0.1 with the given configuration text.
pub async fn start(config_yaml: &str, certs: &Certs) -> Running {
    start_with(config_yaml, certs, |_| {}).await
}

pub async fn start_with(
    config_yaml: &str,
    certs: &Certs,
    adjust: impl FnOnce(&mut ServeOptions),
) -> Running {
    let config = Config::parse(".palisade.yaml", config_yaml).unwrap();
    let mut options = ServeOptions::new("127.0.0.1:0".parse().unwrap(), certs.files(), config);
    // Tests stop their server at once, unless they are about the shutdown delay.
    options.shutdown_delay = std::time::Duration::ZERO;
    adjust(&mut options);
    palisade_serve::start(options).await.unwrap()
}

/// A TLS client that trusts one CA.
#[derive(Clone)]
pub struct Client {
    connector: TlsConnector,
    pub addr: SocketAddr,
}

pub struct Conn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    /// The certificate the server presented, DER.
    pub peer_cert: Vec<u8>,
}

impl Client {
    pub fn new(ca_pem: &str, addr: SocketAddr) -> Client {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Client {
            connector: TlsConnector::from(Arc::new(config)),
            addr,
        }
    }

    /// A raw TLS stream, for tests that write HTTP by hand.
    pub async fn tls(&self) -> std::io::Result<TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(self.addr).await?;
        let name = ServerName::try_from("localhost").unwrap();
        self.connector.connect(name, tcp).await
    }

    pub async fn connect(&self) -> Result<Conn, String> {
        let tls = self.tls().await.map_err(|e| e.to_string())?;
        let peer_cert = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| c.as_ref().to_vec())
            .unwrap_or_default();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { sender, peer_cert })
    }

    /// One request on a new connection.
    pub async fn post(&self, path: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
        self.connect().await?.post(path, body).await
    }

    pub async fn get(&self, path: &str) -> Result<(u16, Vec<u8>), String> {
        self.connect().await?.get(path).await
    }
}

impl Conn {
    pub async fn post(&mut self, path: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
        let req = hyper::Request::post(path)
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::copy_from_slice(body)))
            .unwrap();
        self.send(req).await
    }

    pub async fn get(&mut self, path: &str) -> Result<(u16, Vec<u8>), String> {
        let req = hyper::Request::get(path)
            .header("host", "localhost")
            .body(Full::new(Bytes::new()))
            .unwrap();
        self.send(req).await
    }

    async fn send(&mut self, req: hyper::Request<Full<Bytes>>) -> Result<(u16, Vec<u8>), String> {
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes()
            .to_vec();
        Ok((status, body))
    }
}

/// Reads one raw HTTP response's status and the rest of what arrives until the server
/// closes or `limit` passes.
pub async fn read_raw(
    stream: &mut TlsStream<TcpStream>,
    limit: std::time::Duration,
) -> Result<String, String> {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if response_complete(&buf) {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    })
    .await;
    match read {
        Err(_) => Err(format!(
            "no complete response within {limit:?}; got {:?}",
            String::from_utf8_lossy(&buf)
        )),
        Ok(Err(e)) if buf.is_empty() => Err(e),
        Ok(_) => Ok(String::from_utf8_lossy(&buf).into_owned()),
    }
}

fn response_complete(buf: &[u8]) -> bool {
    let text = String::from_utf8_lossy(buf);
    let Some(end) = text.find("\r\n\r\n") else {
        return false;
    };
    let length = text[..end]
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    buf.len() >= end + 4 + length
}

pub async fn write_raw(stream: &mut TlsStream<TcpStream>, bytes: &[u8]) {
    stream.write_all(bytes).await.unwrap();
    stream.flush().await.unwrap();
}

/// An AdmissionReview for `object` (JSON text).
pub fn review(
    uid: &str,
    resource: &str,
    kind: &str,
    namespace: &str,
    operation: &str,
    object: &str,
) -> String {
    let (group, version) = match kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => ("apps", "v1"),
        "Job" | "CronJob" => ("batch", "v1"),
        _ => ("", "v1"),
    };
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"{uid}","kind":{{"group":"{group}","version":"{version}","kind":"{kind}"}},"resource":{{"group":"{group}","version":"{version}","resource":"{resource}"}},"requestKind":{{"group":"{group}","version":"{version}","kind":"{kind}"}},"namespace":"{namespace}","operation":"{operation}","userInfo":{{"username":"alice","groups":["system:authenticated"]}},"object":{object},"oldObject":null,"dryRun":false,"options":{{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}}}}}}"#
    )
}

/// The `response` of an AdmissionReview body.
pub fn response(body: &[u8]) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)));
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["kind"], "AdmissionReview");
    v["response"].clone()
}

/// YAML manifest text as JSON text.
pub fn yaml_to_json(yaml: &str) -> String {
    let mut parsed = palisade_load::parse_str(yaml, &palisade_load::Limits::default());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let root = parsed.documents.remove(0).root;
    palisade_serve::json::to_json(&root).to_string()
}
