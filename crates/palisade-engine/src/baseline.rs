//! Baselines: adopt Palisade on an existing repository and report only new findings.
//!
//! A baseline records each finding by the file, the rule, the object (kind, namespace, name),
//! the container and the finding's identity inside the object ([`Finding::identity`]): its
//! field with the items of keyed lists named (`containers[name=web].env[name=DB_PASSWORD]`),
//! or for a Dockerfile its stage, instruction and subject (`stage 0: ARG GITHUB_TOKEN`). Not
//! the line, so findings survive lines moving and reformatting; not list indexes, so they
//! survive items inserted above them; not the message, so they survive rewording; and never a
//! value, so no secret is written into the file. Identical findings are counted, so a second
//! copy of a baselined problem is still new.
//!
//! Paths are written relative to the baseline file's folder, so the baseline matches whatever
//! folder the scan runs from. A baseline that matches no scanned file at all is reported, as
//! it usually means it was written for other paths.
//!
//! The file is JSON, sorted, one finding per entry, and written atomically (a temporary file
//! renamed over the old one), so it reviews well in a diff and is never half-written.
//!
//! Format 1 (list indexes, paths as shown, Dockerfile findings told apart only by rule) is
//! still read: its entries match as they did, except its Dockerfile entries, which could hide
//! new findings and are not used (a warning says so).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::suppress::{Suppression, SuppressionKind};
use crate::{FileDiagnostic, FileReport, Finding, ScanReport};

const FORMAT_VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
struct File {
    palisade_baseline: u32,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    path: String,
    resource: String,
    rule: String,
    field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    container: Option<String>,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    count: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// What a baseline entry and a finding are compared by.
type Key = (String, String, String, String, Option<String>);

impl Entry {
    fn key(&self) -> Key {
        (
            self.path.clone(),
            self.resource.clone(),
            self.rule.clone(),
            self.field.clone(),
            self.container.clone(),
        )
    }

    fn is_dockerfile(&self) -> bool {
        self.resource.starts_with("Dockerfile/")
    }
}

/// A loaded baseline: how many findings of each fingerprint are already known.
#[derive(Debug)]
pub struct Baseline {
    version: u32,
    /// The folder format 2 paths are relative to: the baseline file's, canonical.
    dir: PathBuf,
    remaining: Mutex<HashMap<Key, usize>>,
    /// Every path an entry names.
    paths: HashSet<String>,
    /// Format 1 Dockerfile entries left unused.
    dropped_dockerfile_entries: usize,
    /// Paths of scanned files as entries write them, by the name reports show.
    relative: Mutex<HashMap<Arc<str>, String>>,
    suppression: Arc<Suppression>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
        let file: File = serde_json::from_str(&text).map_err(|e| {
            // serde_json says `column 0` at the very start of a line; columns are 1-based.
            let message = e.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m);
            format!(
                "{}:{}:{}: not a Palisade baseline: {message}",
                path.display(),
                e.line(),
                e.column().max(1)
            )
        })?;
        if !(1..=FORMAT_VERSION).contains(&file.palisade_baseline) {
            return Err(format!(
                "{}: baseline format {} is not supported (expected 1 to {FORMAT_VERSION})",
                path.display(),
                file.palisade_baseline
            ));
        }
        let version = file.palisade_baseline;
        let mut remaining = HashMap::new();
        let mut paths = HashSet::new();
        let mut dropped_dockerfile_entries = 0;
        for e in file.findings {
            if version == 1 && e.is_dockerfile() {
                dropped_dockerfile_entries += e.count;
                continue;
            }
            paths.insert(e.path.clone());
            *remaining.entry(e.key()).or_default() += e.count;
        }
        Ok(Baseline {
            version,
            dir: folder_of(path),
            remaining: Mutex::new(remaining),
            paths,
            dropped_dockerfile_entries,
            relative: Mutex::new(HashMap::new()),
            suppression: Arc::new(Suppression {
                kind: SuppressionKind::Baseline,
                reason: format!("recorded in the baseline {}", path.display()),
                expires: None,
                file: Arc::from(path.to_string_lossy().as_ref()),
                span: None,
            }),
        })
    }

    /// The path an entry for a finding in `file` (as reports show it) has.
    fn entry_path(&self, file: &Arc<str>) -> String {
        if self.version == 1 {
            return file.to_string();
        }
        let mut cache = self.relative.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(file.clone())
            .or_insert_with(|| relative_path(&self.dir, file))
            .clone()
    }

    /// Marks `finding` as known if the baseline still has an unclaimed entry for it.
    pub(crate) fn claim(&self, finding: &mut Finding) -> bool {
        let field = if self.version == 1 {
            finding.field.to_string()
        } else {
            finding.identity.clone()
        };
        let key = (
            self.entry_path(&finding.file),
            finding.resource.to_string(),
            finding.rule.id.to_string(),
            field,
            finding.container.clone(),
        );
        let mut remaining = self.remaining.lock().unwrap_or_else(|e| e.into_inner());
        match remaining.get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                finding.suppression = Some(self.suppression.clone());
                true
            }
            _ => false,
        }
    }

    /// Warnings about the baseline itself, once the scan of `files` is done: format 1
    /// Dockerfile entries left unused, and a baseline none of whose entries is for a scanned
    /// file (written from another folder, or for other paths).
    pub(crate) fn diagnostics(&self, files: &[FileReport]) -> Vec<FileDiagnostic> {
        let mut out = Vec::new();
        let mut warn = |message: String| {
            out.push(FileDiagnostic {
                file: self.suppression.file.clone(),
                code: "baseline",
                error: false,
                message,
                span: None,
            })
        };
        if self.dropped_dockerfile_entries > 0 {
            warn(format!(
                "{} Dockerfile finding(s) of this format 1 baseline are not used: format 1 cannot \
                 tell one Dockerfile finding of a rule from another, so they could hide new ones; \
                 write the baseline again with `--write-baseline`",
                self.dropped_dockerfile_entries
            ));
        }
        let scanned: Vec<&Arc<str>> = files
            .iter()
            .filter(|f| f.objects > 0 || f.dockerfiles > 0)
            .map(|f| &f.file)
            .collect();
        if !self.paths.is_empty()
            && !scanned.is_empty()
            && !scanned
                .iter()
                .any(|f| self.paths.contains(&self.entry_path(f)))
        {
            let example = self.paths.iter().min().cloned().unwrap_or_default();
            let relative_to = if self.version == 1 {
                "the folder it was written from".to_string()
            } else {
                format!("`{}`", self.dir.display())
            };
            warn(format!(
                "no finding in this baseline is for a scanned file, so every finding counts as \
                 new; its paths (such as `{example}`) are relative to {relative_to}"
            ));
        }
        out
    }
}

/// The folder of `file`, canonical when it exists.
fn folder_of(file: &Path) -> PathBuf {
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// `file` relative to `dir`, with `/` separators and `..` where it lies outside; `file` as
/// given when it does not exist (standard input under its name).
fn relative_path(dir: &Path, file: &str) -> String {
    let Ok(abs) = Path::new(file).canonicalize() else {
        return file.to_string();
    };
    let from: Vec<Component> = dir.components().collect();
    let to: Vec<Component> = abs.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return abs.to_string_lossy().replace('\\', "/");
    }
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().to_string()),
    );
    parts.join("/")
}

/// Writes the findings of `report` that no annotation or configuration suppresses (whether a
/// baseline covered them or not) as a new baseline, paths relative to its folder.
pub fn write(report: &ScanReport, path: &Path) -> Result<usize, String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let canonical_dir = folder_of(path);
    let mut relative: HashMap<&str, String> = HashMap::new();

    let mut counts: BTreeMap<Entry, usize> = BTreeMap::new();
    let baselined = report
        .files
        .iter()
        .flat_map(|f| f.suppressed.iter())
        .filter(|f| {
            f.suppression
                .as_ref()
                .is_some_and(|s| s.kind == SuppressionKind::Baseline)
        });
    for f in report.findings().chain(baselined) {
        let path = relative
            .entry(&f.file)
            .or_insert_with(|| relative_path(&canonical_dir, &f.file))
            .clone();
        let entry = Entry {
            path,
            resource: f.resource.to_string(),
            rule: f.rule.id.to_string(),
            field: f.identity.clone(),
            container: f.container.clone(),
            count: 1,
        };
        *counts.entry(entry).or_default() += 1;
    }
    let total = counts.values().sum();
    let findings = counts
        .into_iter()
        .map(|(mut e, n)| {
            e.count = n;
            e
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&File {
        palisade_baseline: FORMAT_VERSION,
        findings,
    })
    .map_err(|e| e.to_string())?;
    text.push('\n');

    let name = path
        .file_name()
        .map_or_else(|| "baseline".into(), |n| n.to_string_lossy().to_string());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write baseline {}: {e}", path.display())
        })?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_baseline_folder() {
        let root = std::env::temp_dir().join(format!("palisade-baseline-{}", std::process::id()));
        std::fs::create_dir_all(root.join("deploy/app")).unwrap();
        std::fs::write(root.join("deploy/app/web.yaml"), "").unwrap();
        let dir = root.canonicalize().unwrap();
        let file = root.join("deploy/app/web.yaml");
        assert_eq!(
            relative_path(&dir, &file.to_string_lossy()),
            "deploy/app/web.yaml"
        );
        assert_eq!(
            relative_path(&dir.join("deploy/other"), &file.to_string_lossy()),
            "../app/web.yaml"
        );
        assert_eq!(relative_path(&dir, "<stdin>"), "<stdin>");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn parse_errors_have_one_based_columns() {
        let root =
            std::env::temp_dir().join(format!("palisade-baseline-err-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let file = root.join("bl.json");
        std::fs::write(&file, "{\n").unwrap();
        let e = Baseline::load(&file).unwrap_err();
        assert!(
            e.ends_with(":2:1: not a Palisade baseline: EOF while parsing an object"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
