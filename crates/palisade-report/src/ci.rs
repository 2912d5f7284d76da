//! CI-native formats: GitHub Actions workflow commands and GitLab Code Quality.
//!
//! Both put findings where the CI shows them on the changed lines of a pull or merge
//! request, without an upload step. Neither has room for suppressed findings, which the
//! other formats list; load errors and warnings are reported like findings, so broken input
//! is visible in the same place.

use palisade_engine::{FileDiagnostic, Finding, ScanReport};
use palisade_rules::Severity;
use serde::Serialize;

use crate::sarif;

/// GitHub Actions: one `::error`/`::warning`/`::notice` line per finding or diagnostic, with
/// the file, the exact region and a title naming the rule, then a plain summary line.
///
/// Critical and high findings are errors, medium ones warnings, low ones notices.
pub fn github(report: &ScanReport) -> Vec<u8> {
    let mut out = String::new();
    for d in report.diagnostics() {
        let level = if d.error { "error" } else { "warning" };
        let mut props = format!("file={}", property(&d.file));
        if let Some(span) = d.span {
            props.push_str(&format!(
                ",line={},col={}",
                span.start.line,
                span.start.column.max(1)
            ));
        }
        props.push_str(&format!(
            ",title={}",
            property(&format!("palisade {}", d.code))
        ));
        out.push_str(&format!("::{level} {props}::{}\n", data(&d.message)));
    }
    for f in report.findings() {
        let level = match f.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "notice",
        };
        let title = format!("{} {} ({})", f.rule.id, f.rule.name, f.severity.as_str());
        out.push_str(&format!(
            "::{level} file={},line={},endLine={},col={},endColumn={},title={}::{}\n",
            property(&f.file),
            f.span.start.line,
            f.span.end.line.max(f.span.start.line),
            f.span.start.column.max(1),
            end_column(f),
            property(&title),
            data(&message(f)),
        ));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "palisade: {} findings (critical {}, high {}, medium {}, low {}), {} suppressed, {} errors, {} warnings in {} files\n",
        s.findings,
        s.by_severity[Severity::Critical as usize],
        s.by_severity[Severity::High as usize],
        s.by_severity[Severity::Medium as usize],
        s.by_severity[Severity::Low as usize],
        s.suppressed,
        s.errors,
        s.warnings,
        s.files,
    ));
    out.into_bytes()
}

/// The finding's message, naming the object and container it is about.
fn message(f: &Finding) -> String {
    let mut text = f.message.clone();
    if f.dockerfile.is_none() {
        text.push_str(&format!(" [{}", f.resource));
        if let Some(c) = &f.container {
            text.push_str(&format!(", container {c}"));
        }
        text.push(']');
    }
    text
}

/// GitHub's end column is inclusive on the last line; ours is exclusive.
fn end_column(f: &Finding) -> u32 {
    let end = f.span.end.column.saturating_sub(1);
    if f.span.end.line > f.span.start.line {
        end.max(1)
    } else {
        end.max(f.span.start.column).max(1)
    }
}

/// Escapes a workflow command's message; other characters a terminal or the log viewer
/// would act on (escape sequences, bidirectional overrides) are written as `\u{…}`.
fn data(text: &str) -> String {
    let text = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    crate::text::printable(&text).into_owned()
}

/// Escapes a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

/// GitLab Code Quality: a JSON array of issues, each with a description, the rule as
/// `check_name`, a fingerprint (the SARIF one with the path, so it is stable across line
/// moves and unique in the report), a severity and the lines it spans. Load errors are `blocker`s and warnings `info`, named `palisade/<kind>`.
pub fn gitlab(report: &ScanReport) -> Vec<u8> {
    let findings: Vec<&Finding> = report.findings().collect();
    let mut issues: Vec<Issue> = report.diagnostics().map(diagnostic_issue).collect();
    issues.extend(
        findings
            .iter()
            .zip(sarif::fingerprints(&findings))
            .map(|(f, fingerprint)| Issue {
                description: message(f),
                check_name: format!("{} {}", f.rule.id, f.rule.name),
                fingerprint: sarif::hash(&format!("{}|{fingerprint}", f.file)),
                severity: match f.severity {
                    Severity::Low => "minor",
                    Severity::Medium => "major",
                    Severity::High => "critical",
                    Severity::Critical => "blocker",
                },
                location: Location {
                    path: f.file.to_string(),
                    lines: Lines {
                        begin: f.span.start.line,
                        end: f.span.end.line.max(f.span.start.line),
                    },
                },
            }),
    );
    let mut bytes = serde_json::to_vec_pretty(&issues).expect("the issues serialise");
    bytes.push(b'\n');
    bytes
}

fn diagnostic_issue(d: &FileDiagnostic) -> Issue {
    let line = d.span.map_or(1, |s| s.start.line);
    Issue {
        description: d.message.clone(),
        check_name: format!("palisade/{}", d.code),
        fingerprint: sarif::hash(&format!("{}|{}|{line}|{}", d.file, d.code, d.message)),
        severity: if d.error { "blocker" } else { "info" },
        location: Location {
            path: d.file.to_string(),
            lines: Lines {
                begin: line,
                end: d.span.map_or(line, |s| s.end.line.max(line)),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_what_the_log_viewer_would_act_on() {
        assert_eq!(
            data("50% of Pod/a\u{1b}[31mred\u{7}\nnext"),
            "50%25 of Pod/a\\u{1b}[31mred\\u{7}%0Anext"
        );
        assert_eq!(property("a,b:c"), "a%2Cb%3Ac");
    }

    #[test]
    fn workflow_command_values_are_escaped() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(
            property("PSS002 privileged, high: x"),
            "PSS002 privileged%2C high%3A x"
        );
    }
}
