//! Cold-start wiring shared by the four functions: configuration, SDK clients and
//! the service, built once and then borrowed by every request.

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::sync::Arc;
use std::time::Duration;

use crate::adapters::dynamo::DynamoStore;
use crate::adapters::ses::SesMailer;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::domain::RoleCatalog;
use crate::http::{Api, AuthMode};
use crate::service::{InvitationService, Settings};

/// The production wiring.
pub type LambdaApi = Api<DynamoStore, SesMailer>;

/// Structured logs: JSON when Lambda's `AWS_LAMBDA_LOG_FORMAT=JSON` is set (the
/// template sets it), readable text locally.
pub fn init_tracing() {
    lambda_http::tracing::init_default_subscriber();
}

/// SDK configuration from the standard sources (`AWS_REGION`, credentials,
/// `AWS_ENDPOINT_URL` for an emulator), with timeouts well inside the function's.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(8))
                .build(),
        )
        .load()
        .await
}

pub fn api(config: Config, sdk: &SdkConfig) -> LambdaApi {
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), config.table_name.clone());
    let mailer = SesMailer::new(aws_sdk_sesv2::Client::new(sdk), config.sender_email.clone());
    let settings = Settings {
        app_base_url: config.app_base_url.clone(),
        invitation_validity: config.invitation_validity,
        history_retention: config.history_retention,
    };
    let auth = if config.local_insecure_auth {
        tracing::warn!(
            "LOCAL_INSECURE_AUTH=1: identity is read from UNVERIFIED bearer tokens. Never set this outside local development."
        );
        AuthMode::LocalInsecure
    } else {
        AuthMode::Authorizer
    };
    let service = InvitationService::new(
        store,
        mailer,
        Arc::new(SystemClock),
        config.signer,
        RoleCatalog::builtin(),
        settings,
    );
    Api::new(service, auth)
}

/// Everything a function needs before its first request. A configuration problem
/// stops the cold start with a message naming every bad variable.
pub async fn api_from_env() -> Result<LambdaApi, lambda_http::Error> {
    let config = Config::from_env().inspect_err(|e| tracing::error!("{e}"))?;
    Ok(api(config, &sdk_config().await))
}
