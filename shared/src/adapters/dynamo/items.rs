//! How domain values are stored: keys, attribute names, and the conversions
//! between items and domain types. Pure functions; no SDK client.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use super::teams::parse_closing;
use crate::domain::{
    BounceType, Change, Decided, Decision, Email, EmailDelivery, EndReason, EndedMembership, HistoryEntry,
    Invitation, InvitationId, Locale, Membership, Metadata, Note, Resolution, RoleName, Status, Team, TeamId,
    TeamName, UserId, ValidDays,
};
use crate::ports::{PageCursor, StoreError, TeamRecord};
use crate::time::{format_timestamp, parse_timestamp};

pub type Item = HashMap<String, AttributeValue>;

pub(super) fn item<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// A placeholder map as a request parameter: left out when empty, since
/// DynamoDB refuses an empty `ExpressionAttributeValues` or `...Names`.
pub(super) fn placeholders<V>(map: HashMap<String, V>) -> Option<HashMap<String, V>> {
    (!map.is_empty()).then_some(map)
}

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn team_pk(team: &TeamId) -> String {
    format!("TEAM#{team}")
}

pub(super) const TEAM_SK: &str = "TEAM";

pub(super) fn invitation_pk(id: InvitationId) -> String {
    format!("INV#{id}")
}

pub(super) const INVITATION_SK: &str = "INV";

fn by_team_pk(team: &TeamId) -> String {
    format!("TEAM#{team}#INV")
}

fn by_team_sk(created_at: DateTime<Utc>, id: InvitationId) -> String {
    format!("{}#{id}", format_timestamp(created_at))
}

pub(super) fn by_team_key(team: &TeamId) -> AttributeValue {
    s(by_team_pk(team))
}

/// The `byStatus` index shares `gsi1pk` with `byTeam`; its sort key starts with
/// the stored status, so one status is one key range, read without a filter.
/// Then comes the instant that orders that status: the expiry while open (so
/// open and expired part at `now`), the answer's time once answered.
pub(super) fn by_status_sk(status: Status, at: DateTime<Utc>, id: InvitationId) -> String {
    format!("{}#{}#{id}", status.as_str(), format_timestamp(at))
}

/// Where a status's invitations are in the `byStatus` index at `now`: the
/// inclusive bounds of their sort keys. `~` sorts after every character a key
/// holds after the status, so `{status}#~` ends a status's range, and
/// `open#{now}#~` parts expired (expiry <= now, to the millisecond, as
/// `STILL_OPEN` decides) from open.
pub(super) fn by_status_range(status: Status, now: DateTime<Utc>) -> (String, String) {
    let open = Status::Open.as_str();
    let split = format!("{open}#{}#~", format_timestamp(now));
    match status {
        Status::Open => (split, format!("{open}#~")),
        Status::Expired => (format!("{open}#"), split),
        answered => (format!("{}#", answered.as_str()), format!("{}#~", answered.as_str())),
    }
}

/// The `byEmail` index's key: the addressee, on open invitations only (an
/// answer removes it), so the index holds what a person may still answer. Its
/// sort key is `gsi2sk`: an open invitation's expiry splits open from expired.
pub(super) fn by_email_pk(email: &Email) -> String {
    format!("EMAIL#{email}")
}

/// The instant an invitation sorts by in the `byStatus` index.
fn by_status_at(inv: &Invitation) -> DateTime<Utc> {
    inv.resolution.at().unwrap_or(inv.expires_at)
}

pub(super) fn open_lock_sk(email: &Email) -> String {
    format!("OPEN#{email}")
}

pub(super) const MEMBER_SK_PREFIX: &str = "MEMBER#";

pub(super) fn member_sk(user: &UserId) -> String {
    format!("{MEMBER_SK_PREFIX}{user}")
}

pub(super) fn member_email_sk(email: &Email) -> String {
    format!("EMAIL#{email}")
}

pub(super) use super::limits_items::*;

pub(super) fn corrupt(what: &str, field: &str) -> StoreError {
    StoreError::Other(format!("corrupt {what} item: bad or missing '{field}'"))
}

pub(super) fn get_s<'a>(item: &'a Item, what: &str, field: &str) -> Result<&'a str, StoreError> {
    item.get(field).and_then(|v| v.as_s().ok()).map(String::as_str).ok_or_else(|| corrupt(what, field))
}

pub(super) fn get_time(item: &Item, what: &str, field: &str) -> Result<DateTime<Utc>, StoreError> {
    parse_timestamp(get_s(item, what, field)?).ok_or_else(|| corrupt(what, field))
}

/// A membership as stored: its item and its address's. Public for tools that
/// load items in bulk (the benchmark's seeding), as `invitation_item`.
pub fn membership_items(m: &Membership) -> [Item; 2] {
    [membership_item(m), member_email_item(m)]
}

/// An open invitation as stored: its item and its address's lock.
pub fn open_invitation_items(inv: &Invitation, purge_at: DateTime<Utc>) -> [Item; 2] {
    [invitation_item(inv, purge_at), open_lock_item(inv)]
}

/// An invitation as stored. Public for tools that load items in bulk (the
/// benchmark's seeding); the service itself only writes through transactions.
pub fn invitation_item(inv: &Invitation, purge_at: DateTime<Utc>) -> Item {
    let mut attrs = item([
        ("pk", s(invitation_pk(inv.id))),
        ("sk", s(INVITATION_SK)),
        ("gsi1pk", s(by_team_pk(&inv.team_id))),
        ("gsi1sk", s(by_team_sk(inv.created_at, inv.id))),
        ("gsi2sk", s(by_status_sk(inv.resolution.stored_status(), by_status_at(inv), inv.id))),
        ("entity", s("invitation")),
        ("id", s(inv.id.to_string())),
        ("teamId", s(inv.team_id.as_str())),
        ("teamName", s(inv.team_name.as_str())),
        ("email", s(inv.email.as_str())),
        ("role", s(inv.role.as_str())),
        ("status", s(inv.resolution.stored_status().as_str())),
        ("invitedBy", s(inv.invited_by.as_str())),
        ("createdAt", s(format_timestamp(inv.created_at))),
        ("expiresAt", s(format_timestamp(inv.expires_at))),
        ("expiresAtMs", n(inv.expires_at.timestamp_millis())),
        ("emailDelivery", s(inv.email_delivery.as_str())),
        ("sentAt", s(format_timestamp(inv.sent_at))),
        ("linkGeneration", n(inv.link_generation.into())),
        ("locale", s(inv.locale.as_str())),
        ("purgeAt", n(purge_at.timestamp())),
        (DELIVERY_RANK, n(inv.email_delivery.rank().into())),
        (
            HISTORY,
            history_list(&[HistoryEntry {
                at: inv.created_at,
                change: Change::Created { by: inv.invited_by.clone() },
            }]),
        ),
    ]);
    if let Some(bounce) = inv.bounce {
        attrs.insert(BOUNCE.into(), s(bounce.as_str()));
    }
    if let Some(email) = &inv.invited_by_email {
        attrs.insert("invitedByEmail".into(), s(email.as_str()));
    }
    if let Some(days) = inv.valid_days {
        attrs.insert("validDays".into(), n(days.days().into()));
    }
    if let Some(note) = &inv.note {
        attrs.insert("note".into(), s(note.as_str()));
    }
    let mut attrs = with_metadata(attrs, inv.metadata.as_ref());
    if let Some(due) = inv.remind_at {
        attrs.extend(reminder_keys(due));
    }
    match inv.resolution.at() {
        Some(at) => attrs.insert("resolvedAt".into(), s(format_timestamp(at))),
        None => attrs.insert("gsi3pk".into(), s(by_email_pk(&inv.email))),
    };
    if let Some(by) = inv.resolution.by() {
        attrs.insert("resolvedBy".into(), s(by.as_str()));
    }
    attrs
}

pub(super) fn parse_invitation(item: &Item) -> Result<Invitation, StoreError> {
    const W: &str = "invitation";
    let id = InvitationId::parse(get_s(item, W, "id")?).map_err(|_| corrupt(W, "id"))?;
    let status = Status::parse(get_s(item, W, "status")?).map_err(|_| corrupt(W, "status"))?;
    let resolved_by = match item.get("resolvedBy").and_then(|v| v.as_s().ok()) {
        Some(raw) => Some(UserId::parse(raw).map_err(|_| corrupt(W, "resolvedBy"))?),
        None => None,
    };
    let resolution = match status {
        Status::Open | Status::Expired => Resolution::Open,
        Status::Accepted => Resolution::Accepted {
            by: resolved_by.ok_or_else(|| corrupt(W, "resolvedBy"))?,
            at: get_time(item, W, "resolvedAt")?,
        },
        Status::Declined => Resolution::Declined { by: resolved_by, at: get_time(item, W, "resolvedAt")? },
        Status::Withdrawn => Resolution::Withdrawn {
            by: resolved_by.ok_or_else(|| corrupt(W, "resolvedBy"))?,
            at: get_time(item, W, "resolvedAt")?,
        },
    };
    Ok(Invitation {
        id,
        team_id: TeamId::parse(get_s(item, W, "teamId")?).map_err(|_| corrupt(W, "teamId"))?,
        team_name: TeamName::parse(get_s(item, W, "teamName")?).map_err(|_| corrupt(W, "teamName"))?,
        email: Email::parse(get_s(item, W, "email")?).map_err(|_| corrupt(W, "email"))?,
        role: RoleName::parse(get_s(item, W, "role")?).map_err(|_| corrupt(W, "role"))?,
        invited_by: UserId::parse(get_s(item, W, "invitedBy")?).map_err(|_| corrupt(W, "invitedBy"))?,
        created_at: get_time(item, W, "createdAt")?,
        expires_at: get_time(item, W, "expiresAt")?,
        resolution,
        email_delivery: EmailDelivery::parse(get_s(item, W, "emailDelivery")?)
            .map_err(|_| corrupt(W, "emailDelivery"))?,
        bounce: match item.get(BOUNCE) {
            Some(_) => Some(BounceType::parse(get_s(item, W, BOUNCE)?).ok_or_else(|| corrupt(W, BOUNCE))?),
            None => None,
        },
        // Invitations written before resending existed were sent once, at creation.
        sent_at: match item.get("sentAt") {
            Some(_) => get_time(item, W, "sentAt")?,
            None => get_time(item, W, "createdAt")?,
        },
        // Invitations written before these were kept: English, inviter unnamed.
        locale: match item.get("locale") {
            Some(_) => Locale::parse(get_s(item, W, "locale")?).map_err(|_| corrupt(W, "locale"))?,
            None => Locale::default(),
        },
        invited_by_email: match item.get("invitedByEmail") {
            Some(_) => Some(
                Email::parse(get_s(item, W, "invitedByEmail")?).map_err(|_| corrupt(W, "invitedByEmail"))?,
            ),
            None => None,
        },
        valid_days: match item.get("validDays") {
            Some(v) => Some(
                v.as_n()
                    .ok()
                    .and_then(|d| d.parse().ok())
                    .and_then(|d| ValidDays::parse(d).ok())
                    .ok_or_else(|| corrupt(W, "validDays"))?,
            ),
            None => None,
        },
        note: match item.get("note") {
            Some(_) => Note::parse(get_s(item, W, "note")?).map_err(|_| corrupt(W, "note"))?,
            None => None,
        },
        metadata: parse_metadata(item, W)?,
        remind_at: match item.get(REMIND_AT) {
            Some(_) => Some(get_time(item, W, REMIND_AT)?),
            None => None,
        },
        link_generation: match item.get("linkGeneration") {
            Some(v) => {
                v.as_n().ok().and_then(|g| g.parse().ok()).ok_or_else(|| corrupt(W, "linkGeneration"))?
            }
            None => 0,
        },
    })
}

/// A pending reminder (`Invitation::remind_at`), as the `byReminder` index
/// keys it: the hour it falls due in (the partition a run of the reminders
/// reads), and the instant.
pub(super) const REMIND_HOUR: &str = "remindHour";
pub(super) const REMIND_AT: &str = "remindAt";

/// The `byReminder` partition of the hour `at` falls in.
pub(super) fn reminder_hour(at: DateTime<Utc>) -> String {
    format!("REMIND#{}", at.format("%Y-%m-%dT%H"))
}

/// The attributes that put a reminder due at `due` on the schedule.
pub(super) fn reminder_keys(due: DateTime<Utc>) -> [(String, AttributeValue); 2] {
    [(REMIND_HOUR.into(), s(reminder_hour(due))), (REMIND_AT.into(), s(format_timestamp(due)))]
}

/// An invitation's history (`domain::history`): a list of entries, each
/// appended by the write that makes its change (`history_append`).
pub(super) const HISTORY: &str = "history";
/// The rank (`EmailDelivery::rank`) of the email's status: delivery feedback
/// is written only over a lower one.
pub(super) const DELIVERY_RANK: &str = "deliveryRank";
pub(super) const BOUNCE: &str = "bounceType";

/// The update clause that appends `:entry` (`history_list` of one entry) to
/// an invitation's history; invitations from before it was kept start one.
pub(super) const HISTORY_APPEND: &str = "history = list_append(if_not_exists(history, :empty), :entry)";

/// The values `HISTORY_APPEND` names.
pub(super) fn history_values(entry: HistoryEntry) -> [(&'static str, AttributeValue); 2] {
    [(":empty", AttributeValue::L(Vec::new())), (":entry", history_list(&[entry]))]
}

pub(super) fn history_list(entries: &[HistoryEntry]) -> AttributeValue {
    AttributeValue::L(entries.iter().map(history_entry).collect())
}

fn history_entry(entry: &HistoryEntry) -> AttributeValue {
    let mut m = item([("type", s(entry.change.kind())), ("at", s(format_timestamp(entry.at)))]);
    if let Some(by) = entry.change.actor() {
        m.insert("by".into(), s(by.as_str()));
    }
    if let Change::Delivery { delivery, bounce } = &entry.change {
        m.insert("delivery".into(), s(delivery.as_str()));
        if let Some(bounce) = bounce {
            m.insert("bounce".into(), s(bounce.as_str()));
        }
    }
    AttributeValue::M(m)
}

/// An invitation's history, oldest first (empty for one from before it was kept).
pub(super) fn parse_history(item: &Item) -> Result<Vec<HistoryEntry>, StoreError> {
    const W: &str = "invitation history";
    let Some(list) = item.get(HISTORY) else { return Ok(Vec::new()) };
    let list = list.as_l().map_err(|_| corrupt(W, HISTORY))?;
    list.iter()
        .map(|entry| {
            let entry = entry.as_m().map_err(|_| corrupt(W, HISTORY))?;
            let by = || -> Result<UserId, StoreError> {
                UserId::parse(get_s(entry, W, "by")?).map_err(|_| corrupt(W, "by"))
            };
            let change = match get_s(entry, W, "type")? {
                "invitation.created" => Change::Created { by: by()? },
                "invitation.resent" => Change::Resent { by: by()? },
                "invitation.accepted" => Change::Accepted { by: by()? },
                "invitation.declined" => {
                    Change::Declined { by: if entry.contains_key("by") { Some(by()?) } else { None } }
                }
                "invitation.withdrawn" => Change::Withdrawn { by: by()? },
                "invitation.reminded" => Change::Reminded,
                "invitation.delivery_changed" => Change::Delivery {
                    delivery: EmailDelivery::parse(get_s(entry, W, "delivery")?)
                        .map_err(|_| corrupt(W, "delivery"))?,
                    bounce: match entry.get("bounce") {
                        Some(_) => Some(
                            BounceType::parse(get_s(entry, W, "bounce")?)
                                .ok_or_else(|| corrupt(W, "bounce"))?,
                        ),
                        None => None,
                    },
                },
                _ => return Err(corrupt(W, "type")),
            };
            Ok(HistoryEntry { at: get_time(entry, W, "at")?, change })
        })
        .collect()
}

/// The lock that makes "one open invitation per email" a condition. It names
/// its holder and carries its expiry; past that it blocks nothing, and TTL
/// tidies it.
pub(crate) fn open_lock_item(inv: &Invitation) -> Item {
    item([
        ("pk", s(team_pk(&inv.team_id))),
        ("sk", s(open_lock_sk(&inv.email))),
        ("entity", s("open-invitation")),
        ("invitationId", s(inv.id.to_string())),
        ("expiresAtMs", n(inv.expires_at.timestamp_millis())),
        ("purgeAt", n(inv.expires_at.timestamp())),
    ])
}

/// The invitation a lock names.
pub(super) fn lock_holder(lock: &Item) -> Result<InvitationId, StoreError> {
    InvitationId::parse(get_s(lock, "open-invitation lock", "invitationId")?)
        .map_err(|_| corrupt("open-invitation lock", "invitationId"))
}

pub(crate) fn team_item(team: &Team) -> Item {
    item([
        ("pk", s(team_pk(&team.id))),
        ("sk", s(TEAM_SK)),
        ("entity", s("team")),
        ("teamId", s(team.id.as_str())),
        ("name", s(team.name.as_str())),
        ("createdAt", s(format_timestamp(team.created_at))),
    ])
}

pub(super) fn parse_team(id: &TeamId, item: &Item) -> Result<Team, StoreError> {
    Ok(Team {
        id: id.clone(),
        name: TeamName::parse(get_s(item, "team", "name")?).map_err(|_| corrupt("team", "name"))?,
        created_at: get_time(item, "team", "createdAt")?,
    })
}

pub(super) fn parse_team_record(id: &TeamId, item: &Item) -> Result<TeamRecord, StoreError> {
    let closed_at = match item.get(CLOSED_AT) {
        Some(_) => Some(get_time(item, "team", CLOSED_AT)?),
        None => None,
    };
    Ok(TeamRecord { team: parse_team(id, item)?, closed_at, limits: None, closing: parse_closing(item)? })
}

/// On a membership made through an invite link: the link's id (what
/// revoking the link with its memberships ends, and the event names).
pub(super) const JOINED_VIA: &str = "joinedVia";
/// On a membership made through a team's verified domain: the domain.
pub(super) const JOINED_DOMAIN: &str = "joinedDomain";

pub(crate) fn membership_item(m: &Membership) -> Item {
    with_metadata(
        item([
            ("pk", s(team_pk(&m.team_id))),
            ("sk", s(member_sk(&m.user_id))),
            ("entity", s("membership")),
            ("teamId", s(m.team_id.as_str())),
            ("userId", s(m.user_id.as_str())),
            ("email", s(m.email.as_str())),
            ("role", s(m.role.as_str())),
            ("joinedAt", s(format_timestamp(m.joined_at))),
        ]),
        m.metadata.as_ref(),
    )
}

/// Where it is kept: its JSON text, as given (`domain::Metadata`).
const METADATA: &str = "metadata";

fn with_metadata(mut attrs: Item, metadata: Option<&Metadata>) -> Item {
    if let Some(metadata) = metadata {
        attrs.insert(METADATA.into(), s(metadata.as_json()));
    }
    attrs
}

fn parse_metadata(item: &Item, what: &str) -> Result<Option<Metadata>, StoreError> {
    match item.get(METADATA) {
        Some(_) => {
            Ok(Some(Metadata::from_json(get_s(item, what, METADATA)?).map_err(|_| corrupt(what, METADATA))?))
        }
        None => Ok(None),
    }
}

/// The record of an ended membership, kept (until `purge_at`) so that the
/// change stream can say who ended it and why: deleting the membership itself
/// leaves only its old image.
pub(super) const ENDED_SK_PREFIX: &str = "ENDED#";

pub(super) fn ended_membership_item(e: &EndedMembership, purge_at: DateTime<Utc>) -> Item {
    let m = &e.membership;
    let ended = item([
        ("pk", s(team_pk(&m.team_id))),
        ("sk", s(format!("{ENDED_SK_PREFIX}{}#{}", format_timestamp(e.at), m.user_id))),
        ("entity", s("ended-membership")),
        ("teamId", s(m.team_id.as_str())),
        ("userId", s(m.user_id.as_str())),
        ("email", s(m.email.as_str())),
        ("role", s(m.role.as_str())),
        ("joinedAt", s(format_timestamp(m.joined_at))),
        ("endedAt", s(format_timestamp(e.at))),
        ("endedBy", s(e.by.as_str())),
        ("reason", s(e.reason.as_str())),
        ("purgeAt", n(purge_at.timestamp())),
    ]);
    with_metadata(ended, m.metadata.as_ref())
}

pub(super) fn parse_ended_membership(item: &Item) -> Result<EndedMembership, StoreError> {
    const W: &str = "ended membership";
    Ok(EndedMembership {
        membership: parse_membership(item)?,
        reason: EndReason::parse(get_s(item, W, "reason")?).ok_or_else(|| corrupt(W, "reason"))?,
        by: UserId::parse(get_s(item, W, "endedBy")?).map_err(|_| corrupt(W, "endedBy"))?,
        at: get_time(item, W, "endedAt")?,
    })
}

/// Reserves the member's email in the team, so "already a member" is a condition.
pub(super) fn member_email_item(m: &Membership) -> Item {
    item([
        ("pk", s(team_pk(&m.team_id))),
        ("sk", s(member_email_sk(&m.email))),
        ("entity", s("member-email")),
        ("userId", s(m.user_id.as_str())),
    ])
}

pub(super) fn parse_membership(item: &Item) -> Result<Membership, StoreError> {
    const W: &str = "membership";
    Ok(Membership {
        team_id: TeamId::parse(get_s(item, W, "teamId")?).map_err(|_| corrupt(W, "teamId"))?,
        user_id: UserId::parse(get_s(item, W, "userId")?).map_err(|_| corrupt(W, "userId"))?,
        email: Email::parse(get_s(item, W, "email")?).map_err(|_| corrupt(W, "email"))?,
        role: RoleName::parse(get_s(item, W, "role")?).map_err(|_| corrupt(W, "role"))?,
        joined_at: get_time(item, W, "joinedAt")?,
        metadata: parse_metadata(item, W)?,
    })
}

/// The index key a list page resumes after: in `byTeam` for the whole list,
/// in `byStatus` for one status (`stored`: the status as the table holds it).
pub(super) fn exclusive_start_key(team: &TeamId, stored: Option<Status>, cursor: &PageCursor) -> Item {
    let mut key = item([
        ("pk", s(invitation_pk(cursor.id))),
        ("sk", s(INVITATION_SK)),
        ("gsi1pk", s(by_team_pk(team))),
    ]);
    match stored {
        None => key.insert("gsi1sk".into(), s(by_team_sk(cursor.at, cursor.id))),
        Some(status) => key.insert("gsi2sk".into(), s(by_status_sk(status, cursor.at, cursor.id))),
    };
    key
}

/// The `byEmail` index key a page of someone's open invitations resumes after.
pub(super) fn email_start_key(email: &Email, cursor: &PageCursor) -> Item {
    item([
        ("pk", s(invitation_pk(cursor.id))),
        ("sk", s(INVITATION_SK)),
        ("gsi3pk", s(by_email_pk(email))),
        ("gsi2sk", s(by_status_sk(Status::Open, cursor.at, cursor.id))),
    ])
}

/// The cursor after `inv` in the order a page was read in.
pub(super) fn cursor_after(inv: &Invitation, by_status: bool) -> PageCursor {
    PageCursor { at: if by_status { by_status_at(inv) } else { inv.created_at }, id: inv.id }
}

pub(super) fn cursor_from_key(key: &Item) -> Result<PageCursor, StoreError> {
    let (field, raw) = match key.get("gsi2sk") {
        Some(_) => ("gsi2sk", get_s(key, "last evaluated key", "gsi2sk")?),
        None => ("gsi1sk", get_s(key, "last evaluated key", "gsi1sk")?),
    };
    let (at, id) = raw.rsplit_once('#').ok_or_else(|| corrupt("key", field))?;
    // `byStatus` keys start with the status: the instant is what follows it.
    let at = at.rsplit_once('#').map_or(at, |(_, at)| at);
    Ok(PageCursor {
        at: parse_timestamp(at).ok_or_else(|| corrupt("key", field))?,
        id: InvitationId::parse(id).map_err(|_| corrupt("key", field))?,
    })
}

#[cfg(test)]
#[path = "items_tests.rs"]
mod tests;

/// Where a request's answer is kept (join requests, requests to accept as
/// another address): its decision, who made it, when.
pub(super) const DECISION: &str = "decision";

pub(super) fn insert_decided(attrs: &mut Item, decided: Option<&Decided>) {
    if let Some(d) = decided {
        attrs.insert(DECISION.into(), s(d.decision.as_str()));
        attrs.insert("decidedBy".into(), s(d.by.as_str()));
        attrs.insert("decidedAt".into(), s(format_timestamp(d.at)));
    }
}

pub(super) fn parse_decided(item: &Item, what: &str) -> Result<Option<Decided>, StoreError> {
    if !item.contains_key(DECISION) {
        return Ok(None);
    }
    Ok(Some(Decided {
        decision: Decision::parse(get_s(item, what, DECISION)?).ok_or_else(|| corrupt(what, DECISION))?,
        by: UserId::parse(get_s(item, what, "decidedBy")?).map_err(|_| corrupt(what, "decidedBy"))?,
        at: get_time(item, what, "decidedAt")?,
    }))
}
