//! The reachability matrix: the connections the policies allow between every two workloads,
//! and between workloads and address ranges outside the cluster.
//!
//! A workload's pods share one template, so one pod stands for them all; pods of one
//! workload that differ (Pods of a ReplicaSet listed one by one, with different labels) are
//! each evaluated, and a connection some of them have and others lack is unknown for the
//! workload as a whole. Connections of a workload with itself are not listed.

use super::ip::IpRange;
use super::model::{Bounds, Endpoint, NetpolModel};
use super::policy::Direction;
use super::ports::ConnSet;

/// One side of a listed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// An index into [`NetpolModel::workloads`].
    Workload(usize),
    /// A range of addresses outside the cluster.
    External(IpRange),
}

/// The connections from one side to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub from: Side,
    pub to: Side,
    /// Surely allowed.
    pub allowed: ConnSet,
    /// Allowed or not depending on what the files do not say.
    pub unknown: ConnSet,
}

/// Every pair of sides with a connection that is allowed or may be.
#[derive(Debug, Clone, Default)]
pub struct Matrix {
    pub connections: Vec<Connection>,
    /// The external ranges connections come from, and go to.
    pub ingress_ranges: Vec<IpRange>,
    pub egress_ranges: Vec<IpRange>,
}

/// How a namespace that objects leave unnamed is shown.
pub const UNNAMED_NAMESPACE: &str = "<none>";

impl NetpolModel {
    /// Computes the matrix.
    pub fn matrix(&self) -> Matrix {
        let reps: Vec<Vec<usize>> = (0..self.workloads.len())
            .map(|w| self.representatives(w))
            .collect();
        let mut out = Matrix {
            ingress_ranges: self.external_ranges(Direction::Ingress),
            egress_ranges: self.external_ranges(Direction::Egress),
            ..Matrix::default()
        };
        let mut push = |from: Side, to: Side, bounds: Option<Bounds>| {
            let Some(bounds) = bounds else { return };
            if bounds.possible.is_empty() {
                return;
            }
            out.connections.push(Connection {
                from,
                to,
                unknown: bounds.unknown(),
                allowed: bounds.allowed,
            });
        };

        for (a, from_pods) in reps.iter().enumerate() {
            for (b, to_pods) in reps.iter().enumerate() {
                if a == b {
                    continue;
                }
                let pairs = from_pods
                    .iter()
                    .flat_map(|&x| to_pods.iter().map(move |&y| (x, y)));
                let bounds =
                    self.combined(pairs.map(|(x, y)| (Endpoint::Pod(x), Endpoint::Pod(y))));
                push(Side::Workload(a), Side::Workload(b), bounds);
            }
        }
        for range in self.external_ranges(Direction::Ingress) {
            for (w, pods) in reps.iter().enumerate() {
                let ends = pods
                    .iter()
                    .map(|&p| (Endpoint::External(range), Endpoint::Pod(p)));
                push(
                    Side::External(range),
                    Side::Workload(w),
                    self.combined(ends),
                );
            }
        }
        for range in self.external_ranges(Direction::Egress) {
            for (w, pods) in reps.iter().enumerate() {
                let ends = pods
                    .iter()
                    .map(|&p| (Endpoint::Pod(p), Endpoint::External(range)));
                push(
                    Side::Workload(w),
                    Side::External(range),
                    self.combined(ends),
                );
            }
        }
        out
    }

    /// What is surely allowed between every pair, and what may be between some.
    fn combined(&self, pairs: impl Iterator<Item = (Endpoint, Endpoint)>) -> Option<Bounds> {
        let mut out: Option<Bounds> = None;
        for (from, to) in pairs {
            let b = self.bounds(from, to);
            out = Some(match out {
                None => b,
                Some(acc) => Bounds {
                    allowed: acc.allowed.intersect(&b.allowed),
                    possible: acc.possible.union(&b.possible),
                },
            });
        }
        out
    }

    /// One pod for each distinct kind of pod of the workload.
    fn representatives(&self, workload: usize) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for &p in &self.workloads[workload].pods {
            let pod = &self.pods[p];
            let same = out.iter().any(|&q| {
                let other = &self.pods[q];
                other.labels == pod.labels
                    && other.ports == pod.ports
                    && other.host_network == pod.host_network
            });
            if !same {
                out.push(p);
            }
        }
        out
    }

    /// `namespace/name[Kind]` for a workload, the address range for an external side.
    pub fn side_name(&self, side: Side) -> String {
        match side {
            Side::Workload(w) => {
                let w = &self.workloads[w];
                let ns = if w.namespace.is_empty() {
                    UNNAMED_NAMESPACE
                } else {
                    &w.namespace
                };
                format!("{ns}/{}[{}]", w.name, w.kind)
            }
            Side::External(range) => format!("{range}[External]"),
        }
    }
}
