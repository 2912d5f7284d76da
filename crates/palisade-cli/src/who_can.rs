//! `palisade who-can`: which subjects the scanned bindings let do something.
//!
//! The files are loaded as `scan` loads them; [`palisade_rules::rbac::access`] resolves every
//! binding to its role (aggregated and built-in roles included) and answers the question for
//! one verb on one resource or URL, in one namespace, across the cluster, or anywhere.
//! Bindings whose role the files do not show are listed as unknown, never left out.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use palisade_engine::{Engine, Selection, walk_error_report};
use palisade_model::{Object, PodKindTable};
use palisade_rules::Settings;
use palisade_rules::rbac::access::{
    Access, Allowed, Missing, Place, Request, RoleAt, Scope, Subject, Target, Unresolved,
    role_name, rule_path, subject_path,
};
use palisade_rules::rbac::resources::parse_resource;
use serde_json::{Value, json};

use crate::{EXIT_CLEAN, EXIT_ERROR};

#[derive(Args)]
pub struct WhoCanArgs {
    /// The verb: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `escalate`,
    /// `bind`, `impersonate`, … (`*` asks who holds every verb).
    verb: String,

    /// The resource: `secrets`, `pods/exec`, `deployments.apps`, `widgets.example.com`, or a
    /// non-resource URL such as `/metrics`.
    resource: String,

    /// Files and folders with Roles, ClusterRoles and their bindings; `-` reads YAML or JSON
    /// from standard input.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Answer for this namespace. Without it the question is asked across the cluster (every
    /// namespace at once), which only ClusterRoleBindings grant.
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    namespace: Option<String>,

    /// Answer for any namespace: RoleBindings of every namespace count, each with its scope.
    #[arg(long, short = 'A', conflicts_with = "namespace")]
    all_namespaces: bool,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

/// Where a binding's subject or a role's rule is written.
struct Location {
    file: Option<Arc<str>>,
    line: u32,
}

/// What the question is about, as read from the command line.
struct Asked {
    /// A non-resource URL, or else a resource.
    url: Option<String>,
    group: String,
    resource: String,
    cluster_scoped: bool,
    /// How the answer names it: `pods/exec`, `deployments.apps`, `/metrics`.
    shown: String,
}

impl Asked {
    fn read(text: &str) -> Result<Asked, String> {
        if text.starts_with('/') {
            return Ok(Asked {
                url: Some(text.to_string()),
                group: String::new(),
                resource: String::new(),
                cluster_scoped: true,
                shown: text.to_string(),
            });
        }
        let parsed = parse_resource(text)?;
        let shown = match parsed.group.as_str() {
            "" | "*" => parsed.resource.clone(),
            group => match parsed.resource.split_once('/') {
                Some((base, sub)) => format!("{base}.{group}/{sub}"),
                None => format!("{}.{group}", parsed.resource),
            },
        };
        Ok(Asked {
            url: None,
            group: parsed.group,
            resource: parsed.resource,
            cluster_scoped: parsed.cluster_scoped,
            shown,
        })
    }

    fn target(&self) -> Target<'_> {
        match &self.url {
            Some(url) => Target::Url(url),
            None => Target::Resource {
                group: &self.group,
                resource: &self.resource,
                cluster_scoped: self.cluster_scoped,
            },
        }
    }
}

/// The verbs of Kubernetes' API requests and its special authorizations, and the HTTP
/// methods non-resource URLs are asked with. RBAC accepts any word, so another one is only
/// a warning.
const KNOWN_VERBS: &[&str] = &[
    "*",
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "bind",
    "escalate",
    "impersonate",
    "use",
    "approve",
    "sign",
    "post",
    "put",
    "head",
    "options",
];

pub fn run(args: WhoCanArgs) -> u8 {
    // `who-can get -n shop shop.yaml`: the file was taken for the resource.
    let resource = std::path::Path::new(&args.resource);
    if resource.is_file()
        && resource
            .extension()
            .is_some_and(|e| ["yaml", "yml", "json"].contains(&e.to_string_lossy().as_ref()))
    {
        eprintln!(
            "error: `{}` is a file, not a resource: give the verb and the resource before the \
             paths (`palisade who-can get secrets {}`)",
            args.resource, args.resource
        );
        return EXIT_ERROR;
    }
    let asked = match Asked::read(&args.resource) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    if !KNOWN_VERBS.contains(&args.verb.as_str()) {
        eprintln!(
            "palisade: `{}` is not a verb Kubernetes uses; it is answered as written, so only \
             rules that name it or `*` match",
            args.verb
        );
    }
    let place = match (&args.namespace, args.all_namespaces) {
        (Some(_), _) if asked.cluster_scoped => {
            eprintln!(
                "palisade: `{}` is not namespaced; answering across the cluster",
                args.resource
            );
            Place::Cluster
        }
        (Some(ns), _) => Place::Namespace(ns),
        (None, true) => Place::Anywhere,
        (None, false) => Place::Cluster,
    };

    let (candidates, walk_errors) = palisade_load::discover(&args.paths);
    if candidates.is_empty() && walk_errors.is_empty() {
        eprintln!(
            "error: no YAML or JSON files found in {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return EXIT_ERROR;
    }
    let engine = match Engine::new(
        &Selection::default(),
        Settings::default(),
        PodKindTable::default(),
    ) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let loaded = engine.load_objects(&candidates);
    let mut diagnostics = loaded.diagnostics;
    for e in &walk_errors {
        diagnostics.extend(walk_error_report(e).diagnostics);
    }
    crate::eprint_diagnostics(&diagnostics);

    let objects: Vec<&Object> = loaded.objects.iter().map(|(_, o)| o).collect();
    let files: Vec<&str> = loaded.objects.iter().map(|(f, _)| &**f).collect();
    let access = Access::build(&objects, Some(&files));
    let request = Request {
        verb: &args.verb,
        target: asked.target(),
        place,
    };
    let (allowed, unknown) = access.who_can(&objects, &request);
    let elsewhere = match (place, asked.cluster_scoped) {
        (Place::Cluster, false) => namespaces_granting(&access, &objects, &request),
        _ => Vec::new(),
    };

    let answer = Answer {
        access: &access,
        objects: &objects,
        files: &loaded.objects,
        allowed: &allowed,
        unknown: &unknown,
        elsewhere: &elsewhere,
        load_errors: diagnostics.iter().filter(|d| d.is_error()).count(),
    };
    let out = match args.format {
        FormatArg::Text => {
            palisade_report::terminal_safe(answer.text(&args.verb, &asked.shown, place))
        }
        FormatArg::Json => {
            let mut text =
                serde_json::to_string_pretty(&answer.json(&args.verb, &request, &asked.shown))
                    .unwrap_or_default();
            text.push('\n');
            text
        }
    };
    if let Err(e) = std::io::stdout().lock().write_all(out.as_bytes()) {
        eprintln!("error: cannot write the answer: {e}");
        return EXIT_ERROR;
    }

    // RBAC only adds permissions, so the subjects listed do hold them; but a file that did
    // not load may grant more.
    let unloaded = answer.load_errors;
    if unloaded > 0 {
        eprintln!(
            "error: the answer covers only the input that loaded: {unloaded} error(s) above; \
             what the rest grants is missing"
        );
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    }
}

/// The namespaces where RoleBindings grant what `request` asks across the cluster (`""`
/// stands for bindings that name no namespace and is left out).
fn namespaces_granting(access: &Access, objects: &[&Object], request: &Request<'_>) -> Vec<String> {
    let anywhere = Request {
        place: Place::Anywhere,
        ..*request
    };
    let (allowed, _) = access.who_can(objects, &anywhere);
    let mut namespaces: Vec<String> = allowed
        .iter()
        .filter_map(|a| match &access.grants()[a.grant].scope {
            Scope::Namespace(ns) if !ns.is_empty() => Some(ns.clone()),
            _ => None,
        })
        .collect();
    namespaces.sort();
    namespaces.dedup();
    namespaces
}

/// The answer to a request, ready to print.
struct Answer<'a> {
    access: &'a Access,
    objects: &'a [&'a Object],
    files: &'a [(Arc<str>, Object)],
    allowed: &'a [Allowed],
    unknown: &'a [&'a Unresolved],
    /// For a question across the cluster: the namespaces where RoleBindings grant it.
    elsewhere: &'a [String],
    /// Load errors: the answer leaves out what the input they are about grants.
    load_errors: usize,
}

impl Answer<'_> {
    /// The grants by subject, subjects sorted by kind and name.
    fn by_subject(&self) -> BTreeMap<&Subject, Vec<&Allowed>> {
        let mut out: BTreeMap<&Subject, Vec<&Allowed>> = BTreeMap::new();
        for a in self.allowed {
            out.entry(&self.access.grants()[a.grant].subject)
                .or_default()
                .push(a);
        }
        out
    }

    /// Where `path` of the object at `i` is written.
    fn place(&self, i: usize, path: &palisade_load::FieldPath) -> Location {
        Location {
            file: self.files.get(i).map(|(f, _)| f.clone()),
            line: self.objects.get(i).map_or(0, |o| o.locate(path).start.line),
        }
    }

    fn rule_place(&self, a: &Allowed) -> Option<Location> {
        match a.rule.role {
            RoleAt::File(i) => Some(self.place(i, &rule_path(a.rule.index))),
            RoleAt::BuiltIn(_) => None,
        }
    }

    fn text(&self, verb: &str, target: &str, place: Place<'_>) -> String {
        let mut out = String::new();
        let where_ = match place {
            Place::Cluster => "across the cluster".to_string(),
            Place::Namespace(ns) => format!("in namespace {ns}"),
            Place::Anywhere => "in any namespace".to_string(),
        };
        let by_subject = self.by_subject();
        if self.load_errors > 0 {
            out.push_str(&format!(
                "Incomplete: {} input(s) could not be loaded (see the errors), and what they \
                 grant is missing from this answer.\n",
                self.load_errors
            ));
        }
        if by_subject.is_empty() && self.unknown.is_empty() {
            out.push_str(&format!(
                "No subject in the files can {verb} {target} {where_}.\n"
            ));
        } else if by_subject.is_empty() {
            out.push_str(&format!(
                "No subject in the files is shown to {verb} {target} {where_}, but {} binding(s) \
                 refer to roles the files do not show and may grant it (below).\n",
                self.unknown.len()
            ));
        } else {
            out.push_str(&format!("Who can {verb} {target} {where_}:\n"));
        }
        for (subject, grants) in &by_subject {
            out.push_str(&format!("\n  {subject}\n"));
            for a in grants {
                out.push_str(&format!("    {}\n", self.describe(a)));
            }
        }
        if !self.elsewhere.is_empty() {
            out.push_str(&format!(
                "\nRoleBindings grant it within namespaces too: {} (ask with -n NAMESPACE or -A).\n",
                self.elsewhere.join(", ")
            ));
        }
        if !self.unknown.is_empty() {
            out.push_str(
                "\nUnknown: these bindings refer to roles the files do not show, so what they grant cannot be told:\n\n",
            );
            for u in self.unknown {
                let at = self.place(u.binding, &palisade_load::FieldPath::root());
                let subjects: Vec<String> = u.subjects.iter().map(|(_, s)| s.to_string()).collect();
                out.push_str(&format!(
                    "  {} ({}) {}: {} {}, for {}\n",
                    binding_name(self.objects, u.binding),
                    shown(&at),
                    scope_text(&u.scope),
                    u.role,
                    match u.missing {
                        Missing::NotInFiles => "is not in the files",
                        Missing::AggregatesNothing => "aggregates no ClusterRole in the files",
                    },
                    subjects.join(", ")
                ));
            }
        }
        out.push_str(
            "\nGroup system:masters can do anything: the API server allows its requests without asking RBAC.\n",
        );
        out
    }

    /// `in namespace shop: RoleBinding/ci (rbac.yaml:14) → Role/debug rules[1] (rbac.yaml:9)`
    fn describe(&self, a: &Allowed) -> String {
        let grant = &self.access.grants()[a.grant];
        let role = self.access.role_of(grant);
        let binding_at = self.place(grant.binding, &subject_path(grant.subject_index));
        let mut text = format!(
            "{}: {} ({}) → {}{}",
            scope_text(&grant.scope),
            binding_name(self.objects, grant.binding),
            shown(&binding_at),
            if matches!(role.at, RoleAt::BuiltIn(_)) {
                "built-in "
            } else {
                ""
            },
            role.id,
        );
        if a.rule.role != role.at {
            text.push_str(&format!(
                ", aggregating {}",
                role_name(self.objects, a.rule.role)
            ));
        }
        text.push_str(&format!(" rules[{}]", a.rule.index));
        if let Some(at) = self.rule_place(a) {
            text.push_str(&format!(" ({})", shown(&at)));
        }
        if !a.names.is_empty() {
            text.push_str(&format!(", only {}", a.names.join(", ")));
        }
        text
    }

    fn json(&self, verb: &str, request: &Request<'_>, target: &str) -> Value {
        let subjects: Vec<Value> = self
            .by_subject()
            .into_iter()
            .map(|(subject, grants)| {
                let mut value = subject_json(subject);
                value["grants"] = grants.iter().map(|a| self.grant_json(a)).collect();
                value
            })
            .collect();
        let unknown: Vec<Value> = self
            .unknown
            .iter()
            .map(|u| {
                json!({
                    "scope": scope_json(&u.scope),
                    "binding": self.binding_json(u.binding, &palisade_load::FieldPath::root()),
                    "role": {"kind": u.role.kind.as_str(), "name": u.role.name},
                    "reason": match u.missing {
                        Missing::NotInFiles => "role not in the files",
                        Missing::AggregatesNothing => "aggregates no ClusterRole in the files",
                    },
                    "subjects": u.subjects.iter().map(|(_, s)| subject_json(s)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let (group, resource, url) = match request.target {
            Target::Resource {
                group, resource, ..
            } => (Some(group), Some(resource), None),
            Target::Url(url) => (None, None, Some(url)),
        };
        let (namespace, all) = match request.place {
            Place::Cluster => (None, false),
            Place::Namespace(ns) => (Some(ns), false),
            Place::Anywhere => (None, true),
        };
        json!({
            "verb": verb,
            "target": target,
            "group": group,
            "resource": resource,
            "url": url,
            "namespace": namespace,
            "all_namespaces": all,
            "subjects": subjects,
            "granted_within_namespaces": self.elsewhere,
            "unknown": unknown,
            "always_allowed": [{"kind": "Group", "name": "system:masters"}],
            "incomplete": self.load_errors > 0,
            "load_errors": self.load_errors,
        })
    }

    fn grant_json(&self, a: &Allowed) -> Value {
        let grant = &self.access.grants()[a.grant];
        let role = self.access.role_of(grant);
        let rule_place = self.rule_place(a);
        json!({
            "scope": scope_json(&grant.scope),
            "binding": self.binding_json(grant.binding, &subject_path(grant.subject_index)),
            "role": {
                "kind": role.id.kind.as_str(),
                "name": role.id.name,
                "built_in": matches!(role.at, RoleAt::BuiltIn(_)),
            },
            "rule": {
                "role": role_name(self.objects, a.rule.role),
                "index": a.rule.index,
                "file": rule_place.as_ref().and_then(|p| p.file.as_deref()),
                "line": rule_place.as_ref().map(|p| p.line),
            },
            "resource_names": a.names,
        })
    }

    fn binding_json(&self, i: usize, path: &palisade_load::FieldPath) -> Value {
        let at = self.place(i, path);
        let obj = self.objects.get(i);
        json!({
            "kind": obj.map(|o| o.id.kind.as_str()),
            "namespace": obj.and_then(|o| o.id.namespace.as_deref()),
            "name": obj.and_then(|o| o.id.name.as_deref()),
            "file": at.file.as_deref(),
            "line": at.line,
        })
    }
}

fn subject_json(subject: &Subject) -> Value {
    let mut value = json!({"kind": subject.kind.as_str(), "name": subject.name});
    if !subject.namespace.is_empty() {
        value["namespace"] = json!(subject.namespace);
    }
    value
}

fn scope_json(scope: &Scope) -> Value {
    match scope {
        Scope::Cluster => json!({"cluster": true}),
        Scope::Namespace(ns) if ns.is_empty() => json!({"cluster": false, "namespace": null}),
        Scope::Namespace(ns) => json!({"cluster": false, "namespace": ns}),
    }
}

/// `across the cluster`, `in namespace shop`, `in the binding's namespace (it names none)`.
fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::Cluster => "across the cluster".into(),
        Scope::Namespace(ns) if ns.is_empty() => {
            "in the binding's namespace (it names none)".into()
        }
        Scope::Namespace(ns) => format!("in namespace {ns}"),
    }
}

/// `RoleBinding/ci` of the binding at `i`.
fn binding_name(objects: &[&Object], i: usize) -> String {
    objects.get(i).map_or_else(String::new, |o| {
        format!(
            "{}/{}",
            o.id.kind,
            o.id.name.as_deref().unwrap_or("<unnamed>")
        )
    })
}

/// `rbac.yaml:14`.
fn shown(at: &Location) -> String {
    match &at.file {
        Some(f) => format!("{f}:{}", at.line),
        None => format!("line {}", at.line),
    }
}
