//! The one builder of API Gateway HTTP API events (payload format 2.0) that the
//! unit tests, the integration tests and the benchmarks send to the handlers:
//! the shape AWS delivers, so a handler is tested on what it will receive.

use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    method: String,
    route: String,
    path: String,
    path_params: Map<String, Value>,
    query: Vec<(String, String)>,
    headers: Map<String, Value>,
    body: Option<String>,
    base64_encoded: bool,
    claims: Option<Value>,
    iam_principal: Option<String>,
    /// As the local watcher sends it: no route key, no path parameters.
    local: bool,
}

impl ApiRequest {
    /// `route` is the route template (`/teams/{teamId}/invitations`), `path` the
    /// requested path.
    pub fn new(method: &str, route: &str, path: &str) -> Self {
        Self { method: method.into(), route: route.into(), path: path.into(), ..Self::default() }
    }

    pub fn path_param(mut self, name: &str, value: &str) -> Self {
        self.path_params.insert(name.into(), json!(value));
        self
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_ascii_lowercase(), json!(value));
        self
    }

    pub fn body(mut self, text: &str) -> Self {
        self.body = Some(text.into());
        self
    }

    /// A body API Gateway passed on base64-encoded (it was not text).
    pub fn base64_body(mut self, encoded: &str) -> Self {
        self.body = Some(encoded.into());
        self.base64_encoded = true;
        self
    }

    /// The claims of a JWT the authorizer verified, as it passes them on.
    pub fn claims(mut self, claims: Value) -> Self {
        self.claims = Some(claims);
        self
    }

    /// The caller API Gateway's IAM authorizer verified (a SigV4 signature), as
    /// it passes it on.
    pub fn iam(mut self, principal_arn: &str) -> Self {
        self.iam_principal = Some(principal_arn.into());
        self
    }

    /// The request as the local stand-in for API Gateway (`cargo lambda watch`)
    /// sends it: without a route key or path parameters, only the path.
    pub fn without_route_key(mut self) -> Self {
        self.local = true;
        self
    }

    pub fn json(&self) -> Value {
        let route_key = format!("{} {}", self.method, self.route);
        // lambda_http reads the query from `rawQueryString`, percent-encoded as
        // API Gateway sends it.
        let raw_query: Vec<String> =
            self.query.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let mut headers = json!({ "host": "api.example.com", "user-agent": "tests" });
        headers.as_object_mut().expect("an object").extend(self.headers.clone());
        let mut context = json!({
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com", "domainPrefix": "api",
            "http": {"method": self.method, "path": self.path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "tests"},
            "requestId": "request", "routeKey": route_key, "stage": "$default",
            "time": "02/Nov/2026:09:30:00 +0000", "timeEpoch": 1_793_611_800_000u64
        });
        if let Some(claims) = &self.claims {
            context["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
        }
        if let Some(arn) = &self.iam_principal {
            let account = arn.split(':').nth(4).unwrap_or_default();
            context["authorizer"] = json!({ "iam": {
                "accessKey": "AKIAEXAMPLE", "accountId": account, "callerId": "AROAEXAMPLE:platform",
                "principalOrgId": null, "userArn": arn, "userId": "AROAEXAMPLE:platform"
            }});
        }
        let mut event = json!({
            "version": "2.0", "routeKey": route_key, "rawPath": self.path, "rawQueryString": raw_query.join("&"),
            "headers": headers, "pathParameters": self.path_params, "requestContext": context,
            "isBase64Encoded": self.base64_encoded
        });
        if self.local {
            event["requestContext"].as_object_mut().expect("an object").remove("routeKey");
            let event = event.as_object_mut().expect("an object");
            event.remove("routeKey");
            event.remove("pathParameters");
        }
        if !self.query.is_empty() {
            let mut query = Map::new();
            for (k, v) in &self.query {
                query.insert(k.clone(), json!(v));
            }
            event["queryStringParameters"] = Value::Object(query);
        }
        if let Some(body) = &self.body {
            event["body"] = json!(body);
        }
        event
    }

    /// The request `lambda_http` makes of this event.
    pub fn request(&self) -> lambda_http::Request {
        lambda_http::request::from_str(&self.json().to_string()).expect("a well-formed API Gateway v2 event")
    }
}

/// Percent-encodes every byte but the unreserved ones.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
