//! The link-signing secret, read from Secrets Manager at run time: a rotation
//! keeps the links already sent working, and a missing or weak secret is a
//! retryable 503 (with its cause in the log line), never a panic.

use integration_tests::{call_handlers, handlers_with, token_of, Call, Clients, Options, World};
use serde_json::json;
use std::time::Duration;

fn invite(w: &World, name: &str) -> Call {
    Call::invite(&w.team, json!({"email": w.email(name), "role": "member"})).by(&w.owner)
}

#[tokio::test]
async fn links_sent_before_a_rotation_keep_working_until_the_next_one() {
    let w = World::new().await;
    let (first, first_token) = w.invited(&w.email("before"), "member").await;

    w.rotate_link_secret("the second link-signing secret, 32 bytes or more").await;
    let after = w.instance();
    let resp = call_handlers(&after, Call::preview(&first, &first_token)).await;
    assert_eq!(resp.status, 200, "a link sent before the rotation (AWSPREVIOUS): {}", resp.body);
    let resp = call_handlers(&after, invite(&w, "after")).await;
    let (second, second_token) =
        (resp.body["id"].as_str().unwrap().to_owned(), token_of(resp.body["link"].as_str().unwrap()));
    assert_eq!(call_handlers(&after, Call::preview(&second, &second_token)).await.status, 200);

    w.rotate_link_secret("the third link-signing secret, 32 bytes or more!").await;
    let later = w.instance();
    let resp = call_handlers(&later, Call::preview(&first, &first_token)).await;
    assert_eq!(resp.status, 404, "two rotations later the first key is gone: {}", resp.body);
    assert_eq!(call_handlers(&later, Call::preview(&second, &second_token)).await.status, 200);

    // The manager copies a fresh link for the first invitation from the list.
    let listed = call_handlers(&later, Call::list(&w.team).by(&w.owner)).await;
    let link = listed.body["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == first.as_str())
        .and_then(|i| i["link"].as_str())
        .expect("the first invitation's link in the list")
        .to_owned();
    assert_ne!(token_of(&link), first_token, "signed with the current key");
    assert_eq!(call_handlers(&later, Call::preview(&first, &token_of(&link))).await.status, 200);
}

#[tokio::test]
async fn an_instance_started_before_a_rotation_accepts_the_links_of_one_started_after() {
    let w = World::with(Options { keys_min_refresh: Duration::ZERO, ..Options::default() }).await;
    let older = w.instance();
    let (id, token) = w.invited(&w.email("warm"), "member").await;
    assert_eq!(call_handlers(&older, Call::preview(&id, &token)).await.status, 200, "older holds the keys");

    w.rotate_link_secret("a key the older instance has not read, 32 bytes+").await;
    let newer = w.instance();
    let resp = call_handlers(&newer, invite(&w, "fresh")).await;
    let (id, token) =
        (resp.body["id"].as_str().unwrap().to_owned(), token_of(resp.body["link"].as_str().unwrap()));
    let resp = call_handlers(&older, Call::preview(&id, &token)).await;
    assert_eq!(resp.status, 200, "the older instance reads the keys again before refusing: {}", resp.body);
}

#[tokio::test]
async fn wrong_links_cannot_turn_into_a_stream_of_secret_reads() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("target"), "member").await;
    let instance = w.instance();
    w.secrets_seen.take();
    for _ in 0..5 {
        let wrong = Call::preview(&id, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(call_handlers(&instance, wrong).await.status, 404);
    }
    // One read of the keys (AWSCURRENT and AWSPREVIOUS), none again within MIN_REFRESH.
    assert_eq!(w.secrets_seen.take().requests, 2);
}

#[tokio::test]
async fn a_secret_too_short_to_sign_with_is_a_503_and_nothing_is_written() {
    let w = World::with(Options { link_secret: "only-twenty-bytes...", ..Options::default() }).await;
    let resp = w.invite(&w.owner, &w.email("weak"), "member").await;
    assert_eq!((resp.status, resp.code()), (503, "unavailable"), "{}", resp.body);
    assert!(!resp.body.to_string().contains("32 bytes"), "the cause is for the logs only");
    let listed = w.list(&w.member, &[]).await;
    assert_eq!(listed.body["invitations"], json!([]), "no invitation without its link");
    let resp = w.preview(&uuid::Uuid::new_v4().to_string(), "any-token").await;
    assert_eq!(resp.status, 503, "no link can be checked either");
}

#[tokio::test]
async fn an_unreadable_secret_is_a_503_and_the_next_request_tries_again() {
    let w = World::new().await;
    let sdk = integration_tests::sdk_config().await;
    let clients = Clients {
        dynamo: aws_sdk_dynamodb::Client::new(&sdk),
        ses: aws_sdk_sesv2::Client::new(&sdk),
        secrets: aws_sdk_secretsmanager::Client::new(&sdk),
    };
    let late_secret = format!("created-later-{}", w.tag);
    let api = handlers_with(&clients, w.store.table_name(), &late_secret);
    let resp = call_handlers(&api, invite(&w, "early")).await;
    assert_eq!((resp.status, resp.code()), (503, "unavailable"), "{}", resp.body);

    // The failure is not kept: once the secret exists, the same instance works.
    clients
        .secrets
        .create_secret()
        .name(&late_secret)
        .secret_string(integration_tests::SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(call_handlers(&api, invite(&w, "late")).await.status, 201);
}

/// A new instance must read the keys before it can check a link (issue 19,
/// item 8): it reads the invitation meanwhile, not after, so its first link
/// costs one round trip; once it holds the keys, a wrong link reads nothing.
#[tokio::test]
async fn a_new_instance_reads_the_invitation_while_it_reads_the_keys() {
    let w = World::new().await;
    let (id, token) = w.invited(&w.email("ada"), "member").await;
    for call in [Call::preview(&id, &token), Call::decline(&id, &token)] {
        let instance = w.instance();
        w.dynamo_seen.take();
        w.secrets_seen.take();
        assert_eq!(call_handlers(&instance, call).await.status, 200);
        let (read, _) = w.dynamo_seen.take().window.expect("the invitation was read");
        let (_, keys_answered) = w.secrets_seen.take().window.expect("the keys were read");
        assert!(read < keys_answered, "the invitation's read was sent only after the keys were read");
    }

    let (id, _) = w.invited(&w.email("bo"), "member").await;
    let instance = w.instance();
    let (_, token) = w.invited(&w.email("cy"), "member").await;
    assert_eq!(call_handlers(&instance, Call::preview(&id, &token)).await.status, 404);
    w.dynamo_seen.take();
    assert_eq!(call_handlers(&instance, Call::preview(&id, &token)).await.status, 404);
    assert_eq!(w.dynamo_seen.take().requests, 0, "a wrong link on a warm instance reads nothing");
}
