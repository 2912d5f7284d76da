//! `palisade serve`, `palisade certs` and `palisade install`: the admission webhook and what
//! deploying it takes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use palisade_engine::Config;
use palisade_serve::{CertFiles, ServeOptions};

use crate::{EXIT_CLEAN, EXIT_ERROR};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443", value_name = "ADDR")]
    listen: SocketAddr,

    /// PEM certificate chain the server presents; read again when it changes.
    #[arg(long, value_name = "FILE")]
    tls_cert: PathBuf,

    /// PEM private key of that certificate; read again when it changes.
    #[arg(long, value_name = "FILE")]
    tls_key: PathBuf,

    /// Configuration file (rules, policy, and its `serve` section) [default: the first
    /// `.palisade.yaml` from the current folder upward].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Seconds between checks of the certificate files for a new certificate.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    cert_reload_interval: u64,

    /// Reviews read and judged at once; more wait for a slot within their timeout.
    #[arg(long, default_value_t = 64, value_name = "N")]
    max_concurrent_reviews: usize,

    /// Seconds the server keeps answering after SIGTERM, with `/readyz` failing, so the
    /// Service stops sending to it before it closes (0: close at once).
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    shutdown_delay: u64,

    /// Seconds shutdown then waits for reviews in flight.
    #[arg(long, default_value_t = 25, value_name = "SECONDS")]
    shutdown_grace: u64,

    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,

    /// What to log (overridden by `RUST_LOG`): error, warn, info (denials, reloads) or debug
    /// (every review).
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    log_level: String,
}

pub fn serve(args: ServeArgs) -> u8 {
    palisade_serve::init_logging(&args.log_level);
    palisade_serve::log_panics();
    let file = args
        .config
        .clone()
        .or_else(|| palisade_engine::config::discover(std::path::Path::new(".")));
    let config = match &file {
        Some(path) => match Config::load(path) {
            Ok(c) => c,
            Err(e) => return fail(e),
        },
        None => Config::default(),
    };
    let mut options = ServeOptions::new(
        args.listen,
        CertFiles {
            cert: args.tls_cert,
            key: args.tls_key,
        },
        config,
    );
    options.cert_poll = Duration::from_secs(args.cert_reload_interval.max(1));
    options.max_concurrent = args.max_concurrent_reviews;
    options.shutdown_delay = Duration::from_secs(args.shutdown_delay);
    options.shutdown_grace = Duration::from_secs(args.shutdown_grace);
    match palisade_serve::run(options, args.threads) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => fail(e),
    }
}

/// Errors before (or instead of) serving go to standard error as plain text, like every
/// other command's.
fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_ERROR
}

#[derive(Args)]
pub struct CertsArgs {
    /// Name of the webhook's Service.
    #[arg(long, default_value = "palisade", value_name = "NAME")]
    service: String,

    /// Namespace of the Service.
    #[arg(long, default_value = "palisade", value_name = "NS")]
    namespace: String,

    /// Folder to write `ca.crt`, `tls.crt` and `tls.key` into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// Replace those files when they exist (the new CA will not match a `caBundle` already
    /// installed).
    #[arg(long)]
    force: bool,
}

pub fn certs(args: CertsArgs) -> u8 {
    let generated = match palisade_serve::certs::generate(&args.service, &args.namespace) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    if let Err(e) = palisade_serve::certs::write(&args.out, &generated, args.force) {
        return fail(e);
    }
    let names = palisade_serve::certs::service_names(&args.service, &args.namespace);
    eprintln!(
        "wrote ca.crt, tls.crt and tls.key to {} for {} and 127.0.0.1",
        args.out.display(),
        names.join(", ")
    );
    EXIT_CLEAN
}

#[derive(Args)]
pub struct InstallArgs {
    /// Use this CA (PEM, e.g. `ca.crt` from `palisade certs`) as the webhooks' `caBundle`
    /// instead of cert-manager: the cert-manager objects and annotations are left out. The
    /// file must hold PEM certificates only; a private key is refused.
    #[arg(long, value_name = "FILE")]
    ca_bundle: Option<PathBuf>,
}

pub fn install(args: InstallArgs) -> u8 {
    let text = match &args.ca_bundle {
        None => palisade_serve::install::manifests(),
        Some(path) => {
            let with_bundle = std::fs::read(path)
                .map_err(|e| format!("cannot read: {e}"))
                .and_then(|pem| palisade_serve::install::manifests_with_ca_bundle(&pem));
            match with_bundle {
                Ok(text) => text,
                Err(e) => return fail(format!("--ca-bundle {}: {e}", path.display())),
            }
        }
    };
    print!("{text}");
    EXIT_CLEAN
}
