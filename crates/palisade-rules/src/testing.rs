//! Helpers for rule tests: run one rule on a YAML text or a Dockerfile.

use palisade_load::{Limits, parse_str};
use palisade_model::{PodKindTable, objects_from_document};

use crate::rule::{Check, Cx, DockerfileCx, DockerfileViolation, Rule, Violation};
use crate::settings::Settings;

/// Runs `rule` on every object in `yaml` with default settings.
pub fn run(rule: &Rule, yaml: &str) -> Vec<Violation> {
    run_with(rule, yaml, &Settings::default())
}

/// Runs `rule` on every object in `yaml`.
pub fn run_with(rule: &Rule, yaml: &str, settings: &Settings) -> Vec<Violation> {
    let parsed = parse_str(yaml, &Limits::default());
    assert!(
        parsed.diagnostics.iter().all(|d| !d.kind.is_error()),
        "test YAML does not parse: {:?}",
        parsed.diagnostics
    );
    let table = PodKindTable::default();
    let mut out = Vec::new();
    for doc in parsed.documents {
        for obj in objects_from_document(doc, &table).objects {
            if !rule.applies_to(&obj) {
                continue;
            }
            let Check::Object(check) = rule.check else {
                panic!("{} is not a rule about objects", rule.meta.id)
            };
            let mut cx = Cx::new(&obj, settings);
            check(&mut cx);
            out.extend(cx.into_violations());
        }
    }
    out
}

/// The paths of the violations, as text.
pub fn paths(violations: &[Violation]) -> Vec<String> {
    violations.iter().map(|v| v.path.to_string()).collect()
}

/// Runs a Dockerfile rule on `text` with default settings.
pub fn run_dockerfile(rule: &Rule, text: &str) -> Vec<DockerfileViolation> {
    run_dockerfile_with(rule, text, &Settings::default())
}

/// Runs a Dockerfile rule on `text`; the text must parse without errors.
pub fn run_dockerfile_with(
    rule: &Rule,
    text: &str,
    settings: &Settings,
) -> Vec<DockerfileViolation> {
    let df = palisade_dockerfile::parse(text, &palisade_dockerfile::Options::default());
    assert!(
        df.diagnostics.iter().all(|d| !d.kind.is_error()),
        "test Dockerfile does not parse: {:?}",
        df.diagnostics
    );
    let Check::Dockerfile(check) = rule.check else {
        panic!("{} is not a Dockerfile rule", rule.meta.id)
    };
    let mut cx = DockerfileCx::new(&df, settings);
    check(&mut cx);
    cx.into_violations()
}

/// `line:column` of each violation, with its message's first words for failing asserts.
pub fn lines(violations: &[DockerfileViolation]) -> Vec<(u32, u32)> {
    violations
        .iter()
        .map(|v| (v.span.start.line, v.span.start.column))
        .collect()
}

/// Runs a cross-object rule on every object of `yaml` (all documents form one set) with
/// default settings. Each violation comes back with the `Kind/name` of its object.
pub fn run_set(rule: &Rule, yaml: &str) -> Vec<(String, crate::rule::SetViolation)> {
    run_set_with(rule, yaml, &Settings::default())
}

/// Runs a cross-object rule on every object of `yaml`.
pub fn run_set_with(
    rule: &Rule,
    yaml: &str,
    settings: &Settings,
) -> Vec<(String, crate::rule::SetViolation)> {
    let parsed = parse_str(yaml, &Limits::default());
    assert!(
        parsed.diagnostics.iter().all(|d| !d.kind.is_error()),
        "test YAML does not parse: {:?}",
        parsed.diagnostics
    );
    let table = PodKindTable::default();
    let objects: Vec<_> = parsed
        .documents
        .into_iter()
        .flat_map(|doc| objects_from_document(doc, &table).objects)
        .collect();
    let refs: Vec<&palisade_model::Object> = objects.iter().collect();
    let Check::Set(check) = rule.check else {
        panic!("{} is not a cross-object rule", rule.meta.id)
    };
    let shared = crate::rule::SetShared::default();
    let mut cx = crate::rule::SetCx::new(&refs, settings, &shared);
    check(&mut cx);
    cx.into_violations()
        .into_iter()
        .map(|v| {
            let id = &refs[v.object].id;
            let name = format!("{}/{}", id.kind, id.name.as_deref().unwrap_or(""));
            (name, v)
        })
        .collect()
}
