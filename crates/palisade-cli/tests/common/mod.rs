//! Shared helpers for the end-to-end tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The `palisade` binary built for these tests.
pub fn palisade() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("palisade"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared data folder (corpus, conformance fixtures): `PALISADE_SHARED`, or `shared/`
/// beside the repository.
pub fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("PALISADE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared"));
    assert!(
        dir.join("conformance").is_dir(),
        "shared data not found at {} (set PALISADE_SHARED)",
        dir.display()
    );
    dir
}

/// An empty scratch folder for one test, named after the test binary's process and `name`.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `palisade` with `args` in `dir`.
pub fn run_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    palisade().current_dir(dir).args(args).output().unwrap()
}

/// Runs `palisade` with `args` in the repository root, `input` on its standard input.
pub fn run_with_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = palisade()
        .current_dir(repo_root())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// A JSON report on standard output; the test fails with standard error if it is not one.
pub fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}
