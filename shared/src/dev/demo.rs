//! The demo data that `scripts/dev` seeds (through `invitations-admin seed-demo`)
//! and that the example requests in `requests/` refer to. The invitations have fixed
//! ids, so the requests' links stay valid against every fresh local instance.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::{
    AcceptRequest, Email, EmailDomain, Invitation, InvitationId, InviteLink, InviteLinkId, JoinDomain,
    JoinRequest, LinkSpec, MaxUses, Membership, Permission, RoleCatalog, RoleName, Team, TeamId, TeamName,
    UserId, ValidDays,
};
use crate::ports::{
    AcceptRequestStore, CreateError, DomainStore, InsertError, InvitationStore, JoinRequestStore, LimitStore,
    LinkStore, MemberStore, SendQuota, Taken, TeamStore,
};

/// The link-signing secret of local development (`scripts/dev`); never deployed.
pub const LOCAL_LINK_SECRET: &str = "local-development-only-secret-0123456789";

pub const TEAM_ID: &str = "demo";
pub const TEAM_NAME: &str = "Demo Team";

/// (user id, email, role) of the demo team's members; the first is the owner.
pub const MEMBERS: [(&str, &str, &str); 3] = [
    ("demo-owner", "owner@example.com", RoleName::OWNER),
    ("demo-admin", "admin@example.com", "administrator"),
    ("demo-member", "member@example.com", "member"),
];

/// (id, email, role) of the open invitations `requests/` act on: accepted by
/// `accept.json` (and previewed by `preview.json`; `accept-request-ask.json`
/// asks to accept it as another address), declined by `decline.json`,
/// withdrawn by `withdraw.json`; the last two each with a request to accept
/// them as another address (`ACCEPT_REQUESTS`).
pub const INVITATIONS: [(&str, &str, &str); 5] = [
    ("d3a0c0de-0000-4000-8000-000000000001", "alex@example.com", "member"),
    ("d3a0c0de-0000-4000-8000-000000000002", "blake@example.com", "administrator"),
    ("d3a0c0de-0000-4000-8000-000000000003", "casey@example.com", "member"),
    ("d3a0c0de-0000-4000-8000-000000000004", "drew@example.com", "member"),
    ("d3a0c0de-0000-4000-8000-000000000005", "gray@example.com", "member"),
];

/// (invitation id, user id, email) of the requests to accept the last two
/// invitations as another address: approved by `accept-request-approve.json`,
/// refused by `accept-request-refuse.json`.
pub const ACCEPT_REQUESTS: [(&str, &str, &str); 2] = [
    ("d3a0c0de-0000-4000-8000-000000000004", "demo-drew", "drew@home.example"),
    ("d3a0c0de-0000-4000-8000-000000000005", "demo-gray", "gray@home.example"),
];

/// The demo team's invite link (for members, 10 uses, a week): previewed by
/// `link-preview.json`, joined through by `link-join.json`, revoked by
/// `link-revoke.json`.
pub const INVITE_LINK: &str = "d3a0c0de-0000-4000-8000-00000000001a";

/// Its link that needs approval, and (user id, email) of those who asked to
/// join through it: approved by `join-request-approve.json`, denied by
/// `join-request-deny.json`, cancelled by `join-request-cancel.json` (whose
/// asker's list `me-join-requests.json` reads).
pub const APPROVAL_LINK: &str = "d3a0c0de-0000-4000-8000-00000000001b";
pub const ASKERS: [(&str, &str); 3] = [
    ("demo-asker-1", "asker1@example.com"),
    ("demo-asker-2", "asker2@example.com"),
    ("demo-asker-3", "asker3@example.com"),
];

/// The demo team's verified domain (members join without approval): whoever
/// signs in with an address of it sees the team on My invitations and joins
/// (`me-joinable-teams.json`, `domain-join.json`).
pub const DOMAIN: &str = "demo.test";

/// Creates the link secret `id` with the demo key, which signs the links in
/// `requests/`; the functions read it as they read the real one.
pub async fn create_link_secret(client: &aws_sdk_secretsmanager::Client, id: &str) -> Result<(), String> {
    client.create_secret().name(id).secret_string(LOCAL_LINK_SECRET).send().await.map_err(|e| {
        format!("creating the link secret {id}: {}", aws_sdk_secretsmanager::error::DisplayErrorContext(e))
    })?;
    Ok(())
}

/// Creates the demo team, its members and its open invitations, as of `now`.
pub async fn seed<
    S: InvitationStore
        + MemberStore
        + TeamStore
        + LimitStore
        + LinkStore
        + JoinRequestStore
        + DomainStore
        + AcceptRequestStore,
>(
    store: &S,
    now: DateTime<Utc>,
    validity: TimeDelta,
    retention: TimeDelta,
) -> Result<(), String> {
    let team = Team {
        id: TeamId::parse(TEAM_ID).expect("valid demo team id"),
        name: TeamName::parse(TEAM_NAME).expect("valid demo team name"),
        created_at: now,
    };
    let member = |(user, email, role): (&str, &str, &str)| Membership {
        team_id: team.id.clone(),
        user_id: UserId::parse(user).expect("valid demo user"),
        email: Email::parse(email).expect("valid demo email"),
        role: RoleName::parse(role).expect("valid demo role"),
        joined_at: now,
        metadata: None,
    };
    let owner = member(MEMBERS[0]);
    let exists = |e: CreateError| match e {
        CreateError::AlreadyExists => {
            "the demo team or one of its members already exists in the table".to_owned()
        }
        CreateError::Store(e) => e.to_string(),
    };
    store.create_team(&team, &owner, None).await.map_err(exists)?;
    for m in &MEMBERS[1..] {
        store.add_member(&member(*m)).await.map_err(exists)?;
    }
    // Sent a few minutes ago, so that a resend (requests/resend.json) is past its cooldown.
    let sent = now - TimeDelta::minutes(5).min(validity / 2);
    let limits = crate::config::default_limits();
    let mut invited = Vec::new();
    for (id, email, role) in INVITATIONS {
        let mut invitation = Invitation::new(
            &team,
            Email::parse(email).expect("valid demo email"),
            RoleName::parse(role).expect("valid demo role"),
            owner.user_id.clone(),
            sent,
            validity,
        );
        invitation.id = InvitationId::parse(id).expect("valid demo invitation id");
        let managers = RoleCatalog::builtin().holding(Permission::MembersManage);
        // The demo's sends count against the team's limits like any other.
        let usage = store.usage(&team.id).await.map_err(|e| e.to_string())?;
        let places = usage
            .places(limits, sent, 1)
            .map_err(|e| format!("the demo exceeds the team's limits: {e:?}"))?;
        let purge_at = invitation.purge_at(retention);
        let quota = SendQuota {
            taken: Taken::Now(places),
            per_recipient_per_day: crate::config::DEFAULT_MAX_EMAILS_PER_RECIPIENT_PER_DAY as u32,
        };
        store.insert_invitation(&invitation, &managers, now, purge_at, quota).await.map_err(|e| match e {
            InsertError::AlreadyInvited | InsertError::AlreadyMember => {
                format!("{email} is already invited or a member")
            }
            InsertError::Forbidden => "the demo owner may not invite".to_owned(),
            InsertError::Limit(e) => format!("the demo exceeds the team's limits: {e}"),
            InsertError::Store(e) => e.to_string(),
        })?;
        invited.push(invitation);
    }
    for (id, user, email) in ACCEPT_REQUESTS {
        let invitation = invited.iter().find(|i| i.id.to_string() == id).expect("a demo invitation");
        let user = UserId::parse(user).expect("valid demo user");
        let request =
            AcceptRequest::new(invitation, user, Email::parse(email).expect("valid demo email"), now)
                .map_err(|e| e.to_string())?;
        store
            .request_accept(&request, now, invitation.purge_at(retention))
            .await
            .map_err(|e| format!("the demo request to accept as {email}: {e}"))?;
    }
    let mut link = InviteLink::new(&team, &owner, now, link_spec());
    link.id = InviteLinkId::parse(INVITE_LINK).expect("valid demo link id");
    let managers = RoleCatalog::builtin().holding(Permission::MembersManage);
    store
        .create_link(&link, &managers, link.expires_at + retention)
        .await
        .map_err(|e| format!("the demo invite link: {e}"))?;
    let mut approval = InviteLink::new(&team, &owner, now, LinkSpec { approval: true, ..link_spec() });
    approval.id = InviteLinkId::parse(APPROVAL_LINK).expect("valid demo link id");
    store
        .create_link(&approval, &managers, approval.expires_at + retention)
        .await
        .map_err(|e| format!("the demo approval link: {e}"))?;
    for (user, email) in ASKERS {
        let user = UserId::parse(user).expect("valid demo user");
        let request = JoinRequest::new(&approval, user, Email::parse(email).expect("valid demo email"), now);
        store
            .request_join(&request, now, request.expires_at + retention)
            .await
            .map_err(|e| format!("the demo join request of {email}: {e}"))?;
    }
    let domain = JoinDomain {
        team_id: team.id.clone(),
        team_name: team.name.clone(),
        domain: EmailDomain::parse(DOMAIN).expect("valid demo domain"),
        role: RoleName::parse("member").expect("valid demo role"),
        approval: false,
        verified_at: now,
        verified_by: "demo".into(),
    };
    store.set_join_domain(&domain).await.map_err(|e| format!("the demo domain: {e}"))?;
    Ok(())
}

fn link_spec() -> LinkSpec {
    LinkSpec {
        role: RoleName::parse("member").expect("valid demo role"),
        valid: ValidDays::parse(7).expect("a valid week"),
        max_uses: MaxUses::parse(10).expect("valid demo uses"),
        domains: vec![],
        approval: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LinkSigner;

    /// The token `requests/link-*.json` carry: the demo link's, signed with the
    /// local secret.
    #[test]
    fn the_example_requests_carry_the_demo_links_token() {
        let signer = LinkSigner::new(LOCAL_LINK_SECRET.as_bytes()).unwrap();
        let token = signer.sign_invite_link(InviteLinkId::parse(INVITE_LINK).unwrap());
        let text = include_str!("../../../requests/link-join.json");
        assert!(text.contains(token.as_str()), "requests/link-join.json: {}", token.as_str());
    }
}
