//! `palisade serve`: the validating and mutating admission webhook.
//!
//! The API server sends each write it is about to make as an AdmissionReview; the webhook
//! answers with the same verdict `palisade scan` gives the same object, because the object
//! goes through the same loader tree, model, rules and configuration. [`verdict`] holds the
//! admission semantics (Pod Security Admission's modes, exemptions and update rules),
//! [`mutate`] the secure defaults it can add, [`server`] the HTTPS side (limits, timeouts,
//! certificate reload, readiness, metrics, graceful shutdown), [`certs`] and [`install`] what
//! deploying it takes.

pub mod certs;
pub mod install;
pub mod json;
pub mod metrics;
pub mod mutate;
pub mod review;
pub mod server;
pub mod tls;
pub mod verdict;

// The `serve` section and Pod Security Admission's namespace policy are plain configuration,
// read by `scan` and `config show` too: they live in the engine, without the TLS stack.
pub use palisade_engine::serve as config;
pub use palisade_engine::{Mode, ServeConfig, psa};
pub use server::{Running, ServeOptions, start};
pub use tls::CertFiles;
pub use verdict::{Decision, Verdicts};

/// Sends logs to standard output as one JSON object per line. `RUST_LOG` (or `filter`, e.g.
/// `info`) chooses what is logged.
pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        .with_writer(std::io::stdout)
        .try_init();
}

/// Logs panics as JSON lines instead of the default text on standard error.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(panic = %payload, location = %location, "panic caught");
    }));
}

/// Runs the server until SIGTERM or SIGINT, then shuts down gracefully: not ready at once,
/// still serving for the shutdown delay (a second signal ends it early), then finishing the
/// reviews in flight. `threads` is the number of worker threads (0: one per core).
pub fn run(options: ServeOptions, threads: usize) -> Result<(), String> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if threads > 0 {
        builder.worker_threads(threads);
    }
    let runtime = builder
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        // Installed before the server starts, so a SIGTERM right after start is not fatal.
        let mut signals = Signals::install()?;
        let running = start(options).await?;
        signals.recv().await;
        running.shutdown_or(signals.recv()).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// SIGTERM (what Kubernetes sends) and SIGINT; the handlers are installed on creation.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Result<Signals, String> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                term: signal(SignalKind::terminate())
                    .map_err(|e| format!("cannot handle SIGTERM: {e}"))?,
                int: signal(SignalKind::interrupt())
                    .map_err(|e| format!("cannot handle SIGINT: {e}"))?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// The next signal.
    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
