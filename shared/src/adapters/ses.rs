//! SES v2: the mailer. SES's reports on what became of an email come in
//! through `triggers::ses`.

use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageTag};
use aws_sdk_sesv2::Client;

use crate::domain::Email;
use crate::ports::{MailError, Mailer, OutgoingEmail};

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    from: Email,
    /// The configuration set whose event destination reports deliveries.
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: Client, from: Email, configuration_set: Option<String>) -> Self {
        Self { client, from, configuration_set }
    }
}

fn utf8(text: &str) -> Result<Content, MailError> {
    Content::builder().data(text).charset("UTF-8").build().map_err(|e| MailError(e.to_string()))
}

impl Mailer for SesMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(Body::builder().text(utf8(&email.text)?).html(utf8(&email.html)?).build())
            .build();
        let tags = email
            .tags
            .iter()
            .map(|(name, value)| MessageTag::builder().name(*name).value(value).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| MailError(e.to_string()))?;
        self.client
            .send_email()
            .from_email_address(self.from.as_str())
            .destination(Destination::builder().to_addresses(email.to.as_str()).build())
            .content(EmailContent::builder().simple(message).build())
            .set_email_tags(Some(tags))
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|e| MailError(DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}
