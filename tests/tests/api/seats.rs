//! Seats (issue 21, item 4): the platform sets a team's seat limit; members
//! and open invitations share it. An invite beyond it is refused, and an
//! acceptance checks again in the write that creates the membership, so
//! concurrent acceptances never make one member too many.

use serde_json::{json, Value};

use integration_tests::request::PLATFORM_SESSION as PLATFORM;
use integration_tests::{call_handlers, token_of, Call, Resp, User, World};

async fn set_seats(w: &World, seats: Value) -> Resp {
    let limits = json!({"limits": {"openInvitations": 100, "emailsPerHour": 100, "seats": seats}});
    w.call(Call::platform("PATCH", &w.team).signed_by(PLATFORM).json(limits)).await
}

/// The team's seats as its members page shows them to `caller`.
async fn seats(w: &World, caller: &User) -> Value {
    let resp = w.call(Call::members(&w.team).by(caller)).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body["seats"].clone()
}

fn seats_of(limit: u32, members: i64, open: i64) -> Value {
    let free = (i64::from(limit) - members - open).max(0);
    json!({"limit": limit, "members": members, "openInvitations": open, "free": free})
}

#[tokio::test]
async fn members_and_open_invitations_share_the_seats_and_an_invite_beyond_them_is_refused() {
    let w = World::new().await;
    // The team has three members: owner, administrator, member.
    assert!(seats(&w, &w.owner).await.is_null(), "no seat limit, nothing to show");
    let set = set_seats(&w, json!(5)).await;
    assert_eq!((set.status, &set.body["team"]["limits"]["seats"]), (200, &json!(5)), "{}", set.body);
    assert_eq!(seats(&w, &w.owner).await, seats_of(5, 3, 0));
    assert!(seats(&w, &w.member).await.is_null(), "seats are for those who manage the members");

    let (first, first_token) = w.invited(&w.email("first"), "member").await;
    w.invited(&w.email("second"), "member").await;
    assert_eq!(seats(&w, &w.owner).await, seats_of(5, 3, 2));
    let refused = w.invite(&w.admin, &w.email("third"), "member").await;
    assert_eq!((refused.status, refused.code()), (409, "seat_limit"), "{}", refused.body);
    let batch = json!({"invitations": [{"email": w.email("fourth"), "role": "member"}]});
    let resp = w.call(Call::batch(&w.team, batch).by(&w.owner)).await;
    assert_eq!(resp.body["results"][0]["problem"]["code"], "seat_limit", "{}", resp.body);

    // Accepting turns an open invitation into a member: the seats taken stay five.
    let first_user = User::new(&format!("first-{}", w.tag), &w.email("first"));
    assert_eq!(w.accept(&first_user, &first, &first_token).await.status, 200);
    assert_eq!(seats(&w, &w.owner).await, seats_of(5, 4, 1));
    assert_eq!(w.invite(&w.owner, &w.email("third"), "member").await.code(), "seat_limit");

    // A member who goes frees a seat; so does a withdrawn invitation.
    assert_eq!(w.remove_member(&w.member, &w.member).await.status, 200, "the member leaves");
    assert_eq!(seats(&w, &w.owner).await, seats_of(5, 3, 1));
    assert_eq!(w.invite(&w.owner, &w.email("third"), "member").await.status, 201);
    assert_eq!(w.invite(&w.owner, &w.email("fourth"), "member").await.code(), "seat_limit");

    // Without a seat limit, the other limits alone hold.
    let lifted = set_seats(&w, Value::Null).await;
    assert!(lifted.body["team"]["limits"]["seats"].is_null(), "{}", lifted.body);
    assert_eq!(w.invite(&w.owner, &w.email("fourth"), "member").await.status, 201);
    assert!(seats(&w, &w.owner).await.is_null());

    let bad = set_seats(&w, json!(0)).await;
    assert_eq!((bad.status, &bad.body["errors"][0]["field"]), (422, &json!("limits.seats")), "{}", bad.body);
}

/// Invitations sent before a seat limit was set (or lowered) may outnumber
/// the seats; each acceptance checks the seats in its own write.
#[tokio::test]
async fn concurrent_accepts_at_the_seat_limit_create_exactly_as_many_members_as_seats() {
    let w = World::new().await;
    let mut invited = Vec::new();
    for i in 0..6 {
        let email = w.email(&format!("rush{i}"));
        let (id, token) = w.invited(&email, "member").await;
        invited.push((User::new(&format!("rush{i}-{}", w.tag), &email), id, token));
    }
    // Three members and six open invitations; five seats leave two to fill.
    assert_eq!(set_seats(&w, json!(5)).await.status, 200);
    assert_eq!(seats(&w, &w.owner).await, seats_of(5, 3, 6));
    let mut calls = tokio::task::JoinSet::new();
    for (user, id, token) in &invited {
        let (handlers, call) = (w.handlers.clone(), Call::accept(id, token).by(user));
        calls.spawn(async move { call_handlers(&handlers, call).await });
    }
    let (mut joined, mut refused) = (0, Vec::new());
    for resp in calls.join_all().await {
        match (resp.status, resp.code()) {
            (200, _) => joined += 1,
            (409, "seat_limit") => refused.push(resp.body["detail"].as_str().unwrap_or_default().to_owned()),
            _ => panic!("unexpected {}: {}", resp.status, resp.body),
        }
    }
    assert_eq!((joined, refused.len()), (2, 4), "exactly the free seats are taken");
    assert!(refused[0].contains("Ask the team to free a seat"), "{}", refused[0]);
    let mut members = 0;
    for (user, _, _) in &invited {
        members += usize::from(w.membership(&w.team, user).await.is_some());
    }
    assert_eq!(members, 2, "no member too many");
    assert_eq!(seats(&w, &w.owner).await, seats_of(5, 5, 4), "the refused stay open");

    // A seat freed, one of the refused joins with the link they already have.
    assert_eq!(w.remove_member(&w.owner, &w.admin).await.status, 200);
    let mut retried = 0;
    for (user, id, token) in &invited {
        if w.membership(&w.team, user).await.is_none() {
            let resp = w.accept(user, id, token).await;
            retried += usize::from(resp.status == 200);
        }
    }
    assert_eq!(retried, 1, "one seat, one more member");
}

/// A team created with a seat limit starts with its owner in a seat; setting
/// a limit counts the members from their items, whatever the count said.
#[tokio::test]
async fn a_new_team_starts_with_its_owner_in_a_seat_and_setting_a_limit_counts_the_members_again() {
    let w = World::new().await;
    let team = format!("solo-{}", w.tag);
    let founder = User::new(&format!("founder-{}", w.tag), &w.email("founder"));
    let body = json!({
        "name": "Solo",
        "owner": {"userId": founder.sub, "email": founder.email},
        "limits": {"openInvitations": 10, "emailsPerHour": 10, "seats": 1},
    });
    let created = w.call(Call::platform("PUT", &team).signed_by(PLATFORM).json(body)).await;
    assert_eq!((created.status, &created.body["limits"]["seats"]), (201, &json!(1)), "{}", created.body);
    let invite = Call::invite(&team, json!({"email": w.email("friend"), "role": "member"})).by(&founder);
    assert_eq!(w.call(invite).await.code(), "seat_limit", "the owner takes the only seat");

    // A count that drifted (a team from before the count) is corrected.
    aws_sdk_dynamodb::Client::new(&integration_tests::sdk_config().await)
        .update_item()
        .table_name(w.store.table_name())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("TEAM#{}", w.team)))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("LIMITS#SEATS".into()))
        .update_expression("SET #members = :wrong")
        .expression_attribute_names("#members", "members")
        .expression_attribute_values(":wrong", aws_sdk_dynamodb::types::AttributeValue::N("42".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(set_seats(&w, json!(4)).await.status, 200);
    assert_eq!(seats(&w, &w.owner).await, seats_of(4, 3, 0));
    let resp = w.invite(&w.owner, &w.email("one-more"), "member").await;
    let link = resp.body["link"].as_str().unwrap();
    let user = User::new(&format!("one-more-{}", w.tag), &w.email("one-more"));
    let id = resp.body["id"].as_str().unwrap();
    assert_eq!(w.accept(&user, id, &token_of(link)).await.status, 200);
    assert_eq!(seats(&w, &w.owner).await, seats_of(4, 4, 0));
}
