//! A team's data is read only for a caller who may read it (third security
//! review, L-1): a stranger's list, members and history are refused without
//! waiting for, or for members and history without even sending, the read of
//! the team's data. Over a DynamoDB double at the HTTP client: the membership
//! read finds nothing, and every other request never returns, so a use case
//! that waits for the team's data before refusing never answers. Invite and
//! resend, likewise, refuse without waiting for the link keys (on a cold start
//! a round trip to Secrets Manager; issue 19, item 8): their source here never
//! answers either.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use chrono::{TimeDelta, Utc};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use invitations_core::adapters::dynamo::DynamoStore;
use invitations_core::clock::ManualClock;
use invitations_core::config;
use invitations_core::domain::{
    Email, InvitationId, LinkKeys, LinkSigner, Locale, RoleCatalog, RoleName, TeamId, UserId,
};
use invitations_core::error::Error;
use invitations_core::ports::{
    KeysError, LinkKeySource, ListQuery, MailError, Mailer, MemberQuery, OutgoingEmail,
};
use invitations_core::service::invitations::{Listing, NewInvitation, Sending};
use invitations_core::service::members::Members;
use invitations_core::service::{Caller, Context, Settings};

/// Answers the membership read with no item; holds every other request forever,
/// counting them.
#[derive(Debug, Clone, Default)]
struct StrangerOnly {
    held: Arc<AtomicUsize>,
}

impl HttpClient for StrangerOnly {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for StrangerOnly {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let body = request.body().bytes().map(String::from_utf8_lossy).unwrap_or_default();
        if target.ends_with(".GetItem") && body.contains("MEMBER#") {
            let response = HttpResponse::new(200u16.try_into().unwrap(), SdkBody::from("{}"));
            return HttpConnectorFuture::ready(Ok(response));
        }
        self.held.fetch_add(1, Ordering::SeqCst);
        HttpConnectorFuture::new(std::future::pending::<Result<HttpResponse, ConnectorError>>())
    }
}

fn store(double: &StrangerOnly) -> DynamoStore {
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "double"))
        .endpoint_url("http://dynamodb.double.invalid")
        .http_client(SharedHttpClient::new(double.clone()))
        .build();
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(conf), "invitations")
}

fn context() -> Arc<Context> {
    Context::new(
        Arc::new(ManualClock::new(Utc::now())),
        RoleCatalog::builtin(),
        Settings {
            app_base_url: "https://app.example.com".into(),
            invitation_validity: TimeDelta::days(7),
            history_retention: config::default_retention(),
            resend_cooldown: config::default_resend_cooldown(),
            reminder_lead: Some(chrono::TimeDelta::seconds(config::DEFAULT_REMINDER_LEAD_SECONDS)),
            branding: invitations_core::mail::Branding::default(),
            trust_unverified_email: false,
            limits: config::default_limits(),
            emails_per_recipient_per_day: config::DEFAULT_MAX_EMAILS_PER_RECIPIENT_PER_DAY as u32,
            linkless_providers: Vec::new(),
        },
    )
}

fn stranger() -> Caller {
    Caller {
        user_id: UserId::parse("stranger").unwrap(),
        email: None,
        email_verified: None,
        provider: Default::default(),
    }
}

/// The answer, or a failure naming what never answered (a guard against a
/// hang, not a measurement: a right answer takes one scripted round trip).
async fn answered<T>(what: &str, call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer while the team's data was not read"))
}

/// Link keys that never arrive.
struct NeverKeys;

impl LinkKeySource for NeverKeys {
    async fn keys(&self) -> Result<LinkKeys, KeysError> {
        std::future::pending().await
    }

    async fn reread(&self) -> Result<Option<LinkKeys>, KeysError> {
        std::future::pending().await
    }
}

/// Nothing is sent (a refused invite never gets this far).
struct NoMail;

impl Mailer for NoMail {
    async fn send(&self, _: &OutgoingEmail) -> Result<(), MailError> {
        Err(MailError("a refused invite sends nothing".into()))
    }
}

#[tokio::test]
async fn a_stranger_is_refused_an_invite_or_resend_without_waiting_for_the_link_keys() {
    let team = TeamId::parse("acme").unwrap();
    let double = StrangerOnly::default();
    let sending = Sending::new(store(&double), NoMail, NeverKeys, context());
    let new = NewInvitation {
        email: Email::parse("ada@example.com").unwrap(),
        role: RoleName::parse("member").unwrap(),
        locale: Locale::default(),
        valid_days: None,
        note: None,
        metadata: None,
    };
    let invite = answered("invite", sending.invite(&stranger(), &team, new, None)).await;
    assert!(matches!(invite, Err(Error::Forbidden)), "{invite:?}");
    let resend =
        answered("resend", sending.resend(&stranger(), &team, InvitationId::new_random(), None)).await;
    assert!(matches!(resend, Err(Error::Forbidden)), "{resend:?}");
}

#[tokio::test]
async fn a_stranger_is_refused_before_the_teams_data_is_read() {
    let team = TeamId::parse("acme").unwrap();
    let double = StrangerOnly::default();
    let ctx = context();
    let keys = LinkKeys::from(LinkSigner::new(b"authorise-first-secret-of-32-bytes-or-more").unwrap());
    let listing = Listing::new(store(&double), keys, ctx.clone());
    let members = Members::new(store(&double), ctx);

    let (who, query) = (stranger(), ListQuery { status: None, limit: 20, after: None });
    let list = answered("list", listing.list(&who, &team, &query)).await;
    assert!(matches!(list, Err(Error::Forbidden)), "{list:?}");

    let before = double.held.load(Ordering::SeqCst);
    let query = MemberQuery { limit: 20, after: None };
    let page = answered("members", members.members(&who, &team, &query)).await;
    assert!(matches!(page, Err(Error::Forbidden)), "{page:?}");
    let history = answered("history", listing.history(&who, &team, InvitationId::new_random())).await;
    assert!(matches!(history, Err(Error::Forbidden)), "{history:?}");
    assert_eq!(double.held.load(Ordering::SeqCst), before, "members and history read nothing of the team's");
}
