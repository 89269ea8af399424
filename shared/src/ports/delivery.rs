//! What became of each invitation email.

use std::future::Future;

use super::StoreError;
use crate::domain::DeliveryFeedback;

/// What became of each invitation email (SES's reports, a refused send).
pub trait DeliveryStore: Send + Sync {
    /// Applies SES's report on an invitation's email, with its history entry,
    /// only if the invitation is still of the report's link generation, its
    /// address is the report's recipient, and its email is known at a lower
    /// rank (`EmailDelivery::rank`); whether it did.
    fn record_delivery(
        &self,
        feedback: &DeliveryFeedback,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
