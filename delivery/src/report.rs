//! What `POST /api/dora/deployments` and `POST /api/incidents` accept, checked field by field so
//! a refusal names the field at fault. Entities are normalised here; whether they exist is the
//! service's question.

use serde_json::{Map, Value};

use crate::DeliveryError;
use crate::store::ReportedDeployment;

/// Longest id, title or version accepted (characters).
const MAX_ID: usize = 200;
const MAX_TITLE: usize = 500;
const MAX_VERSION: usize = 1000;

/// An incident as `POST /api/incidents` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportedIncident {
    pub id: String,
    pub entity: String,
    pub title: String,
    pub started_ms: i64,
    pub resolved_ms: Option<i64>,
    pub deployment: Option<String>,
}

/// `{"id", "entity", "environment", "version", "commit", "startedAt", "finishedAt", "status"}`.
pub fn deployment(body: &Value) -> Result<ReportedDeployment, DeliveryError> {
    let object = object(body)?;
    let started_ms = time(object, "startedAt")?;
    let finished_ms = time(object, "finishedAt")?;
    if finished_ms < started_ms {
        return Err(DeliveryError::invalid("finishedAt", "is before startedAt"));
    }
    let failed = match text(object, "status", 20)? {
        "succeeded" => false,
        "failed" => true,
        other => {
            return Err(DeliveryError::invalid(
                "status",
                format!("`{other}` is neither `succeeded` nor `failed`"),
            ));
        }
    };
    let commit = optional_text(object, "commit", 64)?
        .map(|c| {
            if c.len() >= 7 && c.chars().all(|ch| ch.is_ascii_hexdigit()) {
                Ok(c.to_ascii_lowercase())
            } else {
                Err(DeliveryError::invalid(
                    "commit",
                    "must be a Git commit SHA (7 to 64 hex digits)",
                ))
            }
        })
        .transpose()?;
    Ok(ReportedDeployment {
        id: id(object)?,
        entity: entity(object)?,
        environment: text(object, "environment", 63)?.to_string(),
        version: text(object, "version", MAX_VERSION)?.to_string(),
        commit,
        failed,
        started_ms,
        finished_ms,
    })
}

/// `{"id", "entity", "title", "startedAt", "resolvedAt"?, "deployment"?}`.
pub fn incident(body: &Value) -> Result<ReportedIncident, DeliveryError> {
    let object = object(body)?;
    let started_ms = time(object, "startedAt")?;
    let resolved_ms = match object.get("resolvedAt") {
        None | Some(Value::Null) => None,
        Some(_) => Some(time(object, "resolvedAt")?),
    };
    if resolved_ms.is_some_and(|r| r < started_ms) {
        return Err(DeliveryError::invalid("resolvedAt", "is before startedAt"));
    }
    Ok(ReportedIncident {
        id: id(object)?,
        entity: entity(object)?,
        title: text(object, "title", MAX_TITLE)?.to_string(),
        started_ms,
        resolved_ms,
        deployment: optional_text(object, "deployment", 2 * MAX_ID)?.map(str::to_string),
    })
}

/// `kind:namespace/name` normalised (kind Component and namespace default when left out).
pub fn entity_ref(text: &str, field: &str) -> Result<String, DeliveryError> {
    catalog::model::EntityRef::parse(text, Some("component"), "default")
        .map(|r| r.to_string().to_lowercase())
        .map_err(|e| DeliveryError::invalid(field, e.to_string()))
}

fn object(body: &Value) -> Result<&Map<String, Value>, DeliveryError> {
    body.as_object()
        .ok_or_else(|| DeliveryError::invalid("body", "must be a JSON object"))
}

fn id(object: &Map<String, Value>) -> Result<String, DeliveryError> {
    Ok(text(object, "id", MAX_ID)?.to_string())
}

fn entity(object: &Map<String, Value>) -> Result<String, DeliveryError> {
    entity_ref(text(object, "entity", MAX_ID)?, "entity")
}

fn time(object: &Map<String, Value>, field: &str) -> Result<i64, DeliveryError> {
    let value = text(object, field, 64)?;
    let ms = chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.timestamp_millis())
        .map_err(|_| DeliveryError::invalid(field, format!("`{value}` is not an RFC 3339 time")))?;
    if ms <= 0 {
        return Err(DeliveryError::invalid(field, "is not after 1970"));
    }
    Ok(ms)
}

fn text<'a>(object: &'a Map<String, Value>, field: &str, max: usize) -> Result<&'a str, DeliveryError> {
    optional_text(object, field, max)?.ok_or_else(|| DeliveryError::invalid(field, "is required"))
}

fn optional_text<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    max: usize,
) -> Result<Option<&'a str>, DeliveryError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                Err(DeliveryError::invalid(field, "is empty"))
            } else if s.chars().count() > max {
                Err(DeliveryError::invalid(
                    field,
                    format!("is longer than {max} characters"),
                ))
            } else if s.chars().any(char::is_control) {
                Err(DeliveryError::invalid(field, "contains control characters"))
            } else {
                Ok(Some(s))
            }
        }
        Some(_) => Err(DeliveryError::invalid(field, "must be a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({"id": "gh-1", "entity": "shop", "environment": "production", "version": "1.2.0",
               "commit": "ABCDEF1", "startedAt": "2025-03-01T10:00:00Z", "finishedAt": "2025-03-01T10:05:00+00:00",
               "status": "succeeded"})
    }

    #[test]
    fn a_good_report_is_normalised() {
        let d = deployment(&good()).expect("valid");
        assert_eq!(d.entity, "component:default/shop");
        assert_eq!(d.commit.as_deref(), Some("abcdef1"));
        assert_eq!(d.finished_ms - d.started_ms, 300_000);
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            ("status", json!("ok"), "status: `ok` is neither"),
            (
                "finishedAt",
                json!("2025-03-01T09:00:00Z"),
                "finishedAt: is before startedAt",
            ),
            (
                "startedAt",
                json!("yesterday"),
                "startedAt: `yesterday` is not an RFC 3339 time",
            ),
            ("commit", json!("main"), "commit: must be a Git commit SHA"),
            ("id", json!(7), "id: must be a string"),
            ("entity", json!(""), "entity: is empty"),
        ];
        for (field, value, expected) in cases {
            let mut body = good();
            body[field] = value;
            let err = deployment(&body).expect_err(field).to_string();
            assert!(err.starts_with(expected), "{err}");
        }
        let mut body = good();
        body.as_object_mut().expect("object").remove("version");
        assert_eq!(
            deployment(&body).expect_err("missing").to_string(),
            "version: is required"
        );
    }
}
