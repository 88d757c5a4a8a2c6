//! Usage from Prometheus (`cost.prometheus`): the small cluster without a metrics API, its
//! containers' cAdvisor series backfilled into Debian's Prometheus by promtool (the same usage as
//! the metrics API's in the other tests, plus series that must not count: pod-level and pause
//! containers, another cluster's, a second scrape of one container), sampled by the server; the
//! rows equal the figures computed by hand, and the history (and so the explorer) says
//! Prometheus measured them. A Prometheus that does not answer leaves usage unknown with its
//! reason.

use std::fmt::Write as _;

use cost::settings::UsageQuery;
use cost::view::Meter;
use slo::prometheus::{Prometheus, PrometheusSettings};

use super::*;

/// `(pod, CPU cores, memory bytes)` as the metrics API reports them in `small_cluster`.
const USAGE: [(&str, &str, f64, i64); 4] = [
    ("shop", "web-1", 0.5, GI),
    ("shop", "worker-1", 1.5, 512 * MI),
    ("shop", "cron-1", 0.25, 256 * MI),
    ("ml", "train-1", 1.0, 4 * GI),
];

/// Every 15 s from ten minutes ago to twenty minutes ahead (a query at any moment of the test
/// finds a full rate window), as cAdvisor exposes them.
fn cadvisor() -> String {
    let now = catalog::store::now_ms() / 1000;
    let (from, to) = (now - 600, now + 1_200);
    let mut cpu = String::from("# TYPE container_cpu_usage_seconds counter\n");
    let mut memory = String::from("# TYPE container_memory_working_set_bytes gauge\n");
    let mut series = |labels: &str, cores: f64, bytes: i64| {
        for t in (from..=to).step_by(15) {
            let _ = writeln!(
                cpu,
                "container_cpu_usage_seconds_total{{{labels}}} {} {t}",
                cores * (t - from) as f64
            );
            let _ = writeln!(memory, "container_memory_working_set_bytes{{{labels}}} {bytes} {t}");
        }
    };
    for (namespace, pod, cores, bytes) in USAGE {
        let at = |cluster: &str, container: &str, job: &str| {
            format!(r#"cluster="{cluster}",job="{job}",namespace="{namespace}",pod="{pod}",container="{container}""#)
        };
        series(&at("prod", "app", "kubelet"), cores, bytes);
        // Not a container of its own: the pod's total and the pause container.
        series(&at("prod", "", "kubelet"), 10.0, 10 * GI);
        series(&at("prod", "POD", "kubelet"), 0.001, MI);
        // Another cluster's pod of the same name.
        series(&at("staging", "app", "kubelet"), 3.0, 3 * GI);
    }
    // web-1 scraped twice (a second job): counted once.
    series(
        r#"cluster="prod",job="cadvisor",namespace="shop",pod="web-1",container="app""#,
        0.5,
        GI,
    );
    format!("{cpu}{memory}# EOF\n")
}

/// The small cluster without its metrics API, its usage read from `url`.
async fn configured(db: &TestDb, url: &str) -> (KubeApi, Config) {
    let api = small_cluster().await;
    api.remove_definition("pods.metrics.k8s.io");
    api.remove_definition("nodes.metrics.k8s.io");
    let mut config = config(db, &api);
    let settings = PrometheusSettings {
        url: url.to_string(),
        private_network: true,
        ..Default::default()
    };
    config.prometheus.named.insert(
        "prod".into(),
        Prometheus::new(settings, &Default::default()).expect("a client"),
    );
    config.cost.prometheus.clusters.insert(
        "prod".into(),
        UsageQuery {
            source: None,
            selector: r#"cluster="prod""#.into(),
        },
    );
    (api, config)
}

on_both_databases! {
    async fn usage_from_prometheus_is_priced_as_max_of_request_and_usage(db: TestDb) {
        let prometheus = testkit::prometheus::start_openmetrics(&cadvisor()).await;
        let (_api, config) = configured(&db, &prometheus.url).await;
        let portal = TestServer::start_with(config).await;
        let pool = portal.state().db.pool().clone();
        let rows = measured_sums(&pool).await;
        assert_figures_by_hand(&rows);
        let usage: Vec<String> = sqlx::query("SELECT DISTINCT usage FROM cost_intervals")
            .fetch_all(&pool)
            .await
            .expect("intervals")
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(usage, ["measured"], "no metrics API, yet measured");
        let (kept, meters) = sources(&portal).await;
        assert_eq!(kept, ["prometheus"]);
        assert_eq!(meters, [Meter::Prometheus]);
        // Priced on read like any usage: worker-1 over its request costs its usage.
        let now = catalog::store::now_ms();
        let costs = portal
            .state()
            .cost
            .cluster_costs(Some("prod"), Grain::Hour, now - 2 * 3_600_000, now + 3_600_000, &prices())
            .await
            .expect("costs");
        let worker = costs
            .last()
            .and_then(|c| c.allocations.iter().find(|a| a.pod == "worker-1"))
            .expect("worker-1");
        assert_eq!(worker.cpu_usage_cores, Some(1.5));
        assert_eq!(worker.cpu_basis, Basis::Usage);
        assert_eq!(worker.cpu.quantity, 1.5);
        assert_eq!(worker.cpu.cost, Money::from_units(1.5 * worker.window.hours() * 0.031611));
        // The explorer says where usage came from (its rows here are unallocated: no entity).
        let page = portal.get("/cost?by=cluster").await.text().await.expect("the explorer");
        assert!(page.contains("data-testid=\"lines-usage-source\""), "{page}");
        assert!(page.contains("Usage measured by Prometheus (rate of container_cpu_usage_seconds_total"), "{page}");
        portal.stop().await;
    }

    async fn a_prometheus_that_does_not_answer_leaves_usage_unknown(db: TestDb) {
        // A port nothing listens on.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!("http://{}", closed.local_addr().expect("address"));
        drop(closed);
        let (_api, config) = configured(&db, &url).await;
        let portal = TestServer::start_with(config).await;
        let pool = portal.state().db.pool().clone();
        let rows = eventually(Duration::from_secs(30), "three samples", || {
            let pool = pool.clone();
            async move {
                let rows = sums(&pool).await;
                rows.iter().any(|(p, g, q)| p == "worker-1" && *g == 0 && q[0] >= 3).then_some(rows)
            }
        })
        .await;
        let worker = rows.iter().find(|(p, g, _)| p == "worker-1" && *g == 1).expect("worker").2;
        assert_eq!((worker[1], worker[4]), (0, 500 * worker[0]), "requests alone");
        let reasons: Vec<String> = sqlx::query("SELECT DISTINCT usage FROM cost_intervals")
            .fetch_all(&pool)
            .await
            .expect("intervals")
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(
            reasons.iter().all(|r| r.starts_with("unknown: Prometheus (prometheus.clusters.prod): ")),
            "{reasons:?}"
        );
        assert!(reasons.iter().any(|r| r.contains("could not be reached") && r.contains("not installed")), "{reasons:?}");
        let (kept, meters) = sources(&portal).await;
        assert_eq!(kept, ["requests"]);
        assert!(meters.is_empty());
        portal.stop().await;
    }
}
