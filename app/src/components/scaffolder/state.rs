//! The wizard's state, shared by its fields through context: the values, which fields were
//! touched, the errors the server reported, and whether a page shows all its errors (after Next).

use std::collections::HashSet;

use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::api::scaffolder::FieldError;

/// Signals of one wizard (cheap to copy).
#[derive(Clone, Copy)]
pub struct FormState {
    pub values: RwSignal<Map<String, Value>>,
    /// Fields the person has typed in or left: their errors show as they type.
    pub touched: RwSignal<HashSet<String>>,
    /// Errors the server found, each shown until its field changes.
    pub server_errors: RwSignal<Vec<FieldError>>,
    /// Every error of the page shows (Next was pressed).
    pub show_all: RwSignal<bool>,
    /// The current page's errors, checked as values change.
    pub errors: Memo<Vec<FieldError>>,
}

impl FormState {
    /// The state of the wizard around the caller.
    pub fn current() -> FormState {
        expect_context::<FormState>()
    }

    /// The value at a dotted path.
    pub fn get(&self, path: &str) -> Option<Value> {
        self.values.with(|v| get_path(v, path).cloned())
    }

    /// Sets (or with `None`, removes) the value at a path; the field counts as touched and the
    /// server's errors about it are dropped.
    pub fn set(&self, path: &str, value: Option<Value>) {
        self.values.update(|v| set_path(v, path, value));
        self.touch(path);
        self.server_errors.update(|errors| errors.retain(|e| e.path != path));
    }

    pub fn touch(&self, path: &str) {
        if !self.touched.with_untracked(|t| t.contains(path)) {
            self.touched.update(|t| {
                t.insert(path.to_string());
            });
        }
    }

    /// The message shown under a field: the server's, or the page's once the field is touched
    /// or every error shows.
    pub fn error(&self, path: &str) -> Option<String> {
        let server = self
            .server_errors
            .with(|errors| errors.iter().find(|e| e.path == path).map(|e| e.message.clone()));
        if server.is_some() {
            return server;
        }
        let visible = self.show_all.get() || self.touched.with(|t| t.contains(path));
        visible
            .then(|| {
                self.errors
                    .with(|errors| errors.iter().find(|e| e.path == path).map(|e| e.message.clone()))
            })
            .flatten()
    }
}

/// The value at `a.b.c`.
pub fn get_path<'a>(values: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut current = values.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

/// Sets the value at `a.b.c`, creating the objects on the way; `None` removes it.
pub fn set_path(values: &mut Map<String, Value>, path: &str, value: Option<Value>) {
    match path.split_once('.') {
        None => match value {
            Some(v) => {
                values.insert(path.to_string(), v);
            }
            None => {
                values.remove(path);
            }
        },
        Some((head, rest)) => {
            let child = values
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            if let Value::Object(child) = child {
                set_path(child, rest, value);
            }
        }
    }
}

/// An element id for a field path (`db.size` → `field-db-size`).
pub fn field_id(path: &str) -> String {
    let safe: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("field-{safe}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_reach_nested_values() {
        let mut values = Map::new();
        set_path(&mut values, "name", Some(json!("svc")));
        set_path(&mut values, "db.size", Some(json!(10)));
        assert_eq!(
            Value::Object(values.clone()),
            json!({"name": "svc", "db": {"size": 10}})
        );
        assert_eq!(get_path(&values, "db.size"), Some(&json!(10)));
        assert_eq!(get_path(&values, "db.none"), None);
        assert_eq!(get_path(&values, "name.x"), None);
        set_path(&mut values, "db.size", None);
        assert_eq!(Value::Object(values), json!({"name": "svc", "db": {}}));
        assert_eq!(field_id("db.size"), "field-db-size");
    }
}
