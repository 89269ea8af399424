//! Per-team limits against abuse of the operator's sender: at most N open
//! invitations, at most M invitation emails in any rolling hour (invites,
//! resends and batch entries alike); beyond them `429 rate_limited` with
//! `Retry-After`, decided atomically by the writes themselves.

use chrono::TimeDelta;
use invitations_core::domain::{TeamLimits, RELEASE_GRACE};
use serde_json::{json, Value};

use integration_tests::{sent_emails, Call, Options, Resp, User, World};

async fn world(max_open: u32, emails_per_hour: u32) -> World {
    World::with(Options { limits: TeamLimits { max_open, emails_per_hour }, ..Options::default() }).await
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
async fn a_team_sends_at_most_its_hourly_emails_in_any_rolling_hour() {
    let w = world(100, 3).await;
    let (a, _) = w.invited(&w.email("a"), "member").await;
    w.clock.advance(TimeDelta::minutes(10));
    let (b, _) = w.invited(&w.email("b"), "member").await;
    // Refusals send nothing, so they use nothing.
    assert_eq!(w.invite(&w.owner, &w.email("b"), "member").await.code(), "already_invited");
    w.clock.advance(TimeDelta::minutes(10));
    assert_eq!(w.call(Call::resend(&w.team, &a).by(&w.owner)).await.status, 200, "a resend is an email too");

    // At 0:20 the hour holds 3 emails; the first leaves it at 1:00.
    refused(&w.invite(&w.owner, &w.email("c"), "member").await, "emailsPerHour", 40 * 60);
    let resent = w.call(Call::resend(&w.team, &b).by(&w.owner)).await;
    refused(&resent, "emailsPerHour", 40 * 60);
    assert_eq!(sent_emails(&w.email("c")).len(), 0);
    assert_eq!(sent_emails(&w.email("a")).len(), 2);

    w.clock.advance(TimeDelta::minutes(40));
    assert_eq!(w.invite(&w.owner, &w.email("c"), "member").await.status, 201);
    refused(&w.invite(&w.owner, &w.email("d"), "member").await, "emailsPerHour", 10 * 60);
    w.clock.advance(TimeDelta::minutes(10));
    assert_eq!(w.invite(&w.owner, &w.email("d"), "member").await.status, 201);
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
    assert_eq!(statuses.iter().filter(|s| **s == "created").count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == "rate_limited").count(), 2, "{statuses:?}");
    for r in results.iter().filter(|r| r["status"] == "rate_limited") {
        assert_eq!(r["problem"]["limit"], "emailsPerHour");
        assert_eq!(r["problem"]["retryAfterSeconds"], 3600);
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
