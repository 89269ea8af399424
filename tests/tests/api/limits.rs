//! Per-team limits against abuse of the operator's sender: at most N open
//! invitations, invitation emails at a sustained rate of M an hour in bursts
//! of at most M (invites, resends and batch entries alike); beyond them `429
//! rate_limited` with `Retry-After`, decided atomically by the writes themselves.

use chrono::TimeDelta;
use invitations_core::domain::{TeamLimits, RELEASE_GRACE};
use serde_json::{json, Value};

use integration_tests::{sent_emails, Call, Options, Resp, User, World};

async fn world(max_open: u32, emails_per_hour: u32) -> World {
    World::with(Options {
        limits: TeamLimits { max_open, emails_per_hour, seats: None },
        ..Options::default()
    })
    .await
}

fn refused(resp: &Resp, limit: &str, retry_after: u64) {
    assert_eq!((resp.status, resp.code()), (429, "rate_limited"), "{}", resp.body);
    assert_eq!(resp.body["limit"], limit, "{}", resp.body);
    assert_eq!(resp.body["retryAfterSeconds"], retry_after, "{}", resp.body);
    assert_eq!(resp.headers["retry-after"].to_str().unwrap(), retry_after.to_string());
}

#[tokio::test]
async fn a_team_with_its_most_open_invitations_invites_again_once_one_is_answered() {
    let w = world(3, 100).await;
    let (first, first_token) = w.invited(&w.email("a"), "member").await;
    w.clock.advance(TimeDelta::hours(1));
    let (second, second_token) = w.invited(&w.email("b"), "member").await;
    let (third, _) = w.invited(&w.email("c"), "member").await;

    // Full: the answer says when the oldest open one expires, and nothing was sent.
    let resp = w.invite(&w.owner, &w.email("d"), "member").await;
    // (An expired invitation holds its place for RELEASE_GRACE more.)
    let wait = TimeDelta::days(7) - TimeDelta::hours(1) + RELEASE_GRACE;
    refused(&resp, "openInvitations", wait.num_seconds() as u64);
    assert!(sent_emails(&w.email("d")).is_empty());
    assert_eq!(
        w.list(&w.owner, &[("status", "open")]).await.body["invitations"].as_array().unwrap().len(),
        3
    );

    // Each way an invitation stops being open frees its place, once.
    assert_eq!(w.withdraw(&w.owner, &third).await.status, 200);
    assert_eq!(w.invite(&w.owner, &w.email("d"), "member").await.status, 201);
    assert_eq!(w.invite(&w.owner, &w.email("e"), "member").await.status, 429);
    assert_eq!(w.decline(None, &second, &second_token).await.status, 200);
    assert_eq!(w.decline(None, &second, &second_token).await.status, 409, "no second release");
    assert_eq!(w.invite(&w.owner, &w.email("e"), "member").await.status, 201);
    let a = User::new(&format!("a-{}", w.tag), &w.email("a"));
    assert_eq!(w.accept(&a, &first, &first_token).await.status, 200);
    assert_eq!(w.invite(&w.owner, &w.email("f"), "member").await.status, 201);
    assert_eq!(w.invite(&w.owner, &w.email("g"), "member").await.status, 429);
}

#[tokio::test]
async fn expired_invitations_stop_counting_and_a_resend_does_not_count_twice() {
    let w = world(2, 100).await;
    let (a, _) = w.invited(&w.email("a"), "member").await;
    w.invited(&w.email("b"), "member").await;
    w.clock.advance(TimeDelta::minutes(10));
    assert_eq!(w.call(Call::resend(&w.team, &a).by(&w.owner)).await.status, 200);
    let wait = TimeDelta::days(7) - TimeDelta::minutes(10) + RELEASE_GRACE;
    refused(&w.invite(&w.owner, &w.email("c"), "member").await, "openInvitations", wait.num_seconds() as u64);

    // b's week is over (a was resent: a new week), but a moment after its expiry
    // it still holds its place: an answer judged just before may be committing.
    w.clock.advance(TimeDelta::days(7) - TimeDelta::minutes(10));
    assert_eq!(w.invite(&w.owner, &w.email("c"), "member").await.status, 429);
    // Past the grace, the next invite finds b expired and releases its place.
    w.clock.advance(RELEASE_GRACE);
    assert_eq!(w.invite(&w.owner, &w.email("c"), "member").await.status, 201);
    assert_eq!(w.invite(&w.owner, &w.email("d"), "member").await.status, 429);
    let expired = w.list(&w.owner, &[("status", "expired")]).await;
    assert_eq!(expired.body["invitations"][0]["email"], w.email("b").as_str(), "still history");
    // Invited again, an expired invitation's email takes a place like any other.
    w.clock.advance(TimeDelta::days(7) + RELEASE_GRACE);
    assert_eq!(w.invite(&w.owner, &w.email("b"), "member").await.status, 201);
    assert_eq!(w.invite(&w.owner, &w.email("d"), "member").await.status, 201);
    assert_eq!(w.invite(&w.owner, &w.email("e"), "member").await.status, 429);
}

#[tokio::test]
async fn a_team_sends_its_hourly_emails_in_a_burst_then_one_per_share_of_the_hour() {
    // 3 an hour: one email every 20 minutes, up to 3 at once after a quiet hour.
    let w = world(100, 3).await;
    let (a, _) = w.invited(&w.email("a"), "member").await;
    let (b, _) = w.invited(&w.email("b"), "member").await;
    // Refusals send nothing, so they use nothing.
    assert_eq!(w.invite(&w.owner, &w.email("b"), "member").await.code(), "already_invited");
    w.clock.advance(TimeDelta::minutes(10));
    assert_eq!(w.call(Call::resend(&w.team, &a).by(&w.owner)).await.status, 200, "a resend is an email too");

    // The burst is spent; the next email fits 20 minutes after the first.
    refused(&w.invite(&w.owner, &w.email("c"), "member").await, "emailsPerHour", 10 * 60);
    let resent = w.call(Call::resend(&w.team, &b).by(&w.owner)).await;
    refused(&resent, "emailsPerHour", 10 * 60);
    assert_eq!(sent_emails(&w.email("c")).len(), 0);
    assert_eq!(sent_emails(&w.email("a")).len(), 2);

    w.clock.advance(TimeDelta::minutes(10));
    assert_eq!(w.invite(&w.owner, &w.email("c"), "member").await.status, 201);
    refused(&w.invite(&w.owner, &w.email("d"), "member").await, "emailsPerHour", 20 * 60);
    w.clock.advance(TimeDelta::minutes(20));
    assert_eq!(w.invite(&w.owner, &w.email("d"), "member").await.status, 201);

    // An hour without sends refills the burst, and no more.
    w.clock.advance(TimeDelta::hours(2));
    for i in 0..3 {
        assert_eq!(w.invite(&w.owner, &w.email(&format!("e{i}")), "member").await.status, 201);
    }
    refused(&w.invite(&w.owner, &w.email("f"), "member").await, "emailsPerHour", 20 * 60);
}

#[tokio::test]
async fn a_batch_beyond_the_hourly_limit_refuses_the_entries_it_cannot_send() {
    let w = world(100, 4).await;
    w.invited(&w.email("first"), "member").await;
    let invited_already = w.email("first");
    let entries: Vec<Value> = std::iter::once(json!({"email": invited_already, "role": "member"}))
        .chain((0..5).map(|i| json!({"email": w.email(&format!("n{i}")), "role": "member"})))
        .collect();
    let resp = w.call(Call::batch(&w.team, json!({ "invitations": entries })).by(&w.owner)).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let results = resp.body["results"].as_array().unwrap();
    let statuses: Vec<&str> = results.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses[0], "already_invited");
    assert_eq!(
        statuses[1..],
        ["created", "created", "created", "rate_limited", "rate_limited"],
        "in request order"
    );
    assert_eq!(statuses.iter().filter(|s| **s == "created").count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == "rate_limited").count(), 2, "{statuses:?}");
    for r in results.iter().filter(|r| r["status"] == "rate_limited") {
        assert_eq!(r["problem"]["limit"], "emailsPerHour");
        // The reservation took 3 of the 4 places (one email went to `first`),
        // the entry invited already gave one to `n2`; the next fits a quarter
        // hour after the last one taken.
        assert_eq!(r["problem"]["retryAfterSeconds"], 15 * 60);
        assert!(sent_emails(r["email"].as_str().unwrap()).is_empty());
    }
}

#[tokio::test]
async fn concurrent_invites_never_exceed_either_limit() {
    for (max_open, per_hour, limit) in [(4, 100, "openInvitations"), (100, 4, "emailsPerHour")] {
        let w = world(max_open, per_hour).await;
        let emails: Vec<String> = (0..12).map(|i| w.email(&format!("p{i}"))).collect();
        // Spawned, so that they truly run at once on the runtime's threads.
        let mut calls = tokio::task::JoinSet::new();
        for email in &emails {
            let handlers = w.handlers.clone();
            let call = Call::invite(&w.team, json!({"email": email, "role": "member"})).by(&w.owner);
            calls.spawn(async move { integration_tests::call_handlers(&handlers, call).await });
        }
        let resps: Vec<Resp> = calls.join_all().await;
        let created = resps.iter().filter(|r| r.status == 201).count();
        let limited = resps.iter().filter(|r| r.status == 429 && r.body["limit"] == limit).count();
        assert_eq!(
            (created, limited),
            (4, 8),
            "{limit}: {:?}",
            resps.iter().map(|r| &r.body).collect::<Vec<_>>()
        );
        let sent = emails.iter().map(|e| sent_emails(e).len()).sum::<usize>();
        assert_eq!(sent, 4, "{limit}: one email per created invitation, none for a refused one");
    }
}

#[tokio::test]
async fn a_count_that_drifted_from_its_invitations_is_corrected_when_the_limit_is_reached() {
    use aws_sdk_dynamodb::types::AttributeValue::S;
    let w = world(2, 100).await;
    let (a, _) = w.invited(&w.email("a"), "member").await;
    w.invited(&w.email("b"), "member").await;
    // a's item disappears while it still counts, as when DynamoDB's TTL purges
    // an expired invitation no invite ever released.
    w.store
        .client()
        .delete_item()
        .table_name(w.store.table_name())
        .key("pk", S(format!("INV#{a}")))
        .key("sk", S("INV".into()))
        .send()
        .await
        .unwrap();
    // At the limit with nothing to release, the team's invitations are counted
    // again: b alone holds a place.
    assert_eq!(w.invite(&w.owner, &w.email("c"), "member").await.status, 201);
    assert_eq!(w.invite(&w.owner, &w.email("d"), "member").await.status, 429);
}

/// Real DynamoDB cancels a transaction that meets another on one of its items.
/// A batch takes its places in two writes of the team's limits item (the
/// reservation, and what its refused entries give back); its entries only
/// check that item, and the team's answers write neither it nor anything a
/// batch touches (an acceptance writes the team's seats item instead). The emulators serialise requests, so the proof is in the
/// items each request writes.
#[tokio::test]
async fn a_batch_and_the_teams_answers_share_no_item() {
    let w = world(100, 100).await;
    let (a, a_token) = w.invited(&w.email("a"), "member").await;
    let (b, b_token) = w.invited(&w.email("b"), "member").await;
    let (c, _) = w.invited(&w.email("c"), "member").await;
    w.invited(&w.email("dup"), "member").await;
    w.dynamo_seen.take();

    let entries: Vec<Value> = std::iter::once(w.email("dup"))
        .chain((0..49).map(|i| w.email(&format!("n{i}"))))
        .map(|email| json!({"email": email, "role": "member"}))
        .collect();
    let resp = w.call(Call::batch(&w.team, json!({ "invitations": entries })).by(&w.owner)).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let created =
        resp.body["results"].as_array().unwrap().iter().filter(|r| r["status"] == "created").count();
    assert_eq!(created, 49);
    let batch = w.dynamo_seen.take();
    let limits_item = (format!("TEAM#{}", w.team), "LIMITS".to_owned());
    let limits_writes: Vec<_> = batch.written.iter().filter(|(_, sk)| sk.starts_with("LIMITS")).collect();
    assert_eq!(limits_writes, [&limits_item, &limits_item], "the reservation, and the place given back");
    assert_eq!(batch.checked.iter().filter(|key| **key == limits_item).count(), 50, "each entry checks it");

    let ada = User::new(&format!("a-{}", w.tag), &w.email("a"));
    assert_eq!(w.accept(&ada, &a, &a_token).await.status, 200);
    assert_eq!(w.decline(None, &b, &b_token).await.status, 200);
    // (Another manager: each request of one manager checks its membership.)
    assert_eq!(w.withdraw(&w.admin, &c).await.status, 200);
    let answers = w.dynamo_seen.take();
    let left_on = |prefix: &str| answers.written.iter().filter(|(_, sk)| sk.starts_with(prefix)).count();
    assert_eq!(left_on("LIMITS#LEFT#"), 2, "the decline and the withdrawal, each on its counter");
    assert_eq!(left_on("LIMITS#SEATS"), 1, "the acceptance, on the seats it counts");
    let touched: std::collections::BTreeSet<_> = batch.written.iter().chain(&batch.checked).collect();
    let shared: Vec<_> =
        answers.written.iter().chain(&answers.checked).filter(|key| touched.contains(key)).collect();
    assert!(shared.is_empty(), "items both write or check: {shared:?}");

    // And the count is right: 4 + 49 opened, 3 left.
    use invitations_core::ports::LimitStore;
    let usage = w.store.usage(&invitations_core::domain::TeamId::parse(&w.team).unwrap()).await.unwrap();
    assert_eq!(usage.open(), 50, "{usage:?}");
}

/// A release goes on from where the last one stopped, so it reads only what
/// expired since (the released ones stay in the index as history); nothing
/// that expired is skipped, over rounds of more than one release's batch.
#[tokio::test]
async fn releases_go_on_from_where_the_last_stopped_and_skip_no_expired_invitation() {
    let w = world(55, 1000).await;
    let mut n = 0;
    for round in 0..3 {
        // Each round fills the team; the next round's invites release them all
        // (55 > the 50 one release takes), once they expired.
        for _ in 0..55 {
            let resp = w.invite(&w.owner, &w.email(&format!("p{n}")), "member").await;
            assert_eq!(resp.status, 201, "round {round}, invitation {n}: {}", resp.body);
            n += 1;
        }
        assert_eq!(w.invite(&w.owner, &w.email("extra"), "member").await.status, 429, "round {round}");
        w.clock.advance(TimeDelta::days(8));
    }
}
