//! Where the shared corpus is, for the tests that compare with other tools' fixtures.

use std::path::PathBuf;

/// `corpus/<project>` under `PALISADE_SHARED`, or under `shared/` beside the repository.
/// A missing folder fails the test: a comparison that ran on nothing proves nothing.
pub fn corpus(project: &str) -> PathBuf {
    let shared = std::env::var_os("PALISADE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("corpus").join(project);
    assert!(
        dir.is_dir(),
        "{} not found (set PALISADE_SHARED to the shared data folder)",
        dir.display()
    );
    dir
}
