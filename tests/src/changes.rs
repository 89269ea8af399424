//! The table's change stream and an EventBridge bus, in the emulator: what the
//! events function is handed, and what a subscriber to its bus receives.
//!
//! Lambda polls the stream and hands the function the records exactly as
//! `GetRecords` returns them, those its mapping's filter lets through;
//! [`StreamReader`] does the polling and the filtering here. A subscriber is an
//! SQS queue behind a rule on the bus ([`EventSink`]).

use serde_json::{json, Value};

use crate::emulator::endpoint;

/// One JSON-protocol call to the emulator (DynamoDB Streams, SQS); the
/// emulators here do not check signatures, only read the region from the
/// credential scope.
fn call(target: &str, service: &str, body: Value) -> Value {
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    let agent = ureq::Agent::config_builder().proxy(None).http_status_as_error(false).build().new_agent();
    let mut response = agent
        .post(&endpoint())
        .header("X-Amz-Target", target)
        .header("Content-Type", "application/x-amz-json-1.0")
        .header(
            "Authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20261130/{region}/{service}/aws4_request, \
                 SignedHeaders=host, Signature=0"
            ),
        )
        .send(body.to_string())
        .unwrap_or_else(|e| panic!("{target}: the emulator is not reachable: {e}"));
    let status = response.status();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    assert!(status == 200, "{target}: {status} {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{target}: not JSON ({e}): {text}"))
}

/// The filter patterns of the events function's stream mapping
/// (template.yaml, `EventsStreamMapping`), parsed.
pub fn stream_filters() -> Vec<Value> {
    mapping_filters("EventsStreamMapping")
}

/// The filter patterns of the closing function's stream mapping
/// (`ClosingStreamMapping`), parsed.
pub fn closing_filters() -> Vec<Value> {
    mapping_filters("ClosingStreamMapping")
}

fn mapping_filters(mapping: &str) -> Vec<Value> {
    let template = crate::template::parsed();
    let criteria = &template["Resources"][mapping]["Properties"]["FilterCriteria"]["Filters"];
    crate::template::list(criteria)
        .iter()
        .map(|f| serde_json::from_str(&crate::template::s(&f["Pattern"])).expect("a filter pattern is JSON"))
        .collect()
}

/// Whether Lambda hands `record` to the function: no filter, or one whose
/// pattern it matches (event filtering: every field the pattern names is
/// present and equal to one of the values listed for it).
pub fn passes(filters: &[Value], record: &Value) -> bool {
    filters.is_empty() || filters.iter().any(|pattern| matches(pattern, record))
}

fn matches(pattern: &Value, value: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(k, p)| value.get(k).is_some_and(|v| matches(p, v))),
        Value::Array(allowed) => allowed.iter().any(|a| {
            // Operators (prefix, exists, numeric, ...) are not modelled: a
            // pattern using one must not be read as matching nothing.
            assert!(!a.is_object(), "filter operator {a} is not modelled by tests/src/changes.rs");
            a == value
        }),
        other => panic!("a filter pattern's values are lists: {other}"),
    }
}

/// Which function's mapping a reader reads the stream through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mapping {
    Events,
    Closing,
}

/// Reads a table's change stream from where it last stopped.
pub struct StreamReader {
    stream: String,
    /// The last sequence number read, per shard.
    read: std::collections::BTreeMap<String, String>,
    filters: Vec<Value>,
    mapping: Mapping,
}

impl StreamReader {
    /// From the stream's start, as the events function's mapping hands it over.
    pub async fn new(dynamo: &aws_sdk_dynamodb::Client, table: &str) -> Self {
        Self::through(dynamo, table, Mapping::Events).await
    }

    /// From the stream's start, as the closing function's mapping hands it over.
    pub async fn closing(dynamo: &aws_sdk_dynamodb::Client, table: &str) -> Self {
        Self::through(dynamo, table, Mapping::Closing).await
    }

    async fn through(dynamo: &aws_sdk_dynamodb::Client, table: &str, mapping: Mapping) -> Self {
        let described = dynamo.describe_table().table_name(table).send().await.expect("the table exists");
        let stream = described.table().and_then(|t| t.latest_stream_arn()).expect("the table has a stream");
        let filters = match mapping {
            Mapping::Events => stream_filters(),
            Mapping::Closing => closing_filters(),
        };
        Self { stream: stream.to_owned(), read: Default::default(), filters, mapping }
    }

    /// The records written since the last batch, as Lambda hands them over:
    /// `{"Records": [...]}`, those the mapping's filter lets through. A record
    /// it drops must be one its function would do nothing with: publish no
    /// event, take no closing step.
    pub fn batch(&mut self) -> Value {
        const T: &str = "DynamoDBStreams_20120810";
        let described = call(&format!("{T}.DescribeStream"), "dynamodb", json!({"StreamArn": self.stream}));
        let mut records = Vec::new();
        for shard in described["StreamDescription"]["Shards"].as_array().into_iter().flatten() {
            let shard_id = shard["ShardId"].as_str().unwrap().to_owned();
            // A fresh iterator each time: after the last record read, or from the start.
            let from = match self.read.get(&shard_id) {
                Some(seq) => json!({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": seq}),
                None => json!({"ShardIteratorType": "TRIM_HORIZON"}),
            };
            let mut request = json!({"StreamArn": self.stream, "ShardId": shard_id});
            request.as_object_mut().unwrap().extend(from.as_object().unwrap().clone());
            let mut iterator =
                call(&format!("{T}.GetShardIterator"), "dynamodb", request)["ShardIterator"].clone();
            while let Some(it) = iterator.as_str().map(str::to_owned) {
                let page =
                    call(&format!("{T}.GetRecords"), "dynamodb", json!({"ShardIterator": it, "Limit": 1000}));
                let got = page["Records"].as_array().cloned().unwrap_or_default();
                if got.is_empty() {
                    break;
                }
                if let Some(seq) = got.last().and_then(|r| r["dynamodb"]["SequenceNumber"].as_str()) {
                    self.read.insert(shard_id.clone(), seq.to_owned());
                }
                records.extend(got);
                iterator = page["NextShardIterator"].clone();
            }
        }
        records.retain(|record| {
            let passed = passes(&self.filters, record);
            if !passed {
                match self.mapping {
                    Mapping::Events => {
                        let committed = invitations_core::adapters::dynamo::stream::committed(record);
                        assert!(
                            committed.as_ref().is_ok_and(Vec::is_empty),
                            "the stream filter drops a record that publishes ({committed:?}): {record}"
                        );
                    }
                    Mapping::Closing => {
                        let step = invitations_core::adapters::dynamo::stream::closing_step(record);
                        assert!(
                            step.as_ref().is_ok_and(Option::is_none),
                            "the closing filter drops a closing step ({step:?}): {record}"
                        );
                    }
                }
            }
            passed
        });
        json!({ "Records": records })
    }
}

/// A subscriber: an SQS queue that a rule on the bus feeds with every event of
/// the service.
pub struct EventSink {
    pub bus: String,
    queue_url: String,
}

impl EventSink {
    /// A new bus `bus` with its subscriber queue.
    pub async fn new(events: &aws_sdk_eventbridge::Client, bus: &str) -> Self {
        events.create_event_bus().name(bus).send().await.expect("the bus is created");
        let queue_url = call("AmazonSQS.CreateQueue", "sqs", json!({"QueueName": format!("{bus}-sink")}))
            ["QueueUrl"]
            .as_str()
            .expect("a queue url")
            .to_owned();
        let attrs = call(
            "AmazonSQS.GetQueueAttributes",
            "sqs",
            json!({"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]}),
        );
        let queue_arn = attrs["Attributes"]["QueueArn"].as_str().expect("the queue's ARN").to_owned();
        let pattern = json!({"source": [invitations_core::ports::SOURCE]});
        events
            .put_rule()
            .name("all-invitation-events")
            .event_bus_name(bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .expect("the rule is created");
        let target = aws_sdk_eventbridge::types::Target::builder().id("sink").arn(queue_arn).build().unwrap();
        events
            .put_targets()
            .rule("all-invitation-events")
            .event_bus_name(bus)
            .targets(target)
            .send()
            .await
            .expect("the target is set");
        Self { bus: bus.to_owned(), queue_url }
    }

    /// The events received since the last call (EventBridge envelopes:
    /// `source`, `detail-type`, `detail`, ...), in the order they arrived.
    pub fn received(&self) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let got = call(
                "AmazonSQS.ReceiveMessage",
                "sqs",
                json!({"QueueUrl": self.queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0}),
            );
            let messages = got["Messages"].as_array().cloned().unwrap_or_default();
            if messages.is_empty() {
                return out;
            }
            for m in messages {
                out.push(serde_json::from_str(m["Body"].as_str().unwrap()).expect("an event"));
                call(
                    "AmazonSQS.DeleteMessage",
                    "sqs",
                    json!({"QueueUrl": self.queue_url, "ReceiptHandle": m["ReceiptHandle"]}),
                );
            }
        }
    }
}
