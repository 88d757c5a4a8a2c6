//! Debian's Alertmanager sending its own webhooks to the portal: an alert posted to it as
//! Prometheus would opens an incident of the entity its labels name, and resolving it closes that
//! incident, through the bearer token the receiver is configured with.

use std::time::Duration;

use super::common::alertmanager::Alertmanager;
use super::*;

/// Waits until the stored incident `id` satisfies `done`, for at most 30 s (Alertmanager flushes
/// each group within a second).
async fn incident_when(
    server: &TestServer,
    id: &str,
    done: impl Fn(&delivery::store::IncidentRow) -> bool,
) -> delivery::store::IncidentRow {
    for _ in 0..300 {
        if let Some(x) = server.state().delivery.store.incident(id).await.expect("read")
            && done(&x)
        {
            return x;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("incident {id} never reached the expected state");
}

on_both_databases! {
    async fn debians_alertmanager_opens_and_resolves_incidents_with_its_own_webhooks(db: TestDb) {
        let server = portal(&db, |_| {}).await;
        let alertmanager = Alertmanager::start(&server.url("/api/incidents/alertmanager"), ALERTMANAGER_TOKEN).await;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as i64;
        let started_ms = (now - 300_000) / 1000 * 1000;
        let alert = |ends: Option<i64>| json!([{
            "labels": {"alertname": "HighErrorRate", "backstage_io_kubernetes_id": "checkout-api", "severity": "page"},
            "annotations": {"summary": "5xx above 5%"},
            "startsAt": at(started_ms),
            "endsAt": ends.map(at),
            "generatorURL": "http://prometheus.example/graph"
        }]);
        alertmanager.post_alerts(&alert(None)).await;
        let listed = alertmanager.alerts().await;
        let fingerprint = listed[0]["fingerprint"].as_str().expect("fingerprint").to_string();
        let id = format!("alertmanager:{fingerprint}@{started_ms}");

        let opened = incident_when(&server, &id, |_| true).await;
        assert_eq!(opened.entity, "component:default/checkout");
        assert_eq!(opened.title, "HighErrorRate: 5xx above 5%");
        assert_eq!((opened.started_ms, opened.resolved_ms), (started_ms, None));

        let ended_ms = (now - 1000) / 1000 * 1000;
        alertmanager.post_alerts(&alert(Some(ended_ms))).await;
        let resolved = incident_when(&server, &id, |x| x.resolved_ms.is_some()).await;
        assert_eq!(resolved.resolved_ms, Some(ended_ms));
        server.stop().await;
    }

    async fn an_alertmanager_with_the_wrong_token_opens_nothing(db: TestDb) {
        let server = portal(&db, |_| {}).await;
        let alertmanager = Alertmanager::start(&server.url("/api/incidents/alertmanager"), "not-the-token-0000000").await;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as i64;
        let started_ms = (now - 60_000) / 1000 * 1000;
        alertmanager.post_alerts(&json!([{
            "labels": {"alertname": "HighErrorRate", "backstage_io_kubernetes_id": "checkout-api"},
            "startsAt": at(started_ms)
        }])).await;
        let fingerprint = alertmanager.alerts().await[0]["fingerprint"].as_str().expect("fingerprint").to_string();
        // Its own counter says when the portal refused a notification.
        let mut refused = false;
        for _ in 0..300 {
            if alertmanager.failed_notifications("webhook").await > 0 {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(refused, "Alertmanager never reported a failed notification");
        let id = format!("alertmanager:{fingerprint}@{started_ms}");
        assert!(server.state().delivery.store.incident(&id).await.expect("read").is_none());
        server.stop().await;
    }
}
