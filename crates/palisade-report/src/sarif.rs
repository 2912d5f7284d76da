//! SARIF 2.1.0.
//!
//! Written with plain serde structs for the dozen objects Palisade emits; the schema is frozen
//! and a test validates the output against the official schema file. Every rule that ran is
//! described in `tool.driver.rules` (help text, default level, tags, and the
//! `security-severity` score that GitHub code scanning sorts by); every result carries an exact
//! region and a `partialFingerprints` entry that survives line moves and tells the results of
//! one file apart (code scanning merges results that share one). Columns count Unicode code
//! points, and the run says so in `columnKind`.

use std::collections::HashMap;

use palisade_engine::{FileDiagnostic, Finding, ScanReport, SuppressionKind};
use palisade_load::Span;
use palisade_rules::{RuleMeta, Severity};
use serde::Serialize;

use crate::Options;

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: Vec<Invocation<'a>>,
    results: Vec<SarifResult>,
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    semantic_version: &'a str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
    properties: DescriptorProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
    enabled: bool,
}

#[derive(Serialize)]
struct DescriptorProperties {
    tags: Vec<&'static str>,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    precision: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location<'static>>,
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
}

/// SARIF's record of an accepted result: `inSource` for annotations in the manifest,
/// `external` for the configuration file and baselines.
#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location<'static>>,
}

/// `palisade/v2`: identities with keyed list items named and Dockerfile subjects (`v1`
/// numbered list items and told Dockerfile findings of one rule and stage apart by message).
#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "palisade/v2")]
    palisade: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: String,
    kind: &'a str,
}

pub(crate) fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub code scanning's 0–10 score: critical ≥ 9, high ≥ 7, medium ≥ 4, low below.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn descriptor(rule: &'static RuleMeta) -> Descriptor {
    Descriptor {
        id: rule.id,
        name: rule.name,
        short_description: Text {
            text: rule.summary.to_string(),
        },
        full_description: Text {
            text: first_section(rule.doc),
        },
        help: Help {
            text: rule.documentation(),
            markdown: rule.documentation(),
        },
        default_configuration: Configuration {
            level: level(rule.severity),
            enabled: rule.default_enabled,
        },
        properties: DescriptorProperties {
            tags: if rule.category == palisade_rules::Category::Dockerfile {
                vec!["security", "dockerfile"]
            } else {
                vec!["security", "kubernetes", rule.category.as_str()]
            },
            security_severity: security_severity(rule.severity),
            precision: "very-high",
        },
    }
}

/// The body of the `## What it checks` section, as one paragraph.
fn first_section(doc: &str) -> String {
    doc.split("## ")
        .find_map(|s| s.strip_prefix("What it checks"))
        .unwrap_or(doc)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A relative URI reference for a path as reports show it.
pub(crate) fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let absolute = path.starts_with('/');
    if absolute {
        out.push_str("file://");
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn region(span: Span) -> Region {
    Region {
        start_line: span.start.line.max(1),
        start_column: span.start.column.max(1),
        end_line: span.end.line.max(span.start.line).max(1),
        end_column: if span.end.line > span.start.line {
            span.end.column.max(1)
        } else {
            span.end.column.max(span.start.column).max(1)
        },
    }
}

/// FNV-1a over the rule, the object and the finding's identity in it (the field with keyed
/// list items named; for a Dockerfile the stage, instruction and subject): stable across line
/// moves and reformatting. The `n`th finding (from 0, in file order) with the same identity
/// in one file has `#n` added, so no two results of a file share a fingerprint.
pub(crate) fn fingerprint(f: &Finding, occurrence: usize) -> String {
    let mut key = format!(
        "{}|{}|{}|{}|{}|{}",
        f.rule.id,
        f.resource.kind,
        f.resource.namespace.as_deref().unwrap_or(""),
        f.resource.name.as_deref().unwrap_or(""),
        f.identity,
        f.container.as_deref().unwrap_or(""),
    );
    if occurrence > 0 {
        key.push_str(&format!("#{occurrence}"));
    }
    hash(&key)
}

/// FNV-1a of `key`, as 16 hex digits.
pub(crate) fn hash(key: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Fingerprints of `findings` (in that order), each numbered among the findings of its file
/// that share its identity, in the order they appear in the file.
pub(crate) fn fingerprints(findings: &[&Finding]) -> Vec<String> {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by_key(|&i| {
        (
            &findings[i].file,
            findings[i].span.start,
            findings[i].rule.id,
        )
    });
    let mut seen: HashMap<(&str, String), usize> = HashMap::new();
    let mut out = vec![String::new(); findings.len()];
    for i in order {
        let f = findings[i];
        let n = seen.entry((&f.file, fingerprint(f, 0))).or_insert(0);
        out[i] = fingerprint(f, *n);
        *n += 1;
    }
    out
}

fn result(f: &Finding, rule_index: usize, fingerprint: String) -> SarifResult {
    SarifResult {
        rule_id: f.rule.id,
        rule_index,
        level: level(f.severity),
        message: Text {
            text: f.message.clone(),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri: uri(&f.file) },
                region: Some(region(f.span)),
            },
            logical_locations: vec![match &f.dockerfile {
                Some(site) => LogicalLocation {
                    fully_qualified_name: match (site.stage, &site.stage_name) {
                        (Some(_), Some(name)) => format!("Dockerfile/{name}"),
                        (Some(i), None) => format!("Dockerfile/{i}"),
                        (None, _) => "Dockerfile".to_string(),
                    },
                    kind: "module",
                },
                None => LogicalLocation {
                    fully_qualified_name: f.resource.to_string(),
                    kind: "object",
                },
            }],
        }],
        partial_fingerprints: Fingerprints {
            palisade: fingerprint,
        },
        suppressions: f
            .suppression
            .as_deref()
            .map(|s| SarifSuppression {
                kind: match s.kind {
                    SuppressionKind::Annotation => "inSource",
                    SuppressionKind::Config | SuppressionKind::Baseline => "external",
                },
                status: "accepted",
                justification: match s.expires {
                    Some(d) => format!("{} (until {d})", s.reason),
                    None => s.reason.clone(),
                },
                location: s.span.map(|span| Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation { uri: uri(&s.file) },
                        region: Some(region(span)),
                    },
                    logical_locations: Vec::new(),
                }),
            })
            .into_iter()
            .collect(),
    }
}

fn notification(d: &FileDiagnostic) -> Notification<'static> {
    Notification {
        level: if d.is_error() { "error" } else { "warning" },
        message: Text {
            text: format!("{}: {}", d.file, d.message),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri: uri(&d.file) },
                region: d.span.map(region),
            },
            logical_locations: Vec::new(),
        }],
    }
}

pub fn render(report: &ScanReport, options: &Options) -> Vec<u8> {
    let rules: Vec<&'static RuleMeta> = report.rules.clone();
    let index = |id: &str| rules.iter().position(|r| r.id == id).unwrap_or(0);
    let findings: Vec<&Finding> = report.findings().chain(report.suppressed()).collect();
    let results = findings
        .iter()
        .zip(fingerprints(&findings))
        .map(|(f, fingerprint)| result(f, index(f.rule.id), fingerprint))
        .collect();
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "palisade",
                    version: &options.tool_version,
                    semantic_version: &options.tool_version,
                    rules: rules.iter().map(|r| descriptor(r)).collect(),
                },
            },
            invocations: vec![Invocation {
                execution_successful: report.summary.errors == 0,
                tool_execution_notifications: report.diagnostics().map(notification).collect(),
            }],
            results,
            column_kind: "unicodeCodePoints",
        }],
    };
    let mut bytes = serde_json::to_vec_pretty(&log).expect("the log serialises");
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_references() {
        assert_eq!(uri("k8s/my app.yaml"), "k8s/my%20app.yaml");
        assert_eq!(uri("/abs/x.yaml"), "file:///abs/x.yaml");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
    }
}
