//! Sets of connections: protocols and port ranges.
//!
//! NetworkPolicy is defined for TCP, UDP and SCTP, the three protocols its `ports` can name;
//! what happens to other protocols (ICMP, ARP) is up to the network plugin, so connection
//! sets leave them out. "All connections" means every port of the three.

use std::fmt;

/// The protocols a NetworkPolicy port can name, in the order connection lists print them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Sctp,
    Tcp,
    Udp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    /// Reads `TCP`, `UDP` or `SCTP` as the API server does (exact case).
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }
}

pub const MIN_PORT: u16 = 1;
pub const MAX_PORT: u16 = 65535;

/// A set of ports, as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PortSet(Vec<(u16, u16)>);

impl PortSet {
    pub fn all() -> PortSet {
        PortSet(vec![(MIN_PORT, MAX_PORT)])
    }

    /// The ports `from..=to`, clamped to 1–65535; empty when `from > to`.
    pub fn range(from: u16, to: u16) -> PortSet {
        let from = from.max(MIN_PORT);
        if from > to {
            return PortSet::default();
        }
        PortSet(vec![(from, to)])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.0 == [(MIN_PORT, MAX_PORT)]
    }

    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(a, b)| a <= port && port <= b)
    }

    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.0
    }

    pub fn union(&self, other: &PortSet) -> PortSet {
        let mut all: Vec<(u16, u16)> = self.0.iter().chain(&other.0).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(all.len());
        for (a, b) in all {
            match out.last_mut() {
                Some(last) if u32::from(a) <= u32::from(last.1) + 1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        PortSet(out)
    }

    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            let (a1, b1) = self.0[i];
            let (a2, b2) = other.0[j];
            let (a, b) = (a1.max(a2), b1.min(b2));
            if a <= b {
                out.push((a, b));
            }
            if b1 < b2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortSet(out)
    }

    pub fn minus(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        for &(a, b) in &self.0 {
            let mut start = u32::from(a);
            let end = u32::from(b);
            for &(c, d) in &other.0 {
                let (c, d) = (u32::from(c), u32::from(d));
                if d < start || c > end {
                    continue;
                }
                if c > start {
                    out.push((start as u16, (c - 1) as u16));
                }
                start = d + 1;
                if start > end {
                    break;
                }
            }
            if start <= end {
                out.push((start as u16, end as u16));
            }
        }
        PortSet(out)
    }
}

impl fmt::Display for PortSet {
    /// `80,8000-8090`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(a, b)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        Ok(())
    }
}

/// A set of connections: ports per protocol.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ConnSet {
    /// Ports of SCTP, TCP and UDP, in [`Protocol::ALL`] order.
    ports: [PortSet; 3],
}

impl ConnSet {
    pub fn none() -> ConnSet {
        ConnSet::default()
    }

    pub fn all() -> ConnSet {
        ConnSet {
            ports: [PortSet::all(), PortSet::all(), PortSet::all()],
        }
    }

    /// `ports` of one protocol.
    pub fn of(protocol: Protocol, ports: PortSet) -> ConnSet {
        let mut set = ConnSet::none();
        set.ports[protocol as usize] = ports;
        set
    }

    pub fn ports(&self, protocol: Protocol) -> &PortSet {
        &self.ports[protocol as usize]
    }

    pub fn is_empty(&self) -> bool {
        self.ports.iter().all(PortSet::is_empty)
    }

    pub fn is_all(&self) -> bool {
        self.ports.iter().all(PortSet::is_all)
    }

    pub fn allows(&self, protocol: Protocol, port: u16) -> bool {
        self.ports(protocol).contains(port)
    }

    pub fn union(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].union(&other.ports[i])),
        }
    }

    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].intersect(&other.ports[i])),
        }
    }

    pub fn minus(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].minus(&other.ports[i])),
        }
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &ConnSet) {
        if self.is_all() || other.is_empty() {
            return;
        }
        *self = self.union(other);
    }
}

impl fmt::Display for ConnSet {
    /// `All Connections`, or `SCTP 9003,TCP 80,8080-8090,UDP 53` (protocols in alphabetical
    /// order, empty ones left out); `No Connections` for the empty set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        for p in Protocol::ALL {
            let ports = self.ports(p);
            if ports.is_empty() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            write!(f, "{} {ports}", p.as_str())?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_sets_merge_adjacent_ranges_and_subtract() {
        let a = PortSet::range(80, 80).union(&PortSet::range(81, 90));
        assert_eq!(a.ranges(), [(80, 90)]);
        let b = PortSet::all().minus(&PortSet::range(53, 53));
        assert_eq!(b.to_string(), "1-52,54-65535");
        assert_eq!(
            b.intersect(&PortSet::range(50, 60)).to_string(),
            "50-52,54-60"
        );
        assert!(PortSet::range(90, 80).is_empty());
        assert!(PortSet::range(0, 65535).is_all());
    }

    #[test]
    fn connection_sets_print_as_connection_lists_do() {
        let mut set = ConnSet::of(Protocol::Udp, PortSet::range(53, 53));
        set.add(&ConnSet::of(Protocol::Tcp, PortSet::range(8080, 8090)));
        set.add(&ConnSet::of(Protocol::Sctp, PortSet::range(9003, 9003)));
        assert_eq!(set.to_string(), "SCTP 9003,TCP 8080-8090,UDP 53");
        assert_eq!(ConnSet::all().to_string(), "All Connections");
        assert_eq!(ConnSet::none().to_string(), "No Connections");
        let mut every_port = ConnSet::none();
        for p in Protocol::ALL {
            every_port.add(&ConnSet::of(p, PortSet::range(1, 65535)));
        }
        assert!(every_port.is_all());
        assert_eq!(
            ConnSet::all()
                .minus(&ConnSet::of(Protocol::Udp, PortSet::range(53, 53)))
                .to_string(),
            "SCTP 1-65535,TCP 1-65535,UDP 1-52,54-65535"
        );
    }
}
