//! Malformed schemas, each named by its field.

use super::*;

fn problems(schema: Value) -> Vec<String> {
    check_schema(&[page(json!({"title": "ok"})), page(schema)])
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn each_malformed_keyword_is_named() {
    let cases = [
        (json!({"properties": ["name"]}), "spec.parameters.1.properties"),
        (json!({"required": "name"}), "spec.parameters.1.required"),
        (
            json!({"properties": {"name": "text"}}),
            "spec.parameters.1.properties.name",
        ),
        (
            json!({"properties": {"name": {"type": "text"}}}),
            "spec.parameters.1.properties.name.type",
        ),
        (
            json!({"properties": {"name": {"pattern": "^[a-z"}}}),
            "spec.parameters.1.properties.name.pattern",
        ),
        (
            json!({"properties": {"name": {"required": true}}}),
            "spec.parameters.1.properties.name.required",
        ),
        (
            json!({"properties": {"n": {"maxLength": -1}}}),
            "spec.parameters.1.properties.n.maxLength",
        ),
        (
            json!({"properties": {"n": {"enum": "a"}}}),
            "spec.parameters.1.properties.n.enum",
        ),
        (json!({"oneOf": []}), "spec.parameters.1.oneOf"),
        (json!({"dependencies": {"a": "b"}}), "spec.parameters.1.dependencies"),
        (
            json!({"dependencies": {"a": {"oneOf": [{"properties": {"b": {"type": "strin"}}}]}}}),
            "spec.parameters.1.dependencies.a.oneOf.0.properties.b.type",
        ),
        (
            json!({"properties": {"l": {"type": "array", "items": {"pattern": "("}}}}),
            "spec.parameters.1.properties.l.items.pattern",
        ),
    ];
    for (schema, field) in cases {
        assert_eq!(problems(schema.clone()), [field], "{schema}");
    }
}

#[test]
fn messages_say_what_is_wrong() {
    let found = check_schema(&[page(
        json!({"properties": {"name": {"type": "text", "pattern": "(?=x)"}}}),
    )]);
    let messages: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    // In the order the keys are written: `type`, then `pattern`.
    assert!(
        messages[0].contains("`text` is not a type; use one of string, number"),
        "{messages:?}"
    );
    assert!(
        messages[1].starts_with("spec.parameters.0.properties.name.pattern: `(?=x)` is not a regular expression"),
        "{messages:?}"
    );
}

#[test]
fn well_formed_pages_have_no_problems() {
    let schema = json!({
        "title": "T", "required": ["a"], "ui:order": ["a"],
        "properties": {"a": {"type": ["string", "null"], "pattern": "^a", "enum": ["a"], "enumNames": ["A"]},
            "b": {"type": "array", "items": [{"type": "string"}], "uniqueItems": true},
            "c": true},
        "dependencies": {"a": ["b"]}, "if": {}, "then": {}, "allOf": [{}]
    });
    assert!(problems(schema).is_empty());
}
