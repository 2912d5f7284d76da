//! Pod Security Admission's namespace policy: which level and version each mode evaluates.
//!
//! A namespace says what it wants with the labels `pod-security.kubernetes.io/<mode>` (a
//! level) and `pod-security.kubernetes.io/<mode>-version` (`latest` or `v1.N`), for the modes
//! `enforce`, `audit` and `warn`. A label that is absent takes the default. The rules below
//! are upstream's: a bad `enforce` level is evaluated as `restricted` (fail closed), a bad
//! `audit` or `warn` level as `privileged` (those modes never block), a bad version as
//! `latest`, and every bad label is reported. When `enforce` is set and `warn` is not, warn
//! rises to the enforce level if that is stricter, so users see what will be refused.

use std::collections::BTreeMap;
use std::fmt;

use palisade_rules::{PssLevel, PssVersion};

/// Label prefix shared by every Pod Security Admission label.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// One Pod Security Standards profile: a level at a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    pub level: PssLevel,
    pub version: PssVersion,
    /// Written as `latest` rather than a pinned version (shown as such in messages).
    pub latest: bool,
}

impl LevelVersion {
    pub const PRIVILEGED: LevelVersion = LevelVersion {
        level: PssLevel::Privileged,
        version: PssVersion::LATEST,
        latest: true,
    };

    pub fn new(level: PssLevel, version: Version) -> Self {
        LevelVersion {
            level,
            version: version.resolved(),
            latest: version.is_latest(),
        }
    }

    /// The pair rules are evaluated for; `latest` and the newest pinned version are one.
    pub fn key(self) -> (PssLevel, PssVersion) {
        (self.level, self.version)
    }
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.latest {
            write!(f, "{}:latest", self.level.as_str())
        } else {
            write!(f, "{}:{}", self.level.as_str(), self.version)
        }
    }
}

/// A version as written: `latest` or a pinned `v1.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    Latest,
    Pinned(PssVersion),
}

impl Version {
    /// `latest` or `v1.N` exactly (upstream's format); versions newer than the newest known
    /// are evaluated as the newest.
    pub fn parse(text: &str) -> Option<Version> {
        if text == "latest" {
            return Some(Version::Latest);
        }
        let minor = text.strip_prefix("v1.")?;
        let well_formed = !minor.is_empty()
            && minor.bytes().all(|b| b.is_ascii_digit())
            && (minor == "0" || !minor.starts_with('0'));
        if !well_formed {
            return None;
        }
        PssVersion::parse(text).map(Version::Pinned)
    }

    pub fn resolved(self) -> PssVersion {
        match self {
            Version::Latest => PssVersion::LATEST,
            Version::Pinned(v) => v,
        }
    }

    pub fn is_latest(self) -> bool {
        self == Version::Latest
    }
}

/// The three modes and the profile each evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespacePolicy {
    pub enforce: LevelVersion,
    pub audit: LevelVersion,
    pub warn: LevelVersion,
}

impl NamespacePolicy {
    pub const PRIVILEGED: NamespacePolicy = NamespacePolicy {
        enforce: LevelVersion::PRIVILEGED,
        audit: LevelVersion::PRIVILEGED,
        warn: LevelVersion::PRIVILEGED,
    };

    /// Whether no mode checks anything.
    pub fn is_privileged(&self) -> bool {
        [self.enforce, self.audit, self.warn]
            .iter()
            .all(|lv| lv.level == PssLevel::Privileged)
    }
}

/// A label whose value is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelError {
    pub label: String,
    pub value: String,
    pub expected: &'static str,
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "metadata.labels[{}]: invalid value {:?}: {}",
            self.label, self.value, self.expected
        )
    }
}

const LEVELS: &str = "must be one of privileged, baseline, restricted";
const VERSIONS: &str = "must be \"latest\" or \"v1.x\"";

/// Resolves a namespace's labels (only the `pod-security.kubernetes.io/` ones are looked at)
/// against the defaults. A usable policy is always returned, with the labels that were bad.
pub fn policy_from_labels<'a>(
    labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    defaults: &NamespacePolicy,
) -> (NamespacePolicy, Vec<LabelError>) {
    let labels: BTreeMap<&str, &str> = labels
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(LABEL_PREFIX)?, v)))
        .collect();
    let mut errors = Vec::new();
    let mut p = *defaults;
    let mut bad = |label: &str, value: &str, expected| {
        errors.push(LabelError {
            label: format!("{LABEL_PREFIX}{label}"),
            value: value.to_string(),
            expected,
        })
    };

    let modes: [(&str, &mut LevelVersion, PssLevel); 3] = [
        ("enforce", &mut p.enforce, PssLevel::Restricted),
        ("audit", &mut p.audit, PssLevel::Privileged),
        ("warn", &mut p.warn, PssLevel::Privileged),
    ];
    for (mode, lv, on_error) in modes {
        if let Some(&text) = labels.get(mode) {
            lv.level = PssLevel::parse(text).unwrap_or_else(|| {
                bad(mode, text, LEVELS);
                on_error
            });
        }
        let key = format!("{mode}-version");
        if let Some(&text) = labels.get(key.as_str()) {
            let version = Version::parse(text).unwrap_or_else(|| {
                bad(&key, text, VERSIONS);
                Version::Latest
            });
            lv.version = version.resolved();
            lv.latest = version.is_latest();
        }
    }

    // Warn about what enforce will refuse, unless warn was chosen explicitly.
    if labels.contains_key("enforce")
        && !labels.contains_key("warn")
        && p.enforce.level > p.warn.level
    {
        p.warn.level = p.enforce.level;
        if !labels.contains_key("warn-version") {
            p.warn.version = p.enforce.version;
            p.warn.latest = p.enforce.latest;
        }
    }
    (p, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(level: PssLevel, version: &str) -> LevelVersion {
        LevelVersion::new(level, Version::parse(version).unwrap())
    }

    fn resolve(labels: &[(&str, &str)]) -> (NamespacePolicy, Vec<LabelError>) {
        let full: Vec<(String, &str)> = labels
            .iter()
            .map(|(k, v)| (format!("{LABEL_PREFIX}{k}"), *v))
            .collect();
        policy_from_labels(
            full.iter().map(|(k, v)| (k.as_str(), *v)),
            &NamespacePolicy::PRIVILEGED,
        )
    }

    #[test]
    fn versions_are_latest_or_v1_minor() {
        assert_eq!(Version::parse("latest"), Some(Version::Latest));
        assert_eq!(
            Version::parse("v1.25"),
            Some(Version::Pinned(PssVersion::v1(25)))
        );
        assert_eq!(
            Version::parse("v1.99"),
            Some(Version::Pinned(PssVersion::LATEST))
        );
        for bad in ["1.25", "v1.", "v1.025", "v2.1", "v1.2x", "Latest"] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn labels_override_defaults_per_mode() {
        let (p, errors) = resolve(&[
            ("enforce", "baseline"),
            ("enforce-version", "v1.24"),
            ("audit", "restricted"),
        ]);
        assert!(errors.is_empty());
        assert_eq!(p.enforce, lv(PssLevel::Baseline, "v1.24"));
        assert_eq!(p.audit, lv(PssLevel::Restricted, "latest"));
        assert_eq!(p.enforce.to_string(), "baseline:v1.24");
        assert_eq!(p.audit.to_string(), "restricted:latest");
    }

    #[test]
    fn warn_rises_to_an_explicit_stricter_enforce_level() {
        let (p, _) = resolve(&[("enforce", "restricted"), ("enforce-version", "v1.30")]);
        assert_eq!(p.warn, lv(PssLevel::Restricted, "v1.30"));
        let (p, _) = resolve(&[("enforce", "restricted"), ("warn", "baseline")]);
        assert_eq!(p.warn.level, PssLevel::Baseline);
        let (p, _) = resolve(&[("enforce", "restricted"), ("warn-version", "v1.20")]);
        assert_eq!(p.warn, lv(PssLevel::Restricted, "v1.20"));
    }

    #[test]
    fn bad_labels_fail_closed_for_enforce_and_open_for_the_others() {
        let (p, errors) = resolve(&[
            ("enforce", "strict"),
            ("audit", "nope"),
            ("warn", "high"),
            ("warn-version", "1.2"),
        ]);
        assert_eq!(p.enforce.level, PssLevel::Restricted);
        assert_eq!(p.audit.level, PssLevel::Privileged);
        assert_eq!(p.warn.level, PssLevel::Privileged);
        assert_eq!(errors.len(), 4);
        assert!(
            errors[0]
                .to_string()
                .contains("pod-security.kubernetes.io/enforce")
        );
    }

    #[test]
    fn other_labels_are_ignored() {
        let (p, errors) = policy_from_labels(
            [("app", "web"), ("kubernetes.io/metadata.name", "shop")],
            &NamespacePolicy::PRIVILEGED,
        );
        assert!(errors.is_empty());
        assert!(p.is_privileged());
    }
}
