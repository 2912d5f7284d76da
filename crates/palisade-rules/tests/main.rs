//! Integration tests: one binary for the crate, one module per area, so the build links
//! the dependencies once instead of once per file.

mod common;

mod mesh_istioctl;
mod netpol_oracle;
