//! Values a person could plausibly enter, made from a template's form: defaults, the first choice
//! of a select, names that fit the usual patterns, pickers' shapes; each checked by the schema's own
//! validation, trying other candidates where one is refused.

use serde_json::{Map, Value, json};
use templates::model::ParameterPage;
use templates::model::schema::{self, Field, FieldKind, Picker};

/// Texts tried in order for a text field until its validation passes.
const CANDIDATES: &[&str] = &[
    "example-name",
    "example",
    "examplename",
    "example_name",
    "ExampleName",
    "Example Name",
    "example-name-1",
    "https://example.com",
    "someone@example.com",
    "ex",
    "e",
    "1",
    "v1.0.0",
    "EXAMPLE",
    "00000000-0000-0000-0000-000000000000",
];

/// Values for every visible field of every page.
pub fn sample_values(pages: &[ParameterPage]) -> Map<String, Value> {
    let mut values = schema::with_defaults(pages, &Map::new());
    // Each round may reveal fields a chosen branch brings.
    for _ in 0..6 {
        let before = values.clone();
        for page in pages {
            for field in schema::fields(page, &values) {
                fill(&field, &mut values);
            }
        }
        values = schema::with_defaults(pages, &values);
        repair(pages, &mut values);
        if values == before {
            break;
        }
    }
    values
}

fn fill(field: &Field, values: &mut Map<String, Value>) {
    if let FieldKind::Object(inner) = &field.kind {
        for f in inner {
            fill(f, values);
        }
        return;
    }
    if get(values, &field.path).is_some_and(|v| !v.is_null() && v != "") {
        return;
    }
    set(values, &field.path, first_guess(field));
}

fn first_guess(field: &Field) -> Value {
    match (&field.picker, &field.kind) {
        (
            Some(Picker::RepoUrl {
                allowed_hosts,
                allowed_owners,
                allowed_repos,
            }),
            _,
        ) => {
            let host = allowed_hosts.first().map_or("github.com", String::as_str);
            let owner = allowed_owners.first().map_or("example-owner", String::as_str);
            let repo = allowed_repos.first().map_or("example-name", String::as_str);
            json!(format!("{host}?owner={owner}&repo={repo}"))
        }
        (Some(Picker::Owner { .. }), _) => json!("group:default/example-team"),
        (
            Some(Picker::Entity {
                allowed_kinds,
                default_kind,
                multiple,
                ..
            }),
            _,
        ) => {
            let kind = default_kind
                .as_ref()
                .or(allowed_kinds.first())
                .map_or("component", String::as_str);
            let entity = json!(format!("{}:default/example-name", kind.to_lowercase()));
            if *multiple { json!([entity]) } else { entity }
        }
        (Some(Picker::EntityTags { .. }), _) => json!(["example"]),
        (_, FieldKind::Select { options }) => options.first().map(|o| o.0.clone()).unwrap_or(Value::Null),
        (_, FieldKind::MultiSelect { options }) => {
            json!(options.first().map(|o| vec![o.0.clone()]).unwrap_or_default())
        }
        (_, FieldKind::Number | FieldKind::Integer) => json!(1),
        (_, FieldKind::Checkbox) => json!(false),
        (_, FieldKind::List { .. }) => json!([]),
        _ => json!(CANDIDATES[0]),
    }
}

/// Replaces refused values (a default outside its own enum, a text a pattern refuses) by the
/// first choice or candidate the schema accepts.
fn repair(pages: &[ParameterPage], values: &mut Map<String, Value>) {
    let refused: Vec<String> = schema::validate(pages, values).into_iter().map(|e| e.path).collect();
    for path in refused {
        let choices = pages
            .iter()
            .flat_map(|p| schema::fields(p, values))
            .find_map(|f| find(&f, &path).and_then(options))
            .unwrap_or_default();
        let texts = CANDIDATES.iter().chain(NUMBERS).map(|c| json!(c));
        for candidate in choices.into_iter().chain(texts) {
            set(values, &path, candidate);
            if !schema::validate(pages, values).iter().any(|e| e.path == path) {
                break;
            }
        }
    }
}

fn find<'a>(field: &'a Field, path: &str) -> Option<&'a Field> {
    if field.path == path {
        return Some(field);
    }
    match &field.kind {
        FieldKind::Object(inner) => inner.iter().find_map(|f| find(f, path)),
        _ => None,
    }
}

fn options(field: &Field) -> Option<Vec<Value>> {
    match &field.kind {
        FieldKind::Select { options } => Some(options.iter().map(|o| o.0.clone()).collect()),
        _ => None,
    }
}

const NUMBERS: &[&str] = &["10", "100", "8080"];

fn get<'a>(values: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut current = values.get(parts.next()?)?;
    for part in parts {
        current = current.get(part)?;
    }
    Some(current)
}

fn set(values: &mut Map<String, Value>, path: &str, value: Value) {
    let parts: Vec<&str> = path.split('.').collect();
    let mut map = values;
    for part in &parts[..parts.len() - 1] {
        let entry = map.entry(part.to_string()).or_insert_with(|| json!({}));
        if !entry.is_object() {
            *entry = json!({});
        }
        map = entry.as_object_mut().expect("just made a mapping");
    }
    map.insert(parts[parts.len() - 1].to_string(), value);
}
