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
