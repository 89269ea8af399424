//! The two functions no client calls: `events` (the table's change stream
//! published as events, `service::events`) and `delivery` (SES's reports on
//! each invitation email, applied to the invitation).

use serde_json::{json, Value};

use crate::adapters::dynamo::stream;
use crate::adapters::ses;
use crate::ports::{EventPublisher, InvitationStore, StoreError};
use crate::service::events::publish_changes;

/// Publishes a stream batch's changes. Answers with the partial-batch response
/// Lambda reads (`ReportBatchItemFailures`): the first record not published,
/// from which Lambda hands the batch over again.
pub struct EventsFunction<P> {
    publisher: P,
}

impl<P: EventPublisher> EventsFunction<P> {
    pub fn new(publisher: P) -> Self {
        Self { publisher }
    }

    pub async fn handle(&self, batch: &Value) -> Value {
        let records = stream::records(batch);
        let failures: Vec<Value> = publish_changes(&self.publisher, &records)
            .await
            .map(|sequence| json!({ "itemIdentifier": sequence }))
            .into_iter()
            .collect();
        json!({ "batchItemFailures": failures })
    }
}

/// Applies one SES report (an EventBridge event) to its invitation.
pub struct DeliveryFunction<S> {
    store: S,
}

/// What became of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The invitation shows it now.
    Recorded,
    /// Known already, or overtaken (a later report, a later send, the
    /// invitation purged): nothing to change.
    Stale,
    /// Not a report on an invitation email, or unreadable: dropped (logged).
    Ignored,
}

impl<S: InvitationStore> DeliveryFunction<S> {
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// A store failure is an error, so that Lambda tries the event again (and
    /// then hands it to the dead-letter queue); an unreadable report is not:
    /// trying again would not help.
    pub async fn handle(&self, event: &Value) -> Result<Applied, StoreError> {
        let feedback = match ses::feedback(event) {
            Ok(Some(feedback)) => feedback,
            Ok(None) => return Ok(Applied::Ignored),
            Err(e) => {
                tracing::error!(error = %e, "unreadable SES event");
                return Ok(Applied::Ignored);
            }
        };
        let applied = self.store.record_delivery(&feedback).await?;
        tracing::info!(
            invitation = %feedback.invitation,
            delivery = feedback.delivery.as_str(),
            applied,
            "delivery report"
        );
        Ok(if applied { Applied::Recorded } else { Applied::Stale })
    }
}
