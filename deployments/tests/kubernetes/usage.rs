//! What cost allocation reads from a cluster: Nodes, PersistentVolumeClaims and
//! PersistentVolumes watched once each (their changes off the views' stream), and the metrics API
//! polled within its bounds: measured, absent (usage unknown, watches unharmed), too large.

use std::time::Duration;

use deployments::{ClusterChange, MetricsPolling, UsageState, WatchTiming, WatchedType};
use serde_json::json;
use testkit::kube_api::infrastructure;

use super::*;

fn polled(max_bytes: u64) -> WatchTiming {
    WatchTiming {
        metrics: Some(MetricsPolling {
            interval: Duration::from_millis(100),
            timeout: Duration::from_secs(5),
            max_bytes,
        }),
        ..WatchTiming::default()
    }
}

fn measurement(namespace: &str, pod: &str, cpu: &str, memory: &str) -> serde_json::Value {
    json!({
        "apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
        "metadata": { "name": pod, "namespace": namespace },
        "timestamp": "2026-12-05T10:59:45Z", "window": "15s",
        "containers": [{ "name": "checkout-service", "usage": { "cpu": cpu, "memory": memory } }],
    })
}

async fn usage_where(cluster: &Cluster, what: &str, wanted: impl Fn(&UsageState) -> bool) -> deployments::Usage {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let usage = cluster.usage();
        if wanted(&usage.state) {
            return (*usage).clone();
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            usage.state
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn nodes_claims_and_volumes_are_watched_once_and_stay_off_the_views_stream() {
    let api = fixtures().await;
    api.apply(infrastructure::node("worker-1", "m5.xlarge", 4, 16, 0));
    api.apply(infrastructure::claim("search", "data-search-indexer-0", "gp3", 20));
    api.apply(infrastructure::volume("search", "data-search-indexer-0", "gp3", 20));
    let cluster = Cluster::connect(&settings(&api)).expect("cluster");
    tokio::time::timeout(PATIENCE, cluster.ready()).await.expect("ready");
    assert!(cluster.resources_settled());
    let objects = cluster.objects();
    assert_eq!(names(&objects.nodes), ["/worker-1"], "no namespace");
    assert_eq!(names(&objects.claims), ["search/data-search-indexer-0"]);
    assert_eq!(objects.volumes.len(), 1);
    for type_name in ["nodes", "persistentvolumeclaims", "persistentvolumes"] {
        assert_eq!(api.lists(type_name), 1, "{type_name}");
    }

    let mut changes = cluster.changes();
    api.apply(infrastructure::node("worker-2", "m5.xlarge", 4, 16, 0));
    until("the node is known", || cluster.objects().nodes.len() == 2).await;
    // A pod's change comes through; the node's before it never did.
    api.modify("pods", "search", "search-indexer-0", |p| {
        p["metadata"]["labels"]["x"] = "y".into()
    });
    let first = tokio::time::timeout(PATIENCE, changes.recv())
        .await
        .expect("a change")
        .expect("open");
    assert!(
        matches!(
            first,
            ClusterChange::Objects {
                resource: WatchedType::Pod,
                ..
            }
        ),
        "{first:?}"
    );

    api.forbid("nodes");
    let forbidden = Cluster::connect(&settings(&api)).expect("cluster");
    tokio::time::timeout(PATIENCE, forbidden.ready()).await.expect("ready");
    let state = forbidden.state();
    assert!(
        state.forbidden.iter().any(|f| f.resource == "nodes"),
        "a forbidden type is said: {state:?}"
    );
    assert!(forbidden.resources_settled(), "forbidden is all there is to know");
}

#[tokio::test]
async fn usage_is_polled_from_the_metrics_api_and_unknown_without_it() {
    let api = fixtures().await;
    api.apply(measurement(
        "checkout",
        "checkout-service-7d9f8b6c5d-q7w4z",
        "250000000n",
        "262144Ki",
    ));
    api.apply(json!({
        "apiVersion": "metrics.k8s.io/v1beta1", "kind": "NodeMetrics",
        "metadata": { "name": "worker-1" }, "timestamp": "2026-12-05T10:59:40Z", "window": "20s",
        "usage": { "cpu": "1500m", "memory": "4Gi" },
    }));
    let cluster = Cluster::connect_with(&settings(&api), polled(1 << 20)).expect("cluster");
    let usage = usage_where(&cluster, "a measurement", |s| matches!(s, UsageState::Measured { .. })).await;
    let pod = &usage.pods[&("checkout".to_string(), "checkout-service-7d9f8b6c5d-q7w4z".to_string())];
    assert_eq!(pod[0].0, "checkout-service");
    assert_eq!((pod[0].1.cpu_millis, pod[0].1.memory_bytes), (250.0, 268_435_456.0));
    assert_eq!(usage.nodes["worker-1"].cpu_millis, 1500.0);
    assert_eq!(api.watch_requests("pods.metrics.k8s.io"), 0, "never watched");

    api.remove_definition("pods.metrics.k8s.io");
    api.remove_definition("nodes.metrics.k8s.io");
    let usage = usage_where(&cluster, "usage unknown", |s| matches!(s, UsageState::Unknown { .. })).await;
    assert_eq!(
        usage.state,
        UsageState::Unknown {
            reason: "the metrics API (metrics.k8s.io/v1beta1) is not installed".into()
        }
    );
    assert!(usage.pods.is_empty());
    // The watches carry on as before.
    api.scale("checkout", "checkout-service", 1);
    until("the watches still follow the cluster", || {
        cluster
            .objects()
            .pods
            .iter()
            .filter(|p| p.name_any().starts_with("checkout-service-"))
            .count()
            == 1
    })
    .await;
    assert_eq!(cluster.state().forbidden, vec![]);

    api.install_definition("pods.metrics.k8s.io");
    usage_where(&cluster, "a measurement again", |s| {
        matches!(s, UsageState::Measured { .. })
    })
    .await;
}

#[tokio::test]
async fn an_answer_larger_than_the_bound_is_refused() {
    let api = fixtures().await;
    for i in 0..50 {
        api.apply(measurement("checkout", &format!("pod-{i}"), "1m", "1Ki"));
    }
    let cluster = Cluster::connect_with(&settings(&api), polled(2_000)).expect("cluster");
    let usage = usage_where(&cluster, "a refusal", |s| matches!(s, UsageState::Unknown { .. })).await;
    assert_eq!(
        usage.state,
        UsageState::Unknown {
            reason: "the metrics API's answer is larger than 2000 bytes".into()
        }
    );
}
