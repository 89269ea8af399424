//! SES's reports on invitation emails, applied to each invitation.

use crate::domain::DeliveryFeedback;
use crate::error::Error;
use crate::ports::DeliveryStore;

pub struct Deliveries<S> {
    store: S,
}

impl<S: DeliveryStore> Deliveries<S> {
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// Applies SES's report on an invitation email; whether it changed what the
    /// invitation shows (a report of an earlier send, or one older than what is
    /// known, changes nothing).
    pub async fn record(&self, feedback: &DeliveryFeedback) -> Result<bool, Error> {
        Ok(self.store.record_delivery(feedback).await?)
    }
}
