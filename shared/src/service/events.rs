//! What the rest of the platform hears: each committed change, read from the
//! table's change stream, as one event with a versioned `detail`
//! (docs/events.md; a JSON Schema per event under docs/events/).
//!
//! The stream holds exactly what was committed, in order per item, so no
//! change goes unheard and no event describes a change that did not happen.
//! It may hand a record over more than once (a retried batch): the same
//! change always makes the same event, with the same `eventId`, which
//! consumers deduplicate on.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use chrono::{DateTime, Utc};

use crate::domain::{
    Change, Decision, EndedMembership, HistoryEntry, Invitation, InviteLink, JoinRequest, Membership, UserId,
};
use crate::ports::{ChangeRecord, Committed, EventPublisher, OutgoingEvent};
use crate::time::format_timestamp;

/// The `detail` schema's version: raised by a change a consumer could trip on
/// (a field removed or changing meaning); new fields do not raise it.
pub const SCHEMA_VERSION: u32 = 1;

/// The events of one committed change.
pub fn events_of(committed: &Committed) -> Vec<OutgoingEvent> {
    match committed {
        Committed::Invitation { invitation, entries } => {
            entries.iter().map(|(position, entry)| invitation_event(invitation, *position, entry)).collect()
        }
        Committed::MembershipCreated { membership: m, invitation, link, domain } => {
            let id = event_id(&[
                "membership.created",
                m.team_id.as_str(),
                m.user_id.as_str(),
                &format_timestamp(m.joined_at),
            ]);
            // Accepting, or joining through a link or a domain, makes the
            // member; a team's first owner is the platform's doing.
            let actor =
                (invitation.is_some() || link.is_some() || domain.is_some()).then_some(m.user_id.as_str());
            let detail = json!({
                "version": SCHEMA_VERSION,
                "eventId": id,
                "occurredAt": format_timestamp(m.joined_at),
                "teamId": m.team_id.as_str(),
                "actor": actor,
                "membership": membership(m),
                "invitationId": invitation.map(|i| i.to_string()),
                "inviteLinkId": link.map(|l| l.to_string()),
                "joinDomain": domain.as_ref().map(|d| d.as_str()),
            });
            vec![event("membership.created", m.joined_at, detail)]
        }
        Committed::InviteLinkCreated(link) => {
            let id = event_id(&["invite_link.created", link.team_id.as_str(), &link.id.to_string()]);
            let detail = json!({
                "version": SCHEMA_VERSION,
                "eventId": id,
                "occurredAt": format_timestamp(link.created_at),
                "teamId": link.team_id.as_str(),
                "actor": link.created_by.as_str(),
                "inviteLink": invite_link(link),
            });
            vec![event("invite_link.created", link.created_at, detail)]
        }
        Committed::InviteLinkUsed { team, used } => {
            let link = used.link.to_string();
            let id = event_id(&["invite_link.used", team.as_str(), &link, used.user_id.as_str()]);
            let detail = json!({
                "version": SCHEMA_VERSION,
                "eventId": id,
                "occurredAt": format_timestamp(used.joined_at),
                "teamId": team.as_str(),
                "actor": used.user_id.as_str(),
                "inviteLinkId": link,
                "userId": used.user_id.as_str(),
                "email": used.email.as_str(),
            });
            vec![event("invite_link.used", used.joined_at, detail)]
        }
        Committed::JoinRequested(r) => {
            vec![join_request_event("join_request.created", r, r.created_at, &r.user_id)]
        }
        Committed::JoinRequestAnswered(r) => match &r.decided {
            Some(d) => {
                let kind = match d.decision {
                    Decision::Approved => "join_request.approved",
                    Decision::Denied => "join_request.denied",
                    Decision::Cancelled => "join_request.cancelled",
                };
                vec![join_request_event(kind, r, d.at, &d.by)]
            }
            None => Vec::new(),
        },
        Committed::InviteLinkRevoked(link) => {
            let Some(revoked) = &link.revoked else { return Vec::new() };
            let id = event_id(&["invite_link.revoked", link.team_id.as_str(), &link.id.to_string()]);
            let detail = json!({
                "version": SCHEMA_VERSION,
                "eventId": id,
                "occurredAt": format_timestamp(revoked.at),
                "teamId": link.team_id.as_str(),
                "actor": revoked.by.as_str(),
                "inviteLink": invite_link(link),
            });
            vec![event("invite_link.revoked", revoked.at, detail)]
        }
        Committed::MembershipEnded(EndedMembership { membership: m, reason, by, at }) => {
            let id = event_id(&[
                "membership.revoked",
                m.team_id.as_str(),
                m.user_id.as_str(),
                &format_timestamp(*at),
            ]);
            let detail = json!({
                "version": SCHEMA_VERSION,
                "eventId": id,
                "occurredAt": format_timestamp(*at),
                "teamId": m.team_id.as_str(),
                "actor": by.as_str(),
                "reason": reason.as_str(),
                "membership": membership(m),
            });
            vec![event("membership.revoked", *at, detail)]
        }
        Committed::RoleChanged(change) => {
            let m = &change.membership;
            let id = event_id(&[
                "membership.role_changed",
                m.team_id.as_str(),
                m.user_id.as_str(),
                &format_timestamp(change.at),
            ]);
            let detail = json!({
                "version": SCHEMA_VERSION,
                "eventId": id,
                "occurredAt": format_timestamp(change.at),
                "teamId": m.team_id.as_str(),
                "actor": change.by.as_str(),
                "previousRole": m.role.as_str(),
                "membership": membership(&change.changed()),
            });
            vec![event("membership.role_changed", change.at, detail)]
        }
        Committed::SeatsFilled { team, seats, members, at, change } => {
            let detail = json!({
                "version": SCHEMA_VERSION,
                "eventId": event_id(&["team.seat_limit_reached", team.as_str(), change]),
                "occurredAt": format_timestamp(*at),
                "teamId": team.as_str(),
                "actor": null,
                "seatLimit": seats,
                "members": members,
            });
            vec![event("team.seat_limit_reached", *at, detail)]
        }
    }
}

fn invitation_event(inv: &Invitation, position: usize, entry: &HistoryEntry) -> OutgoingEvent {
    let kind = entry.change.kind();
    let (delivery, bounce) = match &entry.change {
        Change::Delivery { delivery, bounce } => (*delivery, *bounce),
        _ => (inv.email_delivery, inv.bounce),
    };
    let detail = json!({
        "version": SCHEMA_VERSION,
        "eventId": event_id(&[kind, &inv.id.to_string(), &position.to_string()]),
        // Its place in the invitation's history: orders one invitation's events.
        "sequence": position,
        "occurredAt": format_timestamp(entry.at),
        "teamId": inv.team_id.as_str(),
        "actor": entry.change.actor().map(|u| u.as_str()),
        "invitation": {
            "id": inv.id.to_string(),
            "email": inv.email.as_str(),
            "role": inv.role.as_str(),
            // As stored: an open invitation expires at `expiresAt` without a write.
            "status": inv.resolution.stored_status().as_str(),
            "invitedBy": inv.invited_by.as_str(),
            "createdAt": format_timestamp(inv.created_at),
            "expiresAt": format_timestamp(inv.expires_at),
            "linkGeneration": inv.link_generation,
            "emailDelivery": delivery.as_str(),
            "bounceType": bounce.map(|b| b.as_str()),
            "metadata": inv.metadata.as_ref().map(|m| m.to_value()),
        },
    });
    event(kind, entry.at, detail)
}

/// A join request's event: `actor` asked, or answered it, at `at`.
fn join_request_event(
    kind: &'static str,
    r: &JoinRequest,
    at: DateTime<Utc>,
    actor: &UserId,
) -> OutgoingEvent {
    let asked = format_timestamp(r.created_at);
    let detail = json!({
        "version": SCHEMA_VERSION,
        "eventId": event_id(&[kind, r.team_id.as_str(), r.user_id.as_str(), &asked]),
        "occurredAt": format_timestamp(at),
        "teamId": r.team_id.as_str(),
        "actor": actor.as_str(),
        "request": {
            "userId": r.user_id.as_str(),
            "email": r.email.as_str(),
            "role": r.role.as_str(),
            "inviteLinkId": r.via.link().map(|l| l.to_string()),
            "domain": r.via.domain().map(|d| d.as_str()),
            "createdAt": asked,
            "expiresAt": format_timestamp(r.expires_at),
        },
    });
    event(kind, at, detail)
}

/// An invite link as events carry it: never its token.
fn invite_link(link: &InviteLink) -> Value {
    json!({
        "id": link.id.to_string(),
        "role": link.role.as_str(),
        "createdBy": link.created_by.as_str(),
        "createdAt": format_timestamp(link.created_at),
        "expiresAt": format_timestamp(link.expires_at),
        "maxUses": link.max_uses.get(),
        "uses": link.uses,
        "domains": link.domains.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "approval": link.approval,
    })
}

fn membership(m: &Membership) -> Value {
    json!({
        "userId": m.user_id.as_str(),
        "email": m.email.as_str(),
        "role": m.role.as_str(),
        "joinedAt": format_timestamp(m.joined_at),
        "metadata": m.metadata.as_ref().map(|m| m.to_value()),
    })
}

fn event(kind: &'static str, time: chrono::DateTime<chrono::Utc>, detail: Value) -> OutgoingEvent {
    OutgoingEvent { kind, time, detail: detail.to_string() }
}

/// A change's event id: the same change always gets the same id (32 hex digits
/// of a SHA-256 of what identifies it), and no two changes share one.
fn event_id(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        // Length-prefixed, so that no two lists of parts hash the same input.
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Publishes the events of a batch of committed changes, in order. Returns the sequence
/// number of the first record not fully published, if any: Lambda hands that
/// record and every later one over again (events of later records that did go
/// out are then sent twice, with the same ids), and after its retries sends
/// them to the dead-letter queue. An unreadable record stops the batch too.
pub async fn publish_changes<P: EventPublisher>(publisher: &P, records: &[ChangeRecord]) -> Option<String> {
    let mut events = Vec::new();
    let mut of_record = Vec::new();
    let mut stop = None;
    for (i, record) in records.iter().enumerate() {
        match &record.committed {
            Ok(changes) => {
                for change in changes {
                    for e in events_of(change) {
                        events.push(e);
                        of_record.push(i);
                    }
                }
            }
            Err(e) => {
                tracing::error!(sequence = %record.sequence, error = %e, "unreadable stream record");
                stop = Some(i);
                break;
            }
        }
    }
    if let Err(e) = publisher.publish(&events).await {
        tracing::error!(error = %e, "events not published");
        let failed = of_record.get(e.first).copied().unwrap_or(0);
        stop = Some(stop.map_or(failed, |s| s.min(failed)));
    }
    let published = stop.map_or(events.len(), |s| of_record.iter().take_while(|&&r| r < s).count());
    tracing::info!(records = records.len(), events = published, "changes published");
    stop.map(|i| records[i].sequence.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_fixed_by_the_change_and_differ_between_changes() {
        let a = event_id(&["invitation.created", "0b5e", "0"]);
        assert_eq!(a, event_id(&["invitation.created", "0b5e", "0"]));
        assert_eq!(a.len(), 32);
        assert_ne!(a, event_id(&["invitation.created", "0b5e", "1"]));
        // Where one part ends and the next begins is part of the id.
        assert_ne!(event_id(&["ab", "c"]), event_id(&["a", "bc"]));
    }
}
