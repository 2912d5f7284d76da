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
