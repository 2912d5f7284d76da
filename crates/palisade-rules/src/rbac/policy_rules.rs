//! Reading Roles, ClusterRoles and their bindings, one object at a time.
//!
//! The rules follow the RBAC authorizer's matching: a rule covers an API group when its
//! `apiGroups` lists the group or `*`, and only `*` in `resources` or `verbs` is a wildcard
//! (`*/exec` names the `exec` subresource of every resource; `pods/*` matches nothing).
//! Verbs and resources are compared exactly, as the authorizer does.

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

    /// `` `rules[2]` ``, for messages.
    pub(super) fn label(&self) -> String {
        format!("`rules[{}]`", self.index)
    }
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
