//! The Deployments views end to end: a real server over the Northwind demo catalog watching local
//! Kubernetes APIs loaded with the fixtures; scenarios played through those APIs as a cluster's
//! controllers would, and what the JSON API, the live stream and the rendered pages show.

#[path = "kubernetes/catalog.rs"]
mod catalog_entities;
mod common;
#[path = "kubernetes/harness.rs"]
mod harness;
#[path = "kubernetes/history.rs"]
mod history;
#[path = "kubernetes/live.rs"]
mod live;
#[path = "kubernetes/settings.rs"]
mod settings;

use common::TestDb;
use harness::*;
use serde_json::Value;

fn images(w: &Value) -> Vec<(String, String)> {
    w["images"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            (
                i["image"].as_str().unwrap_or_default().into(),
                i["tag"].as_str().unwrap_or_default().into(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fixtures_show_every_state_the_issue_names() {
    let db = TestDb::sqlite().await;
    let api = fixtures().await;
    let portal = Portal::start(&db, &api).await;

    let checkout = portal
        .entity_until("checkout-service", "checkout-service's workload", |v| {
            workload(v, "checkout-service").cloned()
        })
        .await;
    assert_eq!(
        checkout["key"],
        serde_json::json!({"cluster": "prod", "namespace": "checkout", "kind": "Deployment", "name": "checkout-service"})
    );
    assert_eq!(checkout["entity"], "component:default/checkout-service");
    assert_eq!(checkout["owner"], "group:default/team-checkout");
    assert_eq!(
        checkout["replicas"],
        serde_json::json!({"desired": 3, "updated": 3, "ready": 3, "available": 3})
    );
    assert_eq!(checkout["revision"], "7");
    assert_eq!(checkout["rollout"]["phase"], "Complete");
    assert_eq!(
        images(&checkout),
        [(
            "registry.northwind.example/checkout/checkout-service:2.14.1".to_string(),
            "2.14.1".to_string()
        )]
    );
    assert_eq!(checkout["pods"].as_array().map(Vec::len), Some(3));
    assert!(
        checkout["pods"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|p| p["ready"] == true),
        "{checkout:#}"
    );
    assert_eq!(checkout["argoCd"]["sync"], "OutOfSync");
    assert_eq!(checkout["argoCd"]["health"], "Healthy");
    assert_eq!(
        problem_kinds(&checkout),
        ["ArgoCd"],
        "its pods are fine; Argo CD says it drifted"
    );
    assert_eq!(
        checkout["health"], "Healthy",
        "drift from Git alone does not degrade running pods"
    );

    let payments = workload(&portal.entity("payments-service").await, "payments-service")
        .cloned()
        .expect("payments");
    assert_eq!(payments["health"], "Degraded");
    assert_eq!(payments["problems"][0]["kind"], "CrashLooping");
    assert_eq!(
        (
            payments["problems"][0]["affected"].as_u64(),
            payments["problems"][0]["total"].as_u64()
        ),
        (Some(1), Some(3))
    );
    assert_eq!(payments["problems"][0]["detail"], "OOMKilled");
    let page = portal.page("payments-service").await;
    assert!(
        page.contains("1 of 3 pods crash-looping since 10:56 UTC: OOMKilled"),
        "the problem in plain words:\n{page}"
    );
    assert!(
        page.contains("CrashLoopBackOff") && page.contains("OOMKilled (exit 137)"),
        "{page}"
    );

    let cart = workload(&portal.entity("cart-service").await, "cart-service")
        .cloned()
        .expect("cart");
    assert_eq!(cart["rollout"]["phase"], "Progressing", "stuck half-way: {cart:#}");
    assert_eq!(
        (cart["revision"].as_str(), cart["replicas"]["updated"].as_u64()),
        (Some("5"), Some(1))
    );
    assert!(problem_kinds(&cart).contains(&"ImagePull".to_string()), "{cart:#}");
    assert!(
        cart["problems"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not found")),
        "{cart:#}"
    );

    let search = workload(&portal.entity("search-service").await, "search-service")
        .cloned()
        .expect("search");
    let unschedulable = search["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["kind"] == "Unschedulable")
        .expect("unschedulable");
    assert_eq!(unschedulable["detail"], "0/3 nodes are available: 3 Insufficient cpu.");
    assert_eq!(
        (
            search["autoscaler"]["min"].as_u64(),
            search["autoscaler"]["max"].as_u64(),
            search["autoscaler"]["current"].as_u64(),
            search["autoscaler"]["desired"].as_u64()
        ),
        (Some(2), Some(10), Some(4), Some(4))
    );
    assert_eq!(search["autoscaler"]["metrics"][0]["current"], "82%");
    assert_eq!(search["autoscaler"]["metrics"][0]["target"], "70%");

    let inventory = workload(&portal.entity("inventory-service").await, "inventory-service")
        .cloned()
        .expect("inventory");
    assert_eq!(inventory["key"]["kind"], "Rollout");
    assert_eq!(inventory["argoRollout"]["strategy"], "canary");
    assert_eq!(
        (
            inventory["argoRollout"]["step"].as_u64(),
            inventory["argoRollout"]["steps"].as_u64()
        ),
        (Some(2), Some(4))
    );
    assert_eq!(inventory["argoRollout"]["canaryWeight"], 25);
    assert_eq!(inventory["argoCd"]["health"], "Suspended");

    let overview = portal.json("/api/kubernetes/workloads").await;
    let listed = overview["workloads"].as_array().expect("workloads");
    assert!(
        listed.iter().all(|w| w["pods"].as_array().is_some_and(Vec::is_empty)),
        "the overview carries no pods"
    );
    assert!(
        listed
            .iter()
            .any(|w| w["key"]["name"] == "label-printer" && w["entity"].is_null()),
        "unmapped workloads are listed too"
    );
    assert_eq!(listed[0]["health"], "Degraded", "problems first");
    let unknown = portal
        .server
        .get("/api/kubernetes/entities/component/default/no-such-service")
        .await;
    assert_eq!(unknown.status(), 404);
    portal.server.stop().await;
}
