//! Cost allocation's sampling end to end, on both databases: a real server watching a small
//! cluster served by the local Kubernetes API (two nodes, pods with and without requests, one
//! over its request, a GPU, a volume mounted and one not, usage from `metrics.k8s.io`), its
//! sampler running every second; the rows it writes checked against figures computed by hand,
//! priced and conserved; and two replicas on one PostgreSQL writing each interval once.

#[path = "cost/allocation.rs"]
mod allocation;
mod common;
#[path = "cost/prometheus.rs"]
mod prometheus;

use std::time::Duration;

use cairn_server::config::Config;
use common::{TestDb, TestServer, eventually};
use cost::allocation::Basis;
use cost::model::{Money, RateSource};
use cost::prices::{ClusterPrices, INSTANCE_TYPE_LABEL, NodePool, PriceSettings, RateOverrides};
use cost::report::{Policy, distribute};
use cost::store::Grain;
use serde_json::{Value, json};
use sqlx::Row;
use testkit::kube_api::{KubeApi, infrastructure};

const GI: i64 = 1 << 30;
const MI: i64 = 1 << 20;

fn container(name: &str, requests: Value) -> Value {
    json!({ "name": name, "image": "registry.example/shop/app:1", "resources": { "requests": requests } })
}

fn pod(namespace: &str, name: &str, node: &str, containers: Vec<Value>, owner: Option<(&str, &str)>) -> Value {
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": name, "namespace": namespace, "labels": { "app": name.trim_end_matches("-1") } },
        "spec": { "nodeName": node, "containers": containers },
        "status": { "phase": "Running" },
    });
    if let Some((kind, owner)) = owner {
        pod["metadata"]["ownerReferences"] = json!([{
            "apiVersion": "batch/v1", "kind": kind, "name": owner, "uid": format!("uid-{owner}"), "controller": true,
        }]);
    }
    pod
}

fn usage(namespace: &str, pod: &str, cpu: &str, memory: &str) -> Value {
    json!({
        "apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
        "metadata": { "name": pod, "namespace": namespace },
        "containers": [{ "name": "app", "usage": { "cpu": cpu, "memory": memory } }],
    })
}

/// The small cluster: `cpu-1` (m5.xlarge, 4 vCPU, 16 GiB) runs shop's web-1 (1 vCPU / 2 GiB
/// requested, uses 0.5 / 1 GiB, mounts `web-data`, 10 GiB of gp3), worker-1 (0.5 / 1 GiB, uses
/// 1.5 vCPU: over its request / 0.5 GiB) and cron-1 (no requests, uses 0.25 / 0.25 GiB); `gpu-1`
/// (g4dn.xlarge, 4 vCPU, 16 GiB, 1 GPU) runs ml's train-1 (2 vCPU / 8 GiB / 1 GPU, uses 1 / 4
/// GiB). A 5 GiB volume no claim is bound to is paid for and mounted by nobody.
async fn small_cluster() -> KubeApi {
    let api = KubeApi::start().await;
    api.apply(infrastructure::node("cpu-1", "m5.xlarge", 4, 16, 0));
    api.apply(infrastructure::node("gpu-1", "g4dn.xlarge", 4, 16, 1));
    api.apply(infrastructure::claim("shop", "web-data", "gp3", 10));
    api.apply(infrastructure::volume("shop", "web-data", "gp3", 10));
    let mut orphan = infrastructure::volume("shop", "gone", "gp3", 5);
    orphan["spec"].as_object_mut().expect("spec").remove("claimRef");
    api.apply(orphan);
    let mut web = pod(
        "shop",
        "web-1",
        "cpu-1",
        vec![container("app", json!({ "cpu": "1", "memory": "2Gi" }))],
        Some(("Job", "web")),
    );
    infrastructure::mount_claim(&mut web["spec"], "web-data");
    api.apply(web);
    api.apply(pod(
        "shop",
        "worker-1",
        "cpu-1",
        vec![container("app", json!({ "cpu": "500m", "memory": "1Gi" }))],
        Some(("Job", "worker")),
    ));
    api.apply(pod("shop", "cron-1", "cpu-1", vec![container("app", json!({}))], None));
    api.apply(pod(
        "ml",
        "train-1",
        "gpu-1",
        vec![container(
            "app",
            json!({ "cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1" }),
        )],
        Some(("Job", "train")),
    ));
    api.apply(usage("shop", "web-1", "500m", "1Gi"));
    api.apply(usage("shop", "worker-1", "1500000000n", "524288Ki"));
    api.apply(usage("shop", "cron-1", "250m", "256Mi"));
    api.apply(usage("ml", "train-1", "1", "4Gi"));
    api
}

fn prices() -> PriceSettings {
    let mut prices = PriceSettings::default();
    prices.clusters.insert(
        "prod".into(),
        ClusterPrices {
            node_pools: vec![NodePool {
                label: INSTANCE_TYPE_LABEL.into(),
                value: "g4dn.xlarge".into(),
                rates: RateOverrides {
                    gpu: Some(0.526),
                    ..Default::default()
                },
            }],
            ..Default::default()
        },
    );
    prices
}

fn config(db: &TestDb, api: &KubeApi) -> Config {
    let mut config = db.config();
    config.kubernetes = vec![deployments::ClusterConfig {
        settings: deployments::ClusterSettings {
            name: "prod".into(),
            source: deployments::ClusterSource::Url {
                api_url: api.url.clone(),
                token: None,
                trust: deployments::ServerTrust::InsecureSkipVerifyOnLoopback,
            },
        },
        entity: deployments::entities::ClusterEntity {
            name: "prod".into(),
            owner: None,
            endpoint: api.url.clone(),
        },
    }];
    config.cost.interval = Duration::from_secs(1);
    config.cost.metrics_timeout = Duration::from_secs(1);
    config.cost.prices = prices();
    config
}

/// Per `(pod, grain)`: the sums of every quantity column over all buckets.
async fn sums(pool: &sqlx::AnyPool) -> Vec<(String, i64, [i64; 10])> {
    let rows = sqlx::query(
        "SELECT a.pod, CAST(u.grain AS BIGINT), CAST(SUM(u.seconds) AS BIGINT), CAST(SUM(u.usage_seconds) AS BIGINT), \
           CAST(SUM(u.cpu_request) AS BIGINT), CAST(SUM(u.cpu_usage) AS BIGINT), CAST(SUM(u.cpu_allocated) AS BIGINT), \
           CAST(SUM(u.memory_request) AS BIGINT), CAST(SUM(u.memory_usage) AS BIGINT), \
           CAST(SUM(u.memory_allocated) AS BIGINT), CAST(SUM(u.gpu) AS BIGINT), COUNT(DISTINCT a.id) \
         FROM cost_allocation_usage u JOIN cost_allocations a ON a.id = u.allocation \
         GROUP BY a.pod, u.grain ORDER BY a.pod, u.grain",
    )
    .fetch_all(pool)
    .await
    .expect("sums");
    rows.iter()
        .map(|r| {
            let int = |i: usize| r.try_get::<i64, _>(i).expect("a number");
            (
                r.try_get::<String, _>(0).expect("pod"),
                int(1),
                [
                    int(2),
                    int(3),
                    int(4),
                    int(5),
                    int(6),
                    int(7),
                    int(8),
                    int(9),
                    int(10),
                    int(11),
                ],
            )
        })
        .collect()
}

type Sums = Vec<(String, i64, [i64; 10])>;

/// Five measured seconds of every pod, rolled up (`sums`).
async fn measured_sums(pool: &sqlx::AnyPool) -> Sums {
    eventually(Duration::from_secs(30), "five measured samples of every pod", || {
        let pool = pool.clone();
        async move {
            let rows = sums(&pool).await;
            let measured = rows.iter().filter(|(_, grain, q)| *grain == 1 && q[1] >= 5).count();
            (measured == 4).then_some(rows)
        }
    })
    .await
}

/// The small cluster's rows against its usage: per second observed, requests, usage while
/// known, max(request, usage) sample by sample; every grain adding up to the hourly rows.
fn assert_figures_by_hand(rows: &Sums) {
    for (pod, grain, q) in rows {
        let hourly = rows.iter().find(|(p, g, _)| p == pod && *g == 1).expect("hourly").2;
        assert_eq!(
            *q, hourly,
            "{pod}: grain {grain} adds up to the same as the hourly rows"
        );
    }
    let of = |pod: &str| rows.iter().find(|(p, g, _)| p == pod && *g == 1).expect(pod).2;
    let web = of("web-1");
    let (s, u) = (web[0], web[1]);
    assert_eq!(
        &web[2..9],
        &[1000 * s, 500 * u, 1000 * s, 2 * GI * s, GI * u, 2 * GI * s, 0]
    );
    let worker = of("worker-1");
    let (s, u) = (worker[0], worker[1]);
    assert_eq!(
        &worker[2..9],
        &[
            500 * s,
            1500 * u,
            500 * (s - u) + 1500 * u,
            GI * s,
            512 * MI * u,
            GI * s,
            0
        ],
        "over its request, CPU is allocated on usage"
    );
    let cron = of("cron-1");
    let u = cron[1];
    assert_eq!(cron[0], of("web-1")[0], "sampled in the same intervals");
    assert_eq!(
        &cron[2..9],
        &[0, 250 * u, 250 * u, 0, 256 * MI * u, 256 * MI * u, 0],
        "no request: usage"
    );
    let train = of("train-1");
    let (s, u) = (train[0], train[1]);
    assert_eq!(
        &train[2..9],
        &[2000 * s, 1000 * u, 2000 * s, 8 * GI * s, 4 * GI * u, 8 * GI * s, s]
    );
    assert_eq!(train[9], 1, "one container, one row per hour");
}

/// What `cost_usage_sources` holds, and what measured usage today as a page reads it.
async fn sources(portal: &TestServer) -> (Vec<String>, Vec<cost::view::Meter>) {
    let pool = portal.state().db.pool();
    let mut kept: Vec<String> = sqlx::query("SELECT DISTINCT source FROM cost_usage_sources")
        .fetch_all(pool)
        .await
        .expect("sources")
        .iter()
        .map(|r| r.get(0))
        .collect();
    kept.sort();
    let today = catalog::store::now_ms().div_euclid(86_400_000) * 86_400_000;
    let meters = portal
        .state()
        .cost
        .meters(&["prod".to_string()], Grain::Day, today, today + 86_400_000)
        .await
        .expect("meters");
    (kept, meters)
}

on_both_databases! {
    async fn sampled_rows_match_the_figures_computed_by_hand(db: TestDb) {
        let api = small_cluster().await;
        let portal = TestServer::start_with(config(&db, &api)).await;
        let pool = portal.state().db.pool().clone();
        // At least five measured seconds of every container, rolled up.
        let rows = measured_sums(&pool).await;
        assert_figures_by_hand(&rows);

        // Priced when read: OpenCost's defaults, the GPU pool's own rate, conserved.
        let store = &portal.state().cost;
        let now = catalog::store::now_ms();
        let costs = store
            .cluster_costs(Some("prod"), Grain::Hour, now - 2 * 3_600_000, now + 3_600_000, &prices())
            .await
            .expect("costs");
        let cost = costs.last().expect("an hour");
        let train = cost.allocations.iter().find(|a| a.pod == "train-1").expect("train-1");
        let hours = train.window.hours();
        assert_eq!(train.cpu.quantity, 2.0);
        assert_eq!(train.cpu.cost, Money::from_units(2.0 * hours * 0.031611));
        assert_eq!(train.gpu.price.rate.amount, 0.526);
        assert!(matches!(&train.gpu.price.source, RateSource::NodePool { value, .. } if value == "g4dn.xlarge"));
        assert_eq!(train.gpu.cost, Money::from_units(hours * 0.526));
        assert_eq!(train.owner.as_ref().map(|o| o.name.as_str()), Some("train"));
        let web = cost.allocations.iter().find(|a| a.pod == "web-1").expect("web-1");
        assert_eq!(web.cpu_basis, Basis::Request);
        assert_eq!(web.cpu_usage_cores, Some(0.5));
        assert_eq!(web.volumes.len(), 1);
        assert_eq!(web.volumes[0].figure.quantity, 10.0);
        assert_eq!(web.volumes[0].figure.price.rate.amount, 0.04);
        let cron = cost.allocations.iter().find(|a| a.pod == "cron-1").expect("cron-1");
        assert_eq!(cron.cpu_request_cores, 0.0);
        let gpu_node = cost.nodes.iter().find(|n| n.name == "gpu-1").expect("gpu-1");
        assert_eq!(gpu_node.cpu.quantity, 4.0);
        assert_eq!(gpu_node.memory.quantity, 16.0);
        assert_eq!(gpu_node.gpu.quantity, 1.0);
        let unmounted = cost.volumes.iter().find(|v| v.claim.is_none()).expect("the unclaimed volume");
        assert_eq!((unmounted.figure.quantity, unmounted.mounted), (5.0, Money::ZERO));
        let report = distribute(cost.clone(), &Policy::default());
        assert_eq!(report.distributed(), report.assets(), "every micro-unit accounted for");
        assert!(report.idle.cpu > Money::ZERO && report.idle.gpu == Money::ZERO);
        let answer: Vec<(String, String)> = sqlx::query("SELECT DISTINCT usage, written_by FROM cost_intervals")
            .fetch_all(&pool)
            .await
            .expect("intervals")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert!(answer.iter().any(|(usage, _)| usage == "measured"), "{answer:?}");
        let (kept, meters) = sources(&portal).await;
        assert!(kept.contains(&"metrics-api".to_string()), "{kept:?}");
        assert_eq!(meters, [cost::view::Meter::MetricsApi]);
        portal.stop().await;
    }

    async fn absent_metrics_are_usage_unknown_and_sampling_goes_on(db: TestDb) {
        let api = small_cluster().await;
        api.remove_definition("pods.metrics.k8s.io");
        api.remove_definition("nodes.metrics.k8s.io");
        let portal = TestServer::start_with(config(&db, &api)).await;
        let pool = portal.state().db.pool().clone();
        let rows = eventually(Duration::from_secs(30), "three samples", || {
            let pool = pool.clone();
            async move {
                let rows = sums(&pool).await;
                rows.iter().any(|(p, g, q)| p == "train-1" && *g == 0 && q[0] >= 3).then_some(rows)
            }
        })
        .await;
        let worker = rows.iter().find(|(p, g, _)| p == "worker-1" && *g == 1).expect("worker").2;
        assert_eq!(worker[1], 0, "no usage known");
        assert_eq!(worker[4], 500 * worker[0], "requests alone");
        let reasons: Vec<String> = sqlx::query("SELECT DISTINCT usage FROM cost_intervals")
            .fetch_all(&pool)
            .await
            .expect("intervals")
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(
            reasons.iter().all(|r| r.starts_with("unknown: ")),
            "{reasons:?}"
        );
        assert!(reasons.iter().any(|r| r.contains("not installed")), "{reasons:?}");
        portal.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgresql_write_each_interval_once() {
    let db = TestDb::postgres().await;
    let api = small_cluster().await;
    let first = TestServer::start_with(config(&db, &api)).await;
    let second = TestServer::start_with(config(&db, &api)).await;
    let pool = first.state().db.pool().clone();
    let writers = eventually(Duration::from_secs(30), "both replicas sampling for a while", || {
        let pool = pool.clone();
        async move {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cost_intervals")
                .fetch_one(&pool)
                .await
                .expect("count");
            (count >= 6).then_some(count)
        }
    })
    .await;
    first.stop().await;
    second.stop().await;
    let pool = cairn_server::db::Db::connect(&cairn_server::config::DatabaseConfig {
        url: db.url().to_string(),
    })
    .await
    .expect("connect")
    .pool()
    .clone();
    let intervals: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cost_intervals WHERE cluster = 'prod'")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert!(intervals >= writers);
    // Each interval's seconds were added once: the hourly rows hold one second per interval.
    for (pod, grain, q) in sums(&pool).await {
        if grain == 1 {
            assert_eq!(q[0], intervals, "{pod}: one second per interval, never two");
        }
    }
    let samples: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM cost_allocation_usage u JOIN cost_allocations a ON a.id = u.allocation \
         WHERE u.grain = 0 AND a.pod = 'train-1'",
    )
    .fetch_one(&pool)
    .await
    .expect("samples");
    assert_eq!(samples, intervals, "one sample row per interval");
}
