//! The pickers' catalog queries (server side): the entities of the picker's kinds that match its
//! `catalogFilter`, written as full references with their titles.

use serde_json::Value;

use catalog::model::entity_ref::EntityRef;
use catalog::model::filter::Filter;
use catalog::store::{Order, PageRequest};
use templates::service::Scaffolder;

use super::PickerOption;

/// Most options a picker lists.
const MAX_OPTIONS: usize = 500;

/// The filter of a picker: its kinds, and its `catalogFilter` (a mapping of field → value or
/// values, or a list of such mappings, any of which may match).
pub fn picker_filter(kinds: &str, catalog_filter: &str) -> Result<Option<Filter>, String> {
    let kinds: Vec<String> = kinds
        .split(',')
        .map(|k| k.trim().to_lowercase())
        .filter(|k| !k.is_empty())
        .collect();
    let mut all = Vec::new();
    if !kinds.is_empty() {
        all.push(Filter::Field {
            key: "kind".into(),
            values: kinds,
        });
    }
    if !catalog_filter.trim().is_empty() {
        let json: Value =
            serde_json::from_str(catalog_filter).map_err(|e| format!("catalogFilter is not JSON: {e}"))?;
        all.push(catalog_filter_of(&json)?);
    }
    Ok((!all.is_empty()).then_some(Filter::All(all)))
}

fn catalog_filter_of(json: &Value) -> Result<Filter, String> {
    match json {
        Value::Array(alternatives) => Ok(Filter::Any(
            alternatives.iter().map(catalog_filter_of).collect::<Result<_, _>>()?,
        )),
        Value::Object(fields) => Ok(Filter::All(
            fields
                .iter()
                .map(|(key, value)| {
                    let values = match value {
                        Value::String(v) => vec![v.clone()],
                        Value::Array(vs) => vs.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                        // `{exists: true}`: the field is present, whatever its value.
                        Value::Object(_) => Vec::new(),
                        other => vec![other.to_string()],
                    };
                    Filter::Field {
                        key: key.to_lowercase(),
                        values,
                    }
                })
                .collect(),
        )),
        _ => Err("catalogFilter must be a mapping or a list of mappings".into()),
    }
}

/// The entities matching a picker's filter, by name.
pub async fn picker_options(
    scaffolder: &Scaffolder,
    filter: Option<Filter>,
) -> Result<Vec<PickerOption>, catalog::store::StoreError> {
    let page = scaffolder
        .catalog
        .store
        .list_entities(&request(filter, MAX_OPTIONS))
        .await?;
    Ok(page.items.iter().filter_map(option).collect())
}

/// The first `limit` entities matching `filter`, by name.
pub(super) fn request(filter: Option<Filter>, limit: usize) -> PageRequest {
    PageRequest {
        filter,
        full_text: None,
        full_text_fields: Vec::new(),
        order: vec![Order {
            field: "metadata.name".into(),
            descending: false,
        }],
        limit,
        offset: 0,
        after: None,
        backwards: false,
    }
}

fn option(entity: &Value) -> Option<PickerOption> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    let kind = text(entity.get("kind")?)?;
    let metadata = entity.get("metadata")?;
    let name = text(metadata.get("name")?)?;
    let namespace = metadata
        .get("namespace")
        .and_then(text)
        .unwrap_or_else(|| "default".into());
    let entity_ref = EntityRef::new(&kind, &namespace, &name).to_string();
    let title = metadata.get("title").and_then(text);
    let label = match title {
        Some(title) => format!("{title} ({entity_ref})"),
        None => entity_ref.clone(),
    };
    Some(PickerOption { entity_ref, label })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn picker_filters_combine_kinds_and_catalog_filter() {
        assert_eq!(picker_filter("", "").unwrap(), None);
        let filter = picker_filter(
            "Group, User",
            r#"[{"spec.type": "team"}, {"metadata.name": ["a", "b"]}]"#,
        )
        .unwrap()
        .unwrap();
        let Filter::All(parts) = filter else {
            panic!("not all: {filter:?}")
        };
        assert_eq!(
            parts[0],
            Filter::Field {
                key: "kind".into(),
                values: vec!["group".into(), "user".into()]
            }
        );
        assert!(matches!(&parts[1], Filter::Any(alternatives) if alternatives.len() == 2));
        assert!(picker_filter("", "3").unwrap_err().contains("mapping"));
        assert!(picker_filter("", "{").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn options_are_full_references_with_titles() {
        let entity = json!({"kind": "Group", "metadata": {"name": "Team-A", "title": "Team A"}});
        let option = option(&entity).unwrap();
        assert_eq!(option.entity_ref, "group:default/team-a");
        assert_eq!(option.label, "Team A (group:default/team-a)");
    }
}
