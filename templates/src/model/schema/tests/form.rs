//! The wizard's fields: kinds, `ui:` hints, pickers, order.

use super::*;

fn only(schema: Value) -> Field {
    let mut all = fields(&page(one(schema)), &Map::new());
    assert_eq!(all.len(), 1);
    all.remove(0)
}

#[test]
fn kinds_from_types_and_widgets() {
    let cases = [
        (json!({"type": "string"}), FieldKind::Text),
        (json!({"type": "string", "ui:widget": "textarea"}), FieldKind::TextArea),
        (json!({"type": "string", "ui:widget": "password"}), FieldKind::Password),
        (json!({"type": "number"}), FieldKind::Number),
        (json!({"type": "integer"}), FieldKind::Integer),
        (json!({"type": "boolean"}), FieldKind::Checkbox),
        (json!({}), FieldKind::Text),
        (json!({"properties": {}}), FieldKind::Object(vec![])),
    ];
    for (schema, kind) in cases {
        assert_eq!(only(schema.clone()).kind, kind, "{schema}");
    }
}

#[test]
fn selects_from_enum_names_and_one_of() {
    let select = only(json!({"type": "string", "enum": ["s", "l"], "enumNames": ["Small", "Large"]}));
    let options = vec![(json!("s"), "Small".to_string()), (json!("l"), "Large".to_string())];
    assert_eq!(
        select.kind,
        FieldKind::Select {
            options: options.clone()
        }
    );
    let one_of =
        only(json!({"type": "string", "oneOf": [{"const": "s", "title": "Small"}, {"const": "l", "title": "Large"}]}));
    assert_eq!(one_of.kind, FieldKind::Select { options });
    let multi = only(json!({"type": "array", "items": {"type": "string", "enum": ["a"]}, "ui:widget": "checkboxes"}));
    assert_eq!(
        multi.kind,
        FieldKind::MultiSelect {
            options: vec![(json!("a"), "a".to_string())]
        }
    );
    assert_eq!(multi.widget.as_deref(), Some("checkboxes"));
}

#[test]
fn hints_and_flags() {
    let f = only(
        json!({"type": "string", "title": "Name", "description": "d", "default": "x",
        "ui:help": "h", "ui:placeholder": "p", "ui:autofocus": true, "ui:readonly": true, "ui:options": {"rows": 5}}),
    );
    assert_eq!((f.title.as_str(), f.description.as_deref()), ("Name", Some("d")));
    assert_eq!((f.help.as_deref(), f.placeholder.as_deref()), (Some("h"), Some("p")));
    assert!(f.autofocus && f.readonly && !f.required);
    assert_eq!(f.default, Some(json!("x")));
    assert_eq!(f.options.get("rows"), Some(&json!(5)));
    assert_eq!(only(json!({})).title, "x");
}

#[test]
fn pickers_from_ui_field_and_options() {
    let owner =
        only(json!({"type": "string", "ui:field": "OwnerPicker", "ui:options": {"catalogFilter": {"kind": "Group"}}}));
    let Some(Picker::Owner {
        allowed_kinds,
        catalog_filter,
        ..
    }) = owner.picker
    else {
        panic!("{:?}", owner.picker)
    };
    assert_eq!(allowed_kinds, ["Group", "User"]);
    assert_eq!(catalog_filter, Some(json!({"kind": "Group"})));
    let entity = only(
        json!({"ui:field": "EntityPicker", "ui:options": {"allowedKinds": ["System"], "defaultKind": "System", "allowArbitraryValues": false}}),
    );
    let Some(Picker::Entity {
        allowed_kinds,
        default_kind,
        allow_arbitrary_values,
        ..
    }) = entity.picker
    else {
        panic!()
    };
    assert_eq!(
        (allowed_kinds, default_kind, allow_arbitrary_values),
        (vec!["System".to_string()], Some("System".into()), false)
    );
    let repo = only(
        json!({"ui:field": "RepoUrlPicker", "ui:options": {"allowedHosts": ["github.com"], "allowedRepos": ["a"]}}),
    );
    assert_eq!(
        repo.picker,
        Some(Picker::RepoUrl {
            allowed_hosts: vec!["github.com".into()],
            allowed_owners: vec![],
            allowed_repos: vec!["a".into()]
        })
    );
    let mine = only(json!({"ui:field": "MyGroupsPicker"}));
    assert!(
        matches!(mine.picker, Some(Picker::Owner { member_of_user: true, ref allowed_kinds, .. }) if allowed_kinds == &["Group"])
    );
    assert_eq!(only(json!({"ui:field": "SomethingElse"})).picker, None);
}

#[test]
fn objects_lists_order_and_required() {
    let schema = json!({
        "required": ["b"],
        "ui:order": ["c", "*", "a"],
        "properties": {
            "a": {"type": "string"},
            "b": {"type": "object", "required": ["port"], "properties": {"port": {"type": "integer"}}},
            "c": {"type": "array", "items": {"type": "string"}},
            "d": {"type": "string"}
        }
    });
    let all = fields(&page(schema), &Map::new());
    let order: Vec<&str> = all.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(order, ["c", "b", "d", "a"]);
    let FieldKind::Object(inner) = &all[1].kind else {
        panic!("{:?}", all[1].kind)
    };
    assert_eq!(
        (inner[0].path.as_str(), inner[0].required, all[1].required),
        ("b.port", true, true)
    );
    let FieldKind::List { item } = &all[0].kind else {
        panic!("{:?}", all[0].kind)
    };
    assert_eq!((item.path.as_str(), &item.kind), ("c.0", &FieldKind::Text));
}

#[test]
fn fields_serialize_for_the_browser() {
    let f = only(json!({"type": "string", "enum": ["a"], "ui:field": "EntityPicker"}));
    let text = serde_json::to_string(&f).expect("serializes");
    let back: Field = serde_json::from_str(&text).expect("deserializes");
    assert_eq!(back, f);
}
