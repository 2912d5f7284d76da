//! Helpers for rule tests: run one rule on a YAML text.

use palisade_load::{Limits, parse_str};
use palisade_model::{PodKindTable, objects_from_document};

use crate::rule::{Cx, Rule, Violation};
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
            if !rule.meta.applies.matches(&obj) {
                continue;
            }
            let mut cx = Cx::new(&obj, settings);
            (rule.check)(&mut cx);
            out.extend(cx.into_violations());
        }
    }
    out
}

/// The paths of the violations, as text.
pub fn paths(violations: &[Violation]) -> Vec<String> {
    violations.iter().map(|v| v.path.to_string()).collect()
}
