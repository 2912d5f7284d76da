//! CEL expressions evaluated against one object without copying the object at each step.
//!
//! The `cel` interpreter copies a map or list whole every time an expression selects a field
//! of it: `object.spec.template.spec.containers` copies the spec, the template, the pod spec
//! and the container list, for every expression, on every object. Variables, by contrast,
//! are read in place, and so is an element taken with the index operator from a variable.
//!
//! So each expression is rewritten once, when it is compiled: every longest chain of field
//! selections `object.f1.….fn` (outside a comprehension that names its own variable
//! `object`) becomes `@pN[@kN]`, an index into two variables that the object's [`View`]
//! binds the first time an expression needs them, for all policies at once:
//!
//! * when the chain can be followed, `@pN` is the one-entry map `{fn: value}` and `@kN`
//!   is `fn`, so the index yields the value, read in place;
//! * when a key is missing on the way, `@pN` is an empty map and `@kN` is the missing key,
//!   so the index fails with exactly the error the selection would have raised — a
//!   `has()` or `||` around it behaves as before, and so does `failurePolicy`;
//! * a selection from something that is not a map yields `false` in `cel`, and so does
//!   the chain's value then.
//!
//! The operand of a `has()` test is itself a selection that only tests; the chain below
//! it is rewritten, the test is kept. Chains are numbered across every loaded policy, so
//! that policies reading the same fields share one binding per object.

use std::cell::{Ref, RefCell};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use kube_cel::KubeCelExt;
use kube_cel::cel::common::ast::{CallExpr, EntryExpr, Expr, IdedExpr, operators};
use kube_cel::cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString,
};
use kube_cel::cel::common::value::Val;
use kube_cel::cel::extractors::This;
use kube_cel::cel::{
    self, Context, ExecutionError, FunctionContext, ParseErrors, Program, ResolveResult,
};
use palisade_load::{Node, Value};
use palisade_model::Object;

/// The variable whose field chains are rewritten.
const OBJECT: &str = "object";

/// The variables a policy reads besides `params` and `variables`, bound per object.
const ROOTS: [&str; 4] = [OBJECT, "oldObject", "request", "namespaceObject"];

/// The standard and Kubernetes functions, registered once for the process; each object's
/// variables live in a scope below it.
static FUNCTIONS: LazyLock<Context<'static>> = LazyLock::new(|| {
    let mut ctx = Context::default().with_all();
    ctx.add_function("matches", matches);
    ctx
});

/// `matches` as `cel` defines it, except that each thread compiles a pattern once rather
/// than on every call.
fn matches(
    ftx: &FunctionContext,
    This(this): This<Arc<String>>,
    pattern: Arc<String>,
) -> Result<bool, ExecutionError> {
    thread_local! {
        static COMPILED: RefCell<HashMap<String, regex::Regex>> = RefCell::new(HashMap::new());
    }
    COMPILED.with(|compiled| {
        let mut compiled = compiled.borrow_mut();
        if let Some(re) = compiled.get(pattern.as_str()) {
            return Ok(re.is_match(&this));
        }
        match regex::Regex::new(&pattern) {
            Ok(re) => {
                let found = re.is_match(&this);
                // Patterns come from policies, a handful; a pattern built from data
                // must not grow the cache without bound.
                if compiled.len() >= 256 {
                    compiled.clear();
                }
                compiled.insert(pattern.to_string(), re);
                Ok(found)
            }
            Err(err) => Err(ftx.error(format!("'{pattern}' not a valid regex:\n{err}"))),
        }
    })
}

/// Every chain rewritten so far, by number: the fields after `object`.
static CHAINS: Mutex<Vec<Vec<String>>> = Mutex::new(Vec::new());

/// One compiled expression: as written, and rewritten to read field chains in place.
#[derive(Debug)]
pub(crate) struct Compiled {
    /// The expression as written, which the tests compare the rewritten one with.
    #[cfg(test)]
    program: Program,
    rewritten: IdedExpr,
    needs: Needs,
}

/// What expressions need bound in a [`View`] before they are evaluated.
#[derive(Debug, Default, Clone)]
pub(crate) struct Needs {
    /// Chains, by number, with their fields.
    chains: Vec<(usize, Vec<String>)>,
    /// Which of [`ROOTS`] are read as a whole.
    roots: [bool; ROOTS.len()],
}

impl Needs {
    /// What this and `other` need.
    pub fn add(&mut self, other: &Needs) {
        for chain in &other.chains {
            if !self.chains.iter().any(|(n, _)| *n == chain.0) {
                self.chains.push(chain.clone());
            }
        }
        for (mine, theirs) in self.roots.iter_mut().zip(other.roots) {
            *mine |= theirs;
        }
    }
}

impl Compiled {
    pub fn compile(text: &str) -> Result<Compiled, ParseErrors> {
        let program = Program::compile(text)?;
        let mut rewritten = program.expression().clone();
        let mut chains = Vec::new();
        let mut bare = false;
        {
            let mut all = CHAINS.lock().unwrap_or_else(|e| e.into_inner());
            let mut rw = Rewrite {
                all: &mut all,
                used: &mut chains,
                bare: &mut bare,
            };
            rw.expr(&mut rewritten, false);
        }
        let references = program.references();
        let mut roots = ROOTS.map(|r| references.has_variable(r));
        // `object` is read whole only where no chain covers it.
        roots[0] = bare;
        Ok(Compiled {
            #[cfg(test)]
            program,
            rewritten,
            needs: Needs { chains, roots },
        })
    }

    pub fn needs(&self) -> &Needs {
        &self.needs
    }

    /// Evaluates the expression in `ctx`, a scope below a [`View`] that holds what it
    /// [needs](Self::needs).
    pub fn execute(&self, ctx: &Context<'_>) -> ResolveResult {
        cel::Value::resolve(&self.rewritten, ctx)
    }

    /// Evaluates the expression as written, in a context of the caller's.
    #[cfg(test)]
    pub fn execute_as_written(&self, ctx: &Context<'_>) -> ResolveResult {
        self.program.execute(ctx)
    }
}

/// Names of the two variables of chain `n`; `@` keeps them apart from CEL identifiers.
fn holder_name(n: usize) -> String {
    format!("@p{n}")
}

fn key_name(n: usize) -> String {
    format!("@k{n}")
}

/// The fields of `expr` if it is a chain of plain selections starting at `object`.
fn chain_of(expr: &IdedExpr) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut at = expr;
    loop {
        match &at.expr {
            Expr::Select(s) if !s.test => {
                fields.push(s.field.clone());
                at = &s.operand;
            }
            Expr::Ident(name) if name == OBJECT && !fields.is_empty() => {
                fields.reverse();
                return Some(fields);
            }
            _ => return None,
        }
    }
}

fn ident(id: u64, name: String) -> IdedExpr {
    IdedExpr {
        id,
        expr: Expr::Ident(name),
    }
}

/// The rewrite of one expression.
struct Rewrite<'a> {
    /// Every chain rewritten so far, by number.
    all: &'a mut Vec<Vec<String>>,
    /// The chains of this expression.
    used: &'a mut Vec<(usize, Vec<String>)>,
    /// Whether the expression reads `object` other than through a chain.
    bare: &'a mut bool,
}

impl Rewrite<'_> {
    /// Replaces each longest `object.…` chain in `expr` with an index into its two
    /// variables. `shadowed`: a comprehension around names its own variable `object`.
    fn expr(&mut self, expr: &mut IdedExpr, shadowed: bool) {
        if shadowed {
            return self.children(expr, shadowed);
        }
        if let Some(fields) = chain_of(expr) {
            let n = self.number(fields);
            let id = expr.id;
            expr.expr = Expr::Call(CallExpr {
                func_name: operators::INDEX.to_string(),
                target: None,
                args: vec![ident(id, holder_name(n)), ident(id, key_name(n))],
            });
            return;
        }
        if matches!(&expr.expr, Expr::Ident(name) if name == OBJECT) {
            *self.bare = true;
        }
        self.children(expr, shadowed);
    }

    /// The number of a chain across all policies, the same for the same fields.
    fn number(&mut self, fields: Vec<String>) -> usize {
        let n = match self.all.iter().position(|c| *c == fields) {
            Some(n) => n,
            None => {
                self.all.push(fields.clone());
                self.all.len() - 1
            }
        };
        if !self.used.iter().any(|(m, _)| *m == n) {
            self.used.push((n, fields));
        }
        n
    }

    fn children(&mut self, expr: &mut IdedExpr, shadowed: bool) {
        match &mut expr.expr {
            Expr::Call(call) => {
                if let Some(target) = call.target.as_deref_mut() {
                    self.expr(target, shadowed);
                }
                for arg in &mut call.args {
                    self.expr(arg, shadowed);
                }
            }
            Expr::Comprehension(c) => {
                self.expr(&mut c.iter_range, shadowed);
                self.expr(&mut c.accu_init, shadowed);
                let inner = shadowed
                    || c.iter_var == OBJECT
                    || c.iter_var2.as_deref() == Some(OBJECT)
                    || c.accu_var == OBJECT;
                self.expr(&mut c.loop_cond, inner);
                self.expr(&mut c.loop_step, inner);
                self.expr(&mut c.result, inner);
            }
            Expr::List(list) => {
                for element in &mut list.elements {
                    self.expr(element, shadowed);
                }
            }
            Expr::Map(map) => {
                for entry in &mut map.entries {
                    if let EntryExpr::MapEntry(e) = &mut entry.expr {
                        self.expr(&mut e.key, shadowed);
                        self.expr(&mut e.value, shadowed);
                    }
                }
            }
            Expr::Struct(s) => {
                for entry in &mut s.entries {
                    if let EntryExpr::StructField(e) = &mut entry.expr {
                        self.expr(&mut e.value, shadowed);
                    }
                }
            }
            Expr::Select(s) => self.expr(&mut s.operand, shadowed),
            Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
}

/// One object as the CEL expressions of every policy see it: a scope below the functions
/// with the variables that expressions have needed so far. Made once per object.
pub(crate) struct View {
    ctx: RefCell<Context<'static>>,
    /// Which chains are bound, by number.
    bound: RefCell<Vec<bool>>,
    roots: RefCell<[bool; ROOTS.len()]>,
}

impl Default for View {
    fn default() -> Self {
        View {
            ctx: RefCell::new(FUNCTIONS.new_inner_scope()),
            bound: RefCell::new(Vec::new()),
            roots: RefCell::new([false; ROOTS.len()]),
        }
    }
}

impl View {
    /// The scope to evaluate in, once what `needs` names is bound for `obj` (the object
    /// this view was made for).
    pub fn context(&self, obj: &Object, needs: &Needs) -> Ref<'_, Context<'static>> {
        self.bind(obj, needs);
        self.ctx.borrow()
    }

    fn bind(&self, obj: &Object, needs: &Needs) {
        let mut bound = self.bound.borrow_mut();
        let mut roots = self.roots.borrow_mut();
        let is_bound = |bound: &[bool], n: usize| bound.get(n).copied().unwrap_or(false);
        if needs.chains.iter().all(|(n, _)| is_bound(&bound, *n))
            && needs
                .roots
                .iter()
                .zip(roots.iter())
                .all(|(need, has)| !need || *has)
        {
            return;
        }
        let Ok(mut ctx) = self.ctx.try_borrow_mut() else {
            return;
        };
        let Context::Child { variables, .. } = &mut *ctx else {
            return;
        };
        for (n, fields) in &needs.chains {
            if is_bound(&bound, *n) {
                continue;
            }
            if bound.len() <= *n {
                bound.resize(n + 1, false);
            }
            let (holder, key) = follow(&obj.root, fields);
            variables.insert(holder_name(*n), holder);
            variables.insert(key_name(*n), key);
            bound[*n] = true;
        }
        for (i, root) in ROOTS.iter().enumerate() {
            if needs.roots[i] && !roots[i] {
                variables.insert(root.to_string(), root_value(obj, root));
                roots[i] = true;
            }
        }
    }
}

fn root_value(obj: &Object, root: &str) -> Box<dyn Val> {
    match root {
        OBJECT => to_val(&obj.root),
        "request" => boxed(crate::vap::request(obj)),
        _ => Box::new(CelNull),
    }
}

/// A CEL value as the interpreter holds it.
fn boxed(value: cel::Value) -> Box<dyn Val> {
    let converted: Result<Box<dyn Val>, _> = value.try_into();
    converted.unwrap_or_else(|_| Box::new(CelNull))
}

/// The two variables of a chain on `root`: see the module documentation.
fn follow(root: &Node, fields: &[String]) -> (Box<dyn Val>, Box<dyn Val>) {
    // `None` once a step selected from something that is not a map: `false` from there on.
    let mut at = Some(root);
    for field in fields {
        at = match at {
            Some(node) if matches!(node.value, Value::Map(_)) => match node.get(field) {
                Some(next) => Some(next),
                None => {
                    return (
                        map(HashMap::new()),
                        Box::new(CelString::from(field.as_str())),
                    );
                }
            },
            _ => None,
        };
    }
    let value = match at {
        Some(node) => to_val(node),
        None => Box::new(CelBool::from(false)),
    };
    let last = fields.last().map_or("", String::as_str);
    let holder = map(HashMap::from([(CelMapKey::from(last), value)]));
    (holder, Box::new(CelString::from(last)))
}

fn map(entries: HashMap<CelMapKey, Box<dyn Val>>) -> Box<dyn Val> {
    Box::new(CelMap::from(entries))
}

/// The tree as the interpreter holds values, as `to_cel` and the interpreter's own
/// conversion together would make it (the last of duplicate keys wins).
pub(crate) fn to_val(node: &Node) -> Box<dyn Val> {
    match &node.value {
        Value::Null => Box::new(CelNull),
        Value::Bool(b) => Box::new(CelBool::from(*b)),
        Value::Int(i) => Box::new(CelInt::from(*i)),
        Value::Float(f) => Box::new(CelDouble::from(*f)),
        Value::Str(s) => Box::new(CelString::from(s.as_str())),
        Value::Seq(items) => Box::new(CelList::from(items.iter().map(to_val).collect::<Vec<_>>())),
        Value::Map(entries) => {
            let mut out = HashMap::with_capacity(entries.len());
            for e in entries {
                out.insert(CelMapKey::from(e.key.as_str()), to_val(&e.value));
            }
            map(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::object;
    use crate::value::to_cel;

    const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 3
  template:
    spec:
      hostNetwork: true
      containers:
      - name: app
        image: 'nginx:latest'
        securityContext: {privileged: true, runAsUser: 0, capabilities: {add: [SYS_ADMIN]}}
        ports: [{containerPort: 80, hostPort: 8080}]
        env: [{name: DB_PASSWORD, value: hunter2}]
      - name: side
        image: 'registry.example.com/side@sha256:abc'
"#;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: busybox}]\n";

    /// `spec` is a string: selections below it yield `false` in `cel`.
    const ODD: &str =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: odd}\nspec: text\ndata: {a: '1'}\n";

    const EXPRESSIONS: &[&str] = &[
        "object.spec.template.spec.containers.all(c, has(c.securityContext) && c.securityContext.privileged)",
        "object.spec.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)",
        "object.spec.template.spec.containers.all(c, c.securityContext.runAsUser != 0)",
        "object.spec.template.spec.containers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort)))",
        "object.spec.template.spec.containers.all(c, !has(c.env) || c.env.all(e, !e.name.lowerAscii().contains('password') || !has(e.value)))",
        "object.spec.template.spec.containers.exists_one(c, c.name == 'app')",
        "object.spec.template.spec.containers.map(c, c.name)",
        "object.spec.template.spec.containers.filter(c, c.image.endsWith(':latest')).size() == 0",
        "object.spec.template.spec.containers.all(c, object.metadata.name != c.name)",
        "size(object.spec.template.spec.containers)",
        "object.spec.template.spec.containers[0].name",
        "object.spec.template.spec.containers[5].name",
        "!has(object.spec.template.spec.hostNetwork) || !object.spec.template.spec.hostNetwork",
        "has(object.spec.template.spec.hostPID)",
        "object.spec.missing > 1",
        "object.spec.template.missing.deeper",
        "object.spec.missing.deeper || true",
        "true || object.spec.missing",
        "object.spec.replicas + 1",
        "object.spec['replicas']",
        "optional.of(object.spec.replicas).orValue(1)",
        "optional.ofNonZeroValue(object.metadata.name).hasValue()",
        "optional.none().orValue(object.spec.missing)",
        "object.metadata.labels.app == 'web'",
        "'app' in object.metadata.labels",
        "object.metadata.name.foo",
        "object.metadata.name.foo.bar == false",
        "object.spec.text",
        "has(object.spec)",
        "has(object.spec.text)",
        "object == null",
        "object.metadata",
        "type(object.spec) == map",
        "{'a': object.metadata.name}.a",
        "[object.metadata.name].exists(x, x == 'web')",
        "[1, 2].all(object, object > 0)",
        "[{'spec': 1}].all(object, object.spec == 1) && has(object.metadata)",
        "oldObject == null && oldObject.spec == false",
        "namespaceObject == null",
        "request.operation == 'CREATE' && request.kind.kind == object.kind",
        "object.data.a == '1'",
        "params == null",
        "object.metadata.name.matches('^[a-z]+$')",
        "object.spec.template.spec.containers.all(c, c.name.matches('^[a-z][a-z0-9-]*$'))",
        "object.metadata.name.matches('[')",
        "object.spec.replicas.matches('3')",
    ];

    /// The result of `text` on `yaml`, evaluated as written and as rewritten.
    fn both(text: &str, yaml: &str) -> (ResolveResult, ResolveResult) {
        let compiled = Compiled::compile(text).expect(text);
        let obj = object(yaml);

        let mut plain = Context::default().with_all();
        plain.add_variable_from_value("object", to_cel(&obj.root));
        plain.add_variable_from_value("oldObject", cel::Value::Null);
        plain.add_variable_from_value("namespaceObject", cel::Value::Null);
        plain.add_variable_from_value("request", crate::vap::request(&obj));
        plain.add_variable_from_value("params", cel::Value::Null);
        let written = compiled.execute_as_written(&plain);

        let view = View::default();
        let base = view.context(&obj, compiled.needs());
        let mut ctx = base.new_inner_scope();
        ctx.add_variable_from_value("params", cel::Value::Null);
        (written, compiled.execute(&ctx))
    }

    fn same(a: &ResolveResult, b: &ResolveResult) -> bool {
        match (a, b) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => a.to_string() == b.to_string(),
            _ => false,
        }
    }

    #[test]
    fn the_rewrite_gives_the_results_and_errors_of_the_expression_as_written() {
        let mut errors = 0;
        for yaml in [DEPLOYMENT, POD, ODD] {
            for text in EXPRESSIONS {
                let (written, rewritten) = both(text, yaml);
                assert!(
                    same(&written, &rewritten),
                    "`{text}` on\n{yaml}\nas written: {written:?}\nrewritten: {rewritten:?}"
                );
                errors += usize::from(written.is_err());
            }
        }
        // The set holds failing evaluations too, so errors are compared as well.
        assert!(errors > 10, "{errors}");
    }

    #[test]
    fn chains_become_variables_read_in_place() {
        let c = Compiled::compile(
            "object.spec.template.spec.containers.all(c, has(c.x)) && has(object.spec.template.spec.hostPID)",
        )
        .unwrap();
        let fields: Vec<Vec<&str>> = c
            .needs()
            .chains
            .iter()
            .map(|(_, f)| f.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            fields,
            [
                vec!["spec", "template", "spec", "containers"],
                vec!["spec", "template", "spec"],
            ]
        );
        assert!(!c.needs().roots[0], "`object` is not needed whole");
        let again = Compiled::compile("object.spec.template.spec.containers.size() > 0").unwrap();
        assert_eq!(
            again.needs().chains[0].0,
            c.needs().chains[0].0,
            "numbers are shared"
        );
        assert!(Compiled::compile("has(object.spec)").unwrap().needs().roots[0]);
    }

    #[test]
    fn a_missing_key_fails_with_the_key_it_misses() {
        let (written, rewritten) = both("object.spec.template.nothere.deeper", DEPLOYMENT);
        let message = rewritten.unwrap_err().to_string();
        assert_eq!(message, written.unwrap_err().to_string());
        assert!(message.contains("nothere"), "{message}");
    }
}
