//! Validation of one value against one schema, keyword by keyword, with messages a person can act
//! on. Conditional keywords (`allOf`, `oneOf`, `if`, `dependencies`) validate the same value.

use serde_json::{Map, Value};

mod ranges;
mod text;

use super::{FieldError, MAX_DEPTH, is_blank, join, shown};
use ranges::{array, number};
use text::string;

/// Appends to `errors` what is wrong with `value` at `path` according to `schema`.
pub(super) fn check(schema: &Value, value: &Value, path: &str, depth: usize, errors: &mut Vec<FieldError>) {
    let Some(schema) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(FieldError::at(path, "is not allowed"));
        }
        return;
    };
    if depth > MAX_DEPTH {
        errors.push(FieldError::at(
            path,
            format!("is nested more than {MAX_DEPTH} levels deep"),
        ));
        return;
    }
    if let Some(expected) = schema.get("const")
        && !same(expected, value)
    {
        errors.push(FieldError::at(path, format!("must be {}", shown(expected))));
        return;
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.iter().any(|o| same(o, value))
    {
        errors.push(FieldError::at(path, format!("must be one of {}", list(options))));
        return;
    }
    if let Some(message) = type_mismatch(schema.get("type"), value) {
        errors.push(FieldError::at(path, message));
        return;
    }
    match value {
        Value::String(text) => string(schema, text, path, errors),
        Value::Number(n) => number(schema, n.as_f64().unwrap_or_default(), path, errors),
        Value::Array(items) => array(schema, items, path, depth, errors),
        Value::Object(map) => object(schema, map, path, depth, errors),
        Value::Bool(_) | Value::Null => {}
    }
    conditionals(schema, value, path, depth, errors);
}

/// Whether `value` fits `schema` (used to evaluate `if` and to pick `oneOf` branches).
pub(super) fn fits(schema: &Value, value: &Value, depth: usize) -> bool {
    let mut errors = Vec::new();
    check(schema, value, "", depth, &mut errors);
    errors.is_empty()
}

/// JSON equality where `1` and `1.0` are the same number.
pub(super) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        _ => a == b,
    }
}

fn list(options: &[Value]) -> String {
    options.iter().map(shown).collect::<Vec<_>>().join(", ")
}

fn type_mismatch(expected: Option<&Value>, value: &Value) -> Option<String> {
    let names: Vec<&str> = match expected {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    if names.iter().any(|t| has_type(t, value)) {
        return None;
    }
    let words: Vec<&str> = names.iter().map(|t| type_word(t)).collect();
    Some(format!("must be {}", words.join(" or ")))
}

fn has_type(name: &str, value: &Value) -> bool {
    match (name, value) {
        ("string", Value::String(_)) | ("boolean", Value::Bool(_)) | ("null", Value::Null) => true,
        ("number", Value::Number(_)) | ("array", Value::Array(_)) | ("object", Value::Object(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

fn type_word(name: &str) -> &str {
    match name {
        "string" => "text",
        "number" => "a number",
        "integer" => "a whole number",
        "boolean" => "true or false",
        "array" => "a list",
        "object" => "a mapping",
        "null" => "empty",
        other => other,
    }
}

fn object(
    schema: &Map<String, Value>,
    map: &Map<String, Value>,
    path: &str,
    depth: usize,
    errors: &mut Vec<FieldError>,
) {
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if is_blank(map.get(name)) {
                errors.push(FieldError::at(&join(path, name), "is required"));
            }
        }
    }
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for (name, sub) in properties {
            let value = map.get(name);
            if let Some(value) = value.filter(|v| !is_blank(Some(v))) {
                check(sub, value, &join(path, name), depth + 1, errors);
            }
        }
    }
    if let Some(Value::Object(dependencies)) = schema.get("dependencies") {
        for (name, dependency) in dependencies.iter().filter(|(name, _)| !is_blank(map.get(*name))) {
            match dependency {
                Value::Array(needed) => {
                    for other in needed
                        .iter()
                        .filter_map(Value::as_str)
                        .filter(|o| is_blank(map.get(*o)))
                    {
                        errors.push(FieldError::at(
                            &join(path, other),
                            format!("is required when {name} is given"),
                        ));
                    }
                }
                sub => check(sub, &Value::Object(map.clone()), path, depth + 1, errors),
            }
        }
    }
}

fn conditionals(schema: &Map<String, Value>, value: &Value, path: &str, depth: usize, errors: &mut Vec<FieldError>) {
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for sub in all {
            check(sub, value, path, depth + 1, errors);
        }
    }
    for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
        if let Some(Value::Array(branches)) = schema.get(key) {
            one_of(branches, exactly_one, value, path, depth, errors);
        }
    }
    if let Some(condition) = schema.get("if") {
        let branch = if fits(condition, value, depth + 1) {
            "then"
        } else {
            "else"
        };
        if let Some(sub) = schema.get(branch) {
            check(sub, value, path, depth + 1, errors);
        }
    }
    if let Some(not) = schema.get("not")
        && fits(not, value, depth + 1)
    {
        errors.push(FieldError::at(path, "is not allowed"));
    }
}

/// `oneOf`/`anyOf`: when no branch fits, the errors of the closest branch (the one with fewest
/// errors: usually the one whose discriminating `const` matches), or the list of allowed values
/// when the branches are constants (a select).
fn one_of(
    branches: &[Value],
    exactly_one: bool,
    value: &Value,
    path: &str,
    depth: usize,
    errors: &mut Vec<FieldError>,
) {
    let results: Vec<Vec<FieldError>> = branches
        .iter()
        .map(|b| {
            let mut e = Vec::new();
            check(b, value, path, depth + 1, &mut e);
            e
        })
        .collect();
    let fitting = results.iter().filter(|e| e.is_empty()).count();
    if fitting == 1 || (fitting > 1 && !exactly_one) {
        return;
    }
    if fitting > 1 {
        errors.push(FieldError::at(
            path,
            format!("fits {fitting} of the choices; it must fit exactly one"),
        ));
        return;
    }
    let constants: Option<Vec<Value>> = branches.iter().map(|b| b.get("const").cloned()).collect();
    if let Some(constants) = constants.filter(|c| !c.is_empty()) {
        errors.push(FieldError::at(path, format!("must be one of {}", list(&constants))));
        return;
    }
    let closest = results
        .into_iter()
        .zip(branches)
        .min_by_key(|(e, branch)| (!discriminated(branch, value, depth), e.len()));
    if let Some((closest, _)) = closest {
        errors.extend(closest);
    }
}

/// Whether the value's fields match every `const`/`enum` property of the branch: the branch is the
/// one the person chose, so its errors are the ones worth showing.
fn discriminated(branch: &Value, value: &Value, depth: usize) -> bool {
    let (Some(Value::Object(properties)), Value::Object(map)) = (branch.get("properties"), value) else {
        return true;
    };
    properties
        .iter()
        .filter(|(_, p)| p.get("const").is_some() || p.get("enum").is_some())
        .all(|(name, p)| map.get(name).is_none_or(|v| fits(p, v, depth + 1)))
}
