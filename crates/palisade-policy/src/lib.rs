//! Custom rules: a team's own Rego modules and CEL `ValidatingAdmissionPolicy` objects, run by
//! Palisade's engine exactly like the built-in rules.
//!
//! [`load`] reads policy files and folders and returns one [`Rule`] per Rego module and per
//! `ValidatingAdmissionPolicy`. Each rule carries its metadata (id, name, severity, kinds, the
//! text `palisade rules explain` prints) and a [`CustomCheck`] that evaluates the policy on one
//! object and reports violations as field paths, which the engine maps to source positions as
//! it does for every other rule. The caller registers the rules with
//! [`palisade_rules::register_custom`], after which selection, configuration, suppressions,
//! baselines, every report format and the admission webhook see them as catalog rules.
//!
//! Rules are built once per process and live as long as it does, like the built-in catalog:
//! loading the same files again returns the same rules.
//!
//! * Rego ([`rego`]): a module's `# METADATA` annotation gives its id, severity and kinds;
//!   its `violation` (Gatekeeper), `deny` and `warn` (conftest) rules produce the findings.
//! * CEL ([`vap`]): `ValidatingAdmissionPolicy` objects, with their bindings and parameter
//!   objects from the same files, evaluated offline with the Kubernetes CEL libraries.

mod celview;
mod defaults;
pub mod rego;
#[cfg(test)]
mod testing;
mod value;
pub mod vap;

use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use palisade_load::Span;
use palisade_rules::{Applies, Category, Check, CustomCheck, Rule, RuleMeta, Severity};

/// A policy file that cannot be used, with where in it the problem is.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyError {
    pub path: String,
    /// `None` when the problem is with the file as a whole.
    pub span: Option<Span>,
    pub message: String,
    /// Whether the policies can still be used as they are (a binding whose policy is not
    /// among the scanned files); otherwise the input cannot be fully checked.
    pub warning: bool,
}

impl PolicyError {
    fn new(path: &str, span: Option<Span>, message: impl Into<String>) -> Self {
        PolicyError {
            path: path.to_string(),
            span,
            message: message.into(),
            warning: false,
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Some(s) => write!(
                f,
                "{}:{}:{}: {}",
                self.path, s.start.line, s.start.column, self.message
            ),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for PolicyError {}

/// Files already turned into rules, so that loading them again (a second configuration
/// read, a rebuilt webhook engine) yields the very same rules.
type Loaded = Vec<(u64, Vec<&'static Rule>)>;
static LOADED: Mutex<Loaded> = Mutex::new(Vec::new());

/// Reads the policies in `paths`: `*.rego` files (not `*_test.rego`, which hold OPA unit
/// tests) and YAML or JSON files with `ValidatingAdmissionPolicy` objects, their bindings
/// and parameter objects. A folder is read recursively, in name order. Bindings and
/// parameters may sit in any of the files given.
pub fn load(paths: &[PathBuf]) -> Result<Vec<&'static Rule>, PolicyError> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    // A file named twice (a folder and a file in it, two spellings of one path) is read once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|(_, path)| seen.insert(path.canonicalize().unwrap_or_else(|_| path.clone())));
    let mut texts = Vec::with_capacity(files.len());
    for (shown, path) in &files {
        let bytes = std::fs::read(path)
            .map_err(|e| PolicyError::new(shown, None, format!("cannot read: {e}")))?;
        // Text that is not UTF-8 is located at its first bad byte.
        let text = palisade_load::source::decode(bytes)
            .map_err(|d| PolicyError::new(shown, Some(d.span), d.message))?;
        texts.push((shown.clone(), text));
    }
    load_texts(&texts)
}

/// Like [`load`], for texts already read: `(path shown in messages, contents)`.
pub fn load_texts(files: &[(String, String)]) -> Result<Vec<&'static Rule>, PolicyError> {
    let mut hasher = DefaultHasher::new();
    files.hash(&mut hasher);
    let key = hasher.finish();
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, rules)) = loaded.iter().find(|(k, _)| *k == key) {
        return Ok(rules.clone());
    }

    let mut rules = Vec::new();
    let mut yaml = Vec::new();
    for (path, text) in files {
        if path.ends_with(".rego") {
            rules.push(rego::load_module(path, text)?);
        } else {
            yaml.push((path.as_str(), text.as_str()));
        }
    }
    if !yaml.is_empty() {
        rules.extend(vap::load_files(&yaml)?);
    }
    for (i, &rule) in rules.iter().enumerate() {
        if let Some(other) = taken_by(rule, &rules[..i]) {
            let word = if other.meta.answers_to(rule.meta.id) {
                rule.meta.id
            } else {
                rule.meta.name
            };
            let (path, span) = where_written(files, &[word]);
            return Err(PolicyError::new(
                path,
                span,
                format!(
                    "the custom rule `{}` ({}) takes the id or name of {} ({}); give it \
                     another id",
                    rule.meta.id, rule.meta.name, other.meta.id, other.meta.name
                ),
            ));
        }
    }
    loaded.push((key, rules.clone()));
    Ok(rules)
}

/// A rule other than `rule` that answers to its id or name: a built-in one, or one made
/// earlier in the same load. A custom rule in the catalog under the same id is the same
/// policy loaded through the configuration as well, not a clash.
pub(crate) fn taken_by(rule: &'static Rule, earlier: &[&'static Rule]) -> Option<&'static Rule> {
    let answers =
        |other: &Rule| other.meta.answers_to(rule.meta.id) || other.meta.answers_to(rule.meta.name);
    let built_in = [rule.meta.id, rule.meta.name]
        .into_iter()
        .filter_map(palisade_rules::find)
        .find(|o| o.meta.category != palisade_rules::Category::Custom);
    built_in.or_else(|| {
        earlier
            .iter()
            .copied()
            .find(|o| !std::ptr::eq(*o, rule) && answers(o))
    })
}

/// Where one of `words` is written as a whole word in the policy files, for locating an
/// error about a rule's id or name: the last file that has it (of two rules with one id,
/// the second is the one in the wrong), at its first line there; the first file when none
/// has it (an id the loader derived from a package path).
fn where_written<'a>(files: &'a [(String, String)], words: &[&str]) -> (&'a str, Option<Span>) {
    let part_of_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    for (path, text) in files.iter().rev() {
        for (n, line) in text.lines().enumerate() {
            for word in words {
                let found = line.match_indices(word).find(|(at, _)| {
                    let before = line[..*at].chars().next_back();
                    let after = line[at + word.len()..].chars().next();
                    !before.is_some_and(part_of_word) && !after.is_some_and(part_of_word)
                });
                if let Some((at, _)) = found {
                    let column = line[..at].chars().count() as u32 + 1;
                    let start = palisade_load::Pos {
                        line: n as u32 + 1,
                        column,
                    };
                    let end = palisade_load::Pos {
                        line: n as u32 + 1,
                        column: column + word.chars().count() as u32,
                    };
                    return (path, Some(Span::new(start, end)));
                }
            }
        }
    }
    (files.first().map_or("", |(p, _)| p.as_str()), None)
}

fn collect(path: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), PolicyError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| PolicyError::new(&shown, None, format!("cannot read: {e}")))?;
    if !meta.is_dir() {
        out.push((shown, path.to_path_buf()));
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| PolicyError::new(&shown, None, format!("cannot read: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let name = entry
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if name.starts_with('.') {
            continue;
        }
        if entry.is_dir() {
            collect(&entry, out)?;
        } else if is_policy_file(&name) {
            out.push((entry.display().to_string(), entry));
        }
    }
    Ok(())
}

/// Whether a file found in a policy folder is read as a policy.
fn is_policy_file(name: &str) -> bool {
    (name.ends_with(".rego") && !name.ends_with("_test.rego"))
        || [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e))
}

/// What a custom rule says about itself.
pub(crate) struct Meta {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub kinds: String,
    pub summary: String,
    pub doc: String,
}

/// Turns metadata and a check into a catalog rule that lives for the rest of the process.
pub(crate) fn leak_rule(meta: Meta, check: Box<dyn CustomCheck>) -> &'static Rule {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let rule = Rule {
        meta: RuleMeta {
            id: leak(meta.id),
            name: leak(meta.name),
            category: Category::Custom,
            severity: meta.severity,
            default_enabled: true,
            applies: Applies::Custom(leak(meta.kinds)),
            pss_level: None,
            aliases: &[],
            summary: leak(meta.summary),
            doc: leak(meta.doc),
        },
        check: Check::Custom(Box::leak(check)),
    };
    Box::leak(Box::new(rule))
}

/// Whether `id` can name a rule: no spaces, commas or `=`, which selectors and annotations
/// use as separators.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/'))
}

/// `k8s_required_labels` → `k8s-required-labels`.
pub(crate) fn kebab(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '_' | '.' | ' ' | '/' | ':' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The object custom rules evaluate, made once per object for all of them: with the
/// defaults the API server fills in before admission (see `defaults`).
pub(crate) struct AsAdmitted(pub(crate) Option<palisade_model::Object>);

impl AsAdmitted {
    pub(crate) fn of(cx: &palisade_rules::Cx<'_>) -> std::rc::Rc<AsAdmitted> {
        cx.memo(|o| AsAdmitted(defaults::defaulted(o)))
    }

    /// The defaulted object, or `raw` when nothing was added.
    pub(crate) fn object<'a>(
        &'a self,
        raw: &'a palisade_model::Object,
    ) -> &'a palisade_model::Object {
        self.0.as_ref().unwrap_or(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_file_that_is_not_utf8_is_located_at_the_first_bad_byte() {
        let dir =
            std::env::temp_dir().join(format!("palisade-policy-latin1-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("latin1.yaml");
        std::fs::write(
            &file,
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
        )
        .unwrap();
        let e = load(std::slice::from_ref(&file)).unwrap_err();
        assert_eq!(e.path, file.display().to_string());
        let span = e.span.expect("located");
        assert_eq!((span.start.line, span.start.column), (4, 12), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn admission_views_carry_the_api_servers_defaults_and_conftest_sees_the_file() {
        use crate::testing::run;
        let without_replicas = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: 'nginx:1.27'}]\n";
        let with_nine =
            without_replicas.replace("spec:\n  template", "spec:\n  replicas: 9\n  template");
        let cel = vap::load_files(&[(
            "cap.yaml",
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: defaults-cap}\nspec:\n  matchConstraints:\n    resourceRules:\n    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n  validations:\n  - expression: object.spec.replicas <= 5\n  - expression: object.spec.template.spec.containers.all(c, c.imagePullPolicy == 'IfNotPresent')\n",
        )])
        .unwrap()[0];
        assert!(run(cel, without_replicas).is_empty());
        assert_eq!(run(cel, &with_nine).len(), 1);

        let gatekeeper = rego::load_module(
            "defaults_gk.rego",
            "package defaultsgk\n\nviolation contains {\"msg\": \"too many\"} if {\n  input.review.object.spec.replicas > 5\n}\n\nviolation contains {\"msg\": \"no replicas\"} if {\n  not input.review.object.spec.replicas\n}\n",
        )
        .unwrap();
        assert!(run(gatekeeper, without_replicas).is_empty());
        assert_eq!(run(gatekeeper, &with_nine)[0].message, "too many");
        let conftest = rego::load_module(
            "defaults_conftest.rego",
            "package defaultsconftest\n\ndeny contains \"replicas left to the default\" if {\n  not input.spec.replicas\n}\n",
        )
        .unwrap();
        assert_eq!(run(conftest, without_replicas).len(), 1);
        assert!(run(conftest, &with_nine).is_empty());
    }

    #[test]
    fn a_policy_among_the_scanned_objects_may_not_take_a_taken_id() {
        let policy = |name: &str, id: &str| {
            format!(
                "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata:\n  name: {name}\n  annotations:\n    palisade.dev/rule-id: {id}\nspec:\n  matchConstraints:\n    resourceRules:\n    - {{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods]}}\n  validations:\n  - expression: 'false'\n"
            )
        };
        let builtin = testing::object(&policy("p-zero", "PSS002"));
        let first = testing::object(&policy("p-one", "ORG501"));
        let second = testing::object(&policy("p-two", "ORG501"));
        let (rules, errors) = vap::rules_in_objects(&[
            ("a.yaml", &builtin),
            ("b.yaml", &first),
            ("c.yaml", &second),
        ]);
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].meta.id, "ORG501");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].path, "a.yaml");
        assert!(errors[0].message.contains("PSS002 (privileged-container)"));
        assert_eq!(errors[1].path, "c.yaml");
        // At the annotation that sets the id.
        assert_eq!(errors[1].span.map(|s| s.start.line), Some(6));
    }

    #[test]
    fn a_custom_rule_that_takes_a_taken_id_is_located_where_the_id_is_written() {
        let module = |package: &str, id: &str| {
            format!(
                "# METADATA\n# title: t\n# custom:\n#   id: {id}\npackage {package}\n\n\
                 violation contains {{\"msg\": \"x\"}} if {{ input.review.object.kind == \"Pod\" }}\n"
            )
        };
        let e = load_texts(&[("clash.rego".into(), module("clash", "PSS001"))]).unwrap_err();
        assert_eq!(e.path, "clash.rego");
        let span = e.span.expect("located");
        assert_eq!((span.start.line, span.start.column), (4, 9), "{e}");
        assert!(e.message.contains("PSS001 (host-namespaces)"), "{e}");
        // Two new rules with one id: the second is the one in the wrong.
        let e = load_texts(&[
            ("a.rego".into(), module("a", "TWICE1")),
            ("b.rego".into(), module("b", "TWICE1")),
        ])
        .unwrap_err();
        assert_eq!(e.path, "b.rego", "{e}");
    }
}
