//! Which rules run.
//!
//! Without `select`, the rules that are on by default run. `select` replaces that set with the
//! rules it names; `extend_select` adds to whichever set is in force; `ignore` removes. Each
//! entry is a rule id (`PSS002`), a rule name (`privileged-container`), an alias (hadolint's
//! `DL3008`), a category (`pss`) or `all`. Pod Security Standards rules then run only if the chosen PSS level includes them.
//!
//! A hadolint code that is one of several a rule answers to (DKR015 is DL3008 for apt-get,
//! DL3018 for apk, …) selects or ignores only that code's findings, as it does in hadolint:
//! `--ignore DL3018` keeps the rule running for apt-get, and `--select DL3008` alone runs it
//! for apt-get only ([`CodeFilter`]).

use std::fmt;

use palisade_rules::{Category, Rule, Settings};

#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
}

/// A selector that names no rule, category or `all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionError {
    pub selector: String,
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a rule id, rule name or category (see `palisade rules`)",
            self.selector
        )
    }
}

impl std::error::Error for SelectionError {}

fn matches(selector: &str, rule: &Rule) -> bool {
    names_category(selector, rule.meta.category) || rule.meta.answers_to(selector)
}

/// Whether `selector` is one of several hadolint codes of `rule` (and not its id or name), so
/// that it stands for part of the rule's findings.
fn names_one_code(selector: &str, rule: &Rule) -> bool {
    rule.meta.aliases.len() > 1
        && rule
            .meta
            .aliases
            .iter()
            .any(|a| a.eq_ignore_ascii_case(selector))
}

/// Whether `selector` names the whole of `rule`.
fn matches_whole(selector: &str, rule: &Rule) -> bool {
    matches(selector, rule) && !names_one_code(selector, rule)
}

/// Which findings of the rules that run are kept, by their hadolint code.
#[derive(Debug, Clone, Default)]
pub struct CodeFilter {
    /// Codes whose findings are dropped.
    ignored: Vec<String>,
    /// Rules that run only for some of their codes, with those codes.
    only: Vec<(&'static str, Vec<String>)>,
}

impl CodeFilter {
    /// Whether a finding of rule `rule_id` with hadolint code `code` is kept.
    pub fn keeps(&self, rule_id: &str, code: Option<&str>) -> bool {
        let same = |c: &String| code.is_some_and(|code| c.eq_ignore_ascii_case(code));
        if self.ignored.iter().any(same) {
            return false;
        }
        match self.only.iter().find(|(id, _)| *id == rule_id) {
            Some((_, codes)) => codes.iter().any(same),
            None => true,
        }
    }
}

/// Whether `selector` is `all` or names `category`.
fn names_category(selector: &str, category: Category) -> bool {
    selector.eq_ignore_ascii_case("all")
        || Category::parse(&selector.to_ascii_lowercase()) == Some(category)
}

/// Whether `selector` means something: `all`, a category (even one with no rule loaded, such
/// as `custom`), or a rule of `catalog` by id, name or alias.
pub(crate) fn is_known(selector: &str, catalog: &[&Rule]) -> bool {
    selector.eq_ignore_ascii_case("all")
        || Category::parse(&selector.to_ascii_lowercase()).is_some()
        || catalog.iter().any(|r| r.meta.answers_to(selector))
}

impl Selection {
    /// Whether a rule of `category` that is on by default, and named by no id, would run:
    /// the category is not replaced away by `select` nor removed by `ignore`.
    pub fn includes_category(&self, category: Category) -> bool {
        let named = |list: &[String]| list.iter().any(|s| names_category(s, category));
        let base = self.select.is_empty() || named(&self.select);
        (base || named(&self.extend_select)) && !named(&self.ignore)
    }

    pub fn resolve(
        &self,
        catalog: &[&'static Rule],
        settings: &Settings,
    ) -> Result<Vec<&'static Rule>, SelectionError> {
        for selector in self
            .select
            .iter()
            .chain(&self.extend_select)
            .chain(&self.ignore)
        {
            if !is_known(selector, catalog) {
                return Err(SelectionError {
                    selector: selector.clone(),
                });
            }
        }
        let any = |list: &[String], rule: &Rule| list.iter().any(|s| matches(s, rule));
        let whole = |list: &[String], rule: &Rule| list.iter().any(|s| matches_whole(s, rule));
        Ok(catalog
            .iter()
            .copied()
            .filter(|r| {
                let base = if self.select.is_empty() {
                    r.meta.default_enabled
                } else {
                    any(&self.select, r)
                };
                (base || any(&self.extend_select, r)) && !whole(&self.ignore, r)
            })
            .filter(|r| {
                r.meta
                    .pss_level
                    .is_none_or(|level| level <= settings.pss_level)
            })
            .filter(|r| !palisade_rules::pss::superseded(r.meta.id, settings))
            .collect())
    }

    /// The per-code part of the selection, for the rules of `catalog`.
    pub fn code_filter(&self, catalog: &[&'static Rule]) -> CodeFilter {
        let mut filter = CodeFilter::default();
        for rule in catalog {
            filter.ignored.extend(
                self.ignore
                    .iter()
                    .filter(|s| names_one_code(s, rule))
                    .cloned(),
            );
            // A rule runs only for some codes when nothing but those codes brought it in.
            let by_whole = (self.select.is_empty() && rule.meta.default_enabled)
                || self
                    .select
                    .iter()
                    .chain(&self.extend_select)
                    .any(|s| matches_whole(s, rule));
            let codes: Vec<String> = self
                .select
                .iter()
                .chain(&self.extend_select)
                .filter(|s| names_one_code(s, rule))
                .cloned()
                .collect();
            if !by_whole && !codes.is_empty() {
                filter.only.push((rule.meta.id, codes));
            }
        }
        filter
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_rules::{PssLevel, catalog};

    fn ids(sel: &Selection, settings: &Settings) -> Vec<&'static str> {
        sel.resolve(&catalog(), settings)
            .unwrap()
            .iter()
            .map(|r| r.meta.id)
            .collect()
    }

    #[test]
    fn select_by_category_and_pss_level() {
        let sel = Selection {
            select: vec!["pss".into()],
            ..Selection::default()
        };
        let baseline = Settings {
            pss_level: PssLevel::Baseline,
            ..Settings::default()
        };
        let got = ids(&sel, &baseline);
        assert!(got.contains(&"PSS001"));
        assert!(!got.iter().any(|id| id.starts_with("PSS1")), "{got:?}");
        let privileged = Settings {
            pss_level: PssLevel::Privileged,
            ..Settings::default()
        };
        assert!(ids(&sel, &privileged).is_empty());
        assert!(ids(&sel, &Settings::default()).contains(&"PSS104"));
    }

    #[test]
    fn one_hadolint_code_of_a_rule_selects_or_ignores_only_its_findings() {
        let all = catalog();
        let ignore = Selection {
            ignore: vec!["dl3018".into()],
            ..Selection::default()
        };
        assert!(ids(&ignore, &Settings::default()).contains(&"DKR015"));
        let f = ignore.code_filter(&all);
        assert!(f.keeps("DKR015", Some("DL3008")) && !f.keeps("DKR015", Some("DL3018")));

        let select = Selection {
            select: vec!["DL3008".into()],
            ..Selection::default()
        };
        assert_eq!(ids(&select, &Settings::default()), ["DKR015"]);
        let f = select.code_filter(&all);
        assert!(f.keeps("DKR015", Some("DL3008")));
        assert!(!f.keeps("DKR015", Some("DL3018")) && !f.keeps("DKR015", None));

        // Naming the rule as well, or a code that is the rule's only one, is the whole rule.
        let both = Selection {
            select: vec!["DL3008".into(), "package-not-pinned".into()],
            ..Selection::default()
        };
        let f = both.code_filter(&all);
        assert!(f.keeps("DKR015", Some("DL3018")));
        let single = all.iter().find(|r| r.meta.aliases == ["DL3020"]).unwrap();
        assert!(ids(&Selection::default(), &Settings::default()).contains(&single.meta.id));
        assert!(!ids(&both, &Settings::default()).contains(&single.meta.id));
        let ignore_single = Selection {
            ignore: vec!["DL3020".into()],
            ..Selection::default()
        };
        assert!(!ids(&ignore_single, &Settings::default()).contains(&single.meta.id));
    }

    #[test]
    fn ignore_by_name_and_unknown_selectors_are_errors() {
        let sel = Selection {
            select: vec!["pss".into()],
            ignore: vec!["privileged-container".into()],
            ..Selection::default()
        };
        assert!(!ids(&sel, &Settings::default()).contains(&"PSS002"));
        let bad = Selection {
            ignore: vec!["nonsense".into()],
            ..Selection::default()
        };
        assert_eq!(
            bad.resolve(&catalog(), &Settings::default())
                .unwrap_err()
                .selector,
            "nonsense"
        );
    }
}
