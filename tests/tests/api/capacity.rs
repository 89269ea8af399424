//! The benchmark's capacity meter (`tests/src/capacity.rs`) finds the items a
//! request touched and prices them (the pricing rules have their own unit
//! tests in `strict/capacity.rs`): here, that each kind of request reaches it,
//! with the items as the emulator holds them.

use aws_sdk_dynamodb::types::{AttributeValue::S, Put, TransactWriteItem};
use integration_tests::capacity::Meter;
use integration_tests::{Options, World};

#[tokio::test]
async fn the_meter_prices_the_items_each_request_touched() {
    let meter = Meter::default();
    let w = World::with(Options { capacity: Some(meter.clone()), ..Options::default() }).await;
    let (client, table) = (w.store.client(), w.store.table_name());
    // 5,000 bytes and more, in no index (no index key).
    let blob = "x".repeat(5000);
    let key = |sk: &str| [("pk", S("METER#a".into())), ("sk", S(sk.into()))];
    meter.take();

    let mut put = client.put_item().table_name(table).item("payload", S(blob.clone()));
    for (k, v) in key("one") {
        put = put.item(k, v);
    }
    put.send().await.unwrap();
    assert_eq!(meter.take().write, 5.0, "a put: per 1 KB of the item");

    let get =
        || client.get_item().table_name(table).key("pk", S("METER#a".into())).key("sk", S("one".into()));
    get().consistent_read(true).send().await.unwrap();
    assert_eq!(meter.take().read, 2.0, "a strongly consistent get: per 4 KB");
    get().send().await.unwrap();
    assert_eq!(meter.take().read, 1.0, "an eventually consistent get: half");

    let item = key("two").into_iter().map(|(k, v)| (k.to_owned(), v)).chain([("payload".into(), S(blob))]);
    let put = Put::builder().table_name(table).set_item(Some(item.collect())).build().unwrap();
    client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(put).build())
        .send()
        .await
        .unwrap();
    assert_eq!(meter.take().write, 10.0, "in a transaction: double");

    // A query is charged for what it evaluated, not for what its filter kept.
    client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .filter_expression("attribute_not_exists(payload)")
        .expression_attribute_values(":pk", S("METER#a".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(meter.take().read, 1.5, "two items of 5 KB, eventually consistent: 3 x 4 KB halved");

    // A condition that fails still costs the item it found.
    let refused = client
        .delete_item()
        .table_name(table)
        .key("pk", S("METER#a".into()))
        .key("sk", S("one".into()))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    assert!(refused.is_err());
    assert_eq!(meter.take().write, 5.0);
}
