//! NetworkPolicy analysis: which pods may talk to which, and rules about the policies that
//! decide it.
//!
//! [`NetpolModel`] reads the pods of every workload, the namespaces and the
//! `networking.k8s.io` NetworkPolicies of a scan, and answers whether a connection is
//! allowed, denied or unknown (the files do not decide it). The rules here share one model
//! per scan through [`SetCx::shared`]; `palisade netpol` prints its [`Matrix`]. Like the
//! other cross-object rules, they stay silent where the files cannot tell.

pub mod ip;
pub mod matrix;
pub mod model;
pub mod policy;
pub mod ports;

mod namespace_without_default_deny_egress;
mod namespace_without_default_deny_ingress;
mod policy_blocks_dns;
mod policy_selects_no_pods;
mod workload_not_selected;

use std::rc::Rc;

pub use matrix::{Connection, Matrix, Side, UNNAMED_NAMESPACE};
pub use model::{Assumptions, Bounds, Endpoint, NetpolModel, Tri};
pub use policy::{Direction, Policy};
pub use ports::{ConnSet, PortSet, Protocol};

use palisade_load::FieldPath;

use crate::rule::{Applies, Rule, SetCx};
use crate::wiring::WorkloadIndex;

pub static RULES: &[&Rule] = &[
    &namespace_without_default_deny_ingress::NAMESPACE_WITHOUT_DEFAULT_DENY_INGRESS,
    &namespace_without_default_deny_egress::NAMESPACE_WITHOUT_DEFAULT_DENY_EGRESS,
    &workload_not_selected::WORKLOAD_NOT_SELECTED,
    &policy_selects_no_pods::POLICY_SELECTS_NO_PODS,
    &policy_blocks_dns::POLICY_BLOCKS_DNS,
];

/// The scan's model, built by the first rule that asks for it. Rules assume nothing beyond
/// the files.
fn shared_model(cx: &SetCx<'_>) -> Rc<NetpolModel> {
    let index = cx.shared(WorkloadIndex::build);
    cx.shared(|objects| NetpolModel::build(objects, &index, &Assumptions::default()))
}

/// `Kind/name` of a scanned object, as messages name it.
fn object_name(cx: &SetCx<'_>, object: usize) -> String {
    crate::wiring::index::kind_name(cx.objects[object])
}

/// What the default-deny rules report on: a namespace, or the first workload of one.
const NAMESPACE_AND_WORKLOADS: &[&str] = &[
    "Namespace",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Rollout",
    "DeploymentConfig",
];

/// Reports every namespace with pods among the files whose policies set no default deny in
/// `direction`: at its `Namespace` object when the files have one, else at the namespace of
/// its first workload of a kind the rule `applies` to (of any kind if there is none).
fn missing_default_deny(cx: &mut SetCx<'_>, direction: Direction, applies: Applies) {
    let model = shared_model(cx);
    for ns in model.namespaces_with_pods() {
        let denied = model
            .policies_in(ns)
            .iter()
            .any(|&p| model.policies[p].is_default_deny(direction));
        if denied {
            continue;
        }
        let (what, open) = match direction {
            Direction::Ingress => ("ingress", "accepts connections from anywhere"),
            Direction::Egress => ("egress", "may connect anywhere"),
        };
        let why = format!(
            "no NetworkPolicy selects all its pods (`podSelector: {{}}`) for `{}`, so a pod no \
             policy names {open}",
            direction.type_name()
        );
        if let Some(object) = model.namespace_object(ns) {
            cx.report(
                object,
                FieldPath::parse_dotted("metadata.name"),
                format!("Deny {what} by default in namespace `{ns}`: {why}"),
            );
            continue;
        }
        let pods = model.pods_in(ns);
        let first = pods
            .iter()
            .find(|&&p| applies.matches(cx.objects[model.pods[p].object]))
            .or(pods.first());
        let Some(&first) = first else {
            continue;
        };
        let object = model.pods[first].object;
        let named = cx.objects[object].id.namespace.is_some();
        let path = FieldPath::parse_dotted(if named {
            "metadata.namespace"
        } else {
            "metadata"
        });
        let whose = object_name(cx, object);
        let place = if ns.is_empty() {
            format!("for the workloads without a namespace, `{whose}` first among them")
        } else {
            format!("in namespace `{ns}`, whose first workload here is `{whose}`")
        };
        cx.report(
            object,
            path,
            format!("Deny {what} by default {place}: {why}"),
        );
    }
}

#[cfg(test)]
mod semantics;
