//! Who can do what: the permissions the scanned bindings give each subject.
//!
//! [`Access::build`] reads every RoleBinding and ClusterRoleBinding once per scan and
//! resolves the role each one refers to, as the RBAC authorizer does:
//!
//! - a ClusterRoleBinding grants its ClusterRole everywhere; a RoleBinding grants its Role
//!   (of the binding's own namespace) or ClusterRole only within the binding's namespace, so
//!   never on cluster-scoped resources (Nodes, ClusterRoles, webhook configurations) nor on
//!   non-resource URLs;
//! - a ClusterRole with an `aggregationRule` holds its own rules plus those of every
//!   ClusterRole one of its `clusterRoleSelectors` picks by label, among the files and the
//!   built-in roles, transitively, as the aggregation controller fills it in a cluster;
//! - a ServiceAccount subject without a namespace belongs to its RoleBinding's namespace, and
//!   a User named `system:serviceaccount:<namespace>:<name>` is that ServiceAccount.
//!
//! A role that is neither among the files nor one of the built-in roles Palisade models
//! (`builtin_roles.yaml`: `cluster-admin`, `admin`, `edit`, `view` and a few `system:` roles)
//! leaves its binding [`Unresolved`]: what the binding grants is unknown, and is reported as
//! unknown, never as nothing. So is an aggregated ClusterRole whose selectors pick no role
//! the files show.
//!
//! The analysis keeps positions, not copies: a rule is a [`RuleAt`] (a role and an index into
//! its `rules`) read from the objects when asked, so one reading of a rule serves the
//! single-object rules, the escalation rules and `palisade who-can` alike.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use palisade_load::{FieldPath, Limits, Node, parse_str};
use palisade_model::{Labels, Object, PodKindTable, Selector, objects_from_document};

use super::policy_rules::{Allows, PolicyRule, RBAC_GROUP, policy_rule, policy_rules, role_ref};

/// Kubernetes' own roles, as far as Palisade models them.
const BUILT_IN_ROLES: &str = include_str!("builtin_roles.yaml");

/// The built-in roles, parsed once per process.
fn built_in() -> &'static [Object] {
    static ROLES: OnceLock<Vec<Object>> = OnceLock::new();
    ROLES.get_or_init(|| {
        let table = PodKindTable::default();
        parse_str(BUILT_IN_ROLES, &Limits::default())
            .documents
            .into_iter()
            .flat_map(|doc| objects_from_document(doc, &table).objects)
            .collect()
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::User => "User",
            SubjectKind::Group => "Group",
            SubjectKind::ServiceAccount => "ServiceAccount",
        }
    }
}

/// Someone a binding grants a role to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    pub kind: SubjectKind,
    pub name: String,
    /// A ServiceAccount's namespace; empty for users and groups, and for a ServiceAccount of
    /// a RoleBinding that names no namespace.
    pub namespace: String,
}

impl Subject {
    pub fn service_account(namespace: &str, name: &str) -> Subject {
        Subject {
            kind: SubjectKind::ServiceAccount,
            name: name.to_string(),
            namespace: namespace.to_string(),
        }
    }

    /// Reads one entry of a binding's `subjects`. A ServiceAccount without a namespace takes
    /// the RoleBinding's; in a ClusterRoleBinding it is invalid and read as nothing.
    fn read(entry: &Node, binding_namespace: &str, in_role_binding: bool) -> Option<Subject> {
        let text = |key| {
            entry
                .get(key)
                .and_then(Node::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let name = text("name")?;
        let plain = |kind| Subject {
            kind,
            name: name.to_string(),
            namespace: String::new(),
        };
        match text("kind")? {
            "ServiceAccount" => match text("namespace") {
                Some(ns) => Some(Subject::service_account(ns, name)),
                None if in_role_binding => Some(Subject::service_account(binding_namespace, name)),
                None => None,
            },
            "User" => {
                let account = name
                    .strip_prefix("system:serviceaccount:")
                    .and_then(|rest| rest.split_once(':'))
                    .filter(|(ns, sa)| !ns.is_empty() && !sa.is_empty() && !sa.contains(':'));
                Some(match account {
                    Some((ns, sa)) => Subject::service_account(ns, sa),
                    None => plain(SubjectKind::User),
                })
            }
            "Group" => Some(plain(SubjectKind::Group)),
            _ => None,
        }
    }

    /// Kubernetes' own users and groups (`system:masters`, `system:nodes`,
    /// `system:kube-controller-manager`, …): names starting with `system:`, except the
    /// groups of ServiceAccounts (`system:serviceaccounts`,
    /// `system:serviceaccounts:<namespace>`), which stand for workloads.
    pub fn is_system(&self) -> bool {
        match self.kind {
            SubjectKind::ServiceAccount => false,
            SubjectKind::User => self.name.starts_with("system:"),
            SubjectKind::Group => {
                self.name.starts_with("system:")
                    && self.name != "system:serviceaccounts"
                    && !self.name.starts_with("system:serviceaccounts:")
            }
        }
    }
}

impl fmt::Display for Subject {
    /// `ServiceAccount shop/web`, `User alice`, `Group devs`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.namespace.is_empty()) {
            (SubjectKind::ServiceAccount, false) => {
                write!(f, "ServiceAccount {}/{}", self.namespace, self.name)
            }
            (kind, _) => write!(f, "{} {}", kind.as_str(), self.name),
        }
    }
}

/// Where a binding grants its role.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A ClusterRoleBinding: every namespace, cluster-scoped resources and URLs.
    Cluster,
    /// A RoleBinding: only its namespace; empty when the binding names none.
    Namespace(String),
}

impl Scope {
    /// `across the cluster`, ``in namespace `shop` ``, `in the binding's namespace`.
    pub fn describe(&self) -> String {
        match self {
            Scope::Cluster => "across the cluster".into(),
            Scope::Namespace(ns) if ns.is_empty() => "in the binding's namespace".into(),
            Scope::Namespace(ns) => format!("in namespace `{ns}`"),
        }
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self, Scope::Cluster)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// A role as a binding's `roleRef` names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleId {
    pub kind: RoleKind,
    /// A Role's namespace (the binding's); empty for ClusterRoles.
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for RoleId {
    /// `Role/deployer`, `ClusterRole/view`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.as_str(), self.name)
    }
}

/// Where a role is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleAt {
    /// An object of the scan, by index.
    File(usize),
    /// One of Kubernetes' built-in roles Palisade models.
    BuiltIn(usize),
}

/// One entry of a role's `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RuleAt {
    pub role: RoleAt,
    pub index: usize,
}

/// A role a binding refers to, with every rule it holds.
#[derive(Debug, Clone)]
pub struct ResolvedRole {
    pub id: RoleId,
    pub at: RoleAt,
    /// Its own rules, then those it aggregates.
    pub rules: Vec<RuleAt>,
}

/// One subject of one binding, and the role it is given.
#[derive(Debug, Clone)]
pub struct Grant {
    pub subject: Subject,
    /// The binding, an index into the scanned objects.
    pub binding: usize,
    /// The subject's index in the binding's `subjects`.
    pub subject_index: usize,
    pub scope: Scope,
    /// Index into [`Access::roles`].
    pub role: usize,
}

/// Why the files cannot tell what a binding grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The role is neither among the files nor a built-in role Palisade models.
    NotInFiles,
    /// An aggregated ClusterRole with no rules of its own whose selectors pick no
    /// ClusterRole in the files.
    AggregatesNothing,
}

/// A binding whose role the files do not show.
#[derive(Debug, Clone)]
pub struct Unresolved {
    pub binding: usize,
    pub role: RoleId,
    pub scope: Scope,
    /// The binding's subjects, with their indexes in `subjects`.
    pub subjects: Vec<(usize, Subject)>,
    pub missing: Missing,
}

/// The permissions every binding of a scan grants.
#[derive(Debug, Default)]
pub struct Access {
    roles: Vec<ResolvedRole>,
    grants: Vec<Grant>,
    unresolved: Vec<Unresolved>,
    by_subject: HashMap<Subject, Vec<usize>>,
}

/// A question: may someone do `verb` on `target` at `place`?
#[derive(Debug, Clone, Copy)]
pub struct Request<'r> {
    pub verb: &'r str,
    pub target: Target<'r>,
    pub place: Place<'r>,
}

#[derive(Debug, Clone, Copy)]
pub enum Target<'r> {
    /// A resource of an API group (`""` for the core group); `resource` carries the
    /// subresource, as in `pods/exec`.
    Resource {
        group: &'r str,
        resource: &'r str,
        cluster_scoped: bool,
    },
    /// A non-resource URL such as `/metrics`.
    Url(&'r str),
}

#[derive(Debug, Clone, Copy)]
pub enum Place<'r> {
    /// Across the cluster: every namespace at once, or a cluster-scoped resource.
    Cluster,
    /// In one namespace.
    Namespace(&'r str),
    /// In at least one namespace, or across the cluster.
    Anywhere,
}

/// A grant that answers a [`Request`], and the rule that allows it.
#[derive(Debug, Clone)]
pub struct Allowed {
    /// Index into [`Access::grants`].
    pub grant: usize,
    pub rule: RuleAt,
    /// When the rule is narrowed by `resourceNames`: the only objects it allows.
    pub names: Vec<String>,
}

impl Access {
    /// Resolves every binding among `objects`. With `files` (the file of each object), a
    /// role defined in several files is taken from the binding's own file first.
    pub fn build(objects: &[&Object], files: Option<&[&str]>) -> Access {
        let catalog = Catalog::new(objects, files);
        let mut access = Access::default();
        let mut resolved: HashMap<RoleAt, Option<usize>> = HashMap::new();

        for (i, obj) in objects.iter().enumerate() {
            let Some(binding) = Binding::read(obj) else {
                continue;
            };
            let Some(at) = catalog.find(&binding.role, i) else {
                access
                    .unresolved
                    .push(binding.unresolved(i, Missing::NotInFiles));
                continue;
            };
            let role = match resolved.get(&at) {
                Some(&known) => known,
                None => {
                    let (rules, aggregated) = catalog.expand(at);
                    let known = (!aggregated || !rules.is_empty()).then(|| {
                        access.roles.push(ResolvedRole {
                            id: binding.role.clone(),
                            at,
                            rules,
                        });
                        access.roles.len() - 1
                    });
                    resolved.insert(at, known);
                    known
                }
            };
            let Some(role) = role else {
                access
                    .unresolved
                    .push(binding.unresolved(i, Missing::AggregatesNothing));
                continue;
            };
            for (j, subject) in binding.subjects {
                access
                    .by_subject
                    .entry(subject.clone())
                    .or_default()
                    .push(access.grants.len());
                access.grants.push(Grant {
                    subject,
                    binding: i,
                    subject_index: j,
                    scope: binding.scope.clone(),
                    role,
                });
            }
        }
        access
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    pub fn roles(&self) -> &[ResolvedRole] {
        &self.roles
    }

    pub fn unresolved(&self) -> &[Unresolved] {
        &self.unresolved
    }

    /// The role a grant gives.
    pub fn role_of(&self, grant: &Grant) -> &ResolvedRole {
        &self.roles[grant.role]
    }

    /// The grants naming `subject` itself (not the groups it belongs to).
    pub fn grants_to(&self, subject: &Subject) -> impl Iterator<Item = (usize, &Grant)> {
        self.by_subject
            .get(subject)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&g| (g, &self.grants[g]))
    }

    /// Every grant that allows `request`, with the first rule that allows it (a rule
    /// allowing every object before one narrowed to names), and every binding whose role the
    /// files do not show that would apply there.
    pub fn who_can(
        &self,
        objects: &[&Object],
        request: &Request<'_>,
    ) -> (Vec<Allowed>, Vec<&Unresolved>) {
        let mut allowed = Vec::new();
        for (g, grant) in self.grants.iter().enumerate() {
            if !applies(&grant.scope, request) {
                continue;
            }
            let mut narrowed: Option<Allowed> = None;
            for &at in &self.roles[grant.role].rules {
                let Some(rule) = rule_at(objects, at) else {
                    continue;
                };
                let answer = match request.target {
                    Target::Resource {
                        group, resource, ..
                    } => rule.allows(request.verb, group, resource),
                    Target::Url(path) if rule.allows_url(request.verb, path) => Allows::Any,
                    Target::Url(_) => Allows::No,
                };
                match answer {
                    Allows::No => {}
                    Allows::Any => {
                        narrowed = Some(Allowed {
                            grant: g,
                            rule: at,
                            names: Vec::new(),
                        });
                        break;
                    }
                    Allows::Named(names) => match &mut narrowed {
                        Some(first) => first.names.extend(names),
                        None => {
                            narrowed = Some(Allowed {
                                grant: g,
                                rule: at,
                                names,
                            })
                        }
                    },
                }
            }
            allowed.extend(narrowed);
        }
        // A binding without subjects grants nobody anything, whatever its role holds.
        let unknown = self
            .unresolved
            .iter()
            .filter(|u| !u.subjects.is_empty() && applies(&u.scope, request))
            .collect();
        (allowed, unknown)
    }
}

/// Whether a grant of `scope` can answer `request`.
fn applies(scope: &Scope, request: &Request<'_>) -> bool {
    let Scope::Namespace(ns) = scope else {
        return true;
    };
    let namespaced = matches!(
        request.target,
        Target::Resource {
            cluster_scoped: false,
            ..
        }
    );
    namespaced
        && match request.place {
            Place::Cluster => false,
            // A binding without a namespace lands in whichever namespace it is applied to.
            Place::Namespace(wanted) => ns == wanted || ns.is_empty(),
            Place::Anywhere => true,
        }
}

/// The object a role is written in.
pub fn role_object<'o>(objects: &[&'o Object], at: RoleAt) -> Option<&'o Object> {
    match at {
        RoleAt::File(i) => objects.get(i).copied(),
        RoleAt::BuiltIn(i) => built_in().get(i),
    }
}

/// The rule `at` points to.
pub(super) fn rule_at<'o>(objects: &[&'o Object], at: RuleAt) -> Option<PolicyRule<'o>> {
    policy_rule(role_object(objects, at.role)?, at.index)
}

/// `rules[i]`, the path of a role's rule.
pub fn rule_path(index: usize) -> FieldPath {
    FieldPath::root().key("rules").index(index)
}

/// `subjects[i]`, the path of a binding's subject.
pub fn subject_path(index: usize) -> FieldPath {
    FieldPath::root().key("subjects").index(index)
}

/// `Kind/name` of the role a rule belongs to.
pub fn role_name(objects: &[&Object], at: RoleAt) -> String {
    role_object(objects, at).map_or_else(String::new, |obj| {
        format!(
            "{}/{}",
            obj.id.kind,
            obj.id.name.as_deref().unwrap_or("<unnamed>")
        )
    })
}

/// A RoleBinding or ClusterRoleBinding, read.
struct Binding {
    role: RoleId,
    scope: Scope,
    subjects: Vec<(usize, Subject)>,
}

impl Binding {
    fn read(obj: &Object) -> Option<Binding> {
        let cluster_wide = match obj.id.kind.as_str() {
            "ClusterRoleBinding" => true,
            "RoleBinding" => false,
            _ => return None,
        };
        let (kind, name) = role_ref(obj)?;
        let ns = obj.id.namespace.as_deref().unwrap_or("");
        // A ClusterRoleBinding can refer only to a ClusterRole; the API server refuses
        // anything else, so there is nothing to grant.
        let kind = match (kind, cluster_wide) {
            ("ClusterRole", _) => RoleKind::ClusterRole,
            ("Role", false) => RoleKind::Role,
            _ => return None,
        };
        let subjects = obj
            .root
            .get("subjects")
            .map_or(&[][..], Node::items)
            .iter()
            .enumerate()
            .filter_map(|(j, s)| Subject::read(s, ns, !cluster_wide).map(|s| (j, s)))
            .collect();
        Some(Binding {
            role: RoleId {
                kind,
                namespace: match kind {
                    RoleKind::Role => ns.to_string(),
                    RoleKind::ClusterRole => String::new(),
                },
                name: name.to_string(),
            },
            scope: match cluster_wide {
                true => Scope::Cluster,
                false => Scope::Namespace(ns.to_string()),
            },
            subjects,
        })
    }

    fn unresolved(self, binding: usize, missing: Missing) -> Unresolved {
        Unresolved {
            binding,
            role: self.role,
            scope: self.scope,
            subjects: self.subjects,
            missing,
        }
    }
}

/// The roles a scan can refer to: those in the files, then the built-in ones.
struct Catalog<'o> {
    objects: &'o [&'o Object],
    files: Option<&'o [&'o str]>,
    /// Roles and ClusterRoles of the files by kind, namespace and name.
    by_name: HashMap<(RoleKind, &'o str, &'o str), Vec<usize>>,
    /// The ClusterRoles an aggregation can pick: the first of each name in the files, then
    /// the built-in ones the files do not redefine.
    aggregatable: Vec<(RoleAt, Labels)>,
}

impl<'o> Catalog<'o> {
    fn new(objects: &'o [&'o Object], files: Option<&'o [&'o str]>) -> Catalog<'o> {
        let mut by_name: HashMap<(RoleKind, &str, &str), Vec<usize>> = HashMap::new();
        let mut aggregatable = Vec::new();
        for (i, obj) in objects.iter().enumerate() {
            let Some((kind, ns, name)) = role_key(obj) else {
                continue;
            };
            let same = by_name.entry((kind, ns, name)).or_default();
            if same.is_empty() && kind == RoleKind::ClusterRole {
                aggregatable.push((RoleAt::File(i), obj.label_set()));
            }
            same.push(i);
        }
        for (i, obj) in built_in().iter().enumerate() {
            let Some((kind, ns, name)) = role_key(obj) else {
                continue;
            };
            if kind == RoleKind::ClusterRole && !by_name.contains_key(&(kind, ns, name)) {
                aggregatable.push((RoleAt::BuiltIn(i), obj.label_set()));
            }
        }
        Catalog {
            objects,
            files,
            by_name,
            aggregatable,
        }
    }

    /// The role `id` refers to, for the binding at `near`: in the files (the binding's own
    /// file first), else among the built-in roles.
    fn find(&self, id: &RoleId, near: usize) -> Option<RoleAt> {
        let key = (id.kind, id.namespace.as_str(), id.name.as_str());
        if let Some(found) = self.by_name.get(&key) {
            let file = |i: usize| self.files.and_then(|f| f.get(i).copied());
            let same_file = found
                .iter()
                .find(|&&i| file(i).is_some() && file(i) == file(near));
            return same_file.or(found.first()).map(|&i| RoleAt::File(i));
        }
        built_in()
            .iter()
            .position(|obj| role_key(obj) == Some(key))
            .map(RoleAt::BuiltIn)
    }

    /// Every rule the role at `at` holds, its own and those it aggregates, and whether it
    /// aggregates. Aggregation is followed breadth-first through every ClusterRole a
    /// selector picks, each role once, so cycles and diamonds of aggregated roles end.
    fn expand(&self, at: RoleAt) -> (Vec<RuleAt>, bool) {
        let own = |at: RoleAt| {
            let count = role_object(self.objects, at).map_or(0, |obj| policy_rules(obj).len());
            (0..count).map(move |index| RuleAt { role: at, index })
        };
        let mut rules: Vec<RuleAt> = own(at).collect();
        let Some(first) = role_object(self.objects, at).and_then(aggregation_selectors) else {
            return (rules, false);
        };

        let mut seen = vec![at];
        let mut queue = std::collections::VecDeque::from([first]);
        while let Some(selectors) = queue.pop_front() {
            for (other, labels) in &self.aggregatable {
                let picked = selectors.iter().any(|s| s.matches(labels) == Some(true));
                if !picked || seen.contains(other) {
                    continue;
                }
                seen.push(*other);
                rules.extend(own(*other));
                if let Some(more) =
                    role_object(self.objects, *other).and_then(aggregation_selectors)
                {
                    queue.push_back(more);
                }
            }
        }
        (rules, true)
    }
}

/// A role's kind, namespace and name, for RBAC roles.
fn role_key(obj: &Object) -> Option<(RoleKind, &str, &str)> {
    if obj.id.group() != RBAC_GROUP {
        return None;
    }
    let kind = match obj.id.kind.as_str() {
        "Role" => RoleKind::Role,
        "ClusterRole" => RoleKind::ClusterRole,
        _ => return None,
    };
    let ns = match kind {
        RoleKind::Role => obj.id.namespace.as_deref().unwrap_or(""),
        RoleKind::ClusterRole => "",
    };
    Some((kind, ns, obj.id.name.as_deref()?))
}

/// The label selectors of a ClusterRole's `aggregationRule`; `None` when it does not
/// aggregate. Selectors Palisade cannot read are left out.
fn aggregation_selectors(obj: &Object) -> Option<Vec<Selector>> {
    if obj.id.kind != "ClusterRole" {
        return None;
    }
    let rule = obj.root.get("aggregationRule")?;
    if rule.is_null() {
        return None;
    }
    let selectors = rule
        .get("clusterRoleSelectors")
        .map_or(&[][..], Node::items);
    Some(
        selectors
            .iter()
            .map(Selector::from_label_selector)
            .filter(|s| !matches!(s, Selector::Invalid(_)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::fixtures::{account, binding, role};

    fn objects(yaml: &str) -> Vec<Object> {
        let table = PodKindTable::default();
        parse_str(yaml, &Limits::default())
            .documents
            .into_iter()
            .flat_map(|doc| objects_from_document(doc, &table).objects)
            .collect()
    }

    /// `who_can` on `yaml`, answered as `Subject @ rules[i] of Role` lines and the
    /// unresolved bindings' names.
    fn ask(
        yaml: &str,
        verb: &str,
        target: Target<'_>,
        place: Place<'_>,
    ) -> (Vec<String>, Vec<String>) {
        let owned = objects(yaml);
        let refs: Vec<&Object> = owned.iter().collect();
        let access = Access::build(&refs, None);
        let request = Request {
            verb,
            target,
            place,
        };
        let (allowed, unknown) = access.who_can(&refs, &request);
        let allowed = allowed
            .iter()
            .map(|a| {
                let grant = &access.grants()[a.grant];
                let mut line = format!(
                    "{} @ {} rules[{}]",
                    grant.subject,
                    role_name(&refs, a.rule.role),
                    a.rule.index
                );
                if !a.names.is_empty() {
                    line.push_str(&format!(" only {}", a.names.join(",")));
                }
                line
            })
            .collect();
        let unknown = unknown
            .iter()
            .map(|u| format!("{} {:?}", u.role, u.missing))
            .collect();
        (allowed, unknown)
    }

    fn resource<'r>(group: &'r str, resource: &'r str) -> Target<'r> {
        Target::Resource {
            group,
            resource,
            cluster_scoped: crate::rbac::resources::is_cluster_scoped(group, resource),
        }
    }

    #[test]
    fn aggregation_gathers_labelled_cluster_roles_transitively() {
        let yaml = format!(
            "{}{}{}{}{}",
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: top}\naggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {team: a}\n  - matchExpressions: [{key: tier, operator: In, values: [gold]}]\nrules: []\n",
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: middle, labels: {team: a}}\naggregationRule:\n  clusterRoleSelectors: [{matchLabels: {part: middle}}]\n",
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: leaf, labels: {part: middle}}\nrules: [{apiGroups: [''], resources: [pods], verbs: [create]}]\n",
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: gold, labels: {tier: gold}}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]\n",
            binding("top", "", "ClusterRole/top", "[{kind: User, name: ann}]"),
        );
        let pods = ask(&yaml, "create", resource("", "pods"), Place::Cluster);
        assert_eq!(pods.0, ["User ann @ ClusterRole/leaf rules[0]"]);
        let secrets = ask(&yaml, "get", resource("", "secrets"), Place::Cluster);
        assert_eq!(secrets.0, ["User ann @ ClusterRole/gold rules[0]"]);
        let none = ask(&yaml, "delete", resource("", "pods"), Place::Cluster);
        assert!(none.0.is_empty() && none.1.is_empty(), "{none:?}");
    }

    #[test]
    fn aggregation_ends_on_cycles_and_does_not_explode() {
        // Forty roles that each aggregate every ClusterRole: each rule is gathered once.
        let mut yaml = String::new();
        for i in 0..40 {
            yaml.push_str(&format!(
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r{i}, labels: {{all: 'yes'}}}}\naggregationRule:\n  clusterRoleSelectors: [{{matchExpressions: [{{key: all, operator: Exists}}]}}]\nrules: [{{apiGroups: [''], resources: [r{i}], verbs: [get]}}]\n"
            ));
        }
        yaml.push_str(&binding(
            "b",
            "",
            "ClusterRole/r0",
            "[{kind: User, name: ann}]",
        ));
        let owned = objects(&yaml);
        let refs: Vec<&Object> = owned.iter().collect();
        let access = Access::build(&refs, None);
        let file_rules = access.roles()[0]
            .rules
            .iter()
            .filter(|r| matches!(r.role, RoleAt::File(_)))
            .count();
        assert_eq!(file_rules, 40);
        let last = ask(&yaml, "get", resource("", "r39"), Place::Cluster);
        assert_eq!(last.0, ["User ann @ ClusterRole/r39 rules[0]"]);
    }

    #[test]
    fn built_in_aggregated_roles_take_labelled_roles_from_the_files() {
        let yaml = format!(
            "{}{}",
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: widgets-view\n  labels: {rbac.authorization.k8s.io/aggregate-to-view: 'true'}\nrules: [{apiGroups: [example.com], resources: [widgets], verbs: [get]}]\n",
            binding(
                "dev",
                "shop",
                "ClusterRole/admin",
                "[{kind: User, name: ann}]"
            ),
        );
        let (allowed, _) = ask(
            &yaml,
            "get",
            resource("example.com", "widgets"),
            Place::Namespace("shop"),
        );
        assert_eq!(allowed, ["User ann @ ClusterRole/widgets-view rules[0]"]);
        let (allowed, _) = ask(
            &yaml,
            "create",
            resource("", "pods"),
            Place::Namespace("shop"),
        );
        assert_eq!(
            allowed,
            ["User ann @ ClusterRole/system:aggregate-to-edit rules[2]"]
        );
    }

    #[test]
    fn an_aggregated_role_that_picks_nothing_is_unknown() {
        let yaml = format!(
            "{}{}",
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: empty}\naggregationRule:\n  clusterRoleSelectors: [{matchLabels: {nobody: here}}]\nrules: []\n",
            binding(
                "empty",
                "",
                "ClusterRole/empty",
                "[{kind: User, name: ann}]"
            ),
        );
        let (allowed, unknown) = ask(&yaml, "get", resource("", "pods"), Place::Cluster);
        assert!(allowed.is_empty());
        assert_eq!(unknown, ["ClusterRole/empty AggregatesNothing"]);
    }

    #[test]
    fn a_cluster_role_bound_in_a_namespace_grants_only_there() {
        let yaml = format!(
            "{}{}",
            role(
                "reader",
                "",
                "[{apiGroups: [''], resources: [secrets, nodes], verbs: [get]}, {nonResourceURLs: ['/metrics'], verbs: [get]}]"
            ),
            binding(
                "reader",
                "shop",
                "ClusterRole/reader",
                &account("shop", "web")
            ),
        );
        let secrets = resource("", "secrets");
        let at = |place| ask(&yaml, "get", secrets, place).0.len();
        assert_eq!(at(Place::Namespace("shop")), 1);
        assert_eq!(at(Place::Namespace("other")), 0);
        assert_eq!(at(Place::Cluster), 0);
        assert_eq!(at(Place::Anywhere), 1);
        let nodes = ask(&yaml, "get", resource("", "nodes"), Place::Anywhere);
        assert!(nodes.0.is_empty(), "{nodes:?}");
        let url = ask(&yaml, "get", Target::Url("/metrics"), Place::Anywhere);
        assert!(url.0.is_empty(), "{url:?}");
    }

    #[test]
    fn bindings_without_a_namespace_apply_to_whichever_namespace_is_asked() {
        let yaml = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: r}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects: [{kind: ServiceAccount, name: web}]\n";
        let pods = resource("", "pods");
        assert_eq!(
            ask(yaml, "get", pods, Place::Namespace("shop")).0,
            ["ServiceAccount web @ Role/r rules[0]"]
        );
        assert!(ask(yaml, "get", pods, Place::Cluster).0.is_empty());
    }

    #[test]
    fn missing_roles_are_unknown_where_their_binding_applies() {
        let yaml = format!(
            "{}{}{}",
            binding("ops", "", "ClusterRole/ops", "[{kind: Group, name: ops}]"),
            binding("local", "shop", "Role/local", &account("shop", "web")),
            binding(
                "kube",
                "kube-system",
                "Role/extension-apiserver-authentication-reader",
                &account("monitoring", "adapter")
            ),
        );
        let (_, unknown) = ask(
            &yaml,
            "get",
            resource("", "secrets"),
            Place::Namespace("shop"),
        );
        assert_eq!(
            unknown,
            ["ClusterRole/ops NotInFiles", "Role/local NotInFiles"]
        );
        let (_, unknown) = ask(&yaml, "get", resource("", "secrets"), Place::Cluster);
        assert_eq!(unknown, ["ClusterRole/ops NotInFiles"]);
        let (allowed, unknown) = ask(
            &yaml,
            "get",
            resource("", "configmaps"),
            Place::Namespace("kube-system"),
        );
        assert_eq!(
            allowed,
            [
                "ServiceAccount monitoring/adapter @ Role/extension-apiserver-authentication-reader rules[0] only extension-apiserver-authentication"
            ]
        );
        assert_eq!(unknown, ["ClusterRole/ops NotInFiles"]);
    }

    #[test]
    fn resource_names_narrow_reads_and_subresources_but_never_allow_create() {
        let yaml = format!(
            "{}{}",
            role(
                "named",
                "shop",
                "[{apiGroups: [''], resources: [secrets, pods, pods/exec], resourceNames: [web-0], verbs: [get, create, deletecollection]}]"
            ),
            binding("named", "shop", "Role/named", "[{kind: User, name: ann}]"),
        );
        let shop = Place::Namespace("shop");
        let get = ask(&yaml, "get", resource("", "secrets"), shop);
        assert_eq!(get.0, ["User ann @ Role/named rules[0] only web-0"]);
        assert!(
            ask(&yaml, "create", resource("", "pods"), shop)
                .0
                .is_empty()
        );
        assert!(
            ask(&yaml, "deletecollection", resource("", "pods"), shop)
                .0
                .is_empty()
        );
        let exec = ask(&yaml, "create", resource("", "pods/exec"), shop);
        assert_eq!(exec.0, ["User ann @ Role/named rules[0] only web-0"]);
    }

    #[test]
    fn a_rule_for_every_object_wins_over_a_narrowed_one() {
        let yaml = format!(
            "{}{}",
            role(
                "both",
                "shop",
                "[{apiGroups: [''], resources: [secrets], resourceNames: [a], verbs: [get]}, {apiGroups: [''], resources: [secrets], verbs: [get]}]"
            ),
            binding("both", "shop", "Role/both", "[{kind: User, name: ann}]"),
        );
        let get = ask(
            &yaml,
            "get",
            resource("", "secrets"),
            Place::Namespace("shop"),
        );
        assert_eq!(get.0, ["User ann @ Role/both rules[1]"]);
    }

    #[test]
    fn subresources_are_their_own_resources() {
        let yaml = format!(
            "{}{}",
            role(
                "r",
                "",
                "[{apiGroups: [''], resources: [pods, 'pods/*'], verbs: [create]}, {apiGroups: [''], resources: ['*/attach'], verbs: [create]}]"
            ),
            binding("r", "", "ClusterRole/r", "[{kind: User, name: ann}]"),
        );
        let ask_for = |res| ask(&yaml, "create", resource("", res), Place::Cluster).0;
        assert_eq!(ask_for("pods"), ["User ann @ ClusterRole/r rules[0]"]);
        assert!(ask_for("pods/exec").is_empty());
        assert_eq!(
            ask_for("pods/attach"),
            ["User ann @ ClusterRole/r rules[1]"]
        );
    }

    #[test]
    fn wildcards_cover_verbs_resources_and_groups() {
        let yaml = format!(
            "{}{}",
            role(
                "all",
                "",
                "[{apiGroups: ['*'], resources: ['*'], verbs: ['*']}, {nonResourceURLs: ['/healthz/*'], verbs: [get]}]"
            ),
            binding("all", "", "ClusterRole/all", "[{kind: User, name: ann}]"),
        );
        let any = ask(
            &yaml,
            "escalate",
            resource("rbac.authorization.k8s.io", "clusterroles"),
            Place::Cluster,
        );
        assert_eq!(any.0.len(), 1);
        let widgets = ask(
            &yaml,
            "patch",
            resource("example.com", "widgets/status"),
            Place::Cluster,
        );
        assert_eq!(widgets.0.len(), 1);
        let url = ask(&yaml, "get", Target::Url("/healthz/etcd"), Place::Cluster);
        assert_eq!(url.0, ["User ann @ ClusterRole/all rules[1]"]);
        let other = ask(&yaml, "get", Target::Url("/metrics"), Place::Cluster);
        assert!(other.0.is_empty());
    }

    #[test]
    fn service_accounts_take_the_binding_namespace_and_their_user_names() {
        let yaml = format!(
            "{}{}{}",
            role(
                "r",
                "shop",
                "[{apiGroups: [''], resources: [pods], verbs: [get]}]"
            ),
            binding(
                "r",
                "shop",
                "Role/r",
                "[{kind: ServiceAccount, name: web}, {kind: User, name: 'system:serviceaccount:ci:bot'}, {kind: ServiceAccount, name: x, namespace: ops}]"
            ),
            binding(
                "bad",
                "",
                "ClusterRole/view",
                "[{kind: ServiceAccount, name: no-namespace}]"
            ),
        );
        let (allowed, _) = ask(&yaml, "get", resource("", "pods"), Place::Namespace("shop"));
        assert_eq!(
            allowed,
            [
                "ServiceAccount shop/web @ Role/r rules[0]",
                "ServiceAccount ci/bot @ Role/r rules[0]",
                "ServiceAccount ops/x @ Role/r rules[0]",
            ]
        );
    }

    #[test]
    fn a_role_written_in_several_files_is_read_from_the_binding_file() {
        let yaml = format!(
            "{}{}{}",
            role(
                "r",
                "",
                "[{apiGroups: [''], resources: [pods], verbs: [get]}]"
            ),
            role(
                "r",
                "",
                "[{apiGroups: [''], resources: [secrets], verbs: [get]}]"
            ),
            binding("r", "", "ClusterRole/r", "[{kind: User, name: ann}]"),
        );
        let owned = objects(&yaml);
        let refs: Vec<&Object> = owned.iter().collect();
        let files = ["a.yaml", "b.yaml", "b.yaml"];
        let access = Access::build(&refs, Some(&files));
        assert_eq!(access.roles()[0].at, RoleAt::File(1));
        let access = Access::build(&refs, None);
        assert_eq!(access.roles()[0].at, RoleAt::File(0));
    }

    #[test]
    fn system_subjects_are_kubernetes_own_but_service_account_groups_are_not() {
        let group = |name: &str| Subject {
            kind: SubjectKind::Group,
            name: name.into(),
            namespace: String::new(),
        };
        assert!(group("system:masters").is_system());
        assert!(!group("system:serviceaccounts:shop").is_system());
        assert!(!group("system:serviceaccounts").is_system());
        assert!(!group("devs").is_system());
        assert!(!Subject::service_account("kube-system", "superadmin").is_system());
    }

    #[test]
    fn every_built_in_role_reads_as_rbac() {
        let roles = built_in();
        assert!(roles.len() >= 12);
        for obj in roles {
            assert!(role_key(obj).is_some(), "{}", obj.id);
        }
    }
}
