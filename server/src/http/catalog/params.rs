//! Query strings with repeated keys (`filter=…&filter=…`), field projection and cursors.

use base64::Engine;
use serde_json::{Map, Value};

use super::ApiError;

/// Query parameters in order, keys possibly repeated.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: Option<&str>) -> Params {
        Params(
            form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every value of `key`, each split at commas (`fields=a,b&fields=c`).
    pub fn list(&self, key: &str) -> Vec<String> {
        self.all(key)
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn one(&self, key: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// A non-negative number, or a 400 naming the parameter.
    pub fn number(&self, key: &str) -> Result<Option<usize>, ApiError> {
        self.one(key)
            .map(|v| {
                v.parse::<usize>()
                    .map_err(|_| ApiError::Input(format!("`{key}` must be a non-negative number, not `{v}`")))
            })
            .transpose()
    }
}

/// Keeps only `fields` (dotted paths) of an entity, as Backstage's `fields` parameter does.
pub fn project(entity: Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return entity;
    }
    let mut out = Value::Object(Map::new());
    for field in fields {
        let parts: Vec<&str> = field.split('.').collect();
        let mut source = &entity;
        let mut found = true;
        for part in &parts {
            match source.get(part) {
                Some(v) => source = v,
                None => {
                    found = false;
                    break;
                }
            }
        }
        if !found {
            continue;
        }
        let mut target = &mut out;
        for part in &parts[..parts.len() - 1] {
            target = target
                .as_object_mut()
                .map(|m| m.entry(part.to_string()).or_insert_with(|| Value::Object(Map::new())))
                .expect("object");
        }
        if let Some(map) = target.as_object_mut() {
            map.insert(parts[parts.len() - 1].to_string(), source.clone());
        }
    }
    out
}

/// Opaque cursors: base64url of JSON.
pub fn encode_cursor(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

pub fn decode_cursor(text: &str) -> Result<Value, ApiError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| ApiError::Input("the cursor is not valid".into()))?;
    serde_json::from_slice(&bytes).map_err(|_| ApiError::Input("the cursor is not valid".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn projection_keeps_only_the_named_fields() {
        let e = json!({"kind": "Component", "metadata": {"name": "a", "tags": ["x"]}, "spec": {"type": "service"}});
        assert_eq!(
            project(e.clone(), &["kind".into(), "metadata.name".into()]),
            json!({"kind": "Component", "metadata": {"name": "a"}})
        );
        assert_eq!(project(e.clone(), &[]), e);
        assert_eq!(project(e, &["spec.missing".into()]), json!({}));
    }

    #[test]
    fn repeated_parameters_are_all_kept() {
        let p = Params::parse(Some(
            "filter=kind%3Dapi&filter=kind=component,spec.type=service&fields=a,b&fields=c",
        ));
        assert_eq!(p.all("filter"), vec!["kind=api", "kind=component,spec.type=service"]);
        assert_eq!(p.list("fields"), vec!["a", "b", "c"]);
    }
}
