//! `palisade serve`, `certs` and `install` as a user runs them.
#![cfg(feature = "serve")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::common::{palisade, repo_root};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The files of `deploy/`, joined as `palisade install` joins them.
fn deploy_folder() -> String {
    let mut files: Vec<_> = std::fs::read_dir(repo_root().join("deploy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    palisade_serve::install::join(texts.iter().map(String::as_str))
}

#[test]
fn install_prints_exactly_the_deploy_folder() {
    let out = palisade().arg("install").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), deploy_folder());
}

#[test]
fn the_deployment_and_the_image_pass_their_own_scan_at_restricted() {
    let out = palisade()
        .args(["scan", "--pss-level", "restricted", "--format", "json"])
        .arg(repo_root().join("deploy"))
        .arg(repo_root().join("Dockerfile"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["suppressed"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(report["summary"]["dockerfiles"], 1);
    assert_eq!(out.status.code(), Some(0));

    // The same without cert-manager.
    let dir = temp_dir("install-ca");
    assert!(
        palisade()
            .args(["certs", "--out"])
            .arg(&dir)
            .output()
            .unwrap()
            .status
            .success()
    );
    let manifests = palisade()
        .args(["install", "--ca-bundle"])
        .arg(dir.join("ca.crt"))
        .output()
        .unwrap();
    let text = String::from_utf8(manifests.stdout).unwrap();
    assert!(text.contains("caBundle: ") && !text.contains("cert-manager"));
    let out = palisade()
        .args(["scan", "--pss-level", "restricted", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn certs_writes_a_ca_and_a_key_only_its_owner_reads() {
    let dir = temp_dir("certs");
    let out = palisade()
        .args(["certs", "--service", "hook", "--namespace", "sec", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("hook.sec.svc"));
    for f in ["ca.crt", "tls.crt", "tls.key"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("tls.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    let cert = std::fs::read(dir.join("tls.crt")).unwrap();
    let key = std::fs::read(dir.join("tls.key")).unwrap();
    palisade_serve::tls::server_config(&cert, &key).unwrap();
}

#[test]
fn serve_refuses_to_start_without_a_usable_certificate() {
    let out = palisade()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            "/nonexistent/tls.crt",
            "--tls-key",
            "/nonexistent/tls.key",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/tls.crt"));
}

#[cfg(unix)]
#[test]
fn serve_logs_json_and_stops_cleanly_on_sigterm() {
    let dir = temp_dir("serve");
    assert!(
        palisade()
            .args(["certs", "--out"])
            .arg(&dir)
            .output()
            .unwrap()
            .status
            .success()
    );
    let mut child = palisade()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--shutdown-delay",
            "0",
            "--tls-cert",
        ])
        .arg(dir.join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.join("tls.key"))
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let log: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        log["fields"]["message"], "serving admission reviews",
        "{first}"
    );
    assert!(
        log["fields"]["address"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );

    let started = Instant::now();
    sigterm(&child);
    let code = wait_for_exit(&mut child, Duration::from_secs(10));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, Some(0));
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("\"stopped\"")), "{rest:?}");
}

#[cfg(unix)]
fn sigterm(child: &std::process::Child) {
    // SAFETY: sends a signal to the child this test started and still owns.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0);
}

fn wait_for_exit(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("serve did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One HTTPS request to `addr` on a new connection, trusting `ca_pem`: status and body.
fn https(addr: &str, ca_pem: &[u8], method: &str, path: &str, body: &str) -> (u16, String) {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    // The server may close without a TLS close_notify: what arrived is the answer.
    let _ = tls.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer to {method} {path}: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn pod_review(uid: &str) -> String {
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"{uid}","kind":{{"group":"","version":"v1","kind":"Pod"}},"resource":{{"group":"","version":"v1","resource":"pods"}},"namespace":"default","operation":"CREATE","userInfo":{{"username":"alice"}},"object":{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p"}},"spec":{{"containers":[{{"name":"c","image":"nginx:1.27"}}]}}}}}}}}"#
    )
}

#[cfg(unix)]
#[test]
fn serve_answers_while_not_ready_for_the_shutdown_delay_after_sigterm() {
    let dir = temp_dir("serve-drain");
    assert!(
        palisade()
            .args(["certs", "--out"])
            .arg(&dir)
            .output()
            .unwrap()
            .status
            .success()
    );
    let ca = std::fs::read(dir.join("ca.crt")).unwrap();
    let delay = Duration::from_secs(3);
    let mut child = palisade()
        .args(["serve", "--listen", "127.0.0.1:0", "--shutdown-delay", "3"])
        .arg("--tls-cert")
        .arg(dir.join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.join("tls.key"))
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let addr = first["fields"]["address"].as_str().unwrap().to_string();
    assert_eq!(
        https(&addr, &ca, "GET", "/readyz", ""),
        (200, "ready".into())
    );

    let started = Instant::now();
    sigterm(&child);
    // Not ready at once, while reviews are still answered.
    loop {
        let (status, body) = https(&addr, &ca, "GET", "/readyz", "");
        if status == 503 {
            assert_eq!(body, "shutting down");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "/readyz still {status}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let (status, body) = https(&addr, &ca, "POST", "/validate", &pod_review("draining"));
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["response"]["uid"], "draining");
    assert_eq!(https(&addr, &ca, "GET", "/healthz", "").0, 200);
    assert!(
        started.elapsed() < delay,
        "the checks took longer than the delay"
    );

    // Then it stops, once the delay is over.
    let code = wait_for_exit(&mut child, Duration::from_secs(15));
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert_eq!(code, Some(0));
    assert!(TcpStream::connect(&addr).is_err(), "still listening");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter()
            .any(|l| l.contains("still answering until the delay ends")),
        "{rest:?}"
    );
    assert!(rest.iter().any(|l| l.contains("\"stopped\"")), "{rest:?}");
}

/// Kubernetes kills the pod after `terminationGracePeriodSeconds`: that must cover the
/// shutdown delay and the grace period the Deployment gives the server.
#[test]
fn the_deployment_gives_shutdown_its_delay_and_grace() {
    let text = std::fs::read_to_string(repo_root().join("deploy/40-deployment.yaml")).unwrap();
    let parsed = palisade_load::parse_str(&text, &palisade_load::Limits::default());
    let pod = parsed.documents[0]
        .root
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("spec"))
        .unwrap();
    let termination = pod
        .get("terminationGracePeriodSeconds")
        .and_then(|n| n.as_i64())
        .unwrap();
    let args: Vec<&str> = pod.get("containers").unwrap().items()[0]
        .get("args")
        .unwrap()
        .items()
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    let seconds = |flag: &str| -> i64 {
        args.iter()
            .find_map(|a| a.strip_prefix(flag)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("the Deployment does not set {flag}"))
            .parse()
            .unwrap()
    };
    let (delay, grace) = (seconds("--shutdown-delay"), seconds("--shutdown-grace"));
    assert!(delay > 0, "no drain before the listener closes");
    assert!(
        termination > delay + grace,
        "terminationGracePeriodSeconds {termination} <= {delay} + {grace}"
    );
}

#[test]
fn install_refuses_a_ca_bundle_that_is_not_certificates() {
    let dir = temp_dir("install-bad-ca");
    assert!(
        palisade()
            .args(["certs", "--out"])
            .arg(&dir)
            .output()
            .unwrap()
            .status
            .success()
    );
    let key = std::fs::read_to_string(dir.join("tls.key")).unwrap();
    std::fs::write(dir.join("notpem.txt"), "hello\n").unwrap();
    for (file, says) in [
        ("tls.key", "private key"),
        ("notpem.txt", "no PEM certificate"),
    ] {
        let out = palisade()
            .args(["install", "--ca-bundle"])
            .arg(dir.join(file))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{file}");
        assert!(out.stdout.is_empty(), "{file}: manifests printed");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says) && stderr.contains(file), "{stderr}");
        for line in key.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!stderr.contains(line), "the key is echoed: {stderr}");
        }
    }
}

#[test]
fn certs_refuses_to_replace_existing_files_without_force() {
    let dir = temp_dir("certs-again");
    let certs = |force: bool| {
        let mut cmd = palisade();
        cmd.args(["certs", "--out"]).arg(&dir);
        if force {
            cmd.arg("--force");
        }
        cmd.output().unwrap()
    };
    assert!(certs(false).status.success());
    let ca = std::fs::read(dir.join("ca.crt")).unwrap();
    let key = std::fs::read(dir.join("tls.key")).unwrap();

    let out = certs(false);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already exist") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(dir.join("ca.crt")).unwrap(), ca);
    assert_eq!(std::fs::read(dir.join("tls.key")).unwrap(), key);

    assert!(certs(true).status.success());
    assert_ne!(std::fs::read(dir.join("ca.crt")).unwrap(), ca);
}
