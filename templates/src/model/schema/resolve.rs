//! An object schema with its conditional parts resolved for the current values, as rjsf shows it:
//! `allOf` merged, `if` deciding between `then` and `else`, `dependencies` adding the fields (and
//! the `oneOf` branch) their key's value selects.

use serde_json::{Map, Value};

use super::{MAX_DEPTH, is_blank, keywords::fits};

/// The properties (in order, each with its merged schema) and the required names of an object.
#[derive(Debug, Default)]
pub(super) struct Resolved {
    pub properties: Vec<(String, Value)>,
    pub required: Vec<String>,
    /// `ui:order`, when the schema gives one.
    pub order: Option<Vec<String>>,
}

/// Resolves `schema` (an object schema) for `values`.
pub(super) fn resolve(schema: &Value, values: &Map<String, Value>, depth: usize) -> Resolved {
    let mut resolved = Resolved {
        order: schema
            .get("ui:order")
            .and_then(Value::as_array)
            .map(|o| o.iter().filter_map(Value::as_str).map(str::to_string).collect()),
        ..Resolved::default()
    };
    merge(schema, values, depth, &mut resolved);
    resolved
}

fn merge(schema: &Value, values: &Map<String, Value>, depth: usize, into: &mut Resolved) {
    let Some(schema) = schema.as_object() else { return };
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for (name, sub) in properties {
            add_property(into, name, sub);
        }
    }
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            add_required(into, name);
        }
    }
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for sub in all {
            merge(sub, values, depth + 1, into);
        }
    }
    if let Some(condition) = schema.get("if") {
        let branch = if fits(condition, &Value::Object(values.clone()), depth + 1) {
            "then"
        } else {
            "else"
        };
        if let Some(sub) = schema.get(branch) {
            merge(sub, values, depth + 1, into);
        }
    }
    if let Some(Value::Object(dependencies)) = schema.get("dependencies") {
        for (name, dependency) in dependencies {
            let known = into.properties.iter().any(|(n, _)| n == name);
            if known && !is_blank(values.get(name)) {
                dependent(name, dependency, values, depth + 1, into);
            }
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = schema.get(key)
            && let Some(branch) = chosen(branches, values, depth)
        {
            merge(branch, values, depth + 1, into);
        }
    }
}

/// A dependency whose key has a value: required names, or a schema whose `oneOf` branch is the
/// one whose property `name` accepts the value (that property itself is not merged, as in rjsf).
fn dependent(name: &str, dependency: &Value, values: &Map<String, Value>, depth: usize, into: &mut Resolved) {
    match dependency {
        Value::Array(needed) => needed
            .iter()
            .filter_map(Value::as_str)
            .for_each(|n| add_required(into, n)),
        Value::Object(schema) => {
            let mut plain = schema.clone();
            let branches = plain.remove("oneOf");
            merge(&Value::Object(plain), values, depth, into);
            let Some(Value::Array(branches)) = branches else { return };
            let value = values.get(name).cloned().unwrap_or_default();
            let selected = branches.iter().find(|b| {
                b.get("properties")
                    .and_then(|p| p.get(name))
                    .is_some_and(|p| fits(p, &value, depth + 1))
            });
            if let Some(Value::Object(branch)) = selected {
                let mut branch = branch.clone();
                if let Some(Value::Object(properties)) = branch.get_mut("properties") {
                    properties.remove(name);
                }
                merge(&Value::Object(branch), values, depth + 1, into);
            }
        }
        _ => {}
    }
}

/// For an object-level `oneOf` outside `dependencies`: the first branch the values fit, else the
/// first branch (rjsf preselects it).
fn chosen<'a>(branches: &'a [Value], values: &Map<String, Value>, depth: usize) -> Option<&'a Value> {
    let object = Value::Object(values.clone());
    branches
        .iter()
        .find(|b| b.get("properties").is_some() && fits(b, &object, depth + 1))
        .or_else(|| branches.first().filter(|b| b.get("properties").is_some()))
}

fn add_required(into: &mut Resolved, name: &str) {
    if !into.required.iter().any(|r| r == name) {
        into.required.push(name.to_string());
    }
}

fn add_property(into: &mut Resolved, name: &str, sub: &Value) {
    match into.properties.iter_mut().find(|(n, _)| n == name) {
        Some((_, existing)) => deep_merge(existing, sub),
        None => into.properties.push((name.to_string(), sub.clone())),
    }
}

/// rjsf's schema merge: mappings merged key by key, `required` lists joined, anything else replaced.
fn deep_merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in b {
                match (a.get_mut(key), value) {
                    (Some(Value::Array(mine)), Value::Array(theirs)) if key == "required" => {
                        for item in theirs {
                            if !mine.contains(item) {
                                mine.push(item.clone());
                            }
                        }
                    }
                    (Some(existing), value) => deep_merge(existing, value),
                    (None, value) => {
                        a.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (into, from) => *into = from.clone(),
    }
}

/// The property names in display order: `ui:order` (with `*` standing for the rest), else as written.
pub(super) fn ordered(resolved: &Resolved) -> Vec<&(String, Value)> {
    let Some(order) = &resolved.order else {
        return resolved.properties.iter().collect();
    };
    let listed = |name: &String| order.iter().any(|o| o == name);
    let rest: Vec<&(String, Value)> = resolved.properties.iter().filter(|(n, _)| !listed(n)).collect();
    let mut out = Vec::new();
    let mut rest_placed = false;
    for name in order {
        if name == "*" {
            out.extend(rest.iter().copied());
            rest_placed = true;
        } else if let Some(p) = resolved.properties.iter().find(|(n, _)| n == name) {
            out.push(p);
        }
    }
    if !rest_placed {
        out.extend(rest);
    }
    out
}
