//! Alertmanager's webhook (payload version 4) as incidents: each alert, by fingerprint and start,
//! is one incident; firing opens it, resolved closes it. Which entity an alert is about is read
//! from its labels (`Alert::entity_hints`); the service matches them to the catalog.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::DeliveryError;

/// Most alerts one notification carries (Alertmanager's `max_alerts`, 0 = all, is the sender's bound).
pub const MAX_ALERTS: usize = 1000;
/// Most labels of an alert kept with its incident, and their most bytes.
const MAX_LABELS: usize = 50;
const MAX_LABELS_BYTES: usize = 4096;

/// Labels naming the entity, most specific first: Backstage's annotation as a label (as written,
/// or as Prometheus spells label names), the Kubernetes recommended name, `service`.
const ENTITY_LABELS: [&str; 5] = [
    "backstage.io/kubernetes-id",
    "backstage_io_kubernetes_id",
    "app.kubernetes.io/name",
    "app_kubernetes_io_name",
    "service",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    version: String,
    alerts: Vec<RawAlert>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAlert {
    status: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: String,
    #[serde(default)]
    ends_at: Option<String>,
    fingerprint: String,
}

/// One alert of a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub fingerprint: String,
    pub firing: bool,
    pub labels: BTreeMap<String, String>,
    pub title: String,
    pub started_ms: i64,
    /// When it resolved (resolved alerts only).
    pub ended_ms: Option<i64>,
}

impl Alert {
    /// The idempotency key of its incident: the fingerprint, and the start, which tells one
    /// firing of the same alert from the next.
    pub fn external_id(&self) -> String {
        format!("{}@{}", self.fingerprint, self.started_ms)
    }

    /// Label values that may name an entity (by `backstage.io/kubernetes-id` or by name), in order.
    pub fn entity_hints(&self) -> Vec<&str> {
        ENTITY_LABELS
            .iter()
            .filter_map(|l| self.labels.get(*l).map(String::as_str))
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Its labels as a JSON object, at most `MAX_LABELS` of them and `MAX_LABELS_BYTES` long (the
    /// rest left out).
    pub fn labels_json(&self) -> Option<String> {
        let mut kept = serde_json::Map::new();
        let mut size = 2;
        for (k, v) in self.labels.iter().take(MAX_LABELS) {
            size += k.len() + v.len() + 6;
            if size > MAX_LABELS_BYTES {
                break;
            }
            kept.insert(k.clone(), serde_json::Value::String(v.clone()));
        }
        Some(serde_json::Value::Object(kept).to_string())
    }

    /// `namespace` and `deployment` labels (kube-state-metrics' names), for the workload mapping.
    pub fn workload(&self) -> Option<(&str, &str)> {
        Some((self.labels.get("namespace")?, self.labels.get("deployment")?))
    }
}

/// Parses a notification; refusals name the field at fault (`alerts[2].startsAt`).
pub fn parse(body: &[u8]) -> Result<Vec<Alert>, DeliveryError> {
    let payload: Payload = serde_json::from_slice(body)
        .map_err(|e| DeliveryError::invalid("body", format!("not Alertmanager's JSON: {e}")))?;
    if payload.version != "4" {
        return Err(DeliveryError::invalid(
            "version",
            format!("`{}` is not the supported payload version 4", payload.version),
        ));
    }
    if payload.alerts.len() > MAX_ALERTS {
        return Err(DeliveryError::invalid(
            "alerts",
            format!("more than {MAX_ALERTS} alerts"),
        ));
    }
    payload
        .alerts
        .into_iter()
        .enumerate()
        .map(|(i, raw)| alert(i, raw))
        .collect()
}

fn alert(i: usize, raw: RawAlert) -> Result<Alert, DeliveryError> {
    let field = |name: &str| format!("alerts[{i}].{name}");
    let time = |name: &str, text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.timestamp_millis())
            .map_err(|_| DeliveryError::invalid(field(name), format!("`{text}` is not an RFC 3339 time")))
    };
    let firing = match raw.status.as_str() {
        "firing" => true,
        "resolved" => false,
        other => {
            return Err(DeliveryError::invalid(
                field("status"),
                format!("`{other}` is neither firing nor resolved"),
            ));
        }
    };
    if raw.fingerprint.is_empty() || raw.fingerprint.len() > 64 {
        return Err(DeliveryError::invalid(
            field("fingerprint"),
            "must be 1 to 64 characters",
        ));
    }
    let started_ms = time("startsAt", &raw.starts_at)?;
    let ended_ms = match (&raw.ends_at, firing) {
        (Some(end), false) => Some(time("endsAt", end)?.max(started_ms)),
        (None, false) => return Err(DeliveryError::invalid(field("endsAt"), "is required when resolved")),
        (_, true) => None,
    };
    let name = raw.labels.get("alertname").cloned().unwrap_or_else(|| "alert".into());
    let title = raw
        .annotations
        .get("summary")
        .map(|s| format!("{name}: {s}"))
        .unwrap_or(name)
        .chars()
        .filter(|c| !c.is_control())
        .take(500)
        .collect();
    Ok(Alert {
        fingerprint: raw.fingerprint,
        firing,
        labels: raw.labels,
        title,
        started_ms,
        ended_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented shape (prometheus.io/docs/alerting/latest/configuration/#webhook_config).
    const RESOLVED: &str = r#"{
      "version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "truncatedAlerts": 0,
      "status": "resolved", "receiver": "cairn",
      "groupLabels": {"alertname": "HighErrorRate"},
      "commonLabels": {"alertname": "HighErrorRate", "service": "checkout"},
      "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
      "alerts": [{
        "status": "resolved",
        "labels": {"alertname": "HighErrorRate", "service": "checkout", "namespace": "shop"},
        "annotations": {"summary": "5xx above 5%"},
        "startsAt": "2025-03-01T10:00:00.123Z", "endsAt": "2025-03-01T10:30:00Z",
        "generatorURL": "http://prometheus:9090/graph", "fingerprint": "c6d5a2c1b3e4f5a6"
      }]
    }"#;

    #[test]
    fn a_resolved_alert_names_its_entity_and_ends() {
        let alerts = parse(RESOLVED.as_bytes()).expect("valid");
        let alert = &alerts[0];
        assert!(!alert.firing);
        assert_eq!(alert.title, "HighErrorRate: 5xx above 5%");
        assert_eq!(alert.entity_hints(), ["checkout"]);
        assert_eq!(alert.ended_ms.expect("ended") - alert.started_ms, 30 * 60_000 - 123);
        assert_eq!(alert.external_id(), format!("c6d5a2c1b3e4f5a6@{}", alert.started_ms));
    }

    #[test]
    fn other_versions_and_bad_alerts_are_refused_by_field() {
        let v3 = RESOLVED.replacen("\"version\": \"4\"", "\"version\": \"3\"", 1);
        assert!(
            parse(v3.as_bytes())
                .expect_err("v3")
                .to_string()
                .starts_with("version:")
        );
        let bad = RESOLVED.replace("2025-03-01T10:00:00.123Z", "soon");
        assert_eq!(
            parse(bad.as_bytes()).expect_err("time").to_string(),
            "alerts[0].startsAt: `soon` is not an RFC 3339 time"
        );
    }
}
