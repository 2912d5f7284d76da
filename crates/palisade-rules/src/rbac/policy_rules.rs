//! Reading Roles, ClusterRoles and their bindings, one object at a time.
//!
//! The rules follow the RBAC authorizer's matching: a rule covers an API group when its
//! `apiGroups` lists the group or `*`, and only `*` in `resources` or `verbs` is a wildcard
//! (`*/exec` names the `exec` subresource of every resource; `pods/*` matches nothing).
//! Verbs and resources are compared exactly, as the authorizer does.
//!
//! [`PolicyRule::allows`] answers for one request the way the authorizer does, so that the
//! single-object rules and the cross-object analysis read a rule the same way.

use palisade_load::{FieldPath, Node};
use palisade_model::Object;

pub(super) const ROLE_KINDS: &[&str] = &["Role", "ClusterRole"];
pub(super) const BINDING_KINDS: &[&str] = &["RoleBinding", "ClusterRoleBinding"];
pub(super) const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// How many names a message lists before summarising the rest.
const LISTED: usize = 4;

/// One entry of a role's `rules`.
pub(super) struct PolicyRule<'a> {
    index: usize,
    path: FieldPath,
    node: &'a Node,
}

/// The `rules` of a Role or ClusterRole of the RBAC API group; nothing for other objects.
pub(super) fn policy_rules(obj: &Object) -> Vec<PolicyRule<'_>> {
    if obj.id.group() != RBAC_GROUP {
        return Vec::new();
    }
    let Some(rules) = obj.root.get("rules") else {
        return Vec::new();
    };
    let base = FieldPath::root().key("rules");
    rules
        .items()
        .iter()
        .enumerate()
        .map(|(index, node)| PolicyRule {
            index,
            path: base.index(index),
            node,
        })
        .collect()
}

/// Entry `index` of the `rules` of a Role or ClusterRole of the RBAC API group.
pub(super) fn policy_rule(obj: &Object, index: usize) -> Option<PolicyRule<'_>> {
    if obj.id.group() != RBAC_GROUP {
        return None;
    }
    let node = obj.root.get("rules")?.items().get(index)?;
    Some(PolicyRule {
        index,
        path: FieldPath::root().key("rules").index(index),
        node,
    })
}

impl<'a> PolicyRule<'a> {
    /// The text items of `field` (`verbs`, `resources`, …) with their indexes.
    pub(super) fn items(&self, field: &str) -> impl Iterator<Item = (usize, &'a str)> + '_ {
        let list = self.node.get(field).map_or(&[][..], Node::items);
        list.iter()
            .enumerate()
            .filter_map(|(i, item)| item.as_str().map(|s| (i, s)))
    }

    /// The first item of `field` that `accept` takes, with its index.
    pub(super) fn find(&self, field: &str, accept: impl Fn(&str) -> bool) -> Option<usize> {
        self.items(field).find(|(_, s)| accept(s)).map(|(i, _)| i)
    }

    /// The items of `field` that `accept` takes.
    pub(super) fn matching(&self, field: &str, accept: impl Fn(&str) -> bool) -> Vec<&'a str> {
        self.items(field)
            .map(|(_, s)| s)
            .filter(|s| accept(s))
            .collect()
    }

    pub(super) fn item_path(&self, field: &str, index: usize) -> FieldPath {
        self.path.key(field).index(index)
    }

    /// Whether the rule covers API group `group` (`""` is the core group). A rule that
    /// leaves `apiGroups` out is read as the core group: that is what its author meant, even
    /// though the API server requires the field.
    pub(super) fn covers_group(&self, group: &str) -> bool {
        match self.node.get("apiGroups") {
            Some(groups) if !groups.is_null() => {
                self.items("apiGroups").any(|(_, g)| g == group || g == "*")
            }
            _ => group.is_empty(),
        }
    }

    /// Whether `resourceNames` narrows the rule to named objects.
    pub(super) fn is_narrowed(&self) -> bool {
        self.items("resourceNames").next().is_some()
    }

    /// Whether the rule names `*` for verbs, resources and API groups: everything there is.
    pub(super) fn grants_everything(&self) -> bool {
        self.find("verbs", |v| v == "*").is_some()
            && self.find("resources", |r| r == "*").is_some()
            && self.items("apiGroups").any(|(_, g)| g == "*")
            && !self.is_narrowed()
    }

    /// Whether the rule lets `verb` act on `resource` (`pods`, or `pods/exec` for a
    /// subresource) of API group `group`, and on which objects.
    pub(super) fn allows(&self, verb: &str, group: &str, resource: &str) -> Allows {
        let verb_ok = self.items("verbs").any(|(_, v)| v == "*" || v == verb);
        if !verb_ok || !self.covers_group(group) || !self.covers_resource(resource) {
            return Allows::No;
        }
        let names: Vec<String> = self
            .items("resourceNames")
            .map(|(_, n)| n.to_string())
            .collect();
        if names.is_empty() {
            return Allows::Any;
        }
        // The name of an object being created is not known when the request is authorized,
        // and `deletecollection` names no object: a rule narrowed to names grants neither.
        // A subresource request names its parent object (`create` on `pods/exec`), so names
        // do narrow it.
        let names_parent = resource.contains('/');
        match verb {
            "create" | "deletecollection" if !names_parent => Allows::No,
            _ => Allows::Named(names),
        }
    }

    /// Whether the rule lets `verb` reach the non-resource URL `path` (`/metrics`): listed
    /// exactly, or under a listed prefix ending in `*`.
    pub(super) fn allows_url(&self, verb: &str, path: &str) -> bool {
        let verb_ok = self.items("verbs").any(|(_, v)| v == "*" || v == verb);
        verb_ok
            && self.items("nonResourceURLs").any(|(_, url)| {
                url == "*"
                    || url == path
                    || url
                        .strip_suffix('*')
                        .is_some_and(|prefix| path.starts_with(prefix))
            })
    }

    /// Whether `resources` covers `resource`: `*`, the name itself, or `*/sub` for a
    /// subresource `sub` of any resource.
    fn covers_resource(&self, resource: &str) -> bool {
        let sub = resource.split_once('/').map(|(_, sub)| sub);
        self.items("resources").any(|(_, r)| {
            r == "*" || r == resource || sub.is_some_and(|sub| r.strip_prefix("*/") == Some(sub))
        })
    }

    /// `` `rules[2]` ``, for messages.
    pub(super) fn label(&self) -> String {
        format!("`rules[{}]`", self.index)
    }
}

/// What a rule allows for one verb on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Allows {
    No,
    /// Every object of the resource.
    Any,
    /// Only the objects named in `resourceNames`.
    Named(Vec<String>),
}

/// `` `get`, `list` `` or `` `a`, `b`, `c`, `d` and 3 more ``.
pub(super) fn listing(names: &[&str]) -> String {
    let shown: Vec<String> = names
        .iter()
        .take(LISTED)
        .map(|n| format!("`{n}`"))
        .collect();
    match names.len().saturating_sub(LISTED) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// A binding's `roleRef.kind` and `roleRef.name`, for bindings of the RBAC API group.
pub(super) fn role_ref(obj: &Object) -> Option<(&str, &str)> {
    if obj.id.group() != RBAC_GROUP {
        return None;
    }
    let role_ref = obj.root.get("roleRef")?;
    Some((
        role_ref.get("kind")?.as_str()?,
        role_ref.get("name")?.as_str()?,
    ))
}
