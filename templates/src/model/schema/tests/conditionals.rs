//! `dependencies` (lists, schemas, `oneOf` branches), `if`/`then`/`else`, `allOf`: in validation,
//! in the visible fields and in defaults.

use super::*;

/// rjsf's documented pattern: a select whose value brings its branch's fields.
fn database_page() -> Value {
    json!({
        "required": ["db"],
        "properties": {"name": {"type": "string"}, "db": {"type": "string", "enum": ["none", "postgres"], "default": "none"}},
        "dependencies": {
            "db": {"oneOf": [
                {"properties": {"db": {"const": "none"}}},
                {"properties": {"db": {"const": "postgres"}, "size": {"type": "integer", "default": 10, "maximum": 100}},
                 "required": ["size"]}
            ]}
        }
    })
}

fn paths(schema: &Value, v: Value) -> Vec<String> {
    fields(&page(schema.clone()), &values(v))
        .into_iter()
        .map(|f| f.path)
        .collect()
}

#[test]
fn one_of_branch_selected_by_the_dependency_value() {
    let schema = database_page();
    // Declared order, the branch's fields after the page's own.
    assert_eq!(paths(&schema, json!({"db": "none"})), ["name", "db"]);
    assert_eq!(paths(&schema, json!({"db": "postgres"})), ["name", "db", "size"]);
    assert!(errors(schema.clone(), json!({"db": "none"})).is_empty());
    assert_eq!(errors(schema.clone(), json!({"db": "postgres"})), ["size: is required"]);
    assert_eq!(
        errors(schema.clone(), json!({"db": "postgres", "size": 500})),
        ["size: must be at most 100"]
    );
    assert!(errors(schema.clone(), json!({"db": "postgres", "size": 5})).is_empty());
    let size = fields(&page(schema), &values(json!({"db": "postgres"})));
    assert!(size.iter().any(|f| f.path == "size" && f.required));
}

#[test]
fn defaults_follow_the_branch_the_defaults_select() {
    let schema = database_page();
    let filled = with_defaults(&[page(schema.clone())], &Map::new());
    assert_eq!(Value::Object(filled), json!({"db": "none"}));
    let filled = with_defaults(&[page(schema)], &values(json!({"db": "postgres"})));
    assert_eq!(Value::Object(filled), json!({"db": "postgres", "size": 10}));
}

#[test]
fn property_and_schema_dependencies() {
    let schema = json!({
        "properties": {"card": {"type": "string"}, "billing": {"type": "string"}, "zip": {"type": "string"}},
        "dependencies": {"card": ["billing"], "billing": {"properties": {"zip": {"pattern": "^[0-9]{5}$"}}, "required": ["zip"]}}
    });
    assert!(errors(schema.clone(), json!({})).is_empty());
    assert_eq!(
        errors(schema.clone(), json!({"card": "1234"})),
        ["billing: is required when card is given"]
    );
    assert_eq!(
        errors(schema.clone(), json!({"billing": "x", "zip": "1"})),
        ["zip: must match ^[0-9]{5}$"]
    );
    let all = fields(&page(schema), &values(json!({"card": "1"})));
    let required: Vec<&str> = all.iter().filter(|f| f.required).map(|f| f.path.as_str()).collect();
    assert_eq!(required, ["billing"], "billing becomes required");
}

#[test]
fn if_then_else() {
    let schema = json!({
        "properties": {"public": {"type": "boolean"}},
        "if": {"properties": {"public": {"const": true}}, "required": ["public"]},
        "then": {"properties": {"domain": {"type": "string", "format": "uri"}}, "required": ["domain"]},
        "else": {"properties": {"vpn": {"type": "string"}}}
    });
    assert_eq!(errors(schema.clone(), json!({"public": true})), ["domain: is required"]);
    assert!(errors(schema.clone(), json!({"public": false})).is_empty());
    assert_eq!(paths(&schema, json!({"public": true})), ["public", "domain"]);
    assert_eq!(paths(&schema, json!({})), ["public", "vpn"]);
}

#[test]
fn all_of_inside_dependencies_as_real_templates_write_it() {
    let schema = json!({
        "properties": {"action": {"type": "string", "enum": ["apply", "plan"]}},
        "dependencies": {"action": {"allOf": [
            {"if": {"properties": {"action": {"const": "apply"}}},
             "then": {"properties": {"approver": {"type": "string"}}, "required": ["approver"]}}
        ]}}
    });
    assert_eq!(paths(&schema, json!({"action": "plan"})), ["action"]);
    assert_eq!(paths(&schema, json!({"action": "apply"})), ["action", "approver"]);
    assert_eq!(
        errors(schema.clone(), json!({"action": "apply"})),
        ["approver: is required"]
    );
    assert!(errors(schema, json!({"action": "plan"})).is_empty());
}

#[test]
fn all_of_merges_and_validates_every_part() {
    let schema = json!({"allOf": [
        {"properties": {"a": {"type": "string"}}, "required": ["a"]},
        {"properties": {"a": {"maxLength": 2}, "b": {"type": "integer"}}}
    ]});
    assert_eq!(paths(&schema, json!({})), ["a", "b"]);
    assert_eq!(errors(schema.clone(), json!({})), ["a: is required"]);
    assert_eq!(errors(schema, json!({"a": "abc"})), ["a: must be at most 2 characters"]);
}

#[test]
fn one_of_reports_the_closest_branch() {
    let schema = json!({"oneOf": [
        {"properties": {"kind": {"const": "a"}, "x": {"type": "string"}}, "required": ["kind", "x"]},
        {"properties": {"kind": {"const": "b"}, "y": {"type": "integer"}}, "required": ["kind", "y"]}
    ]});
    assert_eq!(errors(schema.clone(), json!({"kind": "b"})), ["y: is required"]);
    assert!(errors(schema, json!({"kind": "b", "y": 1})).is_empty());
    let select = one(json!({"oneOf": [{"const": "s", "title": "Small"}, {"const": "l", "title": "Large"}]}));
    assert_eq!(errors(select, json!({"x": "m"})), ["x: must be one of s, l"]);
}

#[test]
fn nested_object_defaults() {
    let schema = json!({"properties": {
        "app": {"type": "object", "properties": {"port": {"type": "integer", "default": 8080}, "name": {"type": "string"}}},
        "given": {"type": "string", "default": "d"}
    }});
    let filled = with_defaults(&[page(schema.clone())], &values(json!({"given": "mine"})));
    assert_eq!(Value::Object(filled), json!({"app": {"port": 8080}, "given": "mine"}));
    let filled = with_defaults(&[page(schema)], &values(json!({"app": {"port": 1}, "given": ""})));
    assert_eq!(Value::Object(filled), json!({"app": {"port": 1}, "given": "d"}));
}

#[test]
fn pages_are_checked_alone_or_together() {
    let first = page(json!({"required": ["name"], "properties": {"name": {"type": "string", "default": "svc"}}}));
    let second = page(
        json!({"required": ["owner"], "properties": {"owner": {"type": "string"}, "port": {"type": "integer", "default": 8080}}}),
    );
    let given = values(json!({"name": "svc"}));
    assert!(validate_page(&first, &given).is_empty());
    let all = validate(&[first.clone(), second.clone()], &given);
    assert_eq!(all, [FieldError::at("owner", "is required")]);
    let filled = with_defaults(&[first, second], &Map::new());
    assert_eq!(Value::Object(filled), json!({"name": "svc", "port": 8080}));
}
