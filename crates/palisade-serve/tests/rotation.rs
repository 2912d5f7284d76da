//! Certificate rotation under load: the files are replaced while requests flow, the way
//! Kubernetes updates a mounted Secret (a new folder, then the `..data` symlink swapped) and
//! the way a careless script does (the certificate written, then the key, in place). No
//! request may fail, and new connections must then see the new certificate.

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::{Client, der, response, review, temp_dir};

const POD: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}"#;

/// A CA, and serving certificates it signs.
struct Pki {
    ca_pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl Pki {
    fn new() -> Pki {
        let (ca_pem, _, issuer) = palisade_serve::certs::ca("rotation test CA").unwrap();
        Pki { ca_pem, issuer }
    }

    fn leaf(&self) -> (String, String) {
        palisade_serve::certs::leaf(&["localhost".to_string()], &self.issuer).unwrap()
    }
}

/// Lays out a Secret volume as the kubelet does: `..<stamp>/` holds the files, `..data`
/// points at it, and `tls.crt` / `tls.key` point into `..data`.
fn mount_secret(dir: &Path, stamp: &str, cert: &str, key: &str) {
    let data = dir.join(format!("..{stamp}"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("tls.crt"), cert).unwrap();
    std::fs::write(data.join("tls.key"), key).unwrap();
    let tmp = dir.join("..data_tmp");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(format!("..{stamp}"), &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
    for name in ["tls.crt", "tls.key"] {
        let link = dir.join(name);
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(format!("..data/{name}"), &link).unwrap();
        }
    }
}

async fn served_cert(client: &Client) -> Vec<u8> {
    client.connect().await.unwrap().peer_cert
}

async fn wait_for_cert(client: &Client, want: &[u8]) -> Duration {
    let started = Instant::now();
    while served_cert(client).await != want {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_rotate_under_load_without_a_failed_request() {
    let pki = Pki::new();
    let dir = temp_dir("rotation");
    let first = pki.leaf();
    mount_secret(&dir, "2026_01_01", &first.0, &first.1);
    let certs = common::Certs {
        dir: dir.clone(),
        ca_pem: pki.ca_pem.clone(),
        cert_pem: first.0.clone(),
    };
    let server = common::start_with("", &certs, |o| o.cert_poll = Duration::from_millis(50)).await;
    let client = Client::new(&pki.ca_pem, server.addr);
    assert_eq!(served_cert(&client).await, der(&first.0));

    // Load: several clients, each opening a new connection every few requests so that
    // handshakes happen throughout the rotation.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (client, stop, sent) = (client.clone(), stop.clone(), sent.clone());
        workers.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let mut conn = match client.connect().await {
                    Ok(c) => c,
                    Err(e) => {
                        failures.push(format!("connect: {e}"));
                        continue;
                    }
                };
                for _ in 0..5 {
                    i += 1;
                    let uid = format!("{w}-{i}");
                    let body = review(&uid, "pods", "Pod", "default", "CREATE", POD);
                    match conn.post("/validate", body.as_bytes()).await {
                        Ok((200, b)) if response(&b)["uid"] == uid.as_str() => {
                            sent.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok((status, b)) => {
                            failures.push(format!("{status}: {}", String::from_utf8_lossy(&b)))
                        }
                        Err(e) => failures.push(e),
                    }
                }
            }
            failures
        }));
    }

    // Kubernetes' way: a new folder, then the symlink swapped.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = pki.leaf();
    mount_secret(&dir, "2026_02_01", &second.0, &second.1);
    wait_for_cert(&client, &der(&second.0)).await;
    let after_swap = sent.load(Ordering::SeqCst);

    // In place and not atomically: the certificate first, the key a moment later. The
    // mismatched pair in between must not be used.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let third = pki.leaf();
    let (cert_file, key_file) = (dir.join("..data/tls.crt"), dir.join("..data/tls.key"));
    std::fs::write(&cert_file, &third.0).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        served_cert(&client).await,
        der(&second.0),
        "a certificate without its key was served"
    );
    std::fs::write(&key_file, &third.1).unwrap();
    wait_for_cert(&client, &der(&third.0)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    stop.store(true, Ordering::SeqCst);
    let mut failures = Vec::new();
    for w in workers {
        failures.extend(w.await.unwrap());
    }
    let total = sent.load(Ordering::SeqCst);
    assert!(
        failures.is_empty(),
        "{} failed requests: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(
        after_swap > 20 && total > after_swap,
        "too little load: {after_swap} then {total}"
    );

    let (_, metrics) = client.get("/metrics").await.unwrap();
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains(r#"palisade_admission_certificate_reloads_total{result="success"} 2"#),
        "{metrics}"
    );
    server.shutdown().await.unwrap();
}
