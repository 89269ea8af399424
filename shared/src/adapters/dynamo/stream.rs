//! The table's change stream (DynamoDB Streams, new and old images), read as
//! the changes it committed. Lambda hands the function the records exactly as
//! `GetRecords` returns them, with the images in DynamoDB's JSON.
//!
//! Which item changes are changes others hear of:
//! - an invitation's history grew: each new entry (one per write);
//! - a membership was created, or its role changed;
//! - a membership's end was recorded (its deletion itself says nothing: who
//!   ended it, and why, is on the record written with it);
//! - a team's members came to fill its seat limit (its seats item);
//! - an invite link was made, used (the record of the join) or revoked;
//! - a join request was made (or made again), or answered.
//!
//! Every other write (locks, limits, renames, releases) and every removal
//! (the TTL purge included) commits nothing others hear of.
//!
//! A closed team's item hands its closing's next step to the `closing`
//! function ([`closing_step`]).
//!
//! The batch itself is walked by the edge (`triggers::stream`); this module
//! reads one record's images, which only the table's layout explains.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::DateTime;
use serde_json::Value;

use super::items::{
    corrupt, get_s, get_time, parse_ended_membership, parse_history, parse_invitation, parse_membership,
    parse_usage, Item, JOINED_DOMAIN, JOINED_VIA, SEATS_SK,
};
use super::join_requests::parse_join_request;
use super::link_items::{parse_invite_link, REVOKED_AT};
use super::links::parse_link_use;
use super::teams::parse_closing;
use crate::domain::{EmailDomain, InvitationId, InviteLinkId, RoleChange, TeamId, UserId};
use crate::ports::{Closing, Committed, StoreError};

/// What one stream record committed.
pub fn committed(record: &Value) -> Result<Vec<Committed>, StoreError> {
    let bad = |what: &str| StoreError::Other(format!("unreadable stream record: {what}"));
    let event = record.get("eventName").and_then(Value::as_str).ok_or_else(|| bad("no eventName"))?;
    if event == "REMOVE" {
        return Ok(Vec::new());
    }
    let new = record
        .pointer("/dynamodb/NewImage")
        .ok_or_else(|| bad("no NewImage (the stream must carry new and old images)"))?;
    let new = image(new)?;
    let old = match record.pointer("/dynamodb/OldImage") {
        Some(old) => Some(image(old)?),
        None => None,
    };
    if new.get("sk").and_then(|sk| sk.as_s().ok()).is_some_and(|sk| sk == SEATS_SK) {
        return seats_filled(record, old.as_ref(), &new);
    }
    // Items without an entity (the limits items) are bookkeeping.
    let Some(entity) = new.get("entity").and_then(|e| e.as_s().ok()) else { return Ok(Vec::new()) };
    match (entity.as_str(), event) {
        ("invitation", _) => {
            let before = match &old {
                Some(old) => parse_history(old)?.len(),
                None => 0,
            };
            let entries: Vec<_> = parse_history(&new)?.into_iter().enumerate().skip(before).collect();
            if entries.is_empty() {
                return Ok(Vec::new());
            }
            Ok(vec![Committed::Invitation { invitation: Box::new(parse_invitation(&new)?), entries }])
        }
        ("membership", "INSERT") => {
            let invitation = match new.get("invitationId") {
                Some(_) => Some(
                    InvitationId::parse(get_s(&new, "membership", "invitationId")?)
                        .map_err(|_| corrupt("membership", "invitationId"))?,
                ),
                None => None,
            };
            let link = match new.get(JOINED_VIA) {
                Some(_) => Some(
                    InviteLinkId::parse(get_s(&new, "membership", JOINED_VIA)?)
                        .map_err(|_| corrupt("membership", JOINED_VIA))?,
                ),
                None => None,
            };
            let domain = match new.get(JOINED_DOMAIN) {
                Some(_) => Some(
                    EmailDomain::parse(get_s(&new, "membership", JOINED_DOMAIN)?)
                        .map_err(|_| corrupt("membership", JOINED_DOMAIN))?,
                ),
                None => None,
            };
            let membership = parse_membership(&new)?;
            Ok(vec![Committed::MembershipCreated { membership, invitation, link, domain }])
        }
        ("invite-link", "INSERT") => Ok(vec![Committed::InviteLinkCreated(parse_invite_link(&new)?)]),
        // A link's other changes are its uses (each told by its record) and
        // its revocation, once.
        ("invite-link", "MODIFY") => {
            let newly_revoked =
                new.contains_key(REVOKED_AT) && !old.as_ref().is_some_and(|old| old.contains_key(REVOKED_AT));
            match newly_revoked {
                true => Ok(vec![Committed::InviteLinkRevoked(parse_invite_link(&new)?)]),
                false => Ok(Vec::new()),
            }
        }
        ("join-request", _) => {
            let request = parse_join_request(&new)?;
            let before = old.as_ref().map(parse_join_request).transpose()?;
            Ok(match (&before, &request.decided) {
                // Answered by this write.
                (Some(b), Some(_)) if b.decided.is_none() => vec![Committed::JoinRequestAnswered(request)],
                (_, Some(_)) => Vec::new(),
                // Asked anew (the first time, or after an answer or expiry); a
                // pending request is never rewritten otherwise.
                (Some(b), None) if b.decided.is_none() && b.created_at == request.created_at => Vec::new(),
                (_, None) => vec![Committed::JoinRequested(request)],
            })
        }
        ("invite-link-use", "INSERT") => {
            let team = get_s(&new, "invite link use", "pk")?
                .strip_prefix("TEAM#")
                .and_then(|id| TeamId::parse(id).ok())
                .ok_or_else(|| corrupt("invite link use", "pk"))?;
            Ok(vec![Committed::InviteLinkUsed { team, used: parse_link_use(&new)? }])
        }
        // A membership's other changes are its role's (`change_role`), each
        // stamped with who made it.
        ("membership", "MODIFY") => {
            let Some(old) = old.filter(|old| old.get("role") != new.get("role")) else {
                return Ok(Vec::new());
            };
            const W: &str = "membership";
            let by =
                UserId::parse(get_s(&new, W, "roleChangedBy")?).map_err(|_| corrupt(W, "roleChangedBy"))?;
            Ok(vec![Committed::RoleChanged(RoleChange {
                membership: parse_membership(&old)?,
                role: parse_membership(&new)?.role,
                by,
                at: get_time(&new, W, "roleChangedAt")?,
            })])
        }
        ("ended-membership", "INSERT") => Ok(vec![Committed::MembershipEnded(parse_ended_membership(&new)?)]),
        _ => Ok(Vec::new()),
    }
}

/// A write of a team's seats item that brought its members to its seat limit
/// (from below, or with the limit newly set at or under them).
fn seats_filled(record: &Value, old: Option<&Item>, new: &Item) -> Result<Vec<Committed>, StoreError> {
    let usage = parse_usage(std::slice::from_ref(new))?;
    let Some(seats) = usage.seats.filter(|seats| usage.members >= i64::from(*seats)) else {
        return Ok(Vec::new());
    };
    let before = old.map(|old| parse_usage(std::slice::from_ref(old))).transpose()?;
    if before.is_some_and(|b| b.seats.is_some_and(|limit| b.members >= i64::from(limit))) {
        return Ok(Vec::new());
    }
    let bad = |what: &str| StoreError::Other(format!("unreadable stream record: {what}"));
    let team = get_s(new, "seats", "pk")?
        .strip_prefix("TEAM#")
        .and_then(|id| TeamId::parse(id).ok())
        .ok_or_else(|| corrupt("seats", "pk"))?;
    let at = record
        .pointer("/dynamodb/ApproximateCreationDateTime")
        .and_then(Value::as_f64)
        .and_then(|secs| DateTime::from_timestamp_millis((secs * 1000.0) as i64))
        .ok_or_else(|| bad("no ApproximateCreationDateTime"))?;
    let change = record
        .pointer("/dynamodb/SequenceNumber")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no SequenceNumber"))?
        .to_owned();
    Ok(vec![Committed::SeatsFilled { team, seats, members: usage.members, at, change }])
}

/// The closing step a stream record hands over: the team's, when the record
/// is a closed team's item whose closing has not finished (None: any other).
pub fn closing_step(record: &Value) -> Result<Option<(TeamId, Closing)>, StoreError> {
    let Some(new) = record.pointer("/dynamodb/NewImage") else { return Ok(None) };
    let new = image(new)?;
    if new.get("entity").and_then(|e| e.as_s().ok()).map(String::as_str) != Some("team") {
        return Ok(None);
    }
    let Some(closing) = parse_closing(&new)? else { return Ok(None) };
    if closing.done() {
        return Ok(None);
    }
    let team = TeamId::parse(get_s(&new, "team", "teamId")?).map_err(|_| corrupt("team", "teamId"))?;
    Ok(Some((team, closing)))
}

/// An item image in DynamoDB's JSON (`{"name": {"S": "..."}}`).
pub fn image(json: &Value) -> Result<Item, StoreError> {
    let map = json.as_object().ok_or_else(|| StoreError::Other("an image is not a JSON object".into()))?;
    map.iter().map(|(k, v)| Ok((k.clone(), attribute(v)?))).collect()
}

fn attribute(json: &Value) -> Result<AttributeValue, StoreError> {
    let bad = || StoreError::Other(format!("unreadable attribute value: {json}"));
    let obj = json.as_object().filter(|o| o.len() == 1).ok_or_else(bad)?;
    let (kind, v) = obj.iter().next().ok_or_else(bad)?;
    let text = || v.as_str().map(str::to_owned).ok_or_else(bad);
    let texts = || -> Result<Vec<String>, StoreError> {
        v.as_array().ok_or_else(bad)?.iter().map(|t| t.as_str().map(str::to_owned).ok_or_else(bad)).collect()
    };
    let blob = |t: &str| STANDARD.decode(t).map(Blob::new).map_err(|_| bad());
    Ok(match kind.as_str() {
        "S" => AttributeValue::S(text()?),
        "N" => AttributeValue::N(text()?),
        "B" => AttributeValue::B(blob(&text()?)?),
        "BOOL" => AttributeValue::Bool(v.as_bool().ok_or_else(bad)?),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(texts()?),
        "NS" => AttributeValue::Ns(texts()?),
        "BS" => AttributeValue::Bs(texts()?.iter().map(|t| blob(t)).collect::<Result<_, _>>()?),
        "L" => {
            AttributeValue::L(v.as_array().ok_or_else(bad)?.iter().map(attribute).collect::<Result<_, _>>()?)
        }
        "M" => AttributeValue::M(image(v)?),
        _ => return Err(bad()),
    })
}
