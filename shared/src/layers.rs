//! The layering rule, held by a test that reads every `crate::...` path in
//! the crate's sources (docs/architecture.md):
//!
//! 0. `domain`, with `error`, `time`, `clock`: pure;
//! 1. `ports`: the capabilities the use cases need;
//! 2. `mail`: the invitation email, rendered for a `ports::Mailer`;
//! 3. `config`: the settings, read from the environment;
//! 4. `service` (the use cases) and `adapters` (AWS behind the ports), which
//!    never import each other;
//! 5. `http` and `triggers`: the edges that call the use cases;
//! 6. `bootstrap` (each function's wiring), `dev` (development aids) and
//!    `scripted_tests` (the service over a scripted DynamoDB client).
//!
//! A module imports only from a lower layer or from itself, and no two
//! modules import each other.

use std::collections::BTreeSet;
use std::path::Path;

const LAYERS: &[(&str, u8)] = &[
    ("domain", 0),
    ("error", 0),
    ("time", 0),
    ("clock", 0),
    ("ports", 1),
    ("mail", 2),
    ("config", 3),
    ("service", 4),
    ("adapters", 4),
    ("http", 5),
    ("triggers", 5),
    ("bootstrap", 6),
    ("dev", 6),
    ("scripted_tests", 6),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The top-level modules `source` names through `crate::` paths, outside comments.
fn imports(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in source.lines().map(str::trim_start).filter(|l| !l.starts_with("//")) {
        let line = line.split("//").next().unwrap_or_default();
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// What is wrong with module `module` importing the modules `imported`.
fn violations(module: &str, imported: &BTreeSet<String>) -> Vec<String> {
    let Some(own) = layer(module) else {
        return vec![format!("{module} is in no layer: add it to LAYERS")];
    };
    imported
        .iter()
        .filter(|m| m.as_str() != module && !matches!(m.as_str(), "Error"))
        .filter_map(|m| match layer(m) {
            None => Some(format!("{module} imports {m}, which is in no layer")),
            Some(l) if l > own => {
                Some(format!("{module} (layer {own}) imports {m} (layer {l}), a layer above"))
            }
            Some(l) if l == own && own > 0 => Some(format!("{module} imports {m}, beside it in layer {l}")),
            _ => None,
        })
        .collect()
}

/// Each module of the crate with the modules its files import.
fn crate_imports(src: &Path) -> Vec<(String, BTreeSet<String>)> {
    let mut modules: Vec<(String, BTreeSet<String>)> = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the source folder is readable") {
            let path = entry.expect("a readable entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("below src");
            let first = relative.components().next().expect("a path").as_os_str().to_string_lossy();
            let module = first.trim_end_matches(".rs").to_owned();
            if matches!(module.as_str(), "lib" | "layers") {
                continue;
            }
            let found = imports(&std::fs::read_to_string(&path).expect("a readable source file"));
            match modules.iter_mut().find(|(m, _)| *m == module) {
                Some((_, all)) => all.extend(found),
                None => modules.push((module, found)),
            }
        }
    }
    modules
}

#[test]
fn no_module_imports_a_layer_above_or_beside_it_and_none_import_each_other() {
    let modules = crate_imports(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(modules.len() >= LAYERS.len(), "every layer has sources: {modules:?}");
    let mut problems: Vec<String> = modules.iter().flat_map(|(m, found)| violations(m, found)).collect();
    for (a, of_a) in &modules {
        for (b, of_b) in &modules {
            if a < b && of_a.contains(b) && of_b.contains(a) {
                problems.push(format!("{a} and {b} import each other"));
            }
        }
    }
    assert!(problems.is_empty(), "the layering rule (src/layers.rs) is broken:\n{}", problems.join("\n"));
}

#[test]
fn the_rule_catches_an_import_from_above_beside_or_nowhere() {
    let found = |text: &str| imports(text);
    assert!(violations("adapters", &found("use crate::service::invitations::Sending;")).len() == 1);
    assert!(violations("service", &found("use crate::adapters::dynamo::DynamoStore;")).len() == 1);
    assert!(violations("domain", &found("let x = crate::ports::StoreError::Other(s);")).len() == 1);
    assert!(violations("http", &found("use crate::triggers::ses;")).len() == 1);
    assert!(violations("ports", &found("use crate::nowhere::X;")).len() == 1);
    // Below, and itself: fine; a comment names nothing.
    assert!(violations("http", &found("use crate::service::Caller;\nuse crate::http::routes;")).is_empty());
    assert!(violations("service", &found("// see crate::adapters::dynamo")).is_empty());
}
