//! How an invite link is stored (issue 22): one item in its team's partition,
//! `TEAM#{team}` / `LINK#{id}`, so that its page and a join read it by key and
//! a team's links are one query of the partition's `LINK#` range.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::items::{corrupt, get_s, get_time, item, n, s, team_pk, Item};
use crate::domain::{
    Email, EmailDomain, InviteLink, InviteLinkId, MaxUses, Revoked, RoleName, TeamId, TeamName, UserId,
};
use crate::ports::StoreError;
use crate::time::format_timestamp;

pub(super) const LINK_SK_PREFIX: &str = "LINK#";
/// How many joined through it; a join's write adds one, conditioned on the
/// count staying within `MAX_USES`.
pub(super) const USES: &str = "uses";
pub(super) const MAX_USES: &str = "maxUses";
pub(super) const REVOKED_AT: &str = "revokedAt";
const DOMAINS: &str = "domains";
const APPROVAL: &str = "approval";

pub(super) fn link_sk(id: InviteLinkId) -> String {
    format!("{LINK_SK_PREFIX}{id}")
}

/// An invite link as stored, purged (TTL) at `purge_at`.
pub(super) fn invite_link_item(link: &InviteLink, purge_at: DateTime<Utc>) -> Item {
    let mut attrs = item([
        ("pk", s(team_pk(&link.team_id))),
        ("sk", s(link_sk(link.id))),
        ("entity", s("invite-link")),
        ("id", s(link.id.to_string())),
        ("teamId", s(link.team_id.as_str())),
        ("teamName", s(link.team_name.as_str())),
        ("role", s(link.role.as_str())),
        ("createdBy", s(link.created_by.as_str())),
        ("createdByEmail", s(link.created_by_email.as_str())),
        ("createdAt", s(format_timestamp(link.created_at))),
        ("expiresAt", s(format_timestamp(link.expires_at))),
        ("expiresAtMs", n(link.expires_at.timestamp_millis())),
        (MAX_USES, n(link.max_uses.get().into())),
        (USES, n(link.uses.into())),
        ("purgeAt", n(purge_at.timestamp())),
        (APPROVAL, AttributeValue::Bool(link.approval)),
    ]);
    // DynamoDB stores no empty set: no attribute means any domain.
    if !link.domains.is_empty() {
        attrs.insert(
            DOMAINS.into(),
            AttributeValue::Ss(link.domains.iter().map(|d| d.as_str().to_owned()).collect()),
        );
    }
    if let Some(revoked) = &link.revoked {
        attrs.insert(REVOKED_AT.into(), s(format_timestamp(revoked.at)));
        attrs.insert("revokedBy".into(), s(revoked.by.as_str()));
    }
    attrs
}

pub(super) fn parse_invite_link(item: &Item) -> Result<InviteLink, StoreError> {
    const W: &str = "invite link";
    let count = |field: &str| -> Result<u32, StoreError> {
        item.get(field)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| corrupt(W, field))
    };
    let mut domains = match item.get(DOMAINS) {
        Some(v) => v
            .as_ss()
            .map_err(|_| corrupt(W, DOMAINS))?
            .iter()
            .map(|d| EmailDomain::parse(d).map_err(|_| corrupt(W, DOMAINS)))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    // A set has no order: the link's is the sorted one.
    domains.sort();
    Ok(InviteLink {
        id: InviteLinkId::parse(get_s(item, W, "id")?).map_err(|_| corrupt(W, "id"))?,
        team_id: TeamId::parse(get_s(item, W, "teamId")?).map_err(|_| corrupt(W, "teamId"))?,
        team_name: TeamName::parse(get_s(item, W, "teamName")?).map_err(|_| corrupt(W, "teamName"))?,
        role: RoleName::parse(get_s(item, W, "role")?).map_err(|_| corrupt(W, "role"))?,
        created_by: UserId::parse(get_s(item, W, "createdBy")?).map_err(|_| corrupt(W, "createdBy"))?,
        created_by_email: Email::parse(get_s(item, W, "createdByEmail")?)
            .map_err(|_| corrupt(W, "createdByEmail"))?,
        created_at: get_time(item, W, "createdAt")?,
        expires_at: get_time(item, W, "expiresAt")?,
        max_uses: MaxUses::parse(count(MAX_USES)?.into()).map_err(|_| corrupt(W, MAX_USES))?,
        uses: count(USES)?,
        domains,
        // Links made before approvals existed let people in directly.
        approval: item.get(APPROVAL).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
        revoked: match item.get(REVOKED_AT) {
            Some(_) => Some(Revoked {
                by: UserId::parse(get_s(item, W, "revokedBy")?).map_err(|_| corrupt(W, "revokedBy"))?,
                at: get_time(item, W, REVOKED_AT)?,
            }),
            None => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LinkSpec, Membership, Team, ValidDays};

    fn link(domains: &[&str]) -> InviteLink {
        let now = DateTime::parse_from_rfc3339("2026-12-01T09:00:00.250Z").unwrap().to_utc();
        let team = Team {
            id: TeamId::parse("acme").unwrap(),
            name: TeamName::parse("Acme <Rockets>").unwrap(),
            created_at: now,
        };
        let owner = Membership {
            team_id: team.id.clone(),
            user_id: UserId::parse("owner-1").unwrap(),
            email: Email::parse("owner@acme.com").unwrap(),
            role: RoleName::parse("owner").unwrap(),
            joined_at: now,
            metadata: None,
        };
        let spec = LinkSpec {
            role: RoleName::parse("administrator").unwrap(),
            valid: ValidDays::parse(30).unwrap(),
            max_uses: MaxUses::parse(25).unwrap(),
            domains: domains.iter().map(|d| EmailDomain::parse(d).unwrap()).collect(),
            approval: true,
        };
        InviteLink::new(&team, &owner, now, spec)
    }

    #[test]
    fn every_state_of_a_link_survives_the_round_trip_in_its_teams_partition() {
        let fresh = link(&[]);
        let item = invite_link_item(&fresh, fresh.expires_at);
        assert_eq!((&item["pk"], &item["sk"]), (&s("TEAM#acme"), &s(format!("LINK#{}", fresh.id))));
        assert!(!item.contains_key(DOMAINS), "no empty set");
        let used = fresh.join(&Email::parse("ada@example.com").unwrap(), fresh.created_at).unwrap();
        let revoked = used.revoke(UserId::parse("admin-1").unwrap(), fresh.created_at);
        for state in [fresh.clone(), used, revoked, link(&["acme.de", "acme.com"])] {
            let mut expected = state.clone();
            expected.domains.sort();
            assert_eq!(parse_invite_link(&invite_link_item(&state, state.expires_at)).unwrap(), expected);
        }
    }

    #[test]
    fn a_corrupt_link_item_is_a_store_failure_naming_the_field() {
        let mut item = invite_link_item(&link(&[]), DateTime::UNIX_EPOCH);
        item.insert(USES.into(), s("many"));
        let err = parse_invite_link(&item).unwrap_err();
        assert!(err.to_string().contains("'uses'"), "{err}");
        item.insert(USES.into(), n(0));
        item.insert(MAX_USES.into(), n(0));
        assert!(parse_invite_link(&item).unwrap_err().to_string().contains("'maxUses'"));
    }
}
