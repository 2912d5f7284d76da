//! Rollout safety: how a change reaches running pods — update strategies, readiness during
//! a rolling update, disruption budgets on single replicas, canary splits. Most of these
//! rules need the Services, budgets and autoscalers around a Deployment, so they look at
//! the whole scan ([`Check::Set`](crate::rule::Check::Set)) and share the wiring rules'
//! [`WorkloadIndex`](crate::wiring::WorkloadIndex).

mod canary_replica_split;
mod recreate_behind_service;
mod rolling_update_without_readiness;
mod single_replica_disruption_budget;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &rolling_update_without_readiness::ROLLING_UPDATE_WITHOUT_READINESS,
    &recreate_behind_service::RECREATE_BEHIND_SERVICE,
    &single_replica_disruption_budget::SINGLE_REPLICA_DISRUPTION_BUDGET,
    &canary_replica_split::CANARY_REPLICA_SPLIT,
];
