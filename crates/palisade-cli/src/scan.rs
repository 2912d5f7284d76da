//! `palisade scan`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use palisade_engine::{Engine, Selection, walk_error_report};
use palisade_model::PodKindTable;
use palisade_report::{Format, Options};
use palisade_rules::{PssLevel, PssVersion, Settings, Severity};

use crate::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};

/// Scans with fewer files than this finish before a progress bar would be read.
const PROGRESS_MIN_FILES: usize = 200;

#[derive(Args)]
pub struct ScanArgs {
    /// Files and folders to scan; `-` reads YAML or JSON from standard input.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Exit with status 1 when a finding is at or above this severity (`none`: never).
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    fail_on: FailOn,

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

    let (candidates, walk_errors) = palisade_load::discover(&args.paths);
    if candidates.is_empty() && walk_errors.is_empty() {
        return usage_error(format!(
            "no YAML or JSON files found in {}",
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
    let threshold = match args.fail_on {
        FailOn::None => return EXIT_CLEAN,
        FailOn::Low => Severity::Low,
        FailOn::Medium => Severity::Medium,
        FailOn::High => Severity::High,
        FailOn::Critical => Severity::Critical,
    };
    match report.max_severity() {
        Some(s) if s >= threshold => EXIT_FINDINGS,
        _ => EXIT_CLEAN,
    }
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
