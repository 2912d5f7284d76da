//! How objects wire together: Services and the pods they select, Ingress backends, the
//! targets of autoscalers and disruption budgets, and what hand-written Endpoints hold.
//! These rules look at the whole scan ([`Check::Set`](crate::rule::Check::Set)); where the
//! files cannot tell (the pods of a namespace are not among them), they stay silent rather
//! than guess. The few that need only one object are ordinary object rules, so the
//! admission webhook runs them too.

mod autoscaled_replicas_fixed;
mod autoscaler_target_missing;
mod disruption_budget_blocks_autoscaler_minimum;
mod disruption_budget_blocks_eviction;
mod disruption_budget_selects_nothing;
mod endpoints_credential_in_name;
mod external_name_ip;
pub(crate) mod index;
mod ingress;
mod ingress_backend_port_missing;
mod ingress_backend_service_missing;
mod service_selects_nothing;
mod service_target_port_undeclared;
mod workload_selector_mismatch;

pub use endpoints_credential_in_name::carries_credential;
pub use index::{Workload, WorkloadIndex};

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &service_selects_nothing::SERVICE_SELECTS_NOTHING,
    &service_target_port_undeclared::SERVICE_TARGET_PORT_UNDECLARED,
    &ingress_backend_service_missing::INGRESS_BACKEND_SERVICE_MISSING,
    &ingress_backend_port_missing::INGRESS_BACKEND_PORT_MISSING,
    &autoscaler_target_missing::AUTOSCALER_TARGET_MISSING,
    &disruption_budget_selects_nothing::DISRUPTION_BUDGET_SELECTS_NOTHING,
    &disruption_budget_blocks_eviction::DISRUPTION_BUDGET_BLOCKS_EVICTION,
    &disruption_budget_blocks_autoscaler_minimum::DISRUPTION_BUDGET_BLOCKS_AUTOSCALER_MINIMUM,
    &autoscaled_replicas_fixed::AUTOSCALED_REPLICAS_FIXED,
    &external_name_ip::EXTERNAL_NAME_IP,
    &workload_selector_mismatch::WORKLOAD_SELECTOR_MISMATCH,
    &endpoints_credential_in_name::ENDPOINTS_CREDENTIAL_IN_NAME,
];
