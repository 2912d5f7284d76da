//! NetworkPolicy analysis: which pods may talk to which, and rules about the policies that
//! decide it.
//!
//! [`NetpolModel`] reads the pods of every workload, the namespaces and the
//! `networking.k8s.io` NetworkPolicies of a scan, and answers whether a connection is
//! allowed, denied or unknown (the files do not decide it). Cross-object rules share one
//! model per scan through [`SetCx::shared`](crate::rule::SetCx::shared); `palisade netpol`
//! prints its [`Matrix`].

pub mod ip;
pub mod matrix;
pub mod model;
pub mod policy;
pub mod ports;

pub use matrix::{Connection, Matrix, Side, UNNAMED_NAMESPACE};
pub use model::{Assumptions, Bounds, Endpoint, NetpolModel, Tri};
pub use policy::{Direction, Policy};
pub use ports::{ConnSet, PortSet, Protocol};

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[];
