//! The `events` function's edge: a DynamoDB stream batch in, the partial-batch
//! response Lambda reads (`ReportBatchItemFailures`) out.

use serde_json::{json, Value};

use crate::adapters::dynamo::stream::committed;
use crate::ports::{ChangeRecord, EventPublisher};
use crate::service::events::publish_changes;

/// Publishes a stream batch's changes. Answers with the first record not
/// published, from which Lambda hands the batch over again.
pub struct EventsTrigger<P> {
    publisher: P,
}

impl<P: EventPublisher> EventsTrigger<P> {
    pub fn new(publisher: P) -> Self {
        Self { publisher }
    }

    pub async fn handle(&self, batch: &Value) -> Value {
        let records = records(batch);
        let failures: Vec<Value> = publish_changes(&self.publisher, &records)
            .await
            .map(|sequence| json!({ "itemIdentifier": sequence }))
            .into_iter()
            .collect();
        json!({ "batchItemFailures": failures })
    }
}

/// The records of a stream batch (`{"Records": [...]}`), in order, each read
/// into what it committed (the images are read by the table's adapter).
pub fn records(batch: &Value) -> Vec<ChangeRecord> {
    let Some(records) = batch.get("Records").and_then(Value::as_array) else { return Vec::new() };
    records
        .iter()
        .map(|record| ChangeRecord {
            sequence: record
                .pointer("/dynamodb/SequenceNumber")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            committed: committed(record).map_err(|e| e.to_string()),
        })
        .collect()
}
