//! `palisade scan`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use palisade_engine::{
    Baseline, Config, DockerfileOptions, Engine, Policy, Selection, Source, Threshold,
    walk_error_report,
};
use palisade_model::PodKindTable;
use palisade_report::{Format, Options};
use palisade_rules::{Category, PssLevel, PssVersion, Settings, Severity};

use crate::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};

/// Scans with fewer files than this finish before a progress bar would be read.
const PROGRESS_MIN_FILES: usize = 200;

#[derive(Args)]
pub struct ScanArgs {
    /// Files and folders to scan (manifests and Dockerfiles); `-` reads YAML or JSON from
    /// standard input.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output format [default: text].
    #[arg(long, short = 'f', value_enum)]
    format: Option<FormatArg>,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Exit with status 1 when a finding is at or above this severity (`none`: never). Default
    /// `low`; a hadolint configuration's `failure-threshold` sets it for its Dockerfiles.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,

    /// Run only these rules: ids, names or categories, comma-separated (default: the rules
    /// that are on by default).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,

    /// Run these rules in addition to the selected ones.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    extend_select: Vec<String>,

    /// Do not run these rules: ids, names or categories, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,

    /// Pod Security Standards level for the `pss` rules [default: restricted].
    #[arg(long, value_enum)]
    pss_level: Option<LevelArg>,

    /// Pod Security Standards version: `v1.N` or `latest` [default: latest].
    #[arg(long, value_parser = parse_pss_version)]
    pss_version: Option<String>,

    /// Registries (or registry/path prefixes) images may come from, comma-separated or
    /// repeated. Turns on the `image-registry-not-allowed` rule.
    #[arg(
        long = "allowed-registry",
        value_name = "REGISTRY",
        value_delimiter = ','
    )]
    allowed_registries: Vec<String>,

    /// Teach Palisade where a CRD keeps its pod template: `Kind[.group]=path.to.template`.
    #[arg(long = "pod-kind", value_name = "KIND=PATH")]
    pod_kinds: Vec<String>,

    /// A Dockerfile build argument, `NAME=VALUE`, used where the `ARG` is read (repeat for
    /// several).
    #[arg(long = "build-arg", value_name = "NAME=VALUE", value_parser = parse_build_arg)]
    build_args: Vec<(String, String)>,

    /// hadolint configuration for every Dockerfile, instead of the nearest `.hadolint.yaml`.
    #[arg(long, value_name = "FILE")]
    hadolint_config: Option<PathBuf>,

    /// Colour in the text output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,

    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,

    /// Configuration file [default: the first `.palisade.yaml` found from the scanned path
    /// upward].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Custom rules: a Rego module, a file of ValidatingAdmissionPolicies (with their bindings
    /// and parameter objects), or a folder of them (repeatable; adds to `policies:` in the
    /// configuration).
    #[arg(long = "policy", value_name = "PATH")]
    policies: Vec<PathBuf>,

    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// Record today's findings in FILE (sorted JSON, written atomically) to use with
    /// `--baseline`.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,

    /// Warn about suppressions (annotations or configuration) that suppressed nothing.
    #[arg(long)]
    report_unused_suppressions: bool,

    /// Do not let `suppress.palisade.dev/*`, kube-linter or Checkov annotations on objects
    /// suppress findings.
    #[arg(long)]
    ignore_annotation_suppressions: bool,

    /// The name standard input is reported under, e.g. the chart path [default: <stdin>].
    #[arg(long, value_name = "NAME")]
    stdin_filename: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
    Sarif,
    Junit,
    /// GitHub Actions annotations (workflow commands).
    Github,
    /// GitLab Code Quality report.
    Gitlab,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Low,
    Medium,
    High,
    Critical,
    None,
}

#[derive(Clone, Copy, ValueEnum)]
enum LevelArg {
    Privileged,
    Baseline,
    Restricted,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

fn parse_build_arg(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}

fn parse_pss_version(text: &str) -> Result<String, String> {
    PssVersion::parse(text)
        .map(|_| text.to_string())
        .ok_or_else(|| format!("`{text}` is not `latest` or `v1.N`"))
}

/// `--select 'PSS002, PSS105'` means the same as `--select PSS002,PSS105`.
fn trimmed(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// One configuration governs a scan. A `.palisade.yaml` that another scanned path lies
/// under, or that a walk met inside a scanned folder, is not used: say so, once each, so
/// that a folder's own settings do not drop out unremarked.
fn warn_of_unused_configurations(args: &ScanArgs, used: Option<&Path>, met: &[PathBuf]) {
    let used = used.and_then(|u| u.canonicalize().ok());
    let above = args
        .paths
        .iter()
        .filter(|_| args.config.is_none())
        .filter(|p| p.as_os_str() != "-")
        .filter_map(|p| palisade_engine::config::discover(p));
    let mut unused = std::collections::BTreeMap::new();
    for config in above.chain(met.iter().cloned()) {
        if let Ok(real) = config.canonicalize()
            && Some(&real) != used.as_ref()
        {
            unused.entry(real).or_insert(config);
        }
    }
    for shown in unused.values() {
        eprintln!(
            "warning: {} is not used: one configuration governs a scan, and it is {}; scan \
             that folder on its own or name the file with --config",
            shown.display(),
            match &used {
                Some(u) => u.display().to_string(),
                None => "none (none was found from the first path)".to_string(),
            }
        );
    }
}

/// The configuration: `--config`, else the first `.palisade.yaml` found from the first
/// scanned path upward, else the defaults; then the command-line flags on top.
fn configuration(args: &ScanArgs) -> Result<Config, String> {
    let found = match &args.config {
        Some(path) => Some(path.clone()),
        None => {
            let start = args
                .paths
                .iter()
                .find(|p| p.as_os_str() != "-")
                .cloned()
                .unwrap_or_else(|| PathBuf::from("."));
            palisade_engine::config::discover(&start)
        }
    };
    let mut config = match found {
        Some(path) => Config::load_with_policies(&path, &args.policies),
        None => Config::with_policies(&args.policies),
    }
    .map_err(|e| e.to_string())?;

    if !args.policies.is_empty() {
        let mut paths = config.policies.value.clone();
        paths.extend(args.policies.iter().map(|p| p.display().to_string()));
        config.policies.set_by_flag(paths, "--policy");
    }
    for (flag, given) in [
        ("--select", &args.select),
        ("--extend-select", &args.extend_select),
        ("--ignore", &args.ignore),
    ] {
        if !given.is_empty() && trimmed(given).is_empty() {
            return Err(format!(
                "{flag} names no rule: give rule ids, names or categories"
            ));
        }
    }
    if !args.select.is_empty() {
        config.select.set_by_flag(trimmed(&args.select), "--select");
    }
    if !args.extend_select.is_empty() {
        config
            .extend_select
            .set_by_flag(trimmed(&args.extend_select), "--extend-select");
    }
    if !args.ignore.is_empty() {
        config.ignore.set_by_flag(trimmed(&args.ignore), "--ignore");
    }
    if let Some(f) = args.format {
        let name = f
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        config.format.set_by_flag(name, "--format");
    }
    if let Some(f) = args.fail_on {
        let name = f
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        config.fail_on.set_by_flag(name, "--fail-on");
    }
    if let Some(l) = args.pss_level {
        let name = l
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        config.pss_level.set_by_flag(name, "--pss-level");
    }
    if let Some(v) = &args.pss_version {
        config.pss_version.set_by_flag(v.clone(), "--pss-version");
    }
    if !args.allowed_registries.is_empty() {
        config
            .allowed_registries
            .set_by_flag(trimmed(&args.allowed_registries), "--allowed-registry");
    }
    if !args.pod_kinds.is_empty() {
        config
            .pod_kinds
            .set_by_flag(args.pod_kinds.clone(), "--pod-kind");
    }
    if args.ignore_annotation_suppressions {
        config
            .annotation_suppressions
            .set_by_flag(false, "--ignore-annotation-suppressions");
    }
    Ok(config)
}

pub fn run(args: ScanArgs) -> u8 {
    let config = match configuration(&args) {
        Ok(c) => c,
        Err(e) => return crate::usage_error(e),
    };
    let engine = match engine_from(&config, &args) {
        Ok(e) => e,
        Err(e) => return crate::usage_error(e),
    };
    let hadolint_config = match &args.hadolint_config {
        Some(path) => {
            let config = palisade_engine::load_hadolint_config(path);
            for d in &config.diagnostics {
                eprintln!(
                    "{}: {}:{}:{}: {}",
                    if d.kind.is_error() {
                        "error"
                    } else {
                        "warning"
                    },
                    path.display(),
                    d.span.start.line,
                    d.span.start.column,
                    d.message
                );
            }
            if config.has_errors() {
                return crate::usage_error(format!(
                    "--hadolint-config: {} could not be used",
                    path.display()
                ));
            }
            Some(Arc::new(config))
        }
        None => None,
    };
    let engine = engine.with_dockerfile_options(DockerfileOptions {
        build_args: args.build_args.iter().cloned().collect(),
        hadolint_config,
        find_hadolint_config: true,
    });

    let (candidates, walk_errors, configs) = palisade_load::discover_with_configs(&args.paths);
    warn_of_unused_configurations(&args, config.file.as_deref(), &configs);
    if candidates.is_empty() && walk_errors.is_empty() {
        return crate::usage_error(format!(
            "no YAML, JSON or Dockerfiles found in {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    let progress = progress_bar(&args, candidates.len());
    let tick = || progress.inc(1);
    let mut report = engine.scan(&candidates, &tick);
    progress.finish_and_clear();
    for name in engine.unused_build_args() {
        eprintln!(
            "warning: --build-arg {name}: no scanned Dockerfile declares `ARG {name}`, so it changes nothing"
        );
    }
    if !walk_errors.is_empty() {
        let mut files = std::mem::take(&mut report.files);
        files.extend(walk_errors.iter().map(walk_error_report));
        report = engine.finish(files);
    }

    let format = Format::parse(&config.format.value).unwrap_or(Format::Text);
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let options = Options {
        color,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let bytes = palisade_report::render(format, &report, &options);
    let written = match &args.output {
        Some(path) => std::fs::write(path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout()
            .lock()
            .write_all(&bytes)
            .map_err(|e| format!("cannot write the report: {e}")),
    };
    if let Err(e) = written {
        return crate::usage_error(e);
    }

    if let Some(path) = &args.write_baseline {
        match palisade_engine::baseline::write(&report, path) {
            Ok(n) => eprintln!(
                "palisade: wrote {n} finding(s) to the baseline {}",
                path.display()
            ),
            Err(e) => return crate::usage_error(e),
        }
    }

    if report.summary.errors > 0 {
        return EXIT_ERROR;
    }
    // A --fail-on given on the command line or in the configuration holds for every file;
    // otherwise a Dockerfile's hadolint `failure-threshold` holds for its findings, and `low`
    // for everything else.
    let explicit = (config.fail_on.source != Source::Default).then(|| {
        match Severity::parse(&config.fail_on.value) {
            Some(s) => Threshold::AtOrAbove(s),
            None => Threshold::Never,
        }
    });
    let failing = report.files.iter().any(|file| {
        let threshold = explicit
            .or(file.fail_threshold)
            .unwrap_or(Threshold::AtOrAbove(Severity::Low));
        match threshold {
            Threshold::Never => false,
            Threshold::AtOrAbove(t) => file.findings.iter().any(|f| f.severity >= t),
        }
    });
    if failing { EXIT_FINDINGS } else { EXIT_CLEAN }
}

/// Builds the engine from the effective configuration.
fn engine_from(config: &Config, args: &ScanArgs) -> Result<Engine, String> {
    let asked = &config.pss_version.value;
    if PssVersion::beyond_newest(asked) {
        let newest = palisade_rules::settings::PSS_LATEST_MINOR;
        eprintln!(
            "warning: Pod Security Standards {asked} (from {}) is newer than v1.{newest}, the \
             newest version Palisade knows; it is checked as v1.{newest}, as an API server checks \
             a version newer than its own",
            config.pss_version.source
        );
    }
    let settings = Settings {
        pss_level: PssLevel::parse(&config.pss_level.value).unwrap_or(PssLevel::Restricted),
        pss_version: PssVersion::parse(&config.pss_version.value).unwrap_or(PssVersion::LATEST),
        allowed_registries: config.allowed_registries.value.clone(),
    };
    let mut extend_select = config.extend_select.value.clone();
    if !settings.allowed_registries.is_empty() {
        extend_select.push("image-registry-not-allowed".into());
        extend_select.push("base-image-registry-not-allowed".into());
    }
    let mut ignore = config.ignore.value.clone();
    let registry_rule = palisade_rules::catalog()
        .into_iter()
        .find(|r| r.meta.name == "image-registry-not-allowed");
    if let Some(rule) = registry_rule.filter(|_| settings.allowed_registries.is_empty()) {
        // Without a list of registries the rule has nothing to compare with: naming it is a
        // mistake worth stopping for; taking it in with its category or `all` is not.
        let selectors = || {
            config
                .select
                .value
                .iter()
                .chain(&config.extend_select.value)
        };
        let rule = &rule.meta;
        if selectors().any(|s| rule.answers_to(s)) {
            return Err(
                "`image-registry-not-allowed` is selected but no registry is allowed; pass \
                 --allowed-registry or set `allowed-registries` in the configuration"
                    .into(),
            );
        }
        if selectors().any(|s| s.eq_ignore_ascii_case("all") || s.eq_ignore_ascii_case("image")) {
            eprintln!(
                "note: `image-registry-not-allowed` ({}) does not run: no registry is allowed \
                 (--allowed-registry)",
                rule.id
            );
        }
        ignore.push(rule.id.into());
    }
    let selection = Selection {
        select: config.select.value.clone(),
        extend_select,
        ignore,
    };
    let mut pod_kinds = PodKindTable::default();
    for spec in &config.pod_kinds.value {
        pod_kinds
            .add(spec)
            .map_err(|e| format!("--pod-kind: {e}"))?;
    }
    let baseline = match &args.baseline {
        Some(path) => Some(Baseline::load(path)?),
        None => None,
    };
    let policy = Policy {
        ignore_annotation_suppressions: !config.annotation_suppressions.value,
        severity: config.severity.value.clone(),
        overrides: config.overrides.value.clone(),
        suppressions: config.suppressions.value.clone(),
        baseline,
        report_unused: args.report_unused_suppressions,
        base_dir: config.base_dir(),
        today: None,
    };
    let engine = Engine::new(&selection, settings, pod_kinds)
        .map_err(|e| e.to_string())?
        .with_policy(policy)?;
    // With custom rules selected, ValidatingAdmissionPolicies among the files may bring some.
    if engine.rules().is_empty() && !selection.includes_category(Category::Custom) {
        return Err("no rule is selected: check --select, --ignore and --pss-level".into());
    }
    Ok(engine.with_stdin_name(args.stdin_filename.clone()))
}

fn progress_bar(args: &ScanArgs, files: usize) -> ProgressBar {
    let show = !args.no_progress && files >= PROGRESS_MIN_FILES && std::io::stderr().is_terminal();
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
