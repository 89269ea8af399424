//! As strict as DynamoDB: every client built from the suite's SDK configuration
//! refuses, unsent, a request DynamoDB would refuse and an emulator may take
//! (`invitations_core::adapters::dynamo::strict`, docs/reliability.md).

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue::S;
use integration_tests::World;
use invitations_core::adapters::dynamo::strict::EMPTY_MAP;

#[tokio::test]
async fn a_request_dynamodb_would_refuse_fails_its_call_and_changes_nothing() {
    let w = World::new().await;
    let delete = |values| {
        w.store
            .client()
            .delete_item()
            .table_name(w.store.table_name())
            .key("pk", S(format!("TEAM#{}", w.team)))
            .key("sk", S(format!("MEMBER#{}", w.member.sub)))
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_values(values)
    };
    let refused = delete(Some(Default::default())).send().await.unwrap_err();
    let message = DisplayErrorContext(refused).to_string();
    assert!(message.contains(EMPTY_MAP.name), "{message}");
    assert!(w.membership(&w.team, &w.member).await.is_some(), "never sent");
    delete(None).send().await.unwrap();
    assert!(w.membership(&w.team, &w.member).await.is_none());
}
