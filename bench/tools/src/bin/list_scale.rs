//! Benchmark (not a test): the list handler's latency in teams of different
//! sizes sharing one big table, against the emulator at `AWS_ENDPOINT_URL`.
//! In-process, with the production handler and adapters but without the
//! functions' 3-second attempt timeout: moto scans the whole table for every
//! index query (its implementation, not DynamoDB's), which takes longer than
//! that with 100,000 items.
//!
//! Usage: list_scale TABLE TEAM... (teams made by bench_seed, owner `TEAM-owner`)
//! Prints, for the whole list and for `?status=open` (a few open invitations
//! among the team's history), `scale <team> filter=<all|open> n=30 median_ms=<..>
//! p90_ms=<..> items=<..> reads_at_most=<..>`, the last being the sum of the
//! `Limit`s of the queries one request sent: DynamoDB reads no more items than that.

use std::time::Instant;

use integration_tests::{call_handlers, Call, User};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (table, teams) = args.split_first().expect("usage: list_scale TABLE TEAM...");
    let sdk = integration_tests::sdk_config().await;
    // The owners see each open invitation's link: the keys come from a secret.
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let secret_id = format!("{table}-link-secret");
    secrets
        .create_secret()
        .name(&secret_id)
        .secret_string(integration_tests::SECRET)
        .send()
        .await
        .expect("create the link secret");
    let seen = integration_tests::Observer::default();
    let clients = integration_tests::Clients {
        dynamo: aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(seen.clone()).build(),
        ),
        ses: aws_sdk_sesv2::Client::new(&sdk),
        secrets,
    };
    let api = integration_tests::handlers_with(&clients, table, &secret_id);
    for team in teams {
        let owner = User::new(&format!("{team}-owner"), &format!("owner@{team}.example.com"));
        for (filter, query) in
            [("all", vec![("limit", "20")]), ("open", vec![("limit", "20"), ("status", "open")])]
        {
            let mut samples = Vec::new();
            let (mut items, mut reads) = (0, 0);
            for _ in 0..30 {
                seen.take();
                let started = Instant::now();
                let resp = call_handlers(&api, Call::list(team).query(&query).by(&owner)).await;
                samples.push(started.elapsed());
                assert_eq!(resp.status, 200, "{}", resp.body);
                items = resp.body["invitations"].as_array().map_or(0, Vec::len);
                reads = seen.take().query_limits.iter().map(|l| l.unwrap_or(i64::MAX)).sum::<i64>();
            }
            samples.sort();
            let ms = |i: usize| samples[i].as_secs_f64() * 1000.0;
            println!(
                "scale {team} filter={filter} n=30 median_ms={:.1} p90_ms={:.1} items={items} reads_at_most={reads}",
                ms(15),
                ms(26)
            );
        }
    }
}
