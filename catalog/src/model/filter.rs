//! Entity filters, as Backstage's catalog API expresses them: `filter=kind=component,spec.type=service`
//! (conditions in one parameter must all hold; repeated parameters are alternatives), and the JSON
//! form of `by-query` (`{"allOf": …}`, `{"anyOf": …}`, `{"not": …}`, `{"key": …, "values": […]}`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A filter over entities. Keys are dotted field paths compared case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Not(Box<Filter>),
    /// The field exists (`values` empty) or equals one of `values`.
    Field {
        key: String,
        values: Vec<String>,
    },
}

/// Most conditions one request may carry.
pub const MAX_CONDITIONS: usize = 100;

/// A filter that cannot be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid filter: {0}")]
pub struct FilterError(pub String);

impl Filter {
    /// Parses the `filter` query parameters of `GET /entities`. No parameters: no filter.
    pub fn from_params<S: AsRef<str>>(params: &[S]) -> Result<Option<Filter>, FilterError> {
        let mut alternatives = Vec::new();
        let mut count = 0;
        for param in params {
            // Within one parameter, a key given several times matches any of its values.
            let mut fields: Vec<(String, Vec<String>)> = Vec::new();
            for part in param.as_ref().split(',').map(str::trim).filter(|p| !p.is_empty()) {
                count += 1;
                if count > MAX_CONDITIONS {
                    return Err(FilterError(format!("more than {MAX_CONDITIONS} conditions")));
                }
                let (key, value) = match part.split_once('=') {
                    Some((k, v)) => (k.trim().to_lowercase(), Some(v.trim().to_string())),
                    None => (part.to_lowercase(), None),
                };
                if key.is_empty() {
                    return Err(FilterError(format!("`{part}` has no key")));
                }
                match fields.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, values)) => values.extend(value),
                    None => fields.push((key, value.into_iter().collect())),
                }
            }
            let conditions: Vec<Filter> = fields
                .into_iter()
                .map(|(key, values)| Filter::Field { key, values })
                .collect();
            if !conditions.is_empty() {
                alternatives.push(Filter::All(conditions));
            }
        }
        Ok(match alternatives.len() {
            0 => None,
            1 => alternatives.pop(),
            _ => Some(Filter::Any(alternatives)),
        })
    }

    /// Parses the JSON form used by `POST /entities/by-query` and the catalog client.
    pub fn from_json(value: &Value) -> Result<Filter, FilterError> {
        Self::from_json_depth(value, 0)
    }

    fn from_json_depth(value: &Value, depth: usize) -> Result<Filter, FilterError> {
        if depth > 10 {
            return Err(FilterError("nested more than 10 levels".into()));
        }
        let list = |v: &Value| -> Result<Vec<Filter>, FilterError> {
            v.as_array()
                .ok_or_else(|| FilterError("allOf/anyOf must be lists".into()))?
                .iter()
                .take(MAX_CONDITIONS)
                .map(|f| Self::from_json_depth(f, depth + 1))
                .collect()
        };
        if let Some(all) = value.get("allOf") {
            return Ok(Filter::All(list(all)?));
        }
        if let Some(any) = value.get("anyOf") {
            return Ok(Filter::Any(list(any)?));
        }
        if let Some(not) = value.get("not") {
            return Ok(Filter::Not(Box::new(Self::from_json_depth(not, depth + 1)?)));
        }
        if let Some(key) = value.get("key").and_then(Value::as_str) {
            let values = match value.get("values") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                Some(Value::String(s)) => vec![s.clone()],
                Some(_) => return Err(FilterError("values must be a list of text".into())),
            };
            return Ok(Filter::Field {
                key: key.to_lowercase(),
                values,
            });
        }
        // The catalog client also sends a plain object of key → value(s), meaning all of them.
        if let Some(map) = value.as_object() {
            let fields = map
                .iter()
                .map(|(key, v)| {
                    let values = match v {
                        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                        Value::String(s) => vec![s.clone()],
                        _ => Vec::new(),
                    };
                    Filter::Field {
                        key: key.to_lowercase(),
                        values,
                    }
                })
                .collect();
            return Ok(Filter::All(fields));
        }
        Err(FilterError("a filter must be a mapping".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(key: &str, values: &[&str]) -> Filter {
        Filter::Field {
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn query_parameters_follow_backstage() {
        assert_eq!(Filter::from_params::<&str>(&[]).unwrap(), None);
        assert_eq!(
            Filter::from_params(&["kind=Component,spec.type=service"]).unwrap(),
            Some(Filter::All(vec![
                field("kind", &["Component"]),
                field("spec.type", &["service"])
            ]))
        );
        assert_eq!(
            Filter::from_params(&["kind=user,kind=group", "metadata.annotations.x"]).unwrap(),
            Some(Filter::Any(vec![
                Filter::All(vec![field("kind", &["user", "group"])]),
                Filter::All(vec![field("metadata.annotations.x", &[])])
            ]))
        );
        assert!(Filter::from_params(&["=x"]).is_err());
    }

    #[test]
    fn json_filters() {
        let f = Filter::from_json(&json!({"allOf": [{"key": "kind", "values": ["api"]}, {"not": {"key": "spec.lifecycle", "values": ["deprecated"]}}]})).unwrap();
        assert_eq!(
            f,
            Filter::All(vec![
                field("kind", &["api"]),
                Filter::Not(Box::new(field("spec.lifecycle", &["deprecated"])))
            ])
        );
        let f = Filter::from_json(&json!({"kind": "component", "spec.type": ["service", "website"]})).unwrap();
        assert_eq!(
            f,
            Filter::All(vec![
                field("kind", &["component"]),
                field("spec.type", &["service", "website"])
            ])
        );
    }
}
