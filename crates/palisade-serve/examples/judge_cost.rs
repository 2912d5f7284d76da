//! Time spent per review outside HTTP and TLS: decoding, deciding, rendering.
//!
//! `cargo run --release -p palisade-serve --example judge_cost` (from the repository root)
//! uses the reviews in `bench/serve/`, at `restricted` for every mode.

use std::time::{Duration, Instant};

use palisade_serve::review;

const ROUNDS: u32 = 20_000;

fn per_round(f: impl Fn()) -> Duration {
    let started = Instant::now();
    for _ in 0..ROUNDS {
        f();
    }
    started.elapsed() / ROUNDS
}

fn main() {
    let yaml = "serve:\n  defaults: {enforce: restricted, audit: restricted, warn: restricted, rules: warn}\n";
    let config = palisade_engine::Config::parse(".palisade.yaml", yaml).unwrap();
    let serve = config.serve.value.clone();
    let verdicts = palisade_serve::Verdicts::new(&config, serve).unwrap();
    for case in ["pod", "deployment"] {
        let body = std::fs::read(format!("bench/serve/{case}.json")).unwrap();
        let decode = per_round(|| {
            std::hint::black_box(review::parse(&body).unwrap());
        });
        let both = per_round(|| {
            let mut req = review::parse(&body).unwrap();
            std::hint::black_box(verdicts.validate(&mut req));
        });
        let decision = verdicts.validate(&mut review::parse(&body).unwrap());
        let render = per_round(|| {
            std::hint::black_box(review::render(&decision.response));
        });
        println!(
            "{case}: decode {decode:?}, decide {:?}, render {render:?} (allowed: {}, warnings: {})",
            both.saturating_sub(decode),
            decision.response.allowed,
            decision.response.warnings.len()
        );
    }
}
