//! The HTTPS server: routes, limits, timeouts, readiness and shutdown.
//!
//! * `POST /validate` and `POST /mutate` take an AdmissionReview and answer one. A body that
//!   is not a v1 review gets HTTP 400 with a message; a body over 3 MiB gets 413; a body that
//!   does not arrive within the request's `?timeout=` (the API server appends it; 10 s when
//!   absent, 30 s at most) gets 408. Nothing a client sends can make the server panic.
//! * At most `max_concurrent` reviews are read and judged at once; the others wait for a slot
//!   within their own timeout.
//! * `GET /healthz` answers while the process runs; `GET /readyz` only once the certificate
//!   and every rule engine are loaded, and no longer once shutdown has begun.
//! * `GET /metrics` serves Prometheus metrics.
//! * Shutdown drains first. Readiness fails at once, but for the shutdown delay the server
//!   still accepts connections and answers reviews: the API server keeps sending to a pod's
//!   address until the endpoints controller has removed it from the Service, and the Pod
//!   webhook fails closed. Then the listener closes, reviews in flight are finished within
//!   the grace period, and the process ends.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_server::Handle;
use palisade_engine::Config;
use palisade_rules::Rule;
use tokio::sync::Semaphore;

use crate::metrics::{Metrics, Rejection};
use crate::review;
use crate::tls::{CertFiles, Certificates};
use crate::verdict::{Decision, Verdicts};

/// The largest request body accepted, as the API server's own limit for webhooks.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;
/// The timeout when a request names none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest timeout honoured (the API server's maximum for webhooks).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30);
/// Bodies larger than this are judged off the async workers.
const BLOCKING_BODY_BYTES: usize = 256 * 1024;

/// How to run the server.
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub cert: CertFiles,
    /// The configuration file's settings (rules, policy, and its `serve` section).
    pub config: Config,
    /// How often the certificate files are read again.
    pub cert_poll: Duration,
    /// Reviews read and judged at once.
    pub max_concurrent: usize,
    /// How long shutdown keeps serving, not ready, before it closes the listener.
    pub shutdown_delay: Duration,
    /// How long shutdown then waits for reviews in flight.
    pub shutdown_grace: Duration,
    /// Rules beyond the catalog (tests use one that fails).
    pub extra_rules: Vec<&'static Rule>,
}

impl ServeOptions {
    pub fn new(listen: SocketAddr, cert: CertFiles, config: Config) -> ServeOptions {
        ServeOptions {
            listen,
            cert,
            config,
            cert_poll: Duration::from_secs(10),
            max_concurrent: 64,
            shutdown_delay: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(25),
            extra_rules: Vec::new(),
        }
    }
}

struct App {
    verdicts: Verdicts,
    metrics: Arc<Metrics>,
    slots: Semaphore,
    ready: AtomicBool,
    stopping: AtomicBool,
}

/// A server started by [`start`].
pub struct Running {
    /// The address it listens on (the port chosen, when the options asked for port 0).
    pub addr: SocketAddr,
    handle: Handle<SocketAddr>,
    app: Arc<App>,
    delay: Duration,
    grace: Duration,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    watcher: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Shuts down: not ready at once, still serving for the shutdown delay, then stops
    /// accepting, finishes the reviews in flight (within the grace period), and waits.
    pub async fn shutdown(self) -> Result<(), String> {
        self.shutdown_or(std::future::pending()).await
    }

    /// As [`Running::shutdown`], but the delay ends early when `hurry` completes (a second
    /// signal from someone who does not want to wait).
    pub async fn shutdown_or(self, hurry: impl Future<Output = ()>) -> Result<(), String> {
        self.app.stopping.store(true, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tracing::info!(
                delay_seconds = self.delay.as_secs_f64(),
                "shutting down: not ready, still answering until the delay ends"
            );
            tokio::select! {
                _ = tokio::time::sleep(self.delay) => {}
                _ = hurry => tracing::info!("asked again to stop: ending the delay early"),
            }
        }
        tracing::info!("closing the listener: finishing reviews in flight");
        self.handle.graceful_shutdown(Some(self.grace));
        self.watcher.abort();
        match self.task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Connections currently open.
    pub fn connections(&self) -> usize {
        self.handle.connection_count()
    }
}

/// Loads the certificate and every rule engine, then starts serving. Returns once the server
/// listens; the caller decides when it stops.
pub async fn start(options: ServeOptions) -> Result<Running, String> {
    let serve_config = options.config.serve.value.clone();
    let verdicts = Verdicts::with_rules(&options.config, serve_config, options.extra_rules)?;
    let certificates = Certificates::load(options.cert)?;
    let metrics = Arc::new(Metrics::new());
    let app = Arc::new(App {
        verdicts,
        metrics: metrics.clone(),
        slots: Semaphore::new(options.max_concurrent.max(1)),
        ready: AtomicBool::new(false),
        stopping: AtomicBool::new(false),
    });

    let router = Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .layer(DefaultBodyLimit::disable())
        .with_state(app.clone());

    let rustls = certificates.rustls();
    let watcher = tokio::spawn(certificates.watch(options.cert_poll, metrics));
    let handle = Handle::new();
    let mut server = axum_server::bind_rustls(options.listen, rustls)
        .handle(handle.clone())
        .first_request_timeout(Duration::from_secs(10));
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10));
    let task = tokio::spawn(server.serve(router.into_make_service()));
    let Some(addr) = handle.listening().await else {
        return match task.await {
            Ok(Err(e)) => Err(format!("cannot listen on {}: {e}", options.listen)),
            _ => Err(format!("cannot listen on {}", options.listen)),
        };
    };
    app.ready.store(true, Ordering::SeqCst);
    tracing::info!(address = %addr, "serving admission reviews");
    Ok(Running {
        addr,
        handle,
        app,
        delay: options.shutdown_delay,
        grace: options.shutdown_grace,
        task,
        watcher,
    })
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    if app.stopping.load(Ordering::SeqCst) {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response()
    } else if app.ready.load(Ordering::SeqCst) {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
    }
}

async fn metrics_text(State(app): State<Arc<App>>) -> Response {
    let mut r = app.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

async fn validate(State(app): State<Arc<App>>, request: Request) -> Response {
    answer(app, "validate", request).await
}

async fn mutate(State(app): State<Arc<App>>, request: Request) -> Response {
    answer(app, "mutate", request).await
}

/// Parses the API server's `timeout` query parameter: a Go duration such as `10s`, `500ms`
/// or `1m30s`.
pub fn parse_timeout(query: Option<&str>) -> Option<Duration> {
    let value = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("timeout="))?;
    let mut total = Duration::ZERO;
    let mut rest = value;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => number / 1e9,
            "us" | "µs" => number / 1e6,
            "ms" => number / 1e3,
            "s" => number,
            "m" => number * 60.0,
            "h" => number * 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += Duration::try_from_secs_f64(seconds).ok()?;
    }
    (!total.is_zero()).then_some(total)
}

fn reject(app: &App, why: Rejection, status: StatusCode, message: String) -> Response {
    app.metrics.reject(why);
    tracing::warn!(status = status.as_u16(), reason = %message, "request refused");
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message + "\n",
    )
        .into_response()
}

struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight().dec();
    }
}

async fn answer(app: Arc<App>, endpoint: &'static str, request: Request) -> Response {
    let timeout = parse_timeout(request.uri().query())
        .unwrap_or(DEFAULT_TIMEOUT)
        .min(MAX_TIMEOUT);
    let deadline = tokio::time::Instant::now() + timeout;

    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large(&app);
    }

    let Ok(Ok(_slot)) = tokio::time::timeout_at(deadline, app.slots.acquire()).await else {
        return reject(
            &app,
            Rejection::Timeout,
            StatusCode::SERVICE_UNAVAILABLE,
            format!("no review slot became free within the request's timeout of {timeout:?}"),
        );
    };
    app.metrics.in_flight().inc();
    let _in_flight = InFlight(&app.metrics);

    let body = match tokio::time::timeout_at(
        deadline,
        axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES),
    )
    .await
    {
        Err(_) => {
            return reject(
                &app,
                Rejection::Timeout,
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within the request's timeout of {timeout:?}"
                ),
            );
        }
        Ok(Err(e)) if is_length_limit(&e) => return too_large(&app),
        Ok(Err(e)) => {
            return reject(
                &app,
                Rejection::Malformed,
                StatusCode::BAD_REQUEST,
                format!("the request body could not be read: {e}"),
            );
        }
        Ok(Ok(body)) => body,
    };

    let started = Instant::now();
    let judged = if body.len() > BLOCKING_BODY_BYTES {
        let app2 = app.clone();
        tokio::task::spawn_blocking(move || judge(&app2, endpoint, &body))
            .await
            .unwrap_or_else(|_| Err("the review could not be judged".into()))
    } else {
        judge(&app, endpoint, &body)
    };
    let (op, dry_run, decision) = match judged {
        Ok(j) => j,
        Err(message) => {
            return reject(&app, Rejection::Malformed, StatusCode::BAD_REQUEST, message);
        }
    };
    app.metrics.record(
        endpoint,
        &op,
        dry_run,
        &decision,
        started.elapsed().as_secs_f64(),
    );
    let mut response = Response::new(Body::from(review::render(&decision.response)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn too_large(app: &App) -> Response {
    reject(
        app,
        Rejection::TooLarge,
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.to_string().contains("length limit exceeded") {
            return true;
        }
        source = s.source();
    }
    false
}

/// Decodes and decides one review. A panic outside the rules (which are guarded on their
/// own) still yields an answer: refused or admitted as `on-rule-error` says.
fn judge(
    app: &App,
    endpoint: &'static str,
    body: &Bytes,
) -> Result<(String, bool, Decision), String> {
    let mut req = review::parse(body).map_err(|e| e.0)?;
    let verdicts = &app.verdicts;
    let decided = catch_unwind(AssertUnwindSafe(|| match endpoint {
        "mutate" => verdicts.mutate(&mut req),
        _ => verdicts.validate(&mut req),
    }));
    let decision = decided.unwrap_or_else(|_| {
        tracing::error!(uid = %req.uid, "judging a review failed");
        let mut response = review::Response::allow(&req.uid);
        if endpoint == "validate" && verdicts.config().deny_on_rule_error {
            response.forbid(
                "Palisade failed while judging this request (on-rule-error is deny)".into(),
            );
        } else {
            response.warnings.push(
                "Palisade failed while judging this request; it was admitted unchecked".into(),
            );
        }
        let mut d = Decision {
            response,
            kind: "other",
            findings: Vec::new(),
            rule_errors: vec!["internal"],
            skipped: Some("error"),
            patch_ops: 0,
        };
        d.kind = "other";
        d
    });
    log_decision(endpoint, &req, &decision);
    Ok((req.operation, req.dry_run, decision))
}

fn log_decision(endpoint: &'static str, req: &review::Request, d: &Decision) {
    let r = &d.response;
    if !r.allowed {
        tracing::info!(
            endpoint,
            uid = %req.uid,
            kind = %req.kind.kind,
            namespace = %req.namespace,
            name = %req.name,
            operation = %req.operation,
            user = %req.user_info.username,
            dry_run = req.dry_run,
            allowed = false,
            reason = r.status.as_ref().map_or("", |s| s.message.as_str()),
            "review denied"
        );
    } else {
        tracing::debug!(
            endpoint,
            uid = %req.uid,
            kind = %req.kind.kind,
            namespace = %req.namespace,
            name = %req.name,
            operation = %req.operation,
            dry_run = req.dry_run,
            allowed = true,
            warnings = r.warnings.len(),
            patch_ops = d.patch_ops,
            skipped = d.skipped.unwrap_or(""),
            "review allowed"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_go_durations() {
        assert_eq!(
            parse_timeout(Some("timeout=10s")),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_timeout(Some("a=b&timeout=500ms")),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_timeout(Some("timeout=1m30s")),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_timeout(Some("timeout=1.5s")),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_timeout(Some("timeout=ten")), None);
        assert_eq!(parse_timeout(Some("timeout=10")), None);
        assert_eq!(parse_timeout(Some("timeout=0s")), None);
        assert_eq!(parse_timeout(None), None);
    }
}
