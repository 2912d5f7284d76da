//! Finding and reading input files.
//!
//! Directories are walked with ripgrep's walker, so `.gitignore`, `.ignore` and
//! `.palisadeignore` files are honoured (even outside a git checkout) and hidden folders
//! other than `.git` are searched: manifests often live in `.deploy/` or `.k8s/`. A path
//! named on the command line is always read, whatever its extension: as a Dockerfile when its
//! name says so, as YAML or JSON otherwise.
//!
//! Dockerfiles are recognised by name, without case: `Dockerfile`, `Containerfile`,
//! `Dockerfile.<suffix>`, `Dockerfile-<suffix>`, `<name>.Dockerfile` and
//! `<name>.Containerfile`. Walks leave out `.palisade.yaml` and `.hadolint.yaml`, which are
//! configuration. Names that are templates or companions rather than build files
//! (`Dockerfile.template`, `Dockerfile.j2`, `Dockerfile.dockerignore`, `Dockerfile.md`, …) and
//! source files of tools that handle Dockerfiles (`dockerfile.go`, `dockerfile.rs`) are left
//! out.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::node::{Pos, Span};
use crate::parse::{Diagnostic, DiagnosticKind, Limits};

/// The display name used for standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// A file chosen for scanning.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    /// The path as the user will see it in reports.
    pub path: PathBuf,
    pub kind: FileKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// YAML or JSON that may hold Kubernetes objects.
    Manifest,
    /// Standard input, read as YAML or JSON.
    Stdin,
    /// A Dockerfile or Containerfile.
    Dockerfile,
}

/// A walk problem: a folder that could not be read, a path that does not exist.
#[derive(Debug, Clone)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
    /// False for what loses nothing: a symbolic link back to a folder already walked.
    pub error: bool,
}

/// Whether a file met during a directory walk is one Palisade reads.
pub fn classify(path: &Path) -> Option<FileKind> {
    if is_dockerfile_name(path) {
        return Some(FileKind::Dockerfile);
    }
    // Palisade's and hadolint's own configuration files are read as configuration, not
    // scanned as manifests.
    let name = path.file_name()?.to_str()?;
    if TOOL_CONFIGS.contains(&name) {
        return None;
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    matches!(ext.as_str(), "yaml" | "yml" | "json").then_some(FileKind::Manifest)
}

/// Configuration files found in a walk that are not input.
const TOOL_CONFIGS: &[&str] = &[CONFIG_FILE_NAME, ".hadolint.yaml", ".hadolint.yml"];

/// Palisade's configuration file.
pub const CONFIG_FILE_NAME: &str = ".palisade.yaml";

/// Suffixes of files named like Dockerfiles that are not build files: templates, companions,
/// documents, and the source files of tools that handle Dockerfiles (`dockerfile.go`,
/// `dockerfile.rs`).
#[rustfmt::skip]
const NOT_BUILD_FILES: &[&str] = &[
    // templates and companions
    "dockerignore", "template", "tmpl", "tpl", "j2", "jinja", "jinja2", "erb", "mustache",
    "hbs", "in", "sample", "example", "dist", "orig", "bak", "old", "new", "swp", "rej",
    "diff", "patch",
    // documents and data
    "md", "rst", "adoc", "txt", "html", "htm", "xml", "yaml", "yml", "json", "toml", "ini",
    "cfg", "conf", "properties", "env", "lock", "sum", "mod", "csv", "svg", "png", "jpg",
    "gif", "pdf", "gz", "tgz", "zip", "tar",
    // source code
    "sh", "bash", "zsh", "fish", "ps1", "psm1", "bat", "cmd", "py", "rs", "go", "ts", "tsx",
    "js", "jsx", "mjs", "cjs", "java", "kt", "kts", "groovy", "gradle", "scala", "clj", "c",
    "h", "cc", "cpp", "cxx", "hh", "hpp", "m", "mm", "cs", "fs", "vb", "rb", "php", "swift",
    "dart", "lua", "pl", "pm", "r", "jl", "hs", "ml", "ex", "exs", "erl", "el", "vim", "nix",
    "tf", "tfvars", "hcl", "bzl", "bazel", "cmake", "mk", "sql", "proto", "css", "scss",
];

/// Whether a file name is a Dockerfile's or a Containerfile's.
pub fn is_dockerfile_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    let last_ext = lower.rsplit_once('.').map(|(_, e)| e);
    if last_ext.is_some_and(|e| NOT_BUILD_FILES.contains(&e)) {
        return false;
    }
    ["dockerfile", "containerfile"].iter().any(|base| {
        lower == *base
            || lower.strip_prefix(base).is_some_and(|rest| {
                (rest.starts_with('.') || rest.starts_with('-')) && rest.len() > 1
            })
            || lower
                .strip_suffix(base)
                .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1)
    })
}

/// What a walk met that it could not read. Symbolic links that lead nowhere lose nothing
/// (a loop back to a folder being walked, links that point at each other, a dangling link):
/// they are warnings; anything else is an error.
fn walk_error(root: &Path, e: &ignore::Error) -> WalkError {
    if let Some((ancestor, child)) = symlink_loop(e) {
        return WalkError {
            message: format!(
                "a symbolic link leads back to {}, which is scanned already; it was not \
                 followed again",
                ancestor.display()
            ),
            path: child.to_path_buf(),
            error: false,
        };
    }
    let at = error_path(e).unwrap_or(root).to_path_buf();
    let link = std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink());
    match e.io_error() {
        // ELOOP: links that point at each other.
        Some(io) if io.kind() == std::io::Error::from_raw_os_error(ELOOP).kind() => WalkError {
            message: format!("symbolic links point at each other in a loop; not followed: {e}"),
            path: at,
            error: false,
        },
        Some(io) if link && io.kind() == std::io::ErrorKind::NotFound => WalkError {
            message: "this symbolic link points at nothing; skipped".into(),
            path: at,
            error: false,
        },
        _ => WalkError {
            path: root.to_path_buf(),
            message: e.to_string(),
            error: true,
        },
    }
}

/// Linux's "too many levels of symbolic links".
const ELOOP: i32 = 40;

/// The path a walk error names, if any.
fn error_path(e: &ignore::Error) -> Option<&Path> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

/// The folder and the link of a symbolic-link loop met in a walk.
fn symlink_loop(e: &ignore::Error) -> Option<(&Path, &Path)> {
    match e {
        ignore::Error::Loop { ancestor, child } => Some((ancestor, child)),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => symlink_loop(err),
        _ => None,
    }
}

/// Expands the command-line paths into the files to scan, sorted and without repeats.
pub fn discover(paths: &[PathBuf]) -> (Vec<Candidate>, Vec<WalkError>) {
    let (found, errors, _) = discover_with_configs(paths);
    (found, errors)
}

/// As [`discover`], also returning the `.palisade.yaml` files the walks met (they are not
/// input), so that a scan can say which of them it does not use.
pub fn discover_with_configs(paths: &[PathBuf]) -> (Vec<Candidate>, Vec<WalkError>, Vec<PathBuf>) {
    let mut configs = Vec::new();
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            found.push(Candidate {
                path: PathBuf::from(STDIN_NAME),
                kind: FileKind::Stdin,
            });
            continue;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                errors.push(WalkError {
                    path: path.clone(),
                    message: e.to_string(),
                    error: true,
                });
                continue;
            }
        };
        // Anything named explicitly that is not a folder is read: files, but also FIFOs and
        // `<(…)` process substitutions.
        if !meta.is_dir() {
            let kind = if is_dockerfile_name(path) {
                FileKind::Dockerfile
            } else {
                FileKind::Manifest
            };
            found.push(Candidate {
                path: path.clone(),
                kind,
            });
            continue;
        }
        let walker = ignore::WalkBuilder::new(path)
            .hidden(false)
            .follow_links(true)
            .require_git(false)
            .add_custom_ignore_filename(".palisadeignore")
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                    if let Some(kind) = classify(e.path()) {
                        found.push(Candidate {
                            path: e.into_path(),
                            kind,
                        });
                    } else if e.file_name() == CONFIG_FILE_NAME {
                        configs.push(e.into_path());
                    }
                }
                Ok(_) => {}
                Err(e) => errors.push(walk_error(path, &e)),
            }
        }
    }
    found.sort();
    found.dedup();
    // `a.yaml`, `./a.yaml` and `/abs/a.yaml` are one file: keep the first spelling.
    let mut seen = std::collections::HashSet::new();
    found.retain(|c| match c.path.canonicalize() {
        Ok(real) => seen.insert(real),
        Err(_) => true,
    });
    (found, errors, configs)
}

/// Reads a candidate's text, enforcing the size budget and UTF-8.
pub fn read(candidate: &Candidate, limits: &Limits) -> Result<String, Diagnostic> {
    let mut bytes = Vec::new();
    let limit = limits.max_file_bytes;
    let result = match candidate.kind {
        FileKind::Stdin => std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes),
        FileKind::Manifest | FileKind::Dockerfile => std::fs::File::open(&candidate.path)
            .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes)),
    };
    let at_start = Span::new(Pos { line: 1, column: 1 }, Pos { line: 1, column: 1 });
    if let Err(e) = result {
        return Err(Diagnostic {
            kind: DiagnosticKind::Read,
            message: format!("cannot read: {e}"),
            span: at_start,
        });
    }
    if bytes.len() as u64 > limit {
        return Err(Diagnostic {
            kind: DiagnosticKind::Limit,
            message: format!(
                "larger than the {} MiB limit for one file",
                limit / (1024 * 1024)
            ),
            span: at_start,
        });
    }
    decode(bytes)
}

/// UTF-8 with an optional byte-order mark, or UTF-16 with one (as Kubernetes' decoder reads
/// both); anything else is refused with the position of the first bad byte.
pub fn decode(mut bytes: Vec<u8>) -> Result<String, Diagnostic> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    let utf16 = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(u16::from_le_bytes as fn([u8; 2]) -> u16),
        Some([0xFE, 0xFF]) => Some(u16::from_be_bytes as fn([u8; 2]) -> u16),
        _ => None,
    };
    if let Some(unit) = utf16 {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| unit([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        let at_start = Span::new(Pos { line: 1, column: 1 }, Pos { line: 1, column: 1 });
        return String::from_utf16(&units).map_err(|_| Diagnostic {
            kind: DiagnosticKind::Read,
            message: "not valid UTF-16 text, although it starts with a UTF-16 byte-order mark"
                .into(),
            span: at_start,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let text = std::str::from_utf8(valid).unwrap_or_default();
        let line = text.matches('\n').count() as u32 + 1;
        let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
        let pos = Pos { line, column };
        Diagnostic {
            kind: DiagnosticKind::Read,
            message: "not UTF-8 text (nor UTF-16 with a byte-order mark)".into(),
            span: Span::new(pos, pos),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_back_to_a_walked_folder_is_a_warning_not_an_error() {
        let dir = std::env::temp_dir().join(format!("palisade-loop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/ns.yaml"), "kind: Namespace\n").unwrap();
        std::os::unix::fs::symlink("..", dir.join("sub/up")).unwrap();
        let (found, errors) = discover(std::slice::from_ref(&dir));
        assert_eq!(found.len(), 1);
        assert_eq!(errors.len(), 1);
        assert!(!errors[0].error);
        assert!(errors[0].path.ends_with("sub/up"), "{:?}", errors[0].path);
        assert!(errors[0].message.contains("leads back to"));
        let _ = std::fs::remove_dir_all(&dir);

        // Links that point at each other, and a link to nothing.
        let dir = std::env::temp_dir().join(format!("palisade-loop2-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ns.yaml"), "kind: Namespace\n").unwrap();
        std::os::unix::fs::symlink("loopB", dir.join("loopA")).unwrap();
        std::os::unix::fs::symlink("loopA", dir.join("loopB")).unwrap();
        std::os::unix::fs::symlink("missing", dir.join("notes.txt")).unwrap();
        let (found, errors) = discover(std::slice::from_ref(&dir));
        assert_eq!(found.len(), 1);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.iter().all(|e| !e.error), "{errors:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn invalid_utf8_is_located() {
        let err = decode(b"a: 1\nb: \xff\n".to_vec()).unwrap_err();
        assert_eq!(err.span.start, Pos { line: 2, column: 4 });
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_read() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend("kind: Pod\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(bytes).unwrap(), "kind: Pod\n");
    }

    #[test]
    fn byte_order_mark_is_dropped() {
        assert_eq!(decode(b"\xEF\xBB\xBFa: 1".to_vec()).unwrap(), "a: 1");
    }

    #[test]
    fn only_yaml_and_json_are_picked_up_in_walks() {
        assert_eq!(classify(Path::new("a/b.YAML")), Some(FileKind::Manifest));
        assert_eq!(classify(Path::new("a/b.json")), Some(FileKind::Manifest));
        assert_eq!(classify(Path::new("a/README.md")), None);
    }

    #[test]
    fn configuration_files_are_not_scanned_in_walks() {
        assert_eq!(classify(Path::new("repo/.palisade.yaml")), None);
        assert_eq!(classify(Path::new("repo/.hadolint.yml")), None);
        assert_eq!(
            classify(Path::new("repo/.github/ci.yaml")),
            Some(FileKind::Manifest)
        );
    }

    #[test]
    fn dockerfiles_are_recognised_by_name() {
        for name in [
            "Dockerfile",
            "dockerfile",
            "Containerfile",
            "Dockerfile.alpine",
            "Dockerfile-chroot",
            "web.Dockerfile",
            "api.dockerfile",
            "x.Containerfile",
        ] {
            assert_eq!(
                classify(Path::new(name)),
                Some(FileKind::Dockerfile),
                "{name}"
            );
        }
        for name in [
            "Dockerfile.template",
            "Dockerfile-linux.template",
            "Dockerfile.dockerignore",
            "Dockerfile.md",
            "dockerfile.go",
            "dockerfile.rs",
            "Dockerfile.ts",
            "dockerfile.toml",
            "Dockerfile.example",
            "Dockerfile.",
            ".Dockerfile",
            "Dockerfiles",
            "dockerfile.yaml",
        ] {
            assert_ne!(
                classify(Path::new(name)),
                Some(FileKind::Dockerfile),
                "{name}"
            );
        }
    }
}
