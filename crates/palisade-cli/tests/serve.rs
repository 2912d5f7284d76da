//! `palisade serve`, `certs` and `install` as a user runs them.
#![cfg(feature = "serve")]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{palisade, repo_root};

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
fn the_deployment_passes_its_own_scan_at_restricted() {
    let out = palisade()
        .args(["scan", "--pss-level", "restricted", "--format", "json"])
        .arg(repo_root().join("deploy"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["errors"], serde_json::json!([]));
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
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
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
    // SAFETY: sends a signal to the child this test started and still owns.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0);
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "serve did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code.code(), Some(0));
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("\"stopped\"")), "{rest:?}");
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
