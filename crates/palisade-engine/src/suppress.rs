//! Suppressions: findings a team has accepted, each with a written reason.
//!
//! Three sources, checked in this order for every finding:
//!
//! 1. **Annotations on the object** (unless the engine is told to ignore them, as an admission
//!    webhook should): `suppress.palisade.dev/<rule>: "<reason>[; expires YYYY-MM-DD]"`, where
//!    `<rule>` is a rule id, name or category. kube-linter's
//!    `ignore-check.kube-linter.io/<check>: <reason>` and Checkov's
//!    `checkov.io/skip<N>: <CKV_K8S_ID>=<reason>` are understood too, each covering only the
//!    findings its check covers ([`compat`]), so manifests need no edit when a team switches.
//!    Every form needs a reason and may carry an expiry.
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
use palisade_rules::compat::{self, Covered};
use palisade_rules::{Category, Rule, catalog};

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

/// A suppression that covers some findings, with a count of the findings it covered.
#[derive(Debug)]
pub(crate) struct Active {
    /// Whole rules, or some cases of them (for another scanner's check).
    pub covers: Vec<Covered>,
    pub suppression: Arc<Suppression>,
    /// What it was written as, for messages: `suppress.palisade.dev/PSS002`.
    pub label: String,
    pub used: AtomicUsize,
}

impl Active {
    /// A suppression of every finding of `rules`.
    pub fn of_rules(rules: &[&'static str], suppression: Suppression, label: String) -> Active {
        Active {
            covers: rules.iter().map(|r| Covered::rule(r)).collect(),
            suppression: Arc::new(suppression),
            label,
            used: AtomicUsize::new(0),
        }
    }

    fn covers(&self, f: &Finding) -> bool {
        self.covers.iter().any(|c| c.covers(f.rule.id, &f.cases))
    }

    fn covers_case(&self, rule: &str, case: &str) -> bool {
        self.covers.iter().any(|c| c.covers_case(rule, case))
    }
}

/// Splits `"reason; expires 2027-01-31"` into the reason and the expiry. The expiry is any
/// `;`-separated part that starts with `expires` (any case, `expire`, `expiry` too), followed
/// by a space, `:` or `=` and the date; the other parts are the reason. A part that looks
/// like an expiry but cannot be read (a bad date, a bare date, `expires` inside other text
/// next to a date) is an error: the suppression must not quietly become permanent.
fn reason_and_expiry(value: &str) -> (String, Result<Option<Date>, String>) {
    let mut reason = Vec::new();
    let mut expires = Ok(None);
    for part in value.split(';').map(str::trim) {
        let lower = part.to_ascii_lowercase();
        let read = if lower.starts_with("expir") {
            let rest = part.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            let date = rest
                .trim_start()
                .strip_prefix([':', '='])
                .unwrap_or(rest)
                .trim();
            Some(Date::parse(date).ok_or_else(|| {
                format!("`{part}` is not an expiry Palisade can read; write `expires YYYY-MM-DD`")
            }))
        } else if has_date(part) && (lower.contains("expir") || is_date_shaped(part)) {
            Some(Err(format!(
                "`{part}` looks like an expiry date but is not written `; expires YYYY-MM-DD`"
            )))
        } else {
            None
        };
        match read {
            None => reason.push(part),
            Some(date) if matches!(expires, Ok(None)) => expires = date.map(Some),
            Some(_) if expires.is_ok() => {
                expires = Err("gives more than one expiry date".to_string());
            }
            Some(_) => {}
        }
    }
    let reason = reason
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    (reason, expires)
}

/// Whether `text` is a date of the shape `NNNN-NN-NN` alone, valid or not.
fn is_date_shaped(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Whether `text` holds something of the shape `NNNN-N…`, a date in the making.
fn has_date(text: &str) -> bool {
    text.as_bytes()
        .windows(5)
        .any(|w| w[..4].iter().all(u8::is_ascii_digit) && w[4] == b'-')
}

/// The annotation-based suppressions of one object. Problems with them (no reason, an unknown
/// rule, a bad date, an expiry in the past) are warnings in `diagnostics`, and such a
/// suppression suppresses nothing.
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
        let (covers, text, reference, how) =
            if let Some(rule) = entry.key.strip_prefix(ANNOTATION_PREFIX) {
                let covers = resolve_rules(rule).into_iter().map(Covered::rule).collect();
                (covers, value.as_str(), rule, "as its value")
            } else if let Some(check) = entry.key.strip_prefix(KUBE_LINTER_PREFIX) {
                (
                    compat::kube_linter(check).to_vec(),
                    value.as_str(),
                    check,
                    "as its value",
                )
            } else if entry.key.starts_with(CHECKOV_PREFIX) {
                let (check, reason) = value.split_once('=').unwrap_or((value.as_str(), ""));
                (
                    compat::checkov(check.trim()).to_vec(),
                    reason,
                    check.trim(),
                    "after the check id: `CKV_K8S_…=<reason>`",
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
        if covers.is_empty() {
            warn(
                "suppression-invalid",
                format!(
                    "`{}` names no Palisade rule (`{reference}`), so it suppresses nothing",
                    entry.key
                ),
            );
            continue;
        }
        let (reason, expires) = reason_and_expiry(text);
        // An unreadable expiry is named first: it may be what swallowed the reason.
        let expires = match expires {
            Ok(e) => e,
            Err(message) => {
                warn(
                    "suppression-invalid",
                    format!("`{}`: {message}, so it suppresses nothing", entry.key),
                );
                continue;
            }
        };
        if reason.is_empty() {
            warn(
                "suppression-invalid",
                format!(
                    "`{}` gives no reason, so it suppresses nothing; write why the risk is accepted {how}",
                    entry.key
                ),
            );
            continue;
        }
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
            covers,
            suppression: Arc::new(Suppression {
                kind: SuppressionKind::Annotation,
                reason,
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

/// Marks `finding` suppressed by the first of `candidates` that covers it. A finding that is
/// several cases of its rule at once is also covered when each case is covered by one of
/// them (kube-linter's `unset-cpu-requirements` and `unset-memory-requirements` together
/// cover a container missing both requests); it then carries every reason.
pub(crate) fn apply<'a>(
    finding: &mut Finding,
    candidates: impl IntoIterator<Item = &'a Active>,
) -> bool {
    let candidates: Vec<&Active> = candidates.into_iter().collect();
    if let Some(s) = candidates.iter().find(|s| s.covers(finding)) {
        s.used.fetch_add(1, Ordering::Relaxed);
        finding.suppression = Some(s.suppression.clone());
        return true;
    }
    if finding.cases.len() < 2 {
        return false;
    }
    let mut parts: Vec<&Active> = Vec::new();
    for case in &finding.cases {
        let Some(s) = candidates
            .iter()
            .find(|s| s.covers_case(finding.rule.id, case))
        else {
            return false;
        };
        if !parts.iter().any(|p| std::ptr::eq(*p, *s)) {
            parts.push(s);
        }
    }
    let mut reasons: Vec<&str> = Vec::new();
    for p in &parts {
        p.used.fetch_add(1, Ordering::Relaxed);
        if !reasons.contains(&p.suppression.reason.as_str()) {
            reasons.push(&p.suppression.reason);
        }
    }
    let first = &parts[0].suppression;
    finding.suppression = Some(Arc::new(Suppression {
        reason: reasons.join("; "),
        expires: parts.iter().filter_map(|p| p.suppression.expires).min(),
        ..(**first).clone()
    }));
    true
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
    fn expiry_is_read_in_any_case_with_any_separator_and_anywhere() {
        for value in [
            "x; Expires: 2027-01-01",
            "x; EXPIRES=2027-01-01",
            "x;expires 2027-01-01",
            "x; expiry: 2027-01-01",
        ] {
            let (r, e) = reason_and_expiry(value);
            assert_eq!(r, "x", "{value}");
            assert_eq!(e.unwrap().unwrap().to_string(), "2027-01-01", "{value}");
        }
        let (r, e) = reason_and_expiry("x; expires 2027-01-01; extra");
        assert_eq!(r, "x; extra");
        assert_eq!(e.unwrap().unwrap().to_string(), "2027-01-01");
    }

    #[test]
    fn what_looks_like_an_expiry_but_cannot_be_read_is_an_error() {
        for value in [
            "x; expires 2027-13-01",
            "x; expires 2027-1-1",
            "x; 2027-01-01",
            "x (expires 2027-01-01)",
            "x; expires 2027-01-01; expires 2028-01-01",
        ] {
            assert!(reason_and_expiry(value).1.is_err(), "{value}");
        }
        // Mentioning expiry, or a date, in the reason is fine.
        for value in [
            "watches certificate expiry",
            "approved 2026-05-01 by the platform team",
        ] {
            let (r, e) = reason_and_expiry(value);
            assert_eq!(r, value);
            assert!(e.unwrap().is_none(), "{value}");
        }
    }

    #[test]
    fn rules_resolve_by_id_name_or_category() {
        assert_eq!(resolve_rules("PSS002"), ["PSS002"]);
        assert_eq!(resolve_rules("privileged-container"), ["PSS002"]);
        assert!(resolve_rules("rbac").len() >= 7);
        assert!(resolve_rules("nonsense").is_empty());
    }
}
