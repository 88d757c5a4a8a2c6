use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use deployments::model::{
    ClusterState, Health, PodInfo, Reachability, Replicas, RolloutOutcome, RolloutPhase, RolloutRecord, RolloutStatus,
    Update, Workload, WorkloadKey, WorkloadKind,
};
use leptos::prelude::*;

use super::{LiveDeployments, stale_since};

/// Signals live in their owner's arena (per request on the server): tests need one too.
fn owner() -> Owner {
    let owner = Owner::new();
    owner.set();
    owner
}

fn key(name: &str) -> WorkloadKey {
    WorkloadKey {
        cluster: "dev".into(),
        namespace: "checkout".into(),
        kind: WorkloadKind::Deployment,
        name: name.into(),
    }
}

fn workload(name: &str, health: Health, pods: &[&str]) -> Workload {
    Workload {
        key: key(name),
        entity: Some("component:default/checkout-service".into()),
        owner: Some("group:default/team-checkout".into()),
        created_ms: None,
        replicas: Replicas::default(),
        revision: Some("3".into()),
        revision_since_ms: None,
        images: Vec::new(),
        source_revision: None,
        rollout: RolloutStatus {
            phase: RolloutPhase::Complete,
            message: None,
            since_ms: None,
            strategy: None,
        },
        pods: pods.iter().map(|p| pod(p, 0)).collect(),
        autoscaler: None,
        events: Vec::new(),
        argo_cd: None,
        argo_rollout: None,
        health,
        problems: Vec::new(),
        stale_since_ms: None,
    }
}

fn pod(name: &str, restarts: u32) -> PodInfo {
    PodInfo {
        name: name.into(),
        phase: "Running".into(),
        ready: true,
        restarts,
        node: None,
        created_ms: None,
        unschedulable: None,
        containers: Vec::new(),
    }
}

fn cluster(name: &str, reachability: Reachability) -> ClusterState {
    ClusterState {
        name: name.into(),
        reachability,
        forbidden: Vec::new(),
    }
}

fn record(name: &str, revision: &str, started_ms: i64, outcome: RolloutOutcome) -> RolloutRecord {
    RolloutRecord {
        key: key(name),
        seq: revision.parse().unwrap_or(1),
        entity: None,
        revision: revision.into(),
        version: "app=ghcr.io/acme/app:1".into(),
        outcome,
        started_ms,
        finished_ms: None,
        message: None,
    }
}

fn names(state: &LiveDeployments) -> Vec<String> {
    state
        .workloads
        .with_untracked(|l| l.iter().map(|w| w.key.name.clone()).collect())
}

fn pod_names(state: &LiveDeployments, workload: &str) -> Vec<String> {
    state
        .find(&key(workload))
        .expect("the workload is shown")
        .pods
        .with_untracked(|p| p.iter().map(|p| p.name.clone()).collect())
}

/// A memo over `signal` that counts how often it had to recompute: a notification of `signal`
/// shows as one more.
fn counter<T: Send + Sync + 'static>(signal: ArcRwSignal<T>) -> (Memo<()>, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let memo = Memo::new(move |_| {
        signal.track();
        counted.fetch_add(1, Ordering::SeqCst);
    });
    memo.get_untracked();
    (memo, runs)
}

#[test]
fn workloads_come_worst_first_and_pods_by_name() {
    let _owner = owner();
    let state = LiveDeployments::new(
        vec![cluster("dev", Reachability::Reachable)],
        vec![
            workload("api", Health::Healthy, &["api-b", "api-a"]),
            workload("worker", Health::Degraded, &[]),
        ],
        Vec::new(),
    );
    assert_eq!(names(&state), ["worker", "api"]);
    assert_eq!(pod_names(&state, "api"), ["api-a", "api-b"]);
    // The workload's own signal holds no pods: they live in their own signals.
    assert!(
        state
            .find(&key("api"))
            .expect("the workload is shown")
            .info
            .with_untracked(|w| w.pods.is_empty())
    );
}

#[test]
fn a_pod_change_touches_its_row_only() {
    let _owner = owner();
    let state = LiveDeployments::new(
        Vec::new(),
        vec![workload("api", Health::Healthy, &["a", "b", "c"])],
        Vec::new(),
    );
    let live = state.find(&key("api")).expect("the workload is shown");
    let row = live.pods.with_untracked(|p| p[1].info.clone());
    let (list_memo, list_runs) = counter(live.pods.clone());
    let (row_memo, row_runs) = counter(row.clone());

    state.apply(Update::Pod {
        workload: key("api"),
        pod: pod("b", 3),
    });
    list_memo.get_untracked();
    row_memo.get_untracked();
    assert_eq!(list_runs.load(Ordering::SeqCst), 1, "the pod list was not notified");
    assert_eq!(row_runs.load(Ordering::SeqCst), 2, "the pod's row was");
    assert_eq!(row.with_untracked(|p| p.restarts), 3);

    // The same state again notifies nobody.
    state.apply(Update::Pod {
        workload: key("api"),
        pod: pod("b", 3),
    });
    row_memo.get_untracked();
    assert_eq!(row_runs.load(Ordering::SeqCst), 2);
}

#[test]
fn pods_come_and_go_in_name_order() {
    let _owner = owner();
    let state = LiveDeployments::new(
        Vec::new(),
        vec![workload("api", Health::Healthy, &["a", "c"])],
        Vec::new(),
    );
    state.apply(Update::Pod {
        workload: key("api"),
        pod: pod("b", 0),
    });
    assert_eq!(pod_names(&state, "api"), ["a", "b", "c"]);
    state.apply(Update::PodRemoved {
        workload: key("api"),
        name: "a".into(),
    });
    assert_eq!(pod_names(&state, "api"), ["b", "c"]);
    // Pods of a workload the page does not show are ignored.
    state.apply(Update::Pod {
        workload: key("other"),
        pod: pod("x", 0),
    });
    assert_eq!(names(&state), ["api"]);
}

#[test]
fn a_workload_update_keeps_its_pods_and_moves_when_its_health_does() {
    let _owner = owner();
    let state = LiveDeployments::new(
        Vec::new(),
        vec![
            workload("api", Health::Healthy, &["a"]),
            workload("web", Health::Healthy, &[]),
        ],
        Vec::new(),
    );
    assert_eq!(names(&state), ["api", "web"]);
    state.apply(Update::Workload(Box::new(workload("web", Health::Degraded, &[]))));
    assert_eq!(names(&state), ["web", "api"]);
    let mut api = workload("api", Health::Healthy, &[]);
    api.revision = Some("4".into());
    state.apply(Update::Workload(Box::new(api)));
    assert_eq!(pod_names(&state, "api"), ["a"]);
    assert_eq!(
        state
            .find(&key("api"))
            .expect("the workload is shown")
            .info
            .with_untracked(|w| w.revision.clone()),
        Some("4".into())
    );

    state.apply(Update::Workload(Box::new(workload("new", Health::Progressing, &[]))));
    assert_eq!(names(&state), ["web", "new", "api"]);
    state.apply(Update::WorkloadRemoved(key("web")));
    assert_eq!(names(&state), ["new", "api"]);
}

#[test]
fn a_snapshot_replaces_everything_but_keeps_the_rows_still_there() {
    let _owner = owner();
    let state = LiveDeployments::new(
        vec![cluster("dev", Reachability::Connecting)],
        vec![
            workload("api", Health::Healthy, &["a", "b"]),
            workload("gone", Health::Healthy, &[]),
        ],
        vec![record("api", "3", 10, RolloutOutcome::Completed)],
    );
    let row_b = state
        .find(&key("api"))
        .expect("the workload is shown")
        .pods
        .with_untracked(|p| p[1].info.clone());
    state.apply(Update::Snapshot {
        clusters: vec![cluster("dev", Reachability::Reachable)],
        workloads: vec![workload("api", Health::Healthy, &["b", "c"])],
    });
    assert_eq!(names(&state), ["api"]);
    assert_eq!(pod_names(&state, "api"), ["b", "c"]);
    let kept = state
        .find(&key("api"))
        .expect("the workload is shown")
        .pods
        .with_untracked(|p| p[0].info.clone());
    assert!(kept == row_b, "pod b keeps its signal (and its row)");
    assert_eq!(state.clusters.get_untracked()[0].reachability, Reachability::Reachable);
    assert_eq!(
        state.history.get_untracked().len(),
        1,
        "history is not part of snapshots"
    );
}

#[test]
fn clusters_are_updated_in_place_and_make_their_workloads_stale() {
    let _owner = owner();
    let state = LiveDeployments::new(
        vec![
            cluster("dev", Reachability::Reachable),
            cluster("prod", Reachability::Reachable),
        ],
        vec![workload("api", Health::Healthy, &[])],
        Vec::new(),
    );
    state.apply(Update::Cluster(cluster(
        "dev",
        Reachability::Unreachable { since_ms: 5 },
    )));
    state.apply(Update::Cluster(cluster("edge", Reachability::Connecting)));
    let clusters = state.clusters.get_untracked();
    let order: Vec<&str> = clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(order, ["dev", "prod", "edge"]);
    let api = state
        .find(&key("api"))
        .expect("the workload is shown")
        .info
        .get_untracked();
    assert_eq!(stale_since(&api, &clusters), Some(5));
    assert_eq!(stale_since(&api, &clusters[1..]), None);
}

#[test]
fn rollouts_are_one_entry_per_workload_and_rollout_newest_first() {
    let _owner = owner();
    let state = LiveDeployments::new(
        Vec::new(),
        Vec::new(),
        vec![record("api", "3", 10, RolloutOutcome::Completed)],
    );
    state.apply(Update::Rollout(record("api", "4", 20, RolloutOutcome::InProgress)));
    state.apply(Update::Rollout(record("api", "4", 20, RolloutOutcome::Failed)));
    state.apply(Update::Rollout(record("web", "4", 15, RolloutOutcome::Completed)));
    let history = state.history.get_untracked();
    let entries: Vec<(&str, &str, RolloutOutcome)> = history
        .iter()
        .map(|r| (r.key.name.as_str(), r.revision.as_str(), r.outcome))
        .collect();
    assert_eq!(
        entries,
        [
            ("api", "4", RolloutOutcome::Failed),
            ("web", "4", RolloutOutcome::Completed),
            ("api", "3", RolloutOutcome::Completed)
        ]
    );
}
