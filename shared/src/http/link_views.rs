//! The invite links' answers (issue 22).

use serde::Serialize;

use super::views::{membership, MembershipBody};
use crate::domain::{InviteLink, Membership};
use crate::service::join_requests::RequestView;
use crate::service::links::{CreatedLink, LinkPreview, LinkView, RevokedLink};
use crate::time::format_timestamp;

/// A link as its team's managers see it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkBody<'a> {
    id: String,
    team_id: &'a str,
    role: &'a str,
    /// `active`, `expired`, `usedUp` or `revoked`.
    state: &'static str,
    created_by: &'a str,
    created_by_email: &'a str,
    created_at: String,
    expires_at: String,
    max_uses: u32,
    uses: u32,
    /// The only domains whose addresses may join through it; empty: any.
    domains: Vec<&'a str>,
    /// Each join waits for a manager's approval.
    approval: bool,
    revoked_at: Option<String>,
    revoked_by: Option<&'a str>,
    /// The first 50 who joined through it (`uses` counts them all).
    joined: Vec<JoinedBody<'a>>,
    /// `revoke` while it is not revoked.
    actions: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinedBody<'a> {
    user_id: &'a str,
    email: &'a str,
    joined_at: String,
}

pub fn link(view: &LinkView) -> LinkBody<'_> {
    let l = &view.link;
    LinkBody {
        id: l.id.to_string(),
        team_id: l.team_id.as_str(),
        role: l.role.as_str(),
        state: view.state.as_str(),
        created_by: l.created_by.as_str(),
        created_by_email: l.created_by_email.as_str(),
        created_at: format_timestamp(l.created_at),
        expires_at: format_timestamp(l.expires_at),
        max_uses: l.max_uses.get(),
        uses: l.uses,
        domains: l.domains.iter().map(|d| d.as_str()).collect(),
        approval: l.approval,
        revoked_at: l.revoked.as_ref().map(|r| format_timestamp(r.at)),
        revoked_by: l.revoked.as_ref().map(|r| r.by.as_str()),
        joined: view
            .joined
            .iter()
            .map(|u| JoinedBody {
                user_id: u.user_id.as_str(),
                email: u.email.as_str(),
                joined_at: format_timestamp(u.joined_at),
            })
            .collect(),
        actions: match l.revoked {
            None => vec!["revoke"],
            Some(_) => vec![],
        },
    }
}

/// A new link: its secret `url` (and the `token` in it) is shown this once.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedBody<'a> {
    #[serde(flatten)]
    link: LinkBody<'a>,
    url: &'a str,
    token: &'a str,
}

pub fn created(c: &CreatedLink) -> CreatedBody<'_> {
    CreatedBody { link: link(&c.view), url: &c.url, token: &c.token }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkListBody<'a> {
    links: Vec<LinkBody<'a>>,
}

pub fn link_list(views: &[LinkView]) -> LinkListBody<'_> {
    LinkListBody { links: views.iter().map(link).collect() }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokedBody<'a> {
    link: LinkBody<'a>,
    memberships_ended: usize,
    memberships_kept: usize,
}

pub fn revoked(r: &RevokedLink) -> RevokedBody<'_> {
    RevokedBody {
        link: link(&r.view),
        memberships_ended: r.memberships_ended,
        memberships_kept: r.memberships_kept,
    }
}

/// What a signed-in person sees on the link's page: never its uses, its
/// domains or who joined.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkPreviewBody<'a> {
    id: String,
    team_id: &'a str,
    team_name: &'a str,
    role: &'a str,
    created_by_email: &'a str,
    expires_at: String,
    state: &'static str,
    /// Joining asks a manager first.
    approval: bool,
    already_member: bool,
}

pub fn link_preview(p: &LinkPreview) -> LinkPreviewBody<'_> {
    let l: &InviteLink = &p.link;
    LinkPreviewBody {
        id: l.id.to_string(),
        team_id: l.team_id.as_str(),
        team_name: l.team_name.as_str(),
        role: l.role.as_str(),
        created_by_email: l.created_by_email.as_str(),
        expires_at: format_timestamp(l.expires_at),
        state: p.state.as_str(),
        approval: p.link.approval,
        already_member: p.already_member,
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinedTeamBody<'a> {
    membership: MembershipBody<'a>,
}

pub fn joined(m: &Membership) -> JoinedTeamBody<'_> {
    JoinedTeamBody { membership: membership(m) }
}

/// A join request, as its team's managers and the person who asked see it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestBody<'a> {
    team_id: &'a str,
    team_name: &'a str,
    user_id: &'a str,
    email: &'a str,
    role: &'a str,
    /// The invite link it came through; null: through a verified domain.
    link_id: Option<String>,
    /// The verified domain it came through; null: through a link.
    domain: Option<&'a str>,
    /// `pending`, `expired`, `approved`, `denied` or `cancelled`.
    status: &'static str,
    created_at: String,
    expires_at: String,
    decided_by: Option<&'a str>,
    decided_at: Option<String>,
}

pub fn request(v: &RequestView) -> RequestBody<'_> {
    let r = &v.request;
    RequestBody {
        team_id: r.team_id.as_str(),
        team_name: r.team_name.as_str(),
        user_id: r.user_id.as_str(),
        email: r.email.as_str(),
        role: r.role.as_str(),
        link_id: r.via.link().map(|l| l.to_string()),
        domain: r.via.domain().map(|d| d.as_str()),
        status: v.status.as_str(),
        created_at: format_timestamp(r.created_at),
        expires_at: format_timestamp(r.expires_at),
        decided_by: r.decided.as_ref().map(|d| d.by.as_str()),
        decided_at: r.decided.as_ref().map(|d| format_timestamp(d.at)),
    }
}

#[derive(Debug, Serialize)]
pub struct AskedBody<'a> {
    request: RequestBody<'a>,
}

pub fn asked(v: &RequestView) -> AskedBody<'_> {
    AskedBody { request: request(v) }
}

#[derive(Debug, Serialize)]
pub struct RequestListBody<'a> {
    requests: Vec<RequestBody<'a>>,
}

pub fn request_list(views: &[RequestView]) -> RequestListBody<'_> {
    RequestListBody { requests: views.iter().map(request).collect() }
}
