//! The form the wizard draws: one [`Field`] per visible property, its input kind, its `ui:` hints
//! and its picker, for the current values (conditional branches resolved).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{MAX_DEPTH, join, resolve};

/// One input of the form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Dotted path of the value (`name`, `db.size`): also the path of its [`super::FieldError`]s.
    pub path: String,
    /// `title`, or the property's name.
    pub title: String,
    pub description: Option<String>,
    pub kind: FieldKind,
    pub required: bool,
    pub default: Option<Value>,
    /// `ui:widget` as written (`textarea`, `radio`, `hidden`…).
    pub widget: Option<String>,
    /// `ui:help`.
    pub help: Option<String>,
    /// `ui:placeholder`.
    pub placeholder: Option<String>,
    /// `ui:autofocus`.
    pub autofocus: bool,
    /// `readOnly`, `ui:readonly` or `ui:disabled`.
    pub readonly: bool,
    pub picker: Option<Picker>,
    /// `ui:options` as written (`rows`, `catalogFilter`…), for hints the kinds above do not carry.
    pub options: Map<String, Value>,
}

/// What input a field is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FieldKind {
    Text,
    TextArea,
    Password,
    Number,
    Integer,
    Checkbox,
    /// One of fixed values: `(value, label)` from `enum`/`enumNames` or `oneOf` `const`/`title`.
    Select {
        options: Vec<(Value, String)>,
    },
    /// Several of fixed values: an array whose `items` are an enum.
    MultiSelect {
        options: Vec<(Value, String)>,
    },
    /// A nested object's fields.
    Object(Vec<Field>),
    /// A list of free values; `item` describes one element.
    List {
        item: Box<Field>,
    },
}

/// A Backstage field extension (`ui:field`) Cairn draws itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Picker {
    /// `OwnerPicker`: a group or user; `MyGroupsPicker` with `member_of_user`.
    Owner {
        allowed_kinds: Vec<String>,
        catalog_filter: Option<Value>,
        allow_arbitrary_values: bool,
        member_of_user: bool,
    },
    /// `EntityPicker`, `OwnedEntityPicker` (`owned_by_user`), `MultiEntityPicker` (`multiple`).
    Entity {
        allowed_kinds: Vec<String>,
        catalog_filter: Option<Value>,
        default_kind: Option<String>,
        default_namespace: Option<String>,
        allow_arbitrary_values: bool,
        owned_by_user: bool,
        multiple: bool,
    },
    /// `EntityNamePicker`: a name following the catalog's naming rule.
    EntityName,
    /// `EntityTagsPicker`: tags, suggested from the catalog's existing ones.
    EntityTags { kinds: Vec<String> },
    /// `RepoUrlPicker`: `host?owner=…&repo=…`.
    RepoUrl {
        allowed_hosts: Vec<String>,
        allowed_owners: Vec<String>,
        allowed_repos: Vec<String>,
    },
}

/// The `ui:field` values Cairn supports, each becoming a [`Picker`].
pub const SUPPORTED_FIELDS: &[&str] = &[
    "OwnerPicker",
    "MyGroupsPicker",
    "EntityPicker",
    "OwnedEntityPicker",
    "MultiEntityPicker",
    "EntityNamePicker",
    "EntityTagsPicker",
    "RepoUrlPicker",
];

/// The fields of an object schema for its values.
pub(super) fn fields(schema: &Value, values: &Map<String, Value>, path: &str, depth: usize) -> Vec<Field> {
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    let resolved = resolve::resolve(schema, values, depth);
    resolve::ordered(&resolved)
        .into_iter()
        .map(|(name, sub)| {
            let nested = values.get(name).and_then(Value::as_object).cloned().unwrap_or_default();
            let mut field = field(sub, &join(path, name), name, &nested, depth + 1);
            field.required = resolved.required.contains(name);
            field
        })
        .collect()
}

fn field(schema: &Value, path: &str, name: &str, nested: &Map<String, Value>, depth: usize) -> Field {
    let text = |key: &str| schema.get(key).and_then(Value::as_str).map(str::to_string);
    let flag = |key: &str| schema.get(key).and_then(Value::as_bool).unwrap_or(false);
    let options = schema
        .get("ui:options")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Field {
        path: path.to_string(),
        title: text("title").unwrap_or_else(|| name.to_string()),
        description: text("description"),
        kind: kind(schema, path, nested, depth),
        required: false,
        default: schema.get("default").cloned(),
        widget: text("ui:widget"),
        help: text("ui:help"),
        placeholder: text("ui:placeholder")
            .or_else(|| options.get("placeholder").and_then(Value::as_str).map(str::to_string)),
        autofocus: flag("ui:autofocus"),
        readonly: flag("readOnly") || flag("ui:readonly") || flag("ui:disabled"),
        picker: text("ui:field").and_then(|f| picker(&f, &options)),
        options,
    }
}

fn kind(schema: &Value, path: &str, nested: &Map<String, Value>, depth: usize) -> FieldKind {
    let widget = schema.get("ui:widget").and_then(Value::as_str);
    if let Some(options) = choices(schema) {
        return FieldKind::Select { options };
    }
    let first_type = match schema.get("type") {
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        other => other.and_then(Value::as_str),
    };
    let implied = if schema.get("properties").is_some() {
        "object"
    } else {
        "string"
    };
    match first_type.unwrap_or(implied) {
        "number" => FieldKind::Number,
        "integer" => FieldKind::Integer,
        "boolean" => FieldKind::Checkbox,
        "object" => FieldKind::Object(fields(schema, nested, path, depth)),
        "array" => match schema.get("items").and_then(choices) {
            Some(options) => FieldKind::MultiSelect { options },
            None => {
                let item = schema.get("items").cloned().unwrap_or(Value::Null);
                FieldKind::List {
                    item: Box::new(field(&item, &join(path, "0"), "item", &Map::new(), depth + 1)),
                }
            }
        },
        _ => match widget {
            Some("textarea") => FieldKind::TextArea,
            Some("password") => FieldKind::Password,
            _ => FieldKind::Text,
        },
    }
}

/// `(value, label)` pairs from `enum` (labelled by `enumNames` or `ui:enumNames`) or from a `oneOf`
/// (or `anyOf`) of `const`s labelled by their `title`.
fn choices(schema: &Value) -> Option<Vec<(Value, String)>> {
    if let Some(Value::Array(values)) = schema.get("enum") {
        let names = schema
            .get("enumNames")
            .or_else(|| schema.get("ui:enumNames"))
            .and_then(Value::as_array);
        let label = |i: usize, v: &Value| {
            names
                .and_then(|n| n.get(i))
                .and_then(Value::as_str)
                .map_or_else(|| super::shown(v), str::to_string)
        };
        return Some(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| (v.clone(), label(i, v)))
                .collect(),
        );
    }
    let branches = schema.get("oneOf").or_else(|| schema.get("anyOf"))?.as_array()?;
    branches
        .iter()
        .map(|b| {
            let value = b.get("const")?.clone();
            let label = b
                .get("title")
                .and_then(Value::as_str)
                .map_or_else(|| super::shown(&value), str::to_string);
            Some((value, label))
        })
        .collect::<Option<Vec<_>>>()
        .filter(|o| !o.is_empty())
}

fn strings(options: &Map<String, Value>, key: &str) -> Vec<String> {
    options
        .get(key)
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

fn picker(name: &str, options: &Map<String, Value>) -> Option<Picker> {
    let filter = options.get("catalogFilter").cloned();
    let arbitrary = options
        .get("allowArbitraryValues")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let text = |key: &str| options.get(key).and_then(Value::as_str).map(str::to_string);
    let entity = |owned_by_user, multiple| Picker::Entity {
        allowed_kinds: strings(options, "allowedKinds"),
        catalog_filter: filter.clone(),
        default_kind: text("defaultKind"),
        default_namespace: text("defaultNamespace"),
        allow_arbitrary_values: arbitrary,
        owned_by_user,
        multiple,
    };
    let owner = |member_of_user: bool| Picker::Owner {
        allowed_kinds: match strings(options, "allowedKinds") {
            kinds if !kinds.is_empty() => kinds,
            _ if member_of_user => vec!["Group".into()],
            _ => vec!["Group".into(), "User".into()],
        },
        catalog_filter: filter.clone(),
        allow_arbitrary_values: arbitrary,
        member_of_user,
    };
    Some(match name {
        "OwnerPicker" => owner(false),
        "MyGroupsPicker" => owner(true),
        "EntityPicker" => entity(false, false),
        "OwnedEntityPicker" => entity(true, false),
        "MultiEntityPicker" => entity(false, true),
        "EntityNamePicker" => Picker::EntityName,
        "EntityTagsPicker" => Picker::EntityTags {
            kinds: strings(options, "kinds"),
        },
        "RepoUrlPicker" => Picker::RepoUrl {
            allowed_hosts: strings(options, "allowedHosts"),
            allowed_owners: strings(options, "allowedOwners"),
            allowed_repos: strings(options, "allowedRepos"),
        },
        _ => return None,
    })
}
