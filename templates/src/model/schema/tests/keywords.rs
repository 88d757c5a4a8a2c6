//! One test per validation keyword, with the exact message.

use super::*;

#[test]
fn required_counts_empty_text_and_null_as_missing() {
    let schema = json!({"required": ["name", "owner", "count"], "properties": {"name": {"type": "string"}}});
    assert_eq!(
        errors(schema.clone(), json!({"name": "", "owner": null})),
        ["name: is required", "owner: is required", "count: is required"]
    );
    assert!(errors(schema, json!({"name": "a", "owner": "b", "count": 0})).is_empty());
}

#[test]
fn absent_optional_values_are_fine_and_empty_text_skips_checks() {
    let schema = one(json!({"type": "string", "minLength": 3, "pattern": "^[a-z]+$"}));
    assert!(errors(schema.clone(), json!({})).is_empty());
    assert!(errors(schema, json!({"x": ""})).is_empty());
}

#[test]
fn types() {
    let cases = [
        ("string", json!(1), "x: must be text"),
        ("number", json!("1"), "x: must be a number"),
        ("integer", json!(1.5), "x: must be a whole number"),
        ("boolean", json!("true"), "x: must be true or false"),
        ("array", json!("a"), "x: must be a list"),
        ("object", json!([]), "x: must be a mapping"),
    ];
    for (t, value, message) in cases {
        assert_eq!(errors(one(json!({"type": t})), json!({ "x": value })), [message], "{t}");
    }
    assert!(errors(one(json!({"type": "integer"})), json!({"x": 2.0})).is_empty());
    assert!(errors(one(json!({"type": ["string", "number"]})), json!({"x": 2})).is_empty());
    assert_eq!(
        errors(one(json!({"type": ["string", "number"]})), json!({"x": true})),
        ["x: must be text or a number"]
    );
}

#[test]
fn enum_and_const() {
    let schema = one(json!({"type": "string", "enum": ["small", "large"]}));
    assert_eq!(
        errors(schema.clone(), json!({"x": "huge"})),
        ["x: must be one of small, large"]
    );
    assert!(errors(schema, json!({"x": "large"})).is_empty());
    assert_eq!(errors(one(json!({"const": 3})), json!({"x": 4})), ["x: must be 3"]);
    assert!(errors(one(json!({"const": 3})), json!({"x": 3.0})).is_empty());
}

#[test]
fn lengths_and_pattern() {
    let schema = one(json!({"type": "string", "minLength": 2, "maxLength": 20, "pattern": "^[a-z0-9-]+$"}));
    assert_eq!(
        errors(schema.clone(), json!({"x": "a"})),
        ["x: must be at least 2 characters"]
    );
    assert_eq!(
        errors(schema.clone(), json!({"x": "a".repeat(21)})),
        ["x: must be at most 20 characters"]
    );
    assert_eq!(
        errors(schema.clone(), json!({"x": "Not OK"})),
        ["x: must match ^[a-z0-9-]+$"]
    );
    // Lengths count characters, not bytes; `pattern` is searched, not anchored (JSON Schema).
    assert!(errors(one(json!({"maxLength": 2})), json!({"x": "éé"})).is_empty());
    assert!(errors(one(json!({"pattern": "b"})), json!({"x": "abc"})).is_empty());
}

#[test]
fn ranges() {
    let schema = one(json!({"type": "integer", "minimum": 1, "maximum": 10}));
    assert_eq!(errors(schema.clone(), json!({"x": 0})), ["x: must be at least 1"]);
    assert_eq!(errors(schema.clone(), json!({"x": 11})), ["x: must be at most 10"]);
    assert!(errors(schema, json!({"x": 10})).is_empty());
    let exclusive = one(json!({"exclusiveMinimum": 0, "exclusiveMaximum": 1.5}));
    assert_eq!(errors(exclusive.clone(), json!({"x": 0})), ["x: must be more than 0"]);
    assert_eq!(errors(exclusive, json!({"x": 1.5})), ["x: must be less than 1.5"]);
    let draft4 = one(json!({"minimum": 0, "exclusiveMinimum": true}));
    assert_eq!(errors(draft4, json!({"x": 0})), ["x: must be more than 0"]);
    assert_eq!(
        errors(one(json!({"multipleOf": 5})), json!({"x": 12})),
        ["x: must be a multiple of 5"]
    );
}

#[test]
fn arrays_items_and_multi_select() {
    let schema = one(
        json!({"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": true,
        "items": {"type": "string", "enum": ["a", "b", "c"]}}),
    );
    assert_eq!(
        errors(schema.clone(), json!({"x": []})),
        ["x: must have at least one item"]
    );
    assert_eq!(
        errors(schema.clone(), json!({"x": ["a", "b", "c"]})),
        ["x: must have at most 2 items"]
    );
    assert_eq!(
        errors(schema.clone(), json!({"x": ["a", "a"]})),
        ["x: must not repeat a"]
    );
    assert_eq!(
        errors(schema.clone(), json!({"x": ["a", "z"]})),
        ["x.1: must be one of a, b, c"]
    );
    assert!(errors(schema, json!({"x": ["c", "a"]})).is_empty());
}

#[test]
fn nested_objects_report_dotted_paths() {
    let schema = one(json!({"type": "object", "required": ["size"],
        "properties": {"size": {"type": "integer", "maximum": 5}, "name": {"type": "string"}}}));
    assert_eq!(
        errors(schema.clone(), json!({"x": {"name": "db"}})),
        ["x.size: is required"]
    );
    assert_eq!(errors(schema, json!({"x": {"size": 9}})), ["x.size: must be at most 5"]);
}

#[test]
fn formats() {
    assert_eq!(
        errors(one(json!({"format": "email"})), json!({"x": "someone"})),
        ["x: must be an email address"]
    );
    assert!(errors(one(json!({"format": "email"})), json!({"x": "a.b@example.com"})).is_empty());
    assert_eq!(
        errors(one(json!({"format": "uri"})), json!({"x": "not a uri"})),
        ["x: must be a URI (such as https://example.com)"]
    );
    assert!(errors(one(json!({"format": "uri"})), json!({"x": "https://example.com/a?b"})).is_empty());
    assert!(errors(one(json!({"format": "date"})), json!({"x": "2026-12-01"})).is_empty());
    assert_eq!(
        errors(one(json!({"format": "date"})), json!({"x": "2026-13-01"})).len(),
        1
    );
    assert!(errors(one(json!({"format": "hostname-ish"})), json!({"x": "anything"})).is_empty());
}

#[test]
fn repo_url_picker_values() {
    let schema = one(json!({"type": "string", "ui:field": "RepoUrlPicker",
        "ui:options": {"allowedHosts": ["github.com"], "allowedOwners": ["acme"]}}));
    assert!(errors(schema.clone(), json!({"x": "github.com?owner=acme&repo=svc"})).is_empty());
    assert_eq!(
        errors(schema.clone(), json!({"x": "github.com?owner=acme"})),
        ["x: must name a host and a repository (such as github.com?owner=acme&repo=service)"]
    );
    assert_eq!(
        errors(schema.clone(), json!({"x": "github.com?repo=svc"})),
        ["x: must name the repository's owner (github.com needs it)"]
    );
    let bitbucket = one(json!({"ui:field": "RepoUrlPicker"}));
    assert_eq!(
        errors(bitbucket.clone(), json!({"x": "bitbucket.org?workspace=w&repo=svc"})),
        ["x: must name the repository's project (bitbucket.org needs it)"]
    );
    assert!(errors(bitbucket, json!({"x": "bitbucket.org?workspace=w&project=p&repo=svc"})).is_empty());
    assert_eq!(
        errors(schema.clone(), json!({"x": "gitlab.com?owner=acme&repo=svc"})),
        ["x: host gitlab.com is not one of the allowed hosts: github.com"]
    );
    assert_eq!(
        errors(schema, json!({"x": "github.com?owner=other&repo=svc"})),
        ["x: owner must be one of acme"]
    );
    let url = RepoUrl::parse("github.com?owner=a%20b&repo=svc&organization=o").expect("parses");
    assert_eq!((url.owner.as_deref(), url.repo.as_str()), (Some("a b"), "svc"));
    assert_eq!(url.extra, [("organization".to_string(), "o".to_string())]);
    assert!(RepoUrl::parse("?repo=svc").is_none());
}

#[test]
fn entity_name_picker_follows_the_catalog_rule() {
    let schema = one(json!({"type": "string", "ui:field": "EntityNamePicker"}));
    assert!(errors(schema.clone(), json!({"x": "my-service_2.0"})).is_empty());
    assert_eq!(errors(schema.clone(), json!({"x": "-bad"})).len(), 1);
    assert_eq!(errors(schema, json!({"x": "a".repeat(64)})).len(), 1);
}

#[test]
fn entity_tags_picker_follows_the_tag_rule() {
    let schema = one(json!({"type": "array", "items": {"type": "string"}, "ui:field": "EntityTagsPicker"}));
    assert!(errors(schema.clone(), json!({"x": ["rust", "c++", "web-api"]})).is_empty());
    let found = errors(schema, json!({"x": ["ok", "Not-OK", "a--b"]}));
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("x.1: `Not-OK` is not a tag"), "{found:?}");
}
