//! POST /teams/{teamId}/invitations/{invitationId}/resend: the email again,
//! with a new link and a new week; the old link stops working.

use chrono::TimeDelta;
use serde_json::json;

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::{sent_emails, token_of, Call, Options, User, World};
use invitations_core::domain::MAX_SENDS;
use invitations_core::triggers::ses::Applied;

use crate::published::{ses_report, transient_bounce};

const COOLDOWN: TimeDelta = TimeDelta::seconds(60);

async fn resend(w: &World, by: &User, id: &str) -> integration_tests::Resp {
    w.call(Call::resend(&w.team, id).by(by)).await
}

#[tokio::test]
async fn a_resend_emails_a_new_link_and_the_old_one_stops_working() {
    let w = World::new().await;
    let email = w.email("ada");
    let first = w.invite(&w.owner, &email, "member").await;
    let id = first.body["id"].as_str().unwrap().to_owned();
    let old = token_of(first.body["link"].as_str().unwrap());
    w.clock.advance(TimeDelta::days(6));

    let resp = resend(&w, &w.admin, &id).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let new = token_of(resp.body["link"].as_str().unwrap());
    assert_ne!(new, old);
    assert_eq!(resp.body["linkToken"], new.as_str());
    assert_eq!(resp.body["status"], "open");
    assert_eq!(resp.body["createdAt"], first.body["createdAt"], "the same invitation");
    // A new week from the resend, not from the first send.
    let expires = chrono::DateTime::parse_from_rfc3339(resp.body["expiresAt"].as_str().unwrap()).unwrap();
    let created = chrono::DateTime::parse_from_rfc3339(first.body["createdAt"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, TimeDelta::days(13));
    assert_eq!(resp.body["actions"], json!(["withdraw", "copyLink"]), "no resend within the cooldown");

    // The email went out again, with the new link; the list copies the new one.
    let mails = sent_emails(&email);
    assert_eq!(mails.len(), 2);
    assert!(mails[1].body.contains(&new) && !mails[1].body.contains(&old));
    let list = w.list(&w.owner, &[]).await;
    assert_eq!(list.body["invitations"][0]["link"], resp.body["link"]);

    // The old link names nothing any more, whatever it is used for, and using
    // it changes nothing.
    assert_eq!(w.preview(&id, &old).await.status, 404);
    let ada = User::new(&format!("ada-{}", w.tag), &email);
    assert_eq!(w.accept(&ada, &id, &old).await.status, 404);
    assert_eq!(w.decline(None, &id, &old).await.status, 404);
    assert_eq!(w.preview(&id, &new).await.body["status"], "open");

    // Past the first week, the invitation is open and the new link accepts it.
    w.clock.advance(TimeDelta::days(2));
    assert_eq!(w.invite(&w.owner, &email, "member").await.code(), "already_invited", "the lock moved too");
    let accepted = w.accept(&ada, &id, &new).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
}

#[tokio::test]
async fn a_resend_within_the_cooldown_is_429_with_retry_after() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("ada"), "member").await;
    w.clock.advance(TimeDelta::seconds(45));
    let resp = resend(&w, &w.owner, &id).await;
    assert_eq!((resp.status, resp.code()), (429, "resend_too_soon"), "{}", resp.body);
    assert_eq!(resp.headers["retry-after"], "15");
    assert_eq!(resp.body["retryAfterSeconds"], 15);
    let list = w.list(&w.owner, &[]).await;
    assert_eq!(list.body["invitations"][0]["actions"], json!(["withdraw", "copyLink"]));

    w.clock.advance(TimeDelta::seconds(15));
    let list = w.list(&w.owner, &[]).await;
    assert_eq!(list.body["invitations"][0]["actions"], json!(["resend", "withdraw", "copyLink"]));
    assert_eq!(resend(&w, &w.owner, &id).await.status, 200);
    let again = resend(&w, &w.owner, &id).await;
    assert_eq!((again.status, again.headers["retry-after"].to_str().unwrap()), (429, "60"));
}

#[tokio::test]
async fn only_invitations_of_the_callers_team_are_resent_by_its_managers() {
    let w = World::new().await;
    let (declined, token) = w.invited(&w.email("declined"), "member").await;
    assert_eq!(w.decline(None, &declined, &token).await.status, 200);
    let (open, token) = w.invited(&w.email("open"), "member").await;
    w.clock.advance(COOLDOWN);

    let resp = resend(&w, &w.owner, &declined).await;
    assert_eq!((resp.status, resp.code()), (409, "invitation_not_open"));
    assert_eq!(resp.body["invitationStatus"], "declined");
    assert_eq!(resend(&w, &w.member, &open).await.status, 403);
    assert_eq!(resend(&w, &w.outsider, &open).await.status, 403);
    let resp = w.call(Call::resend(&w.other_team, &open).by(&w.outsider)).await;
    assert_eq!((resp.status, resp.code()), (404, "not_found"), "another team's invitation");
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(resend(&w, &w.owner, &unknown).await.status, 404);
    assert_eq!(w.call(Call::resend(&w.team, &open)).await.status, 401);
    // None of those changed the link.
    assert_eq!(w.preview(&open, &token).await.status, 200);

    // Expired, a member still may not renew it (tests/api/fitting.rs: a manager may).
    w.clock.advance(TimeDelta::days(7));
    assert_eq!(resend(&w, &w.member, &open).await.status, 403);
}

#[tokio::test]
async fn concurrent_resends_send_one_new_link() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("ada"), "member").await;
    w.clock.advance(COOLDOWN);
    let (a, b) = tokio::join!(resend(&w, &w.owner, &id), resend(&w, &w.admin, &id));
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert!(statuses == [200, 429] || statuses == [200, 503], "{statuses:?}: {} {}", a.body, b.body);
    let winner = if a.status == 200 { &a } else { &b };
    // The link the winner answered with is the one that works.
    let token = token_of(winner.body["link"].as_str().unwrap());
    assert!(token.ends_with(".1"), "one generation further: {token}");
    assert_eq!(w.preview(&id, &token).await.status, 200);
    assert_eq!(sent_emails(&w.email("ada")).len(), 2, "the invite and one resend");
}

/// The invitation's item as stored, and its size as DynamoDB counts it.
async fn stored_size(w: &World, id: &str) -> usize {
    let out = w
        .store
        .client()
        .get_item()
        .table_name(w.store.table_name())
        .key("pk", AttributeValue::S(format!("INV#{id}")))
        .key("sk", AttributeValue::S("INV".into()))
        .send()
        .await
        .unwrap();
    invitations_core::adapters::dynamo::strict::stored_size(out.item().expect("the invitation is stored"))
}

/// An invitation that goes through everything an invitation can (every send,
/// every report on each, an answer) stays a small item: DynamoDB charges each
/// write, and each index copy, by the 1 KB, and refuses an item over 400 KB.
#[tokio::test]
async fn an_invitation_sends_at_most_five_emails_and_its_item_stays_under_4_kb_whatever_happens_to_it() {
    // The longest team name (100 characters of 4 bytes) and address (254).
    let longest_name: &'static str = "\u{1D54F}".repeat(100).leak();
    let w = World::with(Options { team_name: longest_name, ..Options::default() }).await;
    let email = format!("{}@{}.{}.{}.com", "a".repeat(64), "b".repeat(63), "c".repeat(63), "d".repeat(57));
    assert_eq!(email.len(), 254);
    let delivery = w.delivery_function();
    let first = w.invite(&w.owner, &email, "administrator").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let id = first.body["id"].as_str().unwrap().to_owned();
    let mut token = token_of(first.body["link"].as_str().unwrap());
    for generation in 0..MAX_SENDS {
        if generation > 0 {
            w.clock.advance(COOLDOWN);
            let resp = resend(&w, &w.owner, &id).await;
            assert_eq!(resp.status, 200, "send {}: {}", generation + 1, resp.body);
            token = token_of(resp.body["link"].as_str().unwrap());
        }
        let reports = [
            ses_report("DeliveryDelay", &id, &email, generation),
            ses_report("Delivery", &id, &email, generation),
            transient_bounce(&id, &email, generation),
        ];
        for report in reports {
            assert_eq!(delivery.handle(&report).await.unwrap(), Applied::Recorded);
        }
    }

    // A sixth email is refused, whenever it is asked for, and not offered.
    w.clock.advance(TimeDelta::days(1));
    let capped = resend(&w, &w.owner, &id).await;
    assert_eq!((capped.status, capped.code()), (409, "resend_limit_reached"), "{}", capped.body);
    assert_eq!(capped.body["maxSends"], MAX_SENDS);
    assert!(capped.headers.get("retry-after").is_none(), "waiting does not help");
    let list = w.list(&w.owner, &[]).await;
    assert_eq!(list.body["invitations"][0]["actions"], json!(["withdraw", "copyLink"]));
    // The person marks the last email as spam: that is said first from now on.
    let complaint = ses_report("Complaint", &id, &email, MAX_SENDS - 1);
    assert_eq!(delivery.handle(&complaint).await.unwrap(), Applied::Recorded);
    let refused = resend(&w, &w.owner, &id).await;
    assert_eq!((refused.status, refused.code()), (409, "recipient_unreachable"));
    assert_eq!(refused.body["reason"], "complained");

    // The last link still answers, and the history is all there.
    let invitee = integration_tests::User::new(&format!("a-{}", w.tag), &email);
    let accepted = w.accept(&invitee, &id, &token).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let history = w.call(Call::history(&w.team, &id).by(&w.owner)).await;
    let entries = history.body["history"].as_array().unwrap().len();
    assert_eq!(entries, 1 + 4 + 5 * 3 + 1 + 1, "created, resent, reports, complaint, accepted");

    // Everything that can happen to it has; the inviter's address is the one
    // field left that could be longer (up to 254 bytes).
    let size = stored_size(&w, &id).await + (254 - w.owner.email.len());
    assert!(size < 4096, "the invitation's item is {size} bytes");
}

/// A bounce or a complaint that arrives between a resend's read and its write
/// stops the resend in the write itself.
#[tokio::test]
async fn no_resend_after_a_permanent_bounce_or_a_complaint_even_one_arriving_during_the_resend() {
    use invitations_core::domain::{InvitationId, Permission, RoleCatalog, TeamLimits, UserId};
    use invitations_core::ports::{InvitationStore, LimitStore, ResolveError, SendQuota, Taken};

    let w = World::new().await;
    let (id, _) = w.invited(&w.email("typo"), "member").await;
    let read = w.store.invitation(InvitationId::parse(&id).unwrap()).await.unwrap().unwrap();
    w.clock.advance(COOLDOWN);
    let now = invitations_core::clock::Clock::now(w.clock.as_ref());
    let resent = read.resend(now, TimeDelta::days(7), COOLDOWN).expect("nothing bounced when it was read");
    w.delivery_function().handle(&ses_report("Bounce", &id, &w.email("typo"), 0)).await.unwrap();
    let managers = RoleCatalog::builtin().holding(Permission::MembersManage);
    let usage = w.store.usage(&read.team_id).await.unwrap();
    let places =
        usage.places(TeamLimits { max_open: 100, emails_per_hour: 100, seats: None }, now, 0).unwrap();
    let quota = SendQuota { taken: Taken::Now(places), per_recipient_per_day: 10 };
    let owner = UserId::parse(&w.owner.sub).unwrap();
    let refused = w.store.resend(&resent, &owner, &managers, now, resent.expires_at, quota).await;
    assert!(matches!(refused, Err(ResolveError::NotOpen { current: Some(_) })), "{refused:?}");

    let resp = resend(&w, &w.owner, &id).await;
    assert_eq!((resp.status, resp.code()), (409, "recipient_unreachable"), "{}", resp.body);
    assert_eq!(resp.body["reason"], "bounced");
    let list = w.list(&w.owner, &[]).await;
    assert_eq!(list.body["invitations"][0]["actions"], json!(["withdraw", "copyLink"]));
    assert_eq!(sent_emails(&w.email("typo")).len(), 1, "no second email");
}

/// However many teams invite one person, and whatever `+tag` they add, the
/// person gets at most the day's emails.
#[tokio::test]
async fn one_mailbox_is_sent_at_most_its_daily_emails_by_every_team_together() {
    let w = World::with(Options { emails_per_recipient_per_day: 3, ..Options::default() }).await;
    let ada = |tag: &str| format!("ada+{tag}.{}@example.com", w.tag);
    let (id, _) = w.invited(&ada("one"), "member").await;
    w.clock.advance(COOLDOWN);
    assert_eq!(resend(&w, &w.owner, &id).await.status, 200);
    // Another team, the address without a tag: the same mailbox.
    let other = Call::invite(&w.other_team, json!({"email": "ADA@example.com", "role": "member"}));
    assert_eq!(w.call(other.by(&w.outsider)).await.status, 201);

    let refused = w.invite(&w.owner, &ada("two"), "member").await;
    assert_eq!((refused.status, refused.code()), (429, "rate_limited"), "{}", refused.body);
    assert_eq!(refused.body["limit"], "emailsPerRecipientPerDay");
    let now = invitations_core::clock::Clock::now(w.clock.as_ref());
    let midnight = (now.date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 0).unwrap().and_utc();
    assert_eq!(refused.headers["retry-after"].to_str().unwrap(), (midnight - now).num_seconds().to_string());
    w.clock.advance(COOLDOWN);
    let resent = resend(&w, &w.owner, &id).await;
    assert_eq!((resent.status, resent.body["limit"].as_str()), (429, Some("emailsPerRecipientPerDay")));
    // Nothing was written for the refused invite; anyone else is invited as usual.
    let listed = w.list(&w.owner, &[]).await;
    assert_eq!(listed.body["invitations"].as_array().unwrap().len(), 1);
    assert_eq!(w.invite(&w.owner, &w.email("bob"), "member").await.status, 201);

    // The next UTC day counts afresh.
    w.clock.advance(midnight - now);
    assert_eq!(w.invite(&w.owner, &ada("two"), "member").await.status, 201);
}
