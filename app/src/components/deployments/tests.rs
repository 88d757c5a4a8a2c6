//! The views rendered as the server renders them, from a cluster's state with every kind of detail.

use deployments::model::{
    ClusterState, ContainerInfo, ContainerState, ForbiddenType, Health, PodInfo, Problem, ProblemKind, Reachability,
    RolloutOutcome, RolloutRecord, Termination, Workload,
};
use leptos::prelude::*;

use super::clusters::ClusterSections;
use super::filters::Filters;
use super::overview::DeploymentsTable;
use super::problems::ProblemSummary;
use super::state::LiveDeployments;
use super::timeline::RolloutTimeline;

const SINCE: i64 = 1_764_931_320_000; // 2025-12-05T10:42:00Z

fn workload() -> Workload {
    let json = serde_json::json!({
        "key": {"cluster": "dev", "namespace": "checkout", "kind": "Deployment", "name": "payments-service"},
        "entity": "component:default/payments-service", "owner": "group:default/team-checkout",
        "createdMs": SINCE, "replicas": {"desired": 3, "updated": 3, "ready": 2, "available": 2},
        "revision": "4", "revisionSinceMs": SINCE,
        "images": [{"container": "app", "image": "registry.example/payments:5.2.0", "tag": "5.2.0",
                    "digest": "sha256:a7fa5a82d38e09f74e9565ae611323d94d26ff160b2da624a8f4ed4d70625213"}],
        "rollout": {"phase": "Complete", "message": null, "sinceMs": SINCE, "strategy": "RollingUpdate"},
        "pods": [],
        "autoscaler": {"name": "payments", "min": 2, "max": 3, "current": 3, "desired": 3,
                       "metrics": [{"name": "cpu", "current": "82%", "target": "70%"}]},
        "events": [{"object": "Pod/payments-service-v8b2c", "reason": "BackOff", "message": "Back-off restarting",
                    "count": 12, "lastSeenMs": SINCE}],
        "argoCd": {"application": "payments", "sync": "OutOfSync", "health": "Healthy", "revision": "abc123", "message": null},
        "argoRollout": {"strategy": "canary", "phase": "Paused", "step": 2, "steps": 4, "canaryWeight": 25, "message": null},
        "health": "Degraded", "problems": [], "staleSinceMs": null
    });
    let mut workload: Workload = serde_json::from_value(json).expect("a workload");
    workload.problems = vec![Problem {
        kind: ProblemKind::CrashLooping,
        affected: 1,
        total: 3,
        since_ms: Some(SINCE),
        detail: Some("OOMKilled".into()),
    }];
    workload.pods = vec![pod("payments-service-v8b2c"), pod("<script>alert(1)</script>")];
    workload
}

fn pod(name: &str) -> PodInfo {
    PodInfo {
        name: name.into(),
        phase: "Running".into(),
        ready: false,
        restarts: 7,
        node: Some("worker-2".into()),
        created_ms: Some(SINCE),
        unschedulable: None,
        containers: vec![ContainerInfo {
            name: "app".into(),
            ready: false,
            restarts: 7,
            state: ContainerState::Waiting {
                reason: "CrashLoopBackOff".into(),
                message: Some("back-off 5m0s".into()),
            },
            last_termination: Some(Termination {
                reason: "OOMKilled".into(),
                exit_code: 137,
                finished_ms: Some(SINCE),
            }),
            digest: None,
        }],
    }
}

fn clusters() -> Vec<ClusterState> {
    vec![
        ClusterState {
            name: "dev".into(),
            reachability: Reachability::Unreachable { since_ms: SINCE },
            forbidden: vec![ForbiddenType {
                resource: "horizontalpodautoscalers.autoscaling".into(),
                message: "forbidden: User \"cairn\" cannot list".into(),
            }],
        },
        ClusterState {
            name: "prod".into(),
            reachability: Reachability::Reachable,
            forbidden: Vec::new(),
        },
    ]
}

fn render<V: IntoView + 'static>(view: impl FnOnce() -> V + 'static) -> String {
    let owner = Owner::new();
    owner.set();
    owner.with(|| view().into_view().to_html())
}

#[test]
fn the_entity_tab_says_everything_and_escapes_what_clusters_say() {
    let html = render(|| {
        let record = RolloutRecord {
            key: workload().key,
            seq: 4,
            entity: None,
            revision: "4".into(),
            version: "app=registry.example/payments:5.2.0".into(),
            outcome: RolloutOutcome::RolledBack,
            started_ms: SINCE,
            finished_ms: Some(SINCE + 125_000),
            message: None,
        };
        let state = LiveDeployments::new(clusters(), vec![workload()], vec![record]);
        let now = RwSignal::new(None);
        view! {
            <ProblemSummary state />
            <ClusterSections state now />
            <RolloutTimeline history=state.history />
        }
    });
    for expected in [
        "Deployment payments-service (dev/checkout)",
        "1 of 3 pods crash-looping since 10:42 UTC: OOMKilled",
        "dev: unreachable since 10:42 UTC — showing its last known state",
        "horizontalpodautoscalers.autoscaling",
        "CrashLoopBackOff",
        "app: OOMKilled (exit 137) at 2025-12-05 10:42 UTC",
        "a7fa5a82d38e",
        "3 current, 3 desired (min 2, max 3)",
        "82% (target 70%)",
        "OutOfSync",
        "step 2 of 4, canary weight 25%",
        "BackOff",
        "Rolled back",
        "took 2 min 5 s",
        "Pods: 0 of 2 ready",
        "data-testid=\"stale\"",
        // Ages are absolute on the server (the reader's clock is unknown there).
        "2025-12-05 10:42 UTC",
    ] {
        assert!(html.contains(expected), "{expected:?} is missing from {html}");
    }
    assert!(!html.contains("<script>alert"), "cluster data is escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn the_overview_lists_matching_workloads_only() {
    let html = render(|| {
        let mut healthy = workload();
        healthy.key.name = "search-indexer".into();
        healthy.health = Health::Healthy;
        healthy.problems.clear();
        let state = LiveDeployments::new(clusters(), vec![workload(), healthy], Vec::new());
        let filters = Filters {
            state: "degraded".into(),
            ..Filters::default()
        };
        view! { <DeploymentsTable state filters /> }
    });
    assert!(html.contains("1 workload<"), "{html}");
    assert!(html.contains("dev/checkout/Deployment/payments-service"));
    assert!(!html.contains("search-indexer"));
    assert!(html.contains("team-checkout"));
    assert!(html.contains("1 of 3 pods crash-looping since 10:42 UTC: OOMKilled"));
}
