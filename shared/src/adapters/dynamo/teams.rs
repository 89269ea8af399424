//! Teams as the platform manages them, and what a rename or a closing does to
//! their open invitations.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};

use super::changes::Change;
use super::errors::{build_error, store_error, Transact};
use super::items::*;
use super::{applied, DynamoStore};
use crate::domain::{
    Invitation, InvitationId, Membership, RoleChange, Status, Team, TeamId, TeamLimits, TeamName, UserId,
};
use crate::ports::{
    Closing, ClosingStage, CreateError, OwnerError, StoreError, TeamChangeError, TeamRecord, TeamStore,
};
use crate::time::format_timestamp;

/// On a closed team's item: its closing's step (`ports::Closing`), and how
/// often the platform asked for the closing (each ask changes the item, so
/// the stream hands the current step over once more: DynamoDB writes no
/// stream record for a write that changes nothing).
pub(super) const CLOSE_STAGE: &str = "closeStage";
pub(super) const CLOSE_AFTER: &str = "closeAfter";
pub(super) const CLOSE_STEP: &str = "closeStep";
pub(super) const CLOSED_BY: &str = "closedBy";
pub(super) const CLOSE_WITHDRAWN: &str = "closeWithdrawn";
pub(super) const CLOSE_ENDED: &str = "closeEnded";
pub(super) const CLOSE_ASKED: &str = "closeAsks";

/// A team's closing, from its item (None: not closed, or closed before
/// closings went on in steps).
pub(super) fn parse_closing(item: &Item) -> Result<Option<Closing>, StoreError> {
    let Some(stage) = item.get(CLOSE_STAGE) else { return Ok(None) };
    let stage =
        stage.as_s().ok().and_then(|s| ClosingStage::parse(s)).ok_or_else(|| corrupt("team", CLOSE_STAGE))?;
    let number = |field: &str| {
        item.get(field)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| corrupt("team", field))
    };
    let after = match item.get(CLOSE_AFTER) {
        Some(_) => Some(get_s(item, "team", CLOSE_AFTER)?.to_owned()),
        None => None,
    };
    Ok(Some(Closing {
        stage,
        after,
        step: u32::try_from(number(CLOSE_STEP)?).map_err(|_| corrupt("team", CLOSE_STEP))?,
        by: UserId::parse(get_s(item, "team", CLOSED_BY)?).map_err(|_| corrupt("team", CLOSED_BY))?,
        invitations_withdrawn: number(CLOSE_WITHDRAWN)?,
        memberships_ended: number(CLOSE_ENDED)?,
    }))
}

impl DynamoStore {
    /// The team's own limits, set on its limits item (which every invite and
    /// resend reads), under `condition` when given.
    fn own_limits(
        &self,
        id: &TeamId,
        limits: TeamLimits,
        condition: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(id)))
            .key("sk", s(LIMITS_SK))
            .update_expression("SET #max = :max, #rate = :rate")
            .expression_attribute_names("#max", MAX_OPEN)
            .expression_attribute_names("#rate", EMAILS_PER_HOUR)
            .expression_attribute_values(":max", n(limits.max_open.into()))
            .expression_attribute_values(":rate", n(limits.emails_per_hour.into()));
        if let Some(condition) = condition {
            update = update.condition_expression(condition).expression_attribute_names("#closed", CLOSED_AT);
        }
        Ok(TransactWriteItem::builder().update(update.build().map_err(build_error)?).build())
    }
}

/// How often setting a seat limit counts the members again when memberships
/// change under the count, before it answers 503.
const SEAT_COUNT_ATTEMPTS: usize = 3;

impl DynamoStore {
    /// The team's memberships, counted from their items (consistently).
    async fn count_members(&self, id: &TeamId) -> Result<i64, StoreError> {
        let (mut count, mut start) = (0, None);
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :member)")
                .expression_attribute_values(":pk", s(team_pk(id)))
                .expression_attribute_values(":member", s(MEMBER_SK_PREFIX))
                .select(aws_sdk_dynamodb::types::Select::Count)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| store_error(&e))?;
            count += i64::from(out.count);
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(count),
            }
        }
    }

    /// The seats item's write for a team's new limits: the seat limit set,
    /// with the members counted again from their items (so a team from before
    /// the count, or one whose count drifted, starts right), on the condition
    /// that no membership changed since the count began; or the limit removed.
    async fn seats_limit(&self, id: &TeamId, seats: Option<u32>) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(id)))
            .key("sk", s(SEATS_SK))
            .expression_attribute_names("#closed", CLOSED_AT)
            .expression_attribute_names("#limit", SEAT_LIMIT);
        let update = match seats {
            None => update
                .condition_expression("attribute_not_exists(#closed)")
                .update_expression("REMOVE #limit"),
            Some(seats) => {
                let before = self.get(team_pk(id), SEATS_SK.into()).await?;
                let before = parse_usage(before.as_slice())?.members;
                let counted = self.count_members(id).await?;
                let unchanged = match before {
                    0 => "(attribute_not_exists(#members) OR #members = :before)",
                    _ => "#members = :before",
                };
                update
                    .condition_expression(format!("attribute_not_exists(#closed) AND {unchanged}"))
                    .update_expression("SET #limit = :limit, #members = :counted")
                    .expression_attribute_names("#members", MEMBERS_COUNT)
                    .set_expression_attribute_values(Some(item([
                        (":before", n(before)),
                        (":limit", n(seats.into())),
                        (":counted", n(counted)),
                    ])))
            }
        };
        let update = update
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// A new team's seats item: its first owner, and its seat limit if set.
    fn first_seats(&self, id: &TeamId, seats: Option<u32>) -> Result<TransactWriteItem, StoreError> {
        let mut seats_item = item([("pk", s(team_pk(id))), ("sk", s(SEATS_SK)), (MEMBERS_COUNT, n(1))]);
        if let Some(seats) = seats {
            seats_item.insert(SEAT_LIMIT.into(), n(seats.into()));
        }
        self.put_if_absent(seats_item)
    }
}

/// A count as DynamoDB's number (counts never reach `i64::MAX`).
fn clamp(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

impl TeamStore for DynamoStore {
    async fn team(&self, id: &TeamId) -> Result<Option<Team>, StoreError> {
        match self.get(team_pk(id), TEAM_SK.into()).await? {
            Some(item) => parse_team(id, &item).map(Some),
            None => Ok(None),
        }
    }

    async fn team_record(&self, id: &TeamId) -> Result<Option<TeamRecord>, StoreError> {
        let (team, limits, seats) = tokio::join!(
            self.get(team_pk(id), TEAM_SK.into()),
            self.get(team_pk(id), LIMITS_SK.into()),
            self.get(team_pk(id), SEATS_SK.into())
        );
        let Some(item) = team? else { return Ok(None) };
        let mut record = parse_team_record(id, &item)?;
        let usage = parse_usage(&limits?.into_iter().chain(seats?).collect::<Vec<_>>())?;
        record.limits = usage.limits.map(|own| TeamLimits { seats: usage.seats, ..own });
        Ok(Some(record))
    }

    async fn create_team(
        &self,
        team: &Team,
        owner: &Membership,
        limits: Option<TeamLimits>,
    ) -> Result<(), CreateError> {
        let mut items = vec![self.put_if_absent(team_item(team))?];
        items.extend(self.membership_writes(owner, None)?);
        items.push(self.first_seats(&team.id, limits.and_then(|l| l.seats))?);
        if let Some(limits) = limits {
            items.push(self.own_limits(&team.id, limits, None)?);
        }
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Only a failed "does not exist yet" condition means it exists.
            Err(Transact::Cancelled(c)) if c.any_failed() => Err(CreateError::AlreadyExists),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn add_owner(&self, owner: &Membership) -> Result<(), OwnerError> {
        let mut items = self.membership_writes(owner, None)?.to_vec();
        // Counted as every membership is; refused once the team is closed.
        let seats = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(&owner.team_id)))
            .key("sk", s(SEATS_SK))
            .condition_expression("attribute_not_exists(#closed)")
            .update_expression("ADD #members :one")
            .expression_attribute_names("#closed", CLOSED_AT)
            .expression_attribute_names("#members", MEMBERS_COUNT)
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(build_error)?;
        items.push(TransactWriteItem::builder().update(seats).build());
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(0) => Err(OwnerError::Changed),
            Err(Transact::Cancelled(c)) if c.failed(1) => Err(OwnerError::EmailTaken),
            Err(Transact::Cancelled(c)) if c.failed(2) => Err(OwnerError::Closed),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn make_owner(&self, change: &RoleChange) -> Result<bool, StoreError> {
        // The role change's own write, without a manager's checks.
        match self.send_transaction(vec![self.role_update(change)?]).await {
            Ok(()) => Ok(true),
            Err(Transact::Failed(e)) => Err(e),
            // Its role changed, or it ended, since it was read.
            Err(Transact::Cancelled(c)) if c.failed(0) => Ok(false),
            Err(Transact::Cancelled(c)) => Err(c.unexpected()),
        }
    }

    async fn set_team_limits(&self, id: &TeamId, limits: TeamLimits) -> Result<(), TeamChangeError> {
        self.change_limits(id, Some(limits), limits.seats).await
    }

    async fn rename_team(&self, id: &TeamId, name: &TeamName) -> Result<Team, TeamChangeError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(team_pk(id)))
            .key("sk", s(TEAM_SK))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(#closed)")
            .update_expression("SET #name = :name")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#closed", CLOSED_AT)
            .expression_attribute_values(":name", s(name.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match out {
            Ok(out) => Ok(parse_team(id, &out.attributes.unwrap_or_default())?),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(refused)) => match refused.item() {
                    Some(_) => Err(TeamChangeError::Closed),
                    None => Err(TeamChangeError::NotFound),
                },
                _ => Err(store_error(&e).into()),
            },
        }
    }

    async fn rename_invitation(
        &self,
        team: &TeamId,
        id: InvitationId,
        name: &TeamName,
    ) -> Result<bool, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression("#status = :open AND teamId = :team")
            .update_expression("SET teamName = :name")
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(item([
                (":open", s(Status::Open.as_str())),
                (":team", s(team.as_str())),
                (":name", s(name.as_str())),
            ])))
            .send()
            .await;
        applied(out)
    }

    async fn close_team(
        &self,
        id: &TeamId,
        by: &UserId,
        now: DateTime<Utc>,
    ) -> Result<TeamRecord, TeamChangeError> {
        // The first closing's time, closer and progress stay; the count of
        // asks changes on every call, so that the stream hands a closing's
        // current step over again (a finished one is filtered out).
        let start = Closing::start(by.clone());
        let team = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(id)))
            .key("sk", s(TEAM_SK))
            .condition_expression("attribute_exists(pk)")
            .update_expression(
                "SET #closed = if_not_exists(#closed, :now), #stage = if_not_exists(#stage, :stage), \
                 #step = if_not_exists(#step, :zero), #by = if_not_exists(#by, :by), \
                 #withdrawn = if_not_exists(#withdrawn, :zero), #ended = if_not_exists(#ended, :zero) \
                 ADD #asked :one",
            )
            .expression_attribute_names("#closed", CLOSED_AT)
            .expression_attribute_names("#stage", CLOSE_STAGE)
            .expression_attribute_names("#step", CLOSE_STEP)
            .expression_attribute_names("#by", CLOSED_BY)
            .expression_attribute_names("#withdrawn", CLOSE_WITHDRAWN)
            .expression_attribute_names("#ended", CLOSE_ENDED)
            .expression_attribute_names("#asked", CLOSE_ASKED)
            .expression_attribute_values(":now", s(format_timestamp(now)))
            .expression_attribute_values(":stage", s(start.stage.as_str()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":by", s(by.as_str()))
            .build()
            .map_err(build_error)?;
        // The limits item refuses sends from here on.
        let limits = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(id)))
            .key("sk", s(LIMITS_SK))
            .update_expression("SET #closed = if_not_exists(#closed, :now)")
            .expression_attribute_names("#closed", CLOSED_AT)
            .expression_attribute_values(":now", s(format_timestamp(now)))
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().update(team).build(),
            TransactWriteItem::builder().update(limits).build(),
        ];
        match self.send_transaction(items).await {
            Ok(()) => {}
            Err(Transact::Failed(e)) => return Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(0) => return Err(TeamChangeError::NotFound),
            Err(Transact::Cancelled(c)) => return Err(c.unexpected().into()),
        }
        // The seats item refuses acceptances, before the closing answers (one
        // cut short fails, and its retry marks it): an acceptance committed
        // meanwhile ends with the team's other memberships.
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(team_pk(id)))
            .key("sk", s(SEATS_SK))
            .update_expression("SET #closed = if_not_exists(#closed, :now)")
            .expression_attribute_names("#closed", CLOSED_AT)
            .expression_attribute_values(":now", s(format_timestamp(now)))
            .send()
            .await
            .map_err(|e| store_error(&e))?;
        self.team_record(id).await?.ok_or(TeamChangeError::NotFound)
    }

    async fn closing(&self, id: &TeamId) -> Result<Option<Closing>, StoreError> {
        match self.get(team_pk(id), TEAM_SK.into()).await? {
            Some(item) => parse_closing(&item),
            None => Ok(None),
        }
    }

    async fn advance_closing(&self, id: &TeamId, from: u32, to: &Closing) -> Result<bool, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(team_pk(id)))
            .key("sk", s(TEAM_SK))
            .condition_expression("#step = :from")
            .expression_attribute_names("#step", CLOSE_STEP)
            .expression_attribute_names("#stage", CLOSE_STAGE)
            .expression_attribute_names("#withdrawn", CLOSE_WITHDRAWN)
            .expression_attribute_names("#ended", CLOSE_ENDED)
            .expression_attribute_names("#after", CLOSE_AFTER)
            .expression_attribute_values(":from", n(from.into()))
            .expression_attribute_values(":to", n(to.step.into()))
            .expression_attribute_values(":stage", s(to.stage.as_str()))
            .expression_attribute_values(":withdrawn", n(clamp(to.invitations_withdrawn)))
            .expression_attribute_values(":ended", n(clamp(to.memberships_ended)));
        update = match &to.after {
            Some(after) => update
                .update_expression(
                    "SET #step = :to, #stage = :stage, #withdrawn = :withdrawn, #ended = :ended, #after = :after",
                )
                .expression_attribute_values(":after", s(after)),
            None => update.update_expression(
                "SET #step = :to, #stage = :stage, #withdrawn = :withdrawn, #ended = :ended REMOVE #after",
            ),
        };
        applied(update.send().await)
    }

    async fn withdraw_closing(
        &self,
        withdrawn: &Invitation,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let change = Change::resolve(
            withdrawn.id,
            &withdrawn.resolution,
            now,
            purge_at,
            Some(&withdrawn.team_id),
            None,
        )?;
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(withdrawn.id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression(change.condition)
            .update_expression(change.update)
            .set_expression_attribute_names(Some(change.names))
            .set_expression_attribute_values(Some(change.values))
            .send()
            .await;
        applied(out)
    }
}

impl DynamoStore {
    /// Sets a team's seat limit alone (None: removes it), keeping its other
    /// limits: the operator's command (`invitations-admin set-seats`), where
    /// the platform's route sets every limit at once.
    pub async fn set_seats(&self, id: &TeamId, seats: Option<u32>) -> Result<(), TeamChangeError> {
        self.change_limits(id, None, seats).await
    }

    /// "The team exists and is not closed", with its item returned on failure.
    pub(super) fn team_open(&self, team: &TeamId) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(TEAM_SK))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(#closed)")
            .expression_attribute_names("#closed", CLOSED_AT)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// One transaction: the team exists and is open, its own limits (when
    /// given) on its limits item, and its seat limit on its seats item.
    async fn change_limits(
        &self,
        id: &TeamId,
        own: Option<TeamLimits>,
        seats: Option<u32>,
    ) -> Result<(), TeamChangeError> {
        for _ in 0..SEAT_COUNT_ATTEMPTS {
            // The team must exist and be open; its limits items may not exist yet.
            let mut items = vec![self.team_open(id)?];
            items.push(self.seats_limit(id, seats).await?);
            if let Some(limits) = own {
                items.push(self.own_limits(id, limits, Some("attribute_not_exists(#closed)"))?);
            }
            match self.send_transaction(items).await {
                Ok(()) => return Ok(()),
                Err(Transact::Failed(e)) => return Err(e.into()),
                Err(Transact::Cancelled(c)) if c.failed(0) => {
                    return match c.item(0) {
                        Some(_) => Err(TeamChangeError::Closed),
                        None => Err(TeamChangeError::NotFound),
                    }
                }
                Err(Transact::Cancelled(c)) if c.failed(1) => match c.item(1) {
                    Some(seats) if seats.contains_key(CLOSED_AT) => return Err(TeamChangeError::Closed),
                    // A membership began or ended while they were counted.
                    _ => continue,
                },
                Err(Transact::Cancelled(c)) if c.failed(2) => return Err(TeamChangeError::Closed),
                Err(Transact::Cancelled(c)) => return Err(c.unexpected().into()),
            }
        }
        Err(StoreError::Unavailable("set limits: memberships kept changing while they were counted".into())
            .into())
    }
}
