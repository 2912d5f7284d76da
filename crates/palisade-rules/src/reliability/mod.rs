//! Settings that keep workloads available and schedulable.

mod long_running;
mod missing_cpu_limit;
mod missing_liveness_probe;
mod missing_memory_limit;
mod missing_readiness_probe;
mod missing_resource_requests;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &missing_resource_requests::MISSING_RESOURCE_REQUESTS,
    &missing_memory_limit::MISSING_MEMORY_LIMIT,
    &missing_cpu_limit::MISSING_CPU_LIMIT,
    &missing_readiness_probe::MISSING_READINESS_PROBE,
    &missing_liveness_probe::MISSING_LIVENESS_PROBE,
];
