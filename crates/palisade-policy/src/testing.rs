//! Helpers for the policy tests: one object from YAML, and a custom rule run on it.

use palisade_load::{Limits, parse_str};
use palisade_model::{Object, PodKindTable, objects_from_document};
use palisade_rules::{Cx, Rule, Settings, Violation};

/// The first object of `yaml`.
pub fn object(yaml: &str) -> Object {
    let doc = parse_str(yaml, &Limits::default()).documents.remove(0);
    objects_from_document(doc, &PodKindTable::default())
        .objects
        .remove(0)
}

/// What `rule` reports on the first object of `yaml`; nothing when it does not apply.
pub fn run(rule: &Rule, yaml: &str) -> Vec<Violation> {
    run_on(rule, &object(yaml))
}

/// What `rule` reports on `obj`; nothing when it does not apply.
pub fn run_on(rule: &Rule, obj: &Object) -> Vec<Violation> {
    if !rule.applies_to(obj) {
        return Vec::new();
    }
    let settings = Settings::default();
    let mut cx = Cx::new(obj, &settings);
    rule.check.run_object(&mut cx);
    cx.into_violations()
}
