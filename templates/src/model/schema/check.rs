//! Every schema of the pages visited with its field path, and the malformed ones reported: a
//! `properties` that is not a mapping, `required` not a list, an unknown `type`, a bad `pattern`.

use serde_json::{Map, Value};

use super::{MAX_DEPTH, ParameterPage};
use crate::model::ModelError;

/// Calls `visit` with every schema of the pages (pages, properties, items, branches) and its field
/// (`spec.parameters.0.properties.name`). Schemas nested deeper than [`MAX_DEPTH`] are not visited.
pub fn visit(pages: &[ParameterPage], visit: &mut dyn FnMut(&str, &Map<String, Value>)) {
    for (i, page) in pages.iter().enumerate() {
        walk(&page.schema, &format!("spec.parameters.{i}"), 0, visit);
    }
}

fn walk(schema: &Value, at: &str, depth: usize, visit: &mut dyn FnMut(&str, &Map<String, Value>)) {
    let Some(map) = schema.as_object() else { return };
    if depth > MAX_DEPTH {
        return;
    }
    visit(at, map);
    let mut child = |key: &str, sub: &Value| walk(sub, &format!("{at}.{key}"), depth + 1, visit);
    for (key, sub) in map {
        match (key.as_str(), sub) {
            ("properties" | "dependencies", Value::Object(children)) => {
                for (name, s) in children {
                    child(&format!("{key}.{name}"), s);
                }
            }
            ("items" | "allOf" | "anyOf" | "oneOf", Value::Array(list)) => {
                for (n, s) in list.iter().enumerate() {
                    child(&format!("{key}.{n}"), s);
                }
            }
            ("items" | "if" | "then" | "else" | "not" | "additionalProperties", Value::Object(_)) => child(key, sub),
            _ => {}
        }
    }
}

const TYPES: &[&str] = &["string", "number", "integer", "boolean", "array", "object", "null"];

/// The malformed schemas of the pages.
pub(super) fn malformed(pages: &[ParameterPage]) -> Vec<ModelError> {
    let mut errors = Vec::new();
    visit(pages, &mut |at, schema| {
        for (key, value) in schema {
            if let Some(message) = problem(key, value) {
                errors.push(ModelError::at(format!("{at}.{key}"), message));
            }
        }
        if let Some(Value::Object(properties)) = schema.get("properties") {
            for (name, sub) in properties.iter().filter(|(_, s)| !s.is_object() && !s.is_boolean()) {
                errors.push(ModelError::at(
                    format!("{at}.properties.{name}"),
                    format!("must be a mapping (the field's schema), not {}", short(sub)),
                ));
            }
        }
    });
    errors
}

fn problem(key: &str, value: &Value) -> Option<String> {
    let schema_like = |v: &Value| v.is_object() || v.is_boolean();
    match key {
        "properties" if !value.is_object() => Some(format!(
            "must be a mapping of field names to schemas, not {}",
            short(value)
        )),
        "required" if !is_string_list(value) => Some(format!("must be a list of field names, not {}", short(value))),
        "type" => type_problem(value),
        "pattern" => match value.as_str() {
            None => Some("must be text (a regular expression)".into()),
            Some(source) => super::pattern(source).err().map(|e| {
                format!(
                    "`{source}` is not a regular expression Cairn can run: {}",
                    first_line(&e.to_string())
                )
            }),
        },
        "enum" | "enumNames" | "ui:enumNames" | "ui:order" if !value.is_array() => Some("must be a list".into()),
        "minLength" | "maxLength" | "minItems" | "maxItems" if value.as_u64().is_none() => {
            Some("must be a whole number, zero or more".into())
        }
        "minimum" | "maximum" | "multipleOf" if !value.is_number() => Some("must be a number".into()),
        "exclusiveMinimum" | "exclusiveMaximum" if !value.is_number() && !value.is_boolean() => {
            Some("must be a number".into())
        }
        "allOf" | "anyOf" | "oneOf" => match value.as_array() {
            Some(list) if !list.is_empty() && list.iter().all(schema_like) => None,
            _ => Some("must be a non-empty list of schemas".into()),
        },
        "if" | "then" | "else" | "not" if !schema_like(value) => Some("must be a schema (a mapping)".into()),
        "items" if !schema_like(value) && !value.is_array() => {
            Some("must be a schema (a mapping) or a list of schemas".into())
        }
        "dependencies" => dependencies_problem(value),
        "uniqueItems" | "ui:autofocus" | "readOnly" if !value.is_boolean() => Some("must be true or false".into()),
        _ => None,
    }
}

fn type_problem(value: &Value) -> Option<String> {
    let names: Vec<&Value> = match value {
        Value::Array(list) if !list.is_empty() => list.iter().collect(),
        Value::String(_) => vec![value],
        _ => return Some(format!("must be a type name or a list of them, not {}", short(value))),
    };
    names
        .into_iter()
        .find(|n| !n.as_str().is_some_and(|n| TYPES.contains(&n)))
        .map(|n| format!("`{}` is not a type; use one of {}", super::shown(n), TYPES.join(", ")))
}

fn dependencies_problem(value: &Value) -> Option<String> {
    let Some(map) = value.as_object() else {
        return Some("must be a mapping of field names to a list of fields or a schema".into());
    };
    map.iter()
        .find(|(_, d)| !(d.is_object() || is_string_list(d)))
        .map(|(name, _)| format!("`{name}` must name a list of fields or a schema"))
}

fn is_string_list(value: &Value) -> bool {
    value.as_array().is_some_and(|l| l.iter().all(Value::is_string))
}

fn first_line(text: &str) -> &str {
    text.lines().rfind(|l| !l.trim().is_empty()).unwrap_or(text).trim()
}

/// A value in a message, cut short.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
