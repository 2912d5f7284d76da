//! How objects wire together: Services and the pods they select, Ingress backends, the
//! targets of autoscalers and disruption budgets. These rules look at the whole scan
//! ([`Check::Set`](crate::rule::Check::Set)); where the files cannot tell (the pods of a
//! namespace are not among them), they stay silent rather than guess.

mod index;
mod service_selects_nothing;

pub use index::{Workload, WorkloadIndex};

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[&service_selects_nothing::SERVICE_SELECTS_NOTHING];
