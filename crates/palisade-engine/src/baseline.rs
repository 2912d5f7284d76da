//! Baselines: adopt Palisade on an existing repository and report only new findings.
//!
//! A baseline records each finding by a fingerprint of the file path, the rule, the object
//! (kind, namespace, name), the field and the container — not the line, so findings survive
//! lines moving and reformatting, and not the message, so they survive rewording. Identical
//! findings are counted, so a second copy of a baselined problem is still new. The file is
//! JSON, sorted, one finding per entry, and written atomically (a temporary file renamed over
//! the old one), so it reviews well in a diff and is never half-written.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::suppress::{Suppression, SuppressionKind};
use crate::{Finding, ScanReport};

const FORMAT_VERSION: u32 = 1;

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

impl Entry {
    fn of(f: &Finding) -> Entry {
        Entry {
            path: f.file.to_string(),
            resource: f.resource.to_string(),
            rule: f.rule.id.to_string(),
            field: f.field.to_string(),
            container: f.container.clone(),
            count: 1,
        }
    }

    fn key(&self) -> (String, String, String, String, Option<String>) {
        (
            self.path.clone(),
            self.resource.clone(),
            self.rule.clone(),
            self.field.clone(),
            self.container.clone(),
        )
    }
}

type Key = (String, String, String, String, Option<String>);

/// A loaded baseline: how many findings of each fingerprint are already known.
#[derive(Debug)]
pub struct Baseline {
    remaining: Mutex<HashMap<Key, usize>>,
    suppression: Arc<Suppression>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
        let file: File = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a Palisade baseline: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if file.palisade_baseline != FORMAT_VERSION {
            return Err(format!(
                "{}: baseline format {} is not supported (expected {FORMAT_VERSION})",
                path.display(),
                file.palisade_baseline
            ));
        }
        let mut remaining = HashMap::new();
        for e in file.findings {
            *remaining.entry(e.key()).or_default() += e.count;
        }
        Ok(Baseline {
            remaining: Mutex::new(remaining),
            suppression: Arc::new(Suppression {
                kind: SuppressionKind::Baseline,
                reason: format!("recorded in the baseline {}", path.display()),
                expires: None,
                file: Arc::from(path.to_string_lossy().as_ref()),
                span: None,
            }),
        })
    }

    /// Marks `finding` as known if the baseline still has an unclaimed entry for it.
    pub(crate) fn claim(&self, finding: &mut Finding) -> bool {
        let key = Entry::of(finding).key();
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
}

/// Writes the findings of `report` that no annotation or configuration suppresses (whether a
/// baseline covered them or not) as a new baseline.
pub fn write(report: &ScanReport, path: &Path) -> Result<usize, String> {
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
        *counts.entry(Entry::of(f)).or_default() += 1;
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

    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
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
