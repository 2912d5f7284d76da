//! Which rules run.
//!
//! Without `select`, the rules that are on by default run. `select` replaces that set with the
//! rules it names; `extend_select` adds to whichever set is in force; `ignore` removes. Each
//! entry is a rule id (`PSS002`), a rule name (`privileged-container`), an alias (hadolint's
//! `DL3008`), a category (`pss`) or `all`. Pod Security Standards rules then run only if the chosen PSS level includes them.

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
        Ok(catalog
            .iter()
            .copied()
            .filter(|r| {
                let base = if self.select.is_empty() {
                    r.meta.default_enabled
                } else {
                    any(&self.select, r)
                };
                (base || any(&self.extend_select, r)) && !any(&self.ignore, r)
            })
            .filter(|r| {
                r.meta
                    .pss_level
                    .is_none_or(|level| level <= settings.pss_level)
            })
            .filter(|r| !palisade_rules::pss::superseded(r.meta.id, settings))
            .collect())
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
