//! Each HTTP function's dispatch: the route (`routes::ROUTES`) names the
//! operation, the operation its handler. A route of another function, or no
//! route at all, is a 404 problem.

use lambda_http::{Body, Request, Response};

use super::routes::{Function, Op};
use super::{
    accept_requests, domains, invitations, join_requests, links, logged, members, resolve, teams, AuthMode,
};
use crate::domain::PlatformPrincipals;
use crate::error::Error;
use crate::ports::{InvitationStore, LimitStore, LinkKeySource, Mailer, MemberStore};
use crate::service::domains::{Domains, DomainsStore};
use crate::service::invitations::{
    Answering, ConsentStore, Consenting, Listing, Sending, SendingStore, Withdrawing,
};
use crate::service::join_requests::JoinRequests;
use crate::service::links::{Links, LinksStore};
use crate::service::members::Members;
use crate::service::teams::Teams;

/// `invite`: the routes that send email.
pub struct InviteFunction<S, M, K> {
    pub sending: Sending<S, M, K>,
    pub auth: AuthMode,
}

impl<S: SendingStore, M: Mailer, K: LinkKeySource> InviteFunction<S, M, K> {
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let route = resolve(Function::Invite, &req);
        logged(route, req.method(), async {
            let (s, auth, req) = (&self.sending, self.auth, &req);
            match route.ok_or(Error::NoSuchRoute)?.op {
                Op::Invite => invitations::invite(s, auth, req).await,
                Op::InviteBatch => invitations::invite_batch(s, auth, req).await,
                Op::Resend => invitations::resend(s, auth, req).await,
                _ => Err(Error::NoSuchRoute),
            }
        })
        .await
    }
}

/// `list`: the reads.
pub struct ListFunction<S, K> {
    pub listing: Listing<S, K>,
    pub members: Members<S>,
    pub auth: AuthMode,
}

impl<S: InvitationStore + MemberStore + LimitStore, K: LinkKeySource> ListFunction<S, K> {
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let route = resolve(Function::List, &req);
        logged(route, req.method(), async {
            let (auth, req) = (self.auth, &req);
            match route.ok_or(Error::NoSuchRoute)?.op {
                Op::List => invitations::list(&self.listing, auth, req).await,
                Op::History => invitations::history(&self.listing, auth, req).await,
                Op::MyInvitations => invitations::my_invitations(&self.listing, auth, req).await,
                Op::Members => members::members(&self.members, auth, req).await,
                Op::Roles => members::roles(&self.members, auth, req).await,
                _ => Err(Error::NoSuchRoute),
            }
        })
        .await
    }
}

/// `withdraw`: a manager ends something (an invitation, a membership).
pub struct WithdrawFunction<S> {
    pub withdrawing: Withdrawing<S>,
    pub members: Members<S>,
    pub auth: AuthMode,
}

impl<S: InvitationStore + MemberStore> WithdrawFunction<S> {
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let route = resolve(Function::Withdraw, &req);
        logged(route, req.method(), async {
            let (auth, req) = (self.auth, &req);
            match route.ok_or(Error::NoSuchRoute)?.op {
                Op::Withdraw => invitations::withdraw(&self.withdrawing, auth, req).await,
                Op::RemoveMember => members::remove_member(&self.members, auth, req).await,
                Op::ChangeRole => members::change_role(&self.members, auth, req).await,
                _ => Err(Error::NoSuchRoute),
            }
        })
        .await
    }
}

/// `respond`: the invitee's routes.
pub struct RespondFunction<S, K> {
    pub answering: Answering<S, K>,
    pub auth: AuthMode,
}

impl<S: InvitationStore, K: LinkKeySource> RespondFunction<S, K> {
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let route = resolve(Function::Respond, &req);
        logged(route, req.method(), async {
            let (a, auth, req) = (&self.answering, self.auth, &req);
            match route.ok_or(Error::NoSuchRoute)?.op {
                Op::Preview => invitations::preview(a, req).await,
                Op::Accept => invitations::accept(a, auth, req).await,
                Op::Decline => invitations::decline(a, auth, req).await,
                _ => Err(Error::NoSuchRoute),
            }
        })
        .await
    }
}

/// `platform`: the platform's IAM-authorised team routes.
pub struct PlatformFunction<S> {
    pub teams: Teams<S>,
    pub auth: AuthMode,
    /// Who may call it (`PLATFORM_ROLE_ARNS`).
    pub principals: PlatformPrincipals,
}

impl<S: teams::PlatformStore> PlatformFunction<S> {
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let route = resolve(Function::Platform, &req);
        logged(route, req.method(), async {
            let access = teams::Access { auth: self.auth, principals: &self.principals };
            let (t, req) = (&self.teams, &req);
            match route.ok_or(Error::NoSuchRoute)?.op {
                Op::GetTeam => teams::get(t, access, req).await,
                Op::CreateTeam => teams::create(t, access, req).await,
                Op::RenameTeam => teams::rename(t, access, req).await,
                Op::CloseTeam => teams::close(t, access, req).await,
                Op::NameOwner => teams::name_owner(t, access, req).await,
                Op::ListDomains => teams::domains(t, access, req).await,
                Op::SetDomain => teams::set_domain(t, access, req).await,
                Op::RemoveDomain => teams::remove_domain(t, access, req).await,
                _ => Err(Error::NoSuchRoute),
            }
        })
        .await
    }
}

/// `links`: the ways in without an invitation to each person's own address:
/// invite links, for the team's managers and for whoever opens one; joining
/// by a verified domain; the join requests of both; and accepting an
/// invitation as another address, with a manager's consent.
pub struct LinksFunction<S, K> {
    pub links: Links<S, K>,
    pub requests: JoinRequests<S>,
    pub domains: Domains<S>,
    pub consenting: Consenting<S, K>,
    pub auth: AuthMode,
}

impl<S: LinksStore + DomainsStore + ConsentStore, K: LinkKeySource> LinksFunction<S, K> {
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let route = resolve(Function::Links, &req);
        logged(route, req.method(), async {
            let (l, auth, req) = (&self.links, self.auth, &req);
            match route.ok_or(Error::NoSuchRoute)?.op {
                Op::CreateLink => links::create(l, auth, req).await,
                Op::ListLinks => links::list(l, auth, req).await,
                Op::RevokeLink => links::revoke(l, auth, req).await,
                Op::PreviewLink => links::preview(l, auth, req).await,
                Op::JoinLink => links::join(l, auth, req).await,
                Op::ListJoinRequests => join_requests::list(&self.requests, auth, req).await,
                Op::ApproveJoinRequest => join_requests::approve(&self.requests, auth, req).await,
                Op::DenyJoinRequest => join_requests::deny(&self.requests, auth, req).await,
                Op::MyJoinRequests => join_requests::mine(&self.requests, auth, req).await,
                Op::CancelJoinRequest => join_requests::cancel(&self.requests, auth, req).await,
                Op::JoinableTeams => domains::list(&self.domains, auth, req).await,
                Op::JoinByDomain => domains::join(&self.domains, auth, req).await,
                Op::RequestAccept => accept_requests::ask(&self.consenting, auth, req).await,
                Op::ListAcceptRequests => accept_requests::list(&self.consenting, auth, req).await,
                op @ (Op::ApproveAcceptRequest | Op::RefuseAcceptRequest) => {
                    accept_requests::answer(&self.consenting, auth, req, op).await
                }
                _ => Err(Error::NoSuchRoute),
            }
        })
        .await
    }
}
