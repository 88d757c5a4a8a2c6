//! Backstage's rules and precedence, case by case (cases checked against Backstage itself).

use serde_json::{Value, json};

use super::{check_envelope, validate_entity};

fn component(extra: Value) -> Value {
    let mut base = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "svc"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}
    });
    merge(&mut base, extra);
    base
}

fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                if v.is_null() {
                    a.remove(&k);
                } else if let Some(existing) = a.get_mut(&k).filter(|e| e.is_object() && v.is_object()) {
                    merge(existing, v);
                } else {
                    a.insert(k, v);
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

fn error_field(value: Value) -> Option<String> {
    check_envelope(&value)
        .and_then(|_| validate_entity(&value))
        .err()
        .map(|e| e.field.unwrap_or_else(|| "<root>".into()))
}

#[test]
fn a_complete_component_is_valid() {
    assert_eq!(error_field(component(json!({}))), None);
}

#[test]
fn envelope_errors_leave_no_reference() {
    assert!(check_envelope(&json!({"spec": {}})).is_err());
    assert!(check_envelope(&json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": 123}})).is_err());
    assert!(
        check_envelope(&json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": "a", "namespace": null}}))
            .is_err()
    );
    assert!(check_envelope(&json!([1, 2])).is_err());
    let r = check_envelope(&json!({"apiVersion": "v1", "kind": "Resource", "metadata": {"name": "Custom MS SQL"}}))
        .unwrap();
    assert_eq!(
        r.to_string(),
        "resource:default/custom ms sql",
        "the reference exists even for an invalid name"
    );
}

#[test]
fn an_extra_root_key_wins_over_every_metadata_error() {
    let v = component(json!({"dependsOn": ["x"], "metadata": {"name": "a b", "namespace": "Bad"}}));
    assert_eq!(error_field(v), Some("dependsOn".into()));
}

#[test]
fn relations_and_status_at_the_root_are_refused() {
    assert_eq!(error_field(component(json!({"status": {}}))), Some("status".into()));
    assert_eq!(
        error_field(component(json!({"relations": []}))),
        Some("relations".into())
    );
}

#[test]
fn metadata_types_come_before_formats() {
    let v = component(json!({"metadata": {"name": "a b", "title": "", "tags": "x"}}));
    assert_eq!(error_field(v), Some("metadata.title".into()));
    assert_eq!(
        error_field(component(json!({"metadata": {"annotations": null}}))),
        None,
        "null removes the key in this helper"
    );
    let mut v = component(json!({}));
    v["metadata"]["annotations"] = Value::Null;
    assert_eq!(
        error_field(v),
        Some("metadata.annotations".into()),
        "an annotations key holding only a comment"
    );
    assert_eq!(
        error_field(component(json!({"metadata": {"description": 1.0}}))),
        Some("metadata.description".into())
    );
    assert_eq!(
        error_field(component(json!({"metadata": {"annotations": {"x": 5}}}))),
        Some("metadata.annotations.x".into())
    );
    assert_eq!(
        error_field(component(json!({"metadata": {"links": [{"title": "x"}]}}))),
        Some("metadata.links.0".into())
    );
}

#[test]
fn field_formats() {
    assert_eq!(
        error_field(component(json!({"metadata": {"name": "a b"}}))),
        Some("metadata.name".into())
    );
    assert_eq!(
        error_field(component(json!({"metadata": {"name": "x".repeat(64)}}))),
        Some("metadata.name".into())
    );
    assert_eq!(error_field(component(json!({"metadata": {"namespace": "a--b"}}))), None);
    assert_eq!(
        error_field(component(json!({"metadata": {"tags": ["ok", "Java"]}}))),
        Some("metadata.tags.1".into())
    );
    assert_eq!(
        error_field(component(json!({"metadata": {"tags": ["a:b", "on"]}}))),
        None
    );
    assert_eq!(
        error_field(component(json!({"metadata": {"annotations": {"a/b/c": "x"}}}))),
        Some("metadata.annotations".into())
    );
    assert_eq!(
        error_field(component(json!({"metadata": {"labels": {"example.com/x": ""}}}))),
        None
    );
    assert_eq!(
        error_field(component(
            json!({"metadata": {"links": [{"url": "foo:bar", "title": " "}]}})
        )),
        Some("metadata.links.0.title".into())
    );
    assert_eq!(
        error_field(component(json!({"apiVersion": "a/b/c"}))),
        Some("apiVersion".into())
    );
    assert_eq!(error_field(component(json!({"kind": "My-Kind"}))), Some("kind".into()));
}

#[test]
fn kinds_and_versions_must_be_built_in() {
    assert_eq!(
        error_field(component(json!({"kind": "Environment"}))),
        Some("kind".into())
    );
    assert_eq!(
        error_field(component(json!({"kind": "component"}))),
        Some("kind".into())
    );
    assert_eq!(
        error_field(component(json!({"apiVersion": "backstage.io/v1"}))),
        Some("kind".into())
    );
    assert_eq!(
        error_field(component(json!({"apiVersion": "backstage.io/v1beta1"}))),
        None
    );
}

#[test]
fn spec_requirements_per_kind() {
    assert_eq!(
        error_field(component(json!({"spec": {"owner": null, "type": 1}}))),
        Some("spec".into()),
        "required before types"
    );
    assert_eq!(
        error_field(component(json!({"spec": {"system": {"a": 1}}}))),
        Some("spec.system".into())
    );
    assert_eq!(
        error_field(component(json!({"spec": {"trackedDependencies": [1]}}))),
        None,
        "unknown spec keys pass"
    );
    let group = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "g"}, "spec": {"type": "team"}});
    assert_eq!(error_field(group), Some("spec".into()));
    let user = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": {"name": "u"}, "spec": {"memberOf": []}});
    assert_eq!(error_field(user), None);
    let location = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Location", "metadata": {"name": "l"}, "spec": {"presence": "maybe"}});
    assert_eq!(error_field(location), Some("spec.presence".into()));
    let no_spec = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Location", "metadata": {"name": "l"}});
    assert_eq!(error_field(no_spec), Some("<root>".into()));
}

#[test]
fn templates() {
    let template = |spec: Value| json!({"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template", "metadata": {"name": "t"}, "spec": spec});
    assert_eq!(
        error_field(template(json!({"type": "service", "steps": [{"action": "debug:log"}]}))),
        None
    );
    assert_eq!(
        error_field(template(
            json!({"type": "service", "steps": [{"action": "x", "id": 1}]})
        )),
        Some("spec.steps.0.id".into())
    );
    assert_eq!(
        error_field(template(json!({"type": "service", "steps": [], "parameters": "x"}))),
        Some("spec.parameters".into())
    );
    let v1beta2 = json!({"apiVersion": "backstage.io/v1beta2", "kind": "Template", "metadata": {"name": "t"}, "spec": {"type": "x", "steps": []}});
    assert_eq!(error_field(v1beta2), Some("kind".into()));
}
