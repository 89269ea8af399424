//! A strict DynamoDB for the tests. The emulators accept requests DynamoDB
//! refuses (moto checks an empty `ExpressionAttributeValues` only on a put or an
//! update inside a transaction, MiniStack not at all), so each DynamoDB request
//! a test sends is read as it goes on the wire (the operation from
//! `X-Amz-Target`, the JSON body) and, when DynamoDB would refuse it, its call
//! fails, naming the rule and the page that documents it: through
//! [`StrictDynamo`], an interceptor, on the scripted tests' clients, and
//! through [`refusal`] at the HTTP client of the integration suite's SDK
//! configuration (`tests/src/strict.rs`). Compiled for tests and the `dev`
//! feature only: no release function contains it.
//!
//! Every table is taken to have the keys `table::TABLE` declares (the project
//! creates no other), all of them strings.

use aws_sdk_dynamodb::config::http::HttpRequest;
use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashSet};

use super::table::TABLE;

type Object = Map<String, Value>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub mod capacity;
mod rules;
pub use rules::*;

/// The rules as an SDK interceptor, on the request as serialized, for a
/// client built from its own configuration (the scripted tests').
#[derive(Debug, Clone, Copy, Default)]
pub struct StrictDynamo;

impl Intercept for StrictDynamo {
    fn name(&self) -> &'static str {
        "StrictDynamo"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        refusal(context.request()).map_err(|refusal| {
            // Also on stderr: a use case turns the failed call into a 503
            // whose body rightly hides the cause.
            eprintln!("{refusal}");
            refusal.into()
        })
    }

    /// A scripted client (aws-smithy-mocks) sets its answer here, over the
    /// refusal; a refused request is still untransmitted here, so it is
    /// refused again.
    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        context.request().map_or(Ok(()), refusal).map_err(Into::into)
    }
}

/// Why DynamoDB would refuse `request` (any other service's passes), as the
/// message of the failed call.
pub fn refusal(request: &HttpRequest) -> Result<(), String> {
    let target = request.headers().get("x-amz-target").unwrap_or_default();
    // DynamoDB Streams ("DynamoDBStreams_20120810.") has rules of its own.
    let Some(operation) = target.strip_prefix("DynamoDB_20120810.") else { return Ok(()) };
    let body: Value = serde_json::from_slice(request.body().bytes().unwrap_or_default())
        .map_err(|e| format!("strict DynamoDB: {operation} is no JSON: {e}"))?;
    check(operation, &body).map_err(|v| format!("strict DynamoDB refused {operation}: {v}"))
}

/// Checks one request: `operation` as `X-Amz-Target` names it, `body` as sent.
pub fn check(operation: &str, body: &Value) -> Result<(), Violation> {
    let empty = Object::new();
    let request = body.as_object().unwrap_or(&empty);
    match operation {
        "TransactWriteItems" | "TransactGetItems" => transaction(request),
        "BatchWriteItem" => batch_write(request),
        "BatchGetItem" => batch_get(request),
        // Single-item operations, queries and scans; the rest (CreateTable,
        // DescribeTable, ...) hold none of the parameters checked.
        _ => action(request),
    }
}

/// The checks of one request or one transaction action, on whichever of the
/// parameters they share (`Key`, `Item`, expressions, ...) it holds.
fn action(a: &Object) -> Result<(), Violation> {
    placeholders(a)?;
    if let Some(key) = a.get("Key").and_then(Value::as_object) {
        key_attributes(key, true)?;
    }
    if let Some(item) = a.get("Item").and_then(Value::as_object) {
        stored_item(item)?;
    }
    let values = a.get("ExpressionAttributeValues").and_then(Value::as_object);
    values.into_iter().flat_map(Map::values).try_for_each(|v| stored_value(v, 0))?;
    reads(a)
}

fn transaction(request: &Object) -> Result<(), Violation> {
    // Each entry holds one action: {"Put": {...}}, {"Update": {...}}, ...
    let actions: Vec<&Object> = list(request, "TransactItems")
        .filter_map(|entry| entry.as_object()?.values().next()?.as_object())
        .collect();
    if actions.len() > 100 {
        return Err(TRANSACTION_SIZE.refuse(format!("{} actions", actions.len())));
    }
    let size: usize = actions.iter().filter_map(|a| a.get("Item")?.as_object()).map(item_size).sum();
    if size > 4 * 1024 * 1024 {
        return Err(TRANSACTION_SIZE.refuse(format!("{size} bytes of items")));
    }
    let mut items = HashSet::new();
    for a in &actions {
        let table = a.get("TableName").and_then(Value::as_str).unwrap_or_default();
        if let Some(id) = item_id(table, a) {
            if !items.insert(id.clone()) {
                return Err(ONE_ACTION_PER_ITEM.refuse(format!("two actions on {id}")));
            }
        }
    }
    actions.into_iter().try_for_each(action)
}

fn batch_write(request: &Object) -> Result<(), Violation> {
    let mut writes = Vec::new();
    for (table, requests) in request.get("RequestItems").and_then(Value::as_object).into_iter().flatten() {
        for write in requests.as_array().into_iter().flatten() {
            // {"PutRequest": {"Item": ...}} or {"DeleteRequest": {"Key": ...}}
            if let Some(inner) = write.as_object().and_then(|w| w.values().next()?.as_object()) {
                writes.push((table.as_str(), inner));
            }
        }
    }
    if writes.len() > 25 {
        return Err(BATCH_SIZE.refuse(format!("BatchWriteItem of {} requests", writes.len())));
    }
    let mut items = HashSet::new();
    for (table, write) in writes {
        if let Some(id) = item_id(table, write) {
            if !items.insert(id.clone()) {
                return Err(ONE_REQUEST_PER_ITEM.refuse(format!("two requests on {id}")));
            }
        }
        action(write)?;
    }
    Ok(())
}

fn batch_get(request: &Object) -> Result<(), Violation> {
    let mut keys = 0;
    for reads in request.get("RequestItems").and_then(Value::as_object).into_iter().flat_map(Map::values) {
        let Some(reads) = reads.as_object() else { continue };
        placeholders(reads)?;
        for key in list(reads, "Keys").filter_map(Value::as_object) {
            keys += 1;
            key_attributes(key, true)?;
        }
    }
    if keys > 100 {
        return Err(BATCH_SIZE.refuse(format!("BatchGetItem of {keys} keys")));
    }
    Ok(())
}

fn list<'a>(object: &'a Object, field: &str) -> impl Iterator<Item = &'a Value> {
    object.get(field).and_then(Value::as_array).into_iter().flatten()
}

/// The item `a` acts on, as table and primary key (a put's from its item).
fn item_id(table: &str, a: &Object) -> Option<String> {
    let key = a.get("Key").or_else(|| a.get("Item"))?.as_object()?;
    Some(format!("{table} {} {}", key.get(TABLE.hash_key)?, key.get(TABLE.range_key)?))
}

// --- Expressions and their placeholders ---

const EXPRESSIONS: [&str; 5] = [
    "ConditionExpression",
    "UpdateExpression",
    "KeyConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
];

/// Words of the expression grammar itself, which stand where no attribute does.
const KEYWORDS: [&str; 9] = ["AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"];

/// What an expression refers to.
#[derive(Debug, Default)]
struct Refs<'a> {
    /// `#name` placeholders.
    names: Vec<&'a str>,
    /// `:value` placeholders.
    values: Vec<&'a str>,
    /// Attribute names written as such (path elements: `a.b[0]` gives `a`, `b`).
    bare: Vec<&'a str>,
    /// The operand count of each `IN`.
    in_operands: Vec<usize>,
}

/// Reads an expression's tokens. Expressions hold no literals, so a word is a
/// placeholder, a keyword, a function (followed by `(`) or an attribute name.
fn refs(expression: &str) -> Refs<'_> {
    let bytes = expression.as_bytes();
    let word_end = |from: usize| {
        from + bytes[from..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count()
    };
    let mut refs = Refs::default();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            sigil @ (b'#' | b':') => {
                let end = word_end(i + 1);
                let placeholder = &expression[i..end];
                if sigil == b'#' {
                    refs.names.push(placeholder)
                } else {
                    refs.values.push(placeholder)
                }
                i = end;
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let end = word_end(i);
                let (word, rest) = (&expression[i..end], expression[end..].trim_start());
                if word.eq_ignore_ascii_case("IN") {
                    refs.in_operands.push(operands(rest));
                } else if !rest.starts_with('(') && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) {
                    refs.bare.push(word);
                }
                i = end;
            }
            // Digits (list indexes), operators, brackets, spaces.
            _ => i += 1,
        }
    }
    refs
}

/// The operands of the parenthesised list `rest` starts with.
fn operands(rest: &str) -> usize {
    let mut depth = 0;
    let mut count = 1;
    for c in rest.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth == 1 => break,
            ')' => depth -= 1,
            ',' if depth == 1 => count += 1,
            _ => {}
        }
    }
    count
}

fn is_reserved(word: &str) -> bool {
    include_str!("reserved_words.txt").lines().any(|reserved| reserved.eq_ignore_ascii_case(word))
}

/// The placeholder rules over every expression `a` holds.
fn placeholders(a: &Object) -> Result<(), Violation> {
    let expressions: Vec<&str> = EXPRESSIONS.iter().filter_map(|e| a.get(*e)?.as_str()).collect();
    let refs: Vec<Refs> = expressions.iter().map(|e| refs(e)).collect();
    for expression in &expressions {
        if expression.len() > 4096 {
            return Err(EXPRESSION_LIMITS.refuse(format!("an expression of {} bytes", expression.len())));
        }
    }
    for r in &refs {
        if let Some(long) = r.names.iter().chain(&r.values).find(|p| p.len() > 255) {
            return Err(EXPRESSION_LIMITS.refuse(format!("a placeholder of {} bytes", long.len())));
        }
        if let Some(n) = r.in_operands.iter().find(|n| **n > 100) {
            return Err(EXPRESSION_LIMITS.refuse(format!("IN with {n} operands")));
        }
        if let Some(word) = r.bare.iter().find(|w| is_reserved(w)) {
            return Err(RESERVED_WORD.refuse(format!("{word} written bare in an expression")));
        }
    }
    let names: HashSet<&str> = refs.iter().flat_map(|r| r.names.iter().copied()).collect();
    let values: HashSet<&str> = refs.iter().flat_map(|r| r.values.iter().copied()).collect();
    for (map, used) in [("ExpressionAttributeNames", names), ("ExpressionAttributeValues", values)] {
        let defined = a.get(map).and_then(Value::as_object);
        if defined.is_some_and(Map::is_empty) {
            return Err(EMPTY_MAP.refuse(format!("{map} is {{}}")));
        }
        if let Some(missing) = used.iter().find(|p| !defined.is_some_and(|d| d.contains_key(**p))) {
            return Err(UNDEFINED_PLACEHOLDER.refuse(format!("{missing} is used, not defined in {map}")));
        }
        if let Some(unused) = defined.into_iter().flat_map(Map::keys).find(|p| !used.contains(p.as_str())) {
            return Err(
                UNUSED_PLACEHOLDER.refuse(format!("{unused} is defined in {map}, used by no expression"))
            );
        }
    }
    Ok(())
}

/// The attribute names `expression` refers to, its `#names` resolved.
fn attributes<'a>(expression: &'a str, a: &'a Object) -> Vec<&'a str> {
    let names = a.get("ExpressionAttributeNames").and_then(Value::as_object);
    let refs = refs(expression);
    let resolved = refs.names.iter().filter_map(|n| names?.get(*n)?.as_str());
    refs.bare.iter().copied().chain(resolved).collect()
}

// --- Keys and items ---

/// `key`: a `Key` (`whole`: exactly the table's key attributes) or an item's
/// attributes (at least them).
fn key_attributes(key: &Object, whole: bool) -> Result<(), Violation> {
    let primary = [TABLE.hash_key, TABLE.range_key];
    if let Some(missing) = primary.iter().find(|k| !key.contains_key(**k)) {
        return Err(KEY_SCHEMA.refuse(format!("the key attribute {missing} is missing")));
    }
    if let Some(other) = key.keys().find(|k| whole && !primary.contains(&k.as_str())) {
        return Err(KEY_SCHEMA.refuse(format!("{other} is no key attribute of the table")));
    }
    key_values(key)
}

/// Each key attribute of the table or an index in `attributes`: a non-empty
/// string within its length limit.
fn key_values(attributes: &Object) -> Result<(), Violation> {
    for (name, value) in attributes.iter().filter(|(n, _)| TABLE.string_attributes.contains(&n.as_str())) {
        let Some(text) = value.get("S").and_then(Value::as_str) else {
            return Err(KEY_SCHEMA.refuse(format!("{name} is declared S, sent as {}", type_of(value))));
        };
        let partition = TABLE.hash_key == name || TABLE.indexes.iter().any(|i| i.hash_key == name);
        let max = if partition { 2048 } else { 1024 };
        if text.is_empty() || text.len() > max {
            return Err(KEY_VALUE.refuse(format!("{name} is {} bytes", text.len())));
        }
    }
    Ok(())
}

fn stored_item(item: &Object) -> Result<(), Violation> {
    key_attributes(item, false)?;
    item.values().try_for_each(|v| stored_value(v, 0))?;
    let size = item_size(item);
    if size > 400 * 1024 {
        return Err(ITEM_SIZE.refuse(format!("an item of {size} bytes")));
    }
    Ok(())
}

/// `value`, `depth` lists and maps down, is one DynamoDB stores.
fn stored_value(value: &Value, depth: usize) -> Result<(), Violation> {
    let Some((kind, inner)) = value.as_object().and_then(|v| v.iter().next()) else { return Ok(()) };
    if depth > 32 {
        return Err(ATTRIBUTE_VALUE.refuse("a value nested deeper than 32 levels"));
    }
    let elements: Vec<&Value> = match inner {
        Value::Array(list) => list.iter().collect(),
        Value::Object(map) => map.values().collect(),
        _ => Vec::new(),
    };
    match kind.as_str() {
        "SS" | "NS" | "BS" if elements.is_empty() => Err(ATTRIBUTE_VALUE.refuse("an empty set")),
        "N" | "NS" => {
            let numbers = if kind == "N" { vec![inner] } else { elements };
            match numbers.iter().filter_map(|n| n.as_str()).find(|n| significant_digits(n) > 38) {
                Some(n) => Err(ATTRIBUTE_VALUE.refuse(format!("{n} has more than 38 significant digits"))),
                None => Ok(()),
            }
        }
        "L" | "M" => elements.into_iter().try_for_each(|e| stored_value(e, depth + 1)),
        _ => Ok(()),
    }
}

fn type_of(value: &Value) -> &str {
    value.as_object().and_then(|v| v.keys().next()).map_or("nothing", String::as_str)
}

/// The item's size as DynamoDB counts it: each attribute's name (UTF-8 bytes)
/// and value.
pub fn item_size(item: &Object) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

/// `item_size` of an item as the SDK holds it (a test reading one back).
pub fn stored_size(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(&wire(value))).sum()
}

/// A value in DynamoDB's JSON wire form (`{"S": ...}`, `{"L": [...]}`, ...);
/// of the kinds the service stores (no binaries).
fn wire(value: &aws_sdk_dynamodb::types::AttributeValue) -> Value {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let (kind, inner) = match value {
        A::S(s) => ("S", Value::from(s.as_str())),
        A::N(n) => ("N", Value::from(n.as_str())),
        A::Bool(b) => ("BOOL", Value::from(*b)),
        A::Null(_) => ("NULL", Value::from(true)),
        A::Ss(v) => ("SS", v.iter().map(|s| Value::from(s.as_str())).collect()),
        A::Ns(v) => ("NS", v.iter().map(|s| Value::from(s.as_str())).collect()),
        A::L(v) => ("L", v.iter().map(wire).collect()),
        A::M(m) => ("M", Value::Object(m.iter().map(|(k, v)| (k.clone(), wire(v))).collect())),
        other => panic!("the service stores no {other:?}"),
    };
    Value::Object(Map::from_iter([(kind.to_owned(), inner)]))
}

/// A value's size: a string's UTF-8 bytes, a binary's raw bytes, a number's
/// one byte per two significant digits plus one, 1 for a boolean or null, a
/// set's elements, a list's or map's 3 bytes plus one per element plus the
/// elements (a map's with their names).
fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|v| v.iter().next()) else { return 0 };
    let text = || inner.as_str().unwrap_or_default();
    let each = || inner.as_array().into_iter().flatten().filter_map(Value::as_str);
    match kind.as_str() {
        "S" => text().len(),
        "N" => number_size(text()),
        "B" => binary_size(text()),
        "BOOL" | "NULL" => 1,
        "SS" => each().map(str::len).sum(),
        "NS" => each().map(number_size).sum(),
        "BS" => each().map(binary_size).sum(),
        "L" => 3 + inner.as_array().into_iter().flatten().map(|e| 1 + value_size(e)).sum::<usize>(),
        "M" => 3 + inner.as_object().map_or(0, |m| m.iter().map(|(k, e)| 1 + k.len() + value_size(e)).sum()),
        _ => 0,
    }
}

fn significant_digits(number: &str) -> usize {
    let mantissa = number.split(['e', 'E']).next().unwrap_or_default();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len()
}

fn number_size(number: &str) -> usize {
    significant_digits(number).div_ceil(2) + 1
}

/// The raw length of base64 `encoded`.
fn binary_size(encoded: &str) -> usize {
    (encoded.len() / 4 * 3).saturating_sub(encoded.chars().rev().take_while(|c| *c == '=').count())
}

// --- Reads ---

/// The rules of a query or scan (and, where they apply, of a get).
fn reads(a: &Object) -> Result<(), Violation> {
    let index = a.get("IndexName").and_then(Value::as_str);
    let keys = match index {
        None => (TABLE.hash_key, TABLE.range_key),
        Some(name) => match TABLE.indexes.iter().find(|i| i.name == name) {
            Some(i) => (i.hash_key, i.range_key),
            // DynamoDB and the emulators refuse an unknown index themselves.
            None => return Ok(()),
        },
    };
    if index.is_some() && a.get("ConsistentRead") == Some(&Value::Bool(true)) {
        return Err(
            CONSISTENT_READ_ON_INDEX.refuse(format!("ConsistentRead on {}", index.unwrap_or_default()))
        );
    }
    if let Some(condition) = a.get("KeyConditionExpression").and_then(Value::as_str) {
        let named = attributes(condition, a);
        if !named.contains(&keys.0) {
            return Err(KEY_CONDITION.refuse(format!("{condition:?} does not test {}", keys.0)));
        }
        if let Some(other) = named.iter().find(|n| **n != keys.0 && **n != keys.1) {
            return Err(KEY_CONDITION.refuse(format!("{condition:?} names {other}, no key of what it reads")));
        }
        if let Some(filter) = a.get("FilterExpression").and_then(Value::as_str) {
            if let Some(key) = attributes(filter, a).iter().find(|n| **n == keys.0 || **n == keys.1) {
                return Err(FILTER_ON_KEY.refuse(format!("the filter names the key attribute {key}")));
            }
        }
    }
    if let Some(start) = a.get("ExclusiveStartKey").and_then(Value::as_object) {
        let mut expected = BTreeSet::from([TABLE.hash_key, TABLE.range_key]);
        if index.is_some() {
            expected.extend([keys.0, keys.1]);
        }
        let sent: BTreeSet<&str> = start.keys().map(String::as_str).collect();
        if sent != expected {
            return Err(START_KEY.refuse(format!("ExclusiveStartKey holds {sent:?}, not {expected:?}")));
        }
        key_values(start)?;
    }
    match a.get("Limit").and_then(Value::as_i64) {
        Some(limit) if limit < 1 => Err(LIMIT.refuse(format!("Limit {limit}"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
