//! The JSON shapes of the API, as types: the compiler holds the field names
//! (camelCase on the wire), `docs/openapi.yaml` describes them, and schemathesis
//! checks every response against it (`scripts/smoke`, `scripts/stack`).

use serde::Serialize;

use crate::domain::{Change, Email, HistoryEntry, Invitation, Membership, Resolution};
use crate::ports::{MemberCursor, MemberPage, PageCursor};
use crate::service::invitations::{Accepted, InvitationPage, InvitationView, Withdrawn};
use crate::service::members::{Removed, RoleChanged, Seats, TeamRole};
use crate::time::format_timestamp;

/// An invitation as a team's manager or member sees it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationBody<'a> {
    /// What the link's holder sees too.
    #[serde(flatten)]
    preview: PreviewBody<'a>,
    invited_by: &'a str,
    /// `acceptedAt`/`acceptedBy`, `declinedAt`/`declinedBy` or
    /// `withdrawnAt`/`withdrawnBy`, once answered or withdrawn.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    resolution: Option<ResolutionBody<'a>>,
    email_delivery: &'static str,
    /// `permanent`, `transient` or `undetermined`, when the email bounced.
    #[serde(skip_serializing_if = "Option::is_none")]
    bounce_type: Option<&'static str>,
    /// Only for callers holding `members.manage`, and only while open.
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'a str>,
    /// The token in `link`, under the same rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    link_token: Option<&'a str>,
    /// What the caller may do with it now (`withdraw`, `copyLink`).
    actions: Vec<&'static str>,
    /// The metadata, where given: only in the answers to its sending (invite,
    /// batch, resend), which go to the team's managers; never to the invitee.
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum ResolutionBody<'a> {
    #[serde(rename_all = "camelCase")]
    Accepted { accepted_at: String, accepted_by: &'a str },
    /// `declinedBy` is null when the link's holder declined without signing in.
    #[serde(rename_all = "camelCase")]
    Declined { declined_at: String, declined_by: Option<&'a str> },
    #[serde(rename_all = "camelCase")]
    Withdrawn { withdrawn_at: String, withdrawn_by: &'a str },
}

impl<'a> ResolutionBody<'a> {
    fn of(resolution: &'a Resolution) -> Option<Self> {
        Some(match resolution {
            Resolution::Open => return None,
            Resolution::Accepted { by, at } => {
                Self::Accepted { accepted_at: format_timestamp(*at), accepted_by: by.as_str() }
            }
            Resolution::Declined { by, at } => Self::Declined {
                declined_at: format_timestamp(*at),
                declined_by: by.as_ref().map(|b| b.as_str()),
            },
            Resolution::Withdrawn { by, at } => {
                Self::Withdrawn { withdrawn_at: format_timestamp(*at), withdrawn_by: by.as_str() }
            }
        })
    }
}

pub fn invitation(view: &InvitationView) -> InvitationBody<'_> {
    let inv: &Invitation = &view.invitation;
    InvitationBody {
        preview: preview(view),
        invited_by: inv.invited_by.as_str(),
        resolution: ResolutionBody::of(&inv.resolution),
        email_delivery: inv.email_delivery.as_str(),
        bounce_type: inv.bounce.map(|b| b.as_str()),
        link: view.link.as_deref(),
        link_token: view.link_token.as_deref(),
        actions: view.actions.iter().map(|a| a.as_str()).collect(),
        metadata: None,
    }
}

/// An invitation as the answer to its sending (invite, batch, resend) shows
/// it to the manager who sent it: with its metadata.
pub fn sent(view: &InvitationView) -> InvitationBody<'_> {
    InvitationBody { metadata: view.invitation.metadata.as_ref().map(|m| m.to_value()), ..invitation(view) }
}

/// One entry of an invitation's history.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntryBody<'a> {
    /// The change, named as its event's `detail-type` (`invitation.created`, ...).
    #[serde(rename = "type")]
    kind: &'static str,
    at: String,
    /// Who made it; null for the email's fate and anonymous declines.
    actor: Option<&'a str>,
    /// On `invitation.delivery_changed`: what SES said.
    #[serde(skip_serializing_if = "Option::is_none")]
    email_delivery: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bounce_type: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct HistoryBody<'a> {
    history: Vec<HistoryEntryBody<'a>>,
}

pub fn history(entries: &[HistoryEntry]) -> HistoryBody<'_> {
    HistoryBody {
        history: entries
            .iter()
            .map(|e| {
                let (email_delivery, bounce_type) = match &e.change {
                    Change::Delivery { delivery, bounce } => {
                        (Some(delivery.as_str()), bounce.map(|b| b.as_str()))
                    }
                    _ => (None, None),
                };
                HistoryEntryBody {
                    kind: e.change.kind(),
                    at: format_timestamp(e.at),
                    actor: e.change.actor().map(|u| u.as_str()),
                    email_delivery,
                    bounce_type,
                }
            })
            .collect(),
    }
}

/// One entry of a batch's answer: the invitation made, or why not.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResultBody<'a> {
    email: &'a str,
    /// `created`, or the problem's code (`already_invited`, `already_member`,
    /// `validation_failed`, ...).
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation: Option<InvitationBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct BatchBody<'a> {
    results: Vec<BatchResultBody<'a>>,
}

/// The results of a batch, in the order of the request's `emails`.
pub fn batch<'a>(emails: &'a [String], results: &'a [Result<InvitationView, crate::Error>]) -> BatchBody<'a> {
    BatchBody {
        results: emails
            .iter()
            .zip(results)
            .map(|(email, result)| match result {
                Ok(view) => BatchResultBody {
                    email: view.invitation.email.as_str(),
                    status: "created",
                    invitation: Some(sent(view)),
                    problem: None,
                },
                Err(e) => BatchResultBody {
                    email,
                    status: super::problem::describe(e).code,
                    invitation: None,
                    problem: Some(super::problem::problem_body(e)),
                },
            })
            .collect(),
    }
}

/// A page of a team's invitations.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationListBody<'a> {
    invitations: Vec<InvitationBody<'a>>,
    /// Null on the last page.
    next_cursor: Option<String>,
}

pub fn invitation_list(page: &InvitationPage) -> InvitationListBody<'_> {
    InvitationListBody {
        invitations: page.invitations.iter().map(invitation).collect(),
        next_cursor: page.next.as_ref().map(PageCursor::encode),
    }
}

/// A page of previews: the invitations waiting for the caller.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewListBody<'a> {
    invitations: Vec<PreviewBody<'a>>,
    /// Null on the last page.
    next_cursor: Option<String>,
}

pub fn preview_list(page: &InvitationPage) -> PreviewListBody<'_> {
    PreviewListBody {
        invitations: page.invitations.iter().map(preview).collect(),
        next_cursor: page.next.as_ref().map(PageCursor::encode),
    }
}

/// What the holder of a link sees before answering: enough to decide, nothing
/// about the team's members.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewBody<'a> {
    id: String,
    team_id: &'a str,
    team_name: &'a str,
    email: &'a str,
    role: &'a str,
    status: &'static str,
    created_at: String,
    expires_at: String,
    /// The language its email was written in, for the page the link opens.
    locale: &'a str,
    /// Who invited, as the email named them (absent on old invitations).
    #[serde(skip_serializing_if = "Option::is_none")]
    invited_by_email: Option<&'a str>,
    /// The inviter's note, where there is one (read from the invitation
    /// itself: the link's preview, not the lists, whose indexes omit it).
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

pub fn preview(view: &InvitationView) -> PreviewBody<'_> {
    let inv = &view.invitation;
    PreviewBody {
        id: inv.id.to_string(),
        team_id: inv.team_id.as_str(),
        team_name: inv.team_name.as_str(),
        email: inv.email.as_str(),
        role: inv.role.as_str(),
        status: view.status.as_str(),
        created_at: format_timestamp(inv.created_at),
        expires_at: format_timestamp(inv.expires_at),
        locale: inv.locale.as_str(),
        invited_by_email: inv.invited_by_email.as_ref().map(Email::as_str),
        note: inv.note.as_ref().map(|n| n.as_str()),
    }
}

/// The answer to a decline: what the link's holder could already see (the
/// preview) and what changed; the decline route has no authorizer, so nothing
/// more (not who invited, not the email's delivery).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeclinedBody<'a> {
    #[serde(flatten)]
    preview: PreviewBody<'a>,
    declined_at: String,
    /// Null when the link's holder declined without signing in.
    declined_by: Option<&'a str>,
}

pub fn declined(view: &InvitationView) -> Result<DeclinedBody<'_>, crate::Error> {
    match &view.invitation.resolution {
        Resolution::Declined { by, at } => Ok(DeclinedBody {
            preview: preview(view),
            declined_at: format_timestamp(*at),
            declined_by: by.as_ref().map(|b| b.as_str()),
        }),
        other => Err(crate::Error::internal(format!("a decline answered with {other:?}"))),
    }
}

/// The answer to a withdrawal: what changed. The full invitation is one list
/// call away; fetching it here would cost every withdrawal another read.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawnBody<'a> {
    id: String,
    team_id: &'a str,
    status: &'static str,
    withdrawn_by: &'a str,
    withdrawn_at: String,
}

pub fn withdrawn(w: &Withdrawn) -> WithdrawnBody<'_> {
    WithdrawnBody {
        id: w.id.to_string(),
        team_id: w.team_id.as_str(),
        status: "withdrawn",
        withdrawn_by: w.by.as_str(),
        withdrawn_at: format_timestamp(w.at),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipBody<'a> {
    team_id: &'a str,
    user_id: &'a str,
    email: &'a str,
    role: &'a str,
    joined_at: String,
}

pub fn membership(m: &Membership) -> MembershipBody<'_> {
    MembershipBody {
        team_id: m.team_id.as_str(),
        user_id: m.user_id.as_str(),
        email: m.email.as_str(),
        role: m.role.as_str(),
        joined_at: format_timestamp(m.joined_at),
    }
}

/// A page of a team's members.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberListBody<'a> {
    members: Vec<MembershipBody<'a>>,
    /// Null on the last page.
    next_cursor: Option<String>,
    /// The team's seats: on the first page, for a manager of a team with a
    /// seat limit; else null.
    seats: Option<SeatsBody>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatsBody {
    limit: u32,
    members: i64,
    open_invitations: i64,
    free: i64,
}

pub fn member_list(page: &MemberPage, seats: Option<Seats>) -> MemberListBody<'_> {
    MemberListBody {
        members: page.members.iter().map(membership).collect(),
        next_cursor: page.next.as_ref().map(MemberCursor::encode),
        seats: seats.map(|s| SeatsBody {
            limit: s.limit,
            members: s.members,
            open_invitations: s.open_invitations,
            free: s.free,
        }),
    }
}

/// The answer to a membership's removal.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovedBody<'a> {
    #[serde(flatten)]
    membership: MembershipBody<'a>,
    removed_by: &'a str,
    removed_at: String,
    /// The open invitations the person had sent, withdrawn with the membership.
    invitations_withdrawn: usize,
}

/// The answer to a role change.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleChangedBody<'a> {
    #[serde(flatten)]
    membership: MembershipBody<'a>,
    previous_role: &'a str,
    /// The open invitations they had sent, withdrawn as they no longer manage.
    invitations_withdrawn: usize,
}

pub fn role_changed(r: &RoleChanged) -> RoleChangedBody<'_> {
    RoleChangedBody {
        membership: membership(&r.membership),
        previous_role: r.previous_role.as_str(),
        invitations_withdrawn: r.invitations_withdrawn,
    }
}

pub fn removed(r: &Removed) -> RemovedBody<'_> {
    RemovedBody {
        membership: membership(&r.membership),
        removed_by: r.by.as_str(),
        removed_at: format_timestamp(r.at),
        invitations_withdrawn: r.invitations_withdrawn,
    }
}

#[derive(Debug, Serialize)]
pub struct RoleBody<'a> {
    name: &'a str,
    permissions: Vec<&'static str>,
    /// Whether the caller may invite someone into this role.
    grantable: bool,
    /// Whether the caller may give this role to a member, or take it from one.
    assignable: bool,
}

#[derive(Debug, Serialize)]
pub struct RolesBody<'a> {
    roles: Vec<RoleBody<'a>>,
}

pub fn roles(roles: &[TeamRole]) -> RolesBody<'_> {
    RolesBody {
        roles: roles
            .iter()
            .map(|r| RoleBody {
                name: r.role.name.as_str(),
                permissions: r.role.permissions.iter().map(|p| p.as_str()).collect(),
                grantable: r.grantable,
                assignable: r.assignable,
            })
            .collect(),
    }
}

/// The answer to an acceptance: the invitation and the membership it created.
#[derive(Debug, Serialize)]
pub struct AcceptedBody<'a> {
    invitation: InvitationBody<'a>,
    membership: MembershipBody<'a>,
}

pub fn accepted(a: &Accepted) -> AcceptedBody<'_> {
    AcceptedBody { invitation: invitation(&a.invitation), membership: membership(&a.membership) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, RoleName, Status, Team, TeamId, TeamName, UserId};
    use chrono::{DateTime, TimeDelta, Utc};
    use serde_json::{json, Value};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn view(resolution: Resolution, status: Status, link: Option<&str>) -> InvitationView {
        let team = Team {
            id: TeamId::parse("acme").unwrap(),
            name: TeamName::parse("Acme").unwrap(),
            created_at: t("2026-01-01T00:00:00Z"),
        };
        let mut inv = Invitation::new(
            &team,
            Email::parse("ada@example.com").unwrap(),
            RoleName::parse("member").unwrap(),
            UserId::parse("owner-1").unwrap(),
            t("2026-11-02T09:30:00Z"),
            TimeDelta::days(7),
        );
        inv.resolution = resolution;
        InvitationView {
            invitation: inv,
            status,
            link: link.map(str::to_owned),
            link_token: link.map(|l| l.rsplit('=').next().unwrap().to_owned()),
            actions: vec![],
        }
    }

    fn keys(v: &Value) -> Vec<&str> {
        let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }

    const COMMON: [&str; 12] = [
        "actions",
        "createdAt",
        "email",
        "emailDelivery",
        "expiresAt",
        "id",
        "invitedBy",
        "locale",
        "role",
        "status",
        "teamId",
        "teamName",
    ];

    fn with(extra: &[&'static str]) -> Vec<&'static str> {
        let mut k: Vec<&str> = COMMON.iter().chain(extra).copied().collect();
        k.sort_unstable();
        k
    }

    #[test]
    fn an_invitation_carries_its_answer_only_once_answered_and_its_link_only_when_given() {
        let open = serde_json::to_value(invitation(&view(Resolution::Open, Status::Open, Some("https://l"))))
            .unwrap();
        assert_eq!(keys(&open), with(&["link", "linkToken"]));
        assert_eq!(open["link"], "https://l");
        assert_eq!(open["createdAt"], "2026-11-02T09:30:00.000Z");

        let at = t("2026-11-03T10:00:00Z");
        let by = UserId::parse("u-2").unwrap();
        let cases = [
            (
                Resolution::Accepted { by: by.clone(), at },
                Status::Accepted,
                ["acceptedAt", "acceptedBy"],
                json!("u-2"),
            ),
            (
                Resolution::Declined { by: None, at },
                Status::Declined,
                ["declinedAt", "declinedBy"],
                Value::Null,
            ),
            (
                Resolution::Withdrawn { by, at },
                Status::Withdrawn,
                ["withdrawnAt", "withdrawnBy"],
                json!("u-2"),
            ),
        ];
        for (resolution, status, [at_key, by_key], by_value) in cases {
            let body = serde_json::to_value(invitation(&view(resolution, status, None))).unwrap();
            assert_eq!(keys(&body), with(&[at_key, by_key]));
            assert_eq!(body[at_key], "2026-11-03T10:00:00.000Z");
            assert_eq!(body[by_key], by_value);
            assert_eq!(body["status"], status.as_str());
        }
    }

    #[test]
    fn a_decline_answers_with_the_preview_and_what_changed() {
        let at = t("2026-11-03T10:00:00Z");
        let v = view(Resolution::Declined { by: None, at }, Status::Declined, None);
        let body = serde_json::to_value(declined(&v).unwrap()).unwrap();
        assert_eq!(
            keys(&body),
            [
                "createdAt",
                "declinedAt",
                "declinedBy",
                "email",
                "expiresAt",
                "id",
                "locale",
                "role",
                "status",
                "teamId",
                "teamName"
            ]
        );
        assert_eq!(body["declinedBy"], Value::Null);
    }

    #[test]
    fn a_preview_shows_what_the_email_said_and_nothing_more() {
        let mut v = view(Resolution::Open, Status::Open, Some("x"));
        let body = serde_json::to_value(preview(&v)).unwrap();
        assert_eq!(
            keys(&body),
            ["createdAt", "email", "expiresAt", "id", "locale", "role", "status", "teamId", "teamName"]
        );
        // Who invited, as the email named them: no user id, no link, no other member.
        v.invitation.invited_by_email = Some(Email::parse("grace@example.com").unwrap());
        let body = serde_json::to_value(preview(&v)).unwrap();
        assert_eq!(body["invitedByEmail"], "grace@example.com");
        assert!(body.get("invitedBy").is_none() && body.get("link").is_none());
    }
}
