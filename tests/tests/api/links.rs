//! Invite links as stored (issue 22, its first steps): made, read, listed,
//! revoked and joined through, in the store, each change decided in its
//! write: the caller's role, the link's uses, the team's seats. The use cases
//! and routes come next.

use chrono::TimeDelta;
use invitations_core::clock::Clock;
use invitations_core::domain::{
    EmailDomain, InviteLink, LinkSpec, LinkState, MaxUses, Membership, RoleName, TeamId, UserId, ValidDays,
};
use invitations_core::ports::{
    JoinError, LimitRefusal, LimitStore, LinkStore, LinkWriteError, MemberStore, TeamStore,
};

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
        approval: false,
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

/// Someone new, as their membership through a link would be.
fn newcomer(w: &World, name: &str) -> Membership {
    Membership {
        team_id: TeamId::parse(&w.team).unwrap(),
        user_id: UserId::parse(&format!("{name}-{}", w.tag)).unwrap(),
        email: invitations_core::domain::Email::parse(&w.email(name)).unwrap(),
        role: RoleName::parse("member").unwrap(),
        joined_at: w.clock.now(),
        metadata: None,
    }
}

#[tokio::test]
async fn a_links_uses_never_exceed_its_maximum_under_concurrency() {
    let w = World::new().await;
    let team = TeamId::parse(&w.team).unwrap();
    let mut link = new_link(&w, &w.owner, &[]).await;
    link.max_uses = MaxUses::parse(3).unwrap();
    w.store.create_link(&link, &managers(), link.expires_at).await.unwrap();
    let people: Vec<Membership> = (0..8).map(|i| newcomer(&w, &format!("p{i}"))).collect();
    let now = w.clock.now();
    let mut joins = tokio::task::JoinSet::new();
    for m in people.clone() {
        let (store, link) = (w.store.clone(), link.clone());
        joins.spawn(async move { store.join_link(&link, &m, now, None).await });
    }
    let outcomes = joins.join_all().await;
    let joined = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(joined, 3, "{outcomes:?}");
    for refused in outcomes.iter().filter(|o| o.is_err()) {
        let Err(JoinError::NotActive { current: Some(current) }) = refused else { panic!("{refused:?}") };
        assert_eq!(current.state_at(now), LinkState::UsedUp);
    }
    assert_eq!(w.store.invite_link(&team, link.id).await.unwrap().unwrap().uses, 3);
    let mut members = 0;
    for m in &people {
        members += usize::from(w.store.membership(&team, &m.user_id).await.unwrap().is_some());
    }
    assert_eq!(members, 3, "exactly as many members as uses");
    assert_eq!(w.store.usage(&team).await.unwrap().members, 3 + 3, "the seats item counts them");

    // A member already, a revoked link, an expired one: refused in the write.
    let again = Membership { user_id: UserId::parse(&w.member.sub).unwrap(), ..newcomer(&w, "member") };
    let roomy = {
        let mut l = new_link(&w, &w.owner, &[]).await;
        l.max_uses = MaxUses::parse(50).unwrap();
        l
    };
    w.store.create_link(&roomy, &managers(), roomy.expires_at).await.unwrap();
    assert_eq!(w.store.join_link(&roomy, &again, now, None).await, Err(JoinError::AlreadyMember));
    let late = w.store.join_link(&roomy, &newcomer(&w, "late"), roomy.expires_at, None).await;
    assert!(
        matches!(&late, Err(JoinError::NotActive { current: Some(l) }) if l.state_at(roomy.expires_at) == LinkState::Expired),
        "{late:?}"
    );
    let owner = UserId::parse(&w.owner.sub).unwrap();
    w.store.revoke_link(&team, roomy.id, &owner, &managers(), now).await.unwrap();
    let revoked = w.store.join_link(&roomy, &newcomer(&w, "after"), now, None).await;
    assert!(
        matches!(&revoked, Err(JoinError::NotActive { current: Some(l) }) if l.revoked.is_some()),
        "{revoked:?}"
    );
}

#[tokio::test]
async fn a_join_and_an_invite_at_the_last_seat_never_both_take_it() {
    // A join is an invitation opened and accepted in one write: it meets the
    // team's invites on the open count, so the last seat goes to one of them.
    let w = World::new().await;
    let team = TeamId::parse(&w.team).unwrap();
    w.store.set_seats(&team, Some(4)).await.unwrap(); // three members: one seat left
    let mut link = new_link(&w, &w.owner, &[]).await;
    link.max_uses = MaxUses::parse(10).unwrap();
    w.store.create_link(&link, &managers(), link.expires_at).await.unwrap();
    let now = w.clock.now();
    let usage = w.store.usage(&team).await.unwrap();
    let limits = usage.limits_or(invitations_core::config::default_limits());
    let most = usage.places(limits, now, 1).unwrap().opened_at_most;
    let (ada, bo) = (newcomer(&w, "ada"), w.email("bo"));
    let (joined, invited) =
        tokio::join!(w.store.join_link(&link, &ada, now, Some(most)), w.invite(&w.owner, &bo, "member"));
    let after = w.store.usage(&team).await.unwrap();
    assert_eq!(after.members + after.open(), 4, "every seat taken, none twice: {joined:?} {}", invited.body);
    assert_ne!(joined.is_ok(), invited.status == 201, "exactly one of them: {joined:?} {}", invited.body);
    if let Err(e) = &joined {
        assert!(matches!(e, JoinError::Limit(LimitRefusal::Changed | LimitRefusal::Seats)), "{e:?}");
    } else {
        assert_eq!((invited.status, &invited.body["code"]), (409, &serde_json::json!("seat_limit")));
    }
    // With the seats full, a join is refused whatever it read.
    let full = w.store.join_link(&link, &newcomer(&w, "cy"), now, Some(most)).await;
    assert!(matches!(full, Err(JoinError::Limit(_))), "{full:?}");

    // The same, in a fixed order: an invitation's places taken from a read
    // made before a join are refused once the join has taken the seat.
    let w = World::new().await;
    let team = TeamId::parse(&w.team).unwrap();
    w.store.set_seats(&team, Some(4)).await.unwrap();
    w.store.create_link(&link_of(&w).await, &managers(), w.clock.now() + TimeDelta::days(7)).await.unwrap();
    let read = w.store.usage(&team).await.unwrap();
    let places = read.places(read.limits_or(invitations_core::config::default_limits()), now, 1).unwrap();
    let link = w.store.invite_links(&team, 1).await.unwrap().remove(0);
    w.store.join_link(&link, &newcomer(&w, "dee"), now, Some(places.opened_at_most)).await.unwrap();
    assert_eq!(
        w.store.reserve(&team, places).await,
        Err(invitations_core::ports::InsertError::Limit(LimitRefusal::Changed)),
        "the invitation's write sees the join"
    );
}

async fn link_of(w: &World) -> InviteLink {
    new_link(w, &w.owner, &[]).await
}
