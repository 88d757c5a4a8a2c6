//! Nodes, PersistentVolumeClaims/PersistentVolumes and the metrics API (`metrics.k8s.io`) as the
//! local Kubernetes API serves them over HTTP: discovery, cluster-scoped and namespaced lists,
//! watches where the real servers have them, 405 for a watch of metrics, 404 once the metrics
//! API is removed, and the demo and generated clusters measured.

use serde_json::{Value, json};
use testkit::kube_api::{KubeApi, infrastructure};

async fn get(api: &KubeApi, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}{path}", api.url)).await.expect("answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["metadata"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn pod_metrics(namespace: &str, pod: &str, cpu: &str, memory: &str) -> Value {
    json!({
        "apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
        "metadata": { "name": pod, "namespace": namespace, "labels": { "app": pod } },
        "timestamp": "2026-12-05T10:59:45Z", "window": "15.002s",
        "containers": [{ "name": "app", "usage": { "cpu": cpu, "memory": memory } }],
    })
}

#[tokio::test]
async fn discovery_names_the_new_types_with_their_scope_and_verbs() {
    let api = KubeApi::start().await;
    let (_, core) = get(&api, "/api/v1").await;
    let resource = |name: &str| {
        core["resources"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["name"] == name).cloned())
            .unwrap_or_else(|| panic!("{name} in {core:#}"))
    };
    assert_eq!(resource("nodes")["namespaced"], false);
    assert_eq!(resource("persistentvolumes")["namespaced"], false);
    assert_eq!(resource("persistentvolumeclaims")["namespaced"], true);
    assert_eq!(resource("nodes")["kind"], "Node");

    let (_, groups) = get(&api, "/apis").await;
    let metrics = groups["groups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["name"] == "metrics.k8s.io").cloned())
        .expect("metrics.k8s.io");
    assert_eq!(metrics["preferredVersion"]["groupVersion"], "metrics.k8s.io/v1beta1");
    let (_, resources) = get(&api, "/apis/metrics.k8s.io/v1beta1").await;
    assert_eq!(
        resources["resources"],
        json!([
            { "name": "pods", "singularName": "", "namespaced": true, "kind": "PodMetrics", "verbs": ["get", "list"] },
            { "name": "nodes", "singularName": "", "namespaced": false, "kind": "NodeMetrics", "verbs": ["get", "list"] },
        ])
    );
}

#[tokio::test]
async fn nodes_and_volumes_are_listed_and_watched() {
    let api = KubeApi::start().await;
    api.apply(infrastructure::node("gpu-1", "g4dn.xlarge", 4, 16, 1));
    api.apply(infrastructure::claim("shop", "web-data", "gp3", 10));
    api.apply(infrastructure::volume("shop", "web-data", "gp3", 10));
    assert!(
        api.try_apply(json!({ "apiVersion": "v1", "kind": "Node", "metadata": { "name": "x", "namespace": "shop" } }))
            .is_err(),
        "a node has no namespace"
    );

    let (status, nodes) = get(&api, "/api/v1/nodes?limit=500").await;
    assert_eq!((status, names(&nodes)), (200, vec!["gpu-1".to_owned()]));
    assert_eq!(nodes["kind"], "NodeList");
    let node = &nodes["items"][0];
    assert_eq!(node["status"]["capacity"]["nvidia.com/gpu"], "1");
    assert_eq!(node["status"]["capacity"]["cpu"], "4");
    assert_eq!(node["status"]["allocatable"]["cpu"], "3900m");
    assert_eq!(
        node["metadata"]["labels"]["node.kubernetes.io/instance-type"],
        "g4dn.xlarge"
    );
    assert_eq!(
        get(&api, "/api/v1/namespaces/shop/nodes").await.0,
        404,
        "nodes are cluster-scoped"
    );

    let (_, claims) = get(&api, "/api/v1/namespaces/shop/persistentvolumeclaims").await;
    let claim = &claims["items"][0];
    let volume_name = infrastructure::volume_name("shop", "web-data");
    assert_eq!(claim["spec"]["volumeName"], volume_name.as_str());
    assert_eq!(claim["status"]["phase"], "Bound");
    let (_, volumes) = get(&api, "/api/v1/persistentvolumes").await;
    assert_eq!(names(&volumes), [volume_name]);
    assert_eq!(volumes["items"][0]["spec"]["claimRef"]["name"], "web-data");
    assert_eq!(volumes["items"][0]["spec"]["storageClassName"], "gp3");
    assert_eq!(volumes["items"][0]["spec"]["capacity"]["storage"], "10Gi");

    // A watch of nodes sees a node added later, and its deletion.
    let mut watch = reqwest::get(format!("{}/api/v1/nodes?watch=true&resourceVersion={}", api.url, 3))
        .await
        .expect("watch");
    api.apply(infrastructure::node("cpu-1", "m5.xlarge", 4, 16, 0));
    api.delete("nodes", "", "cpu-1");
    let mut text = String::new();
    while text.lines().count() < 2 {
        let chunk = watch.chunk().await.expect("chunk").expect("open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let events: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("event")).collect();
    assert_eq!(events[0]["type"], "ADDED");
    assert_eq!(events[0]["object"]["metadata"]["name"], "cpu-1");
    assert_eq!(events[1]["type"], "DELETED");
}

#[tokio::test]
async fn metrics_are_listed_as_metrics_server_serves_them_and_never_watched() {
    let api = KubeApi::start().await;
    api.apply(pod_metrics("shop", "web-1", "250000000n", "524288Ki"));
    api.apply(pod_metrics("ml", "train-1", "1500m", "2Gi"));

    let (status, all) = get(&api, "/apis/metrics.k8s.io/v1beta1/pods").await;
    assert_eq!(status, 200);
    assert_eq!(all["kind"], "PodMetricsList");
    assert_eq!(
        all["metadata"],
        json!({}),
        "no resourceVersion: measurements are not stored objects"
    );
    assert_eq!(names(&all), ["train-1", "web-1"]);
    let web = &all["items"][1];
    assert_eq!(web["containers"][0]["usage"]["cpu"], "250000000n");
    assert_eq!(
        (web["timestamp"].as_str(), web["window"].as_str()),
        (Some("2026-12-05T10:59:45Z"), Some("15.002s"))
    );
    assert!(web["metadata"].get("resourceVersion").is_none() && web.get("kind").is_none());

    let (_, shop) = get(&api, "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods").await;
    assert_eq!(names(&shop), ["web-1"]);
    let (status, watch) = get(&api, "/apis/metrics.k8s.io/v1beta1/pods?watch=true").await;
    assert_eq!((status, watch["reason"].as_str()), (405, Some("MethodNotAllowed")));

    api.remove_definition("pods.metrics.k8s.io");
    api.remove_definition("nodes.metrics.k8s.io");
    assert_eq!(get(&api, "/apis/metrics.k8s.io/v1beta1/pods").await.0, 404);
    assert_eq!(get(&api, "/apis/metrics.k8s.io/v1beta1").await.0, 404);
    let (_, groups) = get(&api, "/apis").await;
    assert!(!groups.to_string().contains("metrics.k8s.io"), "{groups}");
}

#[tokio::test]
async fn generated_and_demo_clusters_have_nodes_claims_and_usage() {
    let api = KubeApi::start().await;
    api.load_synthetic(20, 3, "bench");
    let (_, nodes) = get(&api, "/api/v1/nodes").await;
    assert_eq!(names(&nodes).len(), testkit::kube_api::synthetic::NODES);
    let (_, claims) = get(&api, "/api/v1/persistentvolumeclaims").await;
    assert_eq!(names(&claims), ["synthetic-0-data", "synthetic-10-data"]);
    let pod = api
        .list("pods", "bench")
        .into_iter()
        .find(|p| {
            p["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .starts_with("synthetic-10-")
        })
        .expect("a pod of synthetic-10");
    assert_eq!(
        pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "synthetic-10-data"
    );
    let (_, usage) = get(&api, "/apis/metrics.k8s.io/v1beta1/pods").await;
    assert_eq!(names(&usage).len(), 60, "every running pod is measured");
    let cpu = usage["items"][0]["containers"][0]["usage"]["cpu"]
        .as_str()
        .unwrap_or_default();
    let nanocores: f64 = cpu.trim_end_matches('n').parse().expect("nanocores");
    assert!((15e6..=65e6).contains(&nanocores), "30–130 % of 50m: {cpu}");
    let (_, node_usage) = get(&api, "/apis/metrics.k8s.io/v1beta1/nodes").await;
    assert_eq!(names(&node_usage).len(), 12);
    assert!(
        node_usage["items"][0]["usage"]["memory"]
            .as_str()
            .unwrap_or_default()
            .ends_with("Ki")
    );
    let (_, again) = get(&api, "/apis/metrics.k8s.io/v1beta1/pods").await;
    assert_eq!(
        again["items"][0]["containers"], usage["items"][0]["containers"],
        "steady"
    );

    let demo = KubeApi::start().await;
    demo.load_demo("run1", 1).expect("demo");
    let (_, nodes) = get(&demo, "/api/v1/nodes").await;
    assert_eq!(names(&nodes), ["worker-1", "worker-2", "worker-3"]);
    let indexer = demo
        .list("pods", "commerce")
        .into_iter()
        .find(|p| {
            p["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .starts_with("search-indexer-")
        })
        .expect("search-indexer's pod");
    assert_eq!(
        indexer["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "search-indexer-data"
    );
    let (_, usage) = get(&demo, "/apis/metrics.k8s.io/v1beta1/namespaces/commerce/pods").await;
    assert!(names(&usage).iter().any(|n| n.starts_with("search-indexer-")));
}
