//! The demo (`demo:`): with the setting, a generated delivery history reported through
//! `Delivery` for the Northwind services (metrics from the start, the same reports again on a
//! second run), lead times from the services' generated Git repositories read through a mirror,
//! and a banner on every page; without it, none of either. Both databases.

mod common;

use std::time::Duration;

use cairn_server::config::Config;
use cairn_server::demo::{self, DemoSettings, HistorySettings};
use common::{TestDb, TestServer, eventually};
use serde_json::Value;

const SERVICE: &str = "component:default/checkout-service";

/// Thirty days of history, the repositories in `repositories`.
fn history(repositories: &std::path::Path) -> HistorySettings {
    HistorySettings {
        days: 30,
        seed: 1,
        repositories: Some(repositories.to_path_buf()),
    }
}

/// A server reading the Northwind demo catalog, with or without the demo.
async fn northwind(db: &TestDb, demo: Option<DemoSettings>) -> TestServer {
    let mut config: Config = db.config();
    let catalog = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../catalog/demo/northwind/catalog-info.yaml"
    );
    config.catalog.locations = vec![("file".into(), catalog.into())];
    // As the configuration does when the demo is on: its GitHub organisation read from the
    // repositories it writes.
    if let Some(dir) = demo.as_ref().and_then(|d| d.history.repositories.as_ref()) {
        config.dora.mirrors.push(delivery::changes::Mirror {
            prefix: demo::MIRRORED_REPOSITORIES.into(),
            read_from: format!("file://{}/", dir.display()),
        });
    }
    config.demo = demo;
    let server = TestServer::start_with(config).await;
    eventually(Duration::from_secs(60), "the Northwind catalog", || async {
        let found = server
            .get("/api/catalog/entities/by-name/component/default/checkout-service")
            .await;
        found.status().is_success().then_some(())
    })
    .await;
    server
}

async fn metrics(server: &TestServer, scope: &str) -> Value {
    let response = server.get(&format!("/api/dora/metrics?{scope}")).await;
    assert!(response.status().is_success(), "{scope}: {}", response.status());
    response.json().await.expect("JSON")
}

fn deployments(metrics: &Value) -> u64 {
    metrics["deploymentFrequency"]["deployments"].as_u64().unwrap_or(0)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}

on_both_databases! {
    async fn the_demo_history_is_reported_once_and_fills_the_metrics(db: TestDb) {
        let repositories = tempfile::tempdir().expect("temp");
        let history = history(repositories.path());
        let settings = DemoSettings { cluster: None, history: history.clone(), prometheus: None };
        let server = northwind(&db, Some(settings)).await;
        let entity = eventually(Duration::from_secs(60), "the generated history in the metrics", || async {
            let m = metrics(&server, &format!("entity={SERVICE}")).await;
            (deployments(&m) > 0).then_some(m)
        })
        .await;
        assert_eq!(entity["scope"], "entity");
        // Releases name commits of the service's repository, so its changes have lead times.
        let lead = eventually(Duration::from_secs(60), "lead times from the demo's repositories", || async {
            let m = metrics(&server, &format!("entity={SERVICE}")).await;
            (m["leadTimeForChanges"]["changes"].as_u64() > Some(0)).then_some(m)
        })
        .await;
        let median = lead["leadTimeForChanges"]["value"].as_f64().expect("a median");
        assert!((3600.0..5.0 * 86_400.0).contains(&median), "{}", lead["leadTimeForChanges"]);

        // Through the same path as the server's run, twice at one instant: the second reports
        // exactly what the first did, and the reporting API leaves it unchanged.
        let state = server.state();
        let now = now_ms();
        let first = demo::backfill(&state.delivery, &state.catalog.store, &history, now).await.expect("backfill");
        assert_eq!(first.services, 24, "every Northwind service with a kubernetes-id");
        assert!(first.created + first.unchanged > 24 * 10, "{first:?}");
        let again = demo::backfill(&state.delivery, &state.catalog.store, &history, now).await.expect("again");
        assert_eq!((again.created, again.unchanged), (0, first.created + first.unchanged), "{again:?}");

        let organisation = metrics(&server, "").await;
        assert!(deployments(&organisation) > 100, "{}", organisation["deploymentFrequency"]);
        assert!(organisation["changeFailureRate"]["failed"].as_u64() > Some(0), "{}", organisation["changeFailureRate"]);
        let team = metrics(&server, "group=group:default/team-checkout").await;
        assert!(deployments(&team) > 0, "{}", team["deploymentFrequency"]);

        let page = server.get("/").await.text().await.expect("page");
        assert!(page.contains(r#"data-testid="demo-banner""#), "no demo banner");
        assert!(page.contains("the cluster is simulated, and the delivery and cost histories and the SLO traffic are generated"));
        server.stop().await;
    }

    async fn without_the_setting_nothing_is_generated_and_no_banner_shows(db: TestDb) {
        let server = northwind(&db, None).await;
        // Give a demo, were it on by mistake, time to report.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(deployments(&metrics(&server, "").await), 0);
        let page = server.get("/").await.text().await.expect("page");
        assert!(!page.contains("demo-banner"), "a banner without the demo");
        assert!(page.contains(r#"data-demo="false""#));
        server.stop().await;
    }
}
