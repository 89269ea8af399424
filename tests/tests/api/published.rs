//! Events out: every committed change reaches a subscriber to the bus exactly
//! as committed, once in effect (docs/events.md). The table's real change
//! stream (read as Lambda reads it) feeds the events function, which publishes
//! to a bus in the emulator; the subscriber is a queue behind a rule on it.

use aws_sdk_eventbridge::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_eventbridge::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

// The reports the delivery function reads, for the tests that use them from here.
pub use integration_tests::reports::{ses_report, transient_bounce};
use integration_tests::template::root;
use integration_tests::{Call, User, World};
use invitations_core::adapters::eventbridge::EventBridgePublisher;
use invitations_core::triggers::stream::EventsTrigger;

/// Publishes what the stream holds since the last call, asserting the batch
/// was published whole.
async fn publish(w: &World, stream: &mut integration_tests::changes::StreamReader, bus: &str) {
    let batch = stream.batch();
    let answer = w.events_function(bus).handle(&batch).await;
    assert_eq!(answer["batchItemFailures"], serde_json::json!([]), "the whole batch is published");
}

fn kinds(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["detail-type"].as_str().unwrap().to_owned()).collect()
}

fn detail(e: &Value) -> Value {
    // EventBridge delivers `detail` as an object.
    match &e["detail"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    }
}

/// The key paths of a JSON document: its shape, whatever the values.
fn shape(v: &Value, at: &str, out: &mut BTreeSet<String>) {
    if let Value::Object(map) = v {
        for (k, child) in map {
            let path = format!("{at}/{k}");
            out.insert(path.clone());
            shape(child, &path, out);
        }
    }
}

/// The documented example of an event type (docs/events/examples), whose
/// schema scripts/test validates it against.
fn documented(kind: &str) -> Value {
    let path = root().join(format!("docs/events/examples/{kind}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn assert_documented(e: &Value) {
    let kind = e["detail-type"].as_str().unwrap();
    assert_eq!(e["source"], "team-invitations");
    let (mut real, mut doc) = (BTreeSet::new(), BTreeSet::new());
    let d = detail(e);
    shape(&d, "", &mut real);
    shape(&documented(kind), "", &mut doc);
    // Nullable fields may be null in one and an object in the other: compare
    // the top two levels, where every field is named.
    let top = |s: &BTreeSet<String>| {
        s.iter().filter(|p| p.matches('/').count() <= 2).cloned().collect::<BTreeSet<_>>()
    };
    assert_eq!(top(&real), top(&doc), "{kind}: the event's fields are the documented ones");
    assert_eq!(d["version"], 1);
    let id = d["eventId"].as_str().unwrap();
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    let text = d.to_string();
    assert!(!text.contains("token") && !text.contains("http"), "no token, no link: {text}");
}

#[tokio::test]
async fn every_committed_change_is_published_once_as_its_documented_event() {
    let w = World::streamed().await;
    let sink = w.event_sink().await;
    let mut stream = w.stream().await;
    let received = || sink.received();

    // The seeded teams' memberships were committed too.
    publish(&w, &mut stream, &sink.bus).await;
    let seeded = received();
    assert_eq!(kinds(&seeded), ["membership.created"; 4], "the two owners, the administrator and the member");
    assert!(seeded.iter().all(|e| detail(e)["actor"].is_null() && detail(e)["invitationId"].is_null()));

    // Invite (with the platform's metadata), resend, accept.
    let metadata = serde_json::json!({"plan": "pro", "source": {"campaign": "q4"}});
    let body = serde_json::json!({"email": w.email("ada"), "role": "member", "metadata": metadata});
    let invited = w.call(Call::invite(&w.team, body).by(&w.owner)).await;
    assert_eq!(invited.status, 201, "{}", invited.body);
    let id = invited.body["id"].as_str().unwrap().to_owned();
    w.clock.advance(chrono::TimeDelta::minutes(5));
    let resent = w.call(Call::resend(&w.team, &id).by(&w.admin)).await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    let token = integration_tests::token_of(resent.body["link"].as_str().unwrap());
    let ada = User::new(&format!("ada-{}", w.tag), &w.email("ada"));
    assert_eq!(w.accept(&ada, &id, &token).await.status, 200);
    publish(&w, &mut stream, &sink.bus).await;
    let events = received();
    assert_eq!(
        kinds(&events),
        ["invitation.created", "invitation.resent", "invitation.accepted", "membership.created"]
    );
    let d: Vec<Value> = events.iter().map(detail).collect();
    for (e, actor) in events.iter().zip([&w.owner, &w.admin, &ada, &ada]) {
        assert_documented(e);
        assert_eq!(detail(e)["actor"], actor.sub.as_str(), "{}", e["detail-type"]);
        assert_eq!(detail(e)["teamId"], w.team.as_str());
    }
    assert_eq!(
        [&d[0]["sequence"], &d[1]["sequence"], &d[2]["sequence"]],
        [0, 1, 2],
        "its place in the history"
    );
    assert_eq!(d[0]["invitation"]["id"], id.as_str());
    assert_eq!(d[0]["invitation"]["status"], "open");
    assert_eq!(d[0]["invitation"]["linkGeneration"], 0);
    assert_eq!(d[1]["invitation"]["linkGeneration"], 1);
    assert_ne!(d[0]["invitation"]["expiresAt"], d[1]["invitation"]["expiresAt"], "a resend moves the expiry");
    assert_eq!(d[2]["invitation"]["status"], "accepted");
    assert_eq!(d[3]["invitationId"], id.as_str());
    assert_eq!(d[3]["membership"]["role"], "member");
    assert_eq!(d[3]["membership"]["email"], w.email("ada").as_str());
    for e in &d[..3] {
        assert_eq!(e["invitation"]["metadata"], metadata, "every event of the invitation carries it");
    }
    assert_eq!(d[3]["membership"]["metadata"], metadata, "copied to the membership");

    // A role changed in place.
    let promoted = w.call(Call::change_role(&w.team, &w.member.sub, "administrator").by(&w.owner)).await;
    assert_eq!(promoted.status, 200, "{}", promoted.body);
    publish(&w, &mut stream, &sink.bus).await;
    let events = received();
    assert_eq!(kinds(&events), ["membership.role_changed"]);
    assert_documented(&events[0]);
    let d = detail(&events[0]);
    assert_eq!(
        (&d["actor"], &d["previousRole"], &d["membership"]["role"], &d["membership"]["userId"]),
        (
            &w.owner.sub.as_str().into(),
            &"member".into(),
            &"administrator".into(),
            &w.member.sub.as_str().into()
        )
    );

    // Decline (anonymous), withdraw, a member removed, a member leaving.
    let (bo, bo_token) = w.invited(&w.email("bo"), "member").await;
    assert_eq!(w.decline(None, &bo, &bo_token).await.status, 200);
    let (cy, _) = w.invited(&w.email("cy"), "administrator").await;
    assert_eq!(w.withdraw(&w.admin, &cy).await.status, 200);
    assert_eq!(w.remove_member(&w.owner, &ada).await.status, 200);
    assert_eq!(w.remove_member(&w.admin, &w.admin).await.status, 200);
    publish(&w, &mut stream, &sink.bus).await;
    let events = received();
    assert_eq!(
        kinds(&events),
        [
            "invitation.created",
            "invitation.declined",
            "invitation.created",
            "invitation.withdrawn",
            "membership.revoked",
            "membership.revoked",
        ]
    );
    events.iter().for_each(assert_documented);
    let d: Vec<Value> = events.iter().map(detail).collect();
    assert!(d[1]["actor"].is_null(), "declined without signing in");
    assert_eq!(d[3]["actor"], w.admin.sub.as_str());
    assert_eq!(d[3]["invitation"]["role"], "administrator");
    assert_eq!((&d[4]["reason"], &d[4]["actor"]), (&"removed".into(), &w.owner.sub.as_str().into()));
    assert_eq!(d[4]["membership"]["userId"], ada.sub.as_str());
    assert_eq!(d[4]["membership"]["metadata"], metadata, "kept to the membership's end");
    assert!(d[0]["invitation"]["metadata"].is_null(), "none given, none carried");
    assert_eq!((&d[5]["reason"], &d[5]["actor"]), (&"left".into(), &w.admin.sub.as_str().into()));

    // The email's fate, from SES.
    w.delivery_function().handle(&ses_report("Delivery", &cy, &w.email("cy"), 0)).await.unwrap();
    publish(&w, &mut stream, &sink.bus).await;
    let events = received();
    assert_eq!(kinds(&events), ["invitation.delivery_changed"]);
    assert_documented(&events[0]);
    assert_eq!(detail(&events[0])["invitation"]["emailDelivery"], "delivered");
    assert!(detail(&events[0])["actor"].is_null());

    // A reminder before expiry: the service's own change, with no actor.
    let (dee, _) = w.invited(&w.email("dee"), "member").await;
    w.clock.advance(chrono::TimeDelta::days(5) + chrono::TimeDelta::minutes(1));
    assert_eq!(w.run_reminders().await["sent"], 1);
    publish(&w, &mut stream, &sink.bus).await;
    let events = received();
    assert_eq!(kinds(&events), ["invitation.created", "invitation.reminded"]);
    events.iter().for_each(assert_documented);
    let reminded = detail(&events[1]);
    assert!(reminded["actor"].is_null(), "{reminded}");
    assert_eq!((&reminded["invitation"]["id"], &reminded["sequence"]), (&dee.as_str().into(), &1.into()));
    assert_eq!(
        reminded["invitation"]["expiresAt"],
        detail(&events[0])["invitation"]["expiresAt"],
        "unchanged"
    );

    // Writes that change nothing a consumer hears of publish nothing: the
    // expiry (a moment, not a write) and the TTL's purge of an invitation.
    w.clock.advance(chrono::TimeDelta::days(30));
    assert_eq!(w.status_in_list(&id).await, "accepted");
    purge(&w, &bo).await;
    publish(&w, &mut stream, &sink.bus).await;
    assert_eq!(kinds(&received()), Vec::<String>::new());
}

/// What the TTL does when an invitation's time is up: deletes the item.
async fn purge(w: &World, id: &str) {
    let client = aws_sdk_dynamodb::Client::new(&integration_tests::sdk_config().await);
    client
        .delete_item()
        .table_name(w.store.table_name())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("INV#{id}")))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("INV".into()))
        .send()
        .await
        .unwrap();
}

/// The sequence number of the first record of a batch about an `entity` item.
fn first_with_events(batch: &Value, entity: &str) -> Value {
    batch["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dynamodb"]["NewImage"]["entity"]["S"] == entity)
        .map(|r| r["dynamodb"]["SequenceNumber"].clone())
        .unwrap()
}

#[tokio::test]
async fn a_batch_handed_over_again_publishes_the_same_event_ids() {
    let w = World::streamed().await;
    let sink = w.event_sink().await;
    let mut stream = w.stream().await;
    w.invited(&w.email("ada"), "member").await;
    let batch = stream.batch();
    let function = w.events_function(&sink.bus);
    assert_eq!(function.handle(&batch).await["batchItemFailures"], serde_json::json!([]));
    let first: Vec<Value> = sink.received().iter().map(detail).collect();
    assert_eq!(function.handle(&batch).await["batchItemFailures"], serde_json::json!([]));
    let again: Vec<Value> = sink.received().iter().map(detail).collect();
    // Delivered twice, the same events: a consumer keeping the ids it has seen
    // acts once.
    assert_eq!(first.len(), 5, "four seeded memberships and the invitation");
    assert_eq!(first, again);
    let ids: BTreeSet<&str> = first.iter().map(|d| d["eventId"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), first.len(), "every change its own id");
}

/// EventBridge refusing every entry of the first `failing` PutEvents, as it
/// does under throttling or an internal failure (HTTP 200, each entry with an
/// error code): the request reaches the emulator emptied, so nothing is
/// published, and its answer is replaced. Counts the attempts.
#[derive(Debug, Clone)]
struct RefuseEntries {
    failing: usize,
    attempts: Arc<AtomicUsize>,
    entries: Arc<AtomicUsize>,
}

impl RefuseEntries {
    fn first(failing: usize) -> Self {
        Self { failing, attempts: Default::default(), entries: Default::default() }
    }

    fn refusing(&self) -> bool {
        self.attempts.load(Ordering::SeqCst) < self.failing
    }
}

impl Intercept for RefuseEntries {
    fn name(&self) -> &'static str {
        "RefuseEntries"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.refusing() {
            let request = context.request_mut();
            let body: Value =
                request.body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
            self.entries.store(body["Entries"].as_array().map_or(0, Vec::len), Ordering::SeqCst);
            *request.body_mut() = SdkBody::from("{}");
            request.headers_mut().insert("content-length", "2");
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.refusing() {
            self.attempts.fetch_add(1, Ordering::SeqCst);
            let n = self.entries.load(Ordering::SeqCst);
            let entry = serde_json::json!({"ErrorCode": "InternalFailure", "ErrorMessage": "Internal service error."});
            let answer = serde_json::json!({"FailedEntryCount": n, "Entries": vec![entry; n]});
            let response = context.response_mut();
            *response.status_mut() = StatusCode::try_from(200).unwrap();
            response.headers_mut().insert("content-type", "application/x-amz-json-1.1");
            response.headers_mut().remove("x-amzn-errortype");
            *response.body_mut() = SdkBody::from(answer.to_string());
        }
        Ok(())
    }
}

async fn refused_by(refuse: &RefuseEntries, bus: &str) -> EventsTrigger<EventBridgePublisher> {
    let sdk = integration_tests::sdk_config().await;
    let client = aws_sdk_eventbridge::Client::from_conf(
        aws_sdk_eventbridge::config::Builder::from(&sdk).interceptor(refuse.clone()).build(),
    );
    EventsTrigger::new(EventBridgePublisher::new(client, bus))
}

#[tokio::test]
async fn refused_entries_are_sent_again_and_a_publish_that_keeps_failing_is_reported_for_lambda_to_retry() {
    let w = World::streamed().await;
    let sink = w.event_sink().await;
    let mut stream = w.stream().await;
    w.invited(&w.email("ada"), "member").await;
    let batch = stream.batch();

    // Refused once: sent again at once, and all of it goes out, once.
    let once = RefuseEntries::first(1);
    let answer = refused_by(&once, &sink.bus).await.handle(&batch).await;
    assert_eq!(answer["batchItemFailures"], serde_json::json!([]));
    assert_eq!(once.attempts.load(Ordering::SeqCst), 1);
    assert_eq!(sink.received().len(), 5, "four seeded memberships and the invitation, each once");

    // Refused every time: three attempts, then the first record with something
    // to publish is reported; Lambda hands it over again (then, after its
    // retries, to the dead-letter queue: template.yaml), and nothing went out.
    let always = RefuseEntries::first(usize::MAX);
    let answer = refused_by(&always, &sink.bus).await.handle(&batch).await;
    let first = first_with_events(&batch, "membership");
    assert_eq!(answer["batchItemFailures"], serde_json::json!([{ "itemIdentifier": first }]));
    assert_eq!(always.attempts.load(Ordering::SeqCst), 3, "three attempts before giving the batch back");
    assert_eq!(sink.received().len(), 0);
}

#[tokio::test]
async fn an_unreadable_record_stops_the_batch_at_it() {
    let w = World::streamed().await;
    let sink = w.event_sink().await;
    let mut stream = w.stream().await;
    w.invited(&w.email("ada"), "member").await;
    let mut batch = stream.batch();
    let bad = first_with_events(&batch, "invitation");
    let records = batch["Records"].as_array_mut().unwrap();
    let at = records.iter().position(|r| r["dynamodb"]["SequenceNumber"] == bad).unwrap();
    records[at]["dynamodb"]["NewImage"]["history"] = serde_json::json!({"S": "not a list"});
    let answer = w.events_function(&sink.bus).handle(&batch).await;
    assert_eq!(answer["batchItemFailures"], serde_json::json!([{ "itemIdentifier": bad }]));
    assert_eq!(sink.received().len(), 4, "the seeded memberships before it are published");
}

/// Billing hears when a team's members fill its seats (issue 21, item 4):
/// once, from the acceptance that took the last seat.
#[tokio::test]
async fn the_acceptance_that_takes_a_teams_last_seat_is_published() {
    let w = World::streamed().await;
    let sink = w.event_sink().await;
    let mut stream = w.stream().await;
    let (id, token) = w.invited(&w.email("last"), "member").await;
    let limits = serde_json::json!({"limits": {"openInvitations": 10, "emailsPerHour": 10, "seats": 4}});
    let call = Call::platform("PATCH", &w.team).signed_by(integration_tests::request::PLATFORM_SESSION);
    assert_eq!(w.call(call.json(limits)).await.status, 200, "three members and one invitation");
    publish(&w, &mut stream, &sink.bus).await;
    let before: Vec<String> = kinds(&sink.received());
    assert!(!before.iter().any(|k| k == "team.seat_limit_reached"), "{before:?}");

    let last = User::new(&format!("last-{}", w.tag), &w.email("last"));
    assert_eq!(w.accept(&last, &id, &token).await.status, 200);
    publish(&w, &mut stream, &sink.bus).await;
    let events = sink.received();
    let filled: Vec<&Value> =
        events.iter().filter(|e| e["detail-type"] == "team.seat_limit_reached").collect();
    assert_eq!(filled.len(), 1, "{:?}", kinds(&events));
    assert_documented(filled[0]);
    let d = detail(filled[0]);
    assert_eq!(
        (&d["teamId"], &d["seatLimit"], &d["members"]),
        (&w.team.as_str().into(), &4.into(), &4.into())
    );
    assert!(d["actor"].is_null());

    // A member leaving and another joining fills it again: a second event.
    assert_eq!(w.remove_member(&w.member, &w.member).await.status, 200);
    let (id, token) = w.invited(&w.email("next"), "member").await;
    let next = User::new(&format!("next-{}", w.tag), &w.email("next"));
    assert_eq!(w.accept(&next, &id, &token).await.status, 200);
    publish(&w, &mut stream, &sink.bus).await;
    let again = kinds(&sink.received());
    assert_eq!(again.iter().filter(|k| *k == "team.seat_limit_reached").count(), 1, "{again:?}");
}

#[tokio::test]
async fn an_invite_link_is_published_when_made_used_and_revoked_with_the_memberships_it_ended() {
    let w = World::streamed().await;
    let sink = w.event_sink().await;
    let mut stream = w.stream().await;
    let body = serde_json::json!({"role": "member", "maxUses": 5, "domains": ["example.com"]});
    let made = w.call(Call::create_link(&w.team, body).by(&w.admin)).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let (link, token) =
        (made.body["id"].as_str().unwrap().to_owned(), made.body["token"].as_str().unwrap().to_owned());
    publish(&w, &mut stream, &sink.bus).await;
    let of = |events: &[Value], kind: &str| -> Vec<Value> {
        events.iter().filter(|e| e["detail-type"] == kind).map(detail).collect()
    };
    let events = sink.received();
    let created = of(&events, "invite_link.created");
    assert_eq!(created.len(), 1, "{:?}", kinds(&events));
    assert_documented(events.iter().find(|e| e["detail-type"] == "invite_link.created").unwrap());
    assert_eq!(
        (created[0]["actor"].as_str(), created[0]["inviteLink"]["id"].as_str()),
        (Some(w.admin.sub.as_str()), Some(link.as_str()))
    );
    assert_eq!(created[0]["inviteLink"]["domains"], serde_json::json!(["example.com"]));

    let ada = User::new(&format!("ada-{}", w.tag), &w.email("ada"));
    let joined = w.call(Call::join_link(&w.team, &link, &token).by(&ada)).await;
    assert_eq!(joined.status, 201, "{}", joined.body);
    publish(&w, &mut stream, &sink.bus).await;
    let events = sink.received();
    for kind in ["invite_link.used", "membership.created"] {
        let e = events
            .iter()
            .find(|e| e["detail-type"] == kind)
            .unwrap_or_else(|| panic!("{kind}: {:?}", kinds(&events)));
        assert_documented(e);
        assert_eq!(detail(e)["actor"], ada.sub.as_str(), "{kind}: the joiner");
    }
    let member = &of(&events, "membership.created")[0];
    assert_eq!(
        (member["inviteLinkId"].as_str(), &member["invitationId"]),
        (Some(link.as_str()), &Value::Null)
    );
    let used = &of(&events, "invite_link.used")[0];
    assert_eq!(
        (used["inviteLinkId"].as_str(), used["email"].as_str()),
        (Some(link.as_str()), Some(ada.email.as_str()))
    );

    let revoked = w.call(Call::revoke_link(&w.team, &link, true).by(&w.owner)).await;
    assert_eq!(revoked.body["membershipsEnded"], 1, "{}", revoked.body);
    publish(&w, &mut stream, &sink.bus).await;
    let events = sink.received();
    let gone = of(&events, "membership.revoked");
    assert_eq!(gone.len(), 1, "{:?}", kinds(&events));
    assert_eq!(
        (gone[0]["reason"].as_str(), gone[0]["actor"].as_str()),
        (Some("link_revoked"), Some(w.owner.sub.as_str()))
    );
    assert_eq!(gone[0]["membership"]["userId"], ada.sub.as_str());
    let revoked = of(&events, "invite_link.revoked");
    assert_eq!(revoked.len(), 1, "once, however many uses and revocations follow: {:?}", kinds(&events));
    assert_documented(events.iter().find(|e| e["detail-type"] == "invite_link.revoked").unwrap());
    assert_eq!(
        (revoked[0]["actor"].as_str(), revoked[0]["inviteLink"]["uses"].as_u64()),
        (Some(w.owner.sub.as_str()), Some(1))
    );
    for e in events.iter().filter(|e| e["detail-type"] == "membership.revoked") {
        assert_documented(e);
    }
    // Revoked again: nothing new.
    assert_eq!(w.call(Call::revoke_link(&w.team, &link, true).by(&w.owner)).await.status, 200);
    publish(&w, &mut stream, &sink.bus).await;
    assert!(of(&sink.received(), "invite_link.revoked").is_empty());
}

#[tokio::test]
async fn a_join_request_is_published_when_asked_and_when_answered() {
    let w = World::streamed().await;
    let sink = w.event_sink().await;
    let mut stream = w.stream().await;
    let body = serde_json::json!({"role": "member", "maxUses": 5, "approval": true});
    let made = w.call(Call::create_link(&w.team, body).by(&w.owner)).await;
    let (link, token) =
        (made.body["id"].as_str().unwrap().to_owned(), made.body["token"].as_str().unwrap().to_owned());
    let [ada, bo, cy] = ["ada", "bo", "cy"].map(|n| User::new(&format!("{n}-{}", w.tag), &w.email(n)));
    for who in [&ada, &bo, &cy] {
        assert_eq!(w.call(Call::join_link(&w.team, &link, &token).by(who)).await.status, 202);
    }
    publish(&w, &mut stream, &sink.bus).await;
    let events = sink.received();
    let asked: Vec<&Value> = events.iter().filter(|e| e["detail-type"] == "join_request.created").collect();
    assert_eq!(asked.len(), 3, "{:?}", kinds(&events));
    assert_documented(asked[0]);
    assert!(asked.iter().all(|e| detail(e)["actor"] == detail(e)["request"]["userId"]), "the asker");

    assert_eq!(w.call(Call::approve_join(&w.team, &ada.sub).by(&w.admin)).await.status, 200);
    assert_eq!(w.call(Call::deny_join(&w.team, &bo.sub).by(&w.owner)).await.status, 200);
    assert_eq!(w.call(Call::cancel_join(&w.team).by(&cy)).await.status, 200);
    publish(&w, &mut stream, &sink.bus).await;
    let events = sink.received();
    for (kind, actor, about) in [
        ("join_request.approved", &w.admin.sub, &ada.sub),
        ("join_request.denied", &w.owner.sub, &bo.sub),
        ("join_request.cancelled", &cy.sub, &cy.sub),
    ] {
        let found: Vec<&Value> = events.iter().filter(|e| e["detail-type"] == kind).collect();
        assert_eq!(found.len(), 1, "{kind}: {:?}", kinds(&events));
        assert_documented(found[0]);
        let d = detail(found[0]);
        assert_eq!(
            (d["actor"].as_str(), d["request"]["userId"].as_str()),
            (Some(actor.as_str()), Some(about.as_str())),
            "{kind}"
        );
    }
    // The approval's join: the membership and the link's use, from the same write.
    let joined =
        events.iter().find(|e| e["detail-type"] == "membership.created").expect("membership.created");
    assert_eq!(detail(joined)["inviteLinkId"], link.as_str());
    assert!(events.iter().any(|e| e["detail-type"] == "invite_link.used"), "{:?}", kinds(&events));
    // Asked again after the denial: a new request, a new event.
    w.clock.advance(chrono::TimeDelta::minutes(1));
    assert_eq!(w.call(Call::join_link(&w.team, &link, &token).by(&bo)).await.status, 202);
    publish(&w, &mut stream, &sink.bus).await;
    assert_eq!(kinds(&sink.received()), ["join_request.created"]);
}
