//! Palisade's rule catalog.
//!
//! One rule per file, one folder per theme. Each rule file opens with the rule's documentation
//! (what it checks, why it matters, an example, the fix, references), declares the rule with
//! [`declare_rule!`], and ends with tests that run it on a failing and a passing manifest.
//! [`catalog()`] lists every rule in id order; the engine decides which of them run.

pub mod compat;
pub mod kinds;
pub mod rule;
pub mod settings;

mod dockerfile;
mod hardening;
mod image;
mod mesh;
pub mod netpol;
mod network;
pub mod pss;
pub mod rbac;
mod reliability;
mod rollout;
pub mod secrets;
pub mod wiring;

#[cfg(test)]
pub(crate) mod testing;

pub use rule::{
    Applies, Category, Check, CustomCheck, Cx, DockerfileCx, DockerfileViolation, PssLevel, Rule,
    RuleMeta, SetCx, SetShared, SetViolation, Severity, Violation,
};
pub use settings::{PSS_LATEST_MINOR, PssVersion, Settings};

/// Every rule Palisade ships and every custom rule registered, sorted by id.
pub fn catalog() -> Vec<&'static Rule> {
    let mut all = built_in();
    all.extend(custom_rules());
    all.sort_by_key(|r| r.meta.id);
    all
}

/// The rules Palisade ships, without custom ones.
fn built_in() -> Vec<&'static Rule> {
    let mut all: Vec<&'static Rule> = Vec::new();
    all.extend_from_slice(pss::RULES);
    all.extend_from_slice(image::RULES);
    all.extend_from_slice(hardening::RULES);
    all.extend_from_slice(reliability::RULES);
    all.extend_from_slice(secrets::RULES);
    all.extend_from_slice(rbac::RULES);
    all.extend_from_slice(network::RULES);
    all.extend_from_slice(dockerfile::RULES);
    all.extend_from_slice(wiring::RULES);
    all.extend_from_slice(rollout::RULES);
    all.extend_from_slice(netpol::RULES);
    all.extend_from_slice(mesh::RULES);
    all
}

/// Custom rules registered for this process.
static CUSTOM: std::sync::RwLock<Vec<&'static Rule>> = std::sync::RwLock::new(Vec::new());

/// Adds rules loaded at run time (a team's Rego modules and ValidatingAdmissionPolicies) to
/// the catalog for the rest of the process, so that selection, configuration, suppressions,
/// `palisade rules` and every report treat them like the built-in ones. A rule whose id or
/// name is already taken is refused; registering the same rule twice is harmless.
pub fn register_custom(rules: &[&'static Rule]) -> Result<(), String> {
    let mut custom = CUSTOM.write().unwrap_or_else(|e| e.into_inner());
    for &rule in rules {
        if custom.iter().any(|r| std::ptr::eq(*r, rule)) {
            continue;
        }
        let taken = built_in()
            .into_iter()
            .chain(custom.iter().copied())
            .find(|r| {
                r.meta.id.eq_ignore_ascii_case(rule.meta.id)
                    || r.meta.name.eq_ignore_ascii_case(rule.meta.name)
                    || r.meta.answers_to(rule.meta.id)
            });
        if let Some(other) = taken {
            return Err(format!(
                "the custom rule `{}` ({}) takes the id or name of {} ({})",
                rule.meta.id, rule.meta.name, other.meta.id, other.meta.name
            ));
        }
        custom.push(rule);
    }
    Ok(())
}

fn custom_rules() -> Vec<&'static Rule> {
    CUSTOM.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Finds a rule by id, name or alias (case-insensitive). An alias that several rules share
/// finds the first of them; [`find_all`] lists them all.
pub fn find(key: &str) -> Option<&'static Rule> {
    catalog().into_iter().find(|r| r.meta.answers_to(key))
}

/// Every rule that answers to `key`: its id, its name, or an alias.
pub fn find_all(key: &str) -> Vec<&'static Rule> {
    catalog()
        .into_iter()
        .filter(|r| r.meta.answers_to(key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_and_names_are_unique_and_well_formed() {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for r in catalog() {
            let m = &r.meta;
            assert!(ids.insert(m.id), "duplicate id {}", m.id);
            assert!(names.insert(m.name), "duplicate name {}", m.name);
            assert!(
                m.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                m.name
            );
            assert!(
                m.id.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
                "{} is not an id",
                m.id
            );
            assert_eq!(
                m.category == Category::Pss,
                m.pss_level.is_some(),
                "{}",
                m.id
            );
        }
    }

    #[test]
    fn every_rule_documents_every_section() {
        for r in catalog() {
            for section in [
                "## What it checks",
                "## Why it matters",
                "## Example",
                "## Fix",
                "## References",
            ] {
                assert!(
                    r.meta.doc.contains(section),
                    "{} lacks `{section}`",
                    r.meta.id
                );
            }
        }
    }

    #[test]
    fn rules_are_found_by_id_or_name() {
        assert_eq!(
            find("hrd001").unwrap().meta.name,
            "read-only-root-filesystem"
        );
        assert_eq!(find("read-only-root-filesystem").unwrap().meta.id, "HRD001");
        assert!(find("nope").is_none());
        assert_eq!(find("dl3008").unwrap().meta.category, Category::Dockerfile);
    }

    #[test]
    fn aliases_are_hadolint_codes_and_never_shadow_ids() {
        let ids: HashSet<&str> = catalog().iter().map(|r| r.meta.id).collect();
        for r in catalog() {
            for alias in r.meta.aliases {
                assert!(alias.starts_with("DL"), "{}: {alias}", r.meta.id);
                assert!(!ids.contains(alias), "{alias} is also an id");
            }
            assert_eq!(
                r.meta.category == Category::Dockerfile,
                matches!(r.check, Check::Dockerfile(_)),
                "{}",
                r.meta.id
            );
        }
    }
}
