//! SES's reports on an invitation's email, applied conditionally.

use super::changes::{self};
use super::items::*;
use super::{applied, DynamoStore};
use crate::domain::{Change as Recorded, DeliveryFeedback, HistoryEntry};
use crate::ports::{DeliveryStore, StoreError};

impl DeliveryStore for DynamoStore {
    async fn record_delivery(&self, feedback: &DeliveryFeedback) -> Result<bool, StoreError> {
        let entry = HistoryEntry {
            at: feedback.at,
            change: Recorded::Delivery { delivery: feedback.delivery, bounce: feedback.bounce },
        };
        let mut values = item([
            (":d", s(feedback.delivery.as_str())),
            (":rank", n(feedback.delivery.rank().into())),
            (":gen", n(feedback.generation.into())),
            (":recipient", s(feedback.recipient.as_str())),
        ]);
        values.extend(history_values(entry).map(|(k, v)| (k.to_owned(), v)));
        let mut update = format!("SET emailDelivery = :d, {DELIVERY_RANK} = :rank, {HISTORY_APPEND}");
        match feedback.bounce {
            Some(bounce) => {
                update.push_str(&format!(", {BOUNCE} = :bounce"));
                values.insert(":bounce".into(), s(bounce.as_str()));
            }
            None => update.push_str(&format!(" REMOVE {BOUNCE}")),
        }
        // Only over a lower rank, and only for the send the report is about: a
        // late report of an earlier send, or one arriving after a later report,
        // changes nothing. Invitations from before ranks were kept count as sent.
        // And only on the invitation of the address the email went to.
        let condition = format!(
            "attribute_exists(pk) AND email = :recipient \
             AND (attribute_not_exists({DELIVERY_RANK}) OR {DELIVERY_RANK} < :rank){}",
            changes::generation_condition(feedback.generation)
        );
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(feedback.invitation)))
            .key("sk", s(INVITATION_SK))
            .condition_expression(condition)
            .update_expression(update)
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        applied(out)
    }
}
