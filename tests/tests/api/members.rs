//! GET /teams/{teamId}/members, DELETE /teams/{teamId}/members/{userId} and
//! GET /teams/{teamId}/roles: the memberships an acceptance creates, and the
//! roles a caller may grant.

use serde_json::Value;
use std::collections::BTreeSet;

use integration_tests::{Call, User, World};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Owner,
    Administrator,
    Member,
    OtherTeamsOwner,
    Stranger,
    Anonymous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Members,
    Roles,
    /// Removing someone holding this role (the team's only owner for `owner`).
    Remove(&'static str),
    /// The caller removing themselves.
    Leave,
}

fn expected(route: Route, who: Who) -> u16 {
    use Who::*;
    match (route, who) {
        (_, Anonymous) => 401,
        (Route::Members | Route::Roles, Owner | Administrator | Member) => 200,
        (Route::Members | Route::Roles, _) => 403,
        // The only owner removing themselves.
        (Route::Remove("owner"), Owner) => 409,
        // An administrator cannot grant `owner`, so cannot remove one.
        (Route::Remove("owner"), _) => 403,
        (Route::Remove(_), Owner | Administrator) => 200,
        (Route::Remove(_), _) => 403,
        // Every member may leave, but the team's only owner.
        (Route::Leave, Owner) => 409,
        (Route::Leave, Administrator | Member) => 200,
        (Route::Leave, _) => 403,
    }
}

fn caller(w: &World, who: Who) -> Option<User> {
    match who {
        Who::Owner => Some(w.owner.clone()),
        Who::Administrator => Some(w.admin.clone()),
        Who::Member => Some(w.member.clone()),
        Who::OtherTeamsOwner => Some(w.outsider.clone()),
        Who::Stranger => Some(User::new(&format!("stranger-{}", w.tag), &w.email("stranger"))),
        Who::Anonymous => None,
    }
}

#[tokio::test]
async fn every_member_route_and_caller_answers_as_the_matrix_says() {
    let w = World::new().await;
    let who =
        [Who::Owner, Who::Administrator, Who::Member, Who::OtherTeamsOwner, Who::Stranger, Who::Anonymous];
    let routes = [
        Route::Members,
        Route::Roles,
        Route::Remove("member"),
        Route::Remove("administrator"),
        Route::Remove("owner"),
        // Last: whoever leaves is no longer a member for the routes above.
        Route::Leave,
    ];
    let mut wrong = Vec::new();
    for (n, route) in routes.into_iter().enumerate() {
        for (m, who) in who.into_iter().enumerate() {
            let (call, target) = match route {
                Route::Members => (Call::members(&w.team), None),
                Route::Roles => (Call::roles(&w.team), None),
                Route::Remove("owner") => (Call::remove_member(&w.team, &w.owner.sub), Some(w.owner.clone())),
                Route::Leave => match (caller(&w, who), who) {
                    (Some(me), Who::Owner | Who::Administrator | Who::Member) => {
                        (Call::remove_member(&w.team, &me.sub), Some(me))
                    }
                    // Not a member of this team: nothing of theirs to end here.
                    (Some(me), _) => (Call::remove_member(&w.team, &me.sub), None),
                    (None, _) => (Call::remove_member(&w.team, &w.member.sub), None),
                },
                Route::Remove(role) => {
                    let target = w.joined(&format!("target{n}-{m}"), role).await;
                    (Call::remove_member(&w.team, &target.sub), Some(target))
                }
            };
            let call = match caller(&w, who) {
                Some(user) => call.by(&user),
                None => call,
            };
            let resp = w.call(call).await;
            let want = expected(route, who);
            if resp.status != want {
                wrong.push(format!(
                    "{route:?} by {who:?}: {} (expected {want}) {:.200}",
                    resp.status, resp.body
                ));
            }
            // Whoever may not remove leaves the membership as it was.
            if let Some(target) = target {
                let still = w.membership(&w.team, &target).await.is_some();
                if still != (want != 200) {
                    wrong.push(format!("{route:?} by {who:?}: membership still there = {still}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} cells differ:\n{}", wrong.len(), wrong.join("\n"));
}

fn user_ids(resp: &integration_tests::Resp) -> Vec<String> {
    resp.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn members_see_the_team_with_roles_emails_and_join_dates_a_page_at_a_time() {
    let w = World::new().await;
    let mut expected: BTreeSet<String> =
        [&w.owner, &w.admin, &w.member].iter().map(|u| u.sub.clone()).collect();
    for name in ["m1", "m2", "m3"] {
        expected.insert(w.joined(name, "member").await.sub);
    }
    let (mut seen, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let mut call = Call::members(&w.team).query(&[("limit", "4")]);
        if let Some(c) = &cursor {
            call = call.query(&[("limit", "4"), ("cursor", c)]);
        }
        let resp = w.call(call.by(&w.member)).await;
        assert_eq!(resp.status, 200, "{}", resp.body);
        seen.extend(user_ids(&resp));
        pages += 1;
        match resp.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(seen, expected.into_iter().collect::<Vec<_>>(), "every member once, ordered by user id");

    let resp = w.call(Call::members(&w.team).by(&w.owner)).await;
    let owner = resp.body["members"].as_array().unwrap().iter().find(|m| m["userId"] == w.owner.sub).unwrap();
    assert_eq!(owner["email"], w.owner.email.as_str());
    assert_eq!(owner["role"], "owner");
    assert_eq!(owner["teamId"], w.team.as_str());
    assert!(owner["joinedAt"].as_str().is_some_and(|t| t.ends_with('Z')));

    // A cursor of the invitations list is no members cursor.
    w.invited(&w.email("a"), "member").await;
    w.invited(&w.email("b"), "member").await;
    let list = w.list(&w.owner, &[("limit", "1")]).await;
    let foreign = list.body["nextCursor"].as_str().unwrap();
    let resp = w.call(Call::members(&w.team).query(&[("cursor", foreign)]).by(&w.owner)).await;
    assert_eq!((resp.status, resp.code()), (400, "invalid_request"));
}

fn grantable(resp: &integration_tests::Resp) -> Vec<(String, bool)> {
    resp.body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_owned(), r["grantable"].as_bool().unwrap()))
        .collect()
}

#[tokio::test]
async fn roles_list_their_permissions_and_which_the_caller_may_grant() {
    let w = World::new().await;
    let as_owner = w.call(Call::roles(&w.team).by(&w.owner)).await;
    assert_eq!(as_owner.status, 200);
    let g = |name: &str, yes: bool| (name.to_owned(), yes);
    // Owner is never granted by invitation; a member grants nothing.
    assert_eq!(grantable(&as_owner), [g("administrator", true), g("member", true), g("owner", false)]);
    let as_admin = w.call(Call::roles(&w.team).by(&w.admin)).await;
    assert_eq!(grantable(&as_admin), [g("administrator", true), g("member", true), g("owner", false)]);
    let as_member = w.call(Call::roles(&w.team).by(&w.member)).await;
    assert_eq!(grantable(&as_member), [g("administrator", false), g("member", false), g("owner", false)]);

    // A role change may give and take owner too, but only an owner's.
    let assignable = |resp: &integration_tests::Resp| -> Vec<bool> {
        resp.body["roles"].as_array().unwrap().iter().map(|r| r["assignable"].as_bool().unwrap()).collect()
    };
    assert_eq!(assignable(&as_owner), [true, true, true]);
    assert_eq!(assignable(&as_admin), [true, true, false]);
    assert_eq!(assignable(&as_member), [false, false, false]);

    let member = &as_member.body["roles"][1];
    assert_eq!(member["permissions"], serde_json::json!(["members.read", "product.use"]));
    let admin = &as_member.body["roles"][0];
    assert!(!admin["permissions"].as_array().unwrap().contains(&Value::from("billing.manage")));
}

#[tokio::test]
async fn a_removed_member_loses_access_and_can_be_invited_again_at_once() {
    let w = World::new().await;
    let ada = User::new(&format!("ada-{}", w.tag), &w.email("ada"));
    let (id, token) = w.invited(&ada.email, "member").await;
    assert_eq!(w.accept(&ada, &id, &token).await.status, 200);
    assert_eq!(w.invite(&w.owner, &ada.email, "member").await.code(), "already_member");

    let resp = w.remove_member(&w.admin, &ada).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["userId"], ada.sub.as_str());
    assert_eq!(resp.body["email"], ada.email.as_str());
    assert_eq!(resp.body["removedBy"], w.admin.sub.as_str());
    assert_eq!(w.list(&ada, &[]).await.status, 403, "no longer a member");
    let again = w.remove_member(&w.admin, &ada).await;
    assert_eq!((again.status, again.code()), (404, "not_found"));

    assert_eq!(w.invite(&w.owner, &ada.email, "administrator").await.status, 201, "invited again at once");
}

/// A removed manager's open invitations go with their membership: one of
/// their own second address cannot let them back in later (issue 20, L-7).
#[tokio::test]
async fn removing_a_manager_withdraws_the_open_invitations_they_sent_and_says_how_many() {
    let w = World::new().await;
    let admin2 = w.joined("admin2", "administrator").await;
    let invite = |by: &User, email: String| {
        let call = Call::invite(&w.team, serde_json::json!({"email": email, "role": "administrator"}));
        w.call(call.by(by))
    };
    let second = invite(&admin2, w.email("admin2-second")).await;
    let (second_id, second_token) = (
        second.body["id"].as_str().unwrap().to_owned(),
        integration_tests::token_of(second.body["link"].as_str().unwrap()),
    );
    assert_eq!(invite(&admin2, w.email("friend")).await.status, 201);
    let answered = invite(&admin2, w.email("answered")).await;
    let answered_id = answered.body["id"].as_str().unwrap().to_owned();
    assert_eq!(w.withdraw(&w.owner, &answered_id).await.status, 200);
    let (owners, _) = w.invited(&w.email("owners-own"), "member").await;

    let resp = w.remove_member(&w.owner, &admin2).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["invitationsWithdrawn"], 2, "the two still open, not the one answered");
    // The second address's link no longer lets anyone in.
    let back = User::new(&format!("back-{}", w.tag), &w.email("admin2-second"));
    let refused = w.accept(&back, &second_id, &second_token).await;
    assert_eq!((refused.status, refused.code()), (409, "invitation_not_open"), "{}", refused.body);
    let list = w.list(&w.owner, &[("limit", "100")]).await;
    let by_id =
        |id: &str| list.body["invitations"].as_array().unwrap().iter().find(|i| i["id"] == id).cloned();
    let withdrawn = by_id(&second_id).unwrap();
    assert_eq!(
        (&withdrawn["status"], &withdrawn["withdrawnBy"]),
        (&"withdrawn".into(), &w.owner.sub.as_str().into())
    );
    assert_eq!(by_id(&owners).unwrap()["status"], "open", "others' invitations stay");
    // The team's open count let go of them: their places are free again.
    assert_eq!(w.invite(&w.owner, &w.email("friend"), "member").await.status, 201);

    // A member who could not invite had nothing to withdraw; a manager who
    // leaves takes their invitations with them.
    assert_eq!(w.remove_member(&w.owner, &w.member).await.body["invitationsWithdrawn"], 0);
    assert_eq!(invite(&w.admin, w.email("admins")).await.status, 201);
    let left = w.remove_member(&w.admin, &w.admin).await;
    assert_eq!((left.status, &left.body["invitationsWithdrawn"]), (200, &1.into()), "{}", left.body);
}

#[tokio::test]
async fn unknown_and_malformed_members_are_404() {
    let w = World::new().await;
    for user in ["nobody", "has space", &"x".repeat(300)] {
        let resp = w.call(Call::remove_member(&w.team, user).by(&w.owner)).await;
        assert_eq!((resp.status, resp.code()), (404, "not_found"), "{user:?}");
    }
}

async fn owners(w: &World, asking: &User) -> Vec<String> {
    let resp = w.call(Call::members(&w.team).query(&[("limit", "100")]).by(asking)).await;
    resp.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "owner")
        .map(|m| m["userId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_team_keeps_an_owner() {
    let w = World::new().await;
    let resp = w.remove_member(&w.owner, &w.owner).await;
    assert_eq!((resp.status, resp.code()), (409, "last_owner"));

    // With a second owner, either may go, but not both.
    let co = w.joined("co", "owner").await;
    assert_eq!(w.remove_member(&co, &w.owner).await.status, 200);
    assert_eq!(w.list(&w.owner, &[]).await.status, 403, "the removed owner is no member");
    assert_eq!(owners(&w, &co).await, std::slice::from_ref(&co.sub));
    let resp = w.remove_member(&co, &co).await;
    assert_eq!((resp.status, resp.code()), (409, "last_owner"));
}

/// Leaving needs no permission but membership (issue 21, item 2): a member
/// whose role cannot remove anyone leaves, and is then refused the team.
#[tokio::test]
async fn any_member_may_leave_and_is_then_no_member() {
    let w = World::new().await;
    let resp = w.remove_member(&w.member, &w.member).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["userId"], w.member.sub.as_str());
    assert_eq!(resp.body["removedBy"], w.member.sub.as_str());
    assert!(w.membership(&w.team, &w.member).await.is_none());
    assert_eq!(w.call(Call::members(&w.team).by(&w.member)).await.status, 403, "no longer a member");
    // Once gone, there is nothing of theirs to end: refused as any stranger is.
    let again = w.remove_member(&w.member, &w.member).await;
    assert_eq!((again.status, again.code()), (403, "forbidden"));
    // Others stay; the one who left can be invited again at once.
    assert_eq!(owners(&w, &w.owner).await, std::slice::from_ref(&w.owner.sub));
    assert_eq!(w.invite(&w.owner, &w.member.email, "member").await.status, 201);
}

/// Two racing requests by owners of `w.team`: each answers 200 or one of
/// `refusals` (its transaction lost, 503; or it began after the winner
/// committed and so met the new state); how many 200s, and how many of
/// `users` are owners after both.
async fn owners_after_race(
    w: &World,
    (a, b): (integration_tests::Resp, integration_tests::Resp),
    refusals: &[(u16, &str)],
    users: [&User; 2],
) -> (usize, usize) {
    for r in [&a, &b] {
        assert!(
            r.status == 200 || refusals.contains(&(r.status, r.code())),
            "{} {}: {} {}",
            a.status,
            b.status,
            a.body,
            b.body
        );
    }
    let mut owners = 0;
    for u in users {
        if w.membership(&w.team, u).await.is_some_and(|m| m.role.as_str() == "owner") {
            owners += 1;
        }
    }
    ([&a, &b].iter().filter(|r| r.status == 200).count(), owners)
}

#[tokio::test]
async fn two_owners_leaving_at_once_leave_one() {
    let w = World::new().await;
    let co = w.joined("co", "owner").await;
    let race = tokio::join!(w.remove_member(&w.owner, &w.owner), w.remove_member(&co, &co));
    let refusals = [(409, "last_owner"), (503, "unavailable")];
    let (done, owners) = owners_after_race(&w, race, &refusals, [&w.owner, &co]).await;
    assert_eq!((done, owners), (1, 1), "exactly one left, one owner stays");
}

async fn change_role(w: &World, by: &User, member: &User, role: &str) -> integration_tests::Resp {
    w.call(Call::change_role(&w.team, &member.sub, role).by(by)).await
}

/// A role changes in place (issue 21, item 1), only between roles the caller
/// could grant: the subset rule, as for invitations and removals.
#[tokio::test]
async fn managers_change_a_members_role_in_place_within_what_they_could_grant() {
    let w = World::new().await;
    let resp = change_role(&w, &w.owner, &w.member, "administrator").await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!((&resp.body["role"], &resp.body["previousRole"]), (&"administrator".into(), &"member".into()));
    assert_eq!(resp.body["userId"], w.member.sub.as_str());
    assert_eq!(w.membership(&w.team, &w.member).await.unwrap().role.as_str(), "administrator");
    // Now a manager: it may invite.
    assert_eq!(w.invite(&w.member, &w.email("by-new-admin"), "member").await.status, 201);
    // The same role again changes nothing.
    let same = change_role(&w, &w.owner, &w.member, "administrator").await;
    assert_eq!((same.status, &same.body["previousRole"]), (200, &"administrator".into()));

    // An administrator moves members and administrators, never to or from owner.
    let bo = w.joined("bo", "member").await;
    assert_eq!(change_role(&w, &w.admin, &bo, "administrator").await.status, 200);
    assert_eq!(change_role(&w, &w.admin, &bo, "member").await.status, 200);
    for (target, role) in [(&bo, "owner"), (&w.owner, "member")] {
        let refused = change_role(&w, &w.admin, target, role).await;
        assert_eq!((refused.status, refused.code()), (403, "forbidden"), "{role}");
    }
    assert_eq!(w.membership(&w.team, &w.owner).await.unwrap().role.as_str(), "owner");
    // A member manages nothing; strangers and unknown roles and members are refused.
    let cy = w.joined("cy", "member").await;
    assert_eq!(change_role(&w, &cy, &bo, "member").await.status, 403);
    assert_eq!(change_role(&w, &w.outsider, &bo, "member").await.status, 403);
    let unknown = change_role(&w, &w.owner, &bo, "emperor").await;
    assert_eq!((unknown.status, unknown.code()), (422, "validation_failed"), "{}", unknown.body);
    let nobody = User::new(&format!("nobody-{}", w.tag), &w.email("nobody"));
    assert_eq!(change_role(&w, &w.owner, &nobody, "member").await.status, 404);
    assert_eq!(w.membership(&w.team, &bo).await.unwrap().role.as_str(), "member");
}

/// The last owner keeps the role; with another owner, an owner steps down
/// (issue 21, item 3); a manager made a member loses the invitations they sent.
#[tokio::test]
async fn the_last_owner_keeps_the_role_and_a_demoted_manager_loses_their_open_invitations() {
    let w = World::new().await;
    let resp = change_role(&w, &w.owner, &w.owner, "administrator").await;
    assert_eq!((resp.status, resp.code()), (409, "last_owner"), "{}", resp.body);
    let co = w.joined("co", "owner").await;
    let down = change_role(&w, &w.owner, &w.owner, "administrator").await;
    assert_eq!((down.status, &down.body["role"]), (200, &"administrator".into()), "{}", down.body);
    assert_eq!(owners(&w, &co).await, std::slice::from_ref(&co.sub));
    let resp = change_role(&w, &co, &co, "member").await;
    assert_eq!((resp.status, resp.code()), (409, "last_owner"));

    let (open, _) = w.invited(&w.email("sent-by-admin"), "member").await;
    let sent = w.invite(&w.admin, &w.email("admins-own"), "member").await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let demoted = change_role(&w, &co, &w.admin, "member").await;
    assert_eq!((demoted.status, &demoted.body["invitationsWithdrawn"]), (200, &1.into()), "{}", demoted.body);
    assert_eq!(w.status_in_list(sent.body["id"].as_str().unwrap()).await, "withdrawn");
    assert_eq!(w.status_in_list(&open).await, "open", "others' invitations stay");
    assert_eq!(w.invite(&w.admin, &w.email("again"), "member").await.status, 403, "no longer a manager");
}

#[tokio::test]
async fn two_owners_stepping_down_at_once_leave_one() {
    let w = World::new().await;
    let co = w.joined("co", "owner").await;
    let race = tokio::join!(
        change_role(&w, &w.owner, &w.owner, "administrator"),
        change_role(&w, &co, &co, "administrator")
    );
    let refusals = [(409, "last_owner"), (503, "unavailable")];
    let (done, owners) = owners_after_race(&w, race, &refusals, [&w.owner, &co]).await;
    assert_eq!((done, owners), (1, 1), "exactly one stepped down, one owner stays");
}

#[tokio::test]
async fn two_owners_removing_each_other_at_once_leave_one() {
    let w = World::new().await;
    let co = w.joined("co", "owner").await;
    let race = tokio::join!(w.remove_member(&w.owner, &co), w.remove_member(&co, &w.owner));
    // The loser may also see itself removed (403).
    let refusals = [(403, "forbidden"), (409, "last_owner"), (503, "unavailable")];
    let (done, owners) = owners_after_race(&w, race, &refusals, [&w.owner, &co]).await;
    assert!(owners >= 1, "no owner left");
    assert_eq!(done, 2 - owners, "each 200 removed exactly one owner");
}
