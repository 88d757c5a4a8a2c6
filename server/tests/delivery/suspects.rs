//! The deploy that caused it: an incident's suspects ranked with their reasons, and an owner's
//! verdict that links (or unlinks) one and feeds the metrics.

use super::*;

async fn suspects(server: &TestServer, incident: &str) -> Value {
    let response = server.get(&format!("/api/incidents/{incident}/suspects")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

/// An incident of shop at T0 + 10 h; shop dependsOn checkout; billing is unrelated.
async fn scene(server: &TestServer) {
    for (id, entity, version, at_ms) in [
        ("s0", "shop", "0.9", T0 - 20 * HOUR),
        ("s1", "shop", "1.0", T0 + 9 * HOUR),
        ("s2", "shop", "1.1", T0 + 12 * HOUR),
        ("c1", "checkout", "1.0", T0 + 2 * HOUR),
        ("c2", "checkout", "1.1", T0 + 8 * HOUR),
        ("c3", "checkout", "1.0", T0 + 11 * HOUR),
        ("b1", "billing", "1.0", T0 + 9 * HOUR),
    ] {
        report(server, deployment(id, entity, version, at_ms, "succeeded")).await;
    }
    incident(server, "INC-9", T0 + 10 * HOUR, None, None).await;
}

on_both_databases! {
    async fn suspects_are_ranked_with_their_reasons_and_a_verdict_feeds_the_metrics(db: TestDb) {
        let server = portal(&db, |_| {}).await;
        scene(&server).await;
        let found = suspects(&server, "api:INC-9").await;
        let ranked: Vec<(&str, u64)> = found["suspects"].as_array().expect("suspects").iter()
            .map(|s| (s["deployment"].as_str().unwrap_or_default(), s["score"].as_u64().unwrap_or_default()))
            .collect();
        // c2 (a dependency, 2 h before, rolled back by c3 afterwards) over s1 (same entity, 1 h
        // before) over c1 (8 h before); s0 (30 h before), s2 (after) and billing are not suspects.
        assert_eq!(ranked, [("c2", 86), ("s1", 78), ("c1", 46)], "{found}");
        assert_eq!(found["suspects"][0]["reasons"], json!([
            {"reason": "dependency", "entity": "component:default/checkout"},
            {"reason": "minutesBefore", "minutes": 120},
            {"reason": "rolledBack", "by": "c3"}
        ]));
        assert_eq!(found["suspects"][1]["reasons"], json!([{"reason": "sameEntity"}, {"reason": "minutesBefore", "minutes": 60}]));
        assert_eq!(found["entity"], "component:default/shop");

        let before = metrics(&server, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(before["changeFailureRate"]["failed"], 0);
        let (status, answer) = post(&server, "/api/incidents/api:INC-9/links", &json!({"deployment": "s1", "decision": "confirmed"})).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let after = metrics(&server, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(after["changeFailureRate"]["failed"], 1, "a confirmed link fails the deployment");
        assert_eq!(after["deployments"][1]["failures"], json!([{"reason": "incident", "id": "api:INC-9"}]));
        let s1 = &suspects(&server, "api:INC-9").await["suspects"][1];
        assert_eq!((&s1["linked"], &s1["decision"]), (&json!(true), &json!("confirmed")));

        let (status, _) = post(&server, "/api/incidents/api:INC-9/links", &json!({"deployment": "s1", "decision": "rejected"})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(metrics(&server, &format!("entity=shop&{RANGE}")).await["changeFailureRate"]["failed"], 0);
        let s1 = &suspects(&server, "api:INC-9").await["suspects"][1];
        assert_eq!((&s1["linked"], &s1["decision"]), (&json!(false), &json!("rejected")));

        let pool = server.state().catalog.store.pool().clone();
        let audited: Vec<(String, String)> = sqlx::query_as(
            "SELECT action, detail FROM audit_events WHERE target = 'api:INC-9' ORDER BY id",
        ).fetch_all(&pool).await.expect("audit");
        assert_eq!(audited, [
            ("incident-link-confirmed".to_string(), "s1".to_string()),
            ("incident-link-rejected".to_string(), "s1".to_string()),
        ]);

        for (body, expected) in [
            (json!({"deployment": "s1", "decision": "maybe"}), "decision: `maybe`"),
            (json!({"deployment": "b1", "decision": "confirmed"}), "deployment: b1 is of component:default/billing"),
            (json!({"deployment": "nope", "decision": "confirmed"}), "deployment: there is no deployment nope"),
            (json!({"decision": "confirmed"}), "deployment: is required"),
        ] {
            let (status, answer) = post(&server, "/api/incidents/api:INC-9/links", &body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            let message = answer["error"]["message"].as_str().expect("message");
            assert!(message.starts_with(expected), "{message}");
        }
        assert_eq!(server.get("/api/incidents/api:NOPE/suspects").await.status(), StatusCode::NOT_FOUND);
        server.stop().await;
    }

    async fn a_verdict_needs_incidents_link(db: TestDb) {
        let (server, _provider, reader, ci) = signed_in_portal(&db).await;
        let send = |token: Option<String>, path: &'static str, body: Value| {
            let request = server.client.post(server.url(path)).json(&body);
            match token { Some(t) => request.bearer_auth(t), None => request }.send()
        };
        assert_eq!(send(Some(ci.secret.clone()), "/api/dora/deployments", deployment("s1", "shop", "1.0", T0 + 9 * HOUR, "succeeded"))
            .await.expect("post").status(), StatusCode::CREATED);
        let x = json!({"id": "INC-9", "entity": "shop", "title": "down", "startedAt": at(T0 + 10 * HOUR)});
        assert_eq!(send(Some(ci.secret.clone()), "/api/incidents", x).await.expect("post").status(), StatusCode::CREATED);
        let verdict = json!({"deployment": "s1", "decision": "confirmed"});
        let path = "/api/incidents/api:INC-9/links";
        assert_eq!(send(None, path, verdict.clone()).await.expect("post").status(), StatusCode::UNAUTHORIZED);
        assert_eq!(send(Some(reader.secret.clone()), path, verdict.clone()).await.expect("post").status(), StatusCode::FORBIDDEN);
        assert_eq!(send(Some(ci.secret.clone()), path, verdict).await.expect("post").status(), StatusCode::OK);
        let listed = server.client.get(server.url("/api/incidents/api:INC-9/suspects")).bearer_auth(&reader.secret)
            .send().await.expect("get");
        assert_eq!(listed.status(), StatusCode::OK, "reading them needs only catalog:read");
        server.stop().await;
    }

    async fn the_workload_and_container_an_alert_names_make_a_stronger_suspect(db: TestDb) {
        let server = portal(&db, |_| {}).await;
        let pool = server.state().catalog.store.pool().clone();
        // The worker's second rollout went unhealthy 4 minutes in, then completed.
        for (name, seq, version, hour, unhealthy) in [
            ("checkout-api", 1, "app=r/checkout:1, proxy=r/p:1", 1, false),
            ("checkout-api", 2, "app=r/checkout:2, proxy=r/p:1", 8, false),
            ("checkout-worker", 1, "app=r/worker:1", 2, false),
            ("checkout-worker", 2, "app=r/worker:1, proxy=r/p:2", 9, true),
        ] {
            let finished = T0 + hour * HOUR;
            let started = finished - 600_000;
            sqlx::query(
                "INSERT INTO deployment_rollouts (cluster, namespace, kind, name, seq, entity, revision, version, outcome, \
                 started_ms, finished_ms, failed_ms, first_sight, recorded_ms, updated_ms) \
                 VALUES ('prod', 'shop', 'Deployment', $1, $2, 'component:default/checkout', $3, $4, 'completed', $5, $6, $7, 0, $6, $6)",
            )
            .bind(name)
            .bind(seq)
            .bind(seq.to_string())
            .bind(version)
            .bind(started)
            .bind(finished)
            .bind(unhealthy.then_some(started + 240_000))
            .execute(&pool)
            .await
            .expect("insert rollout");
        }
        let labels = json!({"alertname": "HighLatency", "backstage_io_kubernetes_id": "checkout-api",
                            "namespace": "shop", "deployment": "checkout-api", "container": "app"});
        let notification = json!({
            "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing", "receiver": "cairn",
            "groupLabels": {}, "commonLabels": labels, "commonAnnotations": {}, "externalURL": "http://am.example",
            "alerts": [{"status": "firing", "labels": labels, "annotations": {}, "startsAt": at(T0 + 10 * HOUR),
                        "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": "0a0b0c0d0e0f1011"}]
        });
        let sent = server.client.post(server.url("/api/incidents/alertmanager")).bearer_auth(ALERTMANAGER_TOKEN)
            .json(&notification).send().await.expect("post");
        assert_eq!(sent.status(), StatusCode::OK);
        let found = suspects(&server, &format!("alertmanager:0a0b0c0d0e0f1011@{}", T0 + 10 * HOUR)).await;
        let reasons = |id: &str| -> Vec<String> {
            found["suspects"].as_array().expect("suspects").iter()
                .find(|s| s["deployment"] == id)
                .map(|s| s["reasons"].as_array().expect("reasons").iter().map(|r| r["reason"].as_str().unwrap_or_default().to_string()).collect())
                .unwrap_or_else(|| panic!("{id} in {found}"))
        };
        assert_eq!(found["suspects"][0]["deployment"], "rollout:prod/shop/Deployment/checkout-api/2", "{found}");
        assert_eq!(reasons("rollout:prod/shop/Deployment/checkout-api/2"),
                   ["sameEntity", "minutesBefore", "sameWorkload", "changedContainer"]);
        // The worker changed its proxy, not the app container the alert names.
        assert_eq!(reasons("rollout:prod/shop/Deployment/checkout-worker/2"), ["sameEntity", "minutesBefore", "wentUnhealthy"]);
        let worker = found["suspects"].as_array().expect("suspects").iter()
            .find(|s| s["deployment"] == "rollout:prod/shop/Deployment/checkout-worker/2").expect("worker");
        assert_eq!(worker["reasons"][2], json!({"reason": "wentUnhealthy", "minutes": 4}));
        assert_eq!(found["suspects"][0]["reasons"][2], json!({"reason": "sameWorkload", "workload": "shop/checkout-api"}));
        server.stop().await;
    }
}
