//! Integration tests: one binary for the crate, one module per area, so the build links
//! the dependencies once instead of once per file.

mod common;

mod conformance;
mod custom_rules;
mod mutation;
mod protection;
mod rotation;
mod semantics;
