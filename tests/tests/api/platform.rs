//! /platform/teams/{teamId}: the platform that owns teams creates, renames and
//! closes them, authorised as a service (API Gateway's IAM authorizer), never
//! as a user.

use invitations_core::clock::Clock;
use invitations_core::domain::{Status, TeamId};
use invitations_core::ports::{InvitationStore, ListQuery, TeamStore};
use serde_json::{json, Value};

use integration_tests::{sent_emails, Call, Resp, User, World};

use integration_tests::request::PLATFORM_SESSION as PLATFORM;

async fn platform(w: &World, method: &'static str, team: &str, body: Option<Value>) -> Resp {
    let call = Call::platform(method, team).signed_by(PLATFORM);
    w.call(match body {
        Some(body) => call.json(body),
        None => call,
    })
    .await
}

fn new_team(name: &str, owner: &User) -> Value {
    json!({"name": name, "owner": {"userId": owner.sub, "email": owner.email}})
}

async fn open_invitations(w: &World) -> usize {
    let query = ListQuery { status: Some(Status::Open), limit: 100, after: None };
    let team = TeamId::parse(&w.team).unwrap();
    w.store.list(&team, &query, w.clock.now()).await.unwrap().invitations.len()
}

#[tokio::test]
async fn the_platform_creates_a_team_with_its_owner_once_however_often_it_asks() {
    let w = World::new().await;
    let team = format!("new-{}", w.tag);
    let founder = User::new(&format!("founder-{}", w.tag), &w.email("founder"));
    assert_eq!(platform(&w, "GET", &team, None).await.status, 404);

    let created = platform(&w, "PUT", &team, Some(new_team("  Globex ", &founder))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["id"], team.as_str());
    assert_eq!(created.body["name"], "Globex");
    assert_eq!(created.body["closedAt"], Value::Null);
    // A retry (or a second delivery of the platform's event) changes nothing.
    let again = platform(&w, "PUT", &team, Some(new_team("Another name", &founder))).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body, created.body);
    assert_eq!(platform(&w, "GET", &team, None).await.body, created.body);

    // The owner runs the team from the first moment.
    assert_eq!(w.call(Call::list(&team).by(&founder)).await.status, 200);
    let invite = Call::invite(&team, json!({"email": w.email("first"), "role": "member"})).by(&founder);
    assert_eq!(w.call(invite).await.status, 201);
    assert!(sent_emails(&w.email("first"))[0].subject.contains("Globex"));
}

#[tokio::test]
async fn a_team_to_create_is_checked_field_by_field() {
    let w = World::new().await;
    let team = format!("bad-{}", w.tag);
    let resp = platform(&w, "PUT", &team, Some(json!({"name": "two\nlines", "owner": {"email": "x"}}))).await;
    assert_eq!((resp.status, resp.code()), (422, "validation_failed"), "{}", resp.body);
    let fields: Vec<&str> =
        resp.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "owner.userId", "owner.email"]);
    assert_eq!(platform(&w, "PUT", "not a team id", Some(json!({}))).await.status, 400);
    assert_eq!(platform(&w, "GET", &team, None).await.status, 404, "nothing was created");
}

#[tokio::test]
async fn only_a_service_the_iam_authorizer_verified_may_call_the_platform_routes() {
    let w = World::new().await;
    for method in ["GET", "PUT", "PATCH", "DELETE"] {
        let body = json!({"name": "Hijacked", "owner": {"userId": "evil", "email": "evil@example.com"}});
        let unsigned = w.call(Call::platform(method, &w.team).json(body.clone())).await;
        assert_eq!((unsigned.status, unsigned.code()), (403, "forbidden"), "{method}");
        // Even the team's own owner, signed in: a user's token is no credential here.
        let user = w.call(Call::platform(method, &w.team).json(body.clone()).by(&w.owner)).await;
        assert_eq!((user.status, user.code()), (403, "forbidden"), "{method}");
        // Other principals of the account that IAM lets invoke the API: not the
        // platform unless PLATFORM_ROLE_ARNS lists them (issue 20, L-3).
        for other in [
            "arn:aws:sts::123456789012:assumed-role/platform-teams-admin/x",
            "arn:aws:sts::123456789012:assumed-role/ci-deployer/x",
            "arn:aws:iam::123456789012:user/platform-teams",
            "arn:aws:sts::210987654321:assumed-role/platform-teams/x",
        ] {
            let signed = w.call(Call::platform(method, &w.team).json(body.clone()).signed_by(other)).await;
            assert_eq!((signed.status, signed.code()), (403, "forbidden"), "{method} by {other}");
        }
    }
    let team = platform(&w, "GET", &w.team, None).await;
    assert_eq!((team.body["name"].as_str(), team.body["closedAt"].is_null()), (Some("Acme Rockets"), true));
}

#[tokio::test]
async fn a_rename_shows_in_new_and_open_invitations_not_in_answered_ones() {
    let w = World::new().await;
    let (open, open_token) = w.invited(&w.email("open"), "member").await;
    let (answered, answered_token) = w.invited(&w.email("answered"), "member").await;
    assert_eq!(w.decline(None, &answered, &answered_token).await.status, 200);

    let resp = platform(&w, "PATCH", &w.team, Some(json!({"name": "Acme Space"}))).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(
        (resp.body["team"]["name"].as_str(), resp.body["invitationsRenamed"].as_u64()),
        (Some("Acme Space"), Some(1))
    );
    assert_eq!(w.preview(&open, &open_token).await.body["teamName"], "Acme Space");
    assert_eq!(
        w.preview(&answered, &answered_token).await.body["teamName"],
        "Acme Rockets",
        "as it was answered"
    );
    w.invited(&w.email("later"), "member").await;
    assert!(sent_emails(&w.email("later"))[0].subject.contains("Acme Space"));

    let bad = platform(&w, "PATCH", &w.team, Some(json!({"name": ""}))).await;
    assert_eq!((bad.status, bad.body["errors"][0]["field"].as_str()), (422, Some("name")));
    assert_eq!(
        platform(&w, "PATCH", &format!("none-{}", w.tag), Some(json!({"name": "X"}))).await.status,
        404
    );
}

/// The closing function's pages in these tests: small, so that a closing of
/// a few items takes several steps.
const PAGE: usize = 2;

#[tokio::test]
async fn closing_a_team_answers_once_it_is_closed_and_then_withdraws_and_ends_everything_in_pages() {
    let w = World::streamed().await;
    let mut closing = w.closing_stream().await;
    let (sink, mut changes) = (w.event_sink().await, w.stream().await);
    let (a, a_token) = w.invited(&w.email("a"), "member").await;
    w.invited(&w.email("b"), "administrator").await;
    w.invited(&w.email("c"), "member").await;
    let joined = w.joined("joined", "member").await;
    let joined_too = w.joined("joined-too", "member").await;
    w.clock.advance(chrono::TimeDelta::minutes(1));

    // The answer: closed, with its closing under way.
    let closed = platform(&w, "DELETE", &w.team, None).await;
    assert_eq!(closed.status, 202, "{}", closed.body);
    let closed_at = closed.body["closedAt"].clone();
    assert!(closed_at.is_string());
    assert_eq!(
        closed.body["closing"],
        json!({"done": false, "invitationsWithdrawn": 0, "membershipsEnded": 0})
    );
    assert_eq!(w.invite(&w.owner, &w.email("d"), "member").await.code(), "team_closed");

    // In the background, a page at a time.
    let steps = w.run_closings(&mut closing, PAGE).await;
    assert!(steps >= 6, "3 invitations and 5 members in pages of {PAGE}, then the check: {steps} steps");
    let team = platform(&w, "GET", &w.team, None).await;
    assert_eq!(team.body["closing"], json!({"done": true, "invitationsWithdrawn": 3, "membershipsEnded": 5}));

    // The invitations read withdrawn (by the platform), the link cannot join.
    let preview = w.preview(&a, &a_token).await;
    assert_eq!(preview.body["status"], "withdrawn");
    let invitee = User::new(&format!("a-{}", w.tag), &w.email("a"));
    assert_eq!(w.accept(&invitee, &a, &a_token).await.code(), "invitation_not_open");
    assert_eq!(open_invitations(&w).await, 0);
    // Each change is published, as the platform's (events function).
    let published = w.events_function(&sink.bus).handle(&changes.batch()).await;
    assert_eq!(published["batchItemFailures"], json!([]));
    let events = sink.received();
    let of = |kind: &str| -> Vec<Value> {
        let detail = |e: &Value| match &e["detail"] {
            Value::String(s) => serde_json::from_str(s).unwrap(),
            other => other.clone(),
        };
        events.iter().filter(|e| e["detail-type"] == kind).map(detail).collect()
    };
    assert_eq!(of("invitation.withdrawn").len(), 3);
    let revoked = of("membership.revoked");
    assert_eq!(revoked.len(), 5, "each member's, owner included");
    assert!(revoked.iter().all(|d| d["reason"] == "team_closed"), "{revoked:?}");
    // Nobody is a member any more.
    for user in [&w.owner, &w.admin, &w.member, &joined, &joined_too] {
        assert_eq!(w.list(user, &[]).await.status, 403);
        assert!(w.membership(&w.team, user).await.is_none());
    }

    // A retry answers 200 with the first closing's time and counts, and
    // starts nothing; the id is not given out again, nor renamed.
    let again = platform(&w, "DELETE", &w.team, None).await;
    assert_eq!((again.status, &again.body["closedAt"]), (200, &closed_at));
    assert_eq!(again.body["closing"], team.body["closing"]);
    assert_eq!(w.run_closings(&mut closing, PAGE).await, 0);
    let reuse = platform(&w, "PUT", &w.team, Some(new_team("Again", &w.owner))).await;
    assert_eq!((reuse.status, reuse.code()), (409, "team_closed"));
    assert_eq!(platform(&w, "PATCH", &w.team, Some(json!({"name": "Again"}))).await.code(), "team_closed");
    assert_eq!(platform(&w, "GET", &w.team, None).await.body["closedAt"], closed_at);
    assert_eq!(platform(&w, "DELETE", &format!("none-{}", w.tag), None).await.status, 404);
}

/// Lambda may hand a step over twice (a retry after a timeout), and a step's
/// record may be lost for good (its retries used up): neither may count twice
/// or leave the closing unfinished once the platform asks again.
#[tokio::test]
async fn a_step_taken_twice_changes_nothing_and_asking_again_resumes_a_closing_cut_short() {
    let w = World::streamed().await;
    let mut closing = w.closing_stream().await;
    for name in ["a", "b", "c"] {
        w.invited(&w.email(name), "member").await;
    }
    assert_eq!(platform(&w, "DELETE", &w.team, None).await.status, 202);

    let function = w.closing_function(PAGE);
    let first = closing.batch();
    assert_eq!(first["Records"].as_array().map(Vec::len), Some(1), "the closing's first step");
    for _ in 0..2 {
        assert_eq!(function.handle(&first).await, json!({"batchItemFailures": []}));
    }
    let team = platform(&w, "GET", &w.team, None).await;
    assert_eq!(team.body["closing"]["invitationsWithdrawn"], PAGE, "the page once");

    // The next step's record is lost: the closing stops where it was.
    let _lost = closing.batch();
    assert_eq!(w.run_closings(&mut closing, PAGE).await, 0);
    assert_eq!(open_invitations(&w).await, 1);
    assert_eq!(platform(&w, "GET", &w.team, None).await.body["closing"]["done"], false);

    // Asked again, it goes on from there and finishes.
    assert_eq!(platform(&w, "DELETE", &w.team, None).await.status, 202);
    assert!(w.run_closings(&mut closing, PAGE).await > 0);
    let team = platform(&w, "GET", &w.team, None).await;
    assert_eq!(team.body["closing"], json!({"done": true, "invitationsWithdrawn": 3, "membershipsEnded": 3}));
    assert_eq!(open_invitations(&w).await, 0);
    for user in [&w.owner, &w.admin, &w.member] {
        assert!(w.membership(&w.team, user).await.is_none());
    }
}

#[tokio::test]
async fn nothing_is_sent_or_accepted_in_a_team_once_it_is_marked_closed() {
    // The moment between marking the team closed and withdrawing its
    // invitations: the writes themselves refuse.
    let w = World::new().await;
    let (id, token) = w.invited(&w.email("a"), "member").await;
    w.clock.advance(chrono::TimeDelta::minutes(5));
    let platform_user = invitations_core::domain::UserId::parse("platform").unwrap();
    w.store.close_team(&TeamId::parse(&w.team).unwrap(), &platform_user, w.clock.now()).await.unwrap();

    let invitee = User::new(&format!("a-{}", w.tag), &w.email("a"));
    assert_eq!(w.accept(&invitee, &id, &token).await.code(), "team_closed");
    assert!(w.membership(&w.team, &invitee).await.is_none());
    assert_eq!(w.invite(&w.owner, &w.email("b"), "member").await.code(), "team_closed");
    assert!(sent_emails(&w.email("b")).is_empty());
    assert_eq!(w.call(Call::resend(&w.team, &id).by(&w.owner)).await.code(), "team_closed");
    assert_eq!(sent_emails(&w.email("a")).len(), 1);
}

#[tokio::test]
async fn invites_racing_a_closing_never_leave_an_open_invitation() {
    let w = World::streamed().await;
    let mut closing = w.closing_stream().await;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..8 {
        let handlers = w.handlers.clone();
        let call =
            Call::invite(&w.team, json!({"email": w.email(&format!("r{i}")), "role": "member"})).by(&w.owner);
        calls.spawn(async move { integration_tests::call_handlers(&handlers, call).await });
    }
    let handlers = w.handlers.clone();
    let close = Call::platform("DELETE", &w.team).signed_by(PLATFORM);
    calls.spawn(async move { integration_tests::call_handlers(&handlers, close).await });
    for resp in calls.join_all().await {
        assert!(
            [201, 202, 403].contains(&resp.status) || resp.code() == "team_closed",
            "{}: {}",
            resp.status,
            resp.body
        );
    }
    w.run_closings(&mut closing, PAGE).await;
    assert_eq!(open_invitations(&w).await, 0);
}

/// The platform gives a team limits of its own (a bigger plan, a trial), when
/// creating it or later; the template's values are every other team's
/// (issue 19, item 4).
#[tokio::test]
async fn the_platform_sets_a_teams_own_limits_and_its_invites_are_held_to_them() {
    let w = World::new().await;
    let team = format!("plan-{}", w.tag);
    let founder = User::new(&format!("founder-{}", w.tag), &w.email("founder"));
    let mut body = new_team("Small Plan", &founder);
    body["limits"] = json!({"openInvitations": 1, "emailsPerHour": 2});
    let created = platform(&w, "PUT", &team, Some(body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["limits"], json!({"openInvitations": 1, "emailsPerHour": 2, "seats": null}));
    assert!(platform(&w, "GET", &w.team, None).await.body["limits"].is_null(), "others: the defaults");

    let invite = |n: &str| {
        let call = Call::invite(&team, json!({"email": w.email(n), "role": "member"})).by(&founder);
        w.call(call)
    };
    assert_eq!(invite("a").await.status, 201);
    let refused = invite("b").await;
    assert_eq!(
        (refused.status, refused.body["limit"].as_str()),
        (429, Some("openInvitations")),
        "{}",
        refused.body
    );

    // A bigger plan: more open invitations; the emails per hour stay two.
    let patch = json!({"limits": {"openInvitations": 5, "emailsPerHour": 2}});
    let changed = platform(&w, "PATCH", &team, Some(patch)).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["team"]["limits"]["openInvitations"], 5);
    assert_eq!(changed.body["team"]["name"], "Small Plan", "a change of limits alone keeps the name");
    assert_eq!(invite("b").await.status, 201);
    let refused = invite("c").await;
    assert_eq!(
        (refused.status, refused.body["limit"].as_str()),
        (429, Some("emailsPerHour")),
        "{}",
        refused.body
    );

    // Every bad value named; a change needs something to change.
    let bad = json!({"limits": {"openInvitations": 0, "emailsPerHour": 1001}});
    let resp = platform(&w, "PATCH", &team, Some(bad)).await;
    let fields: Vec<_> = resp.body["errors"].as_array().unwrap().iter().map(|e| e["field"].clone()).collect();
    assert_eq!(
        (resp.status, fields),
        (422, vec![json!("limits.openInvitations"), json!("limits.emailsPerHour")])
    );
    assert_eq!(platform(&w, "PATCH", &team, Some(json!({}))).await.status, 422);
    let partial = platform(&w, "PATCH", &team, Some(json!({"limits": {"openInvitations": 3}}))).await;
    assert_eq!(partial.status, 422, "both limits, or none");
    // A closed team's limits are not changed.
    assert_eq!(platform(&w, "DELETE", &team, None).await.status, 202);
    let closed =
        platform(&w, "PATCH", &team, Some(json!({"limits": {"openInvitations": 9, "emailsPerHour": 9}})))
            .await;
    assert_eq!((closed.status, closed.code()), (409, "team_closed"));
}

async fn name_owner(w: &World, team: &str, user: &str, body: Value) -> Resp {
    let call = Call::op(invitations_core::http::routes::Op::NameOwner, &[("teamId", team), ("userId", user)]);
    w.call(call.signed_by(PLATFORM).json(body)).await
}

/// The platform's recovery path (issue 21, item 3): it names an owner of a
/// team whose owners are gone, a member in place or someone new, whatever
/// the team's seats; the new owner then acts as one.
#[tokio::test]
async fn the_platform_names_an_owner_of_a_team_whose_owners_are_gone() {
    let w = World::new().await;
    let named = name_owner(&w, &w.team, &w.member.sub, json!({})).await;
    assert_eq!(named.status, 200, "{}", named.body);
    assert_eq!((&named.body["role"], &named.body["previousRole"]), (&json!("owner"), &json!("member")));
    assert_eq!(w.membership(&w.team, &w.member).await.unwrap().role.as_str(), "owner");
    // Now the former owner may leave: another owner stays.
    assert_eq!(w.remove_member(&w.owner, &w.owner).await.status, 200);
    assert_eq!(w.invite(&w.member, &w.email("by-new-owner"), "administrator").await.status, 201);
    let again = name_owner(&w, &w.team, &w.member.sub, json!({})).await;
    assert_eq!((again.status, &again.body["previousRole"]), (200, &json!("owner")), "an owner stays one");

    // Someone new joins as an owner, with their address, whatever the seats.
    let limits = json!({"limits": {"openInvitations": 10, "emailsPerHour": 10, "seats": 1}});
    assert_eq!(platform(&w, "PATCH", &w.team, Some(limits)).await.status, 200);
    let newcomer = User::new(&format!("newcomer-{}", w.tag), &w.email("newcomer"));
    let missing = name_owner(&w, &w.team, &newcomer.sub, json!({})).await;
    assert_eq!(
        (missing.status, &missing.body["errors"][0]["field"]),
        (422, &json!("email")),
        "{}",
        missing.body
    );
    let joined = name_owner(&w, &w.team, &newcomer.sub, json!({"email": newcomer.email})).await;
    assert_eq!(joined.status, 201, "{}", joined.body);
    assert!(joined.body["previousRole"].is_null());
    assert_eq!(w.membership(&w.team, &newcomer).await.unwrap().role.as_str(), "owner");
    let seats = w.call(Call::members(&w.team).by(&newcomer)).await.body["seats"].clone();
    assert_eq!(seats["members"], 3, "counted as every member: {seats}");

    // Another member's address; a closed or unknown team; anyone but the platform.
    let stranger = User::new(&format!("stranger-{}", w.tag), &w.admin.email);
    let taken = name_owner(&w, &w.team, &stranger.sub, json!({"email": w.admin.email})).await;
    assert_eq!((taken.status, taken.code()), (409, "already_member"), "{}", taken.body);
    let unknown = name_owner(&w, &format!("nope-{}", w.tag), &newcomer.sub, json!({})).await;
    assert_eq!((unknown.status, unknown.code()), (404, "not_found"));
    let call = Call::op(
        invitations_core::http::routes::Op::NameOwner,
        &[("teamId", &w.team), ("userId", &w.admin.sub)],
    );
    assert_eq!(
        w.call(call.json(json!({})).by(&w.member)).await.status,
        403,
        "a user's token is no credential"
    );
    assert_eq!(platform(&w, "DELETE", &w.team, None).await.status, 202);
    let closed = name_owner(&w, &w.team, &w.admin.sub, json!({})).await;
    assert_eq!((closed.status, closed.code()), (409, "team_closed"));
}
