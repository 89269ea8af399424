//! Invite links as stored (issue 22, its first step): made, read, listed and
//! revoked through the store, each change conditioned on the caller's role at
//! the moment of the write. The routes and the joins come next.

use chrono::TimeDelta;
use invitations_core::clock::Clock;
use invitations_core::domain::{
    EmailDomain, InviteLink, LinkSpec, LinkState, MaxUses, Membership, RoleName, TeamId, UserId, ValidDays,
};
use invitations_core::ports::{LinkStore, LinkWriteError, MemberStore, TeamStore};

use integration_tests::World;

fn managers() -> Vec<RoleName> {
    ["owner", "administrator"].map(|r| RoleName::parse(r).unwrap()).to_vec()
}

async fn creator(w: &World, who: &integration_tests::User) -> Membership {
    let team = TeamId::parse(&w.team).unwrap();
    w.store.membership(&team, &UserId::parse(&who.sub).unwrap()).await.unwrap().unwrap()
}

async fn new_link(w: &World, who: &integration_tests::User, domains: &[&str]) -> InviteLink {
    let team = w.store.team(&TeamId::parse(&w.team).unwrap()).await.unwrap().unwrap();
    let spec = LinkSpec {
        role: RoleName::parse("member").unwrap(),
        valid: ValidDays::parse(7).unwrap(),
        max_uses: MaxUses::parse(10).unwrap(),
        domains: domains.iter().map(|d| EmailDomain::parse(d).unwrap()).collect(),
    };
    InviteLink::new(&team, &creator(w, who).await, w.clock.now(), spec)
}

#[tokio::test]
async fn a_manager_makes_lists_and_revokes_a_link_and_no_one_else_can() {
    let w = World::new().await;
    let team = TeamId::parse(&w.team).unwrap();
    let link = new_link(&w, &w.admin, &["acme.com", "example.com"]).await;
    let purge = link.expires_at + TimeDelta::days(90);
    w.store.create_link(&link, &managers(), purge).await.unwrap();
    let stored = w.store.invite_link(&team, link.id).await.unwrap().unwrap();
    assert_eq!(stored, link, "read back as made");
    assert_eq!(stored.state_at(w.clock.now()), LinkState::Active);
    let other = new_link(&w, &w.owner, &[]).await;
    w.store.create_link(&other, &managers(), purge).await.unwrap();
    let mut listed: Vec<_> =
        w.store.invite_links(&team, 100).await.unwrap().into_iter().map(|l| l.id).collect();
    listed.sort_by_key(|id| id.to_string());
    let mut made = vec![link.id, other.id];
    made.sort_by_key(|id| id.to_string());
    assert_eq!(listed, made, "the team's links, and nothing else of its partition");
    let elsewhere = TeamId::parse(&w.other_team).unwrap();
    assert!(w.store.invite_links(&elsewhere, 100).await.unwrap().is_empty());
    assert_eq!(w.store.invite_link(&elsewhere, link.id).await.unwrap(), None, "not another team's");

    // A member makes none (the role is checked in the write).
    let by_member = new_link(&w, &w.member, &[]).await;
    assert_eq!(w.store.create_link(&by_member, &managers(), purge).await, Err(LinkWriteError::Forbidden));
    assert_eq!(w.store.invite_link(&team, by_member.id).await.unwrap(), None);

    let (admin, member) = (UserId::parse(&w.admin.sub).unwrap(), UserId::parse(&w.member.sub).unwrap());
    let now = w.clock.now();
    assert_eq!(
        w.store.revoke_link(&team, link.id, &member, &managers(), now).await,
        Err(LinkWriteError::Forbidden)
    );
    assert_eq!(w.store.revoke_link(&team, link.id, &admin, &managers(), now).await, Ok(true));
    let revoked = w.store.invite_link(&team, link.id).await.unwrap().unwrap();
    assert_eq!(revoked.state_at(now), LinkState::Revoked);
    assert_eq!(revoked.revoked.as_ref().map(|r| (&r.by, r.at)), Some((&admin, now)));
    w.clock.advance(TimeDelta::minutes(1));
    let owner = UserId::parse(&w.owner.sub).unwrap();
    assert_eq!(
        w.store.revoke_link(&team, link.id, &owner, &managers(), w.clock.now()).await,
        Ok(false),
        "revoked once: the first revocation stands"
    );
    assert_eq!(w.store.invite_link(&team, link.id).await.unwrap(), Some(revoked));
    let unknown = invitations_core::domain::InviteLinkId::new_random();
    assert_eq!(
        w.store.revoke_link(&team, unknown, &owner, &managers(), now).await,
        Err(LinkWriteError::NotFound)
    );

    // A closed team makes no more.
    let closed = w.call(integration_tests::Call::platform("DELETE", &w.team).by_platform()).await;
    assert_eq!(closed.status, 202, "{}", closed.body);
    let late = new_link(&w, &w.owner, &[]).await;
    assert_eq!(w.store.create_link(&late, &managers(), purge).await, Err(LinkWriteError::TeamClosed));
}
