//! The projection over realistic objects: `kubectl get -o json` lists in `testdata/`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::model::{
    AutoscalerMetric, ContainerImage, ContainerState, ProblemKind, RolloutPhase, Termination, WarningEvent,
};

const HEALTHY: &str = include_str!("testdata/healthy.json");
const CRASH_LOOP: &str = include_str!("testdata/crash_loop.json");
const ROLLOUT: &str = include_str!("testdata/rollout.json");
const STATEFUL: &str = include_str!("testdata/stateful.json");
const ARGO_ROLLOUT: &str = include_str!("testdata/argo_rollout.json");

fn items(json: &str) -> Vec<Value> {
    let list: Value = serde_json::from_str(json).unwrap();
    list["items"].as_array().unwrap().clone()
}

fn objects(items: Vec<Value>) -> ClusterObjects {
    fn typed<T: serde::de::DeserializeOwned>(item: Value) -> Arc<T> {
        Arc::new(serde_json::from_value(item).unwrap())
    }
    let mut o = ClusterObjects {
        cluster: "prod-eu".into(),
        ..ClusterObjects::default()
    };
    for item in items {
        match item["kind"].as_str().unwrap() {
            "Deployment" => o.deployments.push(typed(item)),
            "StatefulSet" => o.stateful_sets.push(typed(item)),
            "DaemonSet" => o.daemon_sets.push(typed(item)),
            "ReplicaSet" => o.replica_sets.push(typed(item)),
            "Pod" => o.pods.push(typed(item)),
            "HorizontalPodAutoscaler" => o.autoscalers.push(typed(item)),
            "Event" => o.events.push(typed(item)),
            "Application" => o.argo_applications.push(typed(item)),
            "Rollout" => o.argo_rollouts.push(typed(item)),
            other => panic!("no place for {other}"),
        }
    }
    o
}

fn load(json: &str) -> ClusterObjects {
    objects(items(json))
}

fn entity(name: &str, annotations: &[(&str, &str)]) -> EntitySelector {
    let annotations: BTreeMap<String, String> = annotations
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    EntitySelector::new(
        format!("component:default/{name}"),
        name,
        Some("group:default/team-a".into()),
        &annotations,
    )
    .unwrap()
}

fn at(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<k8s_openapi::jiff::Timestamp>()
        .unwrap()
        .as_millisecond()
}

fn texts(w: &Workload) -> Vec<String> {
    w.problems.iter().map(|p| p.text()).collect()
}

const D1: &str = "sha256:3f1c9a7e5b2d4c6f8a0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a";

#[test]
fn a_healthy_deployment_with_everything_around_it() {
    let all = entity_workloads(&load(HEALTHY), &entity("checkout", &[]));
    assert_eq!(
        all.len(),
        1,
        "only the Deployment labelled backstage.io/kubernetes-id=checkout"
    );
    let w = &all[0];
    assert_eq!(
        w.key,
        WorkloadKey {
            cluster: "prod-eu".into(),
            namespace: "shop".into(),
            kind: WorkloadKind::Deployment,
            name: "checkout".into()
        }
    );
    assert_eq!(
        (w.entity.as_deref(), w.owner.as_deref()),
        (Some("component:default/checkout"), Some("group:default/team-a"))
    );
    assert_eq!(
        w.replicas,
        crate::model::Replicas {
            desired: 3,
            updated: 3,
            ready: 3,
            available: 3
        }
    );
    assert_eq!(w.revision.as_deref(), Some("4"));
    assert_eq!(
        w.revision_since_ms,
        Some(at("2026-12-05T09:12:20Z")),
        "the current ReplicaSet's creation"
    );
    // The digest of the current revision's pods, not the old pod's.
    assert_eq!(
        w.images,
        vec![ContainerImage {
            container: "checkout".into(),
            image: "registry.example:5000/shop/checkout:1.4.2".into(),
            tag: Some("1.4.2".into()),
            digest: Some(D1.into()),
        }]
    );
    assert_eq!(w.rollout.phase, RolloutPhase::Complete);
    assert_eq!(w.rollout.strategy.as_deref(), Some("RollingUpdate"));
    assert_eq!(w.rollout.since_ms, Some(at("2026-12-05T09:12:40Z")));
    assert_eq!(w.pods.len(), 4, "three current pods and one of the previous revision");
    let pod = w.pods.iter().find(|p| p.name == "checkout-7d9f8b6c5d-x2k8p").unwrap();
    assert_eq!((pod.phase.as_str(), pod.ready, pod.restarts), ("Running", true, 0));
    assert_eq!(pod.node.as_deref(), Some("node-1"));
    assert_eq!(pod.created_ms, Some(at("2026-12-05T09:12:20Z")));
    assert_eq!(
        pod.containers[0].state,
        ContainerState::Running {
            since_ms: Some(at("2026-12-05T09:12:30Z"))
        }
    );
    assert_eq!(pod.containers[0].digest.as_deref(), Some(D1));
    let hpa = w.autoscaler.as_ref().unwrap();
    assert_eq!(
        (hpa.name.as_str(), hpa.min, hpa.max, hpa.current, hpa.desired),
        ("checkout", 3, 10, 3, 3)
    );
    let metric = |name: &str, current: &str, target: &str| AutoscalerMetric {
        name: name.into(),
        current: Some(current.into()),
        target: target.into(),
    };
    assert_eq!(
        hpa.metrics,
        vec![
            metric("cpu", "72%", "80%"),
            metric("memory", "310Mi", "400Mi"),
            metric("http_requests_per_second", "63", "100")
        ]
    );
    // Its pod's and its ReplicaSet's warnings, newest first; not another workload's, nor those of a
    // namesake pod in another namespace.
    assert_eq!(
        w.events,
        vec![
            WarningEvent {
                object: "Pod/checkout-7d9f8b6c5d-x2k8p".into(),
                reason: "Unhealthy".into(),
                message: "Readiness probe failed: Get \"http://10.244.1.12:8080/ready\": context deadline exceeded"
                    .into(),
                count: 3,
                last_seen_ms: Some(at("2026-12-05T09:12:33Z")),
            },
            WarningEvent {
                object: "ReplicaSet/checkout-7d9f8b6c5d".into(),
                reason: "FailedCreate".into(),
                message:
                    "Error creating: pods \"checkout-7d9f8b6c5d-\" is forbidden: exceeded quota: compute-resources, \
                          requested: limits.memory=512Mi"
                        .into(),
                count: 2,
                last_seen_ms: Some(at("2026-12-05T09:12:21Z")),
            },
        ]
    );
    let argo = w.argo_cd.as_ref().unwrap();
    assert_eq!(
        (argo.application.as_str(), argo.sync.as_str(), argo.health.as_str()),
        ("shop-checkout", "Synced", "Healthy")
    );
    assert_eq!(
        argo.revision.as_deref(),
        Some("8f2b1c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b")
    );
    assert!(w.problems.is_empty(), "{:?}", texts(w));
    assert_eq!(w.health, Health::Healthy);
    assert_eq!(w.stale_since_ms, None);
}

#[test]
fn argo_cd_applications_by_tracking_id_and_not_by_a_copied_one() {
    let index = EntityIndex::new([entity("checkout", &[])]);
    let all = all_workloads(&load(HEALTHY), &index);
    let names: Vec<&str> = all.iter().map(|w| w.key.name.as_str()).collect();
    assert_eq!(names, ["ledger", "checkout", "other"], "degraded first, then by place");
    let ledger = &all[0];
    assert_eq!(ledger.entity, None);
    let argo = ledger.argo_cd.as_ref().unwrap();
    assert_eq!(
        (argo.application.as_str(), argo.sync.as_str(), argo.health.as_str()),
        ("ledger", "OutOfSync", "Degraded")
    );
    assert_eq!(
        texts(ledger),
        [
            "Argo CD reports a problem: application ledger is Degraded and OutOfSync \
          (Deployment \"ledger\" exceeded its progress deadline)"
        ]
    );
    assert_eq!(ledger.health, Health::Degraded);
    // Pinned by digest alone: no tag applies.
    assert_eq!(ledger.images[0].tag, None);
    assert_eq!(
        ledger.images[0].digest.as_deref(),
        Some("sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999")
    );
    assert_eq!(all[1].entity.as_deref(), Some("component:default/checkout"));
    // `other` carries the instance label `ledger`, but its tracking id names another resource.
    let other = &all[2];
    assert_eq!(other.argo_cd, None);
    assert_eq!(other.events.len(), 1);
    assert_eq!(
        other.images[0].digest.as_deref(),
        Some(format!("sha256:{}", "e".repeat(64)).as_str())
    );
}

#[test]
fn two_pods_crash_looping_out_of_memory_and_an_autoscaler_at_its_maximum() {
    let all = entity_workloads(&load(CRASH_LOOP), &entity("payments-api", &[]));
    let w = &all[0];
    assert_eq!(
        texts(w),
        [
            "2 of 5 pods crash-looping since 10:42 UTC: OOMKilled",
            "1 of 5 pods killed for running out of memory since 10:19 UTC: container payments-api",
            "Autoscaler at its maximum: 5 of 5 replicas, cpu 95% of 80%",
        ]
    );
    assert_eq!(w.problems[0].since_ms, Some(at("2026-12-05T10:42:30Z")));
    assert!(
        !w.problems.iter().any(|p| p.kind == ProblemKind::Unavailable),
        "the crash loop explains it"
    );
    assert_eq!(w.health, Health::Degraded);
    let pod = w
        .pods
        .iter()
        .find(|p| p.name == "payments-api-84c5d9f6b7-7bq9d")
        .unwrap();
    assert!(!pod.ready);
    assert_eq!(pod.restarts, 7);
    let container = &pod.containers[0];
    assert!(matches!(&container.state, ContainerState::Waiting { reason, .. } if reason == "CrashLoopBackOff"));
    assert_eq!(
        container.last_termination,
        Some(Termination {
            reason: "OOMKilled".into(),
            exit_code: 137,
            finished_ms: Some(at("2026-12-05T10:42:30Z"))
        })
    );
    let reasons: Vec<(&str, &str, u32)> = w
        .events
        .iter()
        .map(|e| (e.object.as_str(), e.reason.as_str(), e.count))
        .collect();
    assert_eq!(
        reasons,
        [
            ("Pod/payments-api-84c5d9f6b7-h5n3t", "BackOff", 18),
            ("Pod/payments-api-84c5d9f6b7-7bq9d", "BackOff", 31)
        ]
    );
}

#[test]
fn a_rollout_stuck_pulling_its_image_and_one_past_its_deadline() {
    let all = entity_workloads(
        &load(ROLLOUT),
        &entity(
            "web",
            &[(LABEL_SELECTOR, "app.kubernetes.io/name in (web, web-failed)")],
        ),
    );
    let names: Vec<&str> = all.iter().map(|w| w.key.name.as_str()).collect();
    assert_eq!(names, ["web", "web-failed"]);
    let web = &all[0];
    assert_eq!(web.rollout.phase, RolloutPhase::Progressing);
    assert_eq!(web.revision.as_deref(), Some("9"));
    assert_eq!(web.revision_since_ms, Some(at("2026-12-05T11:02:00Z")));
    assert_eq!(web.images[0].tag.as_deref(), Some("3.2.0"));
    assert_eq!(
        web.images[0].digest, None,
        "the new image never ran; the old pods run another"
    );
    assert_eq!(
        texts(web),
        [
            "1 of 4 pods failing to pull their image since 11:02 UTC: Back-off pulling image \"ghcr.io/acme/web:3.2.0\": \
          ErrImagePull: failed to pull and unpack image \"ghcr.io/acme/web:3.2.0\": not found"
        ]
    );
    assert_eq!(web.health, Health::Degraded);
    let failed = &all[1];
    assert_eq!(failed.rollout.phase, RolloutPhase::Failed);
    assert_eq!(
        texts(failed),
        ["Rollout failed since 11:12 UTC: ReplicaSet \"web-failed-5b7c9d8f6\" has timed out progressing."]
    );
    assert_eq!(failed.health, Health::Degraded);
}

#[test]
fn a_rollout_under_way_without_trouble_is_progressing() {
    let items: Vec<Value> = items(ROLLOUT)
        .into_iter()
        .filter(|i| i["metadata"]["name"] != "web-5b7c9d8f6-p1q2r")
        .collect();
    let all = entity_workloads(
        &objects(items),
        &entity("web", &[(LABEL_SELECTOR, "app.kubernetes.io/name=web")]),
    );
    let web = &all[0];
    assert!(web.problems.is_empty(), "{:?}", texts(web));
    assert_eq!(web.health, Health::Progressing);
    assert_eq!(
        web.rollout.message.as_deref(),
        Some("ReplicaSet \"web-5b7c9d8f6\" is progressing.")
    );
}

#[test]
fn a_stateful_set_with_an_unschedulable_pod_and_a_daemon_set() {
    let all = entity_workloads(&load(STATEFUL), &entity("orders", &[]));
    let names: Vec<(WorkloadKind, &str)> = all.iter().map(|w| (w.key.kind, w.key.name.as_str())).collect();
    assert_eq!(
        names,
        [
            (WorkloadKind::StatefulSet, "orders-db"),
            (WorkloadKind::DaemonSet, "log-shipper")
        ]
    );
    let db = &all[0];
    assert_eq!(db.revision.as_deref(), Some("orders-db-6d8f7b9c5"));
    assert_eq!(db.rollout.phase, RolloutPhase::Complete);
    let pending = db.pods.iter().find(|p| p.name == "orders-db-2").unwrap();
    assert_eq!((pending.phase.as_str(), pending.node.as_deref()), ("Pending", None));
    assert_eq!(
        texts(db),
        [
            "1 of 3 pods waiting to be scheduled since 10:15 UTC: 0/3 nodes are available: 1 node(s) had untolerated \
          taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. preemption: 0/3 nodes are \
          available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
        ]
    );
    assert_eq!(db.events[0].reason, "FailedScheduling");
    assert_eq!(
        db.images[0].digest.as_deref(),
        Some(format!("sha256:{}", "5".repeat(64)).as_str())
    );
    let logs = &all[1];
    assert_eq!(logs.revision.as_deref(), Some("4"), "the pods' pod-template-generation");
    assert_eq!(logs.revision_since_ms, Some(at("2026-12-03T12:01:00Z")));
    assert_eq!(
        (logs.images[0].tag.as_deref(), logs.images[0].digest.as_deref()),
        (Some("3.1.9"), Some(format!("sha256:{}", "7".repeat(64)).as_str()))
    );
    assert_eq!((logs.replicas.desired, logs.replicas.available), (3, 3));
    assert_eq!(logs.health, Health::Healthy);
}

#[test]
fn the_namespace_annotation_restricts_and_stale_clusters_are_unknown() {
    let mut objects = load(STATEFUL);
    assert!(entity_workloads(&objects, &entity("orders", &[(NAMESPACE, "payments")])).is_empty());
    assert_eq!(
        entity_workloads(&objects, &entity("orders", &[(NAMESPACE, "orders")])).len(),
        2
    );
    objects.stale_since_ms = Some(at("2026-12-05T11:00:00Z"));
    let all = entity_workloads(&objects, &entity("orders", &[]));
    let logs = all.iter().find(|w| w.key.name == "log-shipper").unwrap();
    assert_eq!(
        (logs.health, logs.stale_since_ms),
        (Health::Unknown, objects.stale_since_ms)
    );
}

#[test]
fn an_argo_rollout_canary_at_step_two_of_four() {
    let all = entity_workloads(&load(ARGO_ROLLOUT), &entity("search", &[]));
    let w = &all[0];
    assert_eq!(w.key.kind, WorkloadKind::Rollout);
    let argo = w.argo_rollout.as_ref().unwrap();
    assert_eq!(
        (
            argo.strategy.as_str(),
            argo.phase.as_str(),
            argo.step,
            argo.steps,
            argo.canary_weight
        ),
        ("canary", "Paused", Some(2), Some(4), Some(25))
    );
    assert_eq!(argo.message.as_deref(), Some("CanaryPauseStep"));
    assert_eq!(
        (w.rollout.phase, w.rollout.strategy.as_deref()),
        (RolloutPhase::Paused, Some("canary"))
    );
    assert_eq!(w.revision.as_deref(), Some("6"));
    assert_eq!(w.revision_since_ms, Some(at("2026-12-05T10:29:00Z")));
    assert_eq!(w.images[0].tag.as_deref(), Some("5.1.0"));
    assert_eq!(
        w.images[0].digest.as_deref(),
        Some(format!("sha256:{}", "1".repeat(64)).as_str()),
        "the canary's pods"
    );
    assert_eq!(
        (w.replicas.desired, w.replicas.updated, w.replicas.available),
        (4, 1, 4)
    );
    assert_eq!(w.pods.len(), 4);
    assert_eq!(w.health, Health::Progressing);

    // The controller's own weight wins over the steps'; a finished canary has all the traffic.
    let with = |status: Value| {
        let mut items = items(ARGO_ROLLOUT);
        let rollout = items.iter_mut().find(|i| i["kind"] == "Rollout").unwrap();
        for (k, v) in status.as_object().unwrap() {
            rollout["status"][k] = v.clone();
        }
        let all = entity_workloads(&objects(items), &entity("search", &[]));
        let argo = all[0].argo_rollout.clone().unwrap();
        (argo.step, argo.canary_weight)
    };
    assert_eq!(
        with(json!({"canary": {"weights": {"canary": {"weight": 30}, "stable": {"weight": 70}}}})),
        (Some(2), Some(30))
    );
    assert_eq!(with(json!({"currentStepIndex": 3})), (Some(4), Some(50)));
    assert_eq!(
        with(json!({"currentStepIndex": 4, "phase": "Healthy"})),
        (Some(4), Some(100))
    );
}

#[test]
fn the_order_objects_are_listed_in_does_not_show() {
    let index = EntityIndex::new([
        entity("checkout", &[]),
        entity("payments-api", &[]),
        entity("orders", &[]),
    ]);
    for data in [HEALTHY, CRASH_LOOP, ROLLOUT, STATEFUL, ARGO_ROLLOUT] {
        let forward = all_workloads(&load(data), &index);
        let backward = all_workloads(&objects(items(data).into_iter().rev().collect()), &index);
        assert_eq!(forward, backward);
    }
}

#[test]
fn a_workload_of_a_thousand_pods() {
    let mut items = items(CRASH_LOOP);
    let template = items
        .iter()
        .find(|i| i["metadata"]["name"] == "payments-api-84c5d9f6b7-4xk2p")
        .unwrap()
        .clone();
    items.retain(|i| i["kind"] != "Pod");
    for i in 0..1000 {
        let mut pod = template.clone();
        pod["metadata"]["name"] = json!(format!("payments-api-84c5d9f6b7-{i:05}"));
        pod["metadata"]["uid"] = json!(format!("pod-{i}"));
        items.push(pod);
    }
    // A thousand pods of another namespace's namesake, which must not count.
    for i in 0..1000 {
        let mut pod = template.clone();
        pod["metadata"]["namespace"] = json!("payments-staging");
        pod["metadata"]["name"] = json!(format!("payments-api-84c5d9f6b7-{i:05}"));
        items.push(pod);
    }
    let deployment = items.iter_mut().find(|i| i["kind"] == "Deployment").unwrap();
    deployment["spec"]["replicas"] = json!(1000);
    for field in ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"] {
        deployment["status"][field] = json!(1000);
    }
    let all = entity_workloads(&objects(items), &entity("payments-api", &[]));
    let w = &all[0];
    assert_eq!(w.pods.len(), 1000);
    assert!(w.pods.iter().all(|p| p.ready && p.phase == "Running"));
    assert_eq!(w.pods[999].name, "payments-api-84c5d9f6b7-00999");
    assert_eq!(w.images[0].digest.as_deref(), Some(D1));
    // Only the autoscaler, maxed out at 5, remains of the crash loop's problems.
    assert_eq!(
        w.problems.iter().map(|p| p.kind).collect::<Vec<_>>(),
        [ProblemKind::AutoscalerAtMax]
    );
    assert_eq!(
        w.health,
        Health::Healthy,
        "a maxed-out autoscaler alone is not degraded"
    );
}

const LABEL_SELECTOR: &str = mapping::LABEL_SELECTOR_ANNOTATION;
const NAMESPACE: &str = mapping::NAMESPACE_ANNOTATION;

#[test]
fn the_pod_templates_oci_revision_names_the_commit_and_anything_else_is_ignored() {
    let with = |revision: &str| {
        let mut list = items(HEALTHY);
        for item in list.iter_mut().filter(|i| i["kind"] == "Deployment") {
            item["spec"]["template"]["metadata"]["annotations"] =
                json!({"org.opencontainers.image.revision": revision});
        }
        entity_workloads(&objects(list), &entity("checkout", &[]))[0]
            .source_revision
            .clone()
    };
    let sha = "9f2c1a7d3e4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d";
    assert_eq!(with(sha).as_deref(), Some(sha));
    assert_eq!(with("9f2c1a7").as_deref(), Some("9f2c1a7"), "abbreviated");
    assert_eq!(with("main"), None, "a branch is not a commit");
    assert_eq!(with(&"a".repeat(65)), None, "longer than any hash");
    assert_eq!(
        entity_workloads(&load(HEALTHY), &entity("checkout", &[]))[0].source_revision,
        None
    );
}
