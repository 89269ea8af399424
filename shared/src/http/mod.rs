//! The HTTP edge shared by the five API functions: parse the request, call the
//! service, map the result. One log line per request.

pub mod identity;
pub mod problem;
pub mod request;
pub mod views;

#[cfg(test)]
mod proptests;

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::{Deserialize, Serialize};
use std::time::Instant;

use crate::domain::{Email, Locale, Status, TeamName, UserId};
use crate::error::{Error, FieldError};
use crate::ports::{
    InvitationStore, LinkKeySource, ListQuery, Mailer, MemberCursor, MemberQuery, PageCursor,
};
use crate::service::{Caller, InvitationService, NewInvitation, NewTeam, PlatformCaller, MAX_BATCH};
pub use identity::AuthMode;

/// Route templates, exactly as `template.yaml` declares them.
pub mod routes {
    pub const INVITE: &str = "/teams/{teamId}/invitations";
    pub const LIST: &str = "/teams/{teamId}/invitations";
    pub const WITHDRAW: &str = "/teams/{teamId}/invitations/{invitationId}/withdraw";
    pub const RESEND: &str = "/teams/{teamId}/invitations/{invitationId}/resend";
    pub const HISTORY: &str = "/teams/{teamId}/invitations/{invitationId}/history";
    pub const BATCH: &str = "/teams/{teamId}/invitations/batch";
    pub const PREVIEW: &str = "/invitations/{invitationId}";
    pub const ACCEPT: &str = "/invitations/{invitationId}/accept";
    pub const DECLINE: &str = "/invitations/{invitationId}/decline";
    pub const MEMBERS: &str = "/teams/{teamId}/members";
    pub const MEMBER: &str = "/teams/{teamId}/members/{userId}";
    pub const ROLES: &str = "/teams/{teamId}/roles";
    pub const MY_INVITATIONS: &str = "/me/invitations";
    /// The platform's machine interface (IAM-authorised).
    pub const PLATFORM_TEAM: &str = "/platform/teams/{teamId}";
}

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// What a function holds for its lifetime: the service and how to read identity.
pub struct Handlers<S, M, K> {
    pub service: InvitationService<S, M, K>,
    pub auth: AuthMode,
}

fn json_response(status: StatusCode, body: impl Serialize) -> Result<Response<Body>, Error> {
    let text = serde_json::to_string(&body).map_err(|e| Error::internal(format!("response body: {e}")))?;
    Ok(Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        // Bodies can carry invitation links: keep them out of shared caches.
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Text(text))
        .expect("static headers are valid"))
}

#[derive(Deserialize)]
struct InviteBody {
    email: Option<String>,
    role: Option<String>,
    locale: Option<String>,
}

#[derive(Deserialize)]
struct BatchBody {
    invitations: Option<Vec<InviteBody>>,
}

#[derive(Deserialize)]
struct TeamOwnerBody {
    #[serde(rename = "userId")]
    user_id: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
struct TeamBody {
    name: Option<String>,
    owner: Option<TeamOwnerBody>,
}

/// A team's name from a platform request body, or the 422 naming it.
fn team_name(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<TeamName> {
    match raw.map(TeamName::parse) {
        None => errors.push(FieldError { field: "name", message: "name is required".into() }),
        Some(Err(e)) => errors.push(FieldError { field: "name", message: e.to_string() }),
        Some(Ok(name)) => return Some(name),
    }
    None
}

#[derive(Deserialize)]
struct TokenBody {
    token: Option<String>,
}

fn required_token(body: TokenBody) -> Result<String, Error> {
    body.token.filter(|t| !t.is_empty()).ok_or_else(|| Error::invalid_field("token", "token is required"))
}

impl<S: InvitationStore, M: Mailer, K: LinkKeySource> Handlers<S, M, K> {
    pub fn new(service: InvitationService<S, M, K>, auth: AuthMode) -> Self {
        Self { service, auth }
    }

    fn caller(&self, req: &Request) -> Option<Caller> {
        identity::caller(req, self.auth)
    }

    fn require_caller(&self, req: &Request) -> Result<Caller, Error> {
        self.caller(req).ok_or(Error::Unauthenticated)
    }

    /// Runs one route and logs it: route template, status and latency, never the
    /// path itself (it can carry a token in its query string). The one place an
    /// error's cause is logged.
    async fn logged(
        &self,
        route: &'static str,
        method: &Method,
        run: impl std::future::Future<Output = Result<Response<Body>, Error>>,
    ) -> Response<Body> {
        let started = Instant::now();
        // On the heap: a handler's future is large (several SDK calls deep), and
        // unoptimised builds would otherwise need more stack than a test thread has.
        let (response, cause) = match Box::pin(run).await {
            Ok(response) => (response, None),
            Err(e) => (problem::problem_response(&e), e.cause().cloned()),
        };
        let status = response.status().as_u16();
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        if let Some(cause) = cause {
            tracing::error!(route, method = %method, status, latency_ms, cause = %cause, "request");
        } else if status >= 500 {
            tracing::error!(route, method = %method, status, latency_ms, "request");
        } else {
            tracing::info!(route, method = %method, status, latency_ms, "request");
        }
        response
    }

    /// The invite function's routes (the ones that send email), told apart by path.
    pub async fn invite_function(&self, req: Request) -> Response<Body> {
        let path = req.uri().path().trim_end_matches('/');
        if path.ends_with("/resend") {
            self.resend(req).await
        } else if path.ends_with("/invitations/batch") {
            self.invite_batch(req).await
        } else {
            self.invite(req).await
        }
    }

    /// `POST /teams/{teamId}/invitations/batch` with `{"invitations": [{"email",
    /// "role", "locale"?}, ...]}`: 200 with one result per entry, in order; 422
    /// only when the body as a whole is wrong (no entries, more than the limit,
    /// an address twice).
    pub async fn invite_batch(&self, req: Request) -> Response<Body> {
        self.logged(routes::BATCH, req.method(), async {
            let caller = self.require_caller(&req)?;
            let team = request::team_id(&req, routes::BATCH)?;
            let body: BatchBody = request::json_body(&req)?;
            let entries = body
                .invitations
                .ok_or_else(|| Error::invalid_field("invitations", "invitations is required"))?;
            if entries.is_empty() || entries.len() > MAX_BATCH {
                return Err(Error::invalid_field(
                    "invitations",
                    format!("from 1 to {MAX_BATCH} invitations"),
                ));
            }
            let emails: Vec<String> = entries.iter().map(|e| e.email.clone().unwrap_or_default()).collect();
            let mut seen = std::collections::BTreeSet::new();
            for email in &emails {
                if let Ok(email) = Email::parse(email) {
                    if !seen.insert(email.as_str().to_owned()) {
                        return Err(Error::invalid_field(
                            "invitations",
                            format!("{email} appears more than once"),
                        ));
                    }
                }
            }
            let parsed = entries.into_iter().map(|e| self.parse_invitation(e)).collect();
            let results =
                self.service.invite_batch(&caller, &team, parsed, invocation_deadline(&req)).await?;
            json_response(StatusCode::OK, views::batch(&emails, &results))
        })
        .await
    }

    /// `POST /teams/{teamId}/invitations/{invitationId}/resend`
    pub async fn resend(&self, req: Request) -> Response<Body> {
        self.logged(routes::RESEND, req.method(), async {
            let caller = self.require_caller(&req)?;
            let team = request::team_id(&req, routes::RESEND)?;
            let id = request::invitation_id(&req, routes::RESEND)?;
            let view = self.service.resend(&caller, &team, id, invocation_deadline(&req)).await?;
            json_response(StatusCode::OK, views::invitation(&view))
        })
        .await
    }

    /// `POST /teams/{teamId}/invitations`
    pub async fn invite(&self, req: Request) -> Response<Body> {
        self.logged(routes::INVITE, req.method(), async {
            let caller = self.require_caller(&req)?;
            let team = request::team_id(&req, routes::INVITE)?;
            let body: InviteBody = request::json_body(&req)?;
            let new = self.parse_invitation(body)?;
            let view = self.service.invite(&caller, &team, new, invocation_deadline(&req)).await?;
            json_response(StatusCode::CREATED, views::invitation(&view))
        })
        .await
    }

    fn parse_invitation(&self, body: InviteBody) -> Result<NewInvitation, Error> {
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
        let role = match body.role.as_deref().map(|r| self.service.roles().invitable(r)) {
            None => {
                errors.push(FieldError { field: "role", message: "role is required".into() });
                None
            }
            Some(Err(e)) => {
                let allowed = self.service.roles().invitable_names().join(", ");
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
        match (email, role, locale) {
            (Some(email), Some(role), Some(locale)) => Ok(NewInvitation { email, role, locale }),
            _ => Err(Error::Validation(errors)),
        }
    }

    /// The list function's routes (the reads), told apart by path.
    pub async fn list_function(&self, req: Request) -> Response<Body> {
        let path = req.uri().path().trim_end_matches('/');
        if path.ends_with("/me/invitations") {
            self.my_invitations(req).await
        } else if path.ends_with("/members") {
            self.members(req).await
        } else if path.ends_with("/roles") {
            self.roles(req).await
        } else if path.ends_with("/history") {
            self.history(req).await
        } else {
            self.list(req).await
        }
    }

    /// The withdraw function's routes (a manager ends something), told apart by method.
    pub async fn withdraw_function(&self, req: Request) -> Response<Body> {
        match *req.method() {
            Method::DELETE => self.remove_member(req).await,
            _ => self.withdraw(req).await,
        }
    }

    /// The platform function's routes (IAM-authorised), told apart by method.
    pub async fn platform_function(&self, req: Request) -> Response<Body> {
        let method = req.method().clone();
        self.logged(routes::PLATFORM_TEAM, &method, async {
            let caller = self.platform_caller(&req)?;
            let team = request::team_id(&req, routes::PLATFORM_TEAM)?;
            match method {
                Method::GET => json_response(
                    StatusCode::OK,
                    views::team(&self.service.platform_team(&caller, &team).await?),
                ),
                Method::PUT => {
                    let body: TeamBody = request::json_body(&req)?;
                    let new = parse_new_team(team, body)?;
                    let (record, created) = self.service.create_team(&caller, new).await?;
                    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
                    json_response(status, views::team(&record))
                }
                Method::PATCH => {
                    let body: TeamBody = request::json_body(&req)?;
                    let mut errors = Vec::new();
                    let name =
                        team_name(body.name.as_deref(), &mut errors).ok_or(Error::Validation(errors))?;
                    let renamed = self.service.rename_team(&caller, &team, name).await?;
                    json_response(StatusCode::OK, views::renamed(&renamed))
                }
                Method::DELETE => json_response(
                    StatusCode::OK,
                    views::closed(&self.service.close_team(&caller, &team).await?),
                ),
                _ => Err(Error::NotFound),
            }
        })
        .await
    }

    /// Platform routes answer only a service the IAM authorizer verified: a
    /// user's token is no credential here.
    fn platform_caller(&self, req: &Request) -> Result<PlatformCaller, Error> {
        identity::platform_caller(req, self.auth).ok_or(Error::Forbidden)
    }

    /// `GET /me/invitations?limit=&cursor=`
    pub async fn my_invitations(&self, req: Request) -> Response<Body> {
        self.logged(routes::MY_INVITATIONS, req.method(), async {
            let caller = self.require_caller(&req)?;
            let after = cursor(&req, PageCursor::decode)?;
            let page = self.service.my_invitations(&caller, page_limit(&req)?, after.as_ref()).await?;
            json_response(StatusCode::OK, views::preview_list(&page))
        })
        .await
    }

    /// `GET /teams/{teamId}/roles`
    pub async fn roles(&self, req: Request) -> Response<Body> {
        self.logged(routes::ROLES, req.method(), async {
            let caller = self.require_caller(&req)?;
            let team = request::team_id(&req, routes::ROLES)?;
            let roles = self.service.team_roles(&caller, &team).await?;
            json_response(StatusCode::OK, views::roles(&roles))
        })
        .await
    }

    /// `GET /teams/{teamId}/members?limit=&cursor=`
    pub async fn members(&self, req: Request) -> Response<Body> {
        self.logged(routes::MEMBERS, req.method(), async {
            let caller = self.require_caller(&req)?;
            let team = request::team_id(&req, routes::MEMBERS)?;
            let after = cursor(&req, MemberCursor::decode)?;
            let query = MemberQuery { limit: page_limit(&req)?, after };
            let page = self.service.members(&caller, &team, &query).await?;
            json_response(StatusCode::OK, views::member_list(&page))
        })
        .await
    }

    /// `DELETE /teams/{teamId}/members/{userId}`
    pub async fn remove_member(&self, req: Request) -> Response<Body> {
        self.logged(routes::MEMBER, req.method(), async {
            let caller = self.require_caller(&req)?;
            let team = request::team_id(&req, routes::MEMBER)?;
            let user = request::user_id(&req, routes::MEMBER)?;
            let removed = self.service.remove_member(&caller, &team, &user).await?;
            json_response(StatusCode::OK, views::removed(&removed))
        })
        .await
    }

    /// `GET /teams/{teamId}/invitations?status=&limit=&cursor=`
    pub async fn list(&self, req: Request) -> Response<Body> {
        self.logged(routes::LIST, req.method(), async {
            let caller = self.require_caller(&req)?;
            let team = request::team_id(&req, routes::LIST)?;
            let query = list_query(&req)?;
            let page = self.service.list(&caller, &team, &query).await?;
            json_response(StatusCode::OK, views::invitation_list(&page))
        })
        .await
    }

    /// `GET /teams/{teamId}/invitations/{invitationId}/history`
    pub async fn history(&self, req: Request) -> Response<Body> {
        self.logged(routes::HISTORY, req.method(), async {
            let caller = self.require_caller(&req)?;
            let team = request::team_id(&req, routes::HISTORY)?;
            let id = request::invitation_id(&req, routes::HISTORY)?;
            let history = self.service.history(&caller, &team, id).await?;
            json_response(StatusCode::OK, views::history(&history))
        })
        .await
    }

    /// `POST /teams/{teamId}/invitations/{invitationId}/withdraw`
    pub async fn withdraw(&self, req: Request) -> Response<Body> {
        self.logged(routes::WITHDRAW, req.method(), async {
            let caller = self.require_caller(&req)?;
            let team = request::team_id(&req, routes::WITHDRAW)?;
            let id = request::invitation_id(&req, routes::WITHDRAW)?;
            let withdrawn = self.service.withdraw(&caller, &team, id).await?;
            json_response(StatusCode::OK, views::withdrawn(&withdrawn))
        })
        .await
    }

    /// The respond function's three routes, told apart by method and path.
    pub async fn respond(&self, req: Request) -> Response<Body> {
        let path = req.uri().path().trim_end_matches('/');
        if req.method() == Method::GET {
            self.preview(req).await
        } else if req.method() == Method::POST && path.ends_with("/accept") {
            self.accept(req).await
        } else if req.method() == Method::POST && path.ends_with("/decline") {
            self.decline(req).await
        } else {
            self.logged("unmatched", req.method(), async { Err(Error::NotFound) }).await
        }
    }

    /// `GET /invitations/{invitationId}?token=`
    pub async fn preview(&self, req: Request) -> Response<Body> {
        self.logged(routes::PREVIEW, req.method(), async {
            let id = request::invitation_id(&req, routes::PREVIEW)?;
            let token = request::query_param(&req, "token").unwrap_or_default();
            let view = self.service.preview(id, &token).await?;
            json_response(StatusCode::OK, views::preview(&view))
        })
        .await
    }

    /// `POST /invitations/{invitationId}/accept` with `{"token"}`, or `{}` from
    /// the invited person's own list
    pub async fn accept(&self, req: Request) -> Response<Body> {
        self.logged(routes::ACCEPT, req.method(), async {
            let caller = self.require_caller(&req)?;
            let id = request::invitation_id(&req, routes::ACCEPT)?;
            let body: TokenBody = request::json_body(&req)?;
            // Absent: the invited person accepts from their own list, without the link.
            let token = match body.token {
                None => None,
                Some(t) if t.is_empty() => {
                    return Err(Error::invalid_field("token", "token must not be empty"))
                }
                Some(t) => Some(t),
            };
            let accepted = self.service.accept(&caller, id, token.as_deref()).await?;
            json_response(StatusCode::OK, views::accepted(&accepted))
        })
        .await
    }

    /// `POST /invitations/{invitationId}/decline` with `{"token"}`; signing in is
    /// optional (recorded when present).
    pub async fn decline(&self, req: Request) -> Response<Body> {
        self.logged(routes::DECLINE, req.method(), async {
            let id = request::invitation_id(&req, routes::DECLINE)?;
            let token = required_token(request::json_body(&req)?)?;
            let caller = self.caller(&req);
            let view = self.service.decline(caller.as_ref(), id, &token).await?;
            json_response(StatusCode::OK, views::declined(&view)?)
        })
        .await
    }
}

/// A team to create, from `PUT /platform/teams/{teamId}`'s body; every bad
/// field named at once.
fn parse_new_team(id: crate::domain::TeamId, body: TeamBody) -> Result<NewTeam, Error> {
    let mut errors = Vec::new();
    let name = team_name(body.name.as_deref(), &mut errors);
    let owner = body.owner.unwrap_or(TeamOwnerBody { user_id: None, email: None });
    let user = match owner.user_id.as_deref().map(UserId::parse) {
        Some(Ok(user)) => Some(user),
        Some(Err(e)) => {
            errors.push(FieldError { field: "owner.userId", message: e.to_string() });
            None
        }
        None => {
            errors.push(FieldError { field: "owner.userId", message: "owner.userId is required".into() });
            None
        }
    };
    let email = match owner.email.as_deref().map(Email::parse) {
        Some(Ok(email)) => Some(email),
        Some(Err(e)) => {
            errors.push(FieldError { field: "owner.email", message: e.to_string() });
            None
        }
        None => {
            errors.push(FieldError { field: "owner.email", message: "owner.email is required".into() });
            None
        }
    };
    match (name, user, email) {
        (Some(name), Some(owner), Some(owner_email)) => Ok(NewTeam { id, name, owner, owner_email }),
        _ => Err(Error::Validation(errors)),
    }
}

/// When Lambda ends this invocation, as an instant of this process's clock. None
/// where no runtime context came with the request, or where its deadline had
/// passed before the request began: emulators send placeholders (`cargo lambda
/// watch` sends 600000, a moment of 1970), and in Lambda it cannot happen.
fn invocation_deadline(req: &Request) -> Option<Instant> {
    let deadline_ms = req.lambda_context_ref()?.deadline;
    let deadline = std::time::UNIX_EPOCH + std::time::Duration::from_millis(deadline_ms);
    let left = deadline.duration_since(std::time::SystemTime::now()).ok()?;
    Some(Instant::now() + left)
}

/// The `cursor` query parameter: absent or empty, the first page; else one
/// `decode` takes, or 400.
fn cursor<T>(req: &Request, decode: fn(&str) -> Option<T>) -> Result<Option<T>, Error> {
    match request::query_param(req, "cursor").filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(raw) => {
            decode(&raw).map(Some).ok_or_else(|| Error::InvalidRequest("cursor is not valid".into()))
        }
    }
}

fn page_limit(req: &Request) -> Result<usize, Error> {
    match request::query_param(req, "limit") {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(raw) => raw.parse::<usize>().ok().filter(|n| (1..=MAX_PAGE_SIZE).contains(n)).ok_or_else(|| {
            Error::InvalidRequest(format!("limit must be a whole number from 1 to {MAX_PAGE_SIZE}"))
        }),
    }
}

fn list_query(req: &Request) -> Result<ListQuery, Error> {
    let status = match request::query_param(req, "status") {
        None => None,
        Some(raw) if raw.is_empty() => None,
        Some(raw) => Some(raw.parse::<Status>().map_err(|e| Error::InvalidRequest(e.to_string()))?),
    };
    let limit = page_limit(req)?;
    let after = cursor(req, PageCursor::decode)?;
    Ok(ListQuery { status, limit, after })
}
