//! PagerDuty's v3 webhooks as incidents: the signature checked as PagerDuty documents it
//! (`X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body>`, several comma-separated while
//! a secret rotates), and `incident.triggered` / `.acknowledged` / `.resolved` read field by field.
//! A PagerDuty incident is one incident here, by its id; its service names the entity through the
//! `pagerduty.com/service-id` annotation (the service matches them).

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::DeliveryError;

/// The annotation Backstage's PagerDuty plugin reads.
pub const ANNOTATION_SERVICE_ID: &str = "pagerduty.com/service-id";
/// Most signatures one header may carry (PagerDuty sends one per active secret).
const MAX_SIGNATURES: usize = 10;
const MAX_ID: usize = 200;
const MAX_TITLE: usize = 500;

/// What an event does to its incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Triggered,
    /// Changes nothing the metrics read.
    Acknowledged,
    Resolved,
}

/// One incident event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentEvent {
    /// `event.id`, the delivery's idempotency key.
    pub event_id: String,
    pub action: Action,
    /// `event.data.id`: the PagerDuty incident.
    pub incident_id: String,
    /// `event.data.service.id`.
    pub service_id: String,
    pub title: String,
    /// `event.data.created_at`.
    pub started_ms: i64,
    /// `event.occurred_at`: when it was acknowledged or resolved.
    pub occurred_ms: i64,
}

/// A delivery: an incident event, or another event type (a ping, a priority change…) to ignore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    Incident(IncidentEvent),
    Ignored { event_id: String, event_type: String },
}

/// Whether one of the `v1=` signatures of `header` is the HMAC-SHA256 of `body` under `secret`;
/// each is compared in constant time.
pub fn signed_by(secret: &str, header: &str, body: &[u8]) -> bool {
    header
        .split(',')
        .take(MAX_SIGNATURES)
        .filter_map(|s| s.trim().strip_prefix("v1="))
        .filter_map(decode_hex)
        .fold(false, |found, signature| {
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
                return found;
            };
            mac.update(body);
            mac.verify_slice(&signature).is_ok() | found
        })
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Parses a delivery; refusals name the field at fault (`event.data.service.id`).
pub fn parse(body: &[u8]) -> Result<Delivery, DeliveryError> {
    let payload: Value =
        serde_json::from_slice(body).map_err(|e| DeliveryError::invalid("body", format!("not JSON: {e}")))?;
    let event = &payload["event"];
    if !event.is_object() {
        return Err(DeliveryError::invalid("event", "is required (a v3 webhook payload)"));
    }
    let event_id = text(event, "event.id", "id", MAX_ID)?;
    let event_type = text(event, "event.event_type", "event_type", 100)?;
    let action = match event_type.as_str() {
        "incident.triggered" => Action::Triggered,
        "incident.acknowledged" => Action::Acknowledged,
        "incident.resolved" => Action::Resolved,
        _ => return Ok(Delivery::Ignored { event_id, event_type }),
    };
    let data = &event["data"];
    if !data.is_object() {
        return Err(DeliveryError::invalid("event.data", "is required"));
    }
    let service = &data["service"];
    let title: String = text(data, "event.data.title", "title", 10_000)?
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TITLE)
        .collect();
    Ok(Delivery::Incident(IncidentEvent {
        event_id,
        action,
        incident_id: text(data, "event.data.id", "id", MAX_ID)?,
        service_id: text(service, "event.data.service.id", "id", MAX_ID)?,
        title,
        started_ms: time(data, "event.data.created_at", "created_at")?,
        occurred_ms: time(event, "event.occurred_at", "occurred_at")?,
    }))
}

fn text(object: &Value, field: &str, key: &str, max: usize) -> Result<String, DeliveryError> {
    match object.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= max => Ok(s.trim().to_string()),
        Some(Value::String(_)) => Err(DeliveryError::invalid(field, format!("must be 1 to {max} characters"))),
        None | Some(Value::Null) => Err(DeliveryError::invalid(field, "is required")),
        Some(_) => Err(DeliveryError::invalid(field, "must be a string")),
    }
}

fn time(object: &Value, field: &str, key: &str) -> Result<i64, DeliveryError> {
    let text = text(object, field, key, 64)?;
    chrono::DateTime::parse_from_rfc3339(&text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| DeliveryError::invalid(field, format!("`{text}` is not an RFC 3339 time")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped as PagerDuty's documented v3 example (developer.pagerduty.com, "Webhooks: Overview").
    const TRIGGERED: &str = r#"{"event":{"id":"5ac64822-4adc-4fda-ade0-410becf0de4f","event_type":"incident.triggered",
      "resource_type":"incident","occurred_at":"2020-10-02T18:45:22.169Z",
      "agent":{"html_url":"https://acme.pagerduty.com/users/PLH1HKV","id":"PLH1HKV","self":"https://api.pagerduty.com/users/PLH1HKV","summary":"Tenex Engineer","type":"user_reference"},
      "client":null,
      "data":{"id":"PGR0VU2","type":"incident","self":"https://api.pagerduty.com/incidents/PGR0VU2",
        "html_url":"https://acme.pagerduty.com/incidents/PGR0VU2","number":2,"status":"triggered",
        "incident_key":"d3640fbd41094207a1c11e58e46b1662","created_at":"2020-04-09T15:16:27Z",
        "title":"A little bump in the road",
        "service":{"html_url":"https://acme.pagerduty.com/services/PF9KMXH","id":"PF9KMXH","self":"https://api.pagerduty.com/services/PF9KMXH","summary":"API Service","type":"service_reference"},
        "assignees":[],"escalation_policy":{"id":"PTNMFDP","type":"escalation_policy_reference"},
        "teams":[],"priority":null,"urgency":"high","conference_bridge":null,"resolve_reason":null}}}"#;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(body);
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        format!("v1={hex}")
    }

    #[test]
    fn any_of_several_signatures_of_the_exact_body_passes() {
        let body = TRIGGERED.as_bytes();
        let good = sign("secret-one", body);
        assert!(signed_by("secret-one", &good, body));
        assert!(signed_by("secret-one", &format!("{},{good}", sign("old", body)), body));
        assert!(signed_by("secret-one", &format!("{good}, v1=00"), body));
        assert!(!signed_by("secret-two", &good, body));
        assert!(!signed_by("secret-one", &good, b"{}"));
        assert!(
            !signed_by("secret-one", good.trim_start_matches("v1="), body),
            "the scheme is required"
        );
        assert!(!signed_by("secret-one", "", body));
    }

    #[test]
    fn an_incident_event_is_read_with_its_service() {
        let Delivery::Incident(event) = parse(TRIGGERED.as_bytes()).expect("valid") else {
            panic!("an incident event");
        };
        assert_eq!(event.action, Action::Triggered);
        assert_eq!(
            (event.incident_id.as_str(), event.service_id.as_str()),
            ("PGR0VU2", "PF9KMXH")
        );
        assert_eq!(event.title, "A little bump in the road");
        assert_eq!(event.started_ms, 1_586_445_387_000);
    }

    #[test]
    fn other_events_are_ignored_and_bad_ones_refused_by_field() {
        let ping = TRIGGERED.replace("incident.triggered", "pagey.ping");
        assert!(matches!(parse(ping.as_bytes()), Ok(Delivery::Ignored { .. })));
        let no_service = TRIGGERED.replace(r#""id":"PF9KMXH""#, r#""id":null"#);
        assert_eq!(
            parse(no_service.as_bytes()).expect_err("service").to_string(),
            "event.data.service.id: is required"
        );
        let bad_time = TRIGGERED.replace("2020-04-09T15:16:27Z", "yesterday");
        assert!(
            parse(bad_time.as_bytes())
                .expect_err("time")
                .to_string()
                .starts_with("event.data.created_at:")
        );
        assert!(parse(b"[]").expect_err("shape").to_string().starts_with("event:"));
    }
}
