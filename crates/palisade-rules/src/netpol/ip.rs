//! IP address ranges: `ipBlock` CIDRs and their `except`s, IPv4 and IPv6.
//!
//! Addresses are kept as integers per family, so an `ipBlock` is a set of intervals and the
//! external world splits into the intervals no `cidr` or `except` boundary cuts.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    fn bits(self) -> u32 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
}

/// An inclusive range of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpRange {
    pub family: Family,
    pub start: u128,
    pub end: u128,
}

impl IpRange {
    /// Every address of `family`.
    pub fn everything(family: Family) -> IpRange {
        IpRange {
            family,
            start: 0,
            end: family.max(),
        }
    }

    /// Reads `10.0.0.0/8` or `fd00::/8`. Host bits below the prefix are ignored, as older
    /// API servers accepted them.
    pub fn parse_cidr(text: &str) -> Option<IpRange> {
        let (addr, prefix) = text.trim().split_once('/')?;
        let prefix: u32 = prefix.parse().ok()?;
        let (family, value) = match addr.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => (Family::V4, u128::from(u32::from(a))),
            IpAddr::V6(a) => (Family::V6, u128::from(a)),
        };
        let bits = family.bits();
        if prefix > bits {
            return None;
        }
        let host = bits - prefix;
        let host_mask = if host == 128 {
            u128::MAX
        } else {
            (1u128 << host) - 1
        };
        let start = value & !host_mask & family.max();
        Some(IpRange {
            family,
            start,
            end: start | host_mask & family.max(),
        })
    }

    pub fn contains(&self, other: &IpRange) -> bool {
        self.family == other.family && self.start <= other.start && other.end <= self.end
    }

    pub fn overlaps(&self, other: &IpRange) -> bool {
        self.family == other.family && self.start <= other.end && other.start <= self.end
    }
}

impl fmt::Display for IpRange {
    /// `10.0.0.0-10.255.255.255`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family {
            Family::V4 => write!(
                f,
                "{}-{}",
                Ipv4Addr::from(self.start as u32),
                Ipv4Addr::from(self.end as u32)
            ),
            Family::V6 => write!(
                f,
                "{}-{}",
                Ipv6Addr::from(self.start),
                Ipv6Addr::from(self.end)
            ),
        }
    }
}

/// An `ipBlock`: a CIDR less its exceptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpBlock {
    pub cidr: IpRange,
    pub except: Vec<IpRange>,
}

impl IpBlock {
    /// The block's addresses as separate ranges: the CIDR with the exceptions cut out.
    pub fn ranges(&self) -> Vec<IpRange> {
        let mut out = vec![self.cidr];
        for e in &self.except {
            let mut next = Vec::with_capacity(out.len() + 1);
            for r in out {
                if !r.overlaps(e) {
                    next.push(r);
                    continue;
                }
                if r.start < e.start {
                    next.push(IpRange {
                        end: e.start - 1,
                        ..r
                    });
                }
                if e.end < r.end {
                    next.push(IpRange {
                        start: e.end + 1,
                        ..r
                    });
                }
            }
            out = next;
        }
        out
    }

    /// Whether every address of `range` is in the block: `Some(true)` when all are,
    /// `Some(false)` when none is, `None` when only some are.
    pub fn covers(&self, range: &IpRange) -> Option<bool> {
        let ranges = self.ranges();
        if ranges.iter().any(|r| r.contains(range)) {
            return Some(true);
        }
        if ranges.iter().any(|r| r.overlaps(range)) {
            return None;
        }
        Some(false)
    }
}

/// Splits the address space of `families` into the ranges that no boundary of `ranges` cuts:
/// each range of the result is either wholly inside or wholly outside every given range.
pub fn atomic_ranges<'a>(
    families: &[Family],
    ranges: impl IntoIterator<Item = &'a IpRange>,
) -> Vec<IpRange> {
    let mut cuts: Vec<(Family, u128)> = Vec::new();
    for r in ranges {
        // A cut is where a new range starts.
        cuts.push((r.family, r.start));
        if r.end < r.family.max() {
            cuts.push((r.family, r.end + 1));
        }
    }
    let mut out = Vec::new();
    for &family in families {
        let mut starts: Vec<u128> = cuts
            .iter()
            .filter(|(f, _)| *f == family)
            .map(|&(_, s)| s)
            .collect();
        starts.push(0);
        starts.sort_unstable();
        starts.dedup();
        for (i, &start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(family.max(), |next| next - 1);
            out.push(IpRange { family, start, end });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_of_both_families_parse_to_ranges() {
        let r = IpRange::parse_cidr("10.0.0.0/8").unwrap();
        assert_eq!(r.to_string(), "10.0.0.0-10.255.255.255");
        assert_eq!(
            IpRange::parse_cidr("0.0.0.0/0").unwrap(),
            IpRange::everything(Family::V4)
        );
        let host = IpRange::parse_cidr("192.168.1.7/32").unwrap();
        assert_eq!(host.start, host.end);
        let v6 = IpRange::parse_cidr("fd00::/8").unwrap();
        assert_eq!(
            v6.to_string(),
            "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        assert_eq!(
            IpRange::parse_cidr("::/0").unwrap(),
            IpRange::everything(Family::V6)
        );
        // Host bits are dropped, as older API servers accepted them.
        assert_eq!(
            IpRange::parse_cidr("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0-10.255.255.255"
        );
        for bad in ["10.0.0.0", "10.0.0.0/33", "nope/8", "::/129"] {
            assert!(IpRange::parse_cidr(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn except_carves_holes_and_atomic_ranges_follow_every_boundary() {
        let block = IpBlock {
            cidr: IpRange::parse_cidr("0.0.0.0/0").unwrap(),
            except: vec![IpRange::parse_cidr("10.0.0.0/8").unwrap()],
        };
        let atoms = atomic_ranges(&[Family::V4], &block.ranges());
        let shown: Vec<String> = atoms.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255"
            ]
        );
        assert_eq!(block.covers(&atoms[0]), Some(true));
        assert_eq!(block.covers(&atoms[1]), Some(false));
        assert_eq!(block.covers(&IpRange::everything(Family::V4)), None);
        assert_eq!(block.covers(&IpRange::everything(Family::V6)), Some(false));
    }

    #[test]
    fn adjacent_exceptions_leave_one_hole() {
        let block = IpBlock {
            cidr: IpRange::parse_cidr("0.0.0.0/0").unwrap(),
            except: vec![
                IpRange::parse_cidr("10.0.0.0/9").unwrap(),
                IpRange::parse_cidr("10.128.0.0/9").unwrap(),
            ],
        };
        let atoms = atomic_ranges(&[Family::V4], &block.ranges());
        assert_eq!(atoms[1].to_string(), "10.0.0.0-10.255.255.255");
        assert_eq!(atoms.len(), 3);
    }
}
