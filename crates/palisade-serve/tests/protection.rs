//! What a webhook on the path of every write must survive: malformed, oversized, slow and
//! non-v1 requests each get a clear HTTP answer, rules that fail still give a decision, and
//! the server stays up and keeps answering; shutdown finishes reviews already in flight.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::{Client, read_raw, response, review, temp_dir, write_certs, write_raw};
use palisade_rules::{Applies, Category, Check, Cx, PssLevel, Rule, RuleMeta, Severity};

const POD: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}"#;

async fn still_serving(client: &Client) {
    let (status, body) = client.get("/healthz").await.unwrap();
    assert_eq!((status, body.as_slice()), (200, &b"ok"[..]));
    let ok = review("alive", "pods", "Pod", "default", "CREATE", POD);
    let (status, body) = client.post("/validate", ok.as_bytes()).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(response(&body)["uid"], "alive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_http_errors_and_the_server_stays_up() {
    let certs = write_certs(&temp_dir("protection"));
    let server = common::start("", &certs).await;
    let client = Client::new(&certs.ca_pem, server.addr);
    let (status, body) = client.get("/readyz").await.unwrap();
    assert_eq!((status, body.as_slice()), (200, &b"ready"[..]));

    let cases: &[(&str, &[u8], u16, &str)] = &[
        ("not JSON", b"hello", 400, "not an AdmissionReview"),
        ("truncated JSON", br#"{"apiVersion":"admission.k8s.io/v1","kind":"Adm"#, 400, "not an AdmissionReview"),
        ("a JSON list", b"[1,2,3]", 400, "not an AdmissionReview"),
        ("empty body", b"", 400, "not an AdmissionReview"),
        (
            "v1beta1",
            br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#,
            400,
            "admissionReviewVersions: [v1]",
        ),
        ("another kind", br#"{"apiVersion":"v1","kind":"Pod"}"#, 400, "got a `Pod` (v1): this endpoint takes"),
        ("no request", br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#, 400, "no `request`"),
        (
            "no uid",
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}"#,
            400,
            "not an AdmissionReview",
        ),
        (
            "object of the wrong type",
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":"Pod"}}"#,
            200,
            "",
        ),
        ("deeply nested", &[b'['; 100_000], 400, "not an AdmissionReview"),
    ];
    for (what, body, want, text) in cases {
        for endpoint in ["/validate", "/mutate"] {
            let (status, got) = client.post(endpoint, body).await.unwrap();
            let got = String::from_utf8_lossy(&got);
            assert_eq!(status, *want, "{what} at {endpoint}: {got}");
            assert!(got.contains(text), "{what} at {endpoint}: {got}");
        }
    }

    // Over 3 MiB, announced by Content-Length: refused before the body is read.
    let mut tls = client.tls().await.unwrap();
    write_raw(
        &mut tls,
        b"POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 3145729\r\n\r\n",
    )
    .await;
    let answer = read_raw(&mut tls, Duration::from_secs(5)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Over 3 MiB without Content-Length (chunked): refused once the limit is crossed.
    let big = format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"big","object":{{"data":"{}"}}}}}}"#,
        "x".repeat(3 * 1024 * 1024)
    );
    let (status, _) = client
        .post("/validate", big.as_bytes())
        .await
        .unwrap_or((413, Vec::new()));
    assert_eq!(status, 413);

    // Just under the cap is judged.
    let mut padded = review("under", "pods", "Pod", "default", "CREATE", POD);
    padded.insert_str(
        1,
        &format!(
            r#""padding":"{}","#,
            "x".repeat(3 * 1024 * 1024 - padded.len() - 20)
        ),
    );
    assert!(padded.len() < 3 * 1024 * 1024);
    let (status, body) = client.post("/validate", padded.as_bytes()).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    // Slow: half a body, then nothing. The request's own timeout bounds the wait.
    let started = Instant::now();
    let mut tls = client.tls().await.unwrap();
    write_raw(
        &mut tls,
        b"POST /validate?timeout=1s HTTP/1.1\r\nhost: localhost\r\ncontent-length: 1000\r\n\r\n{\"apiVersion\":",
    )
    .await;
    let answer = read_raw(&mut tls, Duration::from_secs(5)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // Many stalled clients at once do not stop others from being answered.
    let mut stalled = Vec::new();
    for _ in 0..20 {
        let mut tls = client.tls().await.unwrap();
        write_raw(&mut tls, b"POST /validate?timeout=2s HTTP/1.1\r\nhost: localhost\r\ncontent-length: 500\r\n\r\n{").await;
        stalled.push(tls);
    }
    still_serving(&client).await;

    let (_, metrics) = client.get("/metrics").await.unwrap();
    let metrics = String::from_utf8(metrics).unwrap();
    for reason in ["malformed", "too-large", "timeout"] {
        assert!(
            metrics.contains(&format!("reason=\"{reason}\"")),
            "{reason}: {metrics}"
        );
    }
    drop(stalled);
    still_serving(&client).await;
    server.shutdown().await.unwrap();
}

declare_failing_rule!();

/// A rule that panics on every pod, to stand for a bug in a real one.
macro_rules! declare_failing_rule {
    () => {
        static FAILING: Rule = Rule {
            meta: RuleMeta {
                id: "PSS999",
                name: "always-panics",
                category: Category::Pss,
                severity: Severity::High,
                default_enabled: true,
                applies: Applies::PodBearing,
                pss_level: Some(PssLevel::Baseline),
                aliases: &[],
                summary: "Fails on purpose",
                doc: "",
            },
            check: Check::Object(fail),
        };

        fn fail(_: &mut Cx<'_>) {
            panic!("index out of bounds in a test rule");
        }
    };
}
use declare_failing_rule;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_rule_still_gets_a_decision_as_configured() {
    let certs = write_certs(&temp_dir("failing-rule"));
    for (config, allowed) in [("", false), ("serve:\n  on-rule-error: allow\n", true)] {
        let server = common::start_with(config, &certs, |o| o.extra_rules = vec![&FAILING]).await;
        let client = Client::new(&certs.ca_pem, server.addr);
        let privileged = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx:1.27","securityContext":{"privileged":true}}]}}"#;
        for (object, other_rule_denies) in [(POD, false), (privileged, true)] {
            let body = review("u", "pods", "Pod", "default", "CREATE", object);
            let (status, body) = client.post("/validate", body.as_bytes()).await.unwrap();
            assert_eq!(status, 200);
            let r = response(&body);
            assert_eq!(
                r["allowed"],
                allowed && !other_rule_denies,
                "{config:?} {r}"
            );
            let text = r.to_string();
            assert!(
                text.contains("PSS999") && text.contains("index out of bounds"),
                "{text}"
            );
            assert_eq!(r["auditAnnotations"]["error"], "rules failed: PSS999");
            if other_rule_denies {
                // The other rules still ran.
                assert!(
                    r["status"]["message"].as_str().unwrap().contains("PSS002"),
                    "{r}"
                );
            }
        }
        let (_, metrics) = client.get("/metrics").await.unwrap();
        assert!(
            String::from_utf8(metrics)
                .unwrap()
                .contains(r#"palisade_admission_rule_errors_total{rule="PSS999"} 2"#)
        );
        server.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_reviews_in_flight() {
    let certs = write_certs(&temp_dir("shutdown"));
    let server = common::start("", &certs).await;
    let client = Client::new(&certs.ca_pem, server.addr);
    let body = review("in-flight", "pods", "Pod", "default", "CREATE", POD);
    let (head, tail) = body.as_bytes().split_at(body.len() / 2);

    let mut tls = client.tls().await.unwrap();
    let mut first = format!(
        "POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    first.extend_from_slice(head);
    write_raw(&mut tls, &first).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let addr = server.addr;
    let stopping = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !stopping.is_finished(),
        "shutdown did not wait for the review in flight"
    );
    assert!(
        Client::new(&certs.ca_pem, addr).connect().await.is_err(),
        "new connections are still accepted during shutdown"
    );

    write_raw(&mut tls, tail).await;
    let answer = read_raw(&mut tls, Duration::from_secs(5)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""uid":"in-flight""#), "{answer}");
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("shutdown finished")
        .unwrap()
        .unwrap();
}

/// Waits until `/readyz` answers `want`, for at most `limit`.
async fn readyz_becomes(client: &Client, want: u16, limit: Duration) -> Vec<u8> {
    let started = Instant::now();
    loop {
        let (status, body) = client.get("/readyz").await.unwrap();
        if status == want {
            return body;
        }
        assert!(started.elapsed() < limit, "/readyz still answers {status}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_keeps_answering_reviews_while_not_ready_for_the_delay() {
    let certs = write_certs(&temp_dir("drain"));
    let delay = Duration::from_secs(2);
    let server = common::start_with("", &certs, |o| o.shutdown_delay = delay).await;
    let client = Client::new(&certs.ca_pem, server.addr);
    // A connection opened before shutdown, as the API server keeps them.
    let mut kept = client.connect().await.unwrap();
    assert_eq!(kept.get("/readyz").await.unwrap().0, 200);

    let started = Instant::now();
    let stopping = tokio::spawn(server.shutdown());
    let body = readyz_becomes(&client, 503, Duration::from_secs(1)).await;
    assert_eq!(body, b"shutting down");

    // Reviews still get answers, on new connections and on kept ones.
    for (uid, result) in [
        (
            "new-connection",
            client
                .post(
                    "/validate",
                    review("new-connection", "pods", "Pod", "default", "CREATE", POD).as_bytes(),
                )
                .await,
        ),
        (
            "kept-connection",
            kept.post(
                "/validate",
                review("kept-connection", "pods", "Pod", "default", "CREATE", POD).as_bytes(),
            )
            .await,
        ),
    ] {
        let (status, body) = result.unwrap();
        assert_eq!(status, 200, "{uid}");
        assert_eq!(response(&body)["uid"], uid);
    }
    assert!(
        started.elapsed() < delay,
        "the checks took longer than the delay"
    );
    assert!(
        !stopping.is_finished(),
        "shutdown did not wait for the delay"
    );

    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("shutdown finished")
        .unwrap()
        .unwrap();
    assert!(started.elapsed() >= delay);
    assert!(
        client.connect().await.is_err(),
        "new connections are still accepted after the delay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_runs_are_judged_without_counting() {
    let certs = write_certs(&temp_dir("dry-run"));
    let server = common::start("", &certs).await;
    let client = Client::new(&certs.ca_pem, server.addr);
    let privileged = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx:1.27","securityContext":{"privileged":true}}]}}"#;
    let mut dry: serde_json::Value = serde_json::from_str(&review(
        "dry", "pods", "Pod", "default", "CREATE", privileged,
    ))
    .unwrap();
    dry["request"]["dryRun"] = true.into();
    let (_, body) = client
        .post("/validate", dry.to_string().as_bytes())
        .await
        .unwrap();
    assert_eq!(response(&body)["allowed"], false);
    let (_, metrics) = client.get("/metrics").await.unwrap();
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        !metrics.contains("palisade_admission_reviews_total{"),
        "{metrics}"
    );
    assert!(
        metrics
            .contains("palisade_admission_review_duration_seconds_count{endpoint=\"validate\"} 1"),
        "{metrics}"
    );

    let real = review("real", "pods", "Pod", "default", "CREATE", privileged);
    client.post("/validate", real.as_bytes()).await.unwrap();
    let (_, metrics) = client.get("/metrics").await.unwrap();
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains(r#"palisade_admission_reviews_total{endpoint="validate",kind="Pod",operation="CREATE",decision="denied"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"palisade_admission_findings_total{rule="PSS002",kind="Pod",operation="CREATE",mode="enforce"} 1"#),
        "{metrics}"
    );
    server.shutdown().await.unwrap();
}
