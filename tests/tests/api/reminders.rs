//! Reminders before expiry (issue 21, item 6): one email to the invitee the
//! lead (48 hours) before an open invitation expires, with its current link;
//! sent by a periodic run that reads only the schedule of due reminders;
//! at most once; never after an answer, a withdrawal, a resend or a renewal;
//! within the team's email limits; in the history.

use chrono::TimeDelta;
use serde_json::json;

use integration_tests::{sent_emails, token_of, Call, Options, User, World};
use invitations_core::domain::TeamLimits;

fn reminders_to(w: &World, name: &str) -> Vec<integration_tests::SentEmail> {
    sent_emails(&w.email(name)).into_iter().filter(|e| e.subject.starts_with("Reminder:")).collect()
}

fn history_kinds(history: &serde_json::Value) -> Vec<String> {
    history["history"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn one_reminder_goes_out_two_days_before_expiry_with_the_current_link() {
    let w = World::new().await;
    let resp = w.invite(&w.owner, &w.email("ada"), "member").await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let id = resp.body["id"].as_str().unwrap().to_owned();
    let link = resp.body["link"].as_str().unwrap().to_owned();

    // Not before it is due: the week less 48 hours.
    w.clock.advance(TimeDelta::days(5) - TimeDelta::minutes(1));
    assert_eq!(w.run_reminders().await["sent"], 0);
    assert!(reminders_to(&w, "ada").is_empty());

    w.clock.advance(TimeDelta::minutes(2));
    let run = w.run_reminders().await;
    assert_eq!((&run["sent"], &run["failed"]), (&json!(1), &json!(0)), "{run}");
    let reminders = reminders_to(&w, "ada");
    assert_eq!(reminders.len(), 1);
    let email = &reminders[0];
    assert_eq!(
        email.subject,
        format!("Reminder: {} invited you to join Acme Rockets on Team invitations", w.email("owner"))
    );
    assert!(email.body.contains(&link), "the current link, not a new one: {}", email.body);
    let token = token_of(&link);
    assert_eq!(w.preview(&id, &token).await.status, 200, "and it still works");

    // Once: later runs find nothing due.
    w.clock.advance(TimeDelta::minutes(15));
    assert_eq!(w.run_reminders().await["sent"], 0);
    assert_eq!(reminders_to(&w, "ada").len(), 1);
    let history = w.call(Call::history(&w.team, &id).by(&w.owner)).await;
    assert_eq!(history_kinds(&history.body), ["invitation.created", "invitation.reminded"]);
    let reminded = &history.body["history"][1];
    assert!(reminded["actor"].is_null(), "the service's own doing: {reminded}");

    // The invitee accepts with the reminded link.
    let ada = User::new(&format!("ada-{}", w.tag), &w.email("ada"));
    assert_eq!(w.accept(&ada, &id, &token).await.status, 200);
}

#[tokio::test]
async fn no_reminder_after_an_answer_a_withdrawal_a_resend_or_for_a_short_invitation() {
    let w = World::new().await;
    let (accepted, accepted_token) = w.invited(&w.email("acc"), "member").await;
    let (declined, declined_token) = w.invited(&w.email("dec"), "member").await;
    let (withdrawn, _) = w.invited(&w.email("wit"), "member").await;
    let (resent, _) = w.invited(&w.email("res"), "member").await;
    let short = json!({"email": w.email("short"), "role": "member", "expiresInDays": 2});
    assert_eq!(w.call(Call::invite(&w.team, short).by(&w.owner)).await.status, 201);

    w.clock.advance(TimeDelta::days(1));
    let acc = User::new(&format!("acc-{}", w.tag), &w.email("acc"));
    assert_eq!(w.accept(&acc, &accepted, &accepted_token).await.status, 200);
    assert_eq!(w.decline(None, &declined, &declined_token).await.status, 200);
    assert_eq!(w.withdraw(&w.owner, &withdrawn).await.status, 200);
    let again = w.call(Call::resend(&w.team, &resent).by(&w.owner)).await;
    assert_eq!(again.status, 200, "{}", again.body);

    // When the first week's reminders fall due: none goes out. The three
    // answered are taken off the schedule; the resent one has its own, later.
    w.clock.advance(TimeDelta::days(4) + TimeDelta::minutes(1));
    let run = w.run_reminders().await;
    assert_eq!((&run["sent"], &run["dropped"]), (&json!(0), &json!(3)), "{run}");
    assert_eq!(w.run_reminders().await["dropped"], 0, "off the schedule for good");
    for name in ["acc", "dec", "wit", "res", "short"] {
        assert!(reminders_to(&w, name).is_empty(), "{name}");
    }
    // The resend's week: its reminder, with the resend's link.
    w.clock.advance(TimeDelta::days(1));
    assert_eq!(w.run_reminders().await["sent"], 1);
    let reminders = reminders_to(&w, "res");
    assert_eq!(reminders.len(), 1);
    assert!(reminders[0].body.contains(again.body["link"].as_str().unwrap()), "{}", reminders[0].body);
    // The two-day invitation expires unreminded.
    w.clock.advance(TimeDelta::days(2));
    assert_eq!(w.run_reminders().await["sent"], 0);
    assert!(reminders_to(&w, "short").is_empty());
}

#[tokio::test]
async fn reminders_count_in_the_teams_email_limit_and_wait_for_room() {
    let limits = TeamLimits { max_open: 50, emails_per_hour: 2, seats: None };
    let w = World::with(Options { limits, ..Options::default() }).await;
    w.invited(&w.email("a"), "member").await;
    w.invited(&w.email("b"), "member").await;
    w.clock.advance(TimeDelta::hours(1));
    w.invited(&w.email("c"), "member").await;

    // All three fall due within the hour; the limit lets two go out.
    w.clock.advance(TimeDelta::days(5));
    let run = w.run_reminders().await;
    assert_eq!((&run["sent"], &run["deferred"]), (&json!(2), &json!(1)), "{run}");
    let refused = w.invite(&w.owner, &w.email("d"), "member").await;
    assert_eq!((refused.status, &refused.body["code"]), (429, &json!("rate_limited")), "{}", refused.body);
    // The hour after, the one left waiting goes out.
    w.clock.advance(TimeDelta::hours(1));
    assert_eq!(w.run_reminders().await["sent"], 1);
    for name in ["a", "b", "c"] {
        assert_eq!(reminders_to(&w, name).len(), 1, "{name}");
    }
}

#[tokio::test]
async fn runs_that_overlap_send_each_reminder_once() {
    let w = World::new().await;
    for name in ["a", "b", "c", "d"] {
        w.invited(&w.email(name), "member").await;
    }
    w.clock.advance(TimeDelta::days(5) + TimeDelta::minutes(1));
    let (first, second) = (w.reminders_function(), w.reminders_function());
    let scheduled = json!({"source": "aws.events", "detail-type": "Scheduled Event"});
    let (one, two) = tokio::join!(first.handle(&scheduled), second.handle(&scheduled));
    let (one, two) = (one.unwrap(), two.unwrap());
    let sent = one["sent"].as_u64().unwrap() + two["sent"].as_u64().unwrap();
    assert_eq!(sent, 4, "each reminder by one run: {one} {two}");
    for name in ["a", "b", "c", "d"] {
        assert_eq!(reminders_to(&w, name).len(), 1, "{name}");
    }
}

#[tokio::test]
async fn without_a_lead_nothing_is_reminded_and_a_day_late_is_too_late() {
    use invitations_core::domain::InvitationId;
    use invitations_core::ports::InvitationStore;
    let off = World::with(Options { reminder_lead: None, ..Options::default() }).await;
    let (id, _) = off.invited(&off.email("a"), "member").await;
    let stored = off.store.invitation(InvitationId::parse(&id).unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.remind_at, None, "no reminder scheduled");
    off.clock.advance(TimeDelta::days(5) + TimeDelta::minutes(1));
    assert_eq!(
        off.run_reminders().await,
        json!({"sent": 0, "mailFailed": 0, "dropped": 0, "deferred": 0, "failed": 0})
    );
    assert!(reminders_to(&off, "a").is_empty());

    // No run for more than a day after it fell due: dropped unsent, and logged.
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("late"), "member").await;
    let id = InvitationId::parse(&id).unwrap();
    w.clock.advance(TimeDelta::days(5) + TimeDelta::hours(24) + TimeDelta::minutes(30));
    assert_eq!(w.run_reminders().await["sent"], 0);
    assert!(reminders_to(&w, "late").is_empty());
    assert_eq!(w.store.invitation(id).await.unwrap().unwrap().remind_at, None, "off the schedule");
}
