//! Rego modules as rules, evaluated with `regorus`.
//!
//! A module is one rule. Its metadata is OPA's own package annotation, a `# METADATA`
//! comment block before `package`:
//!
//! ```rego
//! # METADATA
//! # title: Deployments must name an owner
//! # description: Every Deployment carries an `owner` label, so incidents reach a team.
//! # related_resources:
//! #   - ref: https://wiki.example.com/labels
//! # custom:
//! #   id: ORG001
//! #   severity: medium
//! #   kinds: [Deployment, StatefulSet]
//! package org.owner_label
//!
//! import rego.v1
//!
//! violation contains {"msg": "add an `owner` label", "path": ["metadata", "labels"]} if {
//!     not input.metadata.labels.owner
//! }
//! ```
//!
//! Without `custom.id` the rule's id is the package path (`org.owner_label`); without
//! `severity`, `medium`; without `kinds`, every object.
//!
//! Findings come from whichever of these rules the module defines:
//!
//! * `violation` — Gatekeeper's convention: a set of objects with `msg` (and `details`,
//!   ignored). The input is the AdmissionReview-shaped `input.review.object`, with
//!   `input.parameters` from `custom.parameters`.
//! * `deny` — conftest's convention: a set of strings (or objects with `msg`), the input
//!   being the object itself (`input.kind`, `input.spec`).
//! * `warn` — as `deny`, reported at `low` severity.
//!
//! Both input shapes are given at once: `input` is the object with two extra keys,
//! `review` and `parameters`, so modules written for either tool run unchanged. An element
//! may also say where the problem is, with `path` (`["spec", "containers", 0, "image"]` or
//! `"spec.containers[0].image"`) and a `severity`; without a path the finding points at the
//! object. Modules in Rego v1 and in the older v0 syntax are both read.
//!
//! Built-in functions behave as in OPA's default (non-strict) mode: one that fails (say
//! `to_number("abc")`) leaves its expression undefined, so the rule body does not hold there.
//! A call to a function that is neither a built-in available here nor defined in the module
//! (`http.send`) is an error when the module is loaded, with its line and column.

use std::cell::RefCell;
use std::sync::Mutex;

use palisade_load::{FieldPath, Limits, Node, Segment, Span, parse_str};
use palisade_model::Object;
use palisade_rules::{CustomCheck, Cx, Rule, Severity};
use regorus::languages::rego::compiler::{Compiler, CompilerError};

use crate::value::to_rego;
use crate::{Meta, PolicyError, kebab, leak_rule, valid_id};

/// The rules of a module that produce findings, with the severity they imply.
const ENTRY_POINTS: &[(&str, Option<Severity>)] = &[
    ("violation", None),
    ("deny", None),
    ("warn", Some(Severity::Low)),
];

struct RegoCheck {
    /// `data.<package>.<rule>` for each entry point the module defines.
    entries: Vec<(String, Option<Severity>)>,
    /// Kinds the rule looks at; empty for every object.
    kinds: Vec<String>,
    parameters: regorus::Value,
    evaluator: Evaluator,
}

/// Evaluates a module with regorus' interpreter, in OPA's default (non-strict) mode.
///
/// regorus' virtual machine is faster but departs from OPA when a built-in fails: without
/// strict errors the failed value still binds (`n := to_number("abc")` holds), with them the
/// whole body is dropped (`not to_number("abc")` fails, other iterations are lost), and in both
/// a comprehension loses elements it should keep. The interpreter gives OPA's answers (a test
/// holds it to them). Evaluation needs mutable state, so each evaluation takes an idle engine
/// (or clones the prototype) and puts it back afterwards.
struct Evaluator {
    prototype: Box<Mutex<regorus::Engine>>,
    idle: Mutex<Vec<regorus::Engine>>,
}

impl Evaluator {
    fn new(engine: regorus::Engine) -> Evaluator {
        Evaluator {
            prototype: Box::new(Mutex::new(engine)),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The value of each entry point for `input`; an error is one line, located in the module.
    fn eval(
        &self,
        input: regorus::Value,
        entries: &[(String, Option<Severity>)],
    ) -> Vec<Result<regorus::Value, String>> {
        let mut engine = lock(&self.idle)
            .pop()
            .unwrap_or_else(|| lock(&self.prototype).clone());
        engine.set_input(input);
        let out = entries
            .iter()
            .map(|(entry, _)| {
                engine
                    .eval_rule(entry.clone())
                    .map_err(|e| one_line_error(&e.to_string()))
            })
            .collect();
        lock(&self.idle).push(engine);
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Refuses a module that calls a function that does not exist: neither a built-in available
/// here (the crypto, HTTP and JWT ones are not) nor one the module defines. regorus' compiler
/// for its virtual machine resolves every call the entry points can reach, so it is asked;
/// a module it cannot compile for other reasons is left to evaluation, which reports such a
/// call as an error of the rule.
fn check_calls(
    path: &str,
    engine: &regorus::Engine,
    entries: &[(String, Option<Severity>)],
) -> Result<(), PolicyError> {
    let names: Vec<&str> = entries.iter().map(|(e, _)| e.as_str()).collect();
    let Some(first) = names.first() else {
        return Ok(());
    };
    let Ok(policy) = engine.clone().compile_with_entrypoint(&(*first).into()) else {
        return Ok(());
    };
    let Err(error) = Compiler::compile_from_policy(&policy, &names) else {
        return Ok(());
    };
    // The compiler's own variant, or the same wrapped as text with a finer location.
    let (name, text) = match &error.error {
        CompilerError::UnknownFunction { name } => (name.clone(), String::new()),
        CompilerError::General { message } => {
            let Some(name) = message
                .split("Unknown function: '")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
            else {
                return Ok(());
            };
            (name.to_string(), message.clone())
        }
        _ => return Ok(()),
    };
    let span = regorus_location(&text).or_else(|| {
        error.span.as_ref().map(|s| {
            let pos = palisade_load::Pos {
                line: s.line,
                column: s.col,
            };
            Span::new(pos, pos)
        })
    });
    Err(PolicyError::new(
        path,
        span,
        format!(
            "`{name}` is neither a built-in function available here nor a function of this \
             module (the crypto, HTTP and JWT built-ins are not available)"
        ),
    ))
}

/// The position in a regorus message, which reads ` --> path:line:col`, the quoted line,
/// then `error: what went wrong`.
fn regorus_location(message: &str) -> Option<Span> {
    message.lines().find_map(|l| {
        let at = l.trim().strip_prefix("-->")?.trim();
        let mut parts = at.rsplitn(3, ':');
        let column = parts.next()?.parse::<u32>().ok()?;
        let line = parts.next()?.parse::<u32>().ok()?;
        let pos = palisade_load::Pos { line, column };
        Some(Span::new(pos, pos))
    })
}

/// What went wrong in a regorus message, without the quoted source.
fn regorus_what(message: &str) -> String {
    message
        .lines()
        .find_map(|l| l.trim().strip_prefix("error:"))
        .map_or_else(|| one_line(message), |w| w.trim().to_string())
}

/// An evaluation error as one line: `path:line:col: what went wrong`.
fn one_line_error(message: &str) -> String {
    let what = regorus_what(message);
    let at = message
        .lines()
        .find_map(|l| l.trim().strip_prefix("-->"))
        .map(str::trim);
    match at {
        Some(at) => format!("{at}: {what}"),
        None => what,
    }
}

/// Reads one module.
pub fn load_module(path: &str, text: &str) -> Result<&'static Rule, PolicyError> {
    let (engine, package) = compile(path, text)?;
    let annotation = Annotation::read(path, text)?;

    let mut entries = Vec::new();
    for (rule, severity) in ENTRY_POINTS {
        // regorus cannot classify every v0 rule head; the text then tells.
        let declared = engine
            .has_declared_rule_rooted_at(path, rule)
            .unwrap_or_else(|_| text_declares(text, rule));
        if declared {
            entries.push((format!("{package}.{rule}"), *severity));
        }
    }
    if entries.is_empty() {
        return Err(PolicyError::new(
            path,
            None,
            format!(
                "the module `{package}` defines none of `violation`, `deny` or `warn`, so it can \
                 never report anything"
            ),
        ));
    }

    check_calls(path, &engine, &entries)?;

    let package_name = package.trim_start_matches("data.").to_string();
    // conftest puts every module in `package main`: there the file names the rule.
    let default_id = if package_name == "main" {
        std::path::Path::new(path)
            .file_stem()
            .and_then(|s| s.to_str())
            .map_or_else(|| package_name.clone(), |stem| format!("main.{stem}"))
    } else {
        package_name.clone()
    };
    let id = annotation.id.clone().unwrap_or(default_id);
    let name = annotation.name.clone().unwrap_or_else(|| kebab(&id));
    let kinds_text = if annotation.kinds.is_empty() {
        "every kind".to_string()
    } else {
        annotation.kinds.join(", ")
    };
    let summary = annotation
        .title
        .clone()
        .unwrap_or_else(|| format!("Rego policy `{package_name}`"));
    let doc = annotation.doc(path, &package_name, &entries);
    let check = RegoCheck {
        evaluator: Evaluator::new(engine),
        entries,
        kinds: annotation.kinds,
        parameters: annotation.parameters,
    };
    Ok(leak_rule(
        Meta {
            id,
            name,
            severity: annotation.severity.unwrap_or(Severity::Medium),
            kinds: kinds_text,
            summary,
            doc,
        },
        Box::new(check),
    ))
}

/// Whether a line of `text` starts a rule head named `rule` (`deny[msg] {`, `deny contains`,
/// `deny if`, `deny :=`).
fn text_declares(text: &str, rule: &str) -> bool {
    text.lines().any(|line| {
        line.strip_prefix(rule).is_some_and(|rest| {
            let rest = rest.trim_start();
            rest.starts_with('[')
                || rest.starts_with('{')
                || rest.starts_with('=')
                || rest.starts_with(":=")
                || rest.starts_with("contains ")
                || rest.starts_with("if ")
        })
    })
}

/// Parses the module as Rego v1 and, failing that, as v0; the v1 error is the one reported
/// when neither reads it.
fn compile(path: &str, text: &str) -> Result<(regorus::Engine, String), PolicyError> {
    let mut v1 = regorus::Engine::new();
    // As OPA by default: a built-in that fails makes its expression undefined.
    v1.set_strict_builtin_errors(false);
    let first = match v1.add_policy(path.to_string(), text.to_string()) {
        Ok(package) => return Ok((v1, package)),
        Err(e) => e,
    };
    let mut v0 = regorus::Engine::new();
    v0.set_strict_builtin_errors(false);
    v0.set_rego_v0(true);
    let second = match v0.add_policy(path.to_string(), text.to_string()) {
        Ok(package) => return Ok((v0, package)),
        Err(e) => e,
    };
    // The dialect the module is written in reads further before it fails.
    let (a, b) = (
        rego_error(path, &first.to_string()),
        rego_error(path, &second.to_string()),
    );
    let at = |e: &PolicyError| e.span.map(|s| s.start);
    Err(if at(&b) > at(&a) { b } else { a })
}

/// A regorus error as a located error.
fn rego_error(path: &str, message: &str) -> PolicyError {
    PolicyError::new(path, regorus_location(message), regorus_what(message))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl CustomCheck for RegoCheck {
    fn applies(&self, obj: &Object) -> bool {
        self.kinds.is_empty()
            || self
                .kinds
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&obj.id.kind))
    }

    fn check(&self, cx: &mut Cx<'_>) {
        let admitted = crate::AsAdmitted::of(cx);
        let view = cx.memo(|o| RegoView {
            object: to_rego(&o.root),
            admitted: admitted.0.as_ref().map(|d| to_rego(&d.root)),
            inputs: RefCell::new(Vec::new()),
        });
        let input = view.input(cx.obj, &self.parameters);
        let results = self.evaluator.eval(input, &self.entries);
        for ((entry, severity), result) in self.entries.iter().zip(results) {
            match result {
                Ok(value) => report(cx, &value, *severity),
                Err(e) => cx.report(
                    FieldPath::root(),
                    format!("the Rego rule `{entry}` could not be evaluated on this object: {e}"),
                ),
            }
        }
    }
}

/// The object as Rego reads it, made once per object for all Rego rules, with the input
/// made for each set of parameters the rules have asked for (most rules have none).
struct RegoView {
    /// As written: conftest's `input` is the file's object.
    object: regorus::Value,
    /// With the API server's defaults, when it gets any: Gatekeeper's
    /// `input.review.object` is what admission sees.
    admitted: Option<regorus::Value>,
    inputs: RefCell<Vec<(regorus::Value, regorus::Value)>>,
}

impl RegoView {
    fn input(&self, obj: &Object, parameters: &regorus::Value) -> regorus::Value {
        if let Some((_, made)) = self.inputs.borrow().iter().find(|(p, _)| p == parameters) {
            return made.clone();
        }
        let made = input(
            obj,
            &self.object,
            self.admitted.as_ref().unwrap_or(&self.object),
            parameters,
        );
        self.inputs
            .borrow_mut()
            .push((parameters.clone(), made.clone()));
        made
    }
}

/// The object with `review` (Gatekeeper's AdmissionReview shape, around the object as
/// admitted) and `parameters` added.
fn input(
    obj: &Object,
    object: &regorus::Value,
    admitted: &regorus::Value,
    parameters: &regorus::Value,
) -> regorus::Value {
    let mut input = match object {
        regorus::Value::Object(_) => object.clone(),
        _ => regorus::Value::new_object(),
    };
    let object = admitted.clone();
    let (group, version) = (obj.id.group(), obj.id.version());
    let mut kind = regorus::Value::new_object();
    if let Ok(map) = kind.as_object_mut() {
        map.insert("group".into(), group.into());
        map.insert("version".into(), version.into());
        map.insert("kind".into(), obj.id.kind.as_str().into());
    }
    let mut review = regorus::Value::new_object();
    if let Ok(map) = review.as_object_mut() {
        map.insert("object".into(), object);
        map.insert("oldObject".into(), regorus::Value::Null);
        map.insert("operation".into(), "CREATE".into());
        map.insert("kind".into(), kind);
        map.insert("name".into(), obj.id.name.as_deref().unwrap_or("").into());
        map.insert(
            "namespace".into(),
            obj.id.namespace.as_deref().unwrap_or("").into(),
        );
    }
    if let Ok(map) = input.as_object_mut() {
        map.insert("review".into(), review);
        map.insert("parameters".into(), parameters.clone());
    }
    input
}

/// Turns what an entry point produced into violations.
fn report(cx: &mut Cx<'_>, value: &regorus::Value, severity: Option<Severity>) {
    let items: Vec<regorus::Value> = match value {
        regorus::Value::Undefined | regorus::Value::Null | regorus::Value::Bool(false) => {
            return;
        }
        regorus::Value::Set(set) => set.iter().cloned().collect(),
        regorus::Value::Array(items) => items.iter().cloned().collect(),
        other => vec![other.clone()],
    };
    for item in items {
        let (message, path, own) = element(&item);
        match own.or(severity) {
            Some(s) => cx.report_as(s, path, message),
            None => cx.report(path, message),
        }
    }
}

/// The message, field and severity of one element of a `violation`/`deny`/`warn` set.
fn element(item: &regorus::Value) -> (String, FieldPath, Option<Severity>) {
    let text = |v: &regorus::Value| v.as_string().ok().map(|s| s.to_string());
    match item {
        regorus::Value::String(s) => (s.to_string(), FieldPath::root(), None),
        regorus::Value::Bool(true) => ("denied by policy".into(), FieldPath::root(), None),
        regorus::Value::Object(_) => {
            let message = text(&item["msg"])
                .or_else(|| text(&item["message"]))
                .unwrap_or_else(|| item.to_json_str().unwrap_or_default());
            let path = field_path(&item["path"])
                .or_else(|| field_path(&item["field"]))
                .unwrap_or_else(FieldPath::root);
            let severity = text(&item["severity"]).and_then(|s| Severity::parse(&s));
            (message, path, severity)
        }
        other => (
            other.to_json_str().unwrap_or_default(),
            FieldPath::root(),
            None,
        ),
    }
}

/// A path given as `["spec", "containers", 0]` or as `spec.containers[0]`.
fn field_path(value: &regorus::Value) -> Option<FieldPath> {
    match value {
        regorus::Value::Array(items) => {
            let mut segments = Vec::with_capacity(items.len());
            for item in items.iter() {
                segments.push(match item {
                    regorus::Value::String(s) => Segment::Key(s.to_string()),
                    regorus::Value::Number(_) => Segment::Index(item.as_u64().ok()? as usize),
                    _ => return None,
                });
            }
            Some(FieldPath(segments))
        }
        regorus::Value::String(s) => Some(dotted_path(s)),
        _ => None,
    }
}

/// `spec.containers[0].image` as a path.
pub(crate) fn dotted_path(text: &str) -> FieldPath {
    let mut path = FieldPath::root();
    for part in text.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                path = path.key(&rest[..open]);
            }
            rest = &rest[open..];
            while let Some(inner) = rest.strip_prefix('[') {
                let Some(close) = inner.find(']') else { break };
                let index = &inner[..close];
                path = match index.parse::<usize>() {
                    Ok(i) => path.index(i),
                    Err(_) => path.key(index.trim_matches(|c| c == '"' || c == '\'')),
                };
                rest = &inner[close + 1..];
            }
        } else {
            path = path.key(rest);
        }
    }
    path
}

/// A module's `# METADATA` package annotation.
struct Annotation {
    title: Option<String>,
    description: Option<String>,
    references: Vec<String>,
    id: Option<String>,
    name: Option<String>,
    severity: Option<Severity>,
    kinds: Vec<String>,
    parameters: regorus::Value,
}

impl Annotation {
    /// Reads the first `# METADATA` block of the module, if any.
    fn read(path: &str, text: &str) -> Result<Annotation, PolicyError> {
        let mut annotation = Annotation {
            title: None,
            description: None,
            references: Vec::new(),
            id: None,
            name: None,
            severity: None,
            kinds: Vec::new(),
            parameters: regorus::Value::new_object(),
        };
        let lines: Vec<&str> = text.lines().collect();
        let Some(start) = lines.iter().position(|l| l.trim() == "# METADATA") else {
            return Ok(annotation);
        };
        let block: Vec<String> = lines[start + 1..]
            .iter()
            .take_while(|l| l.trim_start().starts_with('#'))
            .map(|l| {
                let l = l.trim_start().trim_start_matches('#');
                l.strip_prefix(' ').unwrap_or(l).to_string()
            })
            .collect();
        // Lines of the block are lines of the file from `start + 2` on.
        let offset = start as u32 + 1;
        let at = |span: Span| {
            let mut s = span;
            s.start.line += offset;
            s.end.line += offset;
            s.start.column += 2;
            s.end.column += 2;
            Some(s)
        };
        let parsed = parse_str(&block.join("\n"), &Limits::default());
        if let Some(d) = parsed.diagnostics.iter().find(|d| d.kind.is_error()) {
            return Err(PolicyError::new(
                path,
                at(d.span),
                format!("the METADATA block is not valid YAML: {}", d.message),
            ));
        }
        let Some(root) = parsed.documents.into_iter().next().map(|d| d.root) else {
            return Ok(annotation);
        };
        let string = |n: &Node| -> Result<String, PolicyError> {
            n.scalar_text()
                .ok_or_else(|| PolicyError::new(path, at(n.span), "expected a string"))
        };
        annotation.title = root.get("title").map(&string).transpose()?;
        annotation.description = root.get("description").map(&string).transpose()?;
        for r in root.get("related_resources").map_or(&[][..], |n| n.items()) {
            let reference = match r.get("ref") {
                Some(n) => string(n)?,
                None => string(r)?,
            };
            annotation.references.push(reference);
        }
        let Some(custom) = root.get("custom") else {
            return Ok(annotation);
        };
        if let Some(n) = custom.get("id") {
            let id = string(n)?;
            if !valid_id(&id) {
                return Err(PolicyError::new(
                    path,
                    at(n.span),
                    format!("`{id}` cannot be a rule id: use letters, digits, `-`, `_` or `.`"),
                ));
            }
            annotation.id = Some(id);
        }
        if let Some(n) = custom.get("name") {
            annotation.name = Some(kebab(&string(n)?));
        }
        if let Some(n) = custom.get("severity") {
            let s = string(n)?;
            annotation.severity = Some(Severity::parse(&s).ok_or_else(|| {
                PolicyError::new(
                    path,
                    at(n.span),
                    format!("`{s}` is not low, medium, high or critical"),
                )
            })?);
        }
        if let Some(n) = custom.get("kinds") {
            let items: Vec<&Node> = match n.items() {
                [] if !n.is_null() && n.as_str().is_some() => vec![n],
                items => items.iter().collect(),
            };
            for item in items {
                annotation.kinds.push(string(item)?);
            }
        }
        if let Some(n) = custom.get("parameters") {
            annotation.parameters = to_rego(n);
        }
        Ok(annotation)
    }

    /// The text `palisade rules explain` prints.
    fn doc(&self, path: &str, package: &str, entries: &[(String, Option<Severity>)]) -> String {
        let rules: Vec<&str> = entries
            .iter()
            .map(|(e, _)| e.rsplit('.').next().unwrap_or(e))
            .collect();
        let mut doc = String::from("## What it checks\n");
        doc.push_str(
            self.description
                .as_deref()
                .or(self.title.as_deref())
                .unwrap_or("A custom Rego policy."),
        );
        doc.push_str(&format!(
            "\n\nA custom rule: the Rego module `{package}` in `{path}`, evaluated with \
             regorus; its `{}` rule(s) produce the findings.\n\n",
            rules.join("`, `")
        ));
        doc.push_str("## Why it matters\nThe team that wrote the policy says so above.\n\n");
        doc.push_str(&format!("## Example\nSee `{path}`.\n\n"));
        doc.push_str("## Fix\nChange the object so that the policy's conditions hold.\n\n");
        doc.push_str("## References\n");
        if self.references.is_empty() {
            doc.push_str(&format!("- {path}\n"));
        }
        for r in &self.references {
            doc.push_str(&format!("- {r}\n"));
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{object, run};
    use palisade_load::Segment;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: web}}\nspec:\n  containers:\n  - {name: c, image: 'nginx:1.27'}\n";

    #[test]
    fn gatekeeper_violations_read_the_review_and_parameters() {
        let module = r#"# METADATA
# title: Required labels
# custom:
#   id: ORG-LABELS
#   severity: high
#   kinds: [Pod]
#   parameters: {labels: [owner]}
package k8srequiredlabels

violation[{"msg": msg, "details": {}}] {
  provided := {label | input.review.object.metadata.labels[label]}
  required := {label | label := input.parameters.labels[_]}
  missing := required - provided
  count(missing) > 0
  msg := sprintf("missing labels: %v", [missing])
}
"#;
        let rule = load_module("labels.rego", module).unwrap();
        assert_eq!(rule.meta.id, "ORG-LABELS");
        assert_eq!(rule.meta.severity, Severity::High);
        let v = run(rule, POD);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].message.contains("owner"), "{}", v[0].message);
        let with_owner = POD.replace("app: web", "app: web, owner: team-a");
        assert!(run(rule, &with_owner).is_empty());
    }

    #[test]
    fn conftest_deny_and_warn_read_the_object_with_paths() {
        let module = r#"package main
import rego.v1

deny contains {"msg": "latest tag", "path": sprintf("spec.containers[%d].image", [i])} if {
  some i
  endswith(input.spec.containers[i].image, ":latest")
}

warn contains "no owner label" if {
  not input.metadata.labels.owner
}
"#;
        let rule = load_module("policy/main.rego", module).unwrap();
        assert_eq!(rule.meta.id, "main.main");
        let v = run(rule, &POD.replace("nginx:1.27", "nginx:latest"));
        assert_eq!(v.len(), 2, "{v:?}");
        let deny = v.iter().find(|v| v.message == "latest tag").unwrap();
        assert_eq!(deny.path.to_string(), "spec.containers[0].image");
        let warn = v.iter().find(|v| v.message == "no owner label").unwrap();
        assert_eq!(warn.severity, Some(Severity::Low));
    }

    #[test]
    fn kinds_limit_what_the_rule_applies_to() {
        let module = "# METADATA\n# custom:\n#   id: ONLY-DEPLOY\n#   kinds: Deployment\npackage x\ndeny contains \"no\" if { true }\n";
        let rule = load_module("x.rego", module).unwrap();
        assert!(!rule.applies_to(&object(POD)));
    }

    #[test]
    fn syntax_errors_and_useless_modules_are_located_errors() {
        let e = load_module("bad.rego", "package x\n\ndeny contains msg if {\n").unwrap_err();
        assert_eq!(e.path, "bad.rego");
        assert!(e.span.is_some(), "{e}");
        let e = load_module("none.rego", "package x\nallow := true\n").unwrap_err();
        assert!(e.message.contains("none of"), "{e}");
        let e = load_module(
            "meta.rego",
            "# METADATA\n# custom:\n#   severity: huge\npackage x\ndeny contains 1 if { true }\n",
        )
        .unwrap_err();
        assert_eq!(e.span.map(|s| s.start.line), Some(3), "{e}");
    }

    #[test]
    fn a_call_to_a_function_that_is_not_available_is_a_load_error() {
        let module = "package x\nimport rego.v1\n\ndeny contains msg if {\n  r := http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1/\"})\n  msg := sprintf(\"%v\", [r])\n}\n";
        let e = load_module("send.rego", module).unwrap_err();
        assert!(e.message.contains("`http.send`"), "{e}");
        assert_eq!(e.span.map(|s| s.start.line), Some(5), "{e}");
        assert!(!e.message.contains('\n'), "{e}");
        let module = "package x\nimport rego.v1\n\ndeny contains \"x\" if no_such_helper(input)\n";
        let e = load_module("helper.rego", module).unwrap_err();
        assert!(e.message.contains("`no_such_helper`"), "{e}");
        // The module's own functions are found.
        let module = "package x\nimport rego.v1\n\nbad(o) if o.spec.hostPID\ndeny contains \"x\" if bad(input)\n";
        assert!(load_module("own.rego", module).is_ok());
    }

    /// OPA's answers, in its default mode, where a built-in fails on the object's values: the
    /// failing expression is undefined, for that iteration only.
    #[test]
    fn a_failing_builtin_leaves_its_expression_undefined_as_in_opa() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {tier: front, replicas: '3'}}\nspec:\n  containers:\n  - {name: a, image: 1.0}\n  - {name: b, image: 'registry.example.com/b:1'}\n";
        let cases = [
            ("n := to_number(input.metadata.labels.tier)", false),
            ("not to_number(input.metadata.labels.tier)", true),
            (
                "n := to_number(input.metadata.labels.replicas)\n  n == 3",
                true,
            ),
            ("x := 1 / (count(input.spec.containers) - 2)", false),
            (
                "m := sprintf(\"%v\", [to_number(input.metadata.labels.tier)])",
                false,
            ),
            (
                "some c in input.spec.containers\n  not startswith(c.image, \"registry.example.com/\")",
                true,
            ),
            (
                "some c in input.spec.containers\n  img := lower(c.image)\n  not startswith(img, \"registry.example.com/\")",
                false,
            ),
            (
                "names := [n | some c in input.spec.containers; n := lower(c.image)]\n  count(names) == 1",
                true,
            ),
            ("count(lowered) == 1", true),
            (
                "every c in input.spec.containers { startswith(c.image, \"registry\") }",
                false,
            ),
        ];
        for (i, (body, fires)) in cases.iter().enumerate() {
            let module = format!(
                "package opa_semantics.case{i}\nimport rego.v1\n\nlowered contains l if {{\n  some c in input.spec.containers\n  l := lower(c.image)\n}}\n\ndeny contains \"fired\" if {{\n  {body}\n}}\n"
            );
            let rule = load_module("opa.rego", &module).unwrap();
            let found = run(rule, pod);
            assert_eq!(!found.is_empty(), *fires, "{body}: {found:?}");
            assert!(
                found.iter().all(|v| v.message == "fired"),
                "{body}: {found:?}"
            );
        }
    }

    #[test]
    fn an_evaluation_error_is_one_line_with_its_place_in_the_module() {
        // A module the virtual machine's compiler does not take (`with`) reaches evaluation.
        let module = "package late\nimport rego.v1\n\nname := input.metadata.name\n\ndeny contains msg if {\n  n := name with input as {\"metadata\": {\"name\": \"x\"}}\n  r := http.send({\"method\": \"get\", \"url\": n})\n  msg := sprintf(\"%v\", [r])\n}\n";
        let rule = load_module("late.rego", module).unwrap();
        let found = run(rule, POD);
        assert_eq!(found.len(), 1, "{found:?}");
        let message = &found[0].message;
        assert!(!message.contains('\n'), "{message}");
        assert!(message.contains("late.rego:8:"), "{message}");
        assert!(message.contains("http.send"), "{message}");
    }

    #[test]
    fn dotted_paths_with_indexes() {
        assert_eq!(
            dotted_path("spec.containers[2].ports[0]").segments(),
            &[
                Segment::Key("spec".into()),
                Segment::Key("containers".into()),
                Segment::Index(2),
                Segment::Key("ports".into()),
                Segment::Index(0),
            ]
        );
    }
}

#[cfg(test)]
mod repository_tests {
    use super::*;
    use palisade_model::{PodKindTable, objects_from_document};

    /// Every module of the repository (the example and the benchmark policies) loads and
    /// evaluates on every example object without an error.
    #[test]
    fn the_repository_modules_load_and_evaluate_cleanly() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut objects = Vec::new();
        for dir in ["examples/hardened", "examples/insecure"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
                for doc in parse_str(&text, &Limits::default()).documents {
                    objects.extend(objects_from_document(doc, &PodKindTable::default()).objects);
                }
            }
        }
        let mut evaluated = 0;
        for dir in ["examples/policies", "bench/policies/rego"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = e.unwrap().path();
                if path.extension().is_none_or(|x| x != "rego") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let shown = path.display().to_string();
                let rule = load_module(&shown, &text).unwrap_or_else(|e| panic!("{e}"));
                for obj in &objects {
                    if !rule.applies_to(obj) {
                        continue;
                    }
                    for v in crate::testing::run_on(rule, obj) {
                        assert!(
                            !v.message.contains("could not be evaluated"),
                            "{shown}: {v:?}"
                        );
                    }
                    evaluated += 1;
                }
            }
        }
        assert!(evaluated > 50, "{evaluated}");
    }
}
