//! `default`s filled in where no value was given, as rjsf does when a form opens: nested objects
//! too, and the fields a conditional branch brings once the values select it.

use serde_json::{Map, Value};

use super::{MAX_DEPTH, is_blank, resolve};

/// Fills `values` (an object's values) from `schema` (that object's schema).
pub(super) fn fill(schema: &Value, values: &mut Map<String, Value>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    // A default can select a branch that brings more fields with defaults: resolve again until
    // nothing changes (bounded: each round adds at least one value, and branches are finite).
    for _ in 0..8 {
        let before = values.len();
        let resolved = resolve::resolve(schema, values, depth);
        for (name, sub) in &resolved.properties {
            fill_property(name, sub, values, depth);
        }
        if values.len() == before {
            break;
        }
    }
}

fn fill_property(name: &str, sub: &Value, values: &mut Map<String, Value>, depth: usize) {
    let is_object = sub.get("type").and_then(Value::as_str) == Some("object") || sub.get("properties").is_some();
    if is_blank(values.get(name))
        && let Some(default) = sub.get("default")
    {
        values.insert(name.to_string(), default.clone());
    }
    if !is_object {
        return;
    }
    let mut nested = match values.get(name) {
        Some(Value::Object(map)) => map.clone(),
        Some(other) if !is_blank(Some(other)) => return,
        _ => Map::new(),
    };
    fill(sub, &mut nested, depth + 1);
    if !nested.is_empty() {
        values.insert(name.to_string(), Value::Object(nested));
    }
}
