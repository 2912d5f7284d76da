//! The compliance score.
//!
//! Each rule that applies to an object is a check, weighted by the rule's severity
//! ([`SEVERITY_WEIGHTS`]: low 1, medium 3, high 6, critical 10). A check fails when the rule
//! reports at least one finding on the object, however many. The object's score is the
//! weighted share of checks it passes, 0–100. The overall score pools every check of every
//! checked object: `100 × Σ passed weights / Σ applicable weights`. Objects no rule applies to
//! do not count.

use palisade_model::Object;
use palisade_rules::{Rule, RuleMeta, Severity};

use crate::Finding;

/// Weights for low, medium, high and critical, in [`Severity::ALL`] order.
pub const SEVERITY_WEIGHTS: [u32; 4] = [1, 3, 6, 10];

pub fn weight(s: Severity) -> u32 {
    SEVERITY_WEIGHTS[s as usize]
}

/// The score inputs of one object.
#[derive(Debug, Clone)]
pub struct ObjectScore {
    pub resource: palisade_model::ObjectId,
    /// Where the object starts in its file.
    pub line: u32,
    pub passed_weight: u32,
    pub total_weight: u32,
    /// The rules that applied to the object.
    pub applied: Vec<&'static RuleMeta>,
}

impl ObjectScore {
    pub fn compute(obj: &Object, applied: &[&'static Rule], findings: &[Finding]) -> Self {
        Self::for_resource(obj.id.clone(), obj.root.span.start.line, applied, findings)
    }

    /// The score of anything identified by `resource` that starts on `line` (a Dockerfile).
    pub fn for_resource(
        resource: palisade_model::ObjectId,
        line: u32,
        applied: &[&'static Rule],
        findings: &[Finding],
    ) -> Self {
        let mut passed = 0;
        let mut total = 0;
        for rule in applied {
            let w = weight(rule.meta.severity);
            total += w;
            if !findings.iter().any(|f| f.rule.id == rule.meta.id) {
                passed += w;
            }
        }
        ObjectScore {
            resource,
            line,
            passed_weight: passed,
            total_weight: total,
            applied: applied.iter().map(|r| &r.meta).collect(),
        }
    }

    /// 0–100.
    pub fn percent(&self) -> f64 {
        if self.total_weight == 0 {
            100.0
        } else {
            100.0 * f64::from(self.passed_weight) / f64::from(self.total_weight)
        }
    }
}

/// The pooled score over many objects, rounded to one decimal.
pub fn overall<'a>(scores: impl Iterator<Item = &'a ObjectScore>) -> Option<f64> {
    let (passed, total) = scores.fold((0u64, 0u64), |(p, t), s| {
        (
            p + u64::from(s.passed_weight),
            t + u64::from(s.total_weight),
        )
    });
    (total > 0).then(|| (1000.0 * passed as f64 / total as f64).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_score_weights_by_severity() {
        let id = palisade_model::ObjectId {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: None,
            name: None,
        };
        let a = ObjectScore {
            resource: id.clone(),
            line: 1,
            passed_weight: 10,
            total_weight: 20,
            applied: Vec::new(),
        };
        let b = ObjectScore {
            resource: id,
            line: 1,
            passed_weight: 20,
            total_weight: 20,
            applied: Vec::new(),
        };
        assert_eq!(a.percent(), 50.0);
        assert_eq!(overall([a, b].iter()), Some(75.0));
        assert_eq!(overall([].iter()), None);
    }
}
