//! The rows an entity contributes to the `search` table (flattened fields for filters and facets)
//! and its full-text words. Kind, namespace, name and relations have their own columns and table.

use serde_json::Value;

/// Values longer than this are not indexed (descriptions, definitions): nobody filters on them.
const MAX_VALUE_CHARS: usize = 200;
/// Bound on rows per entity, so one odd entity cannot bloat the table.
const MAX_ROWS: usize = 300;

/// A `(key, lower-case value, original value)` row.
pub type SearchRow = (String, String, String);

/// Flattens an entity's fields into search rows: `spec.type = service`, `metadata.tags = java`...
pub fn search_rows(entity: &Value) -> Vec<SearchRow> {
    let mut rows = Vec::new();
    let mut path = String::new();
    flatten(entity, &mut path, &mut rows);
    rows.sort();
    rows.dedup();
    rows
}

fn flatten(value: &Value, path: &mut String, rows: &mut Vec<SearchRow>) {
    if rows.len() >= MAX_ROWS {
        return;
    }
    match value {
        Value::Object(map) => {
            let len = path.len();
            for (key, child) in map {
                if len == 0 && matches!(key.as_str(), "relations" | "status") {
                    continue;
                }
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key.to_lowercase());
                if !matches!(
                    path.as_str(),
                    "metadata.name" | "metadata.namespace" | "kind" | "metadata.uid" | "metadata.etag"
                ) {
                    flatten(child, path, rows);
                }
                path.truncate(len);
            }
        }
        // Lists of values are searchable item by item; lists of mappings (links, steps) are not.
        Value::Array(items) => {
            for item in items.iter().filter(|i| !i.is_object() && !i.is_array()) {
                flatten(item, path, rows);
            }
        }
        Value::Null => {}
        scalar => {
            let text = match scalar {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if text.chars().count() <= MAX_VALUE_CHARS {
                rows.push((path.clone(), text.to_lowercase(), text));
            }
        }
    }
}

/// Lower-case words a full-text search looks in: names, title, description, tags, type, owner.
pub fn search_text(entity: &Value, entity_ref: &str) -> String {
    let mut parts = vec![entity_ref.to_string()];
    let metadata = &entity["metadata"];
    for v in [
        &metadata["title"],
        &metadata["description"],
        &entity["spec"]["type"],
        &entity["spec"]["owner"],
        &entity["spec"]["lifecycle"],
        &entity["spec"]["profile"]["displayName"],
        &entity["spec"]["profile"]["email"],
    ] {
        if let Some(s) = v.as_str() {
            parts.push(s.chars().take(1000).collect());
        }
    }
    for tag in metadata["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        parts.push(tag.to_string());
    }
    parts.join(" ").to_lowercase()
}

/// What ranks a full-text match above the rest: the lower-case title, description and display
/// name (as the migration that added it computes it for entities written before).
pub fn search_heading(entity: &Value) -> String {
    [
        &entity["metadata"]["title"],
        &entity["metadata"]["description"],
        &entity["spec"]["profile"]["displayName"],
    ]
    .into_iter()
    .filter_map(Value::as_str)
    .collect::<Vec<_>>()
    .join(" ")
    .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_flattened_lower_cased_with_originals() {
        let rows = search_rows(&json!({
            "kind": "Component",
            "metadata": {"name": "x", "tags": ["Java", "grpc"], "annotations": {"github.com/project-slug": "Org/Repo"}, "links": [{"url": "u"}]},
            "spec": {"type": "service", "replicas": 3, "definition": "x".repeat(500)}
        }));
        let keys: Vec<_> = rows.iter().map(|(k, v, _)| format!("{k}={v}")).collect();
        assert!(keys.contains(&"metadata.tags=java".to_string()));
        assert!(keys.contains(&"metadata.annotations.github.com/project-slug=org/repo".to_string()));
        assert!(keys.contains(&"spec.replicas=3".to_string()));
        assert!(
            !keys.iter().any(|k| k.starts_with("spec.definition")),
            "long values are not indexed"
        );
        assert!(
            !keys
                .iter()
                .any(|k| k.starts_with("kind") || k.starts_with("metadata.name")),
            "kept in columns"
        );
        assert!(
            !keys.iter().any(|k| k.starts_with("metadata.links")),
            "lists of mappings are skipped"
        );
        assert!(rows.iter().any(|(_, _, original)| original == "Org/Repo"));
    }
}
