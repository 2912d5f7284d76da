//! The permissions that let a subject take over more than it was given, and who holds them.
//!
//! Each [`Right`] is a short list of requests (verb, API group, resource) that the
//! authorizer would allow; a role rule grants the right when it allows one of them in the
//! binding's scope (a RoleBinding never grants the cluster-scoped ones). [`Rights`] finds,
//! once per scan, every right every grant of [`Access`] holds, and the first role rule that
//! gives it. The escalation rules (`RBAC101`…) and the workload rule read it.

use std::collections::HashMap;
use std::rc::Rc;

use palisade_model::Object;

use super::access::{Access, Grant, RoleAt, RoleKind, RuleAt, Scope, rule_at, rule_path};
use super::policy_rules::{Allows, PolicyRule, RBAC_GROUP, listing};
use super::resources::is_cluster_scoped;
use crate::rule::{SetCx, Severity};

/// One way to gain more than a role seems to give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Right {
    /// `*` verbs on `*` resources of `*` groups.
    FullControl,
    ReadSecrets,
    CreatePods,
    ExecIntoPods,
    ProxyToNodes,
    MintTokens,
    Escalate,
    ChangeWebhooks,
}

/// Requests that exercise a right: every verb on every resource of one group.
struct Probe {
    verbs: &'static [&'static str],
    group: &'static str,
    resources: &'static [&'static str],
}

const READ_SECRETS: &[Probe] = &[Probe {
    verbs: &["get", "list", "watch"],
    group: "",
    resources: &["secrets"],
}];

const CREATE_PODS: &[Probe] = &[
    Probe {
        verbs: &["create"],
        group: "",
        resources: &["pods", "replicationcontrollers"],
    },
    Probe {
        verbs: &["create"],
        group: "apps",
        resources: &["deployments", "statefulsets", "daemonsets", "replicasets"],
    },
    Probe {
        verbs: &["create"],
        group: "batch",
        resources: &["jobs", "cronjobs"],
    },
];

const EXEC_INTO_PODS: &[Probe] = &[
    // A WebSocket exec or attach is authorized as `get` on clusters before 1.35.
    Probe {
        verbs: &["create", "get"],
        group: "",
        resources: &["pods/exec", "pods/attach"],
    },
    Probe {
        verbs: &["patch", "update"],
        group: "",
        resources: &["pods/ephemeralcontainers"],
    },
];

const PROXY_TO_NODES: &[Probe] = &[Probe {
    // The kubelet maps its HTTP methods to these verbs.
    verbs: &["get", "create", "update", "patch", "delete"],
    group: "",
    resources: &["nodes/proxy"],
}];

const MINT_TOKENS: &[Probe] = &[Probe {
    verbs: &["create"],
    group: "",
    resources: &["serviceaccounts/token"],
}];

const ESCALATE: &[Probe] = &[
    Probe {
        verbs: &["escalate", "bind"],
        group: RBAC_GROUP,
        resources: &["roles", "clusterroles"],
    },
    Probe {
        verbs: &["impersonate"],
        group: "",
        resources: &["users", "groups", "serviceaccounts"],
    },
];

const CHANGE_WEBHOOKS: &[Probe] = &[Probe {
    verbs: &["create", "update", "patch", "delete"],
    group: "admissionregistration.k8s.io",
    resources: &[
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
    ],
}];

impl Right {
    pub(super) const ALL: [Right; 8] = [
        Right::FullControl,
        Right::ReadSecrets,
        Right::CreatePods,
        Right::ExecIntoPods,
        Right::ProxyToNodes,
        Right::MintTokens,
        Right::Escalate,
        Right::ChangeWebhooks,
    ];

    fn probes(self) -> &'static [Probe] {
        match self {
            Right::FullControl => &[],
            Right::ReadSecrets => READ_SECRETS,
            Right::CreatePods => CREATE_PODS,
            Right::ExecIntoPods => EXEC_INTO_PODS,
            Right::ProxyToNodes => PROXY_TO_NODES,
            Right::MintTokens => MINT_TOKENS,
            Right::Escalate => ESCALATE,
            Right::ChangeWebhooks => CHANGE_WEBHOOKS,
        }
    }

    /// Whether a rule narrowed to named objects still holds the right. Reading one named
    /// Secret is what least privilege looks like; running commands in one named pod, or
    /// minting the token of one named ServiceAccount, is still taking it over.
    fn holds_when_narrowed(self) -> bool {
        !matches!(self, Right::ReadSecrets)
    }

    /// Whether messages list the resources that give the right (`pods`, `deployments`)
    /// rather than the verbs.
    fn lists_resources(self) -> bool {
        matches!(self, Right::CreatePods | Right::ExecIntoPods)
    }

    /// What a subject with the right can do, to follow "can".
    pub(super) fn action(self) -> &'static str {
        match self {
            Right::FullControl => "do anything",
            Right::ReadSecrets => "read Secrets",
            Right::CreatePods => "create pods",
            Right::ExecIntoPods => "run commands in pods",
            Right::ProxyToNodes => "reach the kubelets through `nodes/proxy`",
            Right::MintTokens => "create ServiceAccount tokens",
            Right::Escalate => "raise its own permissions",
            Right::ChangeWebhooks => "change admission webhooks",
        }
    }

    /// A short name, for the list of a workload's other rights.
    pub(super) fn short(self) -> &'static str {
        match self {
            Right::FullControl => "do anything",
            Right::ReadSecrets => "read Secrets",
            Right::CreatePods => "create pods",
            Right::ExecIntoPods => "exec into pods",
            Right::ProxyToNodes => "proxy to kubelets",
            Right::MintTokens => "create tokens",
            Right::Escalate => "escalate",
            Right::ChangeWebhooks => "change webhooks",
        }
    }

    /// How directly the right takes over the cluster in `scope`. A namespace's rights in
    /// `kube-system`, where the control plane's own ServiceAccounts live, count as the
    /// cluster's.
    pub(super) fn severity(self, scope: &Scope) -> Severity {
        let wide = match scope {
            Scope::Cluster => true,
            Scope::Namespace(ns) => ns == "kube-system",
        };
        match (self, wide) {
            (Right::FullControl | Right::Escalate, true) => Severity::Critical,
            (Right::FullControl | Right::Escalate, false) => Severity::High,
            (Right::ProxyToNodes | Right::ChangeWebhooks, _) => Severity::High,
            (_, true) => Severity::High,
            (_, false) => Severity::Medium,
        }
    }

    /// What `rule` grants of this right when bound cluster-wide (`cluster`) or in one
    /// namespace, or `None`. A rule granting everything holds only [`Right::FullControl`],
    /// so that one such rule is one finding.
    fn granted_by(self, rule: &PolicyRule<'_>, cluster: bool) -> Option<Hit> {
        if self == Right::FullControl {
            return rule.grants_everything().then(|| Hit {
                what: vec!["*".into()],
                names: Vec::new(),
            });
        }
        if rule.grants_everything() {
            return None;
        }
        let mut hit = Hit::default();
        let mut any = false;
        for probe in self.probes() {
            for &resource in probe.resources {
                for &verb in probe.verbs {
                    let names = match rule.allows(verb, probe.group, resource) {
                        Allows::No => continue,
                        // A RoleBinding grants nothing outside its namespace.
                        _ if !cluster && is_cluster_scoped(probe.group, resource) => continue,
                        Allows::Any => {
                            any = true;
                            Vec::new()
                        }
                        Allows::Named(_) if !self.holds_when_narrowed() => continue,
                        Allows::Named(names) => names,
                    };
                    let what = if self.lists_resources() {
                        resource
                    } else {
                        verb
                    };
                    if !hit.what.iter().any(|w| w == what) {
                        hit.what.push(what.to_string());
                    }
                    for name in names {
                        if !hit.names.contains(&name) {
                            hit.names.push(name);
                        }
                    }
                }
            }
        }
        if any {
            hit.names.clear();
        }
        (!hit.what.is_empty()).then_some(hit)
    }
}

/// What one rule grants of a right.
#[derive(Debug, Clone, Default)]
struct Hit {
    /// The verbs (or resources) that give it.
    what: Vec<String>,
    /// When every such grant is narrowed by `resourceNames`: the names.
    names: Vec<String>,
}

/// One right one grant holds, and the rule that gives it.
#[derive(Debug, Clone)]
pub(super) struct Held {
    /// Index into [`Access::grants`].
    pub(super) grant: usize,
    pub(super) right: Right,
    /// The first rule of the role that gives the right.
    pub(super) rule: RuleAt,
    /// How many more rules of the role give it too.
    pub(super) others: usize,
    pub(super) what: Vec<String>,
    pub(super) names: Vec<String>,
}

/// Every right every grant of the scan holds.
#[derive(Debug, Default)]
pub(super) struct Rights {
    held: Vec<Held>,
    /// For each grant, its range in `held`.
    by_grant: Vec<std::ops::Range<usize>>,
}

impl Rights {
    pub(super) fn build(objects: &[&Object], access: &Access) -> Rights {
        // Many subjects share a role: judge each role once per kind of scope.
        let mut per_role: HashMap<(usize, bool), Vec<Found>> = HashMap::new();
        let mut rights = Rights::default();
        for (g, grant) in access.grants().iter().enumerate() {
            let cluster = grant.scope.is_cluster();
            let found = per_role
                .entry((grant.role, cluster))
                .or_insert_with(|| judge(objects, &access.roles()[grant.role].rules, cluster));
            let start = rights.held.len();
            rights.held.extend(found.iter().map(|f| Held {
                grant: g,
                right: f.right,
                rule: f.rule,
                others: f.others,
                what: f.hit.what.clone(),
                names: f.hit.names.clone(),
            }));
            rights.by_grant.push(start..rights.held.len());
        }
        rights
    }

    /// The rights grant `grant` holds.
    pub(super) fn of_grant(&self, grant: usize) -> &[Held] {
        self.by_grant
            .get(grant)
            .map_or(&[][..], |range| &self.held[range.clone()])
    }

    /// Every grant holding `right`.
    pub(super) fn holding(&self, right: Right) -> impl Iterator<Item = &Held> {
        self.held.iter().filter(move |h| h.right == right)
    }
}

/// A right a role holds: the first rule that gives it, and how many others do.
struct Found {
    right: Right,
    rule: RuleAt,
    others: usize,
    hit: Hit,
}

/// The rights a role's rules hold.
fn judge(objects: &[&Object], rules: &[RuleAt], cluster: bool) -> Vec<Found> {
    let read: Vec<(RuleAt, PolicyRule<'_>)> = rules
        .iter()
        .filter_map(|&at| Some((at, rule_at(objects, at)?)))
        .collect();
    let mut out = Vec::new();
    for right in Right::ALL {
        let mut first: Option<(RuleAt, Hit)> = None;
        let mut others = 0;
        for (at, rule) in &read {
            let Some(hit) = right.granted_by(rule, cluster) else {
                continue;
            };
            match first {
                None => first = Some((*at, hit)),
                Some(_) => others += 1,
            }
        }
        if let Some((rule, hit)) = first {
            out.push(Found {
                right,
                rule,
                others,
                hit,
            });
        }
    }
    out
}

/// The shared analyses of a scan: who is granted what, and which rights that holds.
pub(super) fn analysis(cx: &SetCx<'_>) -> (Rc<Access>, Rc<Rights>) {
    let files = cx.files();
    let access = cx.shared(|objects| Access::build(objects, files));
    let rights = cx.shared(|objects| Rights::build(objects, &access));
    (access, rights)
}

/// ``through `Role/reader` `rules[0]` (line 9)``, or for an aggregated or built-in role
/// ``through the built-in `ClusterRole/edit`, which aggregates
/// `ClusterRole/system:aggregate-to-edit` `rules[2]` ``, naming how many more rules give the
/// same right. Places in the files are given as seen from the object at `from`.
pub(super) fn through(
    cx: &SetCx<'_>,
    access: &Access,
    grant: &Grant,
    held: &Held,
    from: usize,
) -> String {
    let role = access.role_of(grant);
    let built_in = matches!(role.at, RoleAt::BuiltIn(_));
    let mut text = format!(
        "through {}`{}`",
        if built_in { "the built-in " } else { "" },
        role.id
    );
    if held.rule.role != role.at {
        let part = super::access::role_name(cx.objects, held.rule.role);
        text.push_str(&format!(", which aggregates `{part}`"));
    }
    text.push_str(&format!(" `rules[{}]`", held.rule.index));
    if let Some(place) = place(cx, held.rule, from) {
        text.push_str(&format!(" ({place})"));
    }
    match held.others {
        0 => {}
        1 => text.push_str(" and 1 more rule"),
        n => text.push_str(&format!(" and {n} more rules")),
    }
    text
}

/// Where a rule of the files is written, seen from the object at `from`: `line 9` in the
/// same file, `` `rbac/roles.yaml:9` `` in another. Built-in rules have no place.
fn place(cx: &SetCx<'_>, rule: RuleAt, from: usize) -> Option<String> {
    let RoleAt::File(i) = rule.role else {
        return None;
    };
    place_of(cx, i, &rule_path(rule.index), from)
}

/// Where `path` of the object at `i` is written, seen from the object at `from`.
pub(super) fn place_of(
    cx: &SetCx<'_>,
    i: usize,
    path: &palisade_load::FieldPath,
    from: usize,
) -> Option<String> {
    let line = cx.objects.get(i)?.locate(path).start.line;
    let file = |k: usize| cx.files().and_then(|f| f.get(k).copied());
    match file(i) {
        Some(f) if file(from) != Some(f) => Some(format!("`{f}:{line}`")),
        _ => Some(format!("line {line}")),
    }
}

/// `` (`get`, `list`)`` and, for a rule narrowed to names, `` (`get`, only `web-0`)``;
/// nothing for [`Right::FullControl`].
pub(super) fn detail(held: &Held) -> String {
    if held.right == Right::FullControl {
        return String::new();
    }
    let what: Vec<&str> = held.what.iter().map(String::as_str).collect();
    if held.names.is_empty() {
        return format!(" ({})", listing(&what));
    }
    let names: Vec<&str> = held.names.iter().map(String::as_str).collect();
    format!(" ({}, only {})", listing(&what), listing(&names))
}

/// Reports, at the subject's entry in its binding, every subject that holds `right`: one
/// finding per binding subject. Kubernetes' own `system:` users and groups are left out
/// (the public ones are `rbac-binding-to-public-group`'s), and so are bindings of
/// `cluster-admin` itself, which `rbac-cluster-admin-binding` reports.
///
/// A binding those exceptions cover is left to the rule that owns it ([`SetCx::defer`]), and
/// so is, for the narrower rights, a binding that gives full control, which
/// `rbac-subject-full-control` (or `rbac-cluster-admin-binding`) reports: its score then
/// does not count this rule as passed.
pub(super) fn report_subjects(cx: &mut SetCx<'_>, right: Right) {
    let (access, rights) = analysis(cx);
    if right != Right::FullControl {
        for held in rights.holding(Right::FullControl) {
            cx.defer(access.grants()[held.grant].binding);
        }
    }
    for held in rights.holding(right) {
        let grant = &access.grants()[held.grant];
        if grant.subject.is_system() {
            cx.defer(grant.binding);
            continue;
        }
        let role = &access.role_of(grant).id;
        if right == Right::FullControl
            && role.kind == RoleKind::ClusterRole
            && role.name == "cluster-admin"
        {
            cx.defer(grant.binding);
            continue;
        }
        let message = format!(
            "`{}` can {}{} {} {}",
            grant.subject,
            right.action(),
            detail(held),
            grant.scope.describe(),
            through(cx, &access, grant, held, grant.binding)
        );
        cx.report_as(
            right.severity(&grant.scope),
            grant.binding,
            super::access::subject_path(grant.subject_index),
            message,
        );
    }
}
