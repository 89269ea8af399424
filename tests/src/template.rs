//! Reading `template.yaml` for the tests that hold the code, the router, the
//! events and the deployment promises to it.

use serde_yaml_ng::Value as Yaml;
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn text() -> String {
    std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml exists")
}

pub fn parsed() -> Yaml {
    serde_yaml_ng::from_str(&text()).expect("template.yaml is YAML")
}

pub fn s(v: &Yaml) -> String {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v:?}")).to_owned()
}

pub fn list(v: &Yaml) -> Vec<Yaml> {
    v.as_sequence().cloned().unwrap_or_default()
}

/// (logical id, resource) of every resource of one type.
pub fn resources(t: &Yaml, kind: &str) -> Vec<(String, Yaml)> {
    t["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(k, r)| (s(k), r.clone()))
        .collect()
}

/// (binary, logical id, resource) of every function.
pub fn functions(t: &Yaml) -> Vec<(String, String, Yaml)> {
    resources(t, "AWS::Serverless::Function")
        .into_iter()
        .map(|(id, r)| (s(&r["Metadata"]["BuildProperties"]["Binary"]), id, r))
        .collect()
}

/// One route of the HTTP API, as the template declares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: String,
    pub path: String,
    /// The binary of the function its integration invokes.
    pub binary: String,
    /// Who may call it, as the gateway checks before any function runs.
    pub auth: RouteAuth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RouteAuth {
    /// A user, with a token the JWT authorizer verified.
    Jwt,
    /// A service, with a SigV4 signature the IAM authorizer verified.
    Iam,
    /// Anyone (the link's token authorises).
    None,
}

impl Route {
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Every `AWS::ApiGatewayV2::Route`, followed through its integration to the
/// function it invokes.
pub fn routes(t: &Yaml) -> Vec<Route> {
    let binaries: std::collections::BTreeMap<String, String> =
        functions(t).into_iter().map(|(binary, id, _)| (id, binary)).collect();
    resources(t, "AWS::ApiGatewayV2::Route")
        .into_iter()
        .map(|(id, r)| {
            let p = &r["Properties"];
            let key = s(&p["RouteKey"]);
            let (method, path) = key.split_once(' ').unwrap_or_else(|| panic!("{id}: RouteKey {key:?}"));
            let target = render(&p["Target"]);
            let integration = target
                .strip_prefix("!Sub integrations/${")
                .and_then(|t| t.strip_suffix('}'))
                .unwrap_or_else(|| panic!("{id}: Target {target}"));
            let uri = render(&t["Resources"][integration]["Properties"]["IntegrationUri"]);
            let function = uri
                .strip_prefix("!GetAtt ")
                .and_then(|u| u.strip_suffix(".Arn"))
                .unwrap_or_else(|| panic!("{integration}: IntegrationUri {uri}"));
            let auth = match s(&p["AuthorizationType"]).as_str() {
                "JWT" => {
                    assert_eq!(render(&p["AuthorizerId"]), "!Ref JwtAuthorizer", "{id}");
                    RouteAuth::Jwt
                }
                "AWS_IAM" => RouteAuth::Iam,
                "NONE" => RouteAuth::None,
                other => panic!("{id}: AuthorizationType {other}"),
            };
            Route { method: method.into(), path: path.into(), binary: binaries[function].clone(), auth }
        })
        .collect()
}

/// One line for any value, intrinsic functions included (`!GetAtt T.Arn`), so
/// tests can compare resources and conditions as text.
pub fn render(v: &Yaml) -> String {
    match v {
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => n.to_string(),
        Yaml::String(s) => s.clone(),
        Yaml::Sequence(items) => format!("[{}]", items.iter().map(render).collect::<Vec<_>>().join(", ")),
        Yaml::Mapping(m) => format!(
            "{{{}}}",
            m.iter().map(|(k, v)| format!("{}: {}", render(k), render(v))).collect::<Vec<_>>().join(", ")
        ),
        Yaml::Tagged(t) => format!("{} {}", t.tag, render(&t.value)),
    }
}
