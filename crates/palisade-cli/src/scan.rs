//! `palisade scan`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use palisade_engine::{DockerfileOptions, Engine, Selection, Threshold, walk_error_report};
use palisade_model::PodKindTable;
use palisade_report::{Format, Options};
use palisade_rules::{PssLevel, PssVersion, Settings, Severity};

use crate::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};

/// Scans with fewer files than this finish before a progress bar would be read.
const PROGRESS_MIN_FILES: usize = 200;

#[derive(Args)]
pub struct ScanArgs {
    /// Files and folders to scan (manifests and Dockerfiles); `-` reads YAML or JSON from
    /// standard input.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,

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

    /// Pod Security Standards level for the `pss` rules.
    #[arg(long, value_enum, default_value_t = LevelArg::Restricted)]
    pss_level: LevelArg,

    /// Pod Security Standards version: `v1.N` or `latest`.
    #[arg(long, default_value = "latest", value_parser = parse_pss_version)]
    pss_version: PssVersion,

    /// A registry (or registry/path prefix) images may come from; repeat for several. Turns
    /// on the `image-registry-not-allowed` rule.
    #[arg(long = "allowed-registry", value_name = "REGISTRY")]
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
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
    Sarif,
    Junit,
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

fn parse_pss_version(text: &str) -> Result<PssVersion, String> {
    PssVersion::parse(text).ok_or_else(|| format!("`{text}` is not `latest` or `v1.N`"))
}

fn usage_error(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_ERROR
}

pub fn run(args: ScanArgs) -> u8 {
    let settings = Settings {
        pss_level: match args.pss_level {
            LevelArg::Privileged => PssLevel::Privileged,
            LevelArg::Baseline => PssLevel::Baseline,
            LevelArg::Restricted => PssLevel::Restricted,
        },
        pss_version: args.pss_version,
        allowed_registries: args.allowed_registries.clone(),
    };
    let mut extend_select = args.extend_select.clone();
    if !args.allowed_registries.is_empty() {
        extend_select.push("image-registry-not-allowed".into());
        extend_select.push("base-image-registry-not-allowed".into());
    }
    let selection = Selection {
        select: args.select.clone(),
        extend_select,
        ignore: args.ignore.clone(),
    };
    let mut pod_kinds = PodKindTable::default();
    for spec in &args.pod_kinds {
        if let Err(e) = pod_kinds.add(spec) {
            return usage_error(format!("--pod-kind: {e}"));
        }
    }
    let engine = match Engine::new(&selection, settings, pod_kinds) {
        Ok(e) => e,
        Err(e) => return usage_error(e),
    };
    let hadolint_config = match &args.hadolint_config {
        Some(path) => {
            let config = palisade_dockerfile::hadolint::load(path);
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
                return usage_error(format!(
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

    let (candidates, walk_errors) = palisade_load::discover(&args.paths);
    if candidates.is_empty() && walk_errors.is_empty() {
        return usage_error(format!(
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
    if !walk_errors.is_empty() {
        let mut files = std::mem::take(&mut report.files);
        files.extend(
            walk_errors
                .iter()
                .map(|e| walk_error_report(&e.path, &e.message)),
        );
        report = engine.finish(files);
    }

    let format = match args.format {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Junit => Format::Junit,
    };
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
        return usage_error(e);
    }

    if report.summary.errors > 0 {
        return EXIT_ERROR;
    }
    let explicit = args.fail_on.map(|f| match f {
        FailOn::None => Threshold::Never,
        FailOn::Low => Threshold::AtOrAbove(Severity::Low),
        FailOn::Medium => Threshold::AtOrAbove(Severity::Medium),
        FailOn::High => Threshold::AtOrAbove(Severity::High),
        FailOn::Critical => Threshold::AtOrAbove(Severity::Critical),
    });
    // An explicit --fail-on holds for every file; otherwise a Dockerfile's hadolint
    // `failure-threshold` holds for its findings, and `low` for everything else.
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
