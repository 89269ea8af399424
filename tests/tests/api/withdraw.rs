//! POST /teams/{teamId}/invitations/{invitationId}/withdraw

use chrono::TimeDelta;
use integration_tests::{Call, World};

#[tokio::test]
async fn a_manager_withdraws_an_open_invitation_and_the_link_stops_working() {
    let w = World::new().await;
    let (id, token) = w.invited(&w.email("bye"), "member").await;
    w.clock.advance(TimeDelta::hours(2));

    let resp = w.withdraw(&w.admin, &id).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["status"], "withdrawn");
    assert_eq!(resp.body["withdrawnBy"], w.admin.sub.as_str());
    assert_eq!(resp.body["withdrawnAt"], "2026-11-02T11:30:00.000Z");
    assert!(resp.body.get("link").is_none());

    assert_eq!(w.status_in_list(&id).await, "withdrawn");
    assert_eq!(w.preview(&id, &token).await.body["status"], "withdrawn");
    let invitee = integration_tests::User::new("invitee", &w.email("bye"));
    let resp = w.accept(&invitee, &id, &token).await;
    assert_eq!((resp.status, resp.code()), (409, "invitation_not_open"));
    assert_eq!(resp.body["invitationStatus"], "withdrawn");
    assert!(w.membership(&w.team, &invitee).await.is_none());
}

#[tokio::test]
async fn withdrawing_twice_or_after_an_answer_is_409_with_the_current_status() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("twice"), "member").await;
    assert_eq!(w.withdraw(&w.owner, &id).await.status, 200);
    let resp = w.withdraw(&w.owner, &id).await;
    assert_eq!((resp.status, resp.code()), (409, "invitation_not_open"));
    assert_eq!(resp.body["invitationStatus"], "withdrawn");

    let (id, token) = w.invited(&w.email("declined"), "member").await;
    assert_eq!(w.decline(None, &id, &token).await.status, 200);
    let resp = w.withdraw(&w.owner, &id).await;
    assert_eq!((resp.status, resp.body["invitationStatus"].as_str()), (409, Some("declined")));
}

#[tokio::test]
async fn withdrawing_an_expired_invitation_is_410() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("old"), "member").await;
    w.clock.advance(TimeDelta::days(8));
    let resp = w.withdraw(&w.owner, &id).await;
    assert_eq!((resp.status, resp.code()), (410, "invitation_expired"));
    assert_eq!(w.status_in_list(&id).await, "expired");
}

#[tokio::test]
async fn members_without_members_manage_cannot_withdraw() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("stay"), "member").await;
    let resp = w.withdraw(&w.member, &id).await;
    assert_eq!((resp.status, resp.code()), (403, "forbidden"));
    let resp = w.call(Call::withdraw(&w.team, &id)).await;
    assert_eq!((resp.status, resp.code()), (401, "unauthenticated"));
    assert_eq!(w.status_in_list(&id).await, "open");
}

#[tokio::test]
async fn a_manager_of_another_team_cannot_withdraw_this_teams_invitation() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("idor"), "member").await;
    // Through their own team's route: the invitation is not theirs, so it does not exist.
    let resp = w.call(Call::withdraw(&w.other_team, &id).by(&w.outsider)).await;
    assert_eq!((resp.status, resp.code()), (404, "not_found"));
    // Through this team's route: they are not a manager here.
    let resp = w.call(Call::withdraw(&w.team, &id).by(&w.outsider)).await;
    assert_eq!((resp.status, resp.code()), (403, "forbidden"));
    assert_eq!(w.status_in_list(&id).await, "open");
}

#[tokio::test]
async fn unknown_or_malformed_invitation_ids_are_404() {
    let w = World::new().await;
    for id in ["6f1c2a8e-3b9d-4c55-9a1e-0d2b7c4e8f10", "not-a-uuid", "6F1C2A8E-3B9D-4C55-9A1E-0D2B7C4E8F10"] {
        let resp = w.withdraw(&w.owner, id).await;
        assert_eq!((resp.status, resp.code()), (404, "not_found"), "{id}");
    }
}
