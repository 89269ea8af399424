//! SDK failures, sorted once: into `StoreError` ("retry later" or "something is
//! wrong"), and a cancelled transaction into the reasons per item, which the
//! operations read by the names of their items' positions.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::CancellationReason;

use super::items::Item;
use crate::ports::StoreError;

/// Sorts an SDK failure into "retry later" and "something is wrong"; the text
/// is for logs only.
pub(crate) fn store_error<E, R>(err: &SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = DisplayErrorContext(err).to_string();
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(text)
        }
        SdkError::ServiceError(se) => match se.err().code() {
            Some(
                "ThrottlingException"
                | "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "LimitExceededException"
                // A transaction holds the item right now; retrying is the fix.
                | "TransactionConflictException",
            ) => StoreError::Unavailable(text),
            _ => StoreError::Other(text),
        },
        _ => StoreError::Other(text),
    }
}

pub(super) fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Other(e.to_string())
}

/// How a `TransactWriteItems` call failed.
pub(super) enum Transact {
    /// A condition (or a conflict) cancelled it: one reason per item, in order.
    Cancelled(Cancelled),
    Failed(StoreError),
}

impl Transact {
    pub(super) fn from_sdk<R: std::fmt::Debug>(err: SdkError<TransactWriteItemsError, R>) -> Self {
        match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
                Self::Cancelled(Cancelled(e.cancellation_reasons().to_vec()))
            }
            _ => Self::Failed(store_error(&err)),
        }
    }
}

/// The reasons a transaction was cancelled, one per item.
pub(super) struct Cancelled(pub(super) Vec<CancellationReason>);

impl Cancelled {
    /// The condition of the item at `position` did not hold.
    pub(super) fn failed(&self, position: usize) -> bool {
        self.0.get(position).and_then(|r| r.code()) == Some("ConditionalCheckFailed")
    }

    /// The item at `position` as it was, when the write asked for it on failure.
    pub(super) fn item(&self, position: usize) -> Option<&Item> {
        self.0.get(position).and_then(|r| r.item())
    }

    /// Some item's condition did not hold.
    pub(super) fn any_failed(&self) -> bool {
        (0..self.0.len()).any(|i| self.failed(i))
    }

    /// Another transaction held one of the items.
    pub(super) fn conflict(&self) -> bool {
        self.0.iter().any(|r| r.code() == Some("TransactionConflict"))
    }

    /// A cancellation no operation expects: retryable when DynamoDB was busy.
    pub(super) fn unexpected(&self) -> StoreError {
        let codes: Vec<&str> = self.0.iter().map(|r| r.code().unwrap_or("None")).collect();
        if codes.iter().any(|c| {
            matches!(*c, "ThrottlingError" | "ProvisionedThroughputExceeded" | "TransactionConflict")
        }) {
            StoreError::Unavailable(format!("transaction cancelled: {codes:?}"))
        } else {
            StoreError::Other(format!("transaction cancelled: {codes:?}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cancelled(codes: &[&str]) -> Cancelled {
        Cancelled(codes.iter().map(|c| CancellationReason::builder().code(*c).build()).collect())
    }

    #[test]
    fn reasons_are_read_by_position() {
        let c = cancelled(&["None", "ConditionalCheckFailed", "None"]);
        assert!(!c.failed(0) && c.failed(1) && !c.failed(2) && !c.failed(7));
        assert!(c.any_failed() && !c.conflict());
        assert!(!cancelled(&["None", "ValidationError"]).any_failed());
    }

    #[test]
    fn a_conflict_or_throttled_item_is_retryable_anything_else_is_not() {
        let c = cancelled(&["TransactionConflict", "None"]);
        assert!(c.conflict());
        assert!(matches!(c.unexpected(), StoreError::Unavailable(_)));
        assert!(matches!(cancelled(&["ThrottlingError"]).unexpected(), StoreError::Unavailable(_)));
        assert!(matches!(cancelled(&["ValidationError"]).unexpected(), StoreError::Other(_)));
    }
}
