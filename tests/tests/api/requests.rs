//! The example requests in `requests/` (API Gateway's Lambda events) are what
//! `sam local invoke -e` and `cargo lambda invoke --data-file` send. Each one
//! goes here to the function the route table routes it to, wired exactly as in Lambda (configuration from the
//! environment's variables, identity from the authorizer claims), against the demo
//! data `scripts/dev` seeds, so the examples cannot rot.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use integration_tests::template::root;
use integration_tests::{sdk_config, send_event, Api};
use invitations_core::adapters::dynamo::table::create_table;
use invitations_core::adapters::dynamo::DynamoStore;
use invitations_core::clock::{Clock, SystemClock};
use invitations_core::config::{self, Config, Links};
use invitations_core::dev::demo;
use invitations_core::http::routes::{Function, ROUTES};

/// Each example request and the status its function answers on fresh demo data.
const EXPECTED: [(&str, u16); 38] = [
    ("invite.json", 201),
    ("batch.json", 200),
    ("resend.json", 200),
    ("list.json", 200),
    ("members.json", 200),
    ("me-invitations.json", 200),
    ("roles.json", 200),
    ("change-role.json", 200),
    ("remove-member.json", 200),
    ("withdraw.json", 200),
    ("history.json", 200),
    ("preview.json", 200),
    ("accept.json", 200),
    ("decline.json", 200),
    ("platform-get.json", 200),
    ("platform-create.json", 201),
    ("platform-rename.json", 200),
    ("platform-name-owner.json", 200),
    ("platform-close.json", 202),
    ("link-create.json", 201),
    ("link-list.json", 200),
    ("link-preview.json", 200),
    ("link-join.json", 201),
    ("link-revoke.json", 200),
    ("join-requests.json", 200),
    ("join-request-approve.json", 200),
    ("join-request-deny.json", 200),
    ("me-join-requests.json", 200),
    ("join-request-cancel.json", 200),
    ("platform-domains.json", 200),
    ("platform-domain-set.json", 200),
    ("platform-domain-remove.json", 200),
    ("me-joinable-teams.json", 200),
    ("domain-join.json", 201),
    ("accept-request-ask.json", 202),
    ("accept-requests.json", 200),
    ("accept-request-approve.json", 200),
    ("accept-request-refuse.json", 200),
];

fn request_files() -> BTreeMap<String, Value> {
    fs::read_dir(root().join("requests"))
        .expect("requests/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, json)
        })
        .collect()
}

/// "METHOD /path" -> binary, from the route table.
fn routed() -> BTreeMap<String, String> {
    ROUTES.iter().map(|r| (r.key(), r.function.binary().to_owned())).collect()
}

#[test]
fn there_is_one_request_per_route_of_the_table_in_the_shape_api_gateway_sends() {
    let files = request_files();
    let listed: BTreeSet<&str> = EXPECTED.iter().map(|(f, _)| *f).collect();
    assert_eq!(files.keys().map(String::as_str).collect::<BTreeSet<_>>(), listed);
    let covered: BTreeSet<String> =
        files.values().map(|e| e["routeKey"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        covered,
        routed().keys().cloned().collect::<BTreeSet<_>>(),
        "every route of the table has one example request, and no other route has one"
    );
    for (name, e) in &files {
        assert_eq!(e["version"], "2.0", "{name}");
        assert_eq!(e["routeKey"], e["requestContext"]["routeKey"], "{name}");
        assert_eq!(e["rawPath"], e["requestContext"]["http"]["path"], "{name}");
        let method = e["routeKey"].as_str().unwrap().split(' ').next().unwrap();
        assert_eq!(e["requestContext"]["http"]["method"], method, "{name}");
        // Signed-in routes carry the claims API Gateway's JWT authorizer adds;
        // the platform's, the principal its IAM authorizer verified.
        let claims = &e["requestContext"]["authorizer"]["jwt"]["claims"];
        let platform = name.starts_with("platform-");
        let anonymous = platform || matches!(name.as_str(), "preview.json" | "decline.json");
        assert_eq!(claims["sub"].is_string(), !anonymous, "{name}");
        assert_eq!(e["requestContext"]["authorizer"]["iam"]["userArn"].is_string(), platform, "{name}");
    }
}

#[tokio::test]
async fn every_request_gets_the_expected_answer_from_its_function() {
    let sdk = sdk_config().await;
    let routes = routed();
    for (name, event) in request_files() {
        // A fresh table per request: each example acts on the demo data as seeded.
        let table = format!("requests-{}", uuid::Uuid::new_v4().simple());
        create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table).await.expect("create table");
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone());
        demo::seed(&store, SystemClock.now(), config::default_validity(), config::default_retention())
            .await
            .expect("seed");
        // The demo link secret, as seed-demo creates it for scripts/dev.
        let secret_id = format!("{table}-link-secret");
        demo::create_link_secret(&aws_sdk_secretsmanager::Client::new(&sdk), &secret_id)
            .await
            .expect("secret");
        let env: BTreeMap<&str, String> = [
            ("TABLE_NAME", table),
            ("SENDER_EMAIL", integration_tests::VERIFIED_SENDER.to_owned()),
            ("APP_BASE_URL", "http://localhost:3000".to_owned()),
            ("LINK_SIGNING_SECRET_ID", secret_id),
            // The role the example platform requests are signed by.
            ("PLATFORM_ROLE_ARNS", integration_tests::request::PLATFORM_ROLE.to_owned()),
        ]
        .into();
        let config =
            Config::from_lookup(|k| env.get(k).cloned(), Links::Signed).expect("valid configuration");
        assert!(!config.local_insecure_auth, "identity must come from the authorizer claims, as in AWS");
        let api = Api::from_config(&config, &sdk);

        let binary = &routes[event["routeKey"].as_str().unwrap()];
        let function = Function::from_binary(binary).unwrap();
        let resp = send_event(&api, function, &event.to_string()).await;
        let expected = EXPECTED.iter().find(|(f, _)| *f == name).unwrap().1;
        assert_eq!(resp.status, expected, "{name} -> {binary}: {}", resp.body);
    }
}

#[test]
fn the_local_api_gets_the_link_secret_as_aws_does_by_id_never_by_value() {
    // seed-demo creates the secret (with the key the requests' links are signed
    // with); `scripts/smoke` then sends every request to the local API that
    // `start_local_api` (scripts/lib.sh, for scripts/dev --api and scripts/smoke) serves.
    let lib = fs::read_to_string(root().join("scripts/lib.sh")).unwrap();
    let dev = &lib[lib.find("start_local_api() {").expect("scripts/lib.sh serves the local API")..];
    assert!(dev.contains("export LINK_SIGNING_SECRET_ID="), "start_local_api names the secret");
    assert!(dev.contains("seed-demo"), "and seed-demo creates it");
    assert!(!dev.contains(demo::LOCAL_LINK_SECRET), "the key itself is never in the environment");
}
