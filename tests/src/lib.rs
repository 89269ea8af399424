//! Test harness: each `World` owns a fresh table in the emulator, a team with an
//! owner, an administrator and a member, a second team, and a clock the test
//! controls. Requests go through the real handlers as API Gateway v2 events.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use chrono::{DateTime, TimeDelta, Utc};
use lambda_http::{Body, Response};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::Arc;

use invitations_core::adapters::dynamo::DynamoStore;
use invitations_core::adapters::ses::SesMailer;
use invitations_core::adapters::table::create_table;
use invitations_core::clock::{Clock, ManualClock, SystemClock};
use invitations_core::domain::{
    Email, LinkSigner, Membership, RoleCatalog, RoleName, Team, TeamId, TeamName, UserId,
};
use invitations_core::http::{Api, AuthMode};
use invitations_core::ports::InvitationStore;
use invitations_core::service::{InvitationService, Settings};

pub mod observe;
pub mod template;

pub use observe::Observer;

pub const APP_BASE_URL: &str = "https://app.example.com";
pub const SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";
pub const VERIFIED_SENDER: &str = "invitations@example.com";

/// The emulator's address, or a clear failure: these tests never pass silently.
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!(
            "AWS_ENDPOINT_URL is not set. The integration tests need a DynamoDB/SES emulator: \
             run them with scripts/test (it starts moto_server on a free port), or start one \
             yourself and export AWS_ENDPOINT_URL=http://127.0.0.1:PORT"
        )
    })
}

pub async fn sdk_config() -> SdkConfig {
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(invitations_core::bootstrap::http_client())
        .endpoint_url(endpoint())
        .region(Region::new(region))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await
}

#[derive(Debug, Clone)]
pub struct User {
    pub sub: String,
    pub email: String,
}

impl User {
    pub fn new(sub: &str, email: &str) -> Self {
        Self { sub: sub.into(), email: email.into() }
    }

    pub fn claims(&self) -> Value {
        json!({ "sub": self.sub, "email": self.email })
    }
}

pub type TestApi = Api<DynamoStore, SesMailer>;

pub struct World {
    pub api: Arc<TestApi>,
    pub clock: Arc<ManualClock>,
    pub store: DynamoStore,
    pub team: String,
    pub other_team: String,
    pub owner: User,
    pub admin: User,
    pub member: User,
    /// Owner of the other team: a manager, but not of `team`.
    pub outsider: User,
    /// Unique per world, so emails sent by one test never match another's.
    pub tag: String,
    /// What the handlers' DynamoDB and SES clients sent.
    pub dynamo_seen: Observer,
    pub ses_seen: Observer,
}

pub struct Options {
    pub sender: &'static str,
    pub validity: TimeDelta,
}

impl Default for Options {
    fn default() -> Self {
        Self { sender: VERIFIED_SENDER, validity: TimeDelta::days(7) }
    }
}

fn start_time() -> DateTime<Utc> {
    // A fixed, recent instant: runs are reproducible and nothing reads the wall clock.
    DateTime::parse_from_rfc3339("2026-11-02T09:30:00Z").unwrap().with_timezone(&Utc)
}

impl World {
    pub async fn new() -> Self {
        Self::with(Options::default()).await
    }

    pub async fn with(options: Options) -> Self {
        let sdk = sdk_config().await;
        let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let table = format!("invitations-test-{tag}");
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
        create_table(&dynamo, &table)
            .await
            .unwrap_or_else(|e| panic!("could not create a table in the emulator at {}: {e}", endpoint()));
        let ses = aws_sdk_sesv2::Client::new(&sdk);
        // Registering an identity twice fails in some emulators; either way it exists.
        let _ = ses.create_email_identity().email_identity(VERIFIED_SENDER).send().await;

        let clock = Arc::new(ManualClock::new(start_time()));
        let store = DynamoStore::new(dynamo.clone(), table.clone());
        let user = |role: &str| User::new(&format!("{role}-{tag}"), &format!("{role}.{tag}@example.com"));
        let (owner, admin, member, outsider) =
            (user("owner"), user("admin"), user("member"), user("outsider"));
        let team = format!("team-{tag}");
        let other_team = format!("other-{tag}");
        seed_team(&store, &team, "Acme Rockets", &owner, start_time()).await;
        add_member(&store, &team, &admin, "administrator").await;
        add_member(&store, &team, &member, "member").await;
        seed_team(&store, &other_team, "Globex", &outsider, start_time()).await;

        // The functions' own clients are watched: round trips and IAM actions.
        let (dynamo_seen, ses_seen) = (Observer::default(), Observer::default());
        let watched_dynamo = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(dynamo_seen.clone()).build(),
        );
        let watched_ses = aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(&sdk).interceptor(ses_seen.clone()).build(),
        );
        let api = Arc::new(api(
            watched_ses,
            DynamoStore::new(watched_dynamo, table.clone()),
            options.sender,
            clock.clone(),
            options.validity,
        ));
        Self {
            api,
            clock,
            store,
            team,
            other_team,
            owner,
            admin,
            member,
            outsider,
            tag,
            dynamo_seen,
            ses_seen,
        }
    }

    /// A fresh address nobody has used, unique to this world.
    pub fn email(&self, name: &str) -> String {
        format!("{name}.{}@example.com", self.tag)
    }

    pub async fn membership(&self, team: &str, user: &User) -> Option<Membership> {
        self.store
            .membership(&TeamId::parse(team).unwrap(), &UserId::parse(&user.sub).unwrap())
            .await
            .expect("store reachable")
    }

    pub async fn call(&self, call: Call) -> Resp {
        call_api(&self.api, call).await
    }

    pub async fn invite(&self, caller: &User, email: &str, role: &str) -> Resp {
        self.call(Call::invite(&self.team, json!({"email": email, "role": role})).by(caller)).await
    }

    /// Invites and returns (invitation id, link token), asserting success.
    pub async fn invited(&self, email: &str, role: &str) -> (String, String) {
        let resp = self.invite(&self.owner, email, role).await;
        assert_eq!(resp.status, 201, "invite failed: {}", resp.body);
        let link = resp.body["link"].as_str().expect("managers get the link").to_owned();
        (resp.body["id"].as_str().unwrap().to_owned(), token_of(&link))
    }

    pub async fn list(&self, caller: &User, query: &[(&str, &str)]) -> Resp {
        self.call(Call::list(&self.team).query(query).by(caller)).await
    }

    pub async fn withdraw(&self, caller: &User, id: &str) -> Resp {
        self.call(Call::withdraw(&self.team, id).by(caller)).await
    }

    pub async fn preview(&self, id: &str, token: &str) -> Resp {
        self.call(Call::preview(id, token)).await
    }

    pub async fn accept(&self, caller: &User, id: &str, token: &str) -> Resp {
        self.call(Call::accept(id, token).by(caller)).await
    }

    pub async fn decline(&self, caller: Option<&User>, id: &str, token: &str) -> Resp {
        let call = Call::decline(id, token);
        self.call(match caller {
            Some(u) => call.by(u),
            None => call,
        })
        .await
    }

    /// The status of one invitation as the team's list shows it to the owner.
    pub async fn status_in_list(&self, id: &str) -> String {
        let resp = self.list(&self.owner, &[("limit", "100")]).await;
        assert_eq!(resp.status, 200, "{}", resp.body);
        resp.body["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .map(|i| i["status"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("invitation {id} not in the list"))
    }
}

/// The production handlers over the real adapters, with the test's clock and
/// settings, reading identity from the authorizer context as in AWS.
pub fn api(
    ses: aws_sdk_sesv2::Client,
    store: DynamoStore,
    sender: &str,
    clock: Arc<dyn Clock>,
    validity: TimeDelta,
) -> TestApi {
    let service = InvitationService::new(
        store,
        SesMailer::new(ses, Email::parse(sender).unwrap()),
        clock,
        LinkSigner::new(SECRET.as_bytes()).unwrap(),
        RoleCatalog::builtin(),
        Settings {
            app_base_url: APP_BASE_URL.into(),
            invitation_validity: validity,
            history_retention: TimeDelta::days(90),
        },
    );
    Api::new(service, AuthMode::Authorizer)
}

/// The production handlers over given clients, on the wall clock, with the
/// defaults the functions use: for fault injection and the benchmarks.
pub fn api_with(dynamo: aws_sdk_dynamodb::Client, ses: aws_sdk_sesv2::Client, table: &str) -> TestApi {
    api(ses, DynamoStore::new(dynamo, table), VERIFIED_SENDER, Arc::new(SystemClock), TimeDelta::days(7))
}

async fn seed_team(store: &DynamoStore, team: &str, name: &str, owner: &User, now: DateTime<Utc>) {
    let team =
        Team { id: TeamId::parse(team).unwrap(), name: TeamName::parse(name).unwrap(), created_at: now };
    let owner = membership(team.id.as_str(), owner, "owner", now);
    store.create_team(&team, &owner).await.expect("seed team");
}

async fn add_member(store: &DynamoStore, team: &str, user: &User, role: &str) {
    store.add_member(&membership(team, user, role, start_time())).await.expect("seed member");
}

fn membership(team: &str, user: &User, role: &str, now: DateTime<Utc>) -> Membership {
    Membership {
        team_id: TeamId::parse(team).unwrap(),
        user_id: UserId::parse(&user.sub).unwrap(),
        email: Email::parse(&user.email).unwrap(),
        role: RoleName::parse(role).unwrap(),
        joined_at: now,
    }
}

/// The token in an invitation link.
pub fn token_of(link: &str) -> String {
    link.split_once("?token=").expect("link has a token").1.to_owned()
}

/// Which function a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Invite,
    List,
    Withdraw,
    Respond,
}

impl Function {
    /// By its binary's name (`Binary` in template.yaml).
    pub fn from_binary(name: &str) -> Option<Self> {
        Some(match name {
            "invite" => Self::Invite,
            "list" => Self::List,
            "withdraw" => Self::Withdraw,
            "respond" => Self::Respond,
            _ => return None,
        })
    }
}

/// One HTTP call, turned into the API Gateway v2 event AWS would deliver.
#[derive(Debug, Clone)]
pub struct Call {
    pub function: Function,
    pub method: &'static str,
    pub route: &'static str,
    pub path_params: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub body: Option<String>,
    pub content_type: Option<String>,
    pub claims: Option<Value>,
}

impl Call {
    fn new(function: Function, method: &'static str, route: &'static str, params: &[(&str, &str)]) -> Self {
        Self {
            function,
            method,
            route,
            path_params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            query: vec![],
            body: None,
            content_type: None,
            claims: None,
        }
    }

    pub fn invite(team: &str, body: Value) -> Self {
        Self::new(Function::Invite, "POST", "/teams/{teamId}/invitations", &[("teamId", team)]).json(body)
    }

    pub fn list(team: &str) -> Self {
        Self::new(Function::List, "GET", "/teams/{teamId}/invitations", &[("teamId", team)])
    }

    pub fn withdraw(team: &str, id: &str) -> Self {
        Self::new(
            Function::Withdraw,
            "POST",
            "/teams/{teamId}/invitations/{invitationId}/withdraw",
            &[("teamId", team), ("invitationId", id)],
        )
    }

    pub fn preview(id: &str, token: &str) -> Self {
        Self::new(Function::Respond, "GET", "/invitations/{invitationId}", &[("invitationId", id)])
            .query(&[("token", token)])
    }

    pub fn accept(id: &str, token: &str) -> Self {
        Self::new(Function::Respond, "POST", "/invitations/{invitationId}/accept", &[("invitationId", id)])
            .json(json!({ "token": token }))
    }

    pub fn decline(id: &str, token: &str) -> Self {
        Self::new(Function::Respond, "POST", "/invitations/{invitationId}/decline", &[("invitationId", id)])
            .json(json!({ "token": token }))
    }

    pub fn by(mut self, user: &User) -> Self {
        self.claims = Some(user.claims());
        self
    }

    pub fn claims(mut self, claims: Value) -> Self {
        self.claims = Some(claims);
        self
    }

    pub fn query(mut self, query: &[(&str, &str)]) -> Self {
        self.query.extend(query.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body.to_string());
        self.content_type = Some("application/json".into());
        self
    }

    pub fn raw_body(mut self, body: &str, content_type: Option<&str>) -> Self {
        self.body = Some(body.into());
        self.content_type = content_type.map(str::to_owned);
        self
    }

    pub fn path(&self) -> String {
        let mut path = self.route.to_owned();
        for (k, v) in &self.path_params {
            path = path.replace(&format!("{{{k}}}"), v);
        }
        path
    }

    /// The event as API Gateway (HTTP API, payload format 2.0) sends it.
    pub fn event(&self) -> Value {
        let path = self.path();
        let raw_query = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let mut headers = json!({ "host": "api.example.com", "user-agent": "integration-tests" });
        if let Some(ct) = &self.content_type {
            headers["content-type"] = json!(ct);
        }
        let mut ctx = json!({
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {
                "method": self.method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "integration-tests"
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": format!("{} {}", self.method, self.route),
            "stage": "$default",
            "time": "02/Nov/2026:09:30:00 +0000",
            "timeEpoch": 1_793_611_800_000u64
        });
        if let Some(claims) = &self.claims {
            ctx["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
        }
        let mut event = json!({
            "version": "2.0",
            "routeKey": format!("{} {}", self.method, self.route),
            "rawPath": path,
            "rawQueryString": raw_query,
            "headers": headers,
            "pathParameters": self.path_params.iter().cloned().collect::<std::collections::HashMap<_, _>>(),
            "requestContext": ctx,
            "isBase64Encoded": false
        });
        if !self.query.is_empty() {
            event["queryStringParameters"] =
                json!(self.query.iter().cloned().collect::<std::collections::HashMap<_, _>>());
        }
        if let Some(body) = &self.body {
            event["body"] = json!(body);
        }
        event
    }
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub headers: lambda_http::http::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

pub async fn call_api(api: &TestApi, call: Call) -> Resp {
    send_event(api, call.function, &call.event().to_string()).await
}

/// Delivers one raw API Gateway v2 event to a function's handler, as Lambda would.
pub async fn send_event(api: &TestApi, function: Function, event: &str) -> Resp {
    into_resp(dispatch(api, function, parse_event(event)).await)
}

pub fn parse_event(event: &str) -> lambda_http::Request {
    lambda_http::request::from_str(event).expect("valid API Gateway v2 event")
}

/// The handler of `function`, as its `main.rs` wires it.
pub async fn dispatch(api: &TestApi, function: Function, request: lambda_http::Request) -> Response<Body> {
    match function {
        Function::Invite => api.invite(request).await,
        Function::List => api.list(request).await,
        Function::Withdraw => api.withdraw(request).await,
        Function::Respond => api.respond(request).await,
    }
}

pub fn into_resp(response: Response<Body>) -> Resp {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type =
        headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = match response.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap_or_else(|_| panic!("body is not JSON: {t}")),
        Body::Empty => Value::Null,
        Body::Binary(b) => serde_json::from_slice(b).expect("body is JSON"),
        _ => Value::Null,
    };
    Resp { status, content_type, headers, body }
}

/// An email the emulator accepted for sending.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub source: String,
    pub subject: String,
    /// moto keeps the HTML part of SES v2 simple messages.
    pub body: String,
}

/// Emails sent to `to`, read back from moto's introspection API.
pub fn sent_emails(to: &str) -> Vec<SentEmail> {
    // moto's introspection API, or MiniStack's; whichever answers.
    if let Some(data) = http_get_json(&format!("{}/moto-api/data.json", endpoint())) {
        return data["ses"]["Message"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                m["destinations"]["ToAddresses"].as_array().is_some_and(|a| a.iter().any(|d| d == to))
            })
            .map(|m| SentEmail {
                source: m["source"].as_str().unwrap_or_default().to_owned(),
                subject: m["subject"].as_str().unwrap_or_default().to_owned(),
                body: m["body"].as_str().unwrap_or_default().to_owned(),
            })
            .collect();
    }
    let data = http_get_json(&format!("{}/_ministack/ses/messages", endpoint())).unwrap_or_else(|| {
        panic!("the emulator at {} shows no sent email (moto and MiniStack do)", endpoint())
    });
    data["messages"]
        .as_object()
        .into_iter()
        .flat_map(|accounts| accounts.values())
        .filter_map(Value::as_array)
        .flatten()
        .filter(|m| m["To"].as_array().is_some_and(|a| a.iter().any(|d| d == to)))
        .map(|m| SentEmail {
            source: m["Source"].as_str().unwrap_or_default().to_owned(),
            subject: m["Subject"].as_str().unwrap_or_default().to_owned(),
            body: m["BodyHtml"]
                .as_str()
                .filter(|b| !b.is_empty())
                .or(m["BodyText"].as_str())
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

/// A minimal HTTP/1.1 GET, enough for the emulator's JSON endpoints; None when
/// the answer is not a 200 with JSON.
fn http_get_json(url: &str) -> Option<Value> {
    let rest = url.strip_prefix("http://").expect("emulator URL is plain http");
    let (authority, path) =
        rest.split_once('/').map(|(a, p)| (a, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(authority).expect("emulator reachable");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("HTTP response");
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return None;
    }
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    serde_json::from_str(&body).ok()
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}
