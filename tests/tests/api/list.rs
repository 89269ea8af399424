//! GET /teams/{teamId}/invitations?status=&limit=&cursor=

use chrono::TimeDelta;
use integration_tests::{Call, User, World};
use serde_json::Value;

fn ids(resp: &integration_tests::Resp) -> Vec<String> {
    resp.body["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn members_see_the_teams_invitations_newest_first() {
    let w = World::new().await;
    let mut created = Vec::new();
    for name in ["first", "second", "third"] {
        created.push(w.invited(&w.email(name), "member").await.0);
        w.clock.advance(TimeDelta::minutes(1));
    }
    let resp = w.list(&w.member, &[]).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    created.reverse();
    assert_eq!(ids(&resp), created);
    assert_eq!(resp.body["nextCursor"], Value::Null, "everything fit in one page");
}

#[tokio::test]
async fn only_managers_get_the_copyable_link_and_only_while_open() {
    let w = World::new().await;
    let (open_id, _) = w.invited(&w.email("open"), "member").await;
    let (gone_id, _) = w.invited(&w.email("gone"), "member").await;
    assert_eq!(w.withdraw(&w.owner, &gone_id).await.status, 200);

    let as_admin = w.list(&w.admin, &[]).await;
    for inv in as_admin.body["invitations"].as_array().unwrap() {
        if inv["id"] == open_id.as_str() {
            let link = inv["link"].as_str().expect("open invitation carries its link");
            assert!(link.contains(&open_id));
        } else {
            assert!(
                inv.get("link").is_none() && inv.get("linkToken").is_none(),
                "no link once withdrawn: {inv}"
            );
        }
    }
    let as_member = w.list(&w.member, &[]).await;
    assert!(as_member.body["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i.get("link").is_none() && i.get("linkToken").is_none()));
}

#[tokio::test]
async fn each_invitation_says_what_the_caller_may_do_with_it_now() {
    let w = World::new().await;
    let (open, _) = w.invited(&w.email("open"), "member").await;
    let (pulled, _) = w.invited(&w.email("pulled"), "member").await;
    assert_eq!(w.withdraw(&w.owner, &pulled).await.status, 200);
    let actions = |resp: &integration_tests::Resp, id: &str| {
        let inv = resp.body["invitations"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap();
        inv["actions"].clone()
    };
    for manager in [&w.owner, &w.admin] {
        let resp = w.list(manager, &[]).await;
        assert_eq!(actions(&resp, &open), serde_json::json!(["withdraw", "copyLink"]));
        assert_eq!(actions(&resp, &pulled), serde_json::json!([]));
    }
    let resp = w.list(&w.member, &[]).await;
    assert_eq!(
        actions(&resp, &open),
        serde_json::json!([]),
        "a member without members.manage may do nothing"
    );
    // The invite's own answer says the same.
    let resp = w.invite(&w.admin, &w.email("new"), "member").await;
    assert_eq!(resp.body["actions"], serde_json::json!(["withdraw", "copyLink"]));
}

#[tokio::test]
async fn the_copied_link_is_the_one_that_was_emailed() {
    let w = World::new().await;
    let invite = w.invite(&w.owner, &w.email("same"), "member").await;
    let list = w.list(&w.owner, &[]).await;
    assert_eq!(list.body["invitations"][0]["link"], invite.body["link"]);
}

#[tokio::test]
async fn pages_follow_the_cursor_without_gaps_or_repeats() {
    let w = World::new().await;
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(w.invited(&w.email(&format!("p{i}")), "member").await.0);
        w.clock.advance(TimeDelta::seconds(1));
    }
    created.reverse();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "3".to_owned())];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let resp = w.list(&w.member, &query).await;
        assert_eq!(resp.status, 200, "{}", resp.body);
        let page = ids(&resp);
        assert!(page.len() <= 3);
        seen.extend(page);
        pages += 1;
        match resp.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 10, "paging does not terminate");
    }
    assert_eq!(seen, created);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn the_status_filter_uses_the_status_as_of_now() {
    let w = World::new().await;
    let (old, _) = w.invited(&w.email("old"), "member").await;
    w.clock.advance(TimeDelta::days(6));
    let (fresh, _) = w.invited(&w.email("fresh"), "member").await;
    let (taken, token) = w.invited(&w.email("taken"), "member").await;
    assert_eq!(w.decline(None, &taken, &token).await.status, 200);
    let (joined, token) = w.invited(&w.email("ada"), "member").await;
    let ada = User::new(&format!("ada-{}", w.tag), &w.email("ada"));
    assert_eq!(w.accept(&ada, &joined, &token).await.status, 200);
    let (pulled, _) = w.invited(&w.email("pulled"), "member").await;
    assert_eq!(w.withdraw(&w.owner, &pulled).await.status, 200);
    w.clock.advance(TimeDelta::days(1) + TimeDelta::seconds(1));

    assert_filtered(&w, "expired", &[&old]).await;
    assert_filtered(&w, "open", &[&fresh]).await;
    assert_filtered(&w, "declined", &[&taken]).await;
    assert_filtered(&w, "accepted", &[&joined]).await;
    assert_filtered(&w, "withdrawn", &[&pulled]).await;
    // Empty, as an HTML form sends "any": every status (docs/openapi.yaml).
    let all = w.list(&w.owner, &[("status", "")]).await;
    assert_eq!(all.status, 200);
    assert_eq!(ids(&all).len(), 5, "{}", all.body);
}

async fn assert_filtered(w: &World, status: &str, expected: &[&String]) {
    let resp = w.list(&w.owner, &[("status", status)]).await;
    assert_eq!(resp.status, 200);
    assert_eq!(ids(&resp).iter().collect::<Vec<_>>(), expected, "status={status}");
    for inv in resp.body["invitations"].as_array().unwrap() {
        assert_eq!(inv["status"], status);
    }
}

#[tokio::test]
async fn outsiders_and_anonymous_callers_cannot_list() {
    let w = World::new().await;
    w.invited(&w.email("secret"), "member").await;
    let resp = w.list(&w.outsider, &[]).await;
    assert_eq!((resp.status, resp.code()), (403, "forbidden"));
    assert!(resp.body.get("invitations").is_none());
    let resp = w.call(Call::list(&w.team)).await;
    assert_eq!((resp.status, resp.code()), (401, "unauthenticated"));
    let resp = w.call(Call::list("no-such-team").by(&w.owner)).await;
    assert_eq!((resp.status, resp.code()), (403, "forbidden"), "unknown teams look like foreign ones");
}

#[tokio::test]
async fn bad_query_parameters_are_400() {
    let w = World::new().await;
    for query in [
        [("status", "pending")],
        [("limit", "0")],
        [("limit", "100000")],
        [("limit", "ten")],
        [("cursor", "definitely-not-a-cursor")],
    ] {
        let resp = w.list(&w.owner, &query).await;
        assert_eq!((resp.status, resp.code()), (400, "invalid_request"), "{query:?}");
    }
}

#[tokio::test]
async fn a_cursor_from_another_team_cannot_page_into_it() {
    let w = World::new().await;
    // Team B has invitations; its manager pages through them and gets a cursor.
    for i in 0..3 {
        let call = Call::invite(
            &w.other_team,
            serde_json::json!({"email": w.email(&format!("b{i}")), "role": "member"}),
        )
        .by(&w.outsider);
        assert_eq!(w.call(call).await.status, 201);
        w.clock.advance(TimeDelta::seconds(1));
    }
    let b_page = w.call(Call::list(&w.other_team).query(&[("limit", "1")]).by(&w.outsider)).await;
    let cursor = b_page.body["nextCursor"].as_str().unwrap().to_owned();
    // A member of team A replays it against team A: only team A's items come back.
    w.invited(&w.email("a"), "member").await;
    let resp = w.list(&w.owner, &[("cursor", &cursor)]).await;
    assert_eq!(resp.status, 200);
    for inv in resp.body["invitations"].as_array().unwrap() {
        assert_eq!(inv["teamId"], w.team.as_str());
    }
    // And the team-B manager cannot use any cursor to read team A.
    let resp = w.call(Call::list(&w.team).query(&[("cursor", &cursor)]).by(&w.outsider)).await;
    assert_eq!(resp.status, 403);
}

#[tokio::test]
async fn a_status_filtered_page_reads_what_it_returns_whatever_the_teams_history() {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    use invitations_core::adapters::dynamo::invitation_item;
    use invitations_core::clock::Clock;
    use invitations_core::domain::{Email, Invitation, RoleName, UserId};

    // 500 declined invitations, then 3 open ones.
    let w = World::new().await;
    let now = w.clock.now();
    let team = w.team_value();
    let owner = UserId::parse(&w.owner.sub).unwrap();
    let items: Vec<WriteRequest> = (0..500)
        .map(|i| {
            let sent = now - TimeDelta::days(8) - TimeDelta::minutes(i);
            let inv = Invitation::new(
                &team,
                Email::parse(&w.email(&format!("old{i}"))).unwrap(),
                RoleName::parse("member").unwrap(),
                owner.clone(),
                sent,
                TimeDelta::days(7),
            )
            .decline(None, sent + TimeDelta::hours(1))
            .unwrap();
            let put = PutRequest::builder()
                .set_item(Some(invitation_item(&inv, now + TimeDelta::days(90))))
                .build();
            WriteRequest::builder().put_request(put.unwrap()).build()
        })
        .collect();
    for batch in items.chunks(25) {
        let out = w
            .store
            .client()
            .batch_write_item()
            .request_items(w.store.table_name(), batch.to_vec())
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()), "the emulator took every item");
    }
    let mut open = Vec::new();
    for name in ["a", "b", "c"] {
        open.push(w.invited(&w.email(name), "member").await.0);
        w.clock.advance(TimeDelta::seconds(1));
    }
    open.reverse();

    // Each page is one query asking for the page and one item more.
    w.dynamo_seen.take();
    let first = w.list(&w.member, &[("status", "open"), ("limit", "2")]).await;
    assert_eq!((first.status, ids(&first)), (200, open[..2].to_vec()), "{}", first.body);
    assert_eq!(w.dynamo_seen.take().query_limits, [Some(3)]);
    let cursor = first.body["nextCursor"].as_str().expect("a second page").to_owned();
    let second = w.list(&w.member, &[("status", "open"), ("limit", "2"), ("cursor", &cursor)]).await;
    assert_eq!(ids(&second), open[2..].to_vec());
    assert!(second.body["nextCursor"].is_null(), "the last page has no cursor");
    assert_eq!(w.dynamo_seen.take().query_limits, [Some(3)]);

    // The history itself pages the same way: five pages of 100, one query each.
    let mut declined = std::collections::BTreeSet::new();
    let mut cursor: Option<String> = None;
    for page in 0..5 {
        let mut query = vec![("status", "declined"), ("limit", "100")];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let resp = w.list(&w.owner, &query).await;
        assert_eq!(resp.status, 200);
        declined.extend(ids(&resp));
        assert_eq!(w.dynamo_seen.take().query_limits, [Some(101)], "page {page}");
        cursor = resp.body["nextCursor"].as_str().map(str::to_owned);
    }
    assert_eq!((declined.len(), cursor), (500, None));

    // A caller without members.read hears 403 and costs at most that one query.
    let resp = w.list(&w.outsider, &[("status", "open")]).await;
    assert_eq!((resp.status, resp.code()), (403, "forbidden"));
    assert!(w.dynamo_seen.take().query_limits.len() <= 1);
}
