//! Changes in a cluster reaching the views and the live stream: scaling, crash loops, autoscaling,
//! canary steps, an outage and a forbidden type.

use serde_json::{Value, json};

use crate::common::TestDb;
use crate::harness::*;

const CHECKOUT: &str = "component:default/checkout-service";

/// Makes a pod's first container run and pass its probes again.
fn heal(pod: &mut Value) {
    let status = &mut pod["status"]["containerStatuses"][0];
    status["ready"] = true.into();
    status["started"] = true.into();
    status["state"] = json!({ "running": { "startedAt": "2026-12-05T11:05:00Z" } });
    for condition in pod["status"]["conditions"].as_array_mut().into_iter().flatten() {
        if condition["type"] == "Ready" || condition["type"] == "ContainersReady" {
            condition["status"] = "True".into();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_up_streams_the_workload_and_its_new_pods_not_a_snapshot() {
    let db = TestDb::sqlite().await;
    let api = fixtures().await;
    let portal = Portal::start(&db, &api).await;
    portal
        .entity_until("checkout-service", "the workload", |v| {
            workload(v, "checkout-service").cloned()
        })
        .await;
    let mut stream = portal.stream(Some(CHECKOUT)).await;
    let mut overview = portal.stream(None).await;
    let (snapshot, _) = stream.until("the snapshot", |_| true).await;
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(
        snapshot["workloads"][0]["pods"].as_array().map(Vec::len),
        Some(3),
        "the entity's stream carries pods"
    );

    api.scale("checkout", "checkout-service", 5);
    let (scaled, before) = stream
        .until("the scaled workload", |u| {
            u["type"] == "workload" && u["replicas"]["desired"] == 5
        })
        .await;
    assert_eq!(scaled["pods"], json!([]), "pods follow on their own");
    let mut seen = before;
    let mut pods = 0;
    while pods < 2 {
        let (update, skipped) = stream.until("the new pods", |u| u["type"] == "pod").await;
        seen.extend(skipped);
        assert_eq!(update["workload"]["name"], "checkout-service");
        pods += 1;
    }
    assert!(
        !seen.iter().any(|u| u["type"] == "snapshot"),
        "no second snapshot:\n{}",
        summary(&seen)
    );
    portal
        .entity_until("checkout-service", "5 ready", |v| {
            (workload(v, "checkout-service")?["replicas"]["ready"] == 5).then_some(())
        })
        .await;

    // The Deployments page's stream: every workload, none of their pods.
    let (first, _) = overview.until("the overview's snapshot", |_| true).await;
    assert_eq!(first["type"], "snapshot");
    let (_, before) = overview
        .until("checkout-service scaled", |u| {
            u["type"] == "workload" && u["key"]["name"] == "checkout-service" && u["replicas"]["desired"] == 5
        })
        .await;
    api.delete("deployments.apps", "fulfilment", "label-printer");
    let (_, after) = overview
        .until("label-printer removed", |u| {
            u["type"] == "workloadRemoved" && u["name"] == "label-printer"
        })
        .await;
    let sent: Vec<_> = before.iter().chain(&after).collect();
    assert!(
        !sent.iter().any(|u| u["type"] == "pod" || u["type"] == "podRemoved"),
        "no pods on the overview"
    );
    drop((stream, overview));
    portal.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loop_appears_then_goes_away() {
    let db = TestDb::sqlite().await;
    let api = fixtures().await;
    let portal = Portal::start(&db, &api).await;
    portal
        .entity_until("checkout-service", "the workload", |v| {
            workload(v, "checkout-service").cloned()
        })
        .await;
    let mut stream = portal.stream(Some(CHECKOUT)).await;
    stream.until("the snapshot", |u| u["type"] == "snapshot").await;
    let pod = api
        .list("pods", "checkout")
        .into_iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap_or_default().to_string())
        .find(|n| n.starts_with("checkout-service-"))
        .expect("a checkout pod");

    api.crash_loop("checkout", &pod, 4, "Error");
    let crashing = portal
        .entity_until("checkout-service", "the crash loop", |v| {
            let w = workload(v, "checkout-service")?;
            problem_kinds(w)
                .contains(&"CrashLooping".to_string())
                .then(|| w.clone())
        })
        .await;
    let problem = crashing["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["kind"] == "CrashLooping")
        .expect("problem");
    assert_eq!(
        (problem["affected"].as_u64(), problem["total"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(crashing["health"], "Degraded");
    // The workload's new problem and the crashing pod, in either order.
    let (mut workload_sent, mut pod_sent) = (false, false);
    while !(workload_sent && pod_sent) {
        let (update, _) = stream
            .until("the workload's problem and the crashing pod", |u| {
                (u["type"] == "workload" && problem_kinds(u).contains(&"CrashLooping".to_string()))
                    || (u["type"] == "pod" && u["pod"]["name"] == pod.as_str() && u["pod"]["restarts"] == 4)
            })
            .await;
        workload_sent |= update["type"] == "workload";
        pod_sent |= update["type"] == "pod";
    }
    assert!(
        portal
            .page("checkout-service")
            .await
            .contains("1 of 3 pods crash-looping")
    );

    api.modify("pods", "checkout", &pod, heal);
    portal
        .entity_until("checkout-service", "the crash loop to end", |v| {
            let w = workload(v, "checkout-service")?;
            (!problem_kinds(w).contains(&"CrashLooping".to_string())).then_some(())
        })
        .await;
    stream
        .until("the problem gone", |u| {
            u["type"] == "workload" && !problem_kinds(u).contains(&"CrashLooping".to_string())
        })
        .await;
    drop(stream);
    portal.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_autoscaler_scaling_shows_its_new_counts() {
    let db = TestDb::sqlite().await;
    let api = fixtures().await;
    let portal = Portal::start(&db, &api).await;
    portal
        .entity_until("search-service", "the workload", |v| {
            workload(v, "search-service").cloned()
        })
        .await;
    api.autoscale("search", "search-service", 7, 95);
    let search = portal
        .entity_until("search-service", "the autoscaler at 7", |v| {
            let w = workload(v, "search-service")?;
            (w["autoscaler"]["desired"] == 7 && w["replicas"]["desired"] == 7).then(|| w.clone())
        })
        .await;
    assert_eq!(search["autoscaler"]["current"], 7);
    assert_eq!(search["autoscaler"]["metrics"][0]["current"], "95%");
    portal.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_advances_step_by_step_then_is_promoted() {
    let db = TestDb::sqlite().await;
    let api = fixtures().await;
    let portal = Portal::start(&db, &api).await;
    let mut stream = portal.stream(Some("component:default/inventory-service")).await;
    stream.until("the snapshot", |u| u["type"] == "snapshot").await;
    for (index, weight) in [(2, 50), (3, 50)] {
        api.canary_step("inventory", "inventory-service", index);
        let (update, _) = stream
            .until(&format!("step {}", index + 1), |u| {
                u["type"] == "workload" && u["argoRollout"]["step"] == index + 1
            })
            .await;
        assert_eq!(update["argoRollout"]["canaryWeight"], weight, "{update:#}");
    }
    api.canary_step("inventory", "inventory-service", 4);
    let promoted = portal
        .entity_until("inventory-service", "the promotion", |v| {
            let w = workload(v, "inventory-service")?;
            (w["argoRollout"]["phase"] == "Healthy").then(|| w.clone())
        })
        .await;
    assert_eq!(promoted["argoRollout"]["canaryWeight"], 100, "{promoted:#}");
    assert_eq!(promoted["rollout"]["phase"], "Complete", "{promoted:#}");
    let revision = promoted["revision"].as_str().expect("a revision").to_string();
    let records = portal
        .json_until(
            "/api/kubernetes/rollouts?entity=component:default/inventory-service",
            "the canary's rollout completed",
            |r| r[0]["outcome"] == "completed",
        )
        .await;
    assert_eq!(
        records.as_array().map(Vec::len),
        Some(1),
        "promotion ends the rollout, not a new one: {records:#}"
    );
    assert_eq!(records[0]["revision"], revision.as_str());
    assert_eq!(records[0]["key"]["kind"], "Rollout");
    drop(stream);
    portal.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_marks_one_cluster_stale_until_it_returns() {
    let db = TestDb::sqlite().await;
    let (prod, staging) = (fixtures().await, fixtures().await);
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Portal::serve(config(
        &db,
        dir.path(),
        vec![cluster("prod", &prod), cluster("staging", &staging)],
    ))
    .await;
    let portal = Portal::of(server);
    portal
        .entity_until("checkout-service", "both clusters", |v| {
            (v["workloads"].as_array()?.len() == 2).then_some(())
        })
        .await;

    let mut stream = portal.stream(Some(CHECKOUT)).await;
    stream.until("the snapshot", |u| u["type"] == "snapshot").await;
    prod.outage();
    let (down, _) = stream
        .until("prod unreachable", |u| u["type"] == "cluster" && u["name"] == "prod")
        .await;
    assert_eq!(down["reachability"]["state"], "unreachable", "{down:#}");
    let view = portal
        .entity_until("checkout-service", "prod unreachable", |v| {
            let prod = v["clusters"].as_array()?.iter().find(|c| c["name"] == "prod")?;
            (prod["reachability"]["state"] == "unreachable").then(|| v.clone())
        })
        .await;
    let clusters = view["clusters"].as_array().expect("clusters");
    assert!(
        clusters[0]["reachability"]["sinceMs"].as_i64().is_some_and(|t| t > 0),
        "{view:#}"
    );
    assert_eq!(clusters[1]["reachability"]["state"], "reachable");
    for w in view["workloads"].as_array().expect("workloads") {
        let stale = w["staleSinceMs"].as_i64();
        match w["key"]["cluster"].as_str() {
            Some("prod") => assert_eq!(stale, clusters[0]["reachability"]["sinceMs"].as_i64(), "{w:#}"),
            _ => assert_eq!(stale, None, "{w:#}"),
        }
        assert_eq!(w["replicas"]["ready"], 3, "the last known state stays");
    }
    let page = portal.page("checkout-service").await;
    assert!(
        page.contains("data-testid=\"cluster-unreachable\"") && page.contains("prod: unreachable since"),
        "{page}"
    );
    let overview = portal.server.get("/deployments").await;
    assert_eq!(overview.status(), 200);
    let overview = overview.text().await.expect("HTML");
    assert!(
        overview.contains("prod: unreachable since"),
        "the Deployments page says so too:\n{overview}"
    );

    prod.restore();
    portal
        .entity_until("checkout-service", "prod back", |v| {
            let live = v["workloads"].as_array()?.iter().all(|w| w["staleSinceMs"].is_null());
            (live && v["clusters"][0]["reachability"]["state"] == "reachable").then_some(())
        })
        .await;
    assert!(!portal.page("checkout-service").await.contains("cluster-unreachable"));
    stream
        .until("prod reachable again", |u| {
            u["type"] == "cluster" && u["name"] == "prod" && u["reachability"]["state"] == "reachable"
        })
        .await;
    drop(stream);
    portal.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_type_is_named_and_the_rest_still_shows() {
    let db = TestDb::sqlite().await;
    let api = fixtures().await;
    api.forbid("horizontalpodautoscalers.autoscaling");
    let portal = Portal::start(&db, &api).await;
    let view = portal
        .entity_until("search-service", "the forbidden type", |v| {
            let forbidden = v["clusters"][0]["forbidden"].as_array()?;
            (!forbidden.is_empty() && workload(v, "search-service").is_some()).then(|| v.clone())
        })
        .await;
    assert_eq!(
        view["clusters"][0]["forbidden"][0]["resource"], "horizontalpodautoscalers.autoscaling",
        "{view:#}"
    );
    let search = workload(&view, "search-service").expect("search");
    assert_eq!(search["autoscaler"], Value::Null);
    assert_eq!(search["replicas"]["desired"], 4);
    let page = portal.page("search-service").await;
    assert!(page.contains("data-testid=\"cluster-forbidden\""), "{page}");
    assert!(page.contains("horizontalpodautoscalers.autoscaling"), "{page}");
    assert!(page.contains("data-workload=\"search-service\""), "{page}");
    portal.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_stops_while_pages_hold_their_streams_open() {
    let db = TestDb::sqlite().await;
    let api = fixtures().await;
    let portal = Portal::start(&db, &api).await;
    let mut page = portal.stream(Some(CHECKOUT)).await;
    page.until("the snapshot", |u| u["type"] == "snapshot").await;
    let mut overview = portal.stream(None).await;
    overview.until("the snapshot", |u| u["type"] == "snapshot").await;
    let stopped = tokio::time::timeout(PATIENCE, portal.server.stop()).await;
    assert!(stopped.is_ok(), "a SIGTERM must not wait for open pages to close");
    assert_eq!(
        page.next(PATIENCE).await,
        None,
        "the page's stream ends, so it reconnects elsewhere"
    );
    assert_eq!(overview.next(PATIENCE).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_type_forbidden_while_watched_is_named_once_its_watch_reconnects() {
    let db = TestDb::sqlite().await;
    let api = fixtures().await;
    let portal = Portal::start(&db, &api).await;
    portal
        .entity_until("search-service", "the autoscaler", |v| {
            (!workload(v, "search-service")?["autoscaler"].is_null()).then_some(())
        })
        .await;
    api.forbid("horizontalpodautoscalers.autoscaling");
    api.drop_connections();
    let view = portal
        .entity_until("search-service", "the forbidden type", |v| {
            (!v["clusters"][0]["forbidden"].as_array()?.is_empty()).then(|| v.clone())
        })
        .await;
    assert_eq!(
        view["clusters"][0]["forbidden"][0]["resource"],
        "horizontalpodautoscalers.autoscaling"
    );
    assert_eq!(view["clusters"][0]["reachability"]["state"], "reachable", "{view:#}");
    api.scale("checkout", "checkout-service", 4);
    portal
        .entity_until("checkout-service", "other types still watched", |v| {
            (workload(v, "checkout-service")?["replicas"]["desired"] == 4).then_some(())
        })
        .await;
    portal.server.stop().await;
}
