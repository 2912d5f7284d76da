//! `ValidatingAdmissionPolicy` objects as rules, evaluated offline with the Kubernetes CEL
//! libraries (`kube-cel`).
//!
//! Each policy is one rule, named after `metadata.name`, which is also its id unless the
//! annotation `palisade.dev/rule-id` gives another; `palisade.dev/severity` sets its
//! severity (default `high`, what a `Deny` action means). It is evaluated as the API server would evaluate a CREATE of the
//! object:
//!
//! * `spec.matchConstraints` and each binding's `matchResources`: `resourceRules` and
//!   `excludeResourceRules` (API groups, versions, resources — plural names derived from the
//!   kind — operations, resource names) and `objectSelector`. A `namespaceSelector` cannot be
//!   evaluated without the live namespace and is taken to match.
//! * `matchConditions`, then `variables` (in order, as `variables.<name>`), then every
//!   `validations` entry: `message`, `messageExpression`, or the API server's default
//!   message. Variables bound: `object`, `oldObject` (null), `request` (a CREATE),
//!   `params`, `namespaceObject` (null) and `variables`; `authorizer` is not available.
//! * Bindings (`ValidatingAdmissionPolicyBinding`) in the same files select parameter
//!   objects by `paramRef` name or selector; `parameterNotFoundAction: Deny` (the default)
//!   reports a missing one. `validationActions` sets the severity: `Deny` keeps the rule's,
//!   `Warn` is medium, `Audit` low. A policy without a binding is evaluated once, with
//!   `params` null.
//! * An expression that fails to evaluate follows `failurePolicy`: `Fail` (the default)
//!   reports it, `Ignore` drops it. An expression that does not compile is a located error
//!   when the policy is loaded.
//!
//! CEL expressions name no field, so a finding points at the first `object.…` path the
//! failing expression reads (as far as the object has it), or at the object.

use std::sync::Arc;

use kube_cel::cel;
use palisade_load::{FieldPath, Limits, Node, Span, parse_str};
use palisade_model::{Object, PodKindTable, Selector, objects_from_document};
use palisade_rules::{CustomCheck, Cx, Rule, Severity};

use crate::celview::{Compiled, Needs, View};
use crate::value::{cel_map, cel_str, to_cel};
use crate::{Meta, PolicyError, kebab, leak_rule, valid_id};

const POLICY: &str = "ValidatingAdmissionPolicy";
const BINDING: &str = "ValidatingAdmissionPolicyBinding";
const GROUP: &str = "admissionregistration.k8s.io";

/// One compiled expression and where it was written.
struct Expr {
    text: String,
    program: Compiled,
    /// The field of the object the expression reads first, for locating findings.
    field: FieldPath,
}

struct Validation {
    expr: Expr,
    message: Option<String>,
    message_expr: Option<Expr>,
}

/// `resourceRules`, `excludeResourceRules` and `objectSelector` of a policy or binding.
#[derive(Default)]
struct Match {
    rules: Vec<ResourceRule>,
    exclude: Vec<ResourceRule>,
    object_selector: Option<Selector>,
}

struct ResourceRule {
    groups: Vec<String>,
    versions: Vec<String>,
    resources: Vec<String>,
    operations: Vec<String>,
    names: Vec<String>,
}

struct Binding {
    name: String,
    matches: Option<Match>,
    /// The parameter objects the binding selects; `None` when it names none.
    params: Option<Vec<cel::Value>>,
    /// `parameterNotFoundAction: Deny` and no parameter object found.
    params_missing: Option<String>,
    severity: Option<Severity>,
}

struct VapCheck {
    policy: String,
    fail_closed: bool,
    matches: Match,
    conditions: Vec<(String, Expr)>,
    variables: Vec<(String, Expr)>,
    validations: Vec<Validation>,
    bindings: Vec<Binding>,
    /// What all the expressions need bound in the object's view.
    needs: Needs,
}

/// A spanned object and the file it was read from.
struct Read<'a> {
    path: &'a str,
    obj: &'a Object,
}

/// Reads every `ValidatingAdmissionPolicy` in `files`, with the bindings and parameter
/// objects among them. Anything else in the files is an error.
pub fn load_files(files: &[(&str, &str)]) -> Result<Vec<&'static Rule>, PolicyError> {
    let mut objects = Vec::new();
    for (path, text) in files {
        let parsed = parse_str(text, &Limits::default());
        if let Some(d) = parsed.diagnostics.iter().find(|d| d.kind.is_error()) {
            return Err(PolicyError::new(path, Some(d.span), d.message.clone()));
        }
        let before = objects.len();
        for doc in parsed.documents {
            for obj in objects_from_document(doc, &PodKindTable::default()).objects {
                objects.push((*path, obj));
            }
        }
        if objects.len() == before {
            return Err(PolicyError::new(
                path,
                None,
                "holds no Kubernetes object; a policy file holds ValidatingAdmissionPolicies, \
                 their bindings and parameter objects",
            ));
        }
    }
    let reads: Vec<Read> = objects
        .iter()
        .map(|(path, obj)| Read { path, obj })
        .collect();
    only_policy_objects(&reads)?;
    let (rules, mut problems) = rules_from(&reads);
    match problems.is_empty() {
        true => Ok(rules),
        false => Err(problems.remove(0)),
    }
}

/// The `ValidatingAdmissionPolicy` objects among scanned objects (`(file, object)`), as rules
/// to evaluate against those same objects, so that a team can test the policies it applies
/// to a cluster in CI. Bindings and parameter objects are taken from the same set. A policy
/// that cannot be used is left out and its problem returned.
pub fn rules_in_objects(objects: &[(&str, &Object)]) -> (Vec<&'static Rule>, Vec<PolicyError>) {
    let reads: Vec<Read> = objects
        .iter()
        .map(|(path, obj)| Read { path, obj })
        .collect();
    rules_from(&reads)
}

/// A policy spec's `paramKind`, as `(apiVersion, kind)`.
fn param_kind(spec: &Node) -> Option<(String, String)> {
    let pk = spec.get("paramKind")?;
    Some((
        pk.get("apiVersion")?.scalar_text()?,
        pk.get("kind")?.scalar_text()?,
    ))
}

fn is_admission(obj: &Object, kind: &str) -> bool {
    obj.id.kind == kind && obj.id.group() == GROUP
}

/// A policy file holds policies, bindings and parameter objects of a policy's paramKind.
fn only_policy_objects(objects: &[Read<'_>]) -> Result<(), PolicyError> {
    let param_kinds: Vec<(String, String)> = objects
        .iter()
        .filter(|r| is_admission(r.obj, POLICY))
        .filter_map(|p| param_kind(p.obj.root.get("spec")?))
        .collect();
    for r in objects {
        let o = r.obj;
        let is_param = param_kinds
            .iter()
            .any(|(v, k)| *v == o.id.api_version && *k == o.id.kind);
        if !is_admission(o, POLICY) && !is_admission(o, BINDING) && !is_param {
            return Err(PolicyError::new(
                r.path,
                Some(o.root.span),
                format!(
                    "{} is not a ValidatingAdmissionPolicy, a binding, or a parameter object \
                     of a policy's paramKind",
                    o.id
                ),
            ));
        }
    }
    Ok(())
}

fn rules_from(objects: &[Read<'_>]) -> (Vec<&'static Rule>, Vec<PolicyError>) {
    let policies: Vec<&Read> = objects
        .iter()
        .filter(|r| is_admission(r.obj, POLICY))
        .collect();
    let bindings: Vec<&Read> = objects
        .iter()
        .filter(|r| is_admission(r.obj, BINDING))
        .collect();
    let mut problems = Vec::new();
    for b in &bindings {
        let name = b
            .obj
            .root
            .at(&keys(&["spec", "policyName"]))
            .and_then(Node::scalar_text);
        if !policies
            .iter()
            .any(|p| p.obj.id.name.is_some() && p.obj.id.name == name)
        {
            let span = b.obj.locate(&FieldPath::parse_dotted("spec.policyName"));
            let mut problem = PolicyError::new(
                b.path,
                Some(span),
                format!(
                    "binding {} names the policy `{}`, which is not in the files",
                    b.obj.id,
                    name.unwrap_or_default()
                ),
            );
            problem.warning = true;
            problems.push(problem);
        }
    }

    let mut rules: Vec<&'static Rule> = Vec::new();
    for p in policies {
        match policy_rule(p, &bindings, objects) {
            Ok(rule) => match crate::taken_by(rule, &rules) {
                Some(other) => problems.push(PolicyError::new(
                    p.path,
                    Some(id_span(p)),
                    format!(
                        "the policy's rule `{}` ({}) takes the id or name of {} ({}); give it \
                         another with the annotation `palisade.dev/rule-id`",
                        rule.meta.id, rule.meta.name, other.meta.id, other.meta.name
                    ),
                )),
                None => rules.push(rule),
            },
            Err(e) => problems.push(e),
        }
    }
    (rules, problems)
}

/// Where a policy's rule id is written: its `palisade.dev/rule-id` annotation, else its name.
fn id_span(p: &Read<'_>) -> Span {
    let annotation = FieldPath::parse_dotted("metadata.annotations").key("palisade.dev/rule-id");
    match p.obj.node(&annotation) {
        Some(n) => n.span,
        None => p.obj.locate(&FieldPath::parse_dotted("metadata.name")),
    }
}

fn keys(path: &[&str]) -> Vec<palisade_load::Segment> {
    FieldPath::root().keys(path).segments().to_vec()
}

fn policy_rule(
    p: &Read<'_>,
    bindings: &[&Read<'_>],
    objects: &[Read<'_>],
) -> Result<&'static Rule, PolicyError> {
    let path = p.path;
    let root = &p.obj.root;
    let err = |span: Span, message: String| PolicyError::new(path, Some(span), message);
    let Some(policy) = p.obj.id.name.clone() else {
        return Err(err(
            root.span,
            "a ValidatingAdmissionPolicy needs a name".into(),
        ));
    };
    let spec = root
        .get("spec")
        .ok_or_else(|| err(root.span, format!("policy `{policy}` has no spec")))?;

    let annotation = |key: &str| {
        root.at(&keys(&["metadata", "annotations", key]))
            .and_then(|n| n.scalar_text().map(|t| (t, n.span)))
    };
    let id = match annotation("palisade.dev/rule-id") {
        Some((id, span)) if !valid_id(&id) => {
            return Err(err(span, format!("`{id}` cannot be a rule id")));
        }
        Some((id, _)) => id,
        None => policy.clone(),
    };
    let severity = match annotation("palisade.dev/severity") {
        Some((s, span)) => Severity::parse(&s)
            .ok_or_else(|| err(span, format!("`{s}` is not low, medium, high or critical")))?,
        None => Severity::High,
    };

    let fail_closed = match spec.get("failurePolicy").and_then(Node::as_str) {
        None | Some("Fail") => true,
        Some("Ignore") => false,
        Some(other) => {
            let span = spec.get("failurePolicy").map_or(spec.span, |n| n.span);
            return Err(err(span, format!("`{other}` is not Fail or Ignore")));
        }
    };
    let constraints = spec.get("matchConstraints").ok_or_else(|| {
        err(
            spec.span,
            format!("policy `{policy}` has no matchConstraints, so it matches nothing"),
        )
    })?;
    let matches = read_match(constraints);

    let compile = |node: &Node| -> Result<Expr, PolicyError> {
        let text = node
            .as_str()
            .ok_or_else(|| err(node.span, "an expression must be a string".into()))?;
        let program = Compiled::compile(text).map_err(|e| {
            err(
                node.span,
                format!(
                    "the CEL expression does not compile: {}",
                    one_line(&e.to_string())
                ),
            )
        })?;
        Ok(Expr {
            text: text.to_string(),
            program,
            field: first_object_field(text),
        })
    };
    let named = |list: Option<&Node>| -> Result<Vec<(String, Expr)>, PolicyError> {
        let mut out = Vec::new();
        for item in list.map_or(&[][..], |n| n.items()) {
            let name = item
                .get("name")
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            let expr = item
                .get("expression")
                .ok_or_else(|| err(item.span, "an entry needs an expression".into()))?;
            out.push((name, compile(expr)?));
        }
        Ok(out)
    };
    let conditions = named(spec.get("matchConditions"))?;
    let variables = named(spec.get("variables"))?;
    // An expression that reads the object only through a variable points where the
    // variable reads.
    let through_variables = |mut expr: Expr| {
        if expr.field.is_root()
            && let Some((_, v)) = variables
                .iter()
                .find(|(name, v)| !v.field.is_root() && reads_variable(&expr.text, name))
        {
            expr.field = v.field.clone();
        }
        expr
    };

    let mut validations = Vec::new();
    for v in spec.get("validations").map_or(&[][..], |n| n.items()) {
        let expr = v
            .get("expression")
            .ok_or_else(|| err(v.span, "a validation needs an expression".into()))?;
        validations.push(Validation {
            expr: through_variables(compile(expr)?),
            message: v.get("message").and_then(Node::scalar_text),
            message_expr: v.get("messageExpression").map(compile).transpose()?,
        });
    }
    if validations.is_empty() {
        return Err(err(
            spec.span,
            format!("policy `{policy}` has no validations, so it can never report anything"),
        ));
    }

    let param_kind = param_kind(spec);
    let mut own = Vec::new();
    for b in bindings {
        let bspec = b.obj.root.get("spec");
        let named_policy = bspec
            .and_then(|s| s.get("policyName"))
            .and_then(Node::scalar_text);
        if named_policy.as_deref() != Some(policy.as_str()) {
            continue;
        }
        own.push(read_binding(b, param_kind.as_ref(), objects)?);
    }

    let doc = policy_doc(path, &policy, spec, &own);
    let kinds = describe_match(&matches);
    let mut needs = Needs::default();
    for (_, e) in conditions.iter().chain(&variables) {
        needs.add(e.program.needs());
    }
    for v in &validations {
        needs.add(v.expr.program.needs());
        if let Some(m) = &v.message_expr {
            needs.add(m.program.needs());
        }
    }
    let check = VapCheck {
        policy: policy.clone(),
        fail_closed,
        matches,
        conditions,
        variables,
        validations,
        bindings: own,
        needs,
    };
    Ok(leak_rule(
        Meta {
            name: kebab(&policy),
            id,
            severity,
            kinds,
            summary: format!("ValidatingAdmissionPolicy `{policy}`"),
            doc,
        },
        Box::new(check),
    ))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.map_or(&[][..], |n| n.items())
        .iter()
        .filter_map(Node::scalar_text)
        .collect()
}

fn read_match(node: &Node) -> Match {
    let rules = |key: &str| {
        node.get(key)
            .map_or(&[][..], |n| n.items())
            .iter()
            .map(|r| ResourceRule {
                groups: strings(r.get("apiGroups")),
                versions: strings(r.get("apiVersions")),
                resources: strings(r.get("resources")),
                operations: strings(r.get("operations")),
                names: strings(r.get("resourceNames")),
            })
            .collect()
    };
    Match {
        rules: rules("resourceRules"),
        exclude: rules("excludeResourceRules"),
        object_selector: node
            .get("objectSelector")
            .map(Selector::from_label_selector),
    }
}

fn read_binding(
    b: &Read<'_>,
    param_kind: Option<&(String, String)>,
    objects: &[Read<'_>],
) -> Result<Binding, PolicyError> {
    let spec = b.obj.root.get("spec");
    let name = b.obj.id.name.clone().unwrap_or_default();
    let matches = spec.and_then(|s| s.get("matchResources")).map(read_match);
    let actions = strings(spec.and_then(|s| s.get("validationActions")));
    let severity = if actions.is_empty() || actions.iter().any(|a| a == "Deny") {
        None
    } else if actions.iter().any(|a| a == "Warn") {
        Some(Severity::Medium)
    } else {
        Some(Severity::Low)
    };

    let mut params = None;
    let mut params_missing = None;
    if let (Some(pref), Some((api_version, kind))) =
        (spec.and_then(|s| s.get("paramRef")), param_kind)
    {
        let wanted_name = pref.get("name").and_then(Node::scalar_text);
        let wanted_ns = pref.get("namespace").and_then(Node::scalar_text);
        let selector = pref.get("selector").map(Selector::from_label_selector);
        let found: Vec<cel::Value> = objects
            .iter()
            .map(|r| &r.obj)
            .filter(|o| o.id.api_version == *api_version && o.id.kind == *kind)
            .filter(|o| wanted_name.is_none() || o.id.name == wanted_name)
            .filter(|o| wanted_ns.is_none() || o.id.namespace == wanted_ns)
            .filter(|o| {
                selector
                    .as_ref()
                    .is_none_or(|s| s.matches(&o.label_set()).unwrap_or(false))
            })
            .map(|o| to_cel(&o.root))
            .collect();
        let deny = pref
            .get("parameterNotFoundAction")
            .and_then(Node::as_str)
            .is_none_or(|a| a == "Deny");
        if found.is_empty() && deny {
            params_missing = Some(format!(
                "binding `{name}` finds no {kind} parameter object, and its \
                 parameterNotFoundAction is Deny"
            ));
        }
        params = Some(found);
    }
    Ok(Binding {
        name,
        matches,
        params,
        params_missing,
        severity,
    })
}

/// The plural resource name of a kind, as the API server names it (`NetworkPolicy` →
/// `networkpolicies`).
fn resource_of(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower == "endpoints" {
        return lower;
    }
    if lower.ends_with('s') || lower.ends_with('x') || lower.ends_with("ch") {
        return format!("{lower}es");
    }
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    format!("{lower}s")
}

impl ResourceRule {
    fn matches(&self, obj: &Object) -> bool {
        let (group, version) = (obj.id.group(), obj.id.version());
        let any = |list: &[String], value: &str| list.iter().any(|x| x == "*" || x == value);
        // The resource name is made only for objects of the right group and version.
        any(&self.groups, group)
            && any(&self.versions, version)
            && (self.resources.iter().any(|r| r == "*") || {
                let resource = resource_of(&obj.id.kind);
                self.resources.contains(&resource)
            })
            && (self.operations.is_empty() || any(&self.operations, "CREATE"))
            && (self.names.is_empty()
                || obj.id.name.as_deref().is_some_and(|n| any(&self.names, n)))
    }
}

impl Match {
    /// A policy's match: one of its resource rules must hold.
    fn matches(&self, obj: &Object) -> bool {
        self.rules.iter().any(|r| r.matches(obj)) && self.others_hold(obj)
    }

    /// Binding match resources restrict further; an empty rule list there means the policy's.
    fn restricts(&self, obj: &Object) -> bool {
        (self.rules.is_empty() || self.rules.iter().any(|r| r.matches(obj)))
            && self.others_hold(obj)
    }

    /// No exclusion applies, and the object selector (if any) selects the object.
    fn others_hold(&self, obj: &Object) -> bool {
        !self.exclude.iter().any(|r| r.matches(obj))
            && self
                .object_selector
                .as_ref()
                .is_none_or(|s| s.matches(&obj.label_set()).unwrap_or(false))
    }
}

fn describe_match(m: &Match) -> String {
    let mut resources: Vec<String> = m.rules.iter().flat_map(|r| r.resources.clone()).collect();
    resources.dedup();
    if resources.is_empty() {
        "nothing (no resourceRules)".into()
    } else {
        format!("resources {}", resources.join(", "))
    }
}

/// Whether `text` reads `variables.<name>`.
fn reads_variable(text: &str, name: &str) -> bool {
    let needle = format!("variables.{name}");
    text.match_indices(&needle).any(|(i, _)| {
        let after = text[i + needle.len()..].chars().next();
        !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The first `object.a.b` path an expression reads, without method calls.
fn first_object_field(text: &str) -> FieldPath {
    let bytes = text.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut from = 0;
    while let Some(found) = text[from..].find("object.") {
        let start = from + found;
        from = start + 1;
        if start > 0 && (ident(bytes[start - 1]) || bytes[start - 1] == b'.') {
            continue;
        }
        let mut path = FieldPath::root();
        let mut i = start + "object".len();
        while i < bytes.len() && bytes[i] == b'.' {
            let s = i + 1;
            let mut e = s;
            while e < bytes.len() && ident(bytes[e]) {
                e += 1;
            }
            if e == s || (e < bytes.len() && bytes[e] == b'(') {
                break;
            }
            path = path.key(&text[s..e]);
            i = e;
        }
        if !path.is_root() {
            return path;
        }
    }
    FieldPath::root()
}

fn policy_doc(path: &str, policy: &str, spec: &Node, bindings: &[Binding]) -> String {
    let mut doc = format!(
        "## What it checks\nThe ValidatingAdmissionPolicy `{policy}` from `{path}`, evaluated \
         offline as the API server would evaluate a CREATE. Its validations:\n\n"
    );
    for v in spec.get("validations").map_or(&[][..], |n| n.items()) {
        let expr = v.get("expression").and_then(Node::as_str).unwrap_or("");
        doc.push_str(&format!("- `{expr}`"));
        if let Some(m) = v.get("message").and_then(Node::as_str) {
            doc.push_str(&format!(" — {m}"));
        }
        doc.push('\n');
    }
    if !bindings.is_empty() {
        let names: Vec<&str> = bindings.iter().map(|b| b.name.as_str()).collect();
        doc.push_str(&format!("\nBindings: `{}`.\n", names.join("`, `")));
    }
    doc.push_str(
        "\n## Why it matters\nThe cluster refuses what this policy denies; checking in CI \
         finds it before a deployment does.\n\n",
    );
    doc.push_str(&format!("## Example\nSee `{path}`.\n\n"));
    doc.push_str("## Fix\nChange the object so that every validation holds.\n\n");
    doc.push_str(
        "## References\n- https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/\n",
    );
    doc
}

impl CustomCheck for VapCheck {
    fn applies(&self, obj: &Object) -> bool {
        self.matches.matches(obj)
    }

    fn check(&self, cx: &mut Cx<'_>) {
        let view = cx.memo(|_| View::default());
        let view = &*view;
        if self.bindings.is_empty() {
            self.evaluate(cx, view, cel::Value::Null, None);
            return;
        }
        for b in &self.bindings {
            if b.matches.as_ref().is_some_and(|m| !m.restricts(cx.obj)) {
                continue;
            }
            if let Some(missing) = &b.params_missing {
                report(cx, b.severity, FieldPath::root(), missing.clone());
                continue;
            }
            match &b.params {
                Some(params) => {
                    for p in params {
                        self.evaluate(cx, view, p.clone(), b.severity);
                    }
                }
                None => self.evaluate(cx, view, cel::Value::Null, b.severity),
            }
        }
    }
}

fn report(cx: &mut Cx<'_>, severity: Option<Severity>, path: FieldPath, message: String) {
    match severity {
        Some(s) => cx.report_as(s, path, message),
        None => cx.report(path, message),
    }
}

impl VapCheck {
    fn evaluate(
        &self,
        cx: &mut Cx<'_>,
        view: &View,
        params: cel::Value,
        severity: Option<Severity>,
    ) {
        let mut found: Vec<(FieldPath, String)> = Vec::new();
        {
            let admitted = crate::AsAdmitted::of(cx);
            let base = view.context(admitted.object(cx.obj), &self.needs);
            let mut ctx = base.new_inner_scope();
            ctx.add_variable_from_value("params", params);

            let mut vars = Vec::new();
            ctx.add_variable_from_value("variables", cel_map(Vec::new()));
            for (name, expr) in &self.variables {
                // A variable that fails is left out; an expression that reads it fails then.
                if let Ok(v) = expr.program.execute(&ctx) {
                    vars.push((name.clone(), v));
                    ctx.add_variable_from_value("variables", cel_map(vars.clone()));
                }
            }

            for (name, expr) in &self.conditions {
                match expr.program.execute(&ctx) {
                    Ok(cel::Value::Bool(true)) => {}
                    Ok(cel::Value::Bool(false)) => return,
                    Ok(other) => {
                        if self.fail_closed {
                            found.push((
                                FieldPath::root(),
                                format!(
                                    "match condition `{name}` returned {other:?}, not a bool \
                                     (failurePolicy Fail)"
                                ),
                            ));
                        }
                        return;
                    }
                    Err(e) => {
                        if self.fail_closed {
                            found.push((
                                FieldPath::root(),
                                format!(
                                    "match condition `{name}` could not be evaluated: {e} \
                                     (failurePolicy Fail)"
                                ),
                            ));
                        }
                        return;
                    }
                }
            }

            for v in &self.validations {
                let message = match v.expr.program.execute(&ctx) {
                    Ok(cel::Value::Bool(true)) => continue,
                    Ok(cel::Value::Bool(false)) => v
                        .message_expr
                        .as_ref()
                        .and_then(|m| match m.program.execute(&ctx) {
                            Ok(cel::Value::String(s)) if !s.trim().is_empty() => {
                                Some(s.to_string())
                            }
                            _ => None,
                        })
                        .or_else(|| v.message.clone())
                        .unwrap_or_else(|| format!("failed expression: {}", v.expr.text)),
                    Ok(other) => {
                        if !self.fail_closed {
                            continue;
                        }
                        format!(
                            "`{}` returned {other:?}, not a bool (failurePolicy Fail)",
                            v.expr.text
                        )
                    }
                    Err(e) => {
                        if !self.fail_closed {
                            continue;
                        }
                        format!(
                            "`{}` could not be evaluated: {e} (failurePolicy Fail)",
                            v.expr.text
                        )
                    }
                };
                found.push((v.expr.field.clone(), message));
            }
        }
        for (path, message) in found {
            report(cx, severity, path, format!("{}: {message}", self.policy));
        }
    }
}

/// The `request` variable for a CREATE of `obj`.
pub(crate) fn request(obj: &Object) -> cel::Value {
    let (group, version) = (obj.id.group(), obj.id.version());
    cel_map(vec![
        ("operation".into(), cel_str("CREATE")),
        ("name".into(), cel_str(obj.id.name.as_deref().unwrap_or(""))),
        (
            "namespace".into(),
            cel_str(obj.id.namespace.as_deref().unwrap_or("")),
        ),
        ("dryRun".into(), cel::Value::Bool(false)),
        (
            "kind".into(),
            cel_map(vec![
                ("group".into(), cel_str(group)),
                ("version".into(), cel_str(version)),
                ("kind".into(), cel_str(&obj.id.kind)),
            ]),
        ),
        (
            "resource".into(),
            cel_map(vec![
                ("group".into(), cel_str(group)),
                ("version".into(), cel_str(version)),
                ("resource".into(), cel_str(&resource_of(&obj.id.kind))),
            ]),
        ),
        (
            "userInfo".into(),
            cel_map(vec![
                ("username".into(), cel_str("")),
                ("groups".into(), cel::Value::List(Arc::new(Vec::new()))),
            ]),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run;

    const POLICY_YAML: &str = r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  variables:
  - name: replicas
    expression: "has(object.spec.replicas) ? object.spec.replicas : 1"
  validations:
  - expression: "variables.replicas <= int(params.data.maxReplicas)"
    messageExpression: "'replicas must be at most ' + params.data.maxReplicas"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit-prod}
spec:
  policyName: replica-limit
  validationActions: [Deny]
  paramRef: {name: limits, namespace: default}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: default}
data: {maxReplicas: "5"}
"#;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 10\n  template:\n    spec:\n      containers: [{name: c, image: 'nginx:1.27'}]\n";

    #[test]
    fn a_bound_policy_reads_its_parameters_and_variables() {
        let rules = load_files(&[("vap.yaml", POLICY_YAML)]).unwrap();
        assert_eq!(rules.len(), 1);
        let rule = rules[0];
        assert_eq!(rule.meta.id, "replica-limit");
        let v = run(rule, DEPLOYMENT);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].message, "replica-limit: replicas must be at most 5");
        assert_eq!(v[0].path.to_string(), "spec.replicas");
        assert!(run(rule, &DEPLOYMENT.replace("10", "3")).is_empty());
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n";
        assert!(run(rule, pod).is_empty(), "pods are not matched");
    }

    #[test]
    fn compile_errors_point_at_the_expression() {
        let broken = POLICY_YAML.replace("variables.replicas <=", "variables.replicas <= <=");
        let e = load_files(&[("vap.yaml", &broken)]).unwrap_err();
        assert_eq!(e.span.map(|s| s.start.line), Some(16), "{e}");
        assert!(e.message.contains("does not compile"), "{e}");
    }

    #[test]
    fn evaluation_errors_follow_the_failure_policy() {
        let text = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: strict}\nspec:\n  matchConstraints:\n    resourceRules: [{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*']}]\n  validations:\n  - expression: object.spec.missing > 1\n";
        let rules = load_files(&[("a.yaml", text)]).unwrap();
        let v = run(rules[0], DEPLOYMENT);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].message.contains("could not be evaluated"),
            "{}",
            v[0].message
        );
        let lenient = text
            .replace("name: strict", "name: lenient")
            .replace("spec:\n  match", "spec:\n  failurePolicy: Ignore\n  match");
        let rules = load_files(&[("b.yaml", &lenient)]).unwrap();
        assert!(run(rules[0], DEPLOYMENT).is_empty());
    }

    #[test]
    fn missing_parameters_deny_and_unknown_policies_are_errors() {
        let no_params = POLICY_YAML
            .replace("paramRef: {name: limits", "paramRef: {name: other")
            .replace("replica-limit", "replica-limit-2");
        let rules = load_files(&[("vap.yaml", &no_params)]).unwrap();
        let v = run(rules[0], DEPLOYMENT);
        assert!(v[0].message.contains("no ConfigMap parameter"), "{v:?}");
        let orphan = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: b}\nspec: {policyName: nope}\n";
        let e = load_files(&[("b.yaml", orphan)]).unwrap_err();
        assert!(e.message.contains("`nope`"), "{e}");
    }

    #[test]
    fn plural_resource_names() {
        assert_eq!(resource_of("NetworkPolicy"), "networkpolicies");
        assert_eq!(resource_of("Ingress"), "ingresses");
        assert_eq!(resource_of("Deployment"), "deployments");
        assert_eq!(resource_of("Endpoints"), "endpoints");
        assert_eq!(resource_of("Gateway"), "gateways");
    }

    #[test]
    fn the_first_object_field_an_expression_reads() {
        let f = first_object_field("object.spec.template.spec.containers.all(c, has(c.x))");
        assert_eq!(f.to_string(), "spec.template.spec.containers");
        assert_eq!(
            first_object_field("oldObject.spec == null || object.metadata.name != ''").to_string(),
            "metadata.name"
        );
        assert!(first_object_field("request.operation == 'CREATE'").is_root());
    }
}
