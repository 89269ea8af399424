//! The route table: every HTTP route, declared once, with the function that
//! serves it and the operation it runs. The functions dispatch on it; the
//! template, the local watcher's router (Cargo.toml), the OpenAPI contract and
//! the example requests are each checked against it by a test.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// The functions that serve HTTP routes (`Binary` in template.yaml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Invite,
    List,
    Withdraw,
    Respond,
    Platform,
    Links,
}

impl Function {
    pub const ALL: [Function; 6] = [
        Function::Invite,
        Function::List,
        Function::Withdraw,
        Function::Respond,
        Function::Platform,
        Function::Links,
    ];

    /// The binary's name (`functions/<name>`, `Binary` in template.yaml).
    pub fn binary(self) -> &'static str {
        match self {
            Function::Invite => "invite",
            Function::List => "list",
            Function::Withdraw => "withdraw",
            Function::Respond => "respond",
            Function::Platform => "platform",
            Function::Links => "links",
        }
    }

    pub fn from_binary(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.binary() == name)
    }
}

/// What a route does: each function's dispatch matches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Invite,
    InviteBatch,
    Resend,
    List,
    History,
    MyInvitations,
    Members,
    Roles,
    Withdraw,
    RemoveMember,
    ChangeRole,
    Preview,
    Accept,
    Decline,
    GetTeam,
    CreateTeam,
    RenameTeam,
    CloseTeam,
    NameOwner,
    ListDomains,
    SetDomain,
    RemoveDomain,
    CreateLink,
    ListLinks,
    RevokeLink,
    PreviewLink,
    JoinLink,
    ListJoinRequests,
    ApproveJoinRequest,
    DenyJoinRequest,
    MyJoinRequests,
    CancelJoinRequest,
    JoinableTeams,
    JoinByDomain,
    RequestAccept,
    ListAcceptRequests,
    ApproveAcceptRequest,
    RefuseAcceptRequest,
}

/// One route: `method` and `template` as API Gateway's route key states them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub template: &'static str,
    pub function: Function,
    pub op: Op,
}

const fn route(method: &'static str, template: &'static str, function: Function, op: Op) -> Route {
    Route { method, template, function, op }
}

/// Every route of the API.
pub const ROUTES: &[Route] = &[
    route("POST", "/teams/{teamId}/invitations", Function::Invite, Op::Invite),
    route("POST", "/teams/{teamId}/invitations/batch", Function::Invite, Op::InviteBatch),
    route("POST", "/teams/{teamId}/invitations/{invitationId}/resend", Function::Invite, Op::Resend),
    route("GET", "/teams/{teamId}/invitations", Function::List, Op::List),
    route("GET", "/teams/{teamId}/invitations/{invitationId}/history", Function::List, Op::History),
    route("GET", "/me/invitations", Function::List, Op::MyInvitations),
    route("GET", "/teams/{teamId}/members", Function::List, Op::Members),
    route("GET", "/teams/{teamId}/roles", Function::List, Op::Roles),
    route("POST", "/teams/{teamId}/invitations/{invitationId}/withdraw", Function::Withdraw, Op::Withdraw),
    route("DELETE", "/teams/{teamId}/members/{userId}", Function::Withdraw, Op::RemoveMember),
    route("PATCH", "/teams/{teamId}/members/{userId}", Function::Withdraw, Op::ChangeRole),
    route("GET", "/invitations/{invitationId}", Function::Respond, Op::Preview),
    route("POST", "/invitations/{invitationId}/accept", Function::Respond, Op::Accept),
    route("POST", "/invitations/{invitationId}/decline", Function::Respond, Op::Decline),
    route("GET", "/platform/teams/{teamId}", Function::Platform, Op::GetTeam),
    route("PUT", "/platform/teams/{teamId}", Function::Platform, Op::CreateTeam),
    route("PATCH", "/platform/teams/{teamId}", Function::Platform, Op::RenameTeam),
    route("DELETE", "/platform/teams/{teamId}", Function::Platform, Op::CloseTeam),
    route("PUT", "/platform/teams/{teamId}/owners/{userId}", Function::Platform, Op::NameOwner),
    route("GET", "/platform/teams/{teamId}/domains", Function::Platform, Op::ListDomains),
    route("PUT", "/platform/teams/{teamId}/domains/{domain}", Function::Platform, Op::SetDomain),
    route("DELETE", "/platform/teams/{teamId}/domains/{domain}", Function::Platform, Op::RemoveDomain),
    route("POST", "/teams/{teamId}/invite-links", Function::Links, Op::CreateLink),
    route("GET", "/teams/{teamId}/invite-links", Function::Links, Op::ListLinks),
    route("POST", "/teams/{teamId}/invite-links/{linkId}/revoke", Function::Links, Op::RevokeLink),
    route("GET", "/invite-links/{teamId}/{linkId}", Function::Links, Op::PreviewLink),
    route("POST", "/invite-links/{teamId}/{linkId}/join", Function::Links, Op::JoinLink),
    route("GET", "/teams/{teamId}/join-requests", Function::Links, Op::ListJoinRequests),
    route("POST", "/teams/{teamId}/join-requests/{userId}/approve", Function::Links, Op::ApproveJoinRequest),
    route("POST", "/teams/{teamId}/join-requests/{userId}/deny", Function::Links, Op::DenyJoinRequest),
    route("GET", "/me/join-requests", Function::Links, Op::MyJoinRequests),
    route("POST", "/me/join-requests/{teamId}/cancel", Function::Links, Op::CancelJoinRequest),
    route("GET", "/me/joinable-teams", Function::Links, Op::JoinableTeams),
    route("POST", "/me/joinable-teams/{teamId}/join", Function::Links, Op::JoinByDomain),
    route("POST", "/invitations/{invitationId}/accept-requests", Function::Links, Op::RequestAccept),
    route("GET", "/teams/{teamId}/accept-requests", Function::Links, Op::ListAcceptRequests),
    route(
        "POST",
        "/teams/{teamId}/accept-requests/{invitationId}/approve",
        Function::Links,
        Op::ApproveAcceptRequest,
    ),
    route(
        "POST",
        "/teams/{teamId}/accept-requests/{invitationId}/refuse",
        Function::Links,
        Op::RefuseAcceptRequest,
    ),
];

impl Route {
    /// The route of an operation.
    pub fn of(op: Op) -> &'static Route {
        ROUTES.iter().find(|r| r.op == op).expect("every operation has a route")
    }

    /// API Gateway's route key: `POST /teams/{teamId}/invitations`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    /// The route a request is for. API Gateway names it (`routeKey`); a
    /// request without one (the local `cargo lambda watch`) is matched by
    /// method and path, segment by segment, literal segments exactly. A route
    /// key the table lacks is no route, on purpose, even where the path would
    /// match one (a catch-all route added to the API must not reach a
    /// handler unplanned); nor is a path no route matches.
    pub fn of_request(req: &Request) -> Option<&'static Route> {
        match route_key(req) {
            Some(key) => ROUTES.iter().find(|r| r.method == key.0 && r.template == key.1),
            None => Self::matching(req.method().as_str(), req.uri().path()),
        }
    }

    /// The route whose method and template match `path` exactly, with the
    /// path's parameters; literal segments win over parameters.
    pub fn matching(method: &str, path: &str) -> Option<&'static Route> {
        ROUTES
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.params(path).is_some())
            .max_by_key(|r| r.template.split('/').filter(|s| !s.starts_with('{')).count())
    }

    /// The path parameters of `path` by this route's template, if it matches.
    pub fn params(&self, path: &str) -> Option<Vec<(&'static str, String)>> {
        let tpl: Vec<&'static str> = self.template.trim_matches('/').split('/').collect();
        let path: Vec<&str> = path.trim_end_matches('/').trim_start_matches('/').split('/').collect();
        if tpl.len() != path.len() {
            return None;
        }
        let mut params = Vec::new();
        for (t, p) in tpl.into_iter().zip(path) {
            match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(_) if p.is_empty() => return None,
                Some(name) => params.push((name, p.to_owned())),
                None if t != p => return None,
                None => {}
            }
        }
        Some(params)
    }
}

/// The request's route key, split into method and template; None where
/// there is none (or the catch-all `$default`, which names no route).
fn route_key(req: &Request) -> Option<(String, String)> {
    let RequestContext::ApiGatewayV2(ctx) = req.request_context_ref()? else { return None };
    let key = ctx.route_key.as_deref().filter(|k| !k.is_empty() && *k != "$default")?;
    let (method, template) = key.split_once(' ').unwrap_or((key, ""));
    Some((method.to_owned(), template.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn each_route_and_each_operation_is_declared_once() {
        let keys: HashSet<String> = ROUTES.iter().map(Route::key).collect();
        assert_eq!(keys.len(), ROUTES.len(), "a route declared twice");
        let ops: HashSet<Op> = ROUTES.iter().map(|r| r.op).collect();
        assert_eq!(ops.len(), ROUTES.len(), "an operation with two routes");
        for r in ROUTES {
            assert_eq!(Route::of(r.op), r);
        }
    }

    #[test]
    fn paths_match_their_own_template_only() {
        let m = |method, path| Route::matching(method, path).map(|r| r.op);
        // A team whose id is `me` is a team like any other.
        assert_eq!(m("GET", "/teams/me/invitations"), Some(Op::List));
        assert_eq!(m("GET", "/me/invitations"), Some(Op::MyInvitations));
        // `batch` is a route of its own, not an invitation id.
        assert_eq!(m("POST", "/teams/t/invitations/batch"), Some(Op::InviteBatch));
        assert_eq!(m("POST", "/teams/t/invitations/batch/resend"), Some(Op::Resend));
        assert_eq!(m("POST", "/teams/t/invitations/"), Some(Op::Invite));
        assert_eq!(m("DELETE", "/platform/teams/acme"), Some(Op::CloseTeam));
        // A stage prefix, a method or a tail that no route has: no route.
        assert_eq!(m("GET", "/prod/teams/t/invitations"), None);
        assert_eq!(m("DELETE", "/teams/t/invitations"), None);
        assert_eq!(m("GET", "/teams/t/invitations/x/unknown"), None);
        assert_eq!(m("GET", "/teams//invitations"), None);
        let resend = Route::of(Op::Resend).params("/teams/acme/invitations/abc/resend").unwrap();
        assert_eq!(resend, vec![("teamId", "acme".to_owned()), ("invitationId", "abc".to_owned())]);
    }
}
