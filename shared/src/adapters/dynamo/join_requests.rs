//! Join requests (issue 22, items 2 and 3; `ports::JoinRequestStore`): one item in
//! the team's partition, `TEAM#{team}` / `JOINREQ#{user}` (its managers' list,
//! the change stream's events), and its copy in the person's,
//! `USER#{user}` / `JOINREQ#{team}` (their own list), both written by every
//! change. Asking holds the link active (or the domain the team's, needing
//! approval) and the person not a member; an answer holds the request
//! pending; an approval is also the join's transaction (`links.rs`).

use aws_sdk_dynamodb::types::{
    ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};

use super::errors::{build_error, Transact};
use super::items::*;
use super::link_items::{link_sk, parse_invite_link, MAX_USES, REVOKED_AT, USES};

use super::DynamoStore;
use crate::domain::{
    Email, EmailDomain, InviteLinkId, JoinRequest, JoinVia, Membership, RoleName, TeamId, TeamName, UserId,
};
use crate::ports::{JoinError, JoinRequestStore, LimitRefusal, RequestError, StoreError};
use crate::time::format_timestamp;

const SK_PREFIX: &str = "JOINREQ#";

fn user_pk(user: &UserId) -> String {
    format!("USER#{user}")
}

/// The team's item and the person's: (pk, sk) of each.
fn keys(team: &TeamId, user: &UserId) -> [(String, String); 2] {
    [(team_pk(team), format!("{SK_PREFIX}{user}")), (user_pk(user), format!("{SK_PREFIX}{team}"))]
}

/// Positions in the transactions: the team's item, the person's, then (on
/// asking) the link's or the domain's check, the membership's absence and the
/// team's "not closed", or (on answering) the manager's permission, then (on
/// approving) the link's use or the domain's check, and the join's writes.
mod position {
    pub const TEAM_ITEM: usize = 0;
    pub const MINE: usize = 1;
    pub const VIA: usize = 2;
    pub const NOT_MEMBER: usize = 3;
    pub const OPEN: usize = 4;
    pub const PERMISSION: usize = 2;
    pub const APPROVED_VIA: usize = 3;
    pub const APPROVED_JOIN: usize = 4;
}

const LINK_ID: &str = "linkId";
const DOMAIN: &str = "domain";

/// A request as stored under `(pk, sk)`; the team's copy is the stream's
/// (`entity` "join-request"), the person's is not (`entity` "my-join-request").
fn request_item(r: &JoinRequest, (pk, sk): (String, String), entity: &str, purge_at: DateTime<Utc>) -> Item {
    let mut attrs = item([
        ("pk", s(pk)),
        ("sk", s(sk)),
        ("entity", s(entity)),
        ("teamId", s(r.team_id.as_str())),
        ("teamName", s(r.team_name.as_str())),
        ("userId", s(r.user_id.as_str())),
        ("email", s(r.email.as_str())),
        ("role", s(r.role.as_str())),
        ("createdAt", s(format_timestamp(r.created_at))),
        ("expiresAt", s(format_timestamp(r.expires_at))),
        ("expiresAtMs", n(r.expires_at.timestamp_millis())),
        ("purgeAt", n(purge_at.timestamp())),
    ]);
    match &r.via {
        JoinVia::Link(id) => attrs.insert(LINK_ID.into(), s(id.to_string())),
        JoinVia::Domain(domain) => attrs.insert(DOMAIN.into(), s(domain.as_str())),
    };
    insert_decided(&mut attrs, r.decided.as_ref());
    attrs
}

pub(super) fn parse_join_request(item: &Item) -> Result<JoinRequest, StoreError> {
    const W: &str = "join request";
    let id = |field: &str| get_s(item, W, field);
    Ok(JoinRequest {
        team_id: TeamId::parse(id("teamId")?).map_err(|_| corrupt(W, "teamId"))?,
        team_name: TeamName::parse(id("teamName")?).map_err(|_| corrupt(W, "teamName"))?,
        user_id: UserId::parse(id("userId")?).map_err(|_| corrupt(W, "userId"))?,
        email: Email::parse(id("email")?).map_err(|_| corrupt(W, "email"))?,
        role: RoleName::parse(id("role")?).map_err(|_| corrupt(W, "role"))?,
        via: match item.get(DOMAIN) {
            Some(_) => JoinVia::Domain(EmailDomain::parse(id(DOMAIN)?).map_err(|_| corrupt(W, DOMAIN))?),
            None => JoinVia::Link(InviteLinkId::parse(id(LINK_ID)?).map_err(|_| corrupt(W, LINK_ID))?),
        },
        created_at: get_time(item, W, "createdAt")?,
        expires_at: get_time(item, W, "expiresAt")?,
        decided: parse_decided(item, W)?,
    })
}

impl DynamoStore {
    /// The answer written on both items: on the team's, only while the request
    /// read (its `createdAt`) is pending at `now`.
    fn answer_writes(
        &self,
        r: &JoinRequest,
        now: DateTime<Utc>,
    ) -> Result<[TransactWriteItem; 2], StoreError> {
        let d = r.decided.as_ref().ok_or_else(|| StoreError::Other("an answer without a decision".into()))?;
        let [team, mine] = keys(&r.team_id, &r.user_id);
        let update = |(pk, sk): (String, String), pending: bool| {
            let mut u = Update::builder()
                .table_name(&self.table)
                .key("pk", s(pk))
                .key("sk", s(sk))
                .update_expression("SET #decision = :decision, decidedBy = :by, decidedAt = :at")
                .expression_attribute_names("#decision", DECISION)
                .expression_attribute_values(":decision", s(d.decision.as_str()))
                .expression_attribute_values(":by", s(d.by.as_str()))
                .expression_attribute_values(":at", s(format_timestamp(d.at)));
            u = match pending {
                true => u
                    .condition_expression(
                        "attribute_exists(pk) AND attribute_not_exists(#decision) AND createdAt = :created AND expiresAtMs > :now",
                    )
                    .expression_attribute_values(":created", s(format_timestamp(r.created_at)))
                    .expression_attribute_values(":now", n(now.timestamp_millis())),
                false => u.condition_expression("attribute_exists(pk)"),
            };
            u.build().map(|u| TransactWriteItem::builder().update(u).build()).map_err(build_error)
        };
        Ok([update(team, true)?, update(mine, false)?])
    }

    fn not_member(&self, team: &TeamId, user: &UserId) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(member_sk(user)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// What lets `r`'s person ask: its link active at `now`, or its domain
    /// the team's still, with its role, needing approval.
    fn may_ask(&self, r: &JoinRequest, now: DateTime<Utc>) -> Result<TransactWriteItem, StoreError> {
        let link = match &r.via {
            JoinVia::Link(id) => *id,
            JoinVia::Domain(d) => return self.domain_check(&r.team_id, d, &r.role, Some(true)),
        };
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(&r.team_id)))
            .key("sk", s(link_sk(link)))
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(#revoked) AND expiresAtMs > :now AND #uses < #max",
            )
            .expression_attribute_names("#revoked", REVOKED_AT)
            .expression_attribute_names("#uses", USES)
            .expression_attribute_names("#max", MAX_USES)
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    async fn query_requests(&self, pk: String, limit: usize) -> Result<Vec<JoinRequest>, StoreError> {
        self.query_prefix(pk, SK_PREFIX, limit, None).await?.iter().map(parse_join_request).collect()
    }
}

impl JoinRequestStore for DynamoStore {
    async fn request_join(
        &self,
        request: &JoinRequest,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), RequestError> {
        let [team, mine] = keys(&request.team_id, &request.user_id);
        // A new request replaces one that was answered or expired.
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(request_item(request, team, "join-request", purge_at)))
            .condition_expression(
                "attribute_not_exists(pk) OR attribute_exists(#decision) OR expiresAtMs <= :now",
            )
            .expression_attribute_names("#decision", DECISION)
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .build()
            .map_err(build_error)?;
        let copy = Put::builder()
            .table_name(&self.table)
            .set_item(Some(request_item(request, mine, "my-join-request", purge_at)))
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().put(copy).build(),
            self.may_ask(request, now)?,
            self.not_member(&request.team_id, &request.user_id)?,
            self.limits_open_check(&request.team_id)?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::VIA) => {
                Err(RequestError::Join(match request.via {
                    JoinVia::Link(_) => JoinError::NotActive {
                        current: c.item(position::VIA).map(parse_invite_link).transpose()?.map(Box::new),
                    },
                    JoinVia::Domain(_) => JoinError::DomainChanged,
                }))
            }
            Err(Transact::Cancelled(c)) if c.failed(position::NOT_MEMBER) => {
                Err(RequestError::Join(JoinError::AlreadyMember))
            }
            Err(Transact::Cancelled(c)) if c.failed(position::OPEN) => {
                Err(RequestError::Join(JoinError::Limit(LimitRefusal::TeamClosed)))
            }
            Err(Transact::Cancelled(c)) if c.failed(position::TEAM_ITEM) => Err(RequestError::Pending),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn join_request(&self, team: &TeamId, user: &UserId) -> Result<Option<JoinRequest>, StoreError> {
        let [(pk, sk), _] = keys(team, user);
        self.get(pk, sk).await?.as_ref().map(parse_join_request).transpose()
    }

    async fn join_requests(&self, team: &TeamId, limit: usize) -> Result<Vec<JoinRequest>, StoreError> {
        self.query_requests(team_pk(team), limit).await
    }

    async fn my_join_requests(&self, user: &UserId, limit: usize) -> Result<Vec<JoinRequest>, StoreError> {
        self.query_requests(user_pk(user), limit).await
    }

    async fn answer_join(
        &self,
        answered: &JoinRequest,
        manager_roles: &[RoleName],
        now: DateTime<Utc>,
    ) -> Result<(), RequestError> {
        let mut items = self.answer_writes(answered, now)?.to_vec();
        let by = &answered.decided.as_ref().expect("answer_writes checked it").by;
        if let Some(permitted) = self.holds_role(&answered.team_id, by, manager_roles)? {
            items.push(permitted);
        }
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::PERMISSION) => Err(RequestError::Forbidden),
            Err(Transact::Cancelled(c)) if c.failed(position::TEAM_ITEM) || c.failed(position::MINE) => {
                Err(RequestError::NotPending)
            }
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn approve_join(
        &self,
        approved: &JoinRequest,
        membership: &Membership,
        manager_roles: &[RoleName],
        now: DateTime<Utc>,
        opened_at_most: Option<i64>,
    ) -> Result<(), RequestError> {
        let by = &approved
            .decided
            .as_ref()
            .ok_or_else(|| StoreError::Other("an approval without a decision".into()))?
            .by;
        let Some(permitted) = self.holds_role(&approved.team_id, by, manager_roles)? else {
            return Err(RequestError::Forbidden);
        };
        let mut items = self.answer_writes(approved, now)?.to_vec();
        items.push(permitted);
        items.push(match &approved.via {
            JoinVia::Link(id) => self.link_use(&approved.team_id, *id, None)?,
            JoinVia::Domain(d) => self.domain_check(&approved.team_id, d, &approved.role, None)?,
        });
        items.extend(self.join_writes(&approved.via, membership, opened_at_most)?);
        let join = |e| Err(RequestError::Join(e));
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::PERMISSION) => Err(RequestError::Forbidden),
            Err(Transact::Cancelled(c)) if c.failed(position::TEAM_ITEM) || c.failed(position::MINE) => {
                Err(RequestError::NotPending)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::APPROVED_VIA) => join(match approved.via {
                JoinVia::Link(_) => JoinError::NotActive {
                    current: c.item(position::APPROVED_VIA).map(parse_invite_link).transpose()?.map(Box::new),
                },
                JoinVia::Domain(_) => JoinError::DomainChanged,
            }),
            Err(Transact::Cancelled(c)) => join(Self::join_writes_refusal(&c, position::APPROVED_JOIN)?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Decision, InviteLink, JoinDomain, LinkSpec, MaxUses, Team, ValidDays};

    #[test]
    fn a_request_survives_the_round_trip_pending_and_answered() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T09:00:00.250Z").unwrap().to_utc();
        let team = Team {
            id: TeamId::parse("acme").unwrap(),
            name: TeamName::parse("Acme").unwrap(),
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
            role: RoleName::parse("member").unwrap(),
            valid: ValidDays::parse(7).unwrap(),
            max_uses: MaxUses::parse(3).unwrap(),
            domains: vec![],
            approval: true,
        };
        let link = InviteLink::new(&team, &owner, now, spec);
        let pending =
            JoinRequest::new(&link, UserId::parse("ada-1").unwrap(), Email::parse("ada@x.org").unwrap(), now);
        let denied = pending.decide(Decision::Denied, owner.user_id.clone(), now).unwrap();
        let domain = JoinDomain {
            team_id: team.id.clone(),
            team_name: team.name.clone(),
            domain: EmailDomain::parse("x.org").unwrap(),
            role: RoleName::parse("member").unwrap(),
            approval: true,
            verified_at: now,
            verified_by: "platform".into(),
        };
        let by_domain = JoinRequest::by_domain(
            &domain,
            UserId::parse("bo-1").unwrap(),
            Email::parse("bo@x.org").unwrap(),
            now,
        );
        for r in [pending, denied, by_domain] {
            for (at, entity) in
                keys(&r.team_id, &r.user_id).into_iter().zip(["join-request", "my-join-request"])
            {
                assert_eq!(parse_join_request(&request_item(&r, at, entity, now)).unwrap(), r);
            }
        }
    }
}
