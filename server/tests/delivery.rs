//! Delivery metrics through HTTP on SQLite and PostgreSQL: deployments CI reports, incidents from
//! the API and Alertmanager, rollouts of the history, and the metrics' golden cases.

#[path = "delivery/alertmanager.rs"]
mod alertmanager;
mod common;
#[path = "../../catalog/tests/support/github_api.rs"]
mod github_api;
#[path = "delivery/lead_time.rs"]
mod lead_time;
#[path = "delivery/suspects.rs"]
mod suspects;
#[path = "delivery/views.rs"]
mod views;
#[path = "delivery/webhooks.rs"]
mod webhooks;

use access::Scope;
use common::{TestDb, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ALERTMANAGER_TOKEN: &str = "am-token-0123456789";
/// 2025-03-03T00:00:00Z, a Monday.
const T0: i64 = 1_740_960_000_000;
const HOUR: i64 = 3_600_000;

fn fixture() -> String {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/delivery/catalog-info.yaml")
        .display()
        .to_string()
}

async fn portal(db: &TestDb, tune: impl FnOnce(&mut cairn_server::config::Config)) -> TestServer {
    let mut config = db.config();
    config.catalog.locations = vec![("file".into(), fixture())];
    config.catalog.allowed_location_types = vec!["file".into()];
    config.dora.alertmanager_token = Some(ALERTMANAGER_TOKEN.into());
    tune(&mut config);
    let server = TestServer::start_with(config).await;
    let catalog = &server.state().catalog;
    catalog.sync_config_locations().await.expect("sync");
    catalog.refresh_all().await.expect("refresh");
    server
}

/// A portal that requires sign-in (at a local provider), and two API tokens of Ada's: `reader`
/// (catalog:read) and `ci` (events:write too). The provider lives as long as the portal needs it.
async fn signed_in_portal(
    db: &TestDb,
) -> (
    TestServer,
    common::oidc::Provider,
    cairn_server::auth::tokens::NewToken,
    cairn_server::auth::tokens::NewToken,
) {
    let provider = common::oidc::Provider::start(common::oidc::TestUser::new("sub-x", "x@example.test", "X")).await;
    let server = portal(db, |config| {
        config.auth = cairn_server::auth::AuthConfig {
            oidc: Some(cairn_server::auth::OidcConfig {
                issuer: provider.issuer.clone(),
                client_id: common::oidc::CLIENT_ID.into(),
                client_secret: Some(common::oidc::CLIENT_SECRET.into()),
                scopes: vec!["openid".into(), "email".into()],
                redirect_url: "http://127.0.0.1/api/auth/oidc/callback".into(),
                post_logout_redirect_url: "http://127.0.0.1/".into(),
                claim: "email".into(),
                provider_logout: false,
            }),
            ..Default::default()
        };
    })
    .await;
    let store = &server.state().auth.store;
    let reader = cairn_server::auth::tokens::create(store, "reader", &[Scope::CatalogRead], "user:default/ada", None)
        .await
        .expect("token");
    let ci = cairn_server::auth::tokens::create(
        store,
        "ci",
        &[Scope::EventsWrite, Scope::CatalogRead],
        "user:default/ada",
        None,
    )
    .await
    .expect("token");
    (server, provider, reader, ci)
}

fn at(ms: i64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn deployment(id: &str, entity: &str, version: &str, finished_ms: i64, status: &str) -> Value {
    json!({"id": id, "entity": entity, "environment": "production", "version": version,
           "commit": "0123abcd", "startedAt": at(finished_ms - 60_000), "finishedAt": at(finished_ms), "status": status})
}

async fn post(server: &TestServer, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = server
        .client
        .post(server.url(path))
        .json(body)
        .send()
        .await
        .expect("post");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn report(server: &TestServer, body: Value) {
    let (status, answer) = post(server, "/api/dora/deployments", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}: {answer}");
}

async fn incident(server: &TestServer, id: &str, started_ms: i64, resolved_ms: Option<i64>, deployment: Option<&str>) {
    let body = json!({"id": id, "entity": "shop", "title": format!("incident {id}"), "startedAt": at(started_ms),
                      "resolvedAt": resolved_ms.map(at), "deployment": deployment});
    let (status, answer) = post(server, "/api/incidents", &body).await;
    assert!(status.is_success(), "{body}: {answer}");
}

async fn metrics(server: &TestServer, query: &str) -> Value {
    let response = server.get(&format!("/api/dora/metrics?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

const RANGE: &str = "from=2025-03-01&to=2025-04-01";

on_both_databases! {
    async fn six_incidents_over_four_deployments_of_twenty_three_give_four_failed(db: TestDb) {
        // DevLake #8890: 6/23 = 26.1% counted incidents; failed deployments give 4/23 = 17.4%.
        let server = portal(&db, |_| {}).await;
        for i in 0..23 {
            report(&server, deployment(&format!("d{i}"), "shop", &format!("1.{i}.0"), T0 + i * 10 * HOUR, "succeeded")).await;
        }
        for (i, target) in ["d0", "d0", "d4", "d4", "d9", "d14"].iter().enumerate() {
            let start = T0 + (i as i64) * HOUR + HOUR;
            incident(&server, &format!("inc-{i}"), start, Some(start + HOUR), Some(target)).await;
        }
        let m = metrics(&server, &format!("entity=component:default/shop&{RANGE}&interval=week")).await;
        let cfr = &m["changeFailureRate"];
        assert_eq!((cfr["failed"].as_u64(), cfr["deployments"].as_u64()), (Some(4), Some(23)), "{m}");
        assert_eq!(cfr["percent"], json!(17.4));
        assert_eq!(m["deploymentFrequency"]["deployments"], 23);
        // github.com/northwind/shop cannot be read here: every deployment's changes are unknown, none made up.
        assert_eq!((m["leadTimeForChanges"]["value"].clone(), m["leadTimeForChanges"]["unknown"].as_u64()), (Value::Null, Some(23)));
        let series: u64 = m["series"].as_array().expect("series").iter().map(|b| b["deployments"].as_u64().unwrap_or(0)).sum();
        assert_eq!(series, 23, "the weekly series adds up");
        server.stop().await;
    }

    async fn duplicate_incidents_never_push_the_rate_past_one_hundred_percent(db: TestDb) {
        // GitLab #480920.
        let server = portal(&db, |_| {}).await;
        report(&server, deployment("a", "shop", "1.0.0", T0 + HOUR, "succeeded")).await;
        report(&server, deployment("b", "shop", "1.1.0", T0 + 2 * HOUR, "succeeded")).await;
        for i in 0..8 {
            for target in ["a", "b"] {
                incident(&server, &format!("dup-{i}"), T0 + 3 * HOUR, None, Some(target)).await;
            }
        }
        let m = metrics(&server, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(m["changeFailureRate"]["failed"], 2);
        assert_eq!(m["changeFailureRate"]["deployments"], 2);
        assert_eq!(m["changeFailureRate"]["value"], json!(1.0));
        server.stop().await;
    }

    async fn a_rollback_marks_the_deployment_it_undid_as_failed(db: TestDb) {
        // Datadog's rule, from the rollout history (cluster-observed) and from CI reports.
        let server = portal(&db, |_| {}).await;
        let pool = server.state().catalog.store.pool().clone();
        let rows = [
            (1, "app=shop:1", "completed", None),
            (2, "app=shop:2", "rolled-back", None),
            (3, "app=shop:1", "completed", Some(1)),
        ];
        for (seq, version, outcome, restores) in rows {
            let finished = T0 + seq * HOUR;
            sqlx::query(
                "INSERT INTO deployment_rollouts (cluster, namespace, kind, name, seq, entity, revision, version, outcome, \
                 started_ms, finished_ms, restores_seq, first_sight, recorded_ms, updated_ms) \
                 VALUES ('prod', 'shop', 'Deployment', 'shop', $1, 'component:default/shop', $2, $3, $4, $5, $6, $7, 0, $6, $6)",
            )
            .bind(seq)
            .bind(seq.to_string())
            .bind(version)
            .bind(outcome)
            .bind(finished - 60_000)
            .bind(finished)
            .bind(restores)
            .execute(&pool)
            .await
            .expect("insert rollout");
        }
        let m = metrics(&server, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(m["changeFailureRate"]["failed"], 1, "{m}");
        assert_eq!(m["changeFailureRate"]["rolledBack"], 1);
        assert_eq!(m["reworkRate"]["rollbacks"], 1);
        let undone = &m["deployments"][1];
        assert_eq!(undone["id"], "rollout:prod/shop/Deployment/shop/2");
        assert_eq!(undone["failures"], json!([{"reason": "rolledBack", "by": "rollout:prod/shop/Deployment/shop/3"}]));
        assert_eq!(m["failedDeploymentRecoveryTime"]["value"], json!(3600.0));

        // CI: 2.0 brought back 1.0 on checkout, so 1.1 failed.
        for (id, version, hour) in [("c1", "1.0", 10), ("c2", "1.1", 11), ("c3", "1.0", 12)] {
            report(&server, deployment(id, "checkout", version, T0 + hour * HOUR, "succeeded")).await;
        }
        let m = metrics(&server, &format!("entity=checkout&{RANGE}")).await;
        assert_eq!(m["changeFailureRate"]["failed"], 1);
        assert_eq!(m["deployments"][1]["failures"][0]["by"], "c3");
        // A redeploy of the running version is not a deployment; a group sums what it owns.
        report(&server, deployment("c4", "checkout", "1.0", T0 + 13 * HOUR, "succeeded")).await;
        let group = metrics(&server, &format!("group=team-a&{RANGE}")).await;
        assert_eq!(
            group["entities"],
            json!(["component:default/checkout", "component:default/ledger", "component:default/shop"])
        );
        assert_eq!(group["changeFailureRate"]["deployments"], 6);
        assert_eq!(group["changeFailureRate"]["failed"], 2);
        assert_eq!(group["scope"], "group");
        assert_eq!(group["breakdownBy"], "entity");
        let rows: Vec<(&str, u64, u64)> = group["breakdown"]
            .as_array()
            .expect("breakdown")
            .iter()
            .map(|r| (r["key"].as_str().unwrap(), r["deployments"].as_u64().unwrap(), r["failed"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            rows,
            [("component:default/checkout", 3, 1), ("component:default/shop", 3, 1), ("component:default/ledger", 0, 0)]
        );
        server.stop().await;
    }

    async fn a_group_covers_its_child_groups_and_the_organisation_everything(db: TestDb) {
        let server = portal(&db, |_| {}).await;
        report(&server, deployment("s1", "shop", "1.0", T0 + HOUR, "succeeded")).await;
        report(&server, deployment("l1", "ledger", "1.0", T0 + 2 * HOUR, "succeeded")).await;
        report(&server, deployment("l2", "ledger", "1.1", T0 + 3 * HOUR, "failed")).await;
        report(&server, deployment("b1", "billing", "1.0", T0 + 4 * HOUR, "succeeded")).await;
        let parent = metrics(&server, &format!("group=team-a&{RANGE}")).await;
        assert_eq!(
            parent["entities"],
            json!(["component:default/checkout", "component:default/ledger", "component:default/shop"]),
            "{parent}"
        );
        assert_eq!(parent["changeFailureRate"]["deployments"], 3);
        assert_eq!(parent["breakdown"][0]["key"], "component:default/ledger");
        // checkout never deployed: still a row, of zeros.
        assert_eq!(parent["breakdown"][2]["key"], "component:default/checkout");
        assert_eq!(parent["breakdown"][2]["deployments"], 0);
        let child = metrics(&server, &format!("group=payments&{RANGE}")).await;
        assert_eq!(child["entities"], json!(["component:default/ledger"]));

        let org = metrics(&server, RANGE).await;
        assert_eq!(org["scope"], "organisation");
        assert_eq!(org["breakdownBy"], "owner");
        assert_eq!(org["changeFailureRate"]["deployments"], 4, "{org}");
        assert_eq!(org["changeFailureRate"]["failed"], 1);
        let owners: Vec<(&str, u64)> = org["breakdown"]
            .as_array()
            .expect("breakdown")
            .iter()
            .map(|r| (r["key"].as_str().unwrap(), r["deployments"].as_u64().unwrap()))
            .collect();
        assert_eq!(owners, [("group:default/payments", 2), ("group:default/someone-else", 1), ("group:default/team-a", 1)]);
        let both = server.get(&format!("/api/dora/metrics?entity=shop&group=team-a&{RANGE}")).await;
        assert_eq!(both.status(), StatusCode::BAD_REQUEST);
        server.stop().await;
    }

    async fn judged_deployments_kept_in_memory_follow_every_write_of_any_replica(db: TestDb) {
        // Each replica keeps entities' judged deployments until the database's stamp of the
        // entity moves: a write through another replica, an incident resolved, a rollout
        // rewritten by the history all show at once.
        let first = portal(&db, |_| {}).await;
        let second = portal(&db, |_| {}).await;
        report(&first, deployment("a", "shop", "1.0", T0 + HOUR, "succeeded")).await;
        report(&first, deployment("b", "ledger", "1.0", T0 + 2 * HOUR, "succeeded")).await;
        let org = metrics(&first, RANGE).await;
        assert_eq!(org["deploymentFrequency"]["deployments"], 2, "{org}");
        assert_eq!(metrics(&first, RANGE).await, org, "a second request answers the same");

        report(&second, deployment("c", "shop", "1.1", T0 + 3 * HOUR, "succeeded")).await;
        let org = metrics(&first, RANGE).await;
        assert_eq!(org["deploymentFrequency"]["deployments"], 3, "the other replica's deployment counts: {org}");

        incident(&second, "down", T0 + 4 * HOUR, None, Some("c")).await;
        let shop = metrics(&first, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(shop["changeFailureRate"]["failed"], 1, "{shop}");
        assert_eq!(shop["failedDeploymentRecoveryTime"]["recovered"], 0);
        incident(&second, "down", T0 + 4 * HOUR, Some(T0 + 6 * HOUR), Some("c")).await;
        let shop = metrics(&first, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(shop["failedDeploymentRecoveryTime"]["recovered"], 1, "the resolution counts: {shop}");
        assert_eq!(shop["failedDeploymentRecoveryTime"]["value"], json!(3.0 * 3600.0));

        let pool = first.state().catalog.store.pool().clone();
        sqlx::query(
            "INSERT INTO deployment_rollouts (cluster, namespace, kind, name, seq, entity, revision, version, outcome, \
             started_ms, finished_ms, first_sight, recorded_ms, updated_ms) \
             VALUES ('prod', 'billing', 'Deployment', 'billing', 1, 'component:default/billing', '1', 'app=billing:1', \
             'completed', $1, $2, 0, $2, $2)",
        )
        .bind(T0 + 7 * HOUR - 60_000)
        .bind(T0 + 7 * HOUR)
        .execute(&pool)
        .await
        .expect("insert rollout");
        let org = metrics(&first, RANGE).await;
        assert_eq!(org["deploymentFrequency"]["deployments"], 4, "{org}");
        assert_eq!(org["changeFailureRate"]["failed"], 1);
        sqlx::query("UPDATE deployment_rollouts SET outcome = 'failed', updated_ms = $1 WHERE name = 'billing'")
            .bind(T0 + 8 * HOUR)
            .execute(&pool)
            .await
            .expect("update rollout");
        let org = metrics(&first, RANGE).await;
        assert_eq!(org["changeFailureRate"]["failed"], 2, "the rewritten rollout counts failed: {org}");
        second.stop().await;
        first.stop().await;
    }

    async fn an_incident_spanning_two_deployments_fails_one_unless_both_are_linked(db: TestDb) {
        let server = portal(&db, |_| {}).await;
        report(&server, deployment("a", "shop", "1.0", T0 + HOUR, "succeeded")).await;
        report(&server, deployment("b", "shop", "1.1", T0 + 5 * HOUR, "succeeded")).await;
        incident(&server, "long", T0 + 2 * HOUR, Some(T0 + 9 * HOUR), Some("a")).await;
        let once = metrics(&server, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(once["changeFailureRate"]["failed"], 1, "{once}");
        incident(&server, "long", T0 + 2 * HOUR, Some(T0 + 9 * HOUR), Some("b")).await;
        let both = metrics(&server, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(both["changeFailureRate"]["failed"], 2);
        server.stop().await;
    }

    async fn reports_are_idempotent_on_their_id_and_bad_ones_name_the_field(db: TestDb) {
        let server = portal(&db, |_| {}).await;
        let first = deployment("gh-run-1", "shop", "1.0", T0 + HOUR, "succeeded");
        assert_eq!(post(&server, "/api/dora/deployments", &first).await.0, StatusCode::CREATED);
        let (again, body) = post(&server, "/api/dora/deployments", &first).await;
        assert_eq!((again, &body["created"]), (StatusCode::OK, &json!(false)));
        let changed = deployment("gh-run-1", "shop", "9.9", T0 + HOUR, "succeeded");
        assert_eq!(post(&server, "/api/dora/deployments", &changed).await.0, StatusCode::CONFLICT);

        let x = json!({"id": "INC-1", "entity": "shop", "title": "down", "startedAt": at(T0 + 2 * HOUR)});
        assert_eq!(post(&server, "/api/incidents", &x).await.0, StatusCode::CREATED);
        assert_eq!(post(&server, "/api/incidents", &x).await.0, StatusCode::OK);
        let m = metrics(&server, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(m["deploymentFrequency"]["deployments"], 1);
        assert_eq!(m["unlinkedIncidents"], 1);

        let cases = [
            (json!({"status": "done"}), "status:"),
            (json!({"finishedAt": "tomorrow"}), "finishedAt:"),
            (json!({"entity": "component:default/nowhere"}), "entity: the catalog has no entity"),
        ];
        for (patch, expected) in cases {
            let mut bad = deployment("bad", "shop", "1.0", T0, "succeeded");
            for (k, v) in patch.as_object().expect("object") {
                bad[k] = v.clone();
            }
            let (status, body) = post(&server, "/api/dora/deployments", &bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            let message = body["error"]["message"].as_str().expect("message");
            assert!(message.starts_with(expected), "{message}");
        }
        let dangling = json!({"id": "INC-2", "entity": "shop", "title": "x", "startedAt": at(T0), "deployment": "nope"});
        let (status, body) = post(&server, "/api/incidents", &dangling).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["message"], "deployment: there is no deployment nope");
        let huge = json!({"id": "x".repeat(100_000)});
        assert_eq!(post(&server, "/api/dora/deployments", &huge).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        let range = server.get("/api/dora/metrics?entity=shop&from=2020-01-01&to=2025-01-01").await;
        assert_eq!(range.status(), StatusCode::BAD_REQUEST);
        server.stop().await;
    }

    async fn alertmanager_opens_and_resolves_incidents(db: TestDb) {
        let server = portal(&db, |_| {}).await;
        let notification = |status: &str, ends: &str| json!({
            "version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "truncatedAlerts": 0,
            "status": status, "receiver": "cairn", "groupLabels": {"alertname": "HighErrorRate"},
            "commonLabels": {"alertname": "HighErrorRate"}, "commonAnnotations": {},
            "externalURL": "http://alertmanager.example:9093",
            "alerts": [
                {"status": status, "labels": {"alertname": "HighErrorRate", "backstage_io_kubernetes_id": "checkout-api"},
                 "annotations": {"summary": "5xx above 5%"}, "startsAt": at(T0 + HOUR), "endsAt": ends,
                 "generatorURL": "http://prometheus.example/graph", "fingerprint": "a1b2c3d4e5f60718"},
                {"status": status, "labels": {"alertname": "DiskFull", "instance": "db-1"},
                 "annotations": {}, "startsAt": at(T0 + HOUR), "endsAt": ends,
                 "generatorURL": "http://prometheus.example/graph", "fingerprint": "ffff000011112222"}
            ]
        });
        let send = |body: Value, token: &'static str| {
            server.client.post(server.url("/api/incidents/alertmanager")).bearer_auth(token).json(&body).send()
        };
        let firing = notification("firing", "0001-01-01T00:00:00Z");
        let refused = send(firing.clone(), "wrong-token-000000000").await.expect("post");
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let opened: Value = send(firing.clone(), ALERTMANAGER_TOKEN).await.expect("post").json().await.expect("json");
        assert_eq!(opened, json!({"opened": 1, "resolved": 0, "unchanged": 0, "unmapped": ["ffff000011112222"]}));
        let again: Value = send(firing, ALERTMANAGER_TOKEN).await.expect("post").json().await.expect("json");
        assert_eq!(again["unchanged"], 1, "the fingerprint is the idempotency key");
        let resolved: Value = send(notification("resolved", &at(T0 + 2 * HOUR)), ALERTMANAGER_TOKEN)
            .await.expect("post").json().await.expect("json");
        assert_eq!(resolved["resolved"], 1);
        let id = format!("alertmanager:a1b2c3d4e5f60718@{}", T0 + HOUR);
        let stored = server.state().delivery.store.incident(&id).await.expect("read").expect("incident");
        assert_eq!(stored.entity, "component:default/checkout");
        assert_eq!(stored.title, "HighErrorRate: 5xx above 5%");
        assert_eq!(stored.resolved_ms, Some(T0 + 2 * HOUR));
        let v3 = json!({"version": "3", "alerts": []});
        let old = send(v3, ALERTMANAGER_TOKEN).await.expect("post");
        assert_eq!(old.status(), StatusCode::BAD_REQUEST);
        server.stop().await;
    }

    async fn reporting_needs_a_token_with_events_write(db: TestDb) {
        let (server, _provider, reader, ci) = signed_in_portal(&db).await;
        let body = deployment("d1", "shop", "1.0", T0, "succeeded");
        let send = |path: &'static str, token: Option<String>| {
            let request = server.client.post(server.url(path)).json(&body);
            match token { Some(t) => request.bearer_auth(t), None => request }.send()
        };
        assert_eq!(send("/api/dora/deployments", None).await.expect("post").status(), StatusCode::UNAUTHORIZED);
        let denied = send("/api/dora/deployments", Some(reader.secret.clone())).await.expect("post");
        assert_eq!(denied.status(), StatusCode::FORBIDDEN);
        let incident = send("/api/incidents", Some(reader.secret.clone())).await.expect("post");
        assert_eq!(incident.status(), StatusCode::FORBIDDEN);
        assert_eq!(send("/api/dora/deployments", Some(ci.secret.clone())).await.expect("post").status(), StatusCode::CREATED);
        let anonymous = server.get("/api/dora/metrics?entity=shop").await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        server.stop().await;
    }
}
