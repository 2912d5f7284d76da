//! `palisade`: security and reliability checks for Kubernetes manifests and Dockerfiles.

mod config_cmd;
mod netpol_cmd;
mod rules_cmd;
mod scan;
#[cfg(feature = "serve")]
mod serve_cmd;
mod who_can;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit status: nothing at or above `--fail-on` was found.
pub const EXIT_CLEAN: u8 = 0;
/// Exit status: findings at or above `--fail-on`.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: a usage error, or input that could not be loaded.
pub const EXIT_ERROR: u8 = 2;

/// A usage error (or input that cannot be used at all) on standard error, with what the
/// user or the files wrote escaped; exit status 2.
pub fn usage_error(message: impl std::fmt::Display) -> u8 {
    eprintln!(
        "error: {}",
        palisade_report::terminal_safe(message.to_string())
    );
    EXIT_ERROR
}

/// Load errors and warnings of `netpol` and `who-can`, one line each on standard error,
/// with anything from the files a terminal would act on escaped.
pub fn eprint_diagnostics(diagnostics: &[palisade_engine::FileDiagnostic]) {
    for d in diagnostics {
        let level = if d.is_error() { "error" } else { "warning" };
        let line = match d.span {
            Some(span) => format!(
                "{level}: {}:{}:{}: {}",
                d.file, span.start.line, span.start.column, d.message
            ),
            None => format!("{level}: {}: {}", d.file, d.message),
        };
        eprintln!("{}", palisade_report::terminal_safe(line));
    }
}

/// Loading, checking and answering allocate many small strings and maps from several threads
/// at once. glibc's allocator serialises them on its arena locks and musl's (the static
/// release image) is slower still; with jemalloc an admission review costs about a fifth less
/// CPU (`BENCHMARKS-serve.md`).
#[cfg(all(feature = "jemalloc", unix))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main`. By default it keeps freed pages for ten seconds
/// to reuse them; a scan frees each file's objects as it goes and ends within a second, so
/// every page it ever used would count in its peak memory (+16 % over glibc on the corpus).
/// Returning freed pages at once keeps a scan's peak at what it holds (-20 % under glibc)
/// and costs the webhook nothing measurable.
#[cfg(all(feature = "jemalloc", unix))]
static JEMALLOC_OPTIONS: [u8; 34] = *b"dirty_decay_ms:0,muzzy_decay_ms:0\0";

#[cfg(all(feature = "jemalloc", unix))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_CONF: Option<&'static u8> = Some(&JEMALLOC_OPTIONS[0]);

#[derive(Parser)]
#[command(
    name = "palisade",
    version,
    about = "Security and reliability checks for Kubernetes manifests and Dockerfiles",
    after_help = "Exit status: 0 nothing at or above --fail-on, 1 findings at or above it, \
                  2 usage error or input that could not be loaded."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan manifests and Dockerfiles in files and folders (`-` reads standard input).
    Scan(Box<scan::ScanArgs>),
    /// List the rules, or explain one.
    Rules(rules_cmd::RulesArgs),
    /// Show the effective configuration and where each value comes from.
    Config(config_cmd::ConfigArgs),
    /// List the subjects the scanned Roles and bindings allow to do VERB on RESOURCE.
    WhoCan(who_can::WhoCanArgs),
    /// List the connections NetworkPolicies allow between workloads and to and from
    /// addresses outside the cluster.
    Netpol(Box<netpol_cmd::NetpolArgs>),
    /// Run the admission webhook: the same rules, enforced when objects are admitted.
    #[cfg(feature = "serve")]
    Serve(Box<serve_cmd::ServeArgs>),
    /// Write a CA and a serving certificate for the webhook's Service.
    #[cfg(feature = "serve")]
    Certs(serve_cmd::CertsArgs),
    /// Print the manifests that deploy the webhook (the files in `deploy/`).
    #[cfg(feature = "serve")]
    Install(serve_cmd::InstallArgs),
}

/// Commands that print and end, like other command-line tools, stop quietly when the reader
/// of their output goes away (`palisade rules | head`). The server keeps Rust's default of
/// ignoring SIGPIPE, so a client that drops its connection cannot stop it.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Rules(_) | Command::Config(_) | Command::WhoCan(_) | Command::Netpol(_)
    ) {
        quiet_on_closed_pipe();
    }
    let code = match cli.command {
        Command::Scan(args) => scan::run(*args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Config(args) => config_cmd::run(args),
        Command::WhoCan(args) => who_can::run(args),
        Command::Netpol(args) => netpol_cmd::run(*args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve_cmd::serve(*args),
        #[cfg(feature = "serve")]
        Command::Certs(args) => serve_cmd::certs(args),
        #[cfg(feature = "serve")]
        Command::Install(args) => serve_cmd::install(args),
    };
    ExitCode::from(code)
}
