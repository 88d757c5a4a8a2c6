//! Validation with Backstage's rules and precedence: envelope, root fields, metadata types, then
//! field formats, then the kind's spec. Each error names the field (`metadata.tags.2`) so the
//! reader can point at its line, and says in plain words what is wrong and what would be right.

mod format;
mod kinds;

use serde_json::{Map, Value};

use super::entity_ref::{DEFAULT_NAMESPACE, EntityRef};

pub use format::{is_dns_label, is_object_name, is_tag};
pub use kinds::{KNOWN_KINDS, known_kind};

/// A validation failure: the field at fault (a dotted path, `None` for the document as a whole)
/// and a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityError {
    pub field: Option<String>,
    pub message: String,
}

impl EntityError {
    pub fn at(field: impl Into<String>, message: impl Into<String>) -> EntityError {
        EntityError {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn whole(message: impl Into<String>) -> EntityError {
        EntityError {
            field: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for EntityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The envelope check: a mapping with string `apiVersion`, `kind` and `metadata.name` (and a
/// string `metadata.namespace` if given). Passing it makes the entity's reference known.
pub fn check_envelope(value: &Value) -> Result<EntityRef, EntityError> {
    let Value::Object(root) = value else {
        return Err(EntityError::whole(format!(
            "the document is {}, not a mapping of fields",
            describe(value)
        )));
    };
    for field in ["apiVersion", "kind", "metadata"] {
        if !root.contains_key(field) {
            return Err(EntityError::whole(format!("the required field `{field}` is missing")));
        }
    }
    let kind = non_empty_string(root, "apiVersion", "apiVersion").and(non_empty_string(root, "kind", "kind"))?;
    let Some(Value::Object(metadata)) = root.get("metadata") else {
        return Err(EntityError::at("metadata", "must be a mapping"));
    };
    let Some(name) = metadata.get("name") else {
        return Err(EntityError::at("metadata", "the required field `name` is missing"));
    };
    let name = name
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| EntityError::at("metadata.name", must_be_text(name)))?;
    let namespace = match metadata.get("namespace") {
        None => DEFAULT_NAMESPACE,
        Some(ns) => ns
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| EntityError::at("metadata.namespace", must_be_text(ns)))?,
    };
    Ok(EntityRef::new(kind, namespace, name))
}

/// The checks after the envelope, in Backstage's order. `value` must have passed `check_envelope`
/// and had its placeholders resolved.
pub fn validate_entity(value: &Value) -> Result<(), EntityError> {
    let root = value.as_object().ok_or_else(|| EntityError::whole("not a mapping"))?;
    root_types(root)?;
    metadata_types(root)?;
    if let Some(spec) = root.get("spec") {
        if !spec.is_object() {
            return Err(EntityError::at(
                "spec",
                format!("must be a mapping of fields, not {}", describe(spec)),
            ));
        }
    }
    if let Some(key) = root
        .keys()
        .find(|k| !matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "spec"))
    {
        return Err(EntityError::at(
            key.clone(),
            format!("`{key}` is not allowed at the top level (only apiVersion, kind, metadata and spec are)"),
        ));
    }
    formats(root)?;
    kinds::validate_kind(root)
}

/// Root keys and their shapes (Backstage's entity schema).
fn root_types(root: &Map<String, Value>) -> Result<(), EntityError> {
    const ALLOWED: [&str; 6] = ["apiVersion", "kind", "metadata", "spec", "relations", "status"];
    if let Some(key) = root.keys().find(|k| !ALLOWED.contains(&k.as_str())) {
        let hint = if kinds::is_spec_field(key) {
            "; it looks like a spec field, indent it under `spec:`"
        } else {
            ""
        };
        return Err(EntityError::at(
            key.clone(),
            format!("`{key}` is not allowed at the top level (only apiVersion, kind, metadata and spec are){hint}"),
        ));
    }
    Ok(())
}

fn metadata_types(root: &Map<String, Value>) -> Result<(), EntityError> {
    let metadata = root
        .get("metadata")
        .and_then(Value::as_object)
        .ok_or_else(|| EntityError::at("metadata", "must be a mapping"))?;
    for field in ["uid", "etag", "name", "namespace", "title"] {
        if let Some(v) = metadata.get(field) {
            if v.as_str().is_none_or(str::is_empty) {
                return Err(EntityError::at(format!("metadata.{field}"), must_be_text(v)));
            }
        }
    }
    if let Some(v) = metadata.get("description") {
        if !v.is_string() {
            return Err(EntityError::at(
                "metadata.description",
                format!("must be text, not {}", describe(v)),
            ));
        }
    }
    for field in ["labels", "annotations"] {
        if let Some(v) = metadata.get(field) {
            let map = v.as_object().ok_or_else(|| {
                EntityError::at(
                    format!("metadata.{field}"),
                    format!("must be a mapping of keys to text, not {}", describe(v)),
                )
            })?;
            if let Some((key, value)) = map.iter().find(|(k, v)| !k.is_empty() && !v.is_string()) {
                return Err(EntityError::at(
                    format!("metadata.{field}.{key}"),
                    format!("must be text, not {} (quote it: \"{}\")", describe(value), plain(value)),
                ));
            }
        }
    }
    if let Some(v) = metadata.get("tags") {
        let items = v
            .as_array()
            .ok_or_else(|| EntityError::at("metadata.tags", format!("must be a list, not {}", describe(v))))?;
        if let Some((i, item)) = items
            .iter()
            .enumerate()
            .find(|(_, t)| t.as_str().is_none_or(str::is_empty))
        {
            return Err(EntityError::at(format!("metadata.tags.{i}"), must_be_text(item)));
        }
    }
    if let Some(v) = metadata.get("links") {
        let items = v
            .as_array()
            .ok_or_else(|| EntityError::at("metadata.links", format!("must be a list, not {}", describe(v))))?;
        for (i, link) in items.iter().enumerate() {
            let link = link
                .as_object()
                .ok_or_else(|| EntityError::at(format!("metadata.links.{i}"), "must be a mapping with a `url`"))?;
            if !link.contains_key("url") {
                return Err(EntityError::at(
                    format!("metadata.links.{i}"),
                    "the required field `url` is missing",
                ));
            }
            for field in ["url", "title", "icon", "type"] {
                if let Some(v) = link.get(field) {
                    if v.as_str().is_none_or(str::is_empty) {
                        return Err(EntityError::at(format!("metadata.links.{i}.{field}"), must_be_text(v)));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Field formats (Backstage's FieldFormatEntityPolicy), in its order.
fn formats(root: &Map<String, Value>) -> Result<(), EntityError> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    let api_version = text(root.get("apiVersion"));
    if !format::is_api_version(&api_version) {
        return Err(EntityError::at(
            "apiVersion",
            format!("\"{api_version}\" is not a valid apiVersion (e.g. backstage.io/v1alpha1)"),
        ));
    }
    let kind = text(root.get("kind"));
    if !format::is_kind(&kind) {
        return Err(EntityError::at(
            "kind",
            format!("\"{kind}\" is not a valid kind: letters and digits, starting with a letter"),
        ));
    }
    let metadata = root
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let name = text(metadata.get("name"));
    if !format::is_object_name(&name) {
        return Err(EntityError::at(
            "metadata.name",
            format!(
                "\"{name}\" is not a valid name: use letters and digits, separated by - _ or ., at most 63 characters"
            ),
        ));
    }
    if let Some(ns) = metadata.get("namespace").and_then(Value::as_str) {
        if !format::is_dns_label(ns) {
            return Err(EntityError::at(
                "metadata.namespace",
                format!(
                    "\"{ns}\" is not a valid namespace: lower-case letters and digits, separated by -, at most 63 characters"
                ),
            ));
        }
    }
    for field in ["labels", "annotations"] {
        for (key, value) in metadata.get(field).and_then(Value::as_object).into_iter().flatten() {
            if !format::is_prefixed_key(key) {
                return Err(EntityError::at(
                    format!("metadata.{field}"),
                    format!(
                        "\"{key}\" is not a valid key: a name, optionally after a DNS prefix and one / (e.g. backstage.io/techdocs-ref)"
                    ),
                ));
            }
            let value = value.as_str().unwrap_or_default();
            if field == "labels" && !format::is_label_value(value) {
                return Err(EntityError::at(
                    format!("metadata.labels.{key}"),
                    format!(
                        "\"{value}\" is not a valid label value: letters and digits separated by - _ or ., at most 63 characters"
                    ),
                ));
            }
        }
    }
    for (i, tag) in metadata
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let tag = tag.as_str().unwrap_or_default();
        if !format::is_tag(tag) {
            return Err(EntityError::at(
                format!("metadata.tags.{i}"),
                format!(
                    "\"{tag}\" is not a valid tag: lower-case letters, digits and : + #, separated by -, at most 63 characters"
                ),
            ));
        }
    }
    for (i, link) in metadata
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let url = text(link.get("url"));
        if !format::is_absolute_url(&url) {
            return Err(EntityError::at(
                format!("metadata.links.{i}.url"),
                format!("\"{url}\" is not an absolute URL"),
            ));
        }
        for field in ["title", "icon"] {
            if let Some(v) = link.get(field).and_then(Value::as_str) {
                if !format::is_non_blank(v) {
                    return Err(EntityError::at(
                        format!("metadata.links.{i}.{field}"),
                        "must not be blank",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// "a number", "a list"... for messages.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

pub(crate) fn must_be_text(value: &Value) -> String {
    match value {
        Value::String(s) if s.is_empty() => "must not be empty".to_string(),
        other => format!("must be text, not {}", describe(other)),
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn non_empty_string<'a>(root: &'a Map<String, Value>, key: &str, field: &str) -> Result<&'a str, EntityError> {
    let v = &root[key];
    v.as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| EntityError::at(field, must_be_text(v)))
}

#[cfg(test)]
mod tests;
