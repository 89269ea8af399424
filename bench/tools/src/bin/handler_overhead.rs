//! Benchmark (not a test): in-process time each handler spends outside its AWS
//! calls (parsing, the domain, serialising, logging), per operation. Runs the
//! production handlers against the emulator at `AWS_ENDPOINT_URL`; the SDK
//! interceptor measures the time spent waiting on DynamoDB and SES, and the rest
//! is the handler's own. `scripts/bench` runs it in release mode.
//!
//! Usage: handler_overhead [ITERATIONS]   (default 300 per operation)
//! Prints one line per operation: `overhead <op> n=<n> p50_us=<..> p99_us=<..>`.

use serde_json::json;
use std::time::{Duration, Instant};

use integration_tests::{dispatch, parse_event, token_of, Call, User, World};

fn percentile(sorted: &[Duration], p: f64) -> u128 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_micros()
}

/// Runs `call` through its handler; returns (status, time outside AWS calls).
async fn measure(w: &World, call: Call) -> (u16, serde_json::Value, Duration) {
    let function = call.function;
    let request = parse_event(&call.event().to_string());
    w.dynamo_seen.take();
    w.ses_seen.take();
    w.secrets_seen.take();
    let started = Instant::now();
    let response = dispatch(&w.handlers, function, request).await;
    let total = started.elapsed();
    let waited = w.dynamo_seen.take().busy + w.ses_seen.take().busy + w.secrets_seen.take().busy;
    let resp = integration_tests::into_resp(response);
    (resp.status, resp.body, total.saturating_sub(waited))
}

// As the functions run (`functions/*/src/main.rs`): one thread, so what is
// measured includes no wake-ups across a thread pool that Lambda never has.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    // The functions' own logging (one JSON line per request) is part of the cost.
    invitations_core::bootstrap::init_tracing();
    let n: usize = std::env::args().nth(1).map(|a| a.parse().expect("ITERATIONS is a number")).unwrap_or(300);
    // Hundreds of invitations in one team: the per-team limits would refuse most.
    let limits =
        invitations_core::domain::TeamLimits { max_open: 100_000, emails_per_hour: 1_000, seats: None };
    let w = World::with(integration_tests::Options { limits, ..Default::default() }).await;
    let mut results: Vec<(&str, Vec<Duration>)> = Vec::new();
    let mut invited = Vec::new();

    let mut samples = Vec::new();
    for i in 0..n {
        let call =
            Call::invite(&w.team, json!({"email": w.email(&format!("p{i}")), "role": "member"})).by(&w.owner);
        let (status, body, d) = measure(&w, call).await;
        assert_eq!(status, 201, "{body}");
        invited.push((body["id"].as_str().unwrap().to_owned(), token_of(body["link"].as_str().unwrap()), i));
        samples.push(d);
    }
    results.push(("invite", samples));

    let mut samples = Vec::new();
    for _ in 0..n {
        let (status, _, d) = measure(&w, Call::list(&w.team).query(&[("limit", "20")]).by(&w.member)).await;
        assert_eq!(status, 200);
        samples.push(d);
    }
    results.push(("list", samples));

    let (mut preview, mut accept, mut decline, mut withdraw) = (vec![], vec![], vec![], vec![]);
    for (id, token, i) in &invited {
        let (status, _, d) = measure(&w, Call::preview(id, token)).await;
        assert_eq!(status, 200);
        preview.push(d);
        let (status, _, d) = match i % 3 {
            0 => {
                let invitee = User::new(&format!("p{i}-{}", w.tag), &w.email(&format!("p{i}")));
                let r = measure(&w, Call::accept(id, token).by(&invitee)).await;
                accept.push(r.2);
                r
            }
            1 => {
                let r = measure(&w, Call::decline(id, token)).await;
                decline.push(r.2);
                r
            }
            _ => {
                let r = measure(&w, Call::withdraw(&w.team, id).by(&w.admin)).await;
                withdraw.push(r.2);
                r
            }
        };
        assert_eq!(status, 200);
        let _ = d;
    }
    results.extend([("preview", preview), ("accept", accept), ("decline", decline), ("withdraw", withdraw)]);

    for (op, mut samples) in results {
        samples.sort();
        eprintln!(
            "overhead {op} n={} p50_us={} p99_us={}",
            samples.len(),
            percentile(&samples, 0.50),
            percentile(&samples, 0.99)
        );
    }
}
