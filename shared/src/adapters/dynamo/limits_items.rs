//! The layout of a team's limits items (`ports::Usage`): the limits item, its
//! counters of leaving, the seats item, and the mailbox's daily counter; and
//! the usage read from them.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::DateTime;

use super::items::{corrupt, Item};
use crate::domain::{Email, InvitationId, TeamLimits};
use crate::ports::{StoreError, Usage};

/// A team's use of its limits (`domain::limits`, `ports::Usage`): on the
/// limits item the invitations opened, the send instant, and the team's own
/// limits where the platform set them (every invite and resend reads it); on
/// `LEFT_SHARDS` counters beside it, the invitations that left the open count,
/// each on its invitation's counter (`InvitationId::shard`), so that answers
/// write neither the limits item nor, mostly, one another's counter.
pub(super) const LIMITS_SK: &str = "LIMITS";
/// Opened, net of those that left before the counters of leaving existed (the
/// name is the one the net open count always had: no migration).
pub(super) const OPEN_COUNT: &str = "openInvitations";
pub(super) const SENDS_UNTIL: &str = "sendsUntil";
pub(super) const MAX_OPEN: &str = "maxOpenInvitations";
pub(super) const EMAILS_PER_HOUR: &str = "maxEmailsPerHour";
pub(super) const LEFT_SHARDS: usize = 8;
pub(super) const LEFT_COUNT: &str = "left";

pub(super) fn left_sk(shard: usize) -> String {
    format!("{LIMITS_SK}#LEFT#{shard}")
}

/// The counter of leaving that `id` counts on.
pub(super) fn left_sk_of(id: InvitationId) -> String {
    left_sk(id.shard(LEFT_SHARDS))
}

/// A team's seats item, beside its counters: its members (every membership
/// created or ended in the team changes the count in the same transaction,
/// except a closing's ends), its seat limit where the platform set one, and
/// the invitations accepted, which leave the open count here rather than on a
/// counter of leaving. One item, so that an acceptance's condition "a seat is
/// free" is decided in its write (`domain::limits`, seats).
pub(super) const SEATS_SK: &str = "LIMITS#SEATS";
pub(super) const MEMBERS_COUNT: &str = "members";
pub(super) const SEAT_LIMIT: &str = "seatLimit";

/// A mailbox's invitation emails on one UTC day (`domain::Limit::EmailsPerRecipientPerDay`).
pub(super) fn mailbox_day_key(email: &Email, day: chrono::NaiveDate) -> (String, String) {
    (format!("MAILBOX#{}", email.mailbox()), format!("DAY#{day}"))
}

pub(super) const MAILBOX_EMAILS: &str = "emails";

/// On a closed team's item and its limits item.
pub(super) const CLOSED_AT: &str = "closedAt";

/// Set on an expired invitation once it has left its team's open count.
pub(super) const RELEASED_AT: &str = "limitReleasedAt";

/// On a counter of leaving: the `byStatus` sort key before which every
/// expired invitation was released, as the release that wrote it left it
/// (the team's position is the greatest of its counters').
pub(super) const RELEASED_THROUGH: &str = "releasedThrough";

/// On the limits item: when the open count was last counted again.
pub(super) const RECOUNTED_AT: &str = "recountedAt";

/// A team's usage from its limits items (`LIMITS_SK` and its counters of
/// leaving, any of which may not exist yet).
pub(super) fn parse_usage(items: &[Item]) -> Result<Usage, StoreError> {
    let number = |field: &str, v: &AttributeValue| {
        v.as_n().ok().and_then(|n| n.parse::<i64>().ok()).ok_or_else(|| corrupt("limits", field))
    };
    let mut usage = Usage::default();
    for item in items {
        let count = |field: &str| item.get(field).map_or(Ok(0), |v| number(field, v));
        let sk = item.get("sk").and_then(|v| v.as_s().ok());
        if sk.is_some_and(|sk| sk == SEATS_SK) {
            usage.members = count(MEMBERS_COUNT)?;
            usage.seats = match item.get(SEAT_LIMIT) {
                Some(v) => {
                    Some(u32::try_from(number(SEAT_LIMIT, v)?).map_err(|_| corrupt("seats", SEAT_LIMIT))?)
                }
                None => None,
            };
        }
        if sk.is_some_and(|sk| sk != LIMITS_SK) {
            usage.left += count(LEFT_COUNT)?;
            if let Some(through) = item.get(RELEASED_THROUGH) {
                let through = through.as_s().map_err(|_| corrupt("limits", RELEASED_THROUGH))?;
                if usage.release_from.as_ref().is_none_or(|from| from < through) {
                    usage.release_from = Some(through.clone());
                }
            }
            continue;
        }
        usage.recounted_at = match item.get(RECOUNTED_AT) {
            Some(v) => Some(
                DateTime::from_timestamp_millis(number(RECOUNTED_AT, v)?)
                    .ok_or_else(|| corrupt("limits", RECOUNTED_AT))?,
            ),
            None => None,
        };
        usage.opened = count(OPEN_COUNT)?;
        usage.closed = item.contains_key(CLOSED_AT);
        usage.sends_until = match item.get(SENDS_UNTIL) {
            Some(v) => Some(
                DateTime::from_timestamp_millis(number(SENDS_UNTIL, v)?)
                    .ok_or_else(|| corrupt("limits", SENDS_UNTIL))?,
            ),
            None => None,
        };
        let own = |field: &str| match item.get(field) {
            Some(v) => number(field, v)
                .and_then(|n| u32::try_from(n).map_err(|_| corrupt("limits", field)))
                .map(Some),
            None => Ok(None),
        };
        usage.limits = match (own(MAX_OPEN)?, own(EMAILS_PER_HOUR)?) {
            (Some(max_open), Some(emails_per_hour)) => {
                Some(TeamLimits { max_open, emails_per_hour, seats: None })
            }
            _ => None,
        };
    }
    Ok(usage)
}
