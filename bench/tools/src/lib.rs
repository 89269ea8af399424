//! What the benchmark programs share: loading items in bulk.

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use invitations_core::adapters::dynamo::Item;
use tokio::task::JoinSet;

/// Writes `items` into `table` with BatchWriteItem (25 a request, its
/// documented most), a few requests in flight at once; unprocessed items are
/// sent again.
pub async fn load(client: &aws_sdk_dynamodb::Client, table: &str, items: Vec<Item>) {
    let requests: Vec<WriteRequest> = items
        .into_iter()
        .map(|item| {
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                .build()
        })
        .collect();
    let mut batches = requests.chunks(25).map(<[WriteRequest]>::to_vec).collect::<Vec<_>>().into_iter();
    let mut running = JoinSet::new();
    loop {
        while running.len() < 4 {
            let Some(mut batch) = batches.next() else { break };
            let (client, table) = (client.clone(), table.to_owned());
            running.spawn(async move {
                while !batch.is_empty() {
                    let out = client
                        .batch_write_item()
                        .request_items(&table, batch)
                        .send()
                        .await
                        .expect("batch write");
                    batch = out.unprocessed_items.and_then(|mut u| u.remove(&table)).unwrap_or_default();
                }
            });
        }
        if running.join_next().await.is_none() {
            break;
        }
    }
}
