//! Cold-start wiring shared by the functions: configuration, SDK clients and
//! the service, built once and then borrowed by every request.

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use std::sync::Arc;
use std::time::Duration;

use crate::adapters::dynamo::DynamoStore;
use crate::adapters::eventbridge::EventBridgePublisher;
use crate::adapters::secrets::SecretsManagerKeys;
use crate::adapters::ses::SesMailer;
use crate::clock::SystemClock;
use crate::config::{Config, Links};
use crate::domain::RoleCatalog;
use crate::http::{
    AuthMode, InviteFunction, LinksFunction, ListFunction, PlatformFunction, RespondFunction,
    WithdrawFunction,
};
use crate::service::domains::Domains;
use crate::service::invitations::{Answering, Consenting, Listing, Reminding, Sending, Withdrawing};
use crate::service::join_requests::JoinRequests;
use crate::service::links::Links as InviteLinks;
use crate::service::members::Members;
use crate::service::teams::Teams;
use crate::service::{Context, Settings};
use crate::triggers::closing::ClosingTrigger;
use crate::triggers::reminders::RemindersTrigger;
use crate::triggers::ses::{DeliveryTrigger, Origin};
use crate::triggers::stream::EventsTrigger;

/// Each HTTP function as production wires it: only the clients its routes use.
pub type Invite = InviteFunction<DynamoStore, SesMailer, SecretsManagerKeys>;
pub type List = ListFunction<DynamoStore, SecretsManagerKeys>;
pub type Withdraw = WithdrawFunction<DynamoStore>;
pub type Respond = RespondFunction<DynamoStore, SecretsManagerKeys>;
pub type Platform = PlatformFunction<DynamoStore>;
pub type LinksFn = LinksFunction<DynamoStore, SecretsManagerKeys>;

/// Structured logs: JSON when Lambda's `AWS_LAMBDA_LOG_FORMAT=JSON` is set (the
/// template sets it), readable text locally.
pub fn init_tracing() {
    lambda_http::tracing::init_default_subscriber();
}

/// SDK configuration from the standard sources (`AWS_REGION`, credentials,
/// `AWS_ENDPOINT_URL` for an emulator), with timeouts well inside the function's.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(crate::config::AWS_ATTEMPT_TIMEOUT)
                .operation_timeout(Duration::from_secs(8))
                .build(),
        )
        .load()
        .await
}

/// The HTTPS client of every SDK client: rustls with ring, trusting only the
/// Amazon Trust Services roots that AWS endpoints chain to. Loading the system's
/// certificate store instead reads and parses a few hundred files on the first
/// request of every instance.
pub fn http_client() -> SharedHttpClient {
    static AMAZON_ROOTS: &[u8] = include_bytes!("amazon-trust-services-roots.pem");
    let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(AMAZON_ROOTS);
    let context =
        TlsContext::builder().with_trust_store(trust).build().expect("the embedded roots are valid PEM");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

/// What every use case shares, from the configuration.
pub fn context(config: &Config) -> Arc<Context> {
    let settings = Settings {
        app_base_url: config.app_base_url.clone(),
        invitation_validity: config.invitation_validity,
        history_retention: config.history_retention,
        resend_cooldown: config.resend_cooldown,
        reminder_lead: config.reminder_lead,
        branding: config.branding.clone(),
        trust_unverified_email: config.trust_unverified_email,
        limits: config.limits,
        emails_per_recipient_per_day: config.emails_per_recipient_per_day,
        linkless_providers: config.linkless_providers.clone(),
    };
    Context::new(Arc::new(SystemClock), RoleCatalog::builtin(), settings)
}

/// Where identity comes from: API Gateway's authorizer, or (a `dev` build
/// configured for it) unsigned bearer tokens.
pub fn auth(config: &Config) -> AuthMode {
    let auth = AuthMode::Authorizer;
    #[cfg(feature = "dev")]
    let auth = if config.local_insecure_auth {
        tracing::warn!("development build: identity is read from UNVERIFIED bearer tokens");
        AuthMode::LocalInsecure
    } else {
        auth
    };
    #[cfg(not(feature = "dev"))]
    let _ = config;
    auth
}

fn store(config: &Config, sdk: &SdkConfig) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), config.table_name.clone())
}

fn keys(config: &Config, sdk: &SdkConfig) -> SecretsManagerKeys {
    SecretsManagerKeys::new(aws_sdk_secretsmanager::Client::new(sdk), config.link_secret_id.clone())
}

pub fn invite(config: &Config, sdk: &SdkConfig) -> Invite {
    let sending = Sending::new(store(config, sdk), mailer(config, sdk), keys(config, sdk), context(config));
    InviteFunction { sending, auth: auth(config) }
}

pub fn list(config: &Config, sdk: &SdkConfig) -> List {
    let (store, ctx) = (store(config, sdk), context(config));
    ListFunction {
        listing: Listing::new(store.clone(), keys(config, sdk), ctx.clone()),
        members: Members::new(store, ctx),
        auth: auth(config),
    }
}

pub fn withdraw(config: &Config, sdk: &SdkConfig) -> Withdraw {
    let (store, ctx) = (store(config, sdk), context(config));
    WithdrawFunction {
        withdrawing: Withdrawing::new(store.clone(), ctx.clone()),
        members: Members::new(store, ctx),
        auth: auth(config),
    }
}

pub fn respond(config: &Config, sdk: &SdkConfig) -> Respond {
    let answering = Answering::new(store(config, sdk), keys(config, sdk), context(config));
    RespondFunction { answering, auth: auth(config) }
}

pub fn links(config: &Config, sdk: &SdkConfig) -> LinksFn {
    let (store, ctx) = (store(config, sdk), context(config));
    let links = InviteLinks::new(store.clone(), keys(config, sdk), ctx.clone());
    let requests = JoinRequests::new(store.clone(), ctx.clone());
    let consenting = Consenting::new(store.clone(), keys(config, sdk), ctx.clone());
    LinksFunction { links, requests, domains: Domains::new(store, ctx), consenting, auth: auth(config) }
}

pub fn platform(config: &Config, sdk: &SdkConfig) -> Platform {
    if config.platform_principals.is_empty() {
        tracing::warn!("PLATFORM_ROLE_ARNS lists no one: every platform route answers 403");
    }
    PlatformFunction {
        teams: Teams::new(store(config, sdk), context(config)),
        auth: auth(config),
        principals: config.platform_principals.clone(),
    }
}

/// The `closing` function: the platform's use cases on teams, taking closed
/// teams' closing steps from the table's stream.
pub fn closing(config: &Config, sdk: &SdkConfig) -> ClosingTrigger<DynamoStore> {
    ClosingTrigger::new(Teams::new(store(config, sdk), context(config)))
}

/// The `remind` function: the reminders before expiry, sent by the schedule.
pub fn remind(
    config: &Config,
    sdk: &SdkConfig,
) -> RemindersTrigger<DynamoStore, SesMailer, SecretsManagerKeys> {
    RemindersTrigger::new(Reminding::new(
        store(config, sdk),
        mailer(config, sdk),
        keys(config, sdk),
        context(config),
    ))
}

fn mailer(config: &Config, sdk: &SdkConfig) -> SesMailer {
    SesMailer::new(
        aws_sdk_sesv2::Client::new(sdk),
        config.sender_email.clone(),
        config.ses_configuration_set.clone(),
    )
}

/// An HTTP function's instance. The configuration is read and checked at
/// start-up, so a bad one stops the cold start with a message naming every
/// problem; the function and its SDK clients are built once, by the first
/// request, so the instance reaches the Runtime API without waiting for them
/// (scripts/bench measures both the start-up and that first request).
pub struct Instance<F> {
    config: Config,
    build: fn(&Config, &SdkConfig) -> F,
    function: tokio::sync::OnceCell<F>,
}

impl<F> Instance<F> {
    /// `links`: whether this function signs or verifies links (and so reads the
    /// link secret); `build`: the function from its configuration.
    pub fn from_env(links: Links, build: fn(&Config, &SdkConfig) -> F) -> Result<Self, lambda_http::Error> {
        let config = Config::from_env(links).inspect_err(|e| tracing::error!("{e}"))?;
        Ok(Self { config, build, function: tokio::sync::OnceCell::new() })
    }

    pub async fn function(&self) -> &F {
        self.function.get_or_init(|| async { (self.build)(&self.config, &sdk_config().await) }).await
    }
}

/// The instance of a function no client calls (`triggers`): its settings
/// read at start-up, the function built with its SDK client by the first event.
pub struct BackgroundInstance<F, C> {
    settings: C,
    build: fn(&SdkConfig, &C) -> F,
    function: tokio::sync::OnceCell<F>,
}

impl<F, C> BackgroundInstance<F, C> {
    fn new(settings: C, build: fn(&SdkConfig, &C) -> F) -> Self {
        Self { settings, build, function: tokio::sync::OnceCell::new() }
    }

    pub async fn function(&self) -> &F {
        self.function.get_or_init(|| async { (self.build)(&sdk_config().await, &self.settings) }).await
    }
}

/// The `events` function: `EVENT_BUS_NAME`, the bus (name or ARN) events are
/// published to.
pub fn events_instance(
) -> Result<BackgroundInstance<EventsTrigger<EventBridgePublisher>, String>, lambda_http::Error> {
    let bus = required_env(&["EVENT_BUS_NAME"])?.remove(0);
    Ok(BackgroundInstance::new(bus, |sdk, bus| {
        EventsTrigger::new(EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(sdk), bus.clone()))
    }))
}

/// The `delivery` function: `TABLE_NAME`, the invitations table; and where the
/// reports it applies come from: `STACK_ACCOUNT_ID` and `SES_CONFIGURATION_SET`.
pub fn delivery_instance(
) -> Result<BackgroundInstance<DeliveryTrigger<DynamoStore>, (String, Origin)>, lambda_http::Error> {
    let [table, account, configuration_set]: [String; 3] =
        required_env(&["TABLE_NAME", "STACK_ACCOUNT_ID", "SES_CONFIGURATION_SET"])?
            .try_into()
            .expect("three names, three values");
    Ok(BackgroundInstance::new((table, Origin { account, configuration_set }), |sdk, (table, origin)| {
        DeliveryTrigger::new(
            DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), table.clone()),
            origin.clone(),
        )
    }))
}

/// The values of `names`, or one error naming every one not set.
fn required_env(names: &[&str]) -> Result<Vec<String>, lambda_http::Error> {
    let values: Vec<Option<String>> =
        names.iter().map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty())).collect();
    let missing: Vec<String> = names
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(name, _)| format!("{name} is required but not set"))
        .collect();
    if missing.is_empty() {
        return Ok(values.into_iter().flatten().collect());
    }
    let e = crate::config::ConfigError(missing);
    tracing::error!("{e}");
    Err(e.into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_trust_store_holds_the_amazon_roots_and_builds() {
        let pem = include_str!("amazon-trust-services-roots.pem");
        assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 5);
        // Panics if any certificate fails to parse.
        let _client = super::http_client();
    }
}
