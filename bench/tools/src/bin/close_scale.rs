//! Benchmark (not a test): closing a big team, as deployed. Against the
//! emulator at `AWS_ENDPOINT_URL` (scripts/bench starts MiniStack for it: moto
//! copies the whole table for every item of every transaction, so 50,000
//! membership ends among 110,000 items would take it days).
//!
//! Usage: close_scale MEMBERS INVITATIONS
//! Loads a team of MEMBERS members (its owner among them) and INVITATIONS open
//! invitations in bulk, closes it as the platform's DELETE does, then hands
//! the closing function each step the table's stream hands over (through its
//! mapping's filter, one record per invocation as `BatchSize: 1` does), until
//! none is left. Prints one line:
//! `close members=.. invitations=.. answer_ms=.. steps=.. total_s=.. step_p50_ms=.. step_max_ms=.. timeout_s=..`
//! and fails unless every invitation was withdrawn and every membership ended.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};

use integration_tests::changes::StreamReader;
use invitations_core::adapters::dynamo::table::create_table;
use invitations_core::adapters::dynamo::{membership_items, open_invitation_items, DynamoStore};
use invitations_core::clock::SystemClock;
use invitations_core::config;
use invitations_core::domain::{
    Email, Invitation, Membership, RoleCatalog, RoleName, Team, TeamId, TeamName, UserId,
};
use invitations_core::ports::TeamStore;
use invitations_core::service::teams::{PlatformCaller, Teams};
use invitations_core::service::{Context, Settings};
use invitations_core::triggers::closing::ClosingTrigger;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a number")).collect();
    let [members, invitations] = args.as_slice() else { panic!("usage: close_scale MEMBERS INVITATIONS") };
    let (members, invitations) = (*members, *invitations);
    let sdk = integration_tests::sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("close-scale-{}", Utc::now().timestamp());
    create_table(&client, &table).await.expect("create the table");
    let store = DynamoStore::new(client.clone(), table.clone());
    let now = Utc::now();
    let team = Team {
        id: TeamId::parse("big-team").unwrap(),
        name: TeamName::parse("Big Team").unwrap(),
        created_at: now,
    };
    let member = |i: usize| Membership {
        team_id: team.id.clone(),
        user_id: UserId::parse(&format!("user-{i}")).unwrap(),
        email: Email::parse(&format!("user{i}@big.example.com")).unwrap(),
        role: RoleName::parse(if i == 0 { RoleName::OWNER } else { "member" }).unwrap(),
        joined_at: now,
        metadata: None,
    };
    store.create_team(&team, &member(0), None).await.expect("create the team");

    let started = Instant::now();
    let mut items = Vec::new();
    for i in 1..members {
        items.extend(membership_items(&member(i)));
    }
    for i in 0..invitations {
        let inv = Invitation::new(
            &team,
            Email::parse(&format!("invitee{i}@elsewhere.example.com")).unwrap(),
            RoleName::parse("member").unwrap(),
            member(0).user_id,
            now,
            config::default_validity(),
        );
        items.extend(open_invitation_items(&inv, inv.purge_at(config::default_retention())));
    }
    bench_tools::load(&client, &table, items).await;
    eprintln!("loaded {members} members and {invitations} open invitations in {:?}", started.elapsed());

    let ctx = Context::new(
        std::sync::Arc::new(SystemClock),
        RoleCatalog::builtin(),
        Settings {
            app_base_url: "https://app.example.com".into(),
            invitation_validity: config::default_validity(),
            history_retention: config::default_retention(),
            resend_cooldown: config::default_resend_cooldown(),
            reminder_lead: Some(chrono::TimeDelta::seconds(config::DEFAULT_REMINDER_LEAD_SECONDS)),
            branding: Default::default(),
            trust_unverified_email: false,
            limits: config::default_limits(),
            emails_per_recipient_per_day: config::DEFAULT_MAX_EMAILS_PER_RECIPIENT_PER_DAY as u32,
            linkless_providers: Vec::new(),
        },
    );
    let mut stream = StreamReader::closing(&client, &table).await;
    // The seeded items' records: none is a closing step.
    assert_eq!(records(&stream.batch()).len(), 0);

    let platform = Teams::new(store.clone(), ctx.clone());
    let caller = PlatformCaller { principal: "arn:aws:iam::000000000000:role/platform".into() };
    let asked = Instant::now();
    let closed = platform.close_team(&caller, &team.id).await.expect("closed");
    let answer = asked.elapsed();
    assert!(closed.closing.is_some_and(|c| !c.done()));

    let function = ClosingTrigger::new(Teams::new(store.clone(), ctx));
    let mut steps: Vec<Duration> = Vec::new();
    let began = Instant::now();
    loop {
        let batch = stream.batch();
        let records = records(&batch);
        if records.is_empty() {
            break;
        }
        for record in records {
            let one = Instant::now();
            let answer = function.handle(&json!({ "Records": [record] })).await;
            steps.push(one.elapsed());
            assert_eq!(answer, json!({"batchItemFailures": []}), "step {} failed", steps.len());
            if steps.len().is_multiple_of(50) {
                eprintln!("{} steps in {:.0?}", steps.len(), began.elapsed());
            }
        }
    }
    let total = began.elapsed();
    let closing = store.team_record(&team.id).await.unwrap().unwrap().closing.expect("a closing");
    assert!(closing.done(), "{closing:?}");
    assert_eq!(
        (closing.invitations_withdrawn, closing.memberships_ended),
        (invitations as u64, members as u64),
        "every invitation withdrawn, every membership ended"
    );
    steps.sort();
    let timeout = integration_tests::template::parsed()["Resources"]["ClosingFunction"]["Properties"]
        ["Timeout"]
        .as_u64()
        .expect("the closing function's timeout");
    println!(
        "close members={members} invitations={invitations} answer_ms={:.1} steps={} total_s={:.1} step_p50_ms={:.0} step_max_ms={:.0} timeout_s={timeout}",
        answer.as_secs_f64() * 1000.0,
        steps.len(),
        total.as_secs_f64(),
        steps[steps.len() / 2].as_secs_f64() * 1000.0,
        steps.last().unwrap().as_secs_f64() * 1000.0,
    );
}

fn records(batch: &Value) -> Vec<Value> {
    batch["Records"].as_array().cloned().unwrap_or_default()
}
