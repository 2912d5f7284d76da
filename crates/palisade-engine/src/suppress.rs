//! Suppressions: findings a team has accepted, each with a written reason.
//!
//! Three sources, checked in this order for every finding:
//!
//! 1. **Annotations on the object** (unless the engine is told to ignore them, as an admission
//!    webhook should): `suppress.palisade.dev/<rule>: "<reason>[; expires YYYY-MM-DD]"`, where
//!    `<rule>` is a rule id, name or category. kube-linter's
//!    `ignore-check.kube-linter.io/<check>: <reason>` and Checkov's
//!    `checkov.io/skip<N>: <CKV_K8S_ID>[=<reason>]` are understood too, mapped to the matching
//!    Palisade rules, so manifests need no edit when a team switches.
//! 2. **The configuration file's `suppressions` list**, by rule, path glob, namespace, kind and
//!    name.
//! 3. **A baseline file** of findings that already existed.
//!
//! A suppressed finding is kept, with its justification, and counted; it no longer fails the
//! run. An expired suppression stops suppressing and is reported as a warning at the place it
//! was written; a suppression without a reason is refused the same way. With
//! `report_unused`, suppressions that matched nothing are reported too.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use palisade_load::{FieldPath, Span};
use palisade_model::Object;
use palisade_rules::{Category, Rule, catalog, compat};

use crate::{FileDiagnostic, Finding};

/// Annotation prefix for Palisade's own inline suppressions.
pub const ANNOTATION_PREFIX: &str = "suppress.palisade.dev/";
const KUBE_LINTER_PREFIX: &str = "ignore-check.kube-linter.io/";
const CHECKOV_PREFIX: &str = "checkov.io/skip";

/// Where a suppression came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionKind {
    /// An annotation on the object itself.
    Annotation,
    /// The configuration file.
    Config,
    /// A baseline file.
    Baseline,
}

impl SuppressionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Annotation => "annotation",
            SuppressionKind::Config => "config",
            SuppressionKind::Baseline => "baseline",
        }
    }
}

/// Why a finding is suppressed.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub reason: String,
    pub expires: Option<Date>,
    /// The file and position where the suppression is written.
    pub file: Arc<str>,
    pub span: Option<Span>,
}

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().splitn(3, '-');
        let year: i32 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            _ => return None,
        };
        (text.trim().len() == 10 && (1..=days_in_month).contains(&day)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// Today in UTC.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// The civil date `days` after 1970-01-01 (Howard Hinnant's algorithm).
    fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Resolves a rule reference (id, name or category) to rule ids.
pub(crate) fn resolve_rules(reference: &str) -> Vec<&'static str> {
    let category = Category::parse(&reference.to_ascii_lowercase());
    catalog()
        .into_iter()
        .filter(|r: &&Rule| {
            r.meta.id.eq_ignore_ascii_case(reference)
                || r.meta.name.eq_ignore_ascii_case(reference)
                || Some(r.meta.category) == category
        })
        .map(|r| r.meta.id)
        .collect()
}

/// A suppression that applies to some rules, with a count of the findings it covered.
#[derive(Debug)]
pub(crate) struct Active {
    pub rules: Vec<&'static str>,
    pub suppression: Arc<Suppression>,
    /// What it was written as, for messages: `suppress.palisade.dev/PSS002`.
    pub label: String,
    pub used: AtomicUsize,
}

/// Splits `"reason; expires 2027-01-31"` into its parts.
fn reason_and_expiry(value: &str) -> (String, Result<Option<Date>, String>) {
    let Some((reason, tail)) = value.rsplit_once(';') else {
        return (value.trim().to_string(), Ok(None));
    };
    let Some(date) = tail.trim().strip_prefix("expires") else {
        return (value.trim().to_string(), Ok(None));
    };
    let date = date.trim();
    match Date::parse(date) {
        Some(d) => (reason.trim().to_string(), Ok(Some(d))),
        None => (
            reason.trim().to_string(),
            Err(format!("`{date}` is not a date (YYYY-MM-DD)")),
        ),
    }
}

/// The annotation-based suppressions of one object. Problems with them (no reason, an unknown
/// rule, a bad date, an expiry in the past) are warnings in `diagnostics`.
pub(crate) fn from_annotations(
    obj: &Object,
    file: &Arc<str>,
    today: Date,
    diagnostics: &mut Vec<FileDiagnostic>,
) -> Vec<Active> {
    let annotations_path = FieldPath::parse_dotted("metadata.annotations");
    let Some(annotations) = obj.node(&annotations_path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in annotations.entries() {
        let value = entry.value.scalar_text().unwrap_or_default();
        let (rules, reason, expires, reference) =
            if let Some(rule) = entry.key.strip_prefix(ANNOTATION_PREFIX) {
                let (reason, expires) = reason_and_expiry(&value);
                (resolve_rules(rule), reason, expires, rule.to_string())
            } else if let Some(check) = entry.key.strip_prefix(KUBE_LINTER_PREFIX) {
                (
                    compat::kube_linter(check).to_vec(),
                    value.trim().to_string(),
                    Ok(None),
                    check.to_string(),
                )
            } else if entry.key.starts_with(CHECKOV_PREFIX) {
                let (check, reason) = value.split_once('=').unwrap_or((value.as_str(), ""));
                let check = check.trim();
                (
                    compat::checkov(check).to_vec(),
                    reason.trim().to_string(),
                    Ok(None),
                    check.to_string(),
                )
            } else {
                continue;
            };
        let span = obj.locate(&annotations_path.key(entry.key.as_str()));
        let mut warn = |code: &'static str, message: String| {
            diagnostics.push(FileDiagnostic {
                file: file.clone(),
                code,
                error: false,
                message,
                span: Some(span),
            })
        };
        if rules.is_empty() {
            warn(
                "suppression-invalid",
                format!(
                    "`{}` names no Palisade rule (`{reference}`), so it suppresses nothing",
                    entry.key
                ),
            );
            continue;
        }
        // Checkov's own syntax makes the reason optional; kube-linter's and ours require it.
        let reason_required = !entry.key.starts_with(CHECKOV_PREFIX);
        if reason.is_empty() && reason_required {
            warn(
                "suppression-invalid",
                format!(
                    "`{}` gives no reason, so it suppresses nothing; write why the risk is accepted",
                    entry.key
                ),
            );
            continue;
        }
        let expires = match expires {
            Ok(e) => e,
            Err(message) => {
                warn("suppression-invalid", format!("`{}`: {message}", entry.key));
                continue;
            }
        };
        if let Some(date) = expires.filter(|d| *d < today) {
            warn(
                "suppression-expired",
                format!(
                    "`{}` expired on {date}; its findings are reported again",
                    entry.key
                ),
            );
            continue;
        }
        out.push(Active {
            rules,
            suppression: Arc::new(Suppression {
                kind: SuppressionKind::Annotation,
                reason: if reason.is_empty() {
                    format!("skipped with `{}`", entry.key)
                } else {
                    reason
                },
                expires,
                file: file.clone(),
                span: Some(span),
            }),
            label: format!("`{}`", entry.key),
            used: AtomicUsize::new(0),
        });
    }
    out
}

/// Marks `finding` suppressed by the first of `candidates` that covers its rule.
pub(crate) fn apply<'a>(
    finding: &mut Finding,
    candidates: impl IntoIterator<Item = &'a Active>,
) -> bool {
    for s in candidates {
        if s.rules.contains(&finding.rule.id) {
            s.used.fetch_add(1, Ordering::Relaxed);
            finding.suppression = Some(s.suppression.clone());
            return true;
        }
    }
    false
}

/// Warnings for suppressions that covered no finding.
pub(crate) fn unused_warnings<'a>(
    suppressions: impl IntoIterator<Item = &'a Active>,
    diagnostics: &mut Vec<FileDiagnostic>,
) {
    for s in suppressions {
        if s.used.load(Ordering::Relaxed) == 0 {
            diagnostics.push(FileDiagnostic {
                file: s.suppression.file.clone(),
                code: "suppression-unused",
                error: false,
                message: format!(
                    "{} suppressed nothing; remove it if the risk is gone",
                    s.label
                ),
                span: s.suppression.span,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(Date::parse("2027-02-28").unwrap().to_string(), "2027-02-28");
        assert!(Date::parse("2027-02-29").is_none());
        assert!(Date::parse("2028-02-29").is_some());
        assert!(Date::parse("2027-13-01").is_none());
        assert!(Date::parse("27-01-01").is_none());
    }

    #[test]
    fn civil_dates_from_days() {
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_454).to_string(), "2026-01-01");
        assert_eq!(Date::from_days(11_016).to_string(), "2000-02-29");
    }

    #[test]
    fn reasons_may_carry_an_expiry() {
        let (r, e) = reason_and_expiry("agent needs host PID; expires 2027-01-31");
        assert_eq!(r, "agent needs host PID");
        assert_eq!(e.unwrap().unwrap().to_string(), "2027-01-31");
        let (r, e) = reason_and_expiry("a; b");
        assert_eq!(r, "a; b");
        assert!(e.unwrap().is_none());
        assert!(reason_and_expiry("x; expires soon").1.is_err());
    }

    #[test]
    fn rules_resolve_by_id_name_or_category() {
        assert_eq!(resolve_rules("PSS002"), ["PSS002"]);
        assert_eq!(resolve_rules("privileged-container"), ["PSS002"]);
        assert!(resolve_rules("rbac").len() >= 7);
        assert!(resolve_rules("nonsense").is_empty());
    }
}
