//! template.yaml is the single source of truth for the table; the route table
//! (`invitations_core::http::routes::ROUTES`) for the routes. These tests hold
//! everything that repeats them (the admin CLI's table, the template's routes,
//! the local router, the OpenAPI contract) to them.

use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;
use std::collections::BTreeSet;

use integration_tests::template::{
    functions, list, parsed as template, render, root, s, text as template_text,
};
use invitations_core::adapters::dynamo::table::create_table;
use invitations_core::http::routes::{Op, Route, ROUTES};

/// (name, key schema, projection type, projected non-key attributes) of a secondary index.
type Index = (String, Vec<(String, String)>, String, BTreeSet<String>);

/// (key type, attribute) pairs of a KeySchema, in order.
fn keys(schema: &Yaml) -> Vec<(String, String)> {
    list(schema).iter().map(|k| (s(&k["KeyType"]), s(&k["AttributeName"]))).collect()
}

#[tokio::test]
async fn the_table_the_admin_cli_creates_is_the_one_the_template_declares() {
    let t = template();
    let declared = &t["Resources"]["InvitationsTable"]["Properties"];

    let sdk = integration_tests::sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let name = format!("template-check-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &name).await.expect("create-table succeeds");
    let table = client.describe_table().table_name(&name).send().await.unwrap().table.unwrap();
    let ttl = client.describe_time_to_live().table_name(&name).send().await.unwrap();

    let actual_keys: Vec<(String, String)> = table
        .key_schema()
        .iter()
        .map(|k| (k.key_type().as_str().into(), k.attribute_name().into()))
        .collect();
    assert_eq!(actual_keys, keys(&declared["KeySchema"]));

    let actual_attrs: BTreeSet<(String, String)> = table
        .attribute_definitions()
        .iter()
        .map(|a| (a.attribute_name().into(), a.attribute_type().as_str().into()))
        .collect();
    let declared_attrs: BTreeSet<(String, String)> = list(&declared["AttributeDefinitions"])
        .iter()
        .map(|a| (s(&a["AttributeName"]), s(&a["AttributeType"])))
        .collect();
    assert_eq!(actual_attrs, declared_attrs);

    let actual_gsis: BTreeSet<Index> = table
        .global_secondary_indexes()
        .iter()
        .map(|g| {
            (
                g.index_name().unwrap().to_owned(),
                g.key_schema()
                    .iter()
                    .map(|k| (k.key_type().as_str().into(), k.attribute_name().into()))
                    .collect(),
                g.projection().and_then(|p| p.projection_type()).unwrap().as_str().to_owned(),
                g.projection().map(|p| p.non_key_attributes().iter().cloned().collect()).unwrap_or_default(),
            )
        })
        .collect();
    let declared_gsis: BTreeSet<Index> = list(&declared["GlobalSecondaryIndexes"])
        .iter()
        .map(|g| {
            (
                s(&g["IndexName"]),
                keys(&g["KeySchema"]),
                s(&g["Projection"]["ProjectionType"]),
                list(&g["Projection"]["NonKeyAttributes"]).iter().map(s).collect(),
            )
        })
        .collect();
    assert_eq!(actual_gsis, declared_gsis);
    assert!(table.local_secondary_indexes().is_empty() && declared["LocalSecondaryIndexes"].is_null());

    let billing = table.billing_mode_summary().and_then(|b| b.billing_mode()).map(|b| b.as_str().to_owned());
    assert_eq!(billing, Some(s(&declared["BillingMode"])));

    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some(s(&declared["TimeToLiveSpecification"]["AttributeName"]).as_str()));
    assert_eq!(declared["TimeToLiveSpecification"]["Enabled"], Yaml::Bool(true));
    assert_eq!(ttl.time_to_live_status().map(|s| s.as_str()), Some("ENABLED"));

    // The events function reads the same change stream locally as in AWS.
    let stream = table.stream_specification().expect("a stream");
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str().to_owned()),
        Some(s(&declared["StreamSpecification"]["StreamViewType"]))
    );
}

#[test]
fn local_insecure_auth_never_reaches_aws() {
    assert!(!template_text().contains("LOCAL_INSECURE_AUTH"));
}

/// (METHOD, path, function) for every route of the template's HTTP API.
fn template_routes() -> BTreeSet<(String, String, String)> {
    integration_tests::template::routes(&template())
        .into_iter()
        .map(|r| (r.method, r.path, r.binary))
        .collect()
}

fn router_routes() -> BTreeSet<(String, String, String)> {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline", "--manifest-path"])
        .arg(root().join("Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: Json = serde_json::from_slice(&out.stdout).unwrap();
    let router =
        meta["metadata"]["lambda"]["watch"]["router"].as_object().expect("router in workspace metadata");
    let mut routes = BTreeSet::new();
    for (path, targets) in router {
        for t in targets.as_array().expect("method-specific routes") {
            routes.insert((
                t["method"].as_str().unwrap().to_owned(),
                path.clone(),
                t["function"].as_str().unwrap().to_owned(),
            ));
        }
    }
    routes
}

/// The route table (`invitations_core::http::routes::ROUTES`): every other
/// place that lists routes is held to it.
fn table_routes() -> BTreeSet<(String, String, String)> {
    ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.template.to_owned(), r.function.binary().to_owned()))
        .collect()
}

#[test]
fn the_template_and_the_local_router_declare_exactly_the_route_tables_routes() {
    let table = table_routes();
    assert_eq!(table.len(), ROUTES.len(), "a route twice in the table");
    assert_eq!(template_routes(), table, "template.yaml's routes and functions");
    assert_eq!(router_routes(), table, "Cargo.toml [workspace.metadata.lambda.watch.router]");
}

#[test]
fn only_preview_and_decline_skip_the_jwt_authorizer_and_only_the_platform_routes_need_iam() {
    use integration_tests::template::RouteAuth;
    let all = integration_tests::template::routes(&template());
    let with = |auth: RouteAuth| -> BTreeSet<String> {
        all.iter().filter(|r| r.auth == auth).map(|r| r.key()).collect()
    };
    let expected: BTreeSet<String> =
        [Route::of(Op::Preview).key(), Route::of(Op::Decline).key()].into_iter().collect();
    assert_eq!(with(RouteAuth::None), expected);
    // The machine interface is the platform function's alone, and all of it is IAM's.
    let platform: BTreeSet<String> = all.iter().filter(|r| r.binary == "platform").map(|r| r.key()).collect();
    assert_eq!(with(RouteAuth::Iam), platform);
    assert_eq!(platform.len(), 8);
}

#[test]
fn api_gateway_may_invoke_each_function_and_only_from_this_api() {
    let t = template();
    let mut allowed = BTreeSet::new();
    for (id, p) in integration_tests::template::resources(&t, "AWS::Lambda::Permission") {
        let p = &p["Properties"];
        assert_eq!(s(&p["Action"]), "lambda:InvokeFunction", "{id}");
        assert_eq!(s(&p["Principal"]), "apigateway.amazonaws.com", "{id}");
        assert_eq!(
            render(&p["SourceArn"]),
            "!Sub arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpApi}/*",
            "{id}: only this API"
        );
        allowed.insert(render(&p["FunctionName"]));
    }
    // Every function but the four no client calls (the stream's, SES's, the schedule's).
    let functions: BTreeSet<String> = functions(&t)
        .into_iter()
        .filter(|(binary, _, _)| !["events", "closing", "delivery", "remind"].contains(&binary.as_str()))
        .map(|(_, id, _)| format!("!Ref {id}"))
        .collect();
    assert_eq!(allowed, functions);
    for (id, i) in integration_tests::template::resources(&t, "AWS::ApiGatewayV2::Integration") {
        assert_eq!(
            s(&i["Properties"]["PayloadFormatVersion"]),
            "2.0",
            "{id}: the event shape the handlers read"
        );
        assert_eq!(s(&i["Properties"]["IntegrationType"]), "AWS_PROXY", "{id}");
    }
}

#[test]
fn every_function_is_a_cargo_lambda_build_for_al2023() {
    let t = template();
    assert_eq!(s(&t["Globals"]["Function"]["Runtime"]), "provided.al2023");
    let mut binaries = BTreeSet::new();
    for (binary, _, resource) in functions(&t) {
        assert_eq!(s(&resource["Metadata"]["BuildMethod"]), "rust-cargolambda");
        binaries.insert(binary);
    }
    let expected: BTreeSet<String> = [
        "invite", "list", "withdraw", "respond", "platform", "links", "events", "closing", "delivery",
        "remind",
    ]
    .map(String::from)
    .into();
    assert_eq!(binaries, expected);
}

#[test]
fn the_openapi_spec_describes_exactly_the_route_tables_routes() {
    let spec: Yaml = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root().join("docs/openapi.yaml")).expect("docs/openapi.yaml exists"),
    )
    .expect("the spec is YAML");
    assert_eq!(s(&spec["openapi"]), "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, _) in item.as_mapping().unwrap() {
            let method = s(method);
            if method != "parameters" {
                documented.insert((method.to_uppercase(), s(path)));
            }
        }
    }
    let table: BTreeSet<(String, String)> =
        ROUTES.iter().map(|r| (r.method.to_owned(), r.template.to_owned())).collect();
    assert_eq!(documented, table, "docs/openapi.yaml's operations");
}
