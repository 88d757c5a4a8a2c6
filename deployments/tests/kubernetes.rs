//! Watching Kubernetes clusters against a local API server (`testkit::kube_api`): the initial
//! list, live changes, resuming after a dropped connection, relisting after `410 Gone`, outages,
//! forbidden types; and (`kubernetes/cluster.rs`) the cluster as a whole: every type, Argo where
//! its CRDs exist, warnings only, kubeconfig contexts, silent connections; (`kubernetes/usage.rs`)
//! nodes, claims and volumes, and usage polled from the metrics API.
#![cfg(feature = "backend")]

#[path = "kubernetes/cluster.rs"]
mod cluster;
#[path = "kubernetes/usage.rs"]
mod usage;

use std::sync::Arc;
use std::time::{Duration, Instant};

use catalog::service::Secret;
use deployments::{
    Access, Change, Cluster, ClusterSettings, ClusterSource, ObjectKey, Reachability, ResourceWatch, ServerTrust,
    Watchable,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use testkit::kube_api::KubeApi;
use tokio::sync::broadcast;

const TOKEN: &str = "cluster-token";
const DEPLOYMENTS: [&str; 5] = [
    "checkout/cart-service",
    "checkout/checkout-service",
    "checkout/payments-service",
    "fulfilment/label-printer",
    "search/search-service",
];
/// Generous for a loaded machine; the tests pass in about a second each when nothing else runs.
const PATIENCE: Duration = Duration::from_secs(10);

fn settings(api: &KubeApi) -> ClusterSettings {
    ClusterSettings {
        name: "test".into(),
        source: ClusterSource::Url {
            api_url: api.url.clone(),
            token: Some(Secret(TOKEN.into())),
            trust: ServerTrust::InsecureSkipVerifyOnLoopback,
        },
    }
}

async fn fixtures() -> KubeApi {
    let api = KubeApi::with_fixtures().await;
    api.state().token = Some(TOKEN.into());
    api
}

async fn cluster_with_fixtures() -> (KubeApi, Cluster) {
    let api = fixtures().await;
    let cluster = Cluster::connect(&settings(&api)).expect("cluster");
    (api, cluster)
}

async fn ready<K: Watchable>(watch: &ResourceWatch<K>) {
    tokio::time::timeout(PATIENCE, watch.ready())
        .await
        .expect("the first list");
}

/// Checks `condition` until it holds; `what` names it when it never does.
async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The next change the watch broadcasts, within `limit`.
async fn next_change(changes: &mut broadcast::Receiver<Change>, limit: Duration) -> Change {
    tokio::time::timeout(limit, changes.recv())
        .await
        .expect("a change in time")
        .expect("the watch runs")
}

fn key(namespace: &str, name: &str) -> ObjectKey {
    ObjectKey {
        namespace: Some(namespace.into()),
        name: name.into(),
    }
}

fn names<K: kube::Resource>(objects: &[Arc<K>]) -> Vec<String> {
    let mut names: Vec<String> = objects
        .iter()
        .map(|o| format!("{}/{}", o.namespace().unwrap_or_default(), o.name_any()))
        .collect();
    names.sort();
    names
}

fn replicas(watch: &ResourceWatch<Deployment>, name: &str) -> Option<i32> {
    let deployment = watch.snapshot().objects.into_iter().find(|d| d.name_any() == name)?;
    deployment.spec.as_ref()?.replicas
}

fn scale(api: &KubeApi, namespace: &str, name: &str, to: i64) {
    api.modify("deployments.apps", namespace, name, |deployment| {
        deployment["spec"]["replicas"] = to.into();
        deployment["metadata"]["generation"] = (deployment["metadata"]["generation"].as_i64().unwrap_or(1) + 1).into();
    });
}

#[tokio::test]
async fn the_first_list_fills_a_store_shared_by_every_reader() {
    let (api, cluster) = cluster_with_fixtures().await;
    let deployments = cluster.watch::<Deployment>();
    let pods = cluster.watch::<Pod>();
    ready(&deployments).await;
    ready(&pods).await;

    assert_eq!(names(&deployments.snapshot().objects), DEPLOYMENTS);
    assert_eq!(pods.snapshot().objects.len(), 23);
    let payments = deployments
        .snapshot()
        .objects
        .into_iter()
        .find(|d| d.name_any() == "payments-service")
        .expect("payments-service");
    let status = payments.status.as_ref().expect("status");
    assert_eq!((status.replicas, status.ready_replicas), (Some(3), Some(2)));
    let crashing = pods
        .snapshot()
        .objects
        .into_iter()
        .find(|p| p.name_any() == "payments-service-5b8c9d7f6-v8b2c")
        .expect("pod");
    let container = &crashing
        .status
        .as_ref()
        .expect("status")
        .container_statuses
        .as_ref()
        .expect("containers")[0];
    assert_eq!(container.restart_count, 7);
    let waiting = container
        .state
        .as_ref()
        .and_then(|s| s.waiting.as_ref())
        .and_then(|w| w.reason.as_deref());
    assert_eq!(waiting, Some("CrashLoopBackOff"));

    assert_eq!(deployments.snapshot().stale_since, None);
    assert_eq!(*cluster.reachability().borrow(), Reachability::Reachable);
    assert_eq!(*deployments.access().borrow(), Access::Allowed);
    // However many readers ask, the cluster is watched once per type.
    assert!(Arc::ptr_eq(&deployments, &cluster.watch::<Deployment>()));
    assert_eq!(api.lists("deployments.apps"), 1);
    until("each type has one watch open", || {
        api.open_watches_of("deployments.apps") == 1 && api.open_watches_of("pods") == 1
    })
    .await;
}

#[tokio::test]
async fn a_scaled_deployment_arrives_within_a_second() {
    let (api, cluster) = cluster_with_fixtures().await;
    let deployments = cluster.watch::<Deployment>();
    ready(&deployments).await;
    let mut changes = deployments.changes();
    until("the watch is open", || api.open_watches_of("deployments.apps") == 1).await;

    scale(&api, "checkout", "checkout-service", 5);

    let change = next_change(&mut changes, Duration::from_secs(1)).await;
    assert_eq!(change, Change::Applied(key("checkout", "checkout-service")));
    assert_eq!(replicas(&deployments, "checkout-service"), Some(5));
}

#[tokio::test]
async fn a_deleted_pod_disappears() {
    let (api, cluster) = cluster_with_fixtures().await;
    let pods = cluster.watch::<Pod>();
    ready(&pods).await;
    let mut changes = pods.changes();

    api.delete("pods", "checkout", "checkout-service-7d9f8b6c5d-q7w4z");

    let change = next_change(&mut changes, PATIENCE).await;
    assert_eq!(
        change,
        Change::Deleted(key("checkout", "checkout-service-7d9f8b6c5d-q7w4z"))
    );
    let left = names(&pods.snapshot().objects);
    assert_eq!(left.len(), 22);
    assert!(!left.contains(&"checkout/checkout-service-7d9f8b6c5d-q7w4z".to_string()));
}

#[tokio::test]
async fn gone_relists_and_keeps_the_objects_meanwhile() {
    let (api, cluster) = cluster_with_fixtures().await;
    let deployments = cluster.watch::<Deployment>();
    ready(&deployments).await;
    let mut changes = deployments.changes();
    until("the watch is open", || api.open_watches_of("deployments.apps") == 1).await;

    // The watch ends; its resourceVersion has been compacted away by the time it resumes.
    api.compact();
    api.end_watches();
    until("the server answered 410 Gone", || api.state().gone >= 1).await;
    assert_eq!(
        deployments.snapshot().objects.len(),
        5,
        "the store keeps its objects while relisting"
    );

    assert_eq!(next_change(&mut changes, PATIENCE).await, Change::Relisted);
    assert_eq!(api.lists("deployments.apps"), 2);
    assert_eq!(names(&deployments.snapshot().objects), DEPLOYMENTS);

    // And it watches again from the new list.
    scale(&api, "fulfilment", "label-printer", 2);
    assert_eq!(
        next_change(&mut changes, PATIENCE).await,
        Change::Applied(key("fulfilment", "label-printer"))
    );
    assert_eq!(replicas(&deployments, "label-printer"), Some(2));
}

#[tokio::test]
async fn a_dropped_connection_resumes_where_it_left_off() {
    let (api, cluster) = cluster_with_fixtures().await;
    let deployments = cluster.watch::<Deployment>();
    ready(&deployments).await;
    let mut changes = deployments.changes();
    until("the watch is open", || api.open_watches_of("deployments.apps") == 1).await;

    api.drop_connections();
    // Happens while no watch is open: the resumed watch replays it.
    scale(&api, "checkout", "payments-service", 4);

    assert_eq!(
        next_change(&mut changes, PATIENCE).await,
        Change::Applied(key("checkout", "payments-service"))
    );
    assert_eq!(replicas(&deployments, "payments-service"), Some(4));
    assert_eq!(
        api.lists("deployments.apps"),
        1,
        "resumed from its resourceVersion, not relisted"
    );
    assert!(api.watch_requests("deployments.apps") >= 2);
}

#[tokio::test]
async fn a_bookmark_lets_a_watch_resume_after_compaction_without_relisting() {
    let (api, cluster) = cluster_with_fixtures().await;
    let deployments = cluster.watch::<Deployment>();
    ready(&deployments).await;
    let mut changes = deployments.changes();
    // Every type's watch, so none is still listing (and would resume from before) at compaction.
    let watched = testkit::kube_api::TYPES.iter().filter(|t| !t.is_metrics()).count();
    until("every watch is open", || api.open_watches() == watched).await;

    api.compact();
    // Carries the revision past the compaction, as the API server's periodic bookmarks do.
    api.bookmark();
    api.end_watches();
    until("the watch is open again", || {
        api.watch_requests("deployments.apps") >= 2 && api.open_watches_of("deployments.apps") == 1
    })
    .await;
    scale(&api, "checkout", "checkout-service", 1);

    assert_eq!(
        next_change(&mut changes, PATIENCE).await,
        Change::Applied(key("checkout", "checkout-service"))
    );
    assert_eq!(api.state().gone, 0);
    assert_eq!(api.lists("deployments.apps"), 1);
}

#[tokio::test]
async fn an_outage_keeps_the_last_state_marked_stale_until_the_cluster_returns() {
    let (api, cluster) = cluster_with_fixtures().await;
    let pods = cluster.watch::<Pod>();
    ready(&pods).await;
    let mut reachability = cluster.reachability();
    until("the watch is open", || api.open_watches_of("deployments.apps") == 1).await;

    api.outage();
    let down = tokio::time::timeout(
        PATIENCE,
        reachability.wait_for(|r| matches!(r, Reachability::Unreachable { .. })),
    )
    .await
    .expect("the outage noticed")
    .expect("the cluster lives")
    .clone();
    let Reachability::Unreachable { since } = down else {
        unreachable!()
    };
    let snapshot = pods.snapshot();
    assert_eq!(snapshot.objects.len(), 23, "the last known pods stay");
    assert_eq!(snapshot.stale_since, Some(since));

    // Deleted while nobody could see: shown once the cluster is back.
    api.delete("pods", "fulfilment", "label-printer-7f8c9d6b5-w2x4y");
    api.restore();
    tokio::time::timeout(PATIENCE, reachability.wait_for(|r| *r == Reachability::Reachable))
        .await
        .expect("the return noticed")
        .expect("the cluster lives");
    until("the resumed watch replays the deletion", || {
        pods.snapshot().objects.len() == 22
    })
    .await;
    assert_eq!(pods.snapshot().stale_since, None);
}

#[tokio::test]
async fn a_cluster_down_from_the_start_stays_unreachable_since_the_first_failure() {
    let (api, cluster) = cluster_with_fixtures().await;
    api.outage();
    let deployments = cluster.watch::<Deployment>();
    let mut reachability = cluster.reachability();
    let first = tokio::time::timeout(
        PATIENCE,
        reachability.wait_for(|r| matches!(r, Reachability::Unreachable { .. })),
    )
    .await
    .expect("the outage noticed")
    .expect("the cluster lives")
    .clone();

    // Every retry starts a fresh list; none of them may pass for an answer.
    until("the watch retried", || api.refused("/apis/apps/v1/deployments") >= 2).await;
    assert!(
        !reachability.has_changed().expect("the cluster lives"),
        "still {first:?}"
    );
    assert!(deployments.snapshot().objects.is_empty());

    api.restore();
    ready(&deployments).await;
    assert_eq!(*cluster.reachability().borrow(), Reachability::Reachable);
}

#[tokio::test]
async fn a_forbidden_type_stays_reported_while_the_watch_retries() {
    let (api, cluster) = cluster_with_fixtures().await;
    api.forbid("pods");
    let pods = cluster.watch::<Pod>();
    ready(&pods).await;
    let mut access = pods.access();
    assert!(matches!(*access.borrow_and_update(), Access::Forbidden { .. }));

    until("the watch asked again", || api.lists("pods") >= 2).await;
    assert!(!access.has_changed().expect("the watch runs"), "{:?}", *access.borrow());
}

#[tokio::test]
async fn a_forbidden_type_is_reported_for_that_type_only() {
    let (api, cluster) = cluster_with_fixtures().await;
    api.forbid("pods");
    let pods = cluster.watch::<Pod>();
    let deployments = cluster.watch::<Deployment>();
    ready(&deployments).await;

    ready(&pods).await;

    let Access::Forbidden { message } = pods.access().borrow().clone() else {
        panic!("pods reported as {:?}", pods.access().borrow())
    };
    assert!(
        message.starts_with("The service account may not list pods in this cluster"),
        "{message}"
    );
    assert!(message.contains("cannot list resource \"pods\""), "{message}");
    assert!(pods.snapshot().objects.is_empty());
    assert_eq!(*deployments.access().borrow(), Access::Allowed);
    assert_eq!(
        *cluster.reachability().borrow(),
        Reachability::Reachable,
        "a refusal is an answer"
    );
}

#[tokio::test]
async fn the_local_api_lists_by_namespace_and_label_as_kube_reads_it() {
    let api = fixtures().await;
    let settings = settings(&api);
    let client = settings.client().expect("client");
    let checkout: kube::Api<Pod> = kube::Api::namespaced(client.clone(), "checkout");
    let selected = checkout
        .list(&kube::api::ListParams::default().labels("app.kubernetes.io/name in (payments-service,label-printer)"))
        .await
        .expect("list");
    assert_eq!(
        names(&selected.items.into_iter().map(Arc::new).collect::<Vec<_>>()),
        [
            "checkout/payments-service-5b8c9d7f6-h3j6t",
            "checkout/payments-service-5b8c9d7f6-k9l2s",
            "checkout/payments-service-5b8c9d7f6-v8b2c"
        ]
    );
    let all: kube::Api<Pod> = kube::Api::all(client.clone());
    let not_checkout = all
        .list(&kube::api::ListParams::default().labels("app.kubernetes.io/name!=checkout-service"))
        .await
        .expect("list");
    assert_eq!(not_checkout.items.len(), 20);
    let by_name = all
        .list(&kube::api::ListParams::default().fields("metadata.name=search-indexer-1"))
        .await
        .expect("list");
    assert_eq!(
        names(&by_name.items.into_iter().map(Arc::new).collect::<Vec<_>>()),
        ["search/search-indexer-1"]
    );

    let events: kube::Api<k8s_openapi::api::core::v1::Event> = kube::Api::all(client.clone());
    let not_normal = events
        .list(&kube::api::ListParams::default().fields("type!=Normal"))
        .await
        .expect("list");
    assert_eq!(not_normal.items.len(), 5);
    assert!(not_normal.items.iter().all(|e| e.type_.as_deref() == Some("Warning")));

    // Discovery, as kube reads it.
    let core = client.list_core_api_versions().await.expect("/api");
    assert_eq!(core.versions, ["v1"]);
    let v1 = client.list_core_api_resources("v1").await.expect("/api/v1");
    assert!(
        v1.resources
            .iter()
            .any(|r| r.name == "pods" && r.kind == "Pod" && r.namespaced)
    );
    let groups = client.list_api_groups().await.expect("/apis");
    let group_names: Vec<&str> = groups.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        group_names,
        [
            "apps",
            "networking.k8s.io",
            "autoscaling",
            "argoproj.io",
            "pyrra.dev",
            "metrics.k8s.io"
        ]
    );
    let argo = kube::discovery::group(&client, "argoproj.io")
        .await
        .expect("argoproj.io");
    let mut kinds: Vec<String> = argo.recommended_resources().into_iter().map(|(r, _)| r.kind).collect();
    kinds.sort();
    assert_eq!(kinds, ["Application", "Rollout"]);
    api.remove_definition("applications.argoproj.io");
    api.remove_definition("rollouts.argoproj.io");
    let absent = client
        .list_api_group_resources("argoproj.io/v1alpha1")
        .await
        .expect_err("absent");
    assert!(matches!(absent, kube::Error::Api(status) if status.code == 404));

    // Pages of 10 with a continue token, as the watcher's relists read them.
    let mut params = kube::api::ListParams::default().limit(10);
    let mut paged = Vec::new();
    loop {
        let page = all.list(&params).await.expect("page");
        assert!(page.items.len() <= 10);
        paged.extend(page.items.into_iter().map(Arc::new));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!(paged.len(), 23);
    assert!(not_checkout.metadata.resource_version.is_some_and(|v| !v.is_empty()));

    // A list at a compacted resourceVersion, exactly, is gone.
    api.compact();
    let exact = kube::api::ListParams::default()
        .at("1")
        .matching(kube::api::VersionMatch::Exact);
    let gone = all.list(&exact).await.expect_err("compacted");
    assert!(matches!(gone, kube::Error::Api(status) if status.code == 410 && status.reason == "Expired"));

    let stranger = ClusterSettings {
        source: ClusterSource::Url {
            api_url: api.url.clone(),
            token: Some(Secret("wrong".into())),
            trust: ServerTrust::InsecureSkipVerifyOnLoopback,
        },
        ..settings
    }
    .client()
    .expect("client");
    let refused = kube::Api::<Pod>::all(stranger)
        .list(&Default::default())
        .await
        .expect_err("refused");
    assert!(matches!(refused, kube::Error::Api(status) if status.code == 401));
}
