//! JUnit XML: one test suite per file, one test case per object and rule that applied to it
//! (a Dockerfile is one object, named `Dockerfile`).
//!
//! A rule that found nothing is a passing case, one that found something a failing case whose
//! text lists every finding with its line; a file that could not be loaded is an erroring case,
//! so CI test reporters show broken input as broken rather than as green.

use std::collections::HashMap;

use palisade_model::ObjectId;

use palisade_engine::{FileReport, ScanReport};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

pub fn render(report: &ScanReport) -> Vec<u8> {
    let mut junit = Report::new("palisade");
    for file in &report.files {
        junit.add_test_suite(suite(file));
    }
    junit
        .to_string()
        .expect("the JUnit report serialises")
        .into_bytes()
}

fn suite(file: &FileReport) -> TestSuite {
    let mut suite = TestSuite::new(file.file.to_string());

    for d in file.diagnostics.iter().filter(|d| d.is_error()) {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(d.message.clone());
        status.set_type(d.code);
        // Each error is its own case, told apart by where it is.
        let name = match d.span {
            Some(span) => format!(
                "load {}:{}:{}",
                file.file, span.start.line, span.start.column
            ),
            None => format!("load {}", file.file),
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(file.file.to_string());
        if let Some(span) = d.span {
            case.add_property(quick_junit::Property::new(
                "line",
                span.start.line.to_string(),
            ));
        }
        suite.add_test_case(case);
    }

    // Findings and suppressions by object and rule, gathered once for the whole file.
    // Per object and rule: the highest severity among its findings, and their lines.
    let mut failing: HashMap<(&ObjectId, &str), (palisade_rules::Severity, Vec<String>)> =
        HashMap::new();
    for f in &file.findings {
        let (top, lines) = failing
            .entry((&f.resource, f.rule.id))
            .or_insert((f.severity, Vec::new()));
        *top = (*top).max(f.severity);
        lines.push(format!(
            "{}:{}:{}: {}",
            f.file, f.span.start.line, f.span.start.column, f.message
        ));
    }
    let mut suppressed: HashMap<(&ObjectId, &str), &str> = HashMap::new();
    for f in &file.suppressed {
        if let Some(s) = &f.suppression {
            suppressed
                .entry((&f.resource, f.rule.id))
                .or_insert(&s.reason);
        }
    }

    for score in &file.scores {
        let object = if score.resource.kind == "Dockerfile" && score.resource.api_version.is_empty()
        {
            "Dockerfile".to_string()
        } else {
            score.resource.to_string()
        };
        for rule in &score.applied {
            let name = format!("{object} {} {}", rule.id, rule.name);
            let key = (&score.resource, rule.id);
            let status = match failing.get(&key) {
                None if suppressed.contains_key(&key) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!("suppressed: {}", suppressed[&key]));
                    s
                }
                None => TestCaseStatus::success(),
                Some((severity, lines)) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(lines[0].clone());
                    // The findings' own severity: configured, or set by the finding.
                    s.set_type(severity.as_str());
                    s.set_description(lines.join("\n"));
                    s
                }
            };
            let mut case = TestCase::new(name, status);
            case.set_classname(format!("{}.{object}", file.file));
            suite.add_test_case(case);
        }
    }
    suite
}
