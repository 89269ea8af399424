//! JSON shapes of the API (camelCase), built from domain values.

use serde_json::{json, Map, Value};

use crate::domain::{Membership, Resolution};
use crate::service::{InvitationView, Withdrawn};
use crate::time::format_timestamp;

pub fn invitation(view: &InvitationView) -> Value {
    let inv = &view.invitation;
    let mut m = Map::new();
    m.insert("id".into(), json!(inv.id.to_string()));
    m.insert("teamId".into(), json!(inv.team_id.as_str()));
    m.insert("teamName".into(), json!(inv.team_name.as_str()));
    m.insert("email".into(), json!(inv.email.as_str()));
    m.insert("role".into(), json!(inv.role.as_str()));
    m.insert("status".into(), json!(view.status.as_str()));
    m.insert("invitedBy".into(), json!(inv.invited_by.as_str()));
    m.insert("createdAt".into(), json!(format_timestamp(inv.created_at)));
    m.insert("expiresAt".into(), json!(format_timestamp(inv.expires_at)));
    let (by_key, at_key, by, at) = match &inv.resolution {
        Resolution::Open => ("", "", None, None),
        Resolution::Accepted { by, at } => ("acceptedBy", "acceptedAt", Some(by), Some(at)),
        Resolution::Declined { by, at } => ("declinedBy", "declinedAt", by.as_ref(), Some(at)),
        Resolution::Withdrawn { by, at } => ("withdrawnBy", "withdrawnAt", Some(by), Some(at)),
    };
    if let Some(at) = at {
        m.insert(at_key.into(), json!(format_timestamp(*at)));
        m.insert(by_key.into(), by.map_or(Value::Null, |b| json!(b.as_str())));
    }
    m.insert("emailDelivery".into(), json!(inv.email_delivery.as_str()));
    if let Some(link) = &view.link {
        m.insert("link".into(), json!(link));
    }
    Value::Object(m)
}

/// What the holder of a link sees before answering: enough to decide, nothing
/// about the team's members.
pub fn preview(view: &InvitationView) -> Value {
    let inv = &view.invitation;
    json!({
        "id": inv.id.to_string(),
        "teamId": inv.team_id.as_str(),
        "teamName": inv.team_name.as_str(),
        "email": inv.email.as_str(),
        "role": inv.role.as_str(),
        "status": view.status.as_str(),
        "createdAt": format_timestamp(inv.created_at),
        "expiresAt": format_timestamp(inv.expires_at),
    })
}

/// The answer to a withdrawal: what changed. The full invitation is one list
/// call away; fetching it here would cost every withdrawal another read.
pub fn withdrawn(w: &Withdrawn) -> Value {
    json!({
        "id": w.id.to_string(),
        "teamId": w.team_id.as_str(),
        "status": "withdrawn",
        "withdrawnBy": w.by.as_str(),
        "withdrawnAt": format_timestamp(w.at),
    })
}

pub fn membership(m: &Membership) -> Value {
    json!({
        "teamId": m.team_id.as_str(),
        "userId": m.user_id.as_str(),
        "email": m.email.as_str(),
        "role": m.role.as_str(),
        "joinedAt": format_timestamp(m.joined_at),
    })
}
