//! Role-based access control, one Role or binding at a time.

mod policy_rules;
mod rbac_binding_to_public_group;
mod rbac_cluster_admin_binding;
mod rbac_escalate_bind_impersonate;
mod rbac_nodes_proxy;
mod rbac_pod_exec_attach;
mod rbac_read_secrets;
mod rbac_wildcard;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &rbac_wildcard::RBAC_WILDCARD,
    &rbac_read_secrets::RBAC_READ_SECRETS,
    &rbac_pod_exec_attach::RBAC_POD_EXEC_ATTACH,
    &rbac_escalate_bind_impersonate::RBAC_ESCALATE_BIND_IMPERSONATE,
    &rbac_nodes_proxy::RBAC_NODES_PROXY,
    &rbac_cluster_admin_binding::RBAC_CLUSTER_ADMIN_BINDING,
    &rbac_binding_to_public_group::RBAC_BINDING_TO_PUBLIC_GROUP,
];
