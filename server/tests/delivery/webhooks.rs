//! PagerDuty's v3 webhooks and GitHub's `deployment_status`, signed as each documents.

use super::*;
use catalog::service::Secret;
use common::git::sign;

const PAGERDUTY_SECRET: &str = "pd-secret-0123456789";
const HOOK_SECRET: &str = "gh-hook-secret";

async fn webhooks_portal(db: &TestDb) -> TestServer {
    portal(db, |config| {
        config.dora.pagerduty_secret = Some(PAGERDUTY_SECRET.into());
        config.catalog.github_webhook_secret = Some(Secret(HOOK_SECRET.into()));
        config.dora.environments = vec![delivery::Environment {
            name: "production".into(),
            github: vec!["prod-eu".into()],
            ..Default::default()
        }];
    })
    .await
}

/// Shaped as PagerDuty's documented v3 example (an `incident.*` event with its incident as data).
fn pagerduty_event(event_id: &str, event_type: &str, incident: &str, service: &str, occurred_ms: i64) -> Value {
    json!({"event": {
        "id": event_id, "event_type": event_type, "resource_type": "incident", "occurred_at": at(occurred_ms),
        "agent": {"html_url": "https://acme.pagerduty.com/users/PLH1HKV", "id": "PLH1HKV",
                  "self": "https://api.pagerduty.com/users/PLH1HKV", "summary": "Tenex Engineer", "type": "user_reference"},
        "client": null,
        "data": {
            "id": incident, "type": "incident", "self": format!("https://api.pagerduty.com/incidents/{incident}"),
            "html_url": format!("https://acme.pagerduty.com/incidents/{incident}"), "number": 2,
            "status": event_type.trim_start_matches("incident."), "incident_key": "d3640fbd41094207a1c11e58e46b1662",
            "created_at": at(T0 + HOUR), "title": "Checkout is slow",
            "service": {"html_url": format!("https://acme.pagerduty.com/services/{service}"), "id": service,
                        "self": format!("https://api.pagerduty.com/services/{service}"), "summary": "Shop", "type": "service_reference"},
            "assignees": [], "escalation_policy": {"id": "PTNMFDP", "type": "escalation_policy_reference"},
            "teams": [], "priority": null, "urgency": "high", "conference_bridge": null, "resolve_reason": null
        }
    }})
}

/// PagerDuty's header: `v1=` and the hex HMAC-SHA256 of the raw body.
fn pagerduty_signature(secret: &str, body: &[u8]) -> String {
    sign(secret, body).replacen("sha256=", "v1=", 1)
}

async fn deliver(server: &TestServer, body: &[u8], signature: Option<String>) -> (StatusCode, Value) {
    let mut request = server
        .client
        .post(server.url("/api/incidents/pagerduty"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("x-pagerduty-signature", signature);
    }
    let response = request.send().await.expect("post");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn pagerduty(server: &TestServer, event: &Value) -> Value {
    let body = serde_json::to_vec(event).expect("json");
    let (status, answer) = deliver(server, &body, Some(pagerduty_signature(PAGERDUTY_SECRET, &body))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// GitHub's `deployment_status` payload (docs.github.com, webhook events and payloads), trimmed.
fn deployment_status(id: u64, state: &str, environment: &str, repository: &str, finished_ms: i64) -> Value {
    json!({
        "action": "created",
        "deployment_status": {"url": format!("https://api.github.com/repos/{repository}/deployments/{id}/statuses/1"),
            "id": 1, "node_id": "MDE2OkRlcGxveW1lbnRTdGF0dXMx", "state": state, "description": "",
            "environment": environment, "target_url": "", "created_at": at(finished_ms), "updated_at": at(finished_ms),
            "creator": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}},
        "deployment": {"url": format!("https://api.github.com/repos/{repository}/deployments/{id}"), "id": id,
            "node_id": "MDEwOkRlcGxveW1lbnQx", "sha": "9f2c1a7d3e4b5c6d7e8f9a0b1c2d3e4f5a6b7c8D", "ref": "v1.4.0",
            "task": "deploy", "payload": {}, "original_environment": environment, "environment": environment,
            "description": null, "created_at": at(finished_ms - 300_000), "updated_at": at(finished_ms)},
        "repository": {"id": 1296269, "name": "shop", "full_name": repository,
            "html_url": format!("https://github.com/{repository}"), "owner": {"login": "northwind"},
            "default_branch": "main"},
        "sender": {"login": "octocat", "html_url": "https://github.com/octocat"}
    })
}

async fn github(server: &TestServer, payload: &Value) -> (StatusCode, Value) {
    let body = serde_json::to_vec(payload).expect("json");
    let response = server
        .client
        .post(server.url("/api/webhooks/github"))
        .header("x-github-event", "deployment_status")
        .header("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .header("x-hub-signature-256", sign(HOOK_SECRET, &body))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn pagerduty_opens_and_resolves_incidents_signed_as_documented(db: TestDb) {
        let server = webhooks_portal(&db).await;
        let triggered = pagerduty_event("01DEN5QW", "incident.triggered", "PGR0VU2", "PF9KMXH", T0 + HOUR);
        let body = serde_json::to_vec(&triggered).expect("json");
        let (status, _) = deliver(&server, &body, Some(pagerduty_signature("another-secret", &body))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(deliver(&server, &body, None).await.0, StatusCode::UNAUTHORIZED);
        let store = &server.state().delivery.store;
        assert!(store.incident("pagerduty:PGR0VU2").await.expect("read").is_none(), "refused: nothing written");

        // A secret being rotated: several signatures, any match passes.
        let rotating = format!("{}, {}", pagerduty_signature("old-secret", &body), pagerduty_signature(PAGERDUTY_SECRET, &body));
        let (status, opened) = deliver(&server, &body, Some(rotating)).await;
        assert_eq!(status, StatusCode::OK, "{opened}");
        assert_eq!(opened["action"], "opened");
        assert_eq!(opened["entity"], "component:default/shop");
        assert_eq!(opened["incident"], "pagerduty:PGR0VU2");
        assert_eq!(pagerduty(&server, &triggered).await["action"], "unchanged", "idempotent on the event");

        let ack = pagerduty_event("01DEN5R0", "incident.acknowledged", "PGR0VU2", "PF9KMXH", T0 + HOUR + 60_000);
        assert_eq!(pagerduty(&server, &ack).await["action"], "acknowledged");
        let stored = store.incident("pagerduty:PGR0VU2").await.expect("read").expect("incident");
        assert_eq!((stored.started_ms, stored.resolved_ms), (T0 + HOUR, None));

        let resolved = pagerduty_event("01DEN5S2", "incident.resolved", "PGR0VU2", "PF9KMXH", T0 + 2 * HOUR);
        assert_eq!(pagerduty(&server, &resolved).await["action"], "resolved");
        assert_eq!(pagerduty(&server, &resolved).await["action"], "unchanged");
        assert_eq!(pagerduty(&server, &triggered).await["action"], "unchanged", "a late replay never reopens");
        let stored = store.incident("pagerduty:PGR0VU2").await.expect("read").expect("incident");
        assert_eq!((stored.entity.as_str(), stored.title.as_str()), ("component:default/shop", "Checkout is slow"));
        assert_eq!(stored.resolved_ms, Some(T0 + 2 * HOUR));
        let m = metrics(&server, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(m["unlinkedIncidents"], 1, "{m}");

        // A service no entity claims is kept and counted.
        let stray = pagerduty(&server, &pagerduty_event("01DEN5T3", "incident.triggered", "Q1STRAY", "PNOBODY", T0)).await;
        assert_eq!((&stray["action"], &stray["entity"], &stray["unmappedIncidents"]), (&json!("opened"), &Value::Null, &json!(1)));
        assert!(store.incident("pagerduty:Q1STRAY").await.expect("read").is_some());
        assert_eq!(store.unmapped_incidents("pagerduty").await.expect("count"), 1);
        // Once an entity claims that service, the next delivery gives it the incident.
        let later = tempfile::tempdir().expect("tempdir");
        let claims = later.path().join("catalog-info.yaml");
        std::fs::write(
            &claims,
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: stray\n  annotations:\n    \
             pagerduty.com/service-id: PNOBODY\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n",
        )
        .expect("write");
        server.state().catalog.register("file", &claims.display().to_string(), false).await.expect("register");
        server.state().catalog.refresh_all().await.expect("refresh");
        let next = pagerduty(&server, &pagerduty_event("01DEN5U4", "incident.triggered", "Q2OTHER", "PF9KMXH", T0)).await;
        assert_eq!(next["unmappedIncidents"], 0, "{next}");
        let claimed = store.incident("pagerduty:Q1STRAY").await.expect("read").expect("incident");
        assert_eq!(claimed.entity, "component:default/stray");

        let ping = json!({"event": {"id": "01PING", "event_type": "pagey.ping", "resource_type": "pagey",
                                    "occurred_at": at(T0), "agent": null, "client": null, "data": {"message": "Hello from your friend Pagey!", "type": "ping"}}});
        assert_eq!(pagerduty(&server, &ping).await["action"], "ignored");
        server.stop().await;
    }

    async fn a_bad_pagerduty_payload_is_refused_by_field_and_nothing_written(db: TestDb) {
        let server = webhooks_portal(&db).await;
        let mut bad = pagerduty_event("01BAD", "incident.triggered", "QBAD", "PF9KMXH", T0);
        bad["event"]["data"]["service"] = json!({"type": "service_reference"});
        let body = serde_json::to_vec(&bad).expect("json");
        let (status, answer) = deliver(&server, &body, Some(pagerduty_signature(PAGERDUTY_SECRET, &body))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(answer["error"]["message"], "event.data.service.id: is required");
        bad["event"]["data"]["service"]["id"] = json!("PF9KMXH");
        bad["event"]["data"]["created_at"] = json!("an hour ago");
        let body = serde_json::to_vec(&bad).expect("json");
        let (status, answer) = deliver(&server, &body, Some(pagerduty_signature(PAGERDUTY_SECRET, &body))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(answer["error"]["message"].as_str().expect("message").starts_with("event.data.created_at:"), "{answer}");
        let not_json = b"{\"event\":";
        let (status, _) = deliver(&server, not_json, Some(pagerduty_signature(PAGERDUTY_SECRET, not_json))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(server.state().delivery.store.incident("pagerduty:QBAD").await.expect("read").is_none());
        server.stop().await;
    }

    async fn github_deployment_statuses_to_production_become_reported_deployments(db: TestDb) {
        let server = webhooks_portal(&db).await;
        // Both shop and checkout name the repository (one case-insensitively): each gets it.
        let done = deployment_status(145988746, "success", "prod-eu", "northwind/shop", T0 + HOUR);
        let (status, applied) = github(&server, &done).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{applied}");
        assert_eq!(applied["recorded"], json!([
            "github:145988746:component:default/checkout", "github:145988746:component:default/shop"
        ]));
        let (_, again) = github(&server, &done).await;
        assert_eq!((again["recorded"].as_array().map(Vec::len), again["unchanged"].as_array().map(Vec::len)), (Some(0), Some(2)));

        let mut failed = deployment_status(145988750, "failure", "production", "northwind/shop", T0 + 3 * HOUR);
        failed["deployment"]["ref"] = json!("v1.5.0");
        assert_eq!(github(&server, &failed).await.1["recorded"].as_array().map(Vec::len), Some(2));
        for (payload, reason) in [
            (deployment_status(1, "in_progress", "production", "northwind/shop", T0), "state `in_progress`"),
            (deployment_status(2, "success", "staging", "northwind/shop", T0), "environment `staging`"),
            (deployment_status(3, "success", "production", "northwind/elsewhere", T0), "no entity's github.com/project-slug"),
        ] {
            let (status, applied) = github(&server, &payload).await;
            assert_eq!(status, StatusCode::ACCEPTED);
            assert!(applied["ignored"].as_str().expect("ignored").starts_with(reason), "{applied}");
        }
        let mut no_sha = deployment_status(4, "success", "production", "northwind/shop", T0);
        no_sha["deployment"].as_object_mut().expect("object").remove("sha");
        let (status, answer) = github(&server, &no_sha).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(answer["message"].as_str().expect("message").starts_with("deployment.sha:"), "{answer}");

        let m = metrics(&server, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(m["deploymentFrequency"]["deployments"], 2, "{m}");
        assert_eq!(m["changeFailureRate"]["failed"], 1);
        let stored = server.state().delivery.store
            .reported_deployments(delivery::store::Among::Entities(&["component:default/shop".into()]), "production", (T0, T0 + 4 * HOUR)).await.expect("read");
        let first = stored.iter().find(|d| d.id == "github:145988746:component:default/shop").expect("recorded");
        assert_eq!((first.version.as_str(), first.commit.as_deref()), ("v1.4.0", Some("9f2c1a7d3e4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d")));
        assert_eq!((first.started_ms, first.finished_ms), (T0 + HOUR - 300_000, T0 + HOUR));
        server.stop().await;
    }
}
