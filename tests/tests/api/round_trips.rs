//! What each operation costs in DynamoDB round trips, and which IAM actions each
//! function needs, watched on the handlers' own SDK clients (an interceptor).
//! Sequential round trips are what a user waits for: requests in flight at the
//! same moment count once.

use std::collections::{BTreeMap, BTreeSet};

use integration_tests::observe::{Seen, SES_IDENTITY};
use integration_tests::template::{functions, list, parsed, render, s};
use integration_tests::{call_handlers, token_of, Call, Options, User, World};

/// Checks the count, and prints it for `scripts/bench`'s table (`--nocapture`).
#[track_caller]
fn trips(what: &str, seen: Seen, sequential: usize) -> Seen {
    println!("round trips: {what} {}", seen.sequential);
    assert_eq!(seen.sequential, sequential, "{what}: sequential DynamoDB round trips ({seen:?})");
    seen
}

#[tokio::test]
async fn every_operation_makes_the_fewest_sequential_round_trips_its_semantics_allow() {
    let w = World::new().await;
    let (db, ses) = (&w.dynamo_seen, &w.ses_seen);
    db.take();

    // invite: the inviter's membership, the team and its limits (concurrently),
    // then one transaction; then the email.
    let resp = w.invite(&w.owner, &w.email("ada"), "member").await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    trips("invite", db.take(), 2);
    assert_eq!(ses.take().requests, 1, "invite sends one email");
    let id = resp.body["id"].as_str().unwrap().to_owned();

    // batch: the reads once, then the places of every entry taken in one write,
    // then the entries' transactions at once (they share no limits item), each
    // entry's email sent as soon as it is written.
    let entries: Vec<_> = (0..3)
        .map(|i| serde_json::json!({"email": w.email(&format!("batch{i}")), "role": "member"}))
        .collect();
    let resp = w.call(Call::batch(&w.team, serde_json::json!({"invitations": entries})).by(&w.owner)).await;
    assert_eq!(resp.status, 200);
    trips("batch", db.take(), 3);
    assert_eq!(ses.take().requests, 3);

    // resend: the caller's membership, the invitation and the team's limits
    // (concurrently), then one transaction; then the email.
    w.clock.advance(chrono::TimeDelta::seconds(60));
    let resent = w.call(Call::resend(&w.team, &id).by(&w.owner)).await;
    assert_eq!(resent.status, 200);
    trips("resend", db.take(), 2);
    assert_eq!(ses.take().requests, 1, "resend sends one email");
    let token = token_of(resent.body["link"].as_str().unwrap());
    db.take();

    // list: the permission check and the query run concurrently.
    assert_eq!(w.list(&w.member, &[]).await.status, 200);
    trips("list", db.take(), 1);

    // preview: one read.
    assert_eq!(w.preview(&id, &token).await.status, 200);
    trips("preview", db.take(), 1);

    // accept: the invitation (its email must match the caller's), then one transaction.
    let ada = User::new(&format!("ada-{}", w.tag), &w.email("ada"));
    assert_eq!(w.accept(&ada, &id, &token).await.status, 200);
    trips("accept", db.take(), 2);

    // decline: the invitation (its team's open count changes too), then one transaction.
    let (id, token) = w.invited(&w.email("bo"), "member").await;
    db.take();
    assert_eq!(w.decline(None, &id, &token).await.status, 200);
    trips("decline", db.take(), 2);

    // withdraw: one transaction, with the permission check as one of its conditions.
    let (id, _) = w.invited(&w.email("cy"), "member").await;
    db.take();
    assert_eq!(w.withdraw(&w.admin, &id).await.status, 200);
    trips("withdraw", db.take(), 1);

    // members: the permission check, then the page (authorised first: a
    // stranger reads nothing of the team's, authorise_first.rs); roles: the check alone.
    assert_eq!(w.call(Call::members(&w.team).by(&w.member)).await.status, 200);
    trips("members", db.take(), 2);
    assert_eq!(w.call(Call::roles(&w.team).by(&w.member)).await.status, 200);
    trips("roles", db.take(), 1);
    assert_eq!(w.call(Call::my_invitations().by(&w.member)).await.status, 200);
    trips("mine", db.take(), 1);

    // remove a member: both memberships (concurrently), then one transaction; an
    // owner also needs another owner found first, and, as one who could invite,
    // the open invitations they sent read after the removal (none here).
    let gone = w.joined("gone", "member").await;
    db.take();
    assert_eq!(w.remove_member(&w.owner, &gone).await.status, 200);
    trips("remove_member", db.take(), 2);
    let co = w.joined("co", "owner").await;
    db.take();
    assert_eq!(w.remove_member(&w.owner, &co).await.status, 200);
    trips("remove_owner", db.take(), 4);
    assert_eq!(ses.take().requests, 2, "no email but the two invitations'");

    // By a verified domain: the teams of the domain, then (for all of them at
    // once) the caller's membership and request in each; a join reads the
    // declaration, then the team's seats, then writes; asking, and approving
    // (the manager's membership and the request, then the seats, then the
    // write), the same.
    for (domain, approval) in [("acme.test", false), ("ask.test", true)] {
        let declare =
            Call::set_domain(&w.team, domain, serde_json::json!({"role": "member", "approval": approval}));
        assert_eq!(w.call(declare.by_platform()).await.status, 200);
    }
    let ivy = integration_tests::User::new(&format!("ivy-{}", w.tag), &format!("ivy.{}@acme.test", w.tag));
    db.take();
    assert_eq!(w.call(Call::joinable_teams().by(&ivy)).await.status, 200);
    trips("joinable_teams", db.take(), 2);
    assert_eq!(w.call(Call::join_by_domain(&w.team).by(&ivy)).await.status, 201);
    trips("join_by_domain", db.take(), 3);
    let jo = integration_tests::User::new(&format!("jo-{}", w.tag), &format!("jo.{}@ask.test", w.tag));
    assert_eq!(w.call(Call::join_by_domain(&w.team).by(&jo)).await.status, 202);
    trips("ask_by_domain", db.take(), 2);
    assert_eq!(w.call(Call::approve_join(&w.team, &jo.sub).by(&w.owner)).await.status, 200);
    trips("approve_join", db.take(), 3);
}

/// Actions Lambda performs with a function's role on its behalf.
const LAMBDA_SERVICE_ACTIONS: [&str; 5] = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
    "sqs:SendMessage",
];

/// "function" -> (IAM action, resource), with the SES identity written as the observer does.
fn granted() -> BTreeMap<String, BTreeSet<(String, String)>> {
    let mut out = BTreeMap::new();
    for (binary, _, f) in functions(&parsed()) {
        let mut set = BTreeSet::new();
        for policy in list(&f["Properties"]["Policies"]) {
            for st in list(&policy["Statement"]) {
                let actions =
                    st["Action"].as_sequence().cloned().unwrap_or_else(|| vec![st["Action"].clone()]);
                // A list of resources, or one (an `!If` is one, whichever it picks).
                let resources = match &st["Resource"] {
                    serde_yaml_ng::Value::Sequence(list) => list.clone(),
                    one => vec![one.clone()],
                };
                for a in &actions {
                    for r in &resources {
                        let action = s(a);
                        // What Lambda itself does with the role (polls the stream,
                        // dead-letters), not the code: tests/tests/api/deploy.rs.
                        if LAMBDA_SERVICE_ACTIONS.contains(&action.as_str()) {
                            continue;
                        }
                        let resource =
                            if action == "ses:SendEmail" { SES_IDENTITY.to_owned() } else { render(r) };
                        set.insert((action, resource));
                    }
                }
            }
        }
        out.insert(binary, set);
    }
    out
}

#[tokio::test]
async fn each_function_is_granted_exactly_the_actions_its_code_performs() {
    let w = World::streamed().await;
    let failing_mail = World::with(Options { sender: "unverified@example.com", ..Options::default() }).await;
    let limits = invitations_core::domain::TeamLimits { max_open: 1, emails_per_hour: 100, seats: None };
    let full = World::with(Options { limits, ..Options::default() }).await;
    let mut used: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let mut record = |function: &str, world: &World| {
        let entry = used.entry(function.to_owned()).or_default();
        entry.extend(world.dynamo_seen.take().actions);
        entry.extend(world.ses_seen.take().actions);
        entry.extend(world.secrets_seen.take().actions);
    };
    for world in [&w, &failing_mail, &full] {
        world.dynamo_seen.take();
        world.ses_seen.take();
        world.secrets_seen.take();
    }
    // Each function as a fresh instance, as Lambda runs it: what it reads once
    // (the link secret) is seen, whichever function asks first.
    let (invite, list, respond, withdraw) = (w.instance(), w.instance(), w.instance(), w.instance());
    let invite_call = |email: &str| {
        Call::invite(&w.team, serde_json::json!({"email": email, "role": "member"})).by(&w.owner)
    };

    // Every path of every function: successes, refusals that re-read, and
    // failures with their own writes.
    let resp = call_handlers(&invite, invite_call(&w.email("ada"))).await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    record("invite", &w);
    let (id, token) =
        (resp.body["id"].as_str().unwrap().to_owned(), token_of(resp.body["link"].as_str().unwrap()));
    assert_eq!(call_handlers(&respond, Call::decline(&id, &token)).await.status, 200);
    record("respond", &w);
    assert_eq!(
        call_handlers(&invite, invite_call(&w.email("ada"))).await.status,
        201,
        "re-invite after a decline"
    );
    record("invite", &w);
    assert_eq!(
        failing_mail.invite(&failing_mail.owner, &failing_mail.email("x"), "member").await.status,
        201
    );
    record("invite", &failing_mail);
    // A team at its open-invitation limit releases its expired invitations.
    assert_eq!(full.invite(&full.owner, &full.email("x"), "member").await.status, 201);
    full.clock.advance(chrono::TimeDelta::days(8));
    assert_eq!(full.invite(&full.owner, &full.email("y"), "member").await.status, 201);
    record("invite", &full);
    // The reminders' run: the schedule, the due invitation, its write, its
    // email with the link.
    full.clock.advance(chrono::TimeDelta::days(5) + chrono::TimeDelta::minutes(1));
    assert_eq!(full.run_reminders().await["sent"], 1);
    record("remind", &full);
    let batch = serde_json::json!({"invitations": [{"email": w.email("b1"), "role": "member"}]});
    assert_eq!(call_handlers(&invite, Call::batch(&w.team, batch).by(&w.owner)).await.status, 200);
    record("invite", &w);
    let resp = call_handlers(&invite, invite_call(&w.email("resent"))).await;
    w.clock.advance(chrono::TimeDelta::seconds(60));
    let resent = Call::resend(&w.team, resp.body["id"].as_str().unwrap()).by(&w.owner);
    assert_eq!(call_handlers(&invite, resent).await.status, 200);
    record("invite", &w);

    // A manager's list carries links (the keys); a member's does not.
    assert_eq!(
        call_handlers(&list, Call::list(&w.team).query(&[("status", "open")]).by(&w.owner)).await.status,
        200
    );
    assert_eq!(call_handlers(&list, Call::list(&w.team).by(&w.member)).await.status, 200);
    assert_eq!(call_handlers(&list, Call::members(&w.team).by(&w.member)).await.status, 200);
    assert_eq!(call_handlers(&list, Call::roles(&w.team).by(&w.member)).await.status, 200);
    assert_eq!(call_handlers(&list, Call::my_invitations().by(&w.member)).await.status, 200);
    record("list", &w);

    let resp = call_handlers(&invite, invite_call(&w.email("bo"))).await;
    let (id, token) =
        (resp.body["id"].as_str().unwrap().to_owned(), token_of(resp.body["link"].as_str().unwrap()));
    w.dynamo_seen.take();
    w.ses_seen.take();
    assert_eq!(call_handlers(&respond, Call::preview(&id, &token)).await.status, 200);
    let bo = User::new(&format!("bo-{}", w.tag), &w.email("bo"));
    assert_eq!(call_handlers(&respond, Call::accept(&id, &token).by(&bo)).await.status, 200);
    assert_eq!(call_handlers(&respond, Call::decline(&id, &token)).await.status, 409);
    record("respond", &w);

    let resp = call_handlers(&invite, invite_call(&w.email("cy"))).await;
    let id = resp.body["id"].as_str().unwrap().to_owned();
    w.dynamo_seen.take();
    w.ses_seen.take();
    assert_eq!(call_handlers(&withdraw, Call::withdraw(&w.team, &id).by(&w.owner)).await.status, 200);
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(call_handlers(&withdraw, Call::withdraw(&w.team, &unknown).by(&w.owner)).await.status, 404);
    record("withdraw", &w);
    // Ending memberships: a member, and an owner (another owner must stay).
    let (gone, co) = (w.joined("gone", "member").await, w.joined("co", "owner").await);
    w.dynamo_seen.take();
    let remove = |user: &User| Call::remove_member(&w.team, &user.sub).by(&w.owner);
    assert_eq!(call_handlers(&withdraw, remove(&gone)).await.status, 200);
    assert_eq!(call_handlers(&withdraw, remove(&co)).await.status, 200);
    record("withdraw", &w);

    // Invite links: made, listed, opened, joined through (a manager's link:
    // the joiner invites someone), revoked with the memberships it made (the
    // manager's invitations go with theirs).
    let links = w.instance();
    w.dynamo_seen.take();
    let made =
        Call::create_link(&w.team, serde_json::json!({"role": "administrator", "maxUses": 3})).by(&w.owner);
    let made = call_handlers(&links, made).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let (link, token) =
        (made.body["id"].as_str().unwrap().to_owned(), made.body["token"].as_str().unwrap().to_owned());
    let dee = User::new(&format!("dee-{}", w.tag), &w.email("dee"));
    assert_eq!(call_handlers(&links, Call::preview_link(&w.team, &link, &token).by(&dee)).await.status, 200);
    assert_eq!(call_handlers(&links, Call::join_link(&w.team, &link, &token).by(&dee)).await.status, 201);
    assert_eq!(call_handlers(&links, Call::links(&w.team).by(&w.owner)).await.status, 200);
    record("links", &w);
    let by_dee =
        Call::invite(&w.team, serde_json::json!({"email": w.email("eve"), "role": "member"})).by(&dee);
    assert_eq!(call_handlers(&invite, by_dee).await.status, 201);
    w.dynamo_seen.take();
    w.ses_seen.take();
    let revoked = call_handlers(&links, Call::revoke_link(&w.team, &link, true).by(&w.owner)).await;
    assert_eq!(revoked.body["membershipsEnded"], 1, "{}", revoked.body);
    record("links", &w);
    // Join requests: asked, listed (the team's, the person's), approved,
    // denied, cancelled.
    let asking = serde_json::json!({"role": "member", "maxUses": 3, "approval": true});
    let made = call_handlers(&links, Call::create_link(&w.team, asking).by(&w.owner)).await;
    let (link, token) =
        (made.body["id"].as_str().unwrap().to_owned(), made.body["token"].as_str().unwrap().to_owned());
    let askers: Vec<User> =
        ["fay", "gus", "hal"].iter().map(|n| User::new(&format!("{n}-{}", w.tag), &w.email(n))).collect();
    for who in &askers {
        assert_eq!(call_handlers(&links, Call::join_link(&w.team, &link, &token).by(who)).await.status, 202);
    }
    assert_eq!(call_handlers(&links, Call::join_requests(&w.team).by(&w.owner)).await.status, 200);
    assert_eq!(call_handlers(&links, Call::my_join_requests().by(&askers[0])).await.status, 200);
    assert_eq!(
        call_handlers(&links, Call::approve_join(&w.team, &askers[0].sub).by(&w.owner)).await.status,
        200
    );
    assert_eq!(
        call_handlers(&links, Call::deny_join(&w.team, &askers[1].sub).by(&w.owner)).await.status,
        200
    );
    assert_eq!(call_handlers(&links, Call::cancel_join(&w.team).by(&askers[2])).await.status, 200);
    record("links", &w);
    // Joining by a verified domain (declared by the platform, not counted here).
    let declare = Call::set_domain(&w.team, "acme.test", serde_json::json!({"role": "member"})).by_platform();
    assert_eq!(call_handlers(&w.instance(), declare).await.status, 200);
    w.dynamo_seen.take();
    let ivy = User::new(&format!("ivy-{}", w.tag), &format!("ivy.{}@acme.test", w.tag));
    assert_eq!(call_handlers(&links, Call::joinable_teams().by(&ivy)).await.status, 200);
    assert_eq!(call_handlers(&links, Call::join_by_domain(&w.team).by(&ivy)).await.status, 201);
    record("links", &w);

    // The platform: create, read, rename (with an open invitation), close (with
    // members and an open invitation).
    let platform = w.instance();
    let signed = |method: &'static str, team: &str| Call::platform(method, team).by_platform();
    let team = format!("p-{}", w.tag);
    let founder =
        serde_json::json!({"name": "P", "owner": {"userId": "founder", "email": w.email("founder")}});
    w.invited(&w.email("renamed"), "member").await;
    let mut closing = w.closing_stream().await;
    w.dynamo_seen.take();
    w.ses_seen.take();
    w.secrets_seen.take();
    assert_eq!(call_handlers(&platform, signed("PUT", &team).json(founder)).await.status, 201);
    assert_eq!(call_handlers(&platform, signed("GET", &team)).await.status, 200);
    // Its verified domains: declared, listed, one removed (a rename rewrites
    // the rest, a closing removes them).
    for domain in ["rockets.test", "old.test"] {
        let declare = Call::set_domain(&w.team, domain, serde_json::json!({"role": "member"})).by_platform();
        assert_eq!(call_handlers(&platform, declare).await.status, 200);
    }
    assert_eq!(call_handlers(&platform, Call::team_domains(&w.team).by_platform()).await.status, 200);
    let remove = Call::remove_domain(&w.team, "old.test").by_platform();
    assert_eq!(call_handlers(&platform, remove).await.status, 200);
    let rename = signed("PATCH", &w.team).json(serde_json::json!({"name": "Renamed"}));
    assert_eq!(call_handlers(&platform, rename).await.status, 200);
    assert_eq!(call_handlers(&platform, signed("DELETE", &w.team)).await.status, 202);
    record("platform", &w);
    // The closing, in the background: the invitations withdrawn, the
    // memberships ended.
    assert!(w.run_closings(&mut closing, 100).await > 0);
    record("closing", &w);

    // The change stream, published; an SES report applied.
    let sink = w.event_sink().await;
    let mut stream = w.stream().await;
    let batch = stream.batch();
    w.events_seen.take();
    let published = w.events_function(&sink.bus).handle(&batch).await;
    assert_eq!(published["batchItemFailures"], serde_json::json!([]));
    let events_used = w.events_seen.take().actions;
    w.dynamo_seen.take();
    let report = crate::published::ses_report("Delivery", &id, &w.email("cy"), 0);
    w.delivery_function().handle(&report).await.unwrap();
    record("delivery", &w);
    used.insert("events".into(), events_used);

    assert_eq!(used, granted(), "template.yaml's policies vs what the code did");
}

#[tokio::test]
async fn a_page_of_the_list_reads_only_that_page_whatever_the_teams_size() {
    // On DynamoDB a query's cost and latency follow the items it reads; the list
    // asks for one page (and one item more, to know whether another exists).
    let w = World::new().await;
    for i in 0..30 {
        w.invited(&w.email(&format!("p{i}")), "member").await;
    }
    w.dynamo_seen.take();
    let resp = w.list(&w.member, &[("limit", "5")]).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body["invitations"].as_array().unwrap().len(), 5);
    assert_eq!(w.dynamo_seen.take().query_limits, vec![Some(6)], "one query for one page of 5");
    let resp = w.list(&w.member, &[]).await;
    assert_eq!(resp.body["invitations"].as_array().unwrap().len(), 20);
    assert_eq!(w.dynamo_seen.take().query_limits, vec![Some(21)], "the default page is 20");
}
