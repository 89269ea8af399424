//! An SDK interceptor that watches every request the functions' clients send:
//! how many *sequential* round trips an operation made (requests in flight at the
//! same time count once), and which IAM actions on which resources they needed.

use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Default)]
struct State {
    in_flight: usize,
    /// Requests that started while nothing else was in flight.
    sequential: usize,
    requests: usize,
    /// (IAM action, resource as template.yaml writes it)
    actions: BTreeSet<(String, String)>,
    /// `Limit` of each Query (None: unlimited).
    query_limits: Vec<Option<i64>>,
    written: Vec<(String, String)>,
    checked: Vec<(String, String)>,
    /// Wall time with at least one request in flight.
    busy: Duration,
    busy_since: Option<Instant>,
    /// When the first request was sent, and when the last one answered.
    first_sent: Option<Instant>,
    last_answered: Option<Instant>,
}

#[derive(Debug, Clone, Default)]
pub struct Observer {
    state: Arc<Mutex<State>>,
}

/// What one or more calls made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub sequential: usize,
    pub requests: usize,
    pub actions: BTreeSet<(String, String)>,
    /// `Limit` of each Query sent (None: no limit).
    pub query_limits: Vec<Option<i64>>,
    /// The (pk, sk) of each item written (put, updated, deleted), alone or in
    /// a transaction, once per write.
    pub written: Vec<(String, String)>,
    /// The (pk, sk) of each item a transaction's condition check read: part of
    /// the transaction, so also a cause of conflicts.
    pub checked: Vec<(String, String)>,
    /// How long the caller waited on the network (overlapping requests once).
    pub busy: Duration,
    /// When the first request was sent and the last one answered (None: no
    /// request): whether two clients' requests overlapped.
    pub window: Option<(Instant, Instant)>,
}

pub const TABLE: &str = "!GetAtt InvitationsTable.Arn";
pub const SES_IDENTITY: &str = "sender identity";
pub const EVENT_BUS: &str = "!If [CreateEventBus, !GetAtt EventBus.Arn, !Sub arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}]";
pub const LINK_SECRET: &str = "!Sub arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${LinkSigningSecretName}-??????";

impl Observer {
    /// What was seen since the last call, and starts afresh.
    pub fn take(&self) -> Seen {
        let mut s = self.state.lock().unwrap();
        let seen = Seen {
            sequential: s.sequential,
            requests: s.requests,
            actions: std::mem::take(&mut s.actions),
            query_limits: std::mem::take(&mut s.query_limits),
            written: std::mem::take(&mut s.written),
            checked: std::mem::take(&mut s.checked),
            busy: s.busy,
            window: s.first_sent.zip(s.last_answered),
        };
        s.first_sent = None;
        s.last_answered = None;
        s.sequential = 0;
        s.requests = 0;
        s.busy = Duration::ZERO;
        seen
    }
}

/// The IAM actions a DynamoDB request needs: a transaction needs the action of
/// each of its items.
fn dynamo_actions(operation: &str, body: &Value) -> Vec<(String, String)> {
    let on_table = |action: &str| (format!("dynamodb:{action}"), TABLE.to_owned());
    match operation {
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|item| item.as_object().unwrap().keys().cloned().collect::<Vec<_>>())
            .map(|kind| match kind.as_str() {
                "ConditionCheck" => on_table("ConditionCheckItem"),
                other => on_table(&format!("{other}Item")),
            })
            .collect(),
        // A query of an index is authorised on the index's ARN.
        "Query" if body["IndexName"].is_string() => {
            let index = body["IndexName"].as_str().unwrap_or_default();
            vec![("dynamodb:Query".into(), format!("!Sub ${{InvitationsTable.Arn}}/index/{index}"))]
        }
        other => vec![on_table(other)],
    }
}

/// An item's (pk, sk).
type Key = (String, String);

/// An item's (pk, sk), from its key or its whole item.
fn key_of(item: &Value) -> Key {
    let part = |name: &str| item[name]["S"].as_str().unwrap_or_default().to_owned();
    (part("pk"), part("sk"))
}

/// (written, checked) item keys of a DynamoDB request.
fn dynamo_items(operation: &str, body: &Value) -> (Vec<Key>, Vec<Key>) {
    let (mut written, mut checked) = (Vec::new(), Vec::new());
    match operation {
        "TransactWriteItems" => {
            for item in body["TransactItems"].as_array().into_iter().flatten() {
                if let Some(put) = item.get("Put") {
                    written.push(key_of(&put["Item"]));
                }
                for kind in ["Update", "Delete"] {
                    if let Some(change) = item.get(kind) {
                        written.push(key_of(&change["Key"]));
                    }
                }
                if let Some(check) = item.get("ConditionCheck") {
                    checked.push(key_of(&check["Key"]));
                }
            }
        }
        "PutItem" => written.push(key_of(&body["Item"])),
        "UpdateItem" | "DeleteItem" => written.push(key_of(&body["Key"])),
        _ => {}
    }
    (written, checked)
}

impl Intercept for Observer {
    fn name(&self) -> &'static str {
        "RoundTripObserver"
    }

    fn read_before_attempt(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let mut query_limit = None;
        let mut items = (Vec::new(), Vec::new());
        let actions = match request.headers().get("x-amz-target") {
            // Secrets Manager: its only call here is GetSecretValue, of the link secret.
            // EventBridge: its only call here is PutEvents, to the stack's bus.
            Some(target) if target.starts_with("AWSEvents.") => {
                let operation = target.rsplit('.').next().unwrap_or_default();
                vec![(format!("events:{operation}"), EVENT_BUS.to_owned())]
            }
            Some(target) if target.starts_with("secretsmanager.") => {
                let operation = target.rsplit('.').next().unwrap_or_default();
                vec![(format!("secretsmanager:{operation}"), LINK_SECRET.to_owned())]
            }
            Some(target) => {
                let operation = target.rsplit('.').next().unwrap_or_default().to_owned();
                let body: Value =
                    request.body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
                if operation == "Query" {
                    query_limit = Some(body["Limit"].as_i64());
                }
                items = dynamo_items(&operation, &body);
                dynamo_actions(&operation, &body)
            }
            // SES v2 is a REST API: its only call here is SendEmail.
            None if request.uri().ends_with("/v2/email/outbound-emails") => {
                vec![("ses:SendEmail".to_owned(), SES_IDENTITY.to_owned())]
            }
            None => vec![("unknown".to_owned(), request.uri().to_owned())],
        };
        let mut s = self.state.lock().unwrap();
        if s.in_flight == 0 {
            s.sequential += 1;
            s.busy_since = Some(Instant::now());
        }
        s.in_flight += 1;
        s.requests += 1;
        s.first_sent.get_or_insert_with(Instant::now);
        s.actions.extend(actions);
        s.query_limits.extend(query_limit);
        s.written.extend(items.0);
        s.checked.extend(items.1);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut s = self.state.lock().unwrap();
        s.in_flight -= 1;
        s.last_answered = Some(Instant::now());
        if s.in_flight == 0 {
            if let Some(since) = s.busy_since.take() {
                s.busy += since.elapsed();
            }
        }
        Ok(())
    }
}
