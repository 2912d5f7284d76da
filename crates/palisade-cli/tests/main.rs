//! Integration tests: one binary for the crate, one module per area, so the build links
//! the dependencies once instead of once per file.

mod common;

mod cli;
mod custom_rules;
mod dockerfile;
mod mesh;
mod netpol;
mod policy;
mod pss_conformance;
mod rbac;
mod serve;
