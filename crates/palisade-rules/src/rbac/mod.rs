//! Role-based access control: Roles and bindings one at a time, and across the files what
//! each subject and workload can do with them ([`access`]).

pub mod access;
#[cfg(test)]
mod fixtures;
mod policy_rules;
mod rbac_binding_to_public_group;
mod rbac_cluster_admin_binding;
mod rbac_escalate_bind_impersonate;
mod rbac_nodes_proxy;
mod rbac_pod_exec_attach;
mod rbac_read_secrets;
mod rbac_subject_changes_webhooks;
mod rbac_subject_creates_pods;
mod rbac_subject_escalates;
mod rbac_subject_execs_into_pods;
mod rbac_subject_full_control;
mod rbac_subject_mints_tokens;
mod rbac_subject_proxies_to_nodes;
mod rbac_subject_reads_secrets;
mod rbac_wildcard;
mod rbac_workload_privileged_service_account;
pub mod resources;
mod rights;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &rbac_wildcard::RBAC_WILDCARD,
    &rbac_read_secrets::RBAC_READ_SECRETS,
    &rbac_pod_exec_attach::RBAC_POD_EXEC_ATTACH,
    &rbac_escalate_bind_impersonate::RBAC_ESCALATE_BIND_IMPERSONATE,
    &rbac_nodes_proxy::RBAC_NODES_PROXY,
    &rbac_cluster_admin_binding::RBAC_CLUSTER_ADMIN_BINDING,
    &rbac_binding_to_public_group::RBAC_BINDING_TO_PUBLIC_GROUP,
    &rbac_subject_full_control::RBAC_SUBJECT_FULL_CONTROL,
    &rbac_subject_reads_secrets::RBAC_SUBJECT_READS_SECRETS,
    &rbac_subject_creates_pods::RBAC_SUBJECT_CREATES_PODS,
    &rbac_subject_execs_into_pods::RBAC_SUBJECT_EXECS_INTO_PODS,
    &rbac_subject_proxies_to_nodes::RBAC_SUBJECT_PROXIES_TO_NODES,
    &rbac_subject_mints_tokens::RBAC_SUBJECT_MINTS_TOKENS,
    &rbac_subject_escalates::RBAC_SUBJECT_ESCALATES,
    &rbac_subject_changes_webhooks::RBAC_SUBJECT_CHANGES_WEBHOOKS,
    &rbac_workload_privileged_service_account::RBAC_WORKLOAD_PRIVILEGED_SERVICE_ACCOUNT,
];
