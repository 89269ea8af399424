//! Requests to accept an invitation as another address (issue 22, item 4;
//! `ports::AcceptRequestStore`): one item per invitation in its team's
//! partition, `TEAM#{team}` / `ACCEPTREQ#{invitation}`. Asking holds the
//! invitation open with the link the asker held; an answer holds the request
//! pending; an approval is also the acceptance's transaction (`invitations.rs`).

use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};

use super::changes::{generation_condition, STILL_OPEN};
use super::errors::{build_error, Transact};
use super::items::*;
use super::{not_open, DynamoStore};
use crate::domain::{
    AcceptRequest, Email, Invitation, InvitationId, Membership, RoleName, Status, TeamId, TeamName, UserId,
};
use crate::ports::{AcceptRequestError, AcceptRequestStore, StoreError};
use crate::time::format_timestamp;

const SK_PREFIX: &str = "ACCEPTREQ#";

fn key(team: &TeamId, id: InvitationId) -> (String, String) {
    (team_pk(team), format!("{SK_PREFIX}{id}"))
}

/// Asking: the request, then the invitation's check. Answering: the request,
/// then the manager's permission. Approving: the acceptance's writes
/// (`position::ACCEPT_*`), then the request, then the permission.
mod position {
    pub const REQUEST: usize = 0;
    pub const INVITATION: usize = 1;
    pub const PERMISSION: usize = 1;
    pub const APPROVED_REQUEST: usize = 4;
    pub const APPROVED_PERMISSION: usize = 5;
}

fn request_item(r: &AcceptRequest, purge_at: DateTime<Utc>) -> Item {
    let (pk, sk) = key(&r.team_id, r.invitation_id);
    let mut attrs = item([
        ("pk", s(pk)),
        ("sk", s(sk)),
        ("entity", s("accept-request")),
        ("invitationId", s(r.invitation_id.to_string())),
        ("teamId", s(r.team_id.as_str())),
        ("teamName", s(r.team_name.as_str())),
        ("role", s(r.role.as_str())),
        ("invitedEmail", s(r.invited_email.as_str())),
        ("userId", s(r.user_id.as_str())),
        ("email", s(r.email.as_str())),
        ("linkGeneration", n(r.link_generation.into())),
        ("requestedAt", s(format_timestamp(r.requested_at))),
        ("expiresAt", s(format_timestamp(r.expires_at))),
        ("expiresAtMs", n(r.expires_at.timestamp_millis())),
        ("purgeAt", n(purge_at.timestamp())),
    ]);
    insert_decided(&mut attrs, r.decided.as_ref());
    attrs
}

pub(super) fn parse_accept_request(item: &Item) -> Result<AcceptRequest, StoreError> {
    const W: &str = "accept request";
    let f = |field: &str| get_s(item, W, field);
    let generation = item
        .get("linkGeneration")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| corrupt(W, "linkGeneration"))?;
    Ok(AcceptRequest {
        invitation_id: InvitationId::parse(f("invitationId")?).map_err(|_| corrupt(W, "invitationId"))?,
        team_id: TeamId::parse(f("teamId")?).map_err(|_| corrupt(W, "teamId"))?,
        team_name: TeamName::parse(f("teamName")?).map_err(|_| corrupt(W, "teamName"))?,
        role: RoleName::parse(f("role")?).map_err(|_| corrupt(W, "role"))?,
        invited_email: Email::parse(f("invitedEmail")?).map_err(|_| corrupt(W, "invitedEmail"))?,
        user_id: UserId::parse(f("userId")?).map_err(|_| corrupt(W, "userId"))?,
        email: Email::parse(f("email")?).map_err(|_| corrupt(W, "email"))?,
        link_generation: generation,
        requested_at: get_time(item, W, "requestedAt")?,
        expires_at: get_time(item, W, "expiresAt")?,
        decided: parse_decided(item, W)?,
    })
}

impl DynamoStore {
    /// The answer, only while the request read (its `requestedAt`) is pending
    /// at `now`.
    fn answer_write(&self, r: &AcceptRequest, now: DateTime<Utc>) -> Result<TransactWriteItem, StoreError> {
        let d = r.decided.as_ref().ok_or_else(|| StoreError::Other("an answer without a decision".into()))?;
        let (pk, sk) = key(&r.team_id, r.invitation_id);
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(#decision) AND requestedAt = :requested AND expiresAtMs > :now",
            )
            .update_expression("SET #decision = :decision, decidedBy = :by, decidedAt = :at")
            .expression_attribute_names("#decision", DECISION)
            .expression_attribute_values(":decision", s(d.decision.as_str()))
            .expression_attribute_values(":by", s(d.by.as_str()))
            .expression_attribute_values(":at", s(format_timestamp(d.at)))
            .expression_attribute_values(":requested", s(format_timestamp(r.requested_at)))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn decider(r: &AcceptRequest) -> Result<&UserId, StoreError> {
        Ok(&r.decided.as_ref().ok_or_else(|| StoreError::Other("an answer without a decision".into()))?.by)
    }
}

impl AcceptRequestStore for DynamoStore {
    async fn request_accept(
        &self,
        r: &AcceptRequest,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), AcceptRequestError> {
        // A new request replaces one that was answered or expired.
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(request_item(r, purge_at)))
            .condition_expression(
                "attribute_not_exists(pk) OR attribute_exists(#decision) OR expiresAtMs <= :now OR linkGeneration <> :gen",
            )
            .expression_attribute_names("#decision", DECISION)
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":gen", n(r.link_generation.into()))
            .build()
            .map_err(build_error)?;
        // The invitation as the asker's link opens it: open, in its team.
        let open = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(r.invitation_id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression(format!(
                "{STILL_OPEN} AND teamId = :team{}",
                generation_condition(r.link_generation)
            ))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":open", s(Status::Open.as_str()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":team", s(r.team_id.as_str()))
            .expression_attribute_values(":gen", n(r.link_generation.into()))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().condition_check(open).build(),
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::INVITATION) => {
                Err(AcceptRequestError::Invitation(not_open(c.item(position::INVITATION))?))
            }
            Err(Transact::Cancelled(c)) if c.failed(position::REQUEST) => Err(AcceptRequestError::Pending),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn accept_request(
        &self,
        team: &TeamId,
        id: InvitationId,
    ) -> Result<Option<AcceptRequest>, StoreError> {
        let (pk, sk) = key(team, id);
        self.get(pk, sk).await?.as_ref().map(parse_accept_request).transpose()
    }

    async fn accept_requests(&self, team: &TeamId, limit: usize) -> Result<Vec<AcceptRequest>, StoreError> {
        let items = self.query_prefix(team_pk(team), SK_PREFIX, limit, None).await?;
        items.iter().map(parse_accept_request).collect()
    }

    async fn refuse_accept(
        &self,
        refused: &AcceptRequest,
        manager_roles: &[RoleName],
        now: DateTime<Utc>,
    ) -> Result<(), AcceptRequestError> {
        let Some(permitted) = self.holds_role(&refused.team_id, Self::decider(refused)?, manager_roles)?
        else {
            return Err(AcceptRequestError::Forbidden);
        };
        let items = vec![self.answer_write(refused, now)?, permitted];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::PERMISSION) => {
                Err(AcceptRequestError::Forbidden)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::REQUEST) => Err(AcceptRequestError::NotPending),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn approve_accept(
        &self,
        approved: &AcceptRequest,
        accepted: &Invitation,
        membership: &Membership,
        manager_roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), AcceptRequestError> {
        let Some(permitted) = self.holds_role(&approved.team_id, Self::decider(approved)?, manager_roles)?
        else {
            return Err(AcceptRequestError::Forbidden);
        };
        if accepted.link_generation != approved.link_generation {
            return Err(StoreError::Other("an approval of another link's acceptance".into()).into());
        }
        let mut items = self.accept_writes(accepted, membership, now, purge_at)?;
        items.push(self.answer_write(approved, now)?);
        items.push(permitted);
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::APPROVED_PERMISSION) => {
                Err(AcceptRequestError::Forbidden)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::APPROVED_REQUEST) => {
                Err(AcceptRequestError::NotPending)
            }
            Err(Transact::Cancelled(c)) => Err(AcceptRequestError::Invitation(Self::accept_refusal(&c)?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Decision, Team, ValidDays};

    #[test]
    fn a_request_survives_the_round_trip_pending_and_answered() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T09:00:00.250Z").unwrap().to_utc();
        let team = Team {
            id: TeamId::parse("acme").unwrap(),
            name: TeamName::parse("Acme").unwrap(),
            created_at: now,
        };
        let inv = Invitation::new(
            &team,
            Email::parse("ada@acme.com").unwrap(),
            RoleName::parse("member").unwrap(),
            UserId::parse("owner-1").unwrap(),
            now,
            ValidDays::parse(7).unwrap().duration(),
        );
        let pending = AcceptRequest::new(
            &inv,
            UserId::parse("ada-2").unwrap(),
            Email::parse("ada@home.org").unwrap(),
            now,
        )
        .unwrap();
        let refused = pending.decide(Decision::Denied, UserId::parse("owner-1").unwrap(), now).unwrap();
        for r in [pending, refused] {
            assert_eq!(parse_accept_request(&request_item(&r, now)).unwrap(), r);
        }
    }
}
