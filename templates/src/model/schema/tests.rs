//! Unit tests of the parameter schema: keywords, conditional forms, defaults, fields, messages.

mod conditionals;
mod form;
mod keywords;
mod malformed;

use serde_json::{Map, Value, json};

use super::*;

fn page(schema: Value) -> ParameterPage {
    ParameterPage {
        title: None,
        description: None,
        schema,
    }
}

fn values(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("values are a mapping")
}

/// The errors as `path: message` lines, for exact assertions.
fn errors(schema: Value, v: Value) -> Vec<String> {
    validate(&[page(schema)], &values(v))
        .into_iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect()
}

/// A page with one property `x` of the given schema.
fn one(schema: Value) -> Value {
    json!({"properties": {"x": schema}})
}
