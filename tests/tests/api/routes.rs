//! The route table (`invitations_core::http::routes::ROUTES`) is how every
//! function finds its handler: by API Gateway's route key, or by method and
//! path where a request has none (the local watcher); anything else is 404.

use invitations_core::http::routes::{Function, Op, Route, ROUTES};
use serde_json::json;

use integration_tests::{Call, World};

const NO_SUCH_ROUTE: &str = "No such route.";

/// A call of `route` with every path parameter filled in.
fn call_of(route: &Route, value: &str) -> Call {
    let names: Vec<&str> = route
        .template
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect();
    let params: Vec<(&str, &str)> = names.iter().map(|n| (*n, value)).collect();
    Call::op(route.op, &params)
}

#[tokio::test]
async fn every_route_of_the_table_reaches_a_handler_of_its_function() {
    let w = World::new().await;
    for route in ROUTES {
        for call in [call_of(route, "nonexistent"), call_of(route, "nonexistent").without_route_key()] {
            let resp = w.call(call.json(json!({}))).await;
            assert_ne!(
                resp.body["detail"],
                NO_SUCH_ROUTE,
                "{}: no handler in {:?}",
                route.key(),
                route.function
            );
            assert!(resp.status < 500, "{}: {} {}", route.key(), resp.status, resp.body);
        }
    }
}

#[tokio::test]
async fn a_route_of_another_function_an_unknown_route_key_or_path_is_a_404_problem() {
    let w = World::new().await;
    for route in ROUTES {
        for function in Function::ALL.into_iter().filter(|f| *f != route.function) {
            let mut call = call_of(route, "x").by(&w.owner);
            call.function = function;
            let resp = w.call(call).await;
            assert_eq!(
                (resp.status, resp.code()),
                (404, "not_found"),
                "{} sent to {function:?}",
                route.key()
            );
            assert_eq!(resp.body["detail"], NO_SUCH_ROUTE);
            assert_eq!(resp.content_type, "application/problem+json");
        }
    }
    // A route key no route has, and a path no template matches.
    let mut unknown = Call::list(&w.team).by(&w.owner);
    unknown.route = "/teams/{teamId}/invitations/export";
    assert_eq!(w.call(unknown).await.body["detail"], NO_SUCH_ROUTE);
    let mut unmatched = Call::list(&w.team).by(&w.owner).without_route_key();
    unmatched.route = "/prod/teams/{teamId}/invitations";
    assert_eq!(w.call(unmatched).await.body["detail"], NO_SUCH_ROUTE);
}

#[tokio::test]
async fn a_team_whose_id_is_me_lists_its_invitations_and_my_invitations_stay_mine() {
    let w = World::new().await;
    let created = w
        .call(
            Call::platform("PUT", "me")
                .by_platform()
                .json(json!({"name": "Team Me", "owner": {"userId": w.owner.sub, "email": w.owner.email}})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let invited = w.email("invited-to-me");
    let invite = w.call(Call::invite("me", json!({"email": invited, "role": "member"})).by(&w.owner)).await;
    assert_eq!(invite.status, 201, "{}", invite.body);

    for call in [Call::list("me").by(&w.owner), Call::list("me").by(&w.owner).without_route_key()] {
        let listed = w.call(call).await;
        assert_eq!(listed.status, 200, "{}", listed.body);
        let emails: Vec<&str> = listed.body["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["email"].as_str().unwrap())
            .collect();
        assert_eq!(emails, [invited.as_str()], "the team's list, not the owner's own invitations");
    }
    // `/me/invitations` is still the caller's own list (the owner has none).
    for call in [Call::my_invitations().by(&w.owner), Call::my_invitations().by(&w.owner).without_route_key()]
    {
        let mine = w.call(call).await;
        assert_eq!(mine.status, 200, "{}", mine.body);
        assert_eq!(mine.body["invitations"], json!([]));
    }
    assert_eq!(Route::of(Op::List).template, "/teams/{teamId}/invitations");
}
