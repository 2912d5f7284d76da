//! What a rule is.
//!
//! A rule is data ([`RuleMeta`]) plus a check function. The check looks at one [`Object`] and
//! reports [`Violation`]s as paths into it; the engine turns paths into source positions. The
//! documentation of a rule is the doc comment on its `static`, written in fixed sections, and
//! `palisade rules explain` prints that same text: there is one source of truth.

use std::fmt;

use palisade_dockerfile::{Dockerfile, Instruction};
use palisade_load::{FieldPath, Span};
use palisade_model::{Container, Object};

use crate::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// Pod Security Standards, as enforced by Pod Security Admission.
    Pss,
    /// Where images come from and how they are pinned.
    Image,
    /// Settings that shrink what a compromised container can do, beyond PSS.
    Hardening,
    /// Settings that keep workloads available and schedulable.
    Reliability,
    /// Credentials written into manifests.
    Secrets,
    /// Role-based access control: Roles and bindings, and what subjects and workloads can
    /// do through them.
    Rbac,
    /// How Services expose workloads.
    Network,
    /// How changes roll out and pods are disrupted: update strategies, disruption budgets,
    /// canaries.
    Rollout,
    /// Service mesh routing and security (Istio): routes, subsets, mutual TLS, egress.
    Mesh,
    /// Dockerfiles and Containerfiles.
    Dockerfile,
    /// A team's own rules: Rego modules and ValidatingAdmissionPolicies.
    Custom,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::Pss,
        Category::Image,
        Category::Hardening,
        Category::Reliability,
        Category::Secrets,
        Category::Rbac,
        Category::Network,
        Category::Rollout,
        Category::Mesh,
        Category::Dockerfile,
        Category::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Pss => "pss",
            Category::Image => "image",
            Category::Hardening => "hardening",
            Category::Reliability => "reliability",
            Category::Secrets => "secrets",
            Category::Rbac => "rbac",
            Category::Network => "network",
            Category::Rollout => "rollout",
            Category::Mesh => "mesh",
            Category::Dockerfile => "dockerfile",
            Category::Custom => "custom",
        }
    }

    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// The kinds a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// Every kind with a pod template (see `palisade_model::PodKindTable`).
    PodBearing,
    /// These kinds, in any API group.
    Kinds(&'static [&'static str]),
    /// Every namespaced object.
    Namespaced,
    /// Dockerfiles (and Containerfiles), not Kubernetes objects.
    Dockerfile,
    /// Whatever a custom rule's own match says ([`CustomCheck::applies`]); the kinds are
    /// described for listings.
    Custom(&'static str),
}

impl Applies {
    pub fn matches(self, obj: &Object) -> bool {
        match self {
            Applies::PodBearing => obj.pod.is_some(),
            Applies::Kinds(kinds) => {
                kinds.contains(&obj.id.kind.as_str())
                    && crate::kinds::is_builtin_group(&obj.id.kind, obj.id.group())
            }
            Applies::Namespaced => !crate::kinds::is_cluster_scoped(&obj.id.kind),
            Applies::Dockerfile => false,
            // The engine asks the custom check itself.
            Applies::Custom(_) => false,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Applies::PodBearing => "every kind with a pod template".into(),
            Applies::Kinds(kinds) => kinds.join(", "),
            Applies::Namespaced => "every namespaced kind".into(),
            Applies::Dockerfile => "Dockerfiles and Containerfiles".into(),
            Applies::Custom(kinds) => kinds.into(),
        }
    }
}

/// Which Pod Security Standards level a `pss` rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PssLevel {
    Privileged,
    Baseline,
    Restricted,
}

impl PssLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PssLevel::Privileged => "privileged",
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        }
    }

    pub fn parse(text: &str) -> Option<PssLevel> {
        [
            PssLevel::Privileged,
            PssLevel::Baseline,
            PssLevel::Restricted,
        ]
        .into_iter()
        .find(|l| l.as_str() == text)
    }
}

/// Everything about a rule except its check.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable identifier, never reused: `PSS002`.
    pub id: &'static str,
    /// Readable kebab-case name: `privileged-container`.
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// Whether the rule runs without being selected.
    pub default_enabled: bool,
    pub applies: Applies,
    /// For `pss` rules: the level the check belongs to.
    pub pss_level: Option<PssLevel>,
    /// Other tools' codes for the same check (hadolint's `DL3008`), accepted wherever a rule id
    /// is: `--select`, `--ignore`, `rules explain`, suppressions.
    pub aliases: &'static [&'static str],
    /// One line for listings.
    pub summary: &'static str,
    /// Markdown with the sections `## What it checks`, `## Why it matters`, `## Example`,
    /// `## Fix` and `## References`.
    pub doc: &'static str,
}

impl RuleMeta {
    /// The documentation as Markdown, without the space doc comments keep after `///` (custom
    /// rules' documentation has none to take off).
    pub fn documentation(&self) -> String {
        let mut out = String::with_capacity(self.doc.len());
        for line in self.doc.trim_end().lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// Whether `key` is this rule's id, name or one of its aliases (any case).
    pub fn answers_to(&self, key: &str) -> bool {
        self.id.eq_ignore_ascii_case(key)
            || self.name.eq_ignore_ascii_case(key)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(key))
    }
}

/// A rule: its metadata and its check.
pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}

/// What a rule looks at.
#[derive(Clone, Copy)]
pub enum Check {
    /// One Kubernetes object at a time.
    Object(fn(&mut Cx<'_>)),
    /// One Dockerfile at a time.
    Dockerfile(fn(&mut DockerfileCx<'_>)),
    /// Every object of a scan at once: how objects combine (a binding and its role, a Service
    /// and the pods it selects). Such rules need the whole set, so they run in `scan`, not on
    /// the single object an admission webhook sees.
    Set(fn(&mut SetCx<'_>)),
    /// One Kubernetes object at a time, by a rule loaded at run time (a Rego module, a
    /// ValidatingAdmissionPolicy).
    Custom(&'static dyn CustomCheck),
}

/// The check of a rule loaded at run time. It runs wherever object rules run: in `scan` and
/// in the admission webhook.
pub trait CustomCheck: Send + Sync {
    /// Whether the rule looks at `obj` at all (its own kinds or match rules).
    fn applies(&self, obj: &Object) -> bool;

    /// Reports the object's violations into `cx`. A policy that cannot be evaluated on the
    /// object reports that as a violation, so the object is never passed unjudged.
    fn check(&self, cx: &mut Cx<'_>);
}

impl Check {
    /// Whether the rule looks at the whole set of scanned objects.
    pub fn is_set(&self) -> bool {
        matches!(self, Check::Set(_))
    }

    /// Runs an object check (built in or custom) on `cx`'s object; other checks do nothing.
    pub fn run_object(&self, cx: &mut Cx<'_>) {
        match self {
            Check::Object(check) => check(cx),
            Check::Custom(check) => check.check(cx),
            _ => {}
        }
    }
}

impl Rule {
    /// Whether this rule looks at `obj`, by its kinds or, for a custom rule, its own match.
    pub fn applies_to(&self, obj: &Object) -> bool {
        match self.check {
            Check::Custom(check) => check.applies(obj),
            _ => self.meta.applies.matches(obj),
        }
    }

    /// Whether this rule checks one Kubernetes object at a time.
    pub fn is_object_rule(&self) -> bool {
        matches!(self.check, Check::Object(_) | Check::Custom(_))
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule").field("id", &self.meta.id).finish()
    }
}

/// One problem a rule found in one object, as a path into that object.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub path: FieldPath,
    pub message: String,
    /// The container involved, if any.
    pub container: Option<String>,
    /// A severity for this violation other than the rule's default, when one rule covers
    /// causes of different weight.
    pub severity: Option<Severity>,
    /// Which of the rule's cases this is, where one rule covers several checks of other
    /// scanners (`hostPID` of `host-namespaces`, `cpu` of `missing-resource-requests`): a
    /// suppression written for one of those checks covers only its own cases. A violation
    /// that is several cases at once (a container missing both CPU and memory requests) lists
    /// each, and is covered only when every one of them is.
    pub cases: Vec<String>,
}

/// What a check sees, and where it reports.
pub struct Cx<'a> {
    pub obj: &'a Object,
    pub settings: &'a Settings,
    memo: Option<&'a SetShared>,
    violations: Vec<Violation>,
}

impl<'a> Cx<'a> {
    pub fn new(obj: &'a Object, settings: &'a Settings) -> Self {
        Cx {
            obj,
            settings,
            memo: None,
            violations: Vec::new(),
        }
    }

    /// A context whose checks share `memo`: one per object, for every rule run on it.
    pub fn with_memo(obj: &'a Object, settings: &'a Settings, memo: &'a SetShared) -> Self {
        Cx {
            memo: Some(memo),
            ..Cx::new(obj, settings)
        }
    }

    /// A value derived from the object (such as the JSON view custom rules evaluate),
    /// computed by the first rule that asks for it when the rules share a memo.
    pub fn memo<T: std::any::Any>(&self, make: impl FnOnce(&Object) -> T) -> std::rc::Rc<T> {
        let obj = self.obj;
        match self.memo {
            Some(memo) => memo.get_or_make(|| make(obj)),
            None => std::rc::Rc::new(make(obj)),
        }
    }

    /// Reports a problem with the object at `path`.
    pub fn report(&mut self, path: FieldPath, message: impl Into<String>) {
        self.violations.push(Violation {
            path,
            message: message.into(),
            container: None,
            severity: None,
            cases: Vec::new(),
        });
    }

    /// Reports a problem with the object at `path` at a severity other than the rule's.
    pub fn report_as(&mut self, severity: Severity, path: FieldPath, message: impl Into<String>) {
        self.report(path, message);
        if let Some(v) = self.violations.last_mut() {
            v.severity = Some(severity);
        }
    }

    /// Reports a problem with one container at `path`.
    pub fn report_container(
        &mut self,
        container: &Container,
        path: FieldPath,
        message: impl Into<String>,
    ) {
        self.violations.push(Violation {
            path,
            message: message.into(),
            container: Some(container.name.clone()),
            severity: None,
            cases: Vec::new(),
        });
    }

    /// Reports a problem with one container at a severity other than the rule's.
    pub fn report_container_as(
        &mut self,
        severity: Severity,
        container: &Container,
        path: FieldPath,
        message: impl Into<String>,
    ) {
        self.report_container(container, path, message);
        if let Some(v) = self.violations.last_mut() {
            v.severity = Some(severity);
        }
    }

    /// Names the case of the rule that the violation just reported is (see
    /// [`Violation::cases`]); called again, adds another.
    pub fn case(&mut self, case: impl Into<String>) {
        if let Some(v) = self.violations.last_mut() {
            v.cases.push(case.into());
        }
    }

    pub fn into_violations(self) -> Vec<Violation> {
        self.violations
    }
}

/// One problem a cross-object rule found, as a path into one of the scanned objects.
#[derive(Debug, Clone, PartialEq)]
pub struct SetViolation {
    /// Index of the object in [`SetCx::objects`].
    pub object: usize,
    pub path: FieldPath,
    pub message: String,
    pub container: Option<String>,
    pub severity: Option<Severity>,
}

/// Values computed once and shared by every rule that asks for them, keyed by type: per scan,
/// the analyses of cross-object rules (the RBAC graph, the NetworkPolicy model); per object,
/// the views custom rules evaluate ([`Cx::memo`]).
#[derive(Default)]
pub struct SetShared {
    slots: std::cell::RefCell<Vec<(std::any::TypeId, std::rc::Rc<dyn std::any::Any>)>>,
}

impl SetShared {
    /// The value of type `T`, made by `make` the first time it is asked for.
    pub fn get_or_make<T: std::any::Any>(&self, make: impl FnOnce() -> T) -> std::rc::Rc<T> {
        let id = std::any::TypeId::of::<T>();
        let found = self
            .slots
            .borrow()
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, v)| v.clone());
        if let Some(v) = found.and_then(|v| v.downcast::<T>().ok()) {
            return v;
        }
        let v = std::rc::Rc::new(make());
        self.slots.borrow_mut().push((id, v.clone()));
        v
    }
}

/// What a cross-object check sees, and where it reports.
pub struct SetCx<'a> {
    /// Every object of the scan, in file order.
    pub objects: &'a [&'a Object],
    pub settings: &'a Settings,
    shared: &'a SetShared,
    files: Option<&'a [&'a str]>,
    violations: Vec<SetViolation>,
    deferred: Vec<usize>,
}

impl<'a> SetCx<'a> {
    pub fn new(objects: &'a [&'a Object], settings: &'a Settings, shared: &'a SetShared) -> Self {
        SetCx {
            objects,
            settings,
            shared,
            files: None,
            violations: Vec::new(),
            deferred: Vec::new(),
        }
    }

    /// Tells the checks which file each object comes from (index for index), so that a
    /// message can say where another object involved in a finding is written.
    pub fn with_files(mut self, files: &'a [&'a str]) -> Self {
        self.files = Some(files);
        self
    }

    /// The file of each object, when the caller gave them.
    pub fn files(&self) -> Option<&'a [&'a str]> {
        self.files
    }

    /// An analysis of the whole set, computed by the first rule that asks for it.
    pub fn shared<T: std::any::Any>(&self, make: impl FnOnce(&[&Object]) -> T) -> std::rc::Rc<T> {
        let objects = self.objects;
        self.shared.get_or_make(|| make(objects))
    }

    /// Reports a problem with object `object` (an index into `objects`) at `path`.
    pub fn report(&mut self, object: usize, path: FieldPath, message: impl Into<String>) {
        self.violations.push(SetViolation {
            object,
            path,
            message: message.into(),
            container: None,
            severity: None,
        });
    }

    /// Reports a problem at a severity other than the rule's.
    pub fn report_as(
        &mut self,
        severity: Severity,
        object: usize,
        path: FieldPath,
        message: impl Into<String>,
    ) {
        self.report(object, path, message);
        if let Some(v) = self.violations.last_mut() {
            v.severity = Some(severity);
        }
    }

    /// Reports a problem with one container of object `object`.
    pub fn report_container(
        &mut self,
        object: usize,
        container: &Container,
        path: FieldPath,
        message: impl Into<String>,
    ) {
        self.report(object, path, message);
        if let Some(v) = self.violations.last_mut() {
            v.container = Some(container.name.clone());
        }
    }

    /// Says that the rule leaves object `object` to another rule that owns the cause (a
    /// `cluster-admin` binding is `rbac-cluster-admin-binding`'s): unless this rule also
    /// reported the object, it neither passes nor fails it, so the object's score does not
    /// count it as a passed check.
    pub fn defer(&mut self, object: usize) {
        self.deferred.push(object);
    }

    pub fn into_violations(self) -> Vec<SetViolation> {
        self.violations
    }

    /// The violations, and the objects the rule left to other rules.
    pub fn into_parts(self) -> (Vec<SetViolation>, Vec<usize>) {
        (self.violations, self.deferred)
    }
}

/// One problem a rule found in a Dockerfile, located in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct DockerfileViolation {
    pub span: Span,
    pub message: String,
    /// The instruction it is about, an index into [`Dockerfile::instructions`].
    pub instruction: Option<usize>,
    /// hadolint's code for this very finding, when the rule covers several of hadolint's
    /// (`DL3008` for `apt-get`, `DL3018` for `apk`): pragmas and `ignored` lists that name the
    /// code suppress only such findings.
    pub code: Option<&'static str>,
    /// What the finding is about inside its instruction: a variable, package, program, flag,
    /// path or stage name (`GITHUB_TOKEN`, `apt-get install curl`). With the stage and the
    /// instruction keyword it identifies the finding across line moves, in baselines and
    /// SARIF fingerprints, so it is stored: never a value that may be secret. Empty when the
    /// instruction alone says what the finding is about.
    pub subject: String,
}

/// What a Dockerfile check sees, and where it reports.
pub struct DockerfileCx<'a> {
    pub df: &'a Dockerfile,
    pub settings: &'a Settings,
    violations: Vec<DockerfileViolation>,
}

impl<'a> DockerfileCx<'a> {
    pub fn new(df: &'a Dockerfile, settings: &'a Settings) -> Self {
        DockerfileCx {
            df,
            settings,
            violations: Vec::new(),
        }
    }

    /// Reports a problem with `instruction`, pointing at `span` inside it.
    pub fn report(&mut self, instruction: &Instruction, span: Span, message: impl Into<String>) {
        self.report_code(instruction, span, None, message);
    }

    /// Like [`report`](Self::report), naming hadolint's code for this finding.
    pub fn report_code(
        &mut self,
        instruction: &Instruction,
        span: Span,
        code: Option<&'static str>,
        message: impl Into<String>,
    ) {
        self.violations.push(DockerfileViolation {
            span,
            message: message.into(),
            instruction: Some(instruction.index),
            code,
            subject: String::new(),
        });
    }

    /// Names what the violation just reported is about (see [`DockerfileViolation::subject`]).
    pub fn about(&mut self, subject: impl Into<String>) {
        if let Some(v) = self.violations.last_mut() {
            v.subject = subject.into();
        }
    }

    pub fn into_violations(self) -> Vec<DockerfileViolation> {
        self.violations
    }
}

/// Declares a rule. The doc comment becomes the rule's user documentation.
///
/// ```text
/// declare_rule! {
///     /// ## What it checks
///     /// …
///     pub static PRIVILEGED = {
///         id: "PSS002", name: "privileged-container", category: Pss, severity: Critical,
///         default_enabled: true, applies: PodBearing, pss_level: Some(Baseline),
///         summary: "Containers must not run privileged", check: check,
///     }
/// }
/// ```
///
/// `aliases: ["DL3008"],` may come before `summary`; a Dockerfile rule names its check
/// `dockerfile_check:` instead of `check:`, and a cross-object rule `set_check:`:
///
/// ```text
/// declare_rule! {
///     /// ## What it checks
///     /// …
///     pub static SUDO_IN_RUN = {
///         id: "DKR006", name: "sudo-in-run", category: Dockerfile, severity: Medium,
///         default_enabled: true, applies: Applies::Dockerfile, pss_level: None,
///         aliases: ["DL3004"], summary: "…", dockerfile_check: check,
///     }
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub static $name:ident = {
            id: $id:literal,
            name: $rname:literal,
            category: $cat:ident,
            severity: $sev:ident,
            default_enabled: $on:literal,
            applies: $applies:expr,
            pss_level: $pss:expr,
            $(aliases: [$($alias:literal),* $(,)?],)?
            summary: $summary:literal,
            $kind:ident: $check:path $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub static $name: $crate::rule::Rule = $crate::rule::Rule {
            meta: $crate::rule::RuleMeta {
                id: $id,
                name: $rname,
                category: $crate::rule::Category::$cat,
                severity: $crate::rule::Severity::$sev,
                default_enabled: $on,
                applies: $applies,
                pss_level: $pss,
                aliases: &[$($($alias),*)?],
                summary: $summary,
                doc: concat!($($doc, "\n"),*),
            },
            check: $crate::declare_rule!(@check $kind $check),
        };
    };
    (@check check $check:path) => {
        $crate::rule::Check::Object($check)
    };
    (@check dockerfile_check $check:path) => {
        $crate::rule::Check::Dockerfile($check)
    };
    (@check set_check $check:path) => {
        $crate::rule::Check::Set($check)
    };
}
