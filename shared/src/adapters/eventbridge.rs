//! EventBridge publisher: `PutEvents` in batches of ten (its limit), each
//! entry that failed sent again a few times before the batch is given up.

use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use std::time::Duration;

use crate::ports::{EventPublisher, OutgoingEvent, PublishError, SOURCE};

/// Entries one `PutEvents` takes at most.
const BATCH: usize = 10;
/// Attempts per entry before its batch fails (Lambda then retries the records).
const ATTEMPTS: u32 = 3;

#[derive(Debug, Clone)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
}

impl EventBridgePublisher {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self { client, bus: bus.into() }
    }

    fn entry(&self, event: &OutgoingEvent) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(event.kind)
            .detail(&event.detail)
            .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(event.time.timestamp_millis()))
            .build()
    }

    /// Sends `events` (at most `BATCH`); the positions of those that failed,
    /// with the reason of the first.
    async fn put(&self, events: &[(usize, &OutgoingEvent)]) -> Result<(), (Vec<usize>, String)> {
        let out = self
            .client
            .put_events()
            .set_entries(Some(events.iter().map(|(_, e)| self.entry(e)).collect()))
            .send()
            .await
            .map_err(|e| {
                (events.iter().map(|(i, _)| *i).collect::<Vec<_>>(), DisplayErrorContext(e).to_string())
            })?;
        if out.failed_entry_count() == 0 {
            return Ok(());
        }
        let mut reason = String::new();
        let failed = out
            .entries()
            .iter()
            .zip(events)
            .filter(|(result, _)| result.error_code().is_some())
            .map(|(result, (i, _))| {
                if reason.is_empty() {
                    reason = format!(
                        "{}: {}",
                        result.error_code().unwrap_or(""),
                        result.error_message().unwrap_or("")
                    );
                }
                *i
            })
            .collect();
        Err((failed, reason))
    }
}

impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, events: &[OutgoingEvent]) -> Result<(), PublishError> {
        for (start, chunk) in events.chunks(BATCH).enumerate().map(|(n, c)| (n * BATCH, c)) {
            let mut pending: Vec<(usize, &OutgoingEvent)> =
                chunk.iter().enumerate().map(|(i, e)| (start + i, e)).collect();
            let mut attempt = 1;
            loop {
                match self.put(&pending).await {
                    Ok(()) => break,
                    Err((failed, reason)) if attempt >= ATTEMPTS => {
                        return Err(PublishError {
                            first: failed.into_iter().min().unwrap_or(start),
                            reason,
                        });
                    }
                    Err((failed, reason)) => {
                        tracing::warn!(attempt, failed = failed.len(), %reason, "events not accepted; sending again");
                        pending.retain(|(i, _)| failed.contains(i));
                        tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                        attempt += 1;
                    }
                }
            }
        }
        Ok(())
    }
}
