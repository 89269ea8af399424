//! The `closing` function's edge: a batch of the table's change stream, of
//! closed teams' items (its mapping's filter), each handing over its closing's
//! next step; the partial-batch response Lambda reads out.
//!
//! Each step is one page: its changes are committed, then the team's item is
//! moved on to the next step, which the stream hands over in turn. A step that
//! failed is handed over again (Lambda retries from the record named); one
//! taken twice changes nothing the second time.

use serde_json::{json, Value};

use crate::adapters::dynamo::stream::closing_step;
use crate::ports::{DomainStore, InvitationStore, MemberStore, TeamStore};
use crate::service::teams::Teams;

pub struct ClosingTrigger<S> {
    teams: Teams<S>,
}

impl<S: TeamStore + MemberStore + InvitationStore + DomainStore> ClosingTrigger<S> {
    pub fn new(teams: Teams<S>) -> Self {
        Self { teams }
    }

    /// Takes the step of each record, in order. Answers with the first record
    /// whose step failed, from which Lambda hands the batch over again.
    pub async fn handle(&self, batch: &Value) -> Value {
        let records = batch.get("Records").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for record in records {
            let sequence =
                record.pointer("/dynamodb/SequenceNumber").and_then(Value::as_str).unwrap_or_default();
            let step = match closing_step(record) {
                Ok(Some(step)) => step,
                Ok(None) => continue,
                Err(e) => {
                    // Retrying cannot make it readable: say so, and go on.
                    tracing::error!(sequence, error = %e, "closing: an unreadable stream record, skipped");
                    continue;
                }
            };
            let (team, at) = step;
            match self.teams.close_page(&team, &at).await {
                Ok(Some(next)) => tracing::info!(
                    team = %team,
                    step = next.step,
                    stage = next.stage.as_str(),
                    withdrawn = next.invitations_withdrawn,
                    ended = next.memberships_ended,
                    "closing: step taken"
                ),
                Ok(None) => tracing::info!(team = %team, step = at.step, "closing: step taken before"),
                Err(e) => {
                    tracing::error!(team = %team, step = at.step, error = %e, "closing: step failed, retried");
                    return json!({ "batchItemFailures": [{ "itemIdentifier": sequence }] });
                }
            }
        }
        json!({ "batchItemFailures": [] })
    }
}
