use super::*;
use serde_json::json;

fn key(pk: &str, sk: &str) -> Value {
    json!({"pk": {"S": pk}, "sk": {"S": sk}})
}

fn check_ok(sk: &str) -> Value {
    json!({"ConditionCheck": {"TableName": "t", "Key": key("TEAM#a", sk), "ConditionExpression": "attribute_exists(pk)"}})
}

fn put(sk: &str) -> Value {
    json!({"PutRequest": {"Item": key("TEAM#a", sk)}})
}

/// A query of index `index` with `extra` parameters.
fn query(index: &str, condition: &str, extra: Value) -> Value {
    let mut q = json!({
        "TableName": "t",
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": {":pk": {"S": "TEAM#a#INV"}},
    });
    q.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    q
}

fn with_in(operands: usize) -> Value {
    let placeholders: Vec<String> = (0..operands).map(|i| format!(":r{i}")).collect();
    let values: Object = placeholders.iter().map(|p| (p.clone(), json!({"S": "x"}))).collect();
    json!({
        "TableName": "t",
        "Key": key("TEAM#a", "MEMBER#u"),
        "ConditionExpression": format!("#role IN ({})", placeholders.join(", ")),
        "ExpressionAttributeNames": {"#role": "role"},
        "ExpressionAttributeValues": values,
    })
}

fn sized_put(bytes: usize) -> Value {
    let mut item = key("TEAM#a", "X");
    // 4 bytes of name ("blob") and the string's, beside the key's 11.
    item["blob"] = json!({"S": "x".repeat(bytes - 11 - 4)});
    json!({"TableName": "t", "Item": item})
}

/// (rule, operation, a request it refuses, the request put right)
fn cases() -> Vec<(Rule, &'static str, Value, Value)> {
    let delete = |values: Value| {
        let mut d = json!({"TableName": "t", "Key": key("TEAM#a", "MEMBER#u"), "ConditionExpression": "attribute_exists(pk)"});
        if !values.is_null() {
            d["ExpressionAttributeValues"] = values;
        }
        d
    };
    let update = |expression: &str, names: Value| {
        let mut u = json!({"TableName": "t", "Key": key("INV#1", "INV"), "UpdateExpression": expression,
                           "ExpressionAttributeValues": {":s": {"S": "open"}}});
        if !names.is_null() {
            u["ExpressionAttributeNames"] = names;
        }
        u
    };
    let get = |k: Value| json!({"TableName": "t", "Key": k});
    let transaction = |items: Vec<Value>| json!({"TransactItems": items});
    let checks = |n: usize| transaction((0..n).map(|i| check_ok(&format!("MEMBER#{i}"))).collect());
    let batch_write = |writes: Vec<Value>| json!({"RequestItems": {"t": writes}});
    let batch_get = |n: usize| json!({"RequestItems": {"t": {"Keys": (0..n).map(|i| key("TEAM#a", &format!("M#{i}"))).collect::<Vec<_>>()}}});
    let by_status = "gsi1pk = :pk";
    vec![
        (EMPTY_MAP, "DeleteItem", delete(json!({})), delete(Value::Null)),
        (
            UNDEFINED_PLACEHOLDER,
            "UpdateItem",
            update("SET #status = :s, purgeAt = :p", json!({"#status": "status"})),
            update("SET #status = :s", json!({"#status": "status"})),
        ),
        (
            UNUSED_PLACEHOLDER,
            "DeleteItem",
            delete(json!({":u": {"S": "u"}})),
            json!({"TableName": "t", "Key": key("TEAM#a", "EMAIL#a"), "ConditionExpression": "userId = :u",
                   "ExpressionAttributeValues": {":u": {"S": "u"}}}),
        ),
        (
            // Used by another action of the transaction is not used.
            UNUSED_PLACEHOLDER,
            "TransactWriteItems",
            transaction(vec![
                json!({"Update": update("SET #status = :s", json!({"#status": "status", "#role": "role"}))}),
            ]),
            transaction(vec![json!({"Update": update("SET #status = :s", json!({"#status": "status"}))})]),
        ),
        (
            RESERVED_WORD,
            "UpdateItem",
            update("SET status = :s", Value::Null),
            update("SET #s = :s", json!({"#s": "status"})),
        ),
        (EXPRESSION_LIMITS, "DeleteItem", with_in(101), with_in(100)),
        (KEY_SCHEMA, "GetItem", get(json!({"pk": {"N": "1"}, "sk": {"S": "INV"}})), get(key("INV#1", "INV"))),
        (KEY_SCHEMA, "GetItem", get(json!({"pk": {"S": "INV#1"}})), get(key("INV#1", "INV"))),
        (
            KEY_SCHEMA,
            "PutItem",
            json!({"TableName": "t", "Item": {"pk": {"S": "INV#1"}, "sk": {"S": "INV"}, "gsi1pk": {"N": "1"}}}),
            json!({"TableName": "t", "Item": {"pk": {"S": "INV#1"}, "sk": {"S": "INV"}, "gsi1pk": {"S": "T#INV"}}}),
        ),
        (KEY_VALUE, "GetItem", get(key("", "INV")), get(key("INV#1", "INV"))),
        (KEY_VALUE, "GetItem", get(key("INV#1", &"s".repeat(1025))), get(key("INV#1", &"s".repeat(1024)))),
        (
            KEY_VALUE,
            "PutItem",
            json!({"TableName": "t", "Item": {"pk": {"S": "INV#1"}, "sk": {"S": "INV"}, "gsi3pk": {"S": ""}}}),
            json!({"TableName": "t", "Item": {"pk": {"S": "INV#1"}, "sk": {"S": "INV"}, "note": {"S": ""}}}),
        ),
        (ITEM_SIZE, "PutItem", sized_put(400 * 1024 + 1), sized_put(400 * 1024)),
        (
            ATTRIBUTE_VALUE,
            "PutItem",
            json!({"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "b"}, "tags": {"SS": []}}}),
            json!({"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "b"}, "tags": {"L": []}}}),
        ),
        (
            ATTRIBUTE_VALUE,
            "UpdateItem",
            json!({"TableName": "t", "Key": key("a", "b"), "UpdateExpression": "SET n = :n",
                   "ExpressionAttributeValues": {":n": {"N": "1".repeat(39)}}}),
            json!({"TableName": "t", "Key": key("a", "b"), "UpdateExpression": "SET n = :n",
                   "ExpressionAttributeValues": {":n": {"N": format!("{}000", "1".repeat(38))}}}),
        ),
        (TRANSACTION_SIZE, "TransactWriteItems", checks(101), checks(100)),
        (
            ONE_ACTION_PER_ITEM,
            "TransactWriteItems",
            transaction(vec![
                check_ok("MEMBER#u"),
                json!({"Put": {"TableName": "t", "Item": key("TEAM#a", "MEMBER#u")}}),
            ]),
            transaction(vec![
                check_ok("MEMBER#u"),
                json!({"Put": {"TableName": "t", "Item": key("TEAM#a", "MEMBER#v")}}),
            ]),
        ),
        (
            BATCH_SIZE,
            "BatchWriteItem",
            batch_write((0..26).map(|i| put(&format!("M#{i}"))).collect()),
            batch_write((0..25).map(|i| put(&format!("M#{i}"))).collect()),
        ),
        (BATCH_SIZE, "BatchGetItem", batch_get(101), batch_get(100)),
        (
            ONE_REQUEST_PER_ITEM,
            "BatchWriteItem",
            batch_write(vec![put("M#1"), json!({"DeleteRequest": {"Key": key("TEAM#a", "M#1")}})]),
            batch_write(vec![put("M#1"), json!({"DeleteRequest": {"Key": key("TEAM#a", "M#2")}})]),
        ),
        (
            CONSISTENT_READ_ON_INDEX,
            "Query",
            query("byTeam", by_status, json!({"ConsistentRead": true})),
            query("byTeam", by_status, json!({})),
        ),
        (
            KEY_CONDITION,
            "Query",
            query("byTeam", "pk = :pk", json!({})),
            query("byTeam", by_status, json!({})),
        ),
        (
            FILTER_ON_KEY,
            "Query",
            query("byTeam", by_status, json!({"FilterExpression": "attribute_exists(gsi1sk)"})),
            query("byTeam", by_status, json!({"FilterExpression": "attribute_exists(sk)"})),
        ),
        (
            START_KEY,
            "Query",
            query("byStatus", by_status, json!({"ExclusiveStartKey": key("INV#1", "INV")})),
            query(
                "byStatus",
                by_status,
                json!({"ExclusiveStartKey": {"pk": {"S": "INV#1"}, "sk": {"S": "INV"},
                       "gsi1pk": {"S": "TEAM#a#INV"}, "gsi2sk": {"S": "open#2026#1"}}}),
            ),
        ),
        (
            LIMIT,
            "Query",
            query("byTeam", by_status, json!({"Limit": 0})),
            query("byTeam", by_status, json!({"Limit": 1})),
        ),
    ]
}

#[test]
fn each_rule_refuses_its_example_and_passes_it_put_right() {
    for (rule, operation, refused, passed) in cases() {
        let verdict = check(operation, &refused);
        assert_eq!(verdict.as_ref().map_err(|v| v.rule), Err(rule), "{}: {verdict:?}", rule.name);
        assert_eq!(check(operation, &passed), Ok(()), "{}", rule.name);
    }
}

#[test]
fn every_rule_has_its_cases_and_is_listed_with_its_page_in_the_reliability_document() {
    let tested: HashSet<&str> = cases().iter().map(|(rule, ..)| rule.name).collect();
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/reliability.md")).unwrap();
    for rule in RULES {
        assert!(tested.contains(rule.name), "no case for {}", rule.name);
        assert!(doc.contains(rule.name) && doc.contains(rule.doc), "docs/reliability.md lists {}", rule.name);
    }
}

#[test]
fn the_reserved_words_are_the_documented_573() {
    let words: Vec<&str> = include_str!("reserved_words.txt").lines().collect();
    assert_eq!(words.len(), 573);
    assert!(words.windows(2).all(|w| w[0] < w[1]), "sorted, once each");
    assert!(["STATUS", "NAME", "ROLE", "TTL"].iter().all(|w| is_reserved(&w.to_lowercase())));
    assert!(!is_reserved("userId") && !is_reserved("history"));
}

#[test]
fn expressions_are_read_into_placeholders_and_attribute_names() {
    let r = refs("SET #s = :v, a.b[10] = list_append(if_not_exists(c, :e), :x) REMOVE d ADD #n :one");
    assert_eq!(r.names, ["#s", "#n"]);
    assert_eq!(r.values, [":v", ":e", ":x", ":one"]);
    assert_eq!(r.bare, ["a", "b", "c", "d"]);
    let r =
        refs("#role IN (:a, :b, :c) AND attribute_not_exists(pk) OR begins_with(sk, :p) AND size(x) > :n");
    assert_eq!((r.bare, r.in_operands), (vec!["pk", "sk", "x"], vec![3]));
}

#[test]
fn item_sizes_are_counted_as_documented() {
    // The documented example: "shirt-color" = "R" and "shirt-size" = "M".
    let item = json!({"shirt-color": {"S": "R"}, "shirt-size": {"S": "M"}});
    assert_eq!(item_size(item.as_object().unwrap()), 23);
    let item = json!({
        "n": {"N": "-0012.3400"},              // 1 + (4 digits / 2 + 1)
        "b": {"B": "AAECAw=="},                // 1 + 4 raw bytes
        "t": {"BOOL": true},                   // 1 + 1
        "l": {"L": [{"S": "ab"}, {"NULL": true}]}, // 1 + 3 + (1 + 2) + (1 + 1)
        "m": {"M": {"k": {"S": "v"}}},         // 1 + 3 + (1 + 1 + 1)
    });
    assert_eq!(item_size(item.as_object().unwrap()), 4 + 5 + 2 + 9 + 7);
}

#[tokio::test]
async fn a_refused_request_fails_its_sdk_call_naming_the_rule() {
    use aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput;
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_sdk_dynamodb::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    // The scripted client answers every delete: only the validator can fail it.
    let answer = mock!(Client::delete_item).then_output(|| DeleteItemOutput::builder().build());
    let client =
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[&answer], |c| c.interceptor(StrictDynamo));
    let delete = || {
        client
            .delete_item()
            .table_name("t")
            .key("pk", AttributeValue::S("TEAM#a".into()))
            .key("sk", AttributeValue::S("MEMBER#u".into()))
            .condition_expression("attribute_exists(pk)")
    };
    let refused = delete().set_expression_attribute_values(Some(Default::default())).send().await;
    let message = aws_sdk_dynamodb::error::DisplayErrorContext(refused.unwrap_err()).to_string();
    assert!(message.contains(EMPTY_MAP.name) && message.contains("DeleteItem"), "{message}");
    assert!(delete().send().await.is_ok());
}
