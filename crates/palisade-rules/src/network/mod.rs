//! How Services expose workloads.

mod service_external_ips;
mod service_load_balancer;
mod service_node_port;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &service_node_port::SERVICE_NODE_PORT,
    &service_load_balancer::SERVICE_LOAD_BALANCER,
    &service_external_ips::SERVICE_EXTERNAL_IPS,
];
