//! One HTTP call as the API Gateway v2 event AWS would deliver for it (the only
//! builder of such events in the tests and the benchmarks), and the way it goes
//! to a function's handler and comes back.

use base64::Engine;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

use invitations_core::http::routes::{Function, Op, Route};

use crate::world::User;
use aws_config::SdkConfig;
use invitations_core::bootstrap;
use invitations_core::config::Config;
use invitations_core::http::fixtures::ApiRequest;

/// The role the tests' platform runs as (`PLATFORM_ROLE_ARNS`), and the
/// caller API Gateway names for one of its sessions (the example requests in
/// `requests/` are signed by another session of the same role).
pub const PLATFORM_ROLE: &str = "arn:aws:iam::123456789012:role/service/platform-teams";
pub const PLATFORM_SESSION: &str = "arn:aws:sts::123456789012:assumed-role/platform-teams/tests";

/// The token in an invitation link.
pub fn token_of(link: &str) -> String {
    link.split_once("#token=").expect("link has a token").1.to_owned()
}

/// One HTTP call, turned into the API Gateway v2 event AWS would deliver.
#[derive(Debug, Clone)]
pub struct Call {
    pub function: Function,
    pub method: &'static str,
    /// The route template, as `invitations_core::http::routes::ROUTES` has it.
    pub route: &'static str,
    pub path_params: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    /// Headers beyond those the other fields set.
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// `body` is base64, as API Gateway sends a body that is not text.
    pub base64_encoded: bool,
    pub content_type: Option<String>,
    pub claims: Option<Value>,
    /// The service the IAM authorizer verified (platform routes).
    pub iam_principal: Option<String>,
    /// The invocation's deadline, as the Lambda runtime's context gives it.
    pub deadline: Option<std::time::SystemTime>,
    /// Sent as the local watcher sends it: no route key, no path parameters.
    pub without_route_key: bool,
}

impl Call {
    /// A call of `op`'s route (`invitations_core::http::routes::ROUTES`) with
    /// these path parameters.
    pub fn op(op: Op, params: &[(&str, &str)]) -> Self {
        let route = Route::of(op);
        Self {
            function: route.function,
            method: route.method,
            route: route.template,
            path_params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            query: vec![],
            headers: vec![],
            body: None,
            base64_encoded: false,
            content_type: None,
            claims: None,
            iam_principal: None,
            deadline: None,
            without_route_key: false,
        }
    }

    pub fn invite(team: &str, body: Value) -> Self {
        Self::op(Op::Invite, &[("teamId", team)]).json(body)
    }

    pub fn list(team: &str) -> Self {
        Self::op(Op::List, &[("teamId", team)])
    }

    pub fn withdraw(team: &str, id: &str) -> Self {
        Self::op(Op::Withdraw, &[("teamId", team), ("invitationId", id)])
    }

    pub fn batch(team: &str, body: Value) -> Self {
        Self::op(Op::InviteBatch, &[("teamId", team)]).json(body)
    }

    pub fn resend(team: &str, id: &str) -> Self {
        Self::op(Op::Resend, &[("teamId", team), ("invitationId", id)])
    }

    pub fn history(team: &str, id: &str) -> Self {
        Self::op(Op::History, &[("teamId", team), ("invitationId", id)])
    }

    pub fn my_invitations() -> Self {
        Self::op(Op::MyInvitations, &[])
    }

    /// Accepting without the link, from the invited person's own list.
    pub fn accept_without_link(id: &str) -> Self {
        Self::op(Op::Accept, &[("invitationId", id)]).json(json!({}))
    }

    pub fn members(team: &str) -> Self {
        Self::op(Op::Members, &[("teamId", team)])
    }

    pub fn roles(team: &str) -> Self {
        Self::op(Op::Roles, &[("teamId", team)])
    }

    pub fn remove_member(team: &str, user: &str) -> Self {
        Self::op(Op::RemoveMember, &[("teamId", team), ("userId", user)])
    }

    pub fn change_role(team: &str, user: &str, role: &str) -> Self {
        Self::op(Op::ChangeRole, &[("teamId", team), ("userId", user)]).json(json!({ "role": role }))
    }

    /// A new invite link: `{"role", "maxUses", "expiresInDays"?, "domains"?}`.
    pub fn create_link(team: &str, body: Value) -> Self {
        Self::op(Op::CreateLink, &[("teamId", team)]).json(body)
    }

    pub fn links(team: &str) -> Self {
        Self::op(Op::ListLinks, &[("teamId", team)])
    }

    pub fn revoke_link(team: &str, link: &str, end_memberships: bool) -> Self {
        Self::op(Op::RevokeLink, &[("teamId", team), ("linkId", link)])
            .json(json!({ "endMemberships": end_memberships }))
    }

    /// As the link's page sends it: the token in the `Invite-Link-Token` header.
    pub fn preview_link(team: &str, link: &str, token: &str) -> Self {
        Self::op(Op::PreviewLink, &[("teamId", team), ("linkId", link)]).header("invite-link-token", token)
    }

    pub fn join_link(team: &str, link: &str, token: &str) -> Self {
        Self::op(Op::JoinLink, &[("teamId", team), ("linkId", link)]).json(json!({ "token": token }))
    }

    pub fn join_requests(team: &str) -> Self {
        Self::op(Op::ListJoinRequests, &[("teamId", team)])
    }

    pub fn approve_join(team: &str, user: &str) -> Self {
        Self::op(Op::ApproveJoinRequest, &[("teamId", team), ("userId", user)])
    }

    pub fn deny_join(team: &str, user: &str) -> Self {
        Self::op(Op::DenyJoinRequest, &[("teamId", team), ("userId", user)])
    }

    pub fn my_join_requests() -> Self {
        Self::op(Op::MyJoinRequests, &[])
    }

    pub fn cancel_join(team: &str) -> Self {
        Self::op(Op::CancelJoinRequest, &[("teamId", team)])
    }

    pub fn joinable_teams() -> Self {
        Self::op(Op::JoinableTeams, &[])
    }

    pub fn join_by_domain(team: &str) -> Self {
        Self::op(Op::JoinByDomain, &[("teamId", team)])
    }

    pub fn request_accept(id: &str, token: &str) -> Self {
        Self::op(Op::RequestAccept, &[("invitationId", id)]).json(json!({ "token": token }))
    }

    pub fn accept_requests(team: &str) -> Self {
        Self::op(Op::ListAcceptRequests, &[("teamId", team)])
    }

    pub fn approve_accept(team: &str, id: &str) -> Self {
        Self::op(Op::ApproveAcceptRequest, &[("teamId", team), ("invitationId", id)])
    }

    pub fn refuse_accept(team: &str, id: &str) -> Self {
        Self::op(Op::RefuseAcceptRequest, &[("teamId", team), ("invitationId", id)])
    }

    /// The platform's routes on a team's verified domains (unsigned until
    /// `signed_by` or `by_platform`).
    pub fn team_domains(team: &str) -> Self {
        Self::op(Op::ListDomains, &[("teamId", team)])
    }

    pub fn set_domain(team: &str, domain: &str, body: Value) -> Self {
        Self::op(Op::SetDomain, &[("teamId", team), ("domain", domain)]).json(body)
    }

    pub fn remove_domain(team: &str, domain: &str) -> Self {
        Self::op(Op::RemoveDomain, &[("teamId", team), ("domain", domain)])
    }

    /// As the page sends it: the token in the `Invitation-Token` header.
    pub fn preview(id: &str, token: &str) -> Self {
        Self::op(Op::Preview, &[("invitationId", id)]).header("invitation-token", token)
    }

    /// As pages before the header sent it: `?token=` (deprecated).
    pub fn preview_by_query(id: &str, token: &str) -> Self {
        Self::op(Op::Preview, &[("invitationId", id)]).query(&[("token", token)])
    }

    pub fn accept(id: &str, token: &str) -> Self {
        Self::op(Op::Accept, &[("invitationId", id)]).json(json!({ "token": token }))
    }

    pub fn decline(id: &str, token: &str) -> Self {
        Self::op(Op::Decline, &[("invitationId", id)]).json(json!({ "token": token }))
    }

    /// `GET`, `PUT` (create), `PATCH` (rename) or `DELETE` (close) a team, as
    /// the platform; unsigned until `signed_by`.
    pub fn platform(method: &'static str, team: &str) -> Self {
        let op = match method {
            "GET" => Op::GetTeam,
            "PUT" => Op::CreateTeam,
            "PATCH" => Op::RenameTeam,
            "DELETE" => Op::CloseTeam,
            other => panic!("no platform route answers {other}"),
        };
        Self::op(op, &[("teamId", team)])
    }

    /// Signed by the platform (a session of `PLATFORM_ROLE`), as the gateway's
    /// IAM authorizer passes it on.
    pub fn by_platform(self) -> Self {
        self.signed_by(PLATFORM_SESSION)
    }

    /// Signed by this IAM principal, as the gateway's IAM authorizer passes it on.
    pub fn signed_by(mut self, principal_arn: &str) -> Self {
        self.iam_principal = Some(principal_arn.into());
        self
    }

    /// As the local watcher (`cargo lambda watch`) sends it: the method and
    /// the path, no route key.
    pub fn without_route_key(mut self) -> Self {
        self.without_route_key = true;
        self
    }

    pub fn by(mut self, user: &User) -> Self {
        self.claims = Some(user.claims());
        self
    }

    /// The invocation ends `left` from now (Lambda's deadline in its context).
    pub fn time_left(mut self, left: std::time::Duration) -> Self {
        self.deadline = Some(std::time::SystemTime::now() + left);
        self
    }

    pub fn claims(mut self, claims: Value) -> Self {
        self.claims = Some(claims);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn query(mut self, query: &[(&str, &str)]) -> Self {
        self.query.extend(query.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body.to_string());
        self.base64_encoded = false;
        self.content_type = Some("application/json".into());
        self
    }

    pub fn raw_body(mut self, body: &str, content_type: Option<&str>) -> Self {
        self.body = Some(body.into());
        self.base64_encoded = false;
        self.content_type = content_type.map(str::to_owned);
        self
    }

    /// A body that is not text, base64-encoded with `isBase64Encoded` as API
    /// Gateway hands it over. The content type stays what it was.
    pub fn binary_body(mut self, bytes: &[u8]) -> Self {
        self.body = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
        self.base64_encoded = true;
        self
    }

    pub fn path(&self) -> String {
        let mut path = self.route.to_owned();
        for (k, v) in &self.path_params {
            path = path.replace(&format!("{{{k}}}"), v);
        }
        path
    }

    /// The event as API Gateway (HTTP API, payload format 2.0) sends it.
    pub fn event(&self) -> Value {
        let mut e = ApiRequest::new(self.method, self.route, &self.path());
        for (k, v) in &self.path_params {
            e = e.path_param(k, v);
        }
        for (k, v) in &self.query {
            e = e.query(k, v);
        }
        if let Some(ct) = &self.content_type {
            e = e.header("content-type", ct);
        }
        for (name, value) in &self.headers {
            e = e.header(name, value);
        }
        if let Some(claims) = &self.claims {
            e = e.claims(claims.clone());
        }
        if let Some(arn) = &self.iam_principal {
            e = e.iam(arn);
        }
        if self.without_route_key {
            e = e.without_route_key();
        }
        match &self.body {
            Some(b) if self.base64_encoded => e.base64_body(b),
            Some(b) => e.body(b),
            None => e,
        }
        .json()
    }
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub headers: lambda_http::http::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

pub async fn call_handlers(api: &Api, call: Call) -> Resp {
    let mut request = parse_event(&call.event().to_string());
    if let Some(deadline) = call.deadline {
        use lambda_http::RequestExt;
        let mut context = lambda_http::Context::default();
        context.deadline = deadline.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        request = request.with_lambda_context(context);
    }
    // On the heap: a handler's future is large in unoptimised builds, and a test
    // awaiting many of them would otherwise outgrow a test thread's stack.
    into_resp(Box::pin(dispatch(api, call.function, request)).await)
}

/// Delivers one raw API Gateway v2 event to a function's handler, as Lambda would.
pub async fn send_event(api: &Api, function: Function, event: &str) -> Resp {
    into_resp(Box::pin(dispatch(api, function, parse_event(event))).await)
}

pub fn parse_event(event: &str) -> lambda_http::Request {
    lambda_http::request::from_str(event).expect("valid API Gateway v2 event")
}

/// The five HTTP functions over one table, each wired as its `main.rs` wires it.
pub struct Api {
    pub invite: bootstrap::Invite,
    pub list: bootstrap::List,
    pub withdraw: bootstrap::Withdraw,
    pub respond: bootstrap::Respond,
    pub platform: bootstrap::Platform,
    pub links: bootstrap::LinksFn,
}

impl Api {
    /// As the functions build themselves from this configuration.
    pub fn from_config(config: &Config, sdk: &SdkConfig) -> Self {
        Self {
            invite: bootstrap::invite(config, sdk),
            list: bootstrap::list(config, sdk),
            withdraw: bootstrap::withdraw(config, sdk),
            respond: bootstrap::respond(config, sdk),
            platform: bootstrap::platform(config, sdk),
            links: bootstrap::links(config, sdk),
        }
    }
}

/// The handler of `function`, as its `main.rs` runs it.
pub async fn dispatch(api: &Api, function: Function, request: lambda_http::Request) -> Response<Body> {
    match function {
        Function::Invite => api.invite.handle(request).await,
        Function::List => api.list.handle(request).await,
        Function::Withdraw => api.withdraw.handle(request).await,
        Function::Respond => api.respond.handle(request).await,
        Function::Platform => api.platform.handle(request).await,
        Function::Links => api.links.handle(request).await,
    }
}

pub fn into_resp(response: Response<Body>) -> Resp {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type =
        headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = match response.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap_or_else(|_| panic!("body is not JSON: {t}")),
        Body::Empty => Value::Null,
        Body::Binary(b) => serde_json::from_slice(b).expect("body is JSON"),
        _ => Value::Null,
    };
    Resp { status, content_type, headers, body }
}
