//! The invitation state machine as DynamoDB conditions.
//!
//! Which changes are allowed is specified once, by the domain
//! (`Invitation::accept`/`decline`/`withdraw` and `ensure_open`: only an open,
//! unexpired invitation changes, and only to an answer). Accept and decline run
//! that rule on the invitation they read, then write under this condition;
//! withdraw writes without reading, so this condition is the rule itself for
//! it. Both must agree: `tests` below derives the condition's verdict for every
//! status and instant and compares it with the domain's.

use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, Update};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use super::errors::build_error;
use super::items::{
    by_status_sk, history_values, invitation_pk, item, n, s, Item, HISTORY_APPEND, INVITATION_SK,
};
use crate::domain::{Change as Recorded, HistoryEntry, InvitationId, Resolution, Status, TeamId, UserId};
use crate::ports::StoreError;

/// The update that moves open invitation `id` to `resolution`, conditioned on
/// what the domain's state machine requires: still open and unexpired at `now`
/// (and, when given, in `team`). It moves the invitation to its new status's
/// range of the `byStatus` index too, and out of the `byEmail` index. Shared by the transactional and the
/// single-item writes.
pub(super) struct Change {
    pub(super) condition: String,
    pub(super) update: String,
    pub(super) names: HashMap<String, String>,
    pub(super) values: Item,
}

/// "The invitation's link generation is still `:gen`", as a condition to
/// append; invitations written before resending existed hold none, meaning 0.
pub(super) fn generation_condition(generation: u32) -> &'static str {
    match generation {
        0 => " AND (attribute_not_exists(linkGeneration) OR linkGeneration = :gen)",
        _ => " AND linkGeneration = :gen",
    }
}

/// The condition under which an invitation may still change.
pub(super) const STILL_OPEN: &str = "#status = :open AND expiresAtMs > :now";

impl Change {
    /// `generation`: the link generation of the token presented, which must
    /// still be the invitation's (a resend since makes the write fail).
    pub(super) fn resolve(
        id: InvitationId,
        resolution: &Resolution,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        team: Option<&TeamId>,
        generation: Option<u32>,
    ) -> Result<Self, StoreError> {
        let at =
            resolution.at().ok_or_else(|| StoreError::Other("an open invitation is no resolution".into()))?;
        let mut values = item([
            (":open", s(Status::Open.as_str())),
            (":now", n(now.timestamp_millis())),
            (":new", s(resolution.stored_status().as_str())),
            (":at", s(crate::time::format_timestamp(at))),
            (":purge", n(purge_at.timestamp())),
            (":sk2", s(by_status_sk(resolution.stored_status(), at, id))),
        ]);
        let mut condition = STILL_OPEN.to_owned();
        if let Some(team) = team {
            condition.push_str(" AND teamId = :team");
            values.insert(":team".into(), s(team.as_str()));
        }
        if let Some(generation) = generation {
            condition.push_str(generation_condition(generation));
            values.insert(":gen".into(), n(generation.into()));
        }
        let recorded = match resolution {
            Resolution::Accepted { by, .. } => Recorded::Accepted { by: by.clone() },
            Resolution::Declined { by, .. } => Recorded::Declined { by: by.clone() },
            Resolution::Withdrawn { by, .. } => Recorded::Withdrawn { by: by.clone() },
            Resolution::Open => return Err(StoreError::Other("an open invitation is no resolution".into())),
        };
        values.extend(history_values(HistoryEntry { at, change: recorded }).map(|(k, v)| (k.to_owned(), v)));
        // The history entry is written with the change it records.
        let update = match resolution.by() {
            Some(by) => {
                values.insert(":by".into(), s(by.as_str()));
                format!(
                    "SET #status = :new, resolvedAt = :at, resolvedBy = :by, purgeAt = :purge, gsi2sk = :sk2, \
                     {HISTORY_APPEND} REMOVE gsi3pk"
                )
            }
            None => format!(
                "SET #status = :new, resolvedAt = :at, purgeAt = :purge, gsi2sk = :sk2, {HISTORY_APPEND} \
                 REMOVE gsi3pk"
            ),
        };
        let names = HashMap::from([("#status".to_owned(), "status".to_owned())]);
        Ok(Self { condition, update, names, values })
    }

    /// The same change, only on an invitation `sender` sent.
    pub(super) fn sent_by(mut self, sender: &UserId) -> Self {
        self.condition.push_str(" AND invitedBy = :sender");
        self.values.insert(":sender".into(), s(sender.as_str()));
        self
    }

    /// This change as one item of a transaction on invitation `id`.
    pub(super) fn into_update(self, table: &str, id: InvitationId) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(table)
            .key("pk", s(invitation_pk(id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression(self.condition)
            .update_expression(self.update)
            .set_expression_attribute_names(Some(self.names))
            .set_expression_attribute_values(Some(self.values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, Invitation, RoleName, Team, TeamName, UserId};
    use chrono::TimeDelta;

    /// `STILL_OPEN` evaluated as DynamoDB would, on the stored attributes.
    fn condition_holds(stored_status: Status, expires_at_ms: i64, now: DateTime<Utc>) -> bool {
        assert_eq!(STILL_OPEN, "#status = :open AND expiresAtMs > :now", "update this evaluator with it");
        stored_status == Status::Open && expires_at_ms > now.timestamp_millis()
    }

    #[test]
    fn the_write_condition_allows_exactly_the_changes_the_domain_allows() {
        let created = DateTime::parse_from_rfc3339("2026-11-02T09:30:00Z").unwrap().with_timezone(&Utc);
        let team = Team {
            id: TeamId::parse("t").unwrap(),
            name: TeamName::parse("T").unwrap(),
            created_at: created,
        };
        let open = Invitation::new(
            &team,
            Email::parse("a@example.com").unwrap(),
            RoleName::parse("member").unwrap(),
            UserId::parse("owner").unwrap(),
            created,
            TimeDelta::days(7),
        );
        let by = UserId::parse("u").unwrap();
        let states = [
            open.clone(),
            open.accept(by.clone(), created).unwrap(),
            open.decline(None, created).unwrap(),
            open.withdraw(by.clone(), created).unwrap(),
        ];
        let instants = [
            created,
            open.expires_at - TimeDelta::milliseconds(1),
            open.expires_at,
            open.expires_at + TimeDelta::days(1),
        ];
        for inv in &states {
            for now in instants {
                let by_condition =
                    condition_holds(inv.resolution.stored_status(), inv.expires_at.timestamp_millis(), now);
                let by_domain = [
                    inv.accept(by.clone(), now).is_ok(),
                    inv.decline(None, now).is_ok(),
                    inv.withdraw(by.clone(), now).is_ok(),
                ];
                assert!(
                    by_domain.iter().all(|&ok| ok == by_condition),
                    "{:?} at {now}: condition {by_condition}, domain {by_domain:?}",
                    inv.resolution
                );
            }
        }
    }
}
