//! Benchmark (not a test): what each operation costs in DynamoDB's on-demand
//! mode (read and write request units, metered by `integration_tests::capacity`
//! from the items each request touches), and what 1,000 invitation lifecycles
//! cost in DynamoDB, SES, Lambda, API Gateway and EventBridge at the public
//! us-east-1 prices below. Runs the production handlers against the emulator
//! at `AWS_ENDPOINT_URL`; `scripts/bench` runs it and `bench/harness.py report`
//! prints its lines.
//!
//! Prints markdown table rows, and one `verdict ok|missed TEXT` line per budget.

use chrono::TimeDelta;
use serde_json::{json, Value};

use integration_tests::capacity::Meter;
use integration_tests::reports::ses_report;
use integration_tests::{token_of, Call, Options, User, World};
use invitations_core::adapters::dynamo::strict::capacity::Units;
use invitations_core::domain::TeamLimits;

/// Public on-demand list prices in us-east-1 (USD), after DynamoDB's November
/// 2024 reduction, as published sources give them; not read from AWS here,
/// so docs/performance.md links each page to check before quoting.
const PER_MILLION_WRITE_UNITS: f64 = 0.625;
const PER_MILLION_READ_UNITS: f64 = 0.125;
const PER_THOUSAND_EMAILS: f64 = 0.10;
const PER_MILLION_LAMBDA_REQUESTS: f64 = 0.20;
/// arm64, per GB-second.
const PER_LAMBDA_GB_SECOND: f64 = 0.000_013_333_4;
const PER_MILLION_HTTP_API_REQUESTS: f64 = 1.00;
const PER_MILLION_CUSTOM_EVENTS: f64 = 1.00;
/// Not measured here (the emulator's latency is not AWS's): an assumed
/// billed duration per invocation, at the template's 128 MB.
const ASSUMED_BILLED_MS: f64 = 100.0;
const MEMORY_GB: f64 = 128.0 / 1024.0;

struct Bench {
    w: World,
    meter: Meter,
    rows: std::cell::RefCell<Vec<(String, Units)>>,
}

impl Bench {
    async fn new(options: Options) -> Self {
        let meter = Meter::default();
        let w = World::with(Options { capacity: Some(meter.clone()), ..options }).await;
        Self { w, meter, rows: Default::default() }
    }

    /// Runs `call`, expecting `status`; its units.
    async fn call(&self, call: Call, status: u16) -> (Units, Value) {
        self.meter.take();
        let resp = self.w.call(call).await;
        assert_eq!(resp.status, status, "{}", resp.body);
        (self.meter.take(), resp.body)
    }

    async fn row(&self, op: &str, call: Call, status: u16) -> Value {
        let (units, body) = self.call(call, status).await;
        self.rows.borrow_mut().push((op.to_owned(), units));
        body
    }

    async fn invite(&self, email: &str) -> (String, String, Units) {
        let call = Call::invite(&self.w.team, json!({"email": email, "role": "member"})).by(&self.w.owner);
        let (units, body) = self.call(call, 201).await;
        (body["id"].as_str().unwrap().to_owned(), token_of(body["link"].as_str().unwrap()), units)
    }

    /// The delivery function applying SES's report of `kind`; its units.
    async fn report(&self, kind: &str, id: &str, to: &str) -> Units {
        self.meter.take();
        self.w.delivery_function().handle(&ses_report(kind, id, to, 0)).await.expect("report applied");
        self.meter.take()
    }
}

fn verdict(ok: bool, text: String) {
    println!("verdict {} {text}", if ok { "ok" } else { "missed" });
}

fn row(op: &str, u: Units) -> String {
    format!("| {op} | {} | {} |", u.read, u.write)
}

#[tokio::main]
async fn main() {
    let limits = TeamLimits { max_open: 100_000, emails_per_hour: 100_000, seats: None };
    let b = Bench::new(Options { limits, stream: true, ..Default::default() }).await;
    let w = &b.w;
    let owner = w.owner.clone();
    let team = w.team.clone();
    let person = |name: &str| User::new(&format!("{name}-{}", w.tag), &w.email(name));

    // A team with history: 60 invitations, each resent three times, a day apart.
    let mut aged = Vec::new();
    for i in 0..60 {
        aged.push(b.invite(&w.email(&format!("aged{i}"))).await.0);
    }
    for _ in 0..3 {
        w.clock.advance(TimeDelta::days(1));
        for id in &aged {
            assert_eq!(w.call(Call::resend(&team, id).by(&owner)).await.status, 200);
        }
    }

    // One invitation's lifecycle: invite, two delivery reports, a list page,
    // preview, accept; and what the stream and the bus carry for it.
    let mut stream = w.stream().await;
    stream.batch();
    let sink = w.event_sink().await;
    let ada = person("ada");
    let (id, token, invite) = b.invite(&ada.email).await;
    let delayed = b.report("DeliveryDelay", &id, &ada.email).await;
    let delivered = b.report("Delivery", &id, &ada.email).await;
    let (list, page) = b.call(Call::list(&team).query(&[("limit", "20")]).by(&w.member), 200).await;
    assert_eq!(page["invitations"].as_array().unwrap().len(), 20);
    let (preview, _) = b.call(Call::preview(&id, &token), 200).await;
    let (accept, _) = b.call(Call::accept(&id, &token).by(&ada), 200).await;
    let records = stream.batch();
    let records_n = records["Records"].as_array().unwrap().len();
    b.meter.take();
    let published = w.events_function(&sink.bus).handle(&records).await;
    assert_eq!(published["batchItemFailures"], json!([]));
    let stream_units = b.meter.take();
    let events_n = sink.received().len();
    let lifecycle =
        [invite, delayed, delivered, list, preview, accept].into_iter().fold(Units::default(), |a, u| a + u);
    for (op, u) in [
        ("invite", invite),
        ("delivery report (delay, then delivered)", delayed + delivered),
        ("list page of 20 (a team of 61, each invitation resent 3 times)", list),
        ("preview", preview),
        ("accept with the link", accept),
        ("stream records of a lifecycle, published", stream_units),
    ] {
        b.rows.borrow_mut().push((op.to_owned(), u));
    }

    // The other operations, each once.
    let entries: Vec<Value> =
        (0..50).map(|i| json!({"email": w.email(&format!("batch{i}")), "role": "member"})).collect();
    b.row("batch of 50", Call::batch(&team, json!({"invitations": entries})).by(&owner), 200).await;
    w.clock.advance(TimeDelta::days(1));
    b.row("resend", Call::resend(&team, &aged[0]).by(&owner), 200).await;
    let bo = person("bo");
    let (bo_id, _, _) = b.invite(&bo.email).await;
    b.row("my invitations", Call::my_invitations().by(&bo), 200).await;
    b.row("accept without the link", Call::accept_without_link(&bo_id).by(&bo), 200).await;
    let (cy_id, cy_token, _) = b.invite(&w.email("cy")).await;
    b.row("decline", Call::decline(&cy_id, &cy_token), 200).await;
    b.row("withdraw", Call::withdraw(&team, &aged[1]).by(&owner), 200).await;
    b.row("members page", Call::members(&team).by(&w.member), 200).await;
    b.row("history", Call::history(&team, &aged[0]).by(&owner), 200).await;
    b.row("remove a member", Call::remove_member(&team, &ada.sub).by(&owner), 200).await;
    let new_team = format!("p-{}", w.tag);
    let founder = json!({"name": "P", "owner": {"userId": "founder", "email": w.email("founder")}});
    let signed = |method: &'static str, team: &str| Call::platform(method, team).by_platform();
    b.row("platform: create a team", signed("PUT", &new_team).json(founder), 201).await;
    b.row("platform: read a team", signed("GET", &new_team), 200).await;
    b.row("platform: rename a team", signed("PATCH", &new_team).json(json!({"name": "Q"})), 200).await;
    let founder = User::new("founder", &w.email("founder"));
    let call = Call::invite(&new_team, json!({"email": w.email("dee"), "role": "member"})).by(&founder);
    assert_eq!(w.call(call).await.status, 201);
    // The closing: the DELETE, then the closing function's steps.
    let mut closing = w.closing_stream().await;
    let (mut units, _) = b.call(signed("DELETE", &new_team), 202).await;
    assert!(w.run_closings(&mut closing, 100).await > 0);
    units += b.meter.take();
    b.rows
        .borrow_mut()
        .push(("platform: close a team (its owner, 1 open invitation), its steps included".into(), units));

    // Refusals at a team's limits: 60 open invitations, and 60 more that
    // expired and were released (they stay in the index, as history).
    let limits = TeamLimits { max_open: 60, emails_per_hour: 100_000, seats: None };
    let r = Bench::new(Options { limits, ..Default::default() }).await;
    for round in 0..2 {
        if round == 1 {
            r.w.clock.advance(TimeDelta::days(8));
        }
        for i in 0..60 {
            r.invite(&r.w.email(&format!("r{round}-{i}"))).await;
        }
    }
    let refused =
        || Call::invite(&r.w.team, json!({"email": r.w.email("c"), "role": "member"})).by(&r.w.owner);
    let (recounted, _) = r.call(refused(), 429).await;
    let (open_refused, _) = r.call(refused(), 429).await;
    let limits = TeamLimits { max_open: 100, emails_per_hour: 2, seats: None };
    let h = Bench::new(Options { limits, ..Default::default() }).await;
    h.invite(&h.w.email("a")).await;
    h.invite(&h.w.email("b")).await;
    let call = Call::invite(&h.w.team, json!({"email": h.w.email("c"), "role": "member"})).by(&h.w.owner);
    let (hourly_refused, _) = h.call(call, 429).await;
    b.rows
        .borrow_mut()
        .push(("invite refused: open invitations at the limit (60 open, 60 released)".into(), open_refused));
    b.rows
        .borrow_mut()
        .push(("the same, the team's first that day: its open invitations counted again".into(), recounted));
    b.rows.borrow_mut().push(("invite refused: emails per hour at the limit".into(), hourly_refused));

    println!("| operation | read units | write units |");
    println!("|---|---|---|");
    for (op, u) in b.rows.borrow().iter() {
        println!("{}", row(op, *u));
    }
    println!("{}", row("**a lifecycle** (invite, 2 reports, list page, preview, accept)", lifecycle));

    // 1,000 lifecycles.
    let n = 1000.0;
    let lambda_invocations = 4.0 + 2.0 + records_n as f64;
    let costs = [
        (
            "DynamoDB",
            format!("{} write and {} read units", lifecycle.write * n, lifecycle.read * n),
            n * (lifecycle.write * PER_MILLION_WRITE_UNITS + lifecycle.read * PER_MILLION_READ_UNITS) / 1e6,
        ),
        ("SES", format!("{n} emails"), n * PER_THOUSAND_EMAILS / 1e3),
        (
            "Lambda",
            format!(
                "{} invocations (4 API, 2 reports, {records_n} stream records at worst one each), {ASSUMED_BILLED_MS} ms at 128 MB assumed",
                lambda_invocations * n
            ),
            n * lambda_invocations
                * (PER_MILLION_LAMBDA_REQUESTS / 1e6 + ASSUMED_BILLED_MS / 1e3 * MEMORY_GB * PER_LAMBDA_GB_SECOND),
        ),
        ("API Gateway (HTTP API)", format!("{} requests", 4.0 * n), n * 4.0 * PER_MILLION_HTTP_API_REQUESTS / 1e6),
        (
            "EventBridge",
            format!("{} events published (SES's reports: AWS service events, free)", events_n as f64 * n),
            n * events_n as f64 * PER_MILLION_CUSTOM_EVENTS / 1e6,
        ),
    ];
    println!();
    println!("| 1,000 lifecycles | what | USD |");
    println!("|---|---|---|");
    let mut total = 0.0;
    for (service, what, usd) in &costs {
        total += usd;
        println!("| {service} | {what} | {usd:.4} |");
    }
    println!("| **total** | | {total:.4} |");

    verdict(lifecycle.write <= 25.0, format!("a lifecycle: {} write units (budget 25)", lifecycle.write));
    verdict(lifecycle.read <= 8.0, format!("a lifecycle: {} read units (budget 8)", lifecycle.read));
    verdict(list.read <= 4.0, format!("a list page of 20: {} read units (budget 4)", list.read));
    for (what, u) in [("open invitations", open_refused), ("emails per hour", hourly_refused)] {
        verdict(u.read <= 5.0, format!("a refusal at the {what} limit: {} read units (budget 5)", u.read));
    }
}
