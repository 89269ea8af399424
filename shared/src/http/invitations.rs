//! The invitations' handlers: sending (invite function), the reads (list
//! function), withdrawing (withdraw function), the invitee's answers (respond
//! function).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::routes::Op;
use super::{
    cursor, identity, invocation_deadline, json_response, list_query, page_limit, request, require_caller,
    views, AuthMode,
};
use crate::domain::{Email, Locale, Metadata, Note, RoleCatalog, ValidDays};
use crate::error::{Error, FieldError};
use crate::ports::{InvitationStore, LinkKeySource, Mailer, MemberStore, PageCursor};
use crate::service::invitations::{
    Answering, Listing, NewInvitation, Sending, SendingStore, Withdrawing, MAX_BATCH,
};

#[derive(Deserialize)]
pub(super) struct InviteBody {
    pub(super) email: Option<String>,
    pub(super) role: Option<String>,
    pub(super) locale: Option<String>,
    #[serde(rename = "expiresInDays")]
    pub(super) expires_in_days: Option<i64>,
    pub(super) note: Option<String>,
    /// Null reads as absent.
    pub(super) metadata: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct BatchBody {
    invitations: Option<Vec<InviteBody>>,
}

#[derive(Deserialize)]
pub(super) struct TokenBody {
    pub(super) token: Option<String>,
}

/// `POST /teams/{teamId}/invitations`
pub(super) async fn invite<S: SendingStore, M: Mailer, K: LinkKeySource>(
    sending: &Sending<S, M, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::Invite)?;
    let body: InviteBody = request::json_body(req)?;
    let new = parse_invitation(&sending.context().roles, body)?;
    let view = sending.invite(&caller, &team, new, invocation_deadline(req)).await?;
    json_response(StatusCode::CREATED, views::sent(&view))
}

/// `POST /teams/{teamId}/invitations/batch` with `{"invitations": [{"email",
/// "role", "locale"?}, ...]}`: 200 with one result per entry, in order; 422
/// only when the body as a whole is wrong (no entries, more than the limit,
/// an address twice).
pub(super) async fn invite_batch<S: SendingStore, M: Mailer, K: LinkKeySource>(
    sending: &Sending<S, M, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::InviteBatch)?;
    let body: BatchBody = request::json_body(req)?;
    let entries =
        body.invitations.ok_or_else(|| Error::invalid_field("invitations", "invitations is required"))?;
    if entries.is_empty() || entries.len() > MAX_BATCH {
        return Err(Error::invalid_field("invitations", format!("from 1 to {MAX_BATCH} invitations")));
    }
    let emails: Vec<String> = entries.iter().map(|e| e.email.clone().unwrap_or_default()).collect();
    let mut seen = std::collections::BTreeSet::new();
    for email in &emails {
        if let Ok(email) = Email::parse(email) {
            if !seen.insert(email.as_str().to_owned()) {
                return Err(Error::invalid_field("invitations", format!("{email} appears more than once")));
            }
        }
    }
    let roles = &sending.context().roles;
    let parsed = entries.into_iter().map(|e| parse_invitation(roles, e)).collect();
    let results = sending.invite_batch(&caller, &team, parsed, invocation_deadline(req)).await?;
    json_response(StatusCode::OK, views::batch(&emails, &results))
}

/// `POST /teams/{teamId}/invitations/{invitationId}/resend`
pub(super) async fn resend<S: SendingStore, M: Mailer, K: LinkKeySource>(
    sending: &Sending<S, M, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::Resend)?;
    let id = request::invitation_id(req, Op::Resend)?;
    let view = sending.resend(&caller, &team, id, invocation_deadline(req)).await?;
    json_response(StatusCode::OK, views::sent(&view))
}

/// An invite request's fields; every bad one named at once.
fn parse_invitation(roles: &RoleCatalog, body: InviteBody) -> Result<NewInvitation, Error> {
    let mut errors = Vec::new();
    let email = match body.email.as_deref().map(Email::parse) {
        None => {
            errors.push(FieldError { field: "email", message: "email is required".into() });
            None
        }
        Some(Err(e)) => {
            errors.push(FieldError { field: "email", message: e.to_string() });
            None
        }
        Some(Ok(e)) => Some(e),
    };
    let role = match body.role.as_deref().map(|r| roles.invitable(r)) {
        None => {
            errors.push(FieldError { field: "role", message: "role is required".into() });
            None
        }
        Some(Err(e)) => {
            let allowed = roles.invitable_names().join(", ");
            errors.push(FieldError { field: "role", message: format!("{e}; choose one of: {allowed}") });
            None
        }
        Some(Ok(r)) => Some(r.name.clone()),
    };
    let locale = match body.locale.as_deref().map(Locale::parse) {
        None => Some(Locale::default()),
        Some(Ok(l)) => Some(l),
        Some(Err(e)) => {
            errors.push(FieldError { field: "locale", message: e.to_string() });
            None
        }
    };
    let valid_days = match body.expires_in_days.map(ValidDays::parse) {
        None => Some(None),
        Some(Ok(days)) => Some(Some(days)),
        Some(Err(e)) => {
            errors.push(FieldError { field: "expiresInDays", message: e.to_string() });
            None
        }
    };
    let note = match body.note.as_deref().map(Note::parse) {
        None => Some(None),
        Some(Ok(note)) => Some(note),
        Some(Err(e)) => {
            errors.push(FieldError { field: "note", message: e.to_string() });
            None
        }
    };
    let metadata = match body.metadata.as_ref().map(Metadata::parse) {
        None => Some(None),
        Some(Ok(metadata)) => Some(metadata),
        Some(Err(e)) => {
            errors.push(FieldError { field: "metadata", message: e.to_string() });
            None
        }
    };
    match (email, role, locale, valid_days, note, metadata) {
        (Some(email), Some(role), Some(locale), Some(valid_days), Some(note), Some(metadata)) => {
            Ok(NewInvitation { email, role, locale, valid_days, note, metadata })
        }
        _ => Err(Error::Validation(errors)),
    }
}

/// `GET /teams/{teamId}/invitations?status=&limit=&cursor=`
pub(super) async fn list<S: InvitationStore + MemberStore, K: LinkKeySource>(
    listing: &Listing<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::List)?;
    let query = list_query(req)?;
    let page = listing.list(&caller, &team, &query).await?;
    json_response(StatusCode::OK, views::invitation_list(&page))
}

/// `GET /teams/{teamId}/invitations/{invitationId}/history`
pub(super) async fn history<S: InvitationStore + MemberStore, K: LinkKeySource>(
    listing: &Listing<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::History)?;
    let id = request::invitation_id(req, Op::History)?;
    let history = listing.history(&caller, &team, id).await?;
    json_response(StatusCode::OK, views::history(&history))
}

/// `GET /me/invitations?limit=&cursor=`
pub(super) async fn my_invitations<S: InvitationStore + MemberStore, K: LinkKeySource>(
    listing: &Listing<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let after = cursor(req, PageCursor::decode)?;
    let page = listing.my_invitations(&caller, page_limit(req)?, after.as_ref()).await?;
    json_response(StatusCode::OK, views::preview_list(&page))
}

/// `POST /teams/{teamId}/invitations/{invitationId}/withdraw`
pub(super) async fn withdraw<S: InvitationStore>(
    withdrawing: &Withdrawing<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::Withdraw)?;
    let id = request::invitation_id(req, Op::Withdraw)?;
    let withdrawn = withdrawing.withdraw(&caller, &team, id).await?;
    json_response(StatusCode::OK, views::withdrawn(&withdrawn))
}

/// The header a page sends the link's token in (preview).
pub const INVITATION_TOKEN: &str = "invitation-token";

/// `GET /invitations/{invitationId}` with the link's token in the
/// `Invitation-Token` header (a query string is logged by whatever sits in
/// front of the API; `?token=` is still read, deprecated, for older pages).
pub(super) async fn preview<S: InvitationStore, K: LinkKeySource>(
    answering: &Answering<S, K>,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let id = request::invitation_id(req, Op::Preview)?;
    let header = req.headers().get(INVITATION_TOKEN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let token = header.or_else(|| request::query_param(req, "token")).unwrap_or_default();
    let view = answering.preview(id, &token).await?;
    json_response(StatusCode::OK, views::preview(&view))
}

/// `POST /invitations/{invitationId}/accept` with `{"token"}`, or `{}` from
/// the invited person's own list
pub(super) async fn accept<S: InvitationStore, K: LinkKeySource>(
    answering: &Answering<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let id = request::invitation_id(req, Op::Accept)?;
    let body: TokenBody = request::json_body(req)?;
    // Absent: the invited person accepts from their own list, without the link.
    let token = match body.token {
        None => None,
        Some(t) if t.is_empty() => return Err(Error::invalid_field("token", "token must not be empty")),
        Some(t) => Some(t),
    };
    let accepted = answering.accept(&caller, id, token.as_deref()).await?;
    json_response(StatusCode::OK, views::accepted(&accepted))
}

/// `POST /invitations/{invitationId}/decline` with `{"token"}`; signing in is
/// optional (recorded when present).
pub(super) async fn decline<S: InvitationStore, K: LinkKeySource>(
    answering: &Answering<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let id = request::invitation_id(req, Op::Decline)?;
    let body: TokenBody = request::json_body(req)?;
    let token = body
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::invalid_field("token", "token is required"))?;
    let caller = identity::caller(req, auth);
    let view = answering.decline(caller.as_ref(), id, &token).await?;
    json_response(StatusCode::OK, views::declined(&view)?)
}
