//! The strict DynamoDB (`invitations_core::adapters::dynamo::strict`) at the
//! HTTP client of the tests' SDK configuration: every DynamoDB request of
//! every client built from it, the functions' own as `bootstrap` builds them
//! included, is checked as it would go on the wire, and one DynamoDB would
//! refuse fails its call unsent. An interceptor (the scripted tests' hook)
//! must be added to each client's own configuration; an `SdkConfig` carries
//! an HTTP client, never an interceptor.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use invitations_core::adapters::dynamo::strict;

/// `inner`, refusing what DynamoDB would refuse.
pub fn http_client(inner: SharedHttpClient) -> SharedHttpClient {
    SharedHttpClient::new(Strict(inner))
}

#[derive(Debug)]
struct Strict(SharedHttpClient);

impl HttpClient for Strict {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(StrictConnector(self.0.http_connector(settings, components)))
    }
}

#[derive(Debug)]
struct StrictConnector(SharedHttpConnector);

impl HttpConnector for StrictConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        match strict::refusal(&request) {
            Ok(()) => self.0.call(request),
            Err(refusal) => {
                // Also on stderr: a use case turns the failed call into a 503
                // whose body rightly hides the cause.
                eprintln!("{refusal}");
                HttpConnectorFuture::ready(Err(ConnectorError::other(refusal.into(), None)))
            }
        }
    }
}
