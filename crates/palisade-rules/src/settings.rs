//! What the user chose: the Pod Security Standards profile and rule parameters.

use crate::rule::PssLevel;

/// The newest Pod Security Standards version Palisade implements (`v1.37`).
pub const PSS_LATEST_MINOR: u32 = 37;

/// A Pod Security Standards version, `v1.<minor>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PssVersion {
    pub minor: u32,
}

impl PssVersion {
    pub const LATEST: PssVersion = PssVersion {
        minor: PSS_LATEST_MINOR,
    };

    pub fn v1(minor: u32) -> Self {
        PssVersion { minor }
    }

    /// `latest` or `v1.N`, as Pod Security Admission's version labels take it. A version newer
    /// than the newest implemented one is evaluated as the newest, as upstream does.
    pub fn parse(text: &str) -> Option<PssVersion> {
        if text == "latest" {
            return Some(PssVersion::LATEST);
        }
        Some(PssVersion {
            minor: written_minor(text)?.min(PSS_LATEST_MINOR),
        })
    }

    /// Whether `text` names a version newer than the newest implemented one, which
    /// [`parse`](Self::parse) reads as the newest.
    pub fn beyond_newest(text: &str) -> bool {
        written_minor(text).is_some_and(|m| m > PSS_LATEST_MINOR)
    }

    /// Whether this version is `v1.<minor>` or newer.
    pub fn at_least(self, minor: u32) -> bool {
        self.minor >= minor
    }
}

/// The minor version `v1.N` names, as upstream's label validation reads it: `v1.30`, not
/// `v1.030` or `v1.+3`.
fn written_minor(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("v1.")?;
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

impl std::fmt::Display for PssVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v1.{}", self.minor)
    }
}

/// Settings that rules read.
#[derive(Debug, Clone)]
pub struct Settings {
    pub pss_level: PssLevel,
    pub pss_version: PssVersion,
    /// Registries images may come from (`registry` or `registry/path` prefixes). Empty: any.
    pub allowed_registries: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pss_level: PssLevel::Restricted,
            pss_version: PssVersion::LATEST,
            allowed_registries: Vec::new(),
        }
    }
}

impl Settings {
    /// Whether the restricted profile is being evaluated.
    pub fn restricted(&self) -> bool {
        self.pss_level == PssLevel::Restricted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_like_pod_security_labels() {
        assert_eq!(PssVersion::parse("v1.25"), Some(PssVersion::v1(25)));
        assert_eq!(PssVersion::parse("latest"), Some(PssVersion::LATEST));
        assert_eq!(PssVersion::parse("v1.99"), Some(PssVersion::LATEST));
        for bad in ["v1.030", "v1.+3", "v1.", "v1.3a"] {
            assert_eq!(PssVersion::parse(bad), None, "{bad}");
        }
        assert_eq!(PssVersion::parse("v1.0").map(|v| v.minor), Some(0));
        assert_eq!(PssVersion::parse("1.25"), None);
        assert_eq!(PssVersion::parse("v2.0"), None);
    }
}
