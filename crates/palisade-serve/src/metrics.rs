//! Prometheus metrics, served at `/metrics` in the OpenMetrics text format.
//!
//! Every label takes its values from a closed set — endpoints, operations, decisions, modes,
//! rule ids from the catalog, a fixed list of kinds (others count as `other`) — so the number
//! of series cannot grow with what users send.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::verdict::Decision;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReviewLabels {
    endpoint: &'static str,
    kind: &'static str,
    operation: &'static str,
    decision: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    rule: &'static str,
    kind: &'static str,
    operation: &'static str,
    mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// Why a request got no AdmissionReview answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Malformed,
    TooLarge,
    Timeout,
}

impl Rejection {
    fn as_str(self) -> &'static str {
        match self {
            Rejection::Malformed => "malformed",
            Rejection::TooLarge => "too-large",
            Rejection::Timeout => "timeout",
        }
    }
}

pub struct Metrics {
    registry: Registry,
    reviews: Family<ReviewLabels, Counter>,
    findings: Family<FindingLabels, Counter>,
    duration: Family<EndpointLabels, Histogram>,
    rule_errors: Family<RuleLabels, Counter>,
    rejected: Family<ReasonLabels, Counter>,
    cert_reloads: Family<ResultLabels, Counter>,
    in_flight: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn operation(op: &str) -> &'static str {
    match op {
        "CREATE" => "CREATE",
        "UPDATE" => "UPDATE",
        "DELETE" => "DELETE",
        "CONNECT" => "CONNECT",
        _ => "other",
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("palisade_admission");
        let reviews = Family::<ReviewLabels, Counter>::default();
        registry.register(
            "reviews",
            "Admission reviews answered, by endpoint, kind, operation and decision",
            reviews.clone(),
        );
        let findings = Family::<FindingLabels, Counter>::default();
        registry.register(
            "findings",
            "Findings reported at admission, by rule, kind, operation and mode",
            findings.clone(),
        );
        let duration = Family::<EndpointLabels, Histogram>::new_with_constructor(|| {
            // 50 µs to ~13 s: admission must be fast, and the slow tail must still show.
            Histogram::new(exponential_buckets(0.00005, 2.0, 19))
        });
        registry.register(
            "review_duration_seconds",
            "Time from a complete request body to the answer",
            duration.clone(),
        );
        let rule_errors = Family::<RuleLabels, Counter>::default();
        registry.register(
            "rule_errors",
            "Rules that failed (panicked) while checking an object",
            rule_errors.clone(),
        );
        let rejected = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "rejected_requests",
            "Requests answered with an HTTP error instead of a review",
            rejected.clone(),
        );
        let cert_reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "certificate_reloads",
            "Serving certificate reloads after the files changed, by result",
            cert_reloads.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "reviews_in_flight",
            "Reviews being read or judged",
            in_flight.clone(),
        );
        Metrics {
            registry,
            reviews,
            findings,
            duration,
            rule_errors,
            rejected,
            cert_reloads,
            in_flight,
        }
    }

    /// Records one answered review. Dry-run requests count only towards latency: they change
    /// nothing in the cluster, and counting them would skew what the counters mean.
    pub fn record(
        &self,
        endpoint: &'static str,
        op: &str,
        dry_run: bool,
        decision: &Decision,
        seconds: f64,
    ) {
        self.duration
            .get_or_create(&EndpointLabels { endpoint })
            .observe(seconds);
        for rule in &decision.rule_errors {
            self.rule_errors.get_or_create(&RuleLabels { rule }).inc();
        }
        if dry_run {
            return;
        }
        let operation = operation(op);
        let verdict = if decision.skipped == Some("exempt") {
            "exempt"
        } else if !decision.response.allowed {
            "denied"
        } else if decision.patch_ops > 0 {
            "mutated"
        } else {
            "allowed"
        };
        self.reviews
            .get_or_create(&ReviewLabels {
                endpoint,
                kind: decision.kind,
                operation,
                decision: verdict,
            })
            .inc();
        for (rule, mode) in &decision.findings {
            self.findings
                .get_or_create(&FindingLabels {
                    rule,
                    kind: decision.kind,
                    operation,
                    mode: mode.as_str(),
                })
                .inc();
        }
    }

    pub fn reject(&self, why: Rejection) {
        self.rejected
            .get_or_create(&ReasonLabels {
                reason: why.as_str(),
            })
            .inc();
    }

    pub fn cert_reload(&self, ok: bool) {
        let result = if ok { "success" } else { "failure" };
        self.cert_reloads
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    pub fn in_flight(&self) -> &Gauge {
        &self.in_flight
    }

    /// The OpenMetrics text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
