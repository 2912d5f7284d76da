//! From an admission request to an answer, through the same engine as `palisade scan`.
//!
//! The object in the request becomes a model [`Object`] and goes through
//! [`Engine::check_object`] — the rules, severities, overrides and suppressions of the
//! configuration file, exactly as a scan of that object would see them. One engine exists per
//! Pod Security level and version; they are all built before the server reports ready, and
//! built again when the date changes so that suppression expiry dates take effect.
//!
//! What the answer says follows Pod Security Admission:
//!
//! * **Pods** (and their subresources other than `exec`, `attach`, `binding`, `eviction`,
//!   `log`, `portforward`, `proxy` and `status`, notably `ephemeralcontainers`) are refused
//!   when they fail the namespace's enforce level. An update is judged only when it changes
//!   something Pod Security looks at: containers added or removed, an image, a seccomp
//!   annotation, an ephemeral container.
//! * **Workloads** (Deployments, Jobs, CronJobs, … and pod-bearing CRDs) get audit
//!   annotations and warnings only, unless `workloads: enforce`: the pods they create are
//!   refused instead.
//! * **Namespaces** with invalid `pod-security.kubernetes.io/*` labels are refused.
//! * Palisade's other rules follow the namespace's `rules` mode: enforce, warn, audit or off.
//! * Exempt users, namespaces and runtime classes skip every check, and the audit log says why.
//!
//! A rule that panics never takes the server down or leaves a request unanswered: the panic is
//! caught, the rule is named in the answer, the other rules still run, and the configuration
//! (`on-rule-error`) decides whether an enforced request is admitted.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;

use arc_swap::ArcSwap;
use palisade_engine::{Config, Date, Engine, Finding, Policy, Selection};
use palisade_load::{Document, FieldPath, Node};
use palisade_model::{Object, PodKindTable, objects_from_document};
use palisade_rules::{Category, Cx, PssLevel, PssVersion, Rule, RuleMeta, Settings};

use crate::config::{Mode, ServeConfig};
use crate::mutate;
use crate::psa::{self, LevelVersion, NamespacePolicy};
use crate::review::{Request, Response};

/// Pod subresources that cannot change what Pod Security looks at.
const IGNORED_POD_SUBRESOURCES: &[&str] = &[
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

/// Kinds named in metrics; anything else is counted as `other`, so label sets stay bounded.
const METRIC_KINDS: &[&str] = &[
    "Pod",
    "PodTemplate",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Rollout",
    "DeploymentConfig",
    "Namespace",
    "Service",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
];

/// At most this many warnings per answer (the API server turns each into an HTTP header).
const MAX_WARNINGS: usize = 12;
/// Warnings longer than this may be cut by the API server; cut them ourselves, cleanly.
const MAX_WARNING_CHARS: usize = 256;

/// How a rule failure starts, wherever it is reported.
const FAILURE_PREFIX: &str = "rule ";

/// The name findings are filed under.
const ADMISSION_FILE: &str = "admission-request";

/// Everything that decided one answer, for logs and metrics.
#[derive(Debug, Clone)]
pub struct Decision {
    pub response: Response,
    /// The object's kind, or `other` (bounded, for metric labels).
    pub kind: &'static str,
    /// Findings that counted, by rule id and the mode that reported them.
    pub findings: Vec<(&'static str, Mode)>,
    /// Rules that failed (panicked) while checking this request.
    pub rule_errors: Vec<&'static str>,
    /// Why no rule ran, when none did: `exempt`, `not-significant`, `subresource`, …
    pub skipped: Option<&'static str>,
    /// The JSONPatch operations of a mutation (empty when nothing was added).
    pub patch_ops: usize,
}

impl Decision {
    fn new(response: Response, kind: &'static str) -> Decision {
        Decision {
            response,
            kind,
            findings: Vec::new(),
            rule_errors: Vec::new(),
            skipped: None,
            patch_ops: 0,
        }
    }

    fn skipped(mut self, why: &'static str) -> Decision {
        self.skipped = Some(why);
        self
    }
}

/// How engines are made from the configuration, so they can be made again.
struct Recipe {
    selection: Selection,
    allowed_registries: Vec<String>,
    pod_kinds: PodKindTable,
    config: Config,
    annotation_suppressions: bool,
    extra_rules: Vec<&'static Rule>,
}

impl Recipe {
    fn engine(
        &self,
        level: PssLevel,
        version: PssVersion,
        skip: &[&str],
    ) -> Result<Engine, String> {
        let settings = Settings {
            pss_level: level,
            pss_version: version,
            allowed_registries: self.allowed_registries.clone(),
        };
        let mut selection = self.selection.clone();
        selection.ignore.extend(
            skip.iter()
                .filter(|id| palisade_rules::find(id).is_some())
                .map(|id| id.to_string()),
        );
        let policy = Policy {
            ignore_annotation_suppressions: !self.annotation_suppressions,
            severity: self.config.severity.value.clone(),
            overrides: self.config.overrides.value.clone(),
            suppressions: self.config.suppressions.value.clone(),
            baseline: None,
            report_unused: false,
            // Path globs mean nothing for an object that comes from no file.
            base_dir: None,
            today: None,
        };
        let extra = self
            .extra_rules
            .iter()
            .copied()
            .filter(|r| !skip.contains(&r.meta.id));
        Ok(Engine::new(&selection, settings, self.pod_kinds.clone())
            .map_err(|e| e.to_string())?
            .with_policy(policy)?
            .with_rules(extra))
    }
}

/// Every engine, built on one day.
struct Engines {
    day: Date,
    by_profile: HashMap<(PssLevel, PssVersion), Arc<Engine>>,
}

const LEVELS: [PssLevel; 3] = [
    PssLevel::Privileged,
    PssLevel::Baseline,
    PssLevel::Restricted,
];

impl Engines {
    fn build(recipe: &Recipe) -> Result<Engines, String> {
        let mut by_profile = HashMap::new();
        for level in LEVELS {
            for minor in 0..=palisade_rules::PSS_LATEST_MINOR {
                let version = PssVersion::v1(minor);
                by_profile.insert(
                    (level, version),
                    Arc::new(recipe.engine(level, version, &[])?),
                );
            }
        }
        Ok(Engines {
            day: Date::today(),
            by_profile,
        })
    }
}

/// One finding as the answer shows it.
#[derive(Debug, Clone)]
struct Hit {
    rule: &'static RuleMeta,
    message: String,
    field: String,
}

impl Hit {
    fn from_finding(f: &Finding) -> Hit {
        Hit {
            rule: f.rule,
            message: f.message.clone(),
            field: f.field.to_string(),
        }
    }

    fn pss(&self) -> bool {
        self.rule.category == Category::Pss
    }

    fn same(&self, other: &Hit) -> bool {
        self.rule.id == other.rule.id && self.field == other.field && self.message == other.message
    }

    fn detail(&self) -> String {
        let (rule, message) = (self.rule, &self.message);
        // A finding about the object as a whole names no field.
        match self.field.as_str() {
            "" => format!("{} {}: {message}", rule.id, rule.name),
            field => format!("{} {}: {message} (at {field})", rule.id, rule.name),
        }
    }
}

/// A rule that failed while checking an object.
#[derive(Debug, Clone)]
struct RuleFailure {
    rule: &'static str,
    pss: bool,
    message: String,
}

/// What one engine found in one object.
#[derive(Debug, Clone, Default)]
struct Evaluation {
    hits: Vec<Hit>,
    failures: Vec<RuleFailure>,
}

/// Decides admission requests.
pub struct Verdicts {
    config: ServeConfig,
    recipe: Recipe,
    engines: ArcSwap<Engines>,
    file: Arc<str>,
}

impl Verdicts {
    /// Builds every engine from the configuration file's settings and its `serve` section.
    pub fn new(config: &Config, serve: ServeConfig) -> Result<Verdicts, String> {
        Verdicts::with_rules(config, serve, Vec::new())
    }

    /// As [`Verdicts::new`], with rules beyond the catalog.
    pub fn with_rules(
        config: &Config,
        serve: ServeConfig,
        extra_rules: Vec<&'static Rule>,
    ) -> Result<Verdicts, String> {
        let mut extend_select = config.extend_select.value.clone();
        if !config.allowed_registries.value.is_empty() {
            extend_select.push("image-registry-not-allowed".into());
        }
        let mut pod_kinds = PodKindTable::default();
        for spec in &config.pod_kinds.value {
            pod_kinds.add(spec)?;
        }
        let recipe = Recipe {
            selection: Selection {
                select: config.select.value.clone(),
                extend_select,
                ignore: config.ignore.value.clone(),
            },
            allowed_registries: config.allowed_registries.value.clone(),
            pod_kinds,
            config: config.clone(),
            annotation_suppressions: serve.annotation_suppressions,
            extra_rules,
        };
        let engines = Engines::build(&recipe)?;
        Ok(Verdicts {
            config: serve,
            recipe,
            engines: ArcSwap::from_pointee(engines),
            file: Arc::from(ADMISSION_FILE),
        })
    }

    pub fn config(&self) -> &ServeConfig {
        &self.config
    }

    /// The engines of today, rebuilt when the date has changed.
    fn engines(&self) -> arc_swap::Guard<Arc<Engines>> {
        let engines = self.engines.load();
        if engines.day == Date::today() {
            return engines;
        }
        match Engines::build(&self.recipe) {
            Ok(fresh) => self.engines.store(Arc::new(fresh)),
            Err(e) => tracing::error!(error = %e, "could not rebuild the rule engines"),
        }
        self.engines.load()
    }

    /// Runs an engine over an object; a rule that panics is named, and the others still run.
    fn evaluate(&self, engines: &Engines, lv: LevelVersion, obj: &Object) -> Evaluation {
        let built;
        let engine = match engines.by_profile.get(&lv.key()) {
            Some(e) => e.as_ref(),
            None => {
                // Every profile is built up front; this only guards against a gap.
                built = self.recipe.engine(lv.level, lv.version, &[]);
                match &built {
                    Ok(e) => e,
                    Err(_) => return Evaluation::default(),
                }
            }
        };
        if let Ok(result) = catch_unwind(AssertUnwindSafe(|| engine.check_object(obj, &self.file)))
        {
            return Evaluation {
                hits: unsuppressed(&result.findings),
                failures: Vec::new(),
            };
        }

        // Find which rules fail, then run the rest with the same policy.
        let mut failures = Vec::new();
        for rule in engine.rules() {
            if !rule.is_object_rule() || !rule.applies_to(obj) {
                continue;
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let mut cx = Cx::new(obj, engine.settings());
                rule.check.run_object(&mut cx);
            }));
            if let Err(payload) = outcome {
                failures.push(RuleFailure {
                    rule: rule.meta.id,
                    pss: rule.meta.category == Category::Pss,
                    message: panic_message(payload.as_ref()),
                });
            }
        }
        for f in &failures {
            tracing::error!(rule = f.rule, error = %f.message, object = %obj.id, "a rule failed");
        }
        let skip: Vec<&str> = failures.iter().map(|f| f.rule).collect();
        let hits = self
            .recipe
            .engine(lv.level, lv.version, &skip)
            .ok()
            .and_then(|e| catch_unwind(AssertUnwindSafe(|| e.check_object(obj, &self.file))).ok())
            .map(|r| unsuppressed(&r.findings))
            .unwrap_or_default();
        Evaluation { hits, failures }
    }

    /// Answers a `/validate` request.
    /// The request's `object` is taken out of it.
    pub fn validate(&self, req: &mut Request) -> Decision {
        let allow = Response::allow(&req.uid);
        let is_pod = req.resource.group.is_empty() && req.resource.resource == "pods";
        let is_namespace = req.resource.group.is_empty() && req.resource.resource == "namespaces";
        let kind = metric_kind(&req.kind.kind);

        if is_namespace {
            return self.validate_namespace(req, allow, kind);
        }
        if is_pod && IGNORED_POD_SUBRESOURCES.contains(&req.sub_resource.as_str()) {
            return Decision::new(allow, kind).skipped("subresource");
        }
        if !is_pod && !req.sub_resource.is_empty() {
            return Decision::new(allow, kind).skipped("subresource");
        }
        if !matches!(req.operation.as_str(), "CREATE" | "UPDATE") {
            return Decision::new(allow, kind).skipped("operation");
        }
        if let Some(exempt) = self.exemption(req) {
            return exempt_decision(allow, kind, exempt);
        }

        let obj = match self.object(req) {
            Ok(obj) => obj,
            Err(message) => return bad_request(allow, kind, message),
        };
        if let (true, "UPDATE", Some(old)) = (is_pod, req.operation.as_str(), &req.old_object)
            && !significant_pod_update(&obj.root, old)
        {
            return Decision::new(allow, kind).skipped("not-significant");
        }
        if self.runtime_class_exempt(&obj) {
            return exempt_decision(allow, kind, "runtimeClass");
        }

        let settings = *self.config.namespace(&req.namespace);
        let enforce_pss = is_pod || (self.config.enforce_workloads && obj.pod.is_some());
        self.judge(
            &obj,
            allow,
            kind,
            &settings.policy,
            settings.rules,
            enforce_pss,
            is_pod,
        )
    }

    /// Runs the rules for each mode and composes the answer.
    #[allow(clippy::too_many_arguments)]
    fn judge(
        &self,
        obj: &Object,
        mut response: Response,
        kind: &'static str,
        policy: &NamespacePolicy,
        rules_mode: Mode,
        enforce_pss: bool,
        is_pod: bool,
    ) -> Decision {
        let bears_pod = obj.pod.is_some();
        let engines = self.engines();
        // One evaluation per profile, however many modes share it.
        let mut cache: Vec<(LevelVersion, Rc<Evaluation>)> = Vec::new();
        let mut run = |lv: LevelVersion| -> Rc<Evaluation> {
            let key = lv.key();
            if let Some((_, e)) = cache.iter().find(|(l, _)| l.key() == key) {
                return e.clone();
            }
            let e = Rc::new(self.evaluate(&engines, lv, obj));
            cache.push((lv, e.clone()));
            e
        };

        let mut decision_findings = Vec::new();
        let mut rule_errors: Vec<&'static str> = Vec::new();
        let mut deny: Vec<String> = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        let mut errors_seen = Vec::new();

        // Pod Security, enforce mode.
        if enforce_pss && bears_pod {
            if is_pod {
                response
                    .audit_annotations
                    .insert("enforce-policy".into(), policy.enforce.to_string());
            }
            let e = run(policy.enforce);
            let hits: Vec<&Hit> = e.hits.iter().filter(|h| h.pss()).collect();
            if !hits.is_empty() {
                deny.push(format!(
                    "violates PodSecurity \"{}\": {}",
                    policy.enforce,
                    details(&hits)
                ));
                decision_findings.extend(hits.iter().map(|h| (h.rule.id, Mode::Enforce)));
            }
            self.note_failures(
                &e,
                Some(true),
                true,
                &mut deny,
                &mut warnings,
                &mut errors_seen,
            );
        }

        // Palisade's own rules, from whichever evaluation comes first.
        if rules_mode != Mode::Off {
            let lv = if enforce_pss && bears_pod {
                policy.enforce
            } else {
                policy.warn
            };
            let e = run(lv);
            let own: Vec<&Hit> = e.hits.iter().filter(|h| !h.pss()).collect();
            if !own.is_empty() {
                decision_findings.extend(own.iter().map(|h| (h.rule.id, rules_mode)));
                match rules_mode {
                    Mode::Enforce => {
                        deny.push(format!("violates Palisade policy: {}", details(&own)))
                    }
                    Mode::Warn => warnings.extend(own.iter().map(|h| h.detail())),
                    Mode::Audit => {
                        response
                            .audit_annotations
                            .insert("policy-audit-violations".into(), details(&own));
                    }
                    Mode::Off => {}
                }
            }
            self.note_failures(
                &e,
                Some(false),
                rules_mode == Mode::Enforce,
                &mut deny,
                &mut warnings,
                &mut errors_seen,
            );
        }

        // Pod Security, audit mode.
        if bears_pod && policy.audit.level != PssLevel::Privileged {
            let e = run(policy.audit);
            let hits: Vec<&Hit> = e.hits.iter().filter(|h| h.pss()).collect();
            if !hits.is_empty() {
                response.audit_annotations.insert(
                    "audit-violations".into(),
                    format!(
                        "would violate PodSecurity \"{}\": {}",
                        policy.audit,
                        details(&hits)
                    ),
                );
                decision_findings.extend(hits.iter().map(|h| (h.rule.id, Mode::Audit)));
            }
            self.note_failures(
                &e,
                Some(true),
                false,
                &mut deny,
                &mut warnings,
                &mut errors_seen,
            );
        }

        // Pod Security, warn mode: only for requests that are admitted, as upstream.
        if bears_pod && deny.is_empty() && policy.warn.level != PssLevel::Privileged {
            let e = run(policy.warn);
            let hits: Vec<&Hit> = e.hits.iter().filter(|h| h.pss()).collect();
            if !hits.is_empty() {
                warnings.splice(
                    0..0,
                    hits.iter().map(|h| {
                        format!(
                            "would violate PodSecurity \"{}\": {}",
                            policy.warn,
                            h.detail()
                        )
                    }),
                );
                decision_findings.extend(hits.iter().map(|h| (h.rule.id, Mode::Warn)));
            }
            self.note_failures(
                &e,
                Some(true),
                false,
                &mut deny,
                &mut warnings,
                &mut errors_seen,
            );
        }

        for f in &errors_seen {
            rule_errors.push(f);
        }
        if !errors_seen.is_empty() {
            response.audit_annotations.insert(
                "error".into(),
                format!("rules failed: {}", errors_seen.join(", ")),
            );
        }
        if !deny.is_empty() {
            // Rule failures that did not refuse the request are still reported with it.
            deny.extend(
                warnings
                    .into_iter()
                    .filter(|w| w.starts_with(FAILURE_PREFIX)),
            );
            response.forbid(deny.join("; "));
        } else {
            response.warnings = bounded_warnings(warnings);
        }
        let mut d = Decision::new(response, kind);
        d.findings = decision_findings;
        d.rule_errors = rule_errors;
        d
    }

    /// Reports rules that failed (of the `pss` category or not, as `pss` says): a refusal when
    /// their mode enforces and the configuration says so, else a warning.
    fn note_failures(
        &self,
        e: &Evaluation,
        pss: Option<bool>,
        enforced: bool,
        deny: &mut Vec<String>,
        warnings: &mut Vec<String>,
        seen: &mut Vec<&'static str>,
    ) {
        for f in &e.failures {
            if pss.is_some_and(|p| p != f.pss) || seen.contains(&f.rule) {
                continue;
            }
            seen.push(f.rule);
            let text = format!(
                "{FAILURE_PREFIX}{} failed while checking this object: {}",
                f.rule, f.message
            );
            if enforced && self.config.deny_on_rule_error {
                deny.push(format!("{text} (refused: on-rule-error is deny)"));
            } else {
                warnings.push(text);
            }
        }
    }

    fn validate_namespace(&self, req: &Request, allow: Response, kind: &'static str) -> Decision {
        if !req.sub_resource.is_empty() || !matches!(req.operation.as_str(), "CREATE" | "UPDATE") {
            return Decision::new(allow, kind).skipped("operation");
        }
        let Some(ns) = &req.object else {
            return bad_request(allow, kind, "the request has no object".into());
        };
        let defaults = self.config.namespace(&req.name).policy;
        let (_, errors) = psa::policy_from_labels(labels(ns), &defaults);
        if errors.is_empty() {
            return Decision::new(allow, kind);
        }
        // Labels that were already wrong do not block unrelated changes.
        if let (Some(old), "UPDATE") = (&req.old_object, req.operation.as_str()) {
            let (_, old_errors) = psa::policy_from_labels(labels(old), &defaults);
            if !old_errors.is_empty() && old_errors == errors {
                return Decision::new(allow, kind);
            }
        }
        let mut response = allow;
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        response.invalid(format!(
            "Namespace \"{}\" is invalid: {}",
            req.name,
            list.join(", ")
        ));
        Decision::new(response, kind)
    }

    fn exemption(&self, req: &Request) -> Option<&'static str> {
        let x = &self.config.exemptions;
        if !req.namespace.is_empty() && x.namespaces.contains(&req.namespace) {
            return Some("namespace");
        }
        if !req.user_info.username.is_empty() && x.usernames.contains(&req.user_info.username) {
            return Some("user");
        }
        None
    }

    fn runtime_class_exempt(&self, obj: &Object) -> bool {
        let Some(pod) = &obj.pod else { return false };
        pod.spec_node(&obj.root)
            .and_then(|s| s.get("runtimeClassName"))
            .and_then(Node::as_str)
            .is_some_and(|rc| !rc.is_empty() && self.config.exemptions.runtime_classes.contains(rc))
    }

    /// The request's object in the model, with the request's namespace when it names none.
    fn object(&self, req: &mut Request) -> Result<Object, String> {
        let Some(root) = req.object.take() else {
            return Err("the request has no object".into());
        };
        let found = objects_from_document(Document { index: 0, root }, &self.recipe.pod_kinds);
        let mut obj = found
            .objects
            .into_iter()
            .next()
            .ok_or("the request's object has no apiVersion and kind")?;
        if obj.id.namespace.is_none() && !req.namespace.is_empty() {
            obj.id.namespace = Some(req.namespace.clone());
        }
        if obj.id.name.is_none() && !req.name.is_empty() {
            obj.id.name = Some(req.name.clone());
        }
        Ok(obj)
    }

    /// Answers a `/mutate` request: adds safe defaults to Pods in namespaces that opted in.
    /// Never refuses; `/validate` judges the result.
    /// The request's `object` is taken out of it.
    pub fn mutate(&self, req: &mut Request) -> Decision {
        let allow = Response::allow(&req.uid);
        let kind = metric_kind(&req.kind.kind);
        let is_pod = req.resource.group.is_empty() && req.resource.resource == "pods";
        if !is_pod || !req.sub_resource.is_empty() || req.operation != "CREATE" {
            return Decision::new(allow, kind).skipped("operation");
        }
        if !self.config.namespace(&req.namespace).mutate {
            return Decision::new(allow, kind).skipped("not-opted-in");
        }
        if let Some(exempt) = self.exemption(req) {
            return exempt_decision(allow, kind, exempt);
        }
        let obj = match self.object(req) {
            Ok(obj) => obj,
            Err(message) => return bad_request(allow, kind, message),
        };
        if self.runtime_class_exempt(&obj) {
            return exempt_decision(allow, kind, "runtimeClass");
        }
        let ops = mutate::secure_defaults(&obj);
        let mut response = allow;
        let count = ops.len();
        if !ops.is_empty() {
            response.patch_type = Some("JSONPatch");
            response.patch = Some(mutate::encode(&ops));
            response
                .audit_annotations
                .insert("mutated".into(), mutate::summary(&ops));
        }
        let mut d = Decision::new(response, kind);
        d.patch_ops = count;
        d
    }
}

fn unsuppressed(findings: &[Finding]) -> Vec<Hit> {
    let mut hits: Vec<Hit> = Vec::with_capacity(findings.len());
    for f in findings.iter().filter(|f| f.suppression.is_none()) {
        let hit = Hit::from_finding(f);
        if !hits.iter().any(|h| h.same(&hit)) {
            hits.push(hit);
        }
    }
    hits
}

fn details(hits: &[&Hit]) -> String {
    hits.iter()
        .map(|h| h.detail())
        .collect::<Vec<_>>()
        .join("; ")
}

fn bounded_warnings(mut warnings: Vec<String>) -> Vec<String> {
    let extra = warnings.len().saturating_sub(MAX_WARNINGS);
    warnings.truncate(MAX_WARNINGS);
    for w in &mut warnings {
        if w.chars().count() > MAX_WARNING_CHARS {
            *w = w.chars().take(MAX_WARNING_CHARS - 1).collect::<String>() + "…";
        }
    }
    if extra > 0 {
        warnings.push(format!(
            "… and {extra} more finding(s); see the audit log or run `palisade scan`"
        ));
    }
    warnings
}

fn exempt_decision(mut response: Response, kind: &'static str, why: &'static str) -> Decision {
    response
        .audit_annotations
        .insert("exempt".into(), why.into());
    Decision::new(response, kind).skipped("exempt")
}

fn bad_request(mut response: Response, kind: &'static str, message: String) -> Decision {
    response.allowed = false;
    response.status = Some(crate::review::Status {
        code: 400,
        reason: "BadRequest".into(),
        message,
    });
    Decision::new(response, kind).skipped("bad-request")
}

fn metric_kind(kind: &str) -> &'static str {
    METRIC_KINDS
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("other")
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked".into())
}

/// A namespace object's labels.
fn labels(ns: &Node) -> impl Iterator<Item = (&str, &str)> {
    ns.get("metadata")
        .and_then(|m| m.get("labels"))
        .map_or(&[][..], Node::entries)
        .iter()
        .filter_map(|e| Some((e.key.as_str(), e.value.as_str()?)))
}

/// Whether a pod update changes what Pod Security looks at (upstream's rule): the seccomp
/// annotations, the number of containers or init containers, an image, or an ephemeral
/// container added or changed. Everything else a pod update can change is allowed through.
pub fn significant_pod_update(new: &Node, old: &Node) -> bool {
    const POD_SECCOMP: &str = "seccomp.security.alpha.kubernetes.io/pod";
    const CONTAINER_SECCOMP: &str = "container.seccomp.security.alpha.kubernetes.io/";
    let annotation = |pod: &Node, key: &str| -> Option<String> {
        pod.at(FieldPath::root()
            .keys(&["metadata", "annotations", key])
            .segments())
            .and_then(Node::scalar_text)
    };
    let containers = |pod: &Node, field: &str| -> Vec<Node> {
        pod.get("spec")
            .and_then(|s| s.get(field))
            .map_or(&[][..], Node::items)
            .to_vec()
    };
    let name = |c: &Node| {
        c.get("name")
            .and_then(Node::scalar_text)
            .unwrap_or_default()
    };
    let image = |c: &Node| c.get("image").and_then(Node::scalar_text);
    let changed = |c: &Node, o: &Node| {
        let key = format!("{CONTAINER_SECCOMP}{}", name(c));
        image(c) != image(o) || annotation(new, &key) != annotation(old, &key)
    };

    if annotation(new, POD_SECCOMP) != annotation(old, POD_SECCOMP) {
        return true;
    }
    for field in ["containers", "initContainers"] {
        let (n, o) = (containers(new, field), containers(old, field));
        if n.len() != o.len() || n.iter().zip(&o).any(|(c, oc)| changed(c, oc)) {
            return true;
        }
    }
    let old_ephemeral = containers(old, "ephemeralContainers");
    containers(new, "ephemeralContainers").iter().any(|c| {
        match old_ephemeral.iter().find(|o| name(o) == name(c)) {
            None => true,
            Some(o) => changed(c, o),
        }
    })
}

/// The label sets metrics use, bounded: rule ids from the catalog, these kinds, four modes.
pub fn metric_kinds() -> &'static [&'static str] {
    METRIC_KINDS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: &str) -> Node {
        crate::json::parse(json).unwrap()
    }

    #[test]
    fn only_significant_pod_updates_are_judged() {
        let old = pod(
            r#"{"metadata":{"labels":{"a":"1"}},"spec":{"containers":[{"name":"c","image":"nginx:1"}]}}"#,
        );
        let relabelled = pod(
            r#"{"metadata":{"labels":{"a":"2"}},"spec":{"containers":[{"name":"c","image":"nginx:1"}],"activeDeadlineSeconds":5}}"#,
        );
        assert!(!significant_pod_update(&relabelled, &old));
        let new_image = pod(r#"{"spec":{"containers":[{"name":"c","image":"nginx:2"}]}}"#);
        assert!(significant_pod_update(&new_image, &old));
        let debug = pod(
            r#"{"spec":{"containers":[{"name":"c","image":"nginx:1"}],"ephemeralContainers":[{"name":"d","image":"busybox"}]}}"#,
        );
        assert!(significant_pod_update(&debug, &old));
        assert!(!significant_pod_update(&debug, &debug));
        let seccomp = pod(
            r#"{"metadata":{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined"}},"spec":{"containers":[{"name":"c","image":"nginx:1"}]}}"#,
        );
        assert!(significant_pod_update(&seccomp, &old));
    }

    #[test]
    fn warnings_are_bounded_in_number_and_length() {
        let w = bounded_warnings((0..20).map(|i| format!("{i}{}", "x".repeat(400))).collect());
        assert_eq!(w.len(), MAX_WARNINGS + 1);
        assert!(
            w.iter()
                .all(|w| w.chars().count() <= MAX_WARNING_CHARS + 80)
        );
        assert!(w.last().unwrap().contains("8 more"));
    }

    #[test]
    fn unknown_kinds_are_counted_as_other() {
        assert_eq!(metric_kind("Deployment"), "Deployment");
        assert_eq!(metric_kind("Widget"), "other");
    }
}
