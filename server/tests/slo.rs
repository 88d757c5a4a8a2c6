//! SLOs end to end on SQLite and PostgreSQL: definitions collected from the files catalog
//! entities list, buckets fetched by the server's own loop from Debian's real Prometheus
//! (backfilled by promtool with eight days of known traffic ending an hour ago), and the API's
//! figures, deploy markers and gate checked against a count of that traffic. Pyrra's objects in a
//! watched cluster (a local Kubernetes API) are collected, tied to their Component by label and
//! read from the cluster's own Prometheus source.

mod common;

use common::{TestDb, TestServer, eventually};
use serde_json::{Value, json};
use testkit::prometheus::{self as harness, History, Minute};

const DAY: i64 = 86_400;
const MINUTES: usize = 8 * 1_440;

/// Eight days ending an hour before the last 5-minute boundary: quiet nights, a burst on day 5,
/// an outage on day 6, a bad 40 minutes at the end, one error every 13 minutes otherwise.
fn plan() -> History {
    let now = catalog::store::now_ms() / 1000;
    let end = now.div_euclid(300) * 300 - 3_600;
    let minutes = (0..MINUTES)
        .map(|i| {
            let (day, minute) = (i / 1_440, i % 1_440);
            let total: u64 = if minute < 360 {
                3
            } else if day == 5 && (720..750).contains(&minute) {
                5_000
            } else {
                100 + (i % 17) as u64
            };
            let bad = if day == 6 && (600..660).contains(&minute) {
                total * 2 / 5
            } else if i >= MINUTES - 40 {
                total * 3 / 10
            } else {
                u64::from(i % 13 == 0)
            };
            Minute { good: total - bad, bad }
        })
        .collect();
    History {
        start: end - 60 * MINUTES as i64,
        minutes,
        resets: vec![3 * 1_440 + 721],
    }
}

const CATALOG: &str = r#"
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  annotations:
    cairn.dev/slo-files: slo/checkout.yaml, slo/broken.yaml
spec: { type: service, lifecycle: production, owner: group:default/shop, system: storefront }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    cairn.dev/slo-files: slo/payments.yaml
spec: { type: service, lifecycle: production, owner: group:default/money }
"#;

fn openslo(name: &str, target: &str) -> String {
    format!(
        r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: {name}
spec:
  service: {name}
  indicator:
    metadata:
      name: {name}-requests
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: checkout_requests_total{{code="500"}}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(checkout_requests_total)
  timeWindow:
    - duration: 7d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - targetPercent: {target}
"#
    )
}

/// The catalog file and the SLO files it lists, in a temporary directory.
fn files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir(dir.path().join("slo")).expect("slo/");
    std::fs::write(dir.path().join("catalog-info.yaml"), CATALOG).expect("catalog");
    std::fs::write(dir.path().join("slo/checkout.yaml"), openslo("checkout", "99.9")).expect("slo");
    std::fs::write(dir.path().join("slo/payments.yaml"), openslo("payments", "90")).expect("slo");
    std::fs::write(dir.path().join("slo/broken.yaml"), openslo("broken", "120")).expect("slo");
    dir
}

async fn get(server: &TestServer, path: &str) -> Value {
    let response = server.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("JSON")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

on_both_databases! {
    async fn budgets_deploys_and_the_gate_match_the_traffic(db: TestDb) {
        let history = plan();
        let prometheus = harness::start(&history).await;
        let dir = files();
        let mut config = db.config();
        config.catalog.locations = vec![("file".into(), dir.path().join("catalog-info.yaml").display().to_string())];
        let settings = slo::prometheus::PrometheusSettings {
            url: prometheus.url.clone(),
            private_network: true,
            ..Default::default()
        };
        config.prometheus.global =
            Some(slo::prometheus::Prometheus::new(settings, &Default::default()).expect("a client"));
        // Only production rollouts are deploy markers: staging is the first environment to
        // contain cluster `staging`, every other cluster is production.
        config.dora.environments = vec![
            delivery::Environment { name: "staging".into(), clusters: vec!["staging".into()], ..Default::default() },
            delivery::Environment { name: "production".into(), ..Default::default() },
        ];
        let server = TestServer::start_with(config).await;
        let catalog = &server.state().catalog;
        catalog.sync_config_locations().await.expect("sync");
        catalog.refresh_all().await.expect("refresh");

        // The server's loop collects the definitions after the refresh and fetches their buckets.
        let list = eventually(std::time::Duration::from_secs(120), "both SLOs synced", || async {
            let list = get(&server, "/api/slo").await;
            let items = list["items"].as_array().cloned().unwrap_or_default();
            (items.len() == 2 && items.iter().all(|i| i["syncedTo"].is_i64())).then_some(list)
        })
        .await;
        assert_eq!(list["connected"], true);
        // Worst first: checkout has overspent its 99.9%, payments is well within its 90%.
        let items = list["items"].as_array().expect("items");
        assert_eq!(items[0]["entity"], "component:default/checkout");
        assert_eq!(items[1]["entity"], "component:default/payments");
        assert_eq!(items[0]["belongsBy"], "listed");
        assert_eq!((items[0]["owner"].as_str(), items[0]["system"].as_str()), (Some("group:default/shop"), Some("system:default/storefront")));
        // Lists read the figures the sync loop stored, one row per SLO.
        let ids: Vec<String> = items.iter().filter_map(|i| i["id"].as_str().map(String::from)).collect();
        let stored = server.state().slos.store.figures(&ids).await.expect("figures");
        assert_eq!(stored.len(), 2);
        assert_eq!(json!(stored[&ids[0]].figures.remaining), items[0]["remaining"]);
        assert!(items.iter().all(|i| i["syncError"].is_null()), "{list}");

        // The broken file: located, on the entity that lists it.
        let problems = get(&server, "/api/slo/problems?entity=checkout").await;
        let problems = problems["items"].as_array().expect("items").clone();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0]["file"].as_str().expect("file").ends_with("slo/broken.yaml"));
        assert_eq!(problems[0]["field"], "spec.objectives.0.targetPercent");
        assert_eq!(problems[0]["line"], 28);

        // The figures equal a count of the traffic over the window the answer names.
        let id = items[0]["id"].as_str().expect("id");
        let detail = get(&server, &format!("/api/slo/{id}")).await;
        let report = &detail["report"];
        let (start, end) = (report["span"]["start"].as_i64().expect("start"), report["span"]["end"].as_i64().expect("end"));
        assert_eq!(end - start, 7 * DAY);
        let (good, bad) = history.count(start, end);
        let total = (good + bad) as f64;
        assert_eq!(report["good"], json!(good as f64));
        assert_eq!(report["total"], json!(total));
        assert_eq!(report["budget"]["spent"], json!(bad as f64));
        // Prometheus holds more than the window, so no short history and no projection.
        assert_eq!(report["shortHistory"], false);
        let allowed = 0.001 * total;
        assert!(close(report["budget"]["allowed"].as_f64().expect("allowed"), allowed));
        let remaining = 1.0 - bad as f64 / allowed;
        assert!(close(detail["summary"]["remaining"].as_f64().expect("remaining"), remaining));
        assert!(remaining < 0.0, "the plan overspends checkout's budget: {remaining}");
        assert_eq!(report["series"][0]["remaining"], json!(1.0));
        for burn in report["burnRates"].as_array().expect("burn rates") {
            let seconds = burn["seconds"].as_i64().expect("seconds");
            let (g, b) = history.count(end - seconds, end);
            assert_eq!((burn["total"].as_f64(), burn["bad"].as_f64()), (Some((g + b) as f64), Some(b as f64)), "{seconds} s");
        }

        // A deploy two days into the window: the budget burned from it to the window's end.
        // Before it, a rollout in staging (no marker) and one in prod-eu (a marker).
        let deployed = start + 2 * DAY + 1_234;
        for (seq, cluster) in [(1, "staging"), (2, "prod-eu")] {
            let finished = (deployed - DAY + seq * 60) * 1000;
            sqlx::query(
                "INSERT INTO deployment_rollouts (cluster, namespace, kind, name, seq, entity, revision, version, outcome, \
                 started_ms, finished_ms, first_sight, recorded_ms, updated_ms) \
                 VALUES ($1, 'shop', 'Deployment', 'checkout', $2, 'component:default/checkout', 'r', 'v', 'completed', $3, $3, 0, $3, $3)",
            )
            .bind(cluster)
            .bind(seq)
            .bind(finished)
            .execute(server.state().catalog.store.pool())
            .await
            .expect("a rollout");
        }
        let at = |s: i64| catalog::time::UtcTime::from_unix_ms(s * 1000).rfc3339();
        let body = json!({"id": "ci-1", "entity": "checkout", "environment": "production", "version": "1.2.3",
                          "startedAt": at(deployed - 60), "finishedAt": at(deployed), "status": "succeeded"});
        let response = server.client.post(server.url("/api/dora/deployments")).json(&body).send().await.expect("post");
        assert_eq!(response.status(), 201);
        let detail = get(&server, &format!("/api/slo/{id}")).await;
        let end = detail["report"]["span"]["end"].as_i64().expect("end");
        let deploys = detail["deploys"].as_array().expect("deploys");
        assert_eq!(deploys.len(), 2, "{deploys:?}");
        assert_eq!(deploys[0]["target"], "prod-eu/shop/Deployment/checkout");
        assert_eq!((deploys[1]["at"].as_i64(), deploys[1]["version"].as_str()), (Some(deployed), Some("1.2.3")));
        let (_, bad_after) = history.count(deployed.div_euclid(300) * 300, end);
        assert_eq!(deploys[1]["bad"], json!(bad_after as f64));
        let allowed = detail["report"]["budget"]["allowed"].as_f64().expect("allowed");
        assert!(close(deploys[1]["burned"].as_f64().expect("burned"), bad_after as f64 / allowed));
        // The burn along the window: each hour's counts, summing to the window's.
        let burn = detail["burn"].as_array().expect("burn");
        let bad_sum: f64 = burn.iter().filter_map(|p| p["bad"].as_f64()).sum();
        let spent = detail["report"]["budget"]["spent"].as_f64().expect("spent");
        assert!(close(bad_sum, spent), "{bad_sum} vs {spent}");

        // The gate: checkout's budget is spent, so a feature is denied and a rollback let through.
        let gate = get(&server, "/api/slo/gate?entity=component:default/checkout").await;
        assert_eq!(gate["allowed"], false, "{gate}");
        assert!(gate["reasons"][0].as_str().expect("reason").contains("SLO `checkout`"), "{gate}");
        assert_eq!(gate["slos"][0]["blocking"], true);
        let gate = get(&server, "/api/slo/gate?entity=checkout&change=rollback").await;
        assert_eq!(gate["allowed"], true, "{gate}");
        let gate = get(&server, "/api/slo/gate?entity=payments").await;
        assert_eq!((gate["allowed"].as_bool(), gate["slos"][0]["blocking"].as_bool()), (Some(true), Some(false)), "{gate}");
        let gate = get(&server, "/api/slo/gate?entity=component:default/nobody").await;
        assert_eq!(gate["allowed"], true);
        assert_eq!(server.get("/api/slo/gate").await.status(), 400);
        assert_eq!(server.get("/api/slo/0000").await.status(), 404);

        // Filters: by owner, by entity.
        let owned = get(&server, "/api/slo?owner=group:default/money").await;
        let owned: Vec<&str> = owned["items"].as_array().expect("items").iter().filter_map(|i| i["entity"].as_str()).collect();
        assert_eq!(owned, ["component:default/payments"]);
        let by_system = get(&server, "/api/slo?system=storefront").await;
        assert_eq!(by_system["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(by_system["items"][0]["entity"], "component:default/checkout");
        let one = get(&server, "/api/slo?entity=checkout").await;
        assert_eq!(one["items"].as_array().map(Vec::len), Some(1));
        server.stop().await;
    }

    async fn a_pyrra_objective_in_a_watched_cluster_is_collected_by_its_label(db: TestDb) {
        let prometheus = harness::start(&plan()).await;
        let api = testkit::kube_api::KubeApi::start().await;
        let objective = |target: &str| json!({
            "apiVersion": "pyrra.dev/v1alpha1", "kind": "ServiceLevelObjective",
            "metadata": {"name": "checkout-availability", "namespace": "shop",
                         "labels": {"backstage.io/kubernetes-id": "checkout"}},
            "spec": {"target": target, "window": "7d", "indicator": {"ratio": {
                "errors": {"metric": "checkout_requests_total{code=\"500\"}"},
                "total": {"metric": "checkout_requests_total"}}}},
        });
        api.apply(objective("99.9"));
        let dir = files();
        let mut config = db.config();
        config.catalog.locations = vec![("file".into(), dir.path().join("catalog-info.yaml").display().to_string())];
        config.kubernetes = vec![deployments::ClusterConfig {
            settings: deployments::ClusterSettings {
                name: "prod-eu".into(),
                source: deployments::ClusterSource::Url {
                    api_url: api.url.clone(),
                    token: None,
                    trust: deployments::ServerTrust::SystemRoots,
                },
            },
            entity: deployments::entities::ClusterEntity {
                name: "prod-eu".into(),
                owner: None,
                endpoint: api.url.clone(),
            },
        }];
        config.scaffolder.work_dir = dir.path().join("scaffolder");
        // Only the cluster's own source: the SLO is read from the Prometheus named like its cluster.
        let settings = slo::prometheus::PrometheusSettings { url: prometheus.url.clone(), private_network: true, ..Default::default() };
        config.prometheus.named.insert("prod-eu".into(), slo::prometheus::Prometheus::new(settings, &Default::default()).expect("a client"));
        config.slo.sync_interval = std::time::Duration::from_secs(1);
        let server = TestServer::start_with(config).await;
        let catalog = &server.state().catalog;
        catalog.sync_config_locations().await.expect("sync");
        catalog.refresh_all().await.expect("refresh");

        let from_cluster = |list: &Value| -> Option<Value> {
            list["items"].as_array()?.iter().find(|i| i["file"].as_str().is_some_and(|f| f.starts_with("kubernetes:"))).cloned()
        };
        let slo = eventually(std::time::Duration::from_secs(120), "the cluster's SLO synced", || async {
            let list = get(&server, "/api/slo").await;
            from_cluster(&list).filter(|i| i["syncedTo"].is_i64())
        })
        .await;
        assert_eq!(slo["entity"], "component:default/checkout", "{slo}");
        assert_eq!(slo["belongsBy"], "kubernetesId", "{slo}");
        assert_eq!(slo["file"], "kubernetes:prod-eu/shop/servicelevelobjectives.pyrra.dev/checkout-availability");
        assert!(slo["syncError"].is_null(), "{slo}");

        // Broken in the cluster: a located problem on the cluster's Resource, and the SLO gone.
        api.modify("servicelevelobjectives.pyrra.dev", "shop", "checkout-availability", |o| o["spec"]["target"] = json!("120"));
        let problems = eventually(std::time::Duration::from_secs(60), "the problem reported", || async {
            let problems = get(&server, "/api/slo/problems?entity=resource:default/prod-eu").await;
            (problems["items"].as_array().is_some_and(|i| !i.is_empty())).then_some(problems)
        })
        .await;
        assert_eq!(problems["items"][0]["field"], "spec.target", "{problems}");
        let list = get(&server, "/api/slo").await;
        assert!(from_cluster(&list).is_none(), "{list}");

        // Removed from the cluster: nothing is left of it.
        api.delete("servicelevelobjectives.pyrra.dev", "shop", "checkout-availability");
        eventually(std::time::Duration::from_secs(60), "the problem gone", || async {
            let problems = get(&server, "/api/slo/problems?entity=resource:default/prod-eu").await;
            (problems["items"].as_array().is_some_and(Vec::is_empty)).then_some(())
        })
        .await;
        server.stop().await;
    }
}
