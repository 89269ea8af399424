//! A meter of what DynamoDB would charge for each request a world's clients
//! send (on demand: read and write request units), for the benchmark's cost
//! table. The emulators' own figures are fixed or absent, so the meter reads
//! the items each request touches with a client of its own, outside the
//! meter, and prices them (`invitations_core::adapters::dynamo::strict::capacity`):
//! a write's item before and after it (a failed one: before), a get's item,
//! a query's items again without its filter and projection (DynamoDB charges
//! for every item a query evaluates). It sits at the HTTP client, after the
//! strict checks, so it sees the functions' own clients as `bootstrap`
//! builds them. Only a world made with `Options::capacity` has one: its reads
//! double every request.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use invitations_core::adapters::dynamo::strict::capacity::{self, Item, Read, Units};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// What the requests sent since the last `take` would cost. Cloned, it is
/// the same meter.
#[derive(Debug, Clone, Default)]
pub struct Meter {
    spent: Arc<Mutex<Units>>,
    /// Reads the items requests touch; set when the world's clients are built.
    reader: Arc<OnceLock<aws_sdk_dynamodb::Client>>,
}

impl Meter {
    /// The units spent since the last call, and starts afresh.
    pub fn take(&self) -> Units {
        std::mem::take(&mut *self.spent.lock().unwrap())
    }

    /// `inner`, metered; `reader` reads the items (it must not be metered).
    pub fn http_client(&self, inner: SharedHttpClient, reader: aws_sdk_dynamodb::Client) -> SharedHttpClient {
        let _ = self.reader.set(reader);
        SharedHttpClient::new(Metered { inner, meter: self.clone() })
    }

    fn add(&self, units: Units) {
        *self.spent.lock().unwrap() += units;
    }
}

#[derive(Debug)]
struct Metered {
    inner: SharedHttpClient,
    meter: Meter,
}

impl HttpClient for Metered {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(MeteredConnector {
            inner: self.inner.http_connector(settings, components),
            meter: self.meter.clone(),
        })
    }
}

#[derive(Debug)]
struct MeteredConnector {
    inner: SharedHttpConnector,
    meter: Meter,
}

impl HttpConnector for MeteredConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let Some(operation) = target.strip_prefix("DynamoDB_20120810.").map(str::to_owned) else {
            return self.inner.call(request);
        };
        let body: Value =
            request.body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
        let (inner, meter) = (self.inner.clone(), self.meter.clone());
        let reader = meter.reader.get().expect("a metered client has its reader").clone();
        HttpConnectorFuture::new(async move {
            let touched = Touched::of(&operation, &body);
            let before = read_all(&reader, &touched.keys).await;
            let evaluated = match &touched.query {
                Some(query) => evaluated(&reader, query).await,
                None => Vec::new(),
            };
            let response = inner.call(request).await?;
            let done = response.status().is_success();
            let after = match (touched.writes(), done) {
                (true, true) => read_all(&reader, &touched.keys).await,
                _ => before.clone(),
            };
            meter.add(touched.price(&before, &after, &evaluated, done));
            Ok(response)
        })
    }
}

/// What one request touches: the items by key (with the action on each), or
/// the query it runs.
struct Touched {
    /// (table, key) of each item.
    keys: Vec<(String, Item)>,
    actions: Vec<Action>,
    transactional: bool,
    read: Read,
    query: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Get,
    Write,
    Check,
}

impl Touched {
    fn of(operation: &str, body: &Value) -> Self {
        let read = if body["ConsistentRead"] == true { Read::Strong } else { Read::Eventual };
        let mut t =
            Touched { keys: Vec::new(), actions: Vec::new(), transactional: false, read, query: None };
        match operation {
            "GetItem" => t.push(body, &body["Key"], Action::Get),
            "PutItem" => t.push(body, &body["Item"], Action::Write),
            "UpdateItem" | "DeleteItem" => t.push(body, &body["Key"], Action::Write),
            "Query" => t.query = Some(body.clone()),
            "TransactWriteItems" => {
                t.transactional = true;
                for entry in body["TransactItems"].as_array().into_iter().flatten() {
                    if let Some(put) = entry.get("Put") {
                        t.push(put, &put["Item"], Action::Write);
                    }
                    for kind in ["Update", "Delete"] {
                        if let Some(change) = entry.get(kind) {
                            t.push(change, &change["Key"], Action::Write);
                        }
                    }
                    if let Some(check) = entry.get("ConditionCheck") {
                        t.push(check, &check["Key"], Action::Check);
                    }
                }
            }
            "Scan" | "BatchGetItem" | "BatchWriteItem" | "TransactGetItems" => {
                panic!("the capacity meter does not price {operation}: the service sends none")
            }
            // CreateTable, DescribeTable, ...: not billed per request.
            _ => {}
        }
        t
    }

    /// The item of `action`, in the request (or transaction entry) `on`.
    fn push(&mut self, on: &Value, item: &Value, action: Action) {
        let key = ["pk", "sk"].into_iter().map(|k| (k.to_owned(), from_wire(&item[k]))).collect();
        self.keys.push((on["TableName"].as_str().unwrap_or_default().to_owned(), key));
        self.actions.push(action);
    }

    /// Whether it changes (or checks, in a transaction) any item.
    fn writes(&self) -> bool {
        self.actions.iter().any(|a| *a != Action::Get)
    }

    fn price(
        &self,
        before: &[Option<Item>],
        after: &[Option<Item>],
        evaluated: &[usize],
        done: bool,
    ) -> Units {
        let mut units = Units::default();
        if let Some(query) = &self.query {
            let priced = capacity::read(evaluated.iter().copied(), self.read);
            if std::env::var_os("CAPACITY_DETAIL").is_some() {
                let index = query["IndexName"].as_str().unwrap_or("table");
                eprintln!("capacity: Query {index} {} items {:?}: {priced:?}", evaluated.len(), self.read);
            }
            units += priced;
        }
        for (i, action) in self.actions.iter().enumerate() {
            let (old, new) = (before[i].as_ref(), after[i].as_ref());
            let priced = match action {
                Action::Get => capacity::read(old.map(stored_size), self.read),
                Action::Write => capacity::write(old, new, done, self.transactional),
                Action::Check => capacity::check(old),
            };
            if std::env::var_os("CAPACITY_DETAIL").is_some() {
                let size = |i: Option<&Item>| i.map_or(0, stored_size);
                let key = &self.keys[i].1;
                eprintln!(
                    "capacity: {:?} {:?}/{:?} {} -> {} bytes: {priced:?}",
                    action,
                    key["pk"].as_s().unwrap_or(&String::new()),
                    key["sk"].as_s().unwrap_or(&String::new()),
                    size(old),
                    size(new)
                );
            }
            units += priced;
        }
        units
    }
}

/// Each item of `keys` (table, key) as it is now, read strongly consistent.
async fn read_all(reader: &aws_sdk_dynamodb::Client, keys: &[(String, Item)]) -> Vec<Option<Item>> {
    let mut items = Vec::with_capacity(keys.len());
    for (table, key) in keys {
        let out = reader
            .get_item()
            .table_name(table)
            .set_key(Some(key.clone()))
            .consistent_read(true)
            .send()
            .await
            .expect("the capacity meter reads the item");
        items.push(out.item);
    }
    items
}

/// The sizes of the items `query` evaluates: the same key condition, start
/// and limit, without its filter and projection; an index's items as projected.
async fn evaluated(reader: &aws_sdk_dynamodb::Client, query: &Value) -> Vec<usize> {
    let condition = query["KeyConditionExpression"].as_str().unwrap_or_default();
    let used = |placeholder: &str| {
        // A placeholder is followed by no further name character.
        condition.match_indices(placeholder).any(|(at, _)| {
            !condition[at + placeholder.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
        })
    };
    let names: HashMap<String, String> = query["ExpressionAttributeNames"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| used(k))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let values: Item = query["ExpressionAttributeValues"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| used(k))
        .map(|(k, v)| (k.clone(), from_wire(v)))
        .collect();
    let start: Option<Item> = query["ExclusiveStartKey"]
        .as_object()
        .map(|key| key.iter().map(|(k, v)| (k.clone(), from_wire(v))).collect());
    let index = query["IndexName"].as_str();
    let out = reader
        .query()
        .table_name(query["TableName"].as_str().unwrap_or_default())
        .set_index_name(index.map(str::to_owned))
        .key_condition_expression(condition)
        .set_expression_attribute_names(Some(names).filter(|n| !n.is_empty()))
        .set_expression_attribute_values(Some(values).filter(|v| !v.is_empty()))
        .set_exclusive_start_key(start)
        .set_limit(query["Limit"].as_i64().map(|l| l as i32))
        .set_scan_index_forward(query["ScanIndexForward"].as_bool())
        .send()
        .await
        .expect("the capacity meter repeats the query");
    let spec = index.map(|name| capacity::index(name).expect("an index of the table"));
    out.items()
        .iter()
        .map(|item| match spec {
            Some(spec) => capacity::index_entry(spec, item).map_or(0, |e| stored_size(&e)),
            None => stored_size(item),
        })
        .collect()
}

fn stored_size(item: &Item) -> usize {
    invitations_core::adapters::dynamo::strict::stored_size(item)
}

/// A value from DynamoDB's JSON wire form.
fn from_wire(value: &Value) -> AttributeValue {
    let Some((kind, inner)) = value.as_object().and_then(|v| v.iter().next()) else {
        panic!("not an attribute value: {value}")
    };
    let strings =
        || inner.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
    match kind.as_str() {
        "S" => AttributeValue::S(inner.as_str().unwrap_or_default().to_owned()),
        "N" => AttributeValue::N(inner.as_str().unwrap_or_default().to_owned()),
        "BOOL" => AttributeValue::Bool(inner.as_bool().unwrap_or_default()),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(strings()),
        "NS" => AttributeValue::Ns(strings()),
        "L" => AttributeValue::L(inner.as_array().into_iter().flatten().map(from_wire).collect()),
        "M" => AttributeValue::M(
            inner.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), from_wire(v))).collect(),
        ),
        other => panic!("the service stores no {other}"),
    }
}
