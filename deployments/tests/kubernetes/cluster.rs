//! A cluster as a whole: every watched type in `objects()`, Argo only where its CRDs exist,
//! forbidden types in `state()`, warnings only, kubeconfig contexts, a silent watch noticed.

use std::time::Duration;

use deployments::model::{ClusterState, ForbiddenType};
use deployments::{ClusterChange, KubernetesError, WatchTiming, WatchedType};
use serde_json::json;

use super::*;

async fn all_ready(cluster: &Cluster) {
    tokio::time::timeout(PATIENCE, cluster.ready())
        .await
        .expect("every watch listed");
}

/// The next merged change that satisfies `wanted`, skipping the others.
async fn change_where(
    changes: &mut broadcast::Receiver<ClusterChange>,
    wanted: impl Fn(&ClusterChange) -> bool,
) -> ClusterChange {
    tokio::time::timeout(PATIENCE, async {
        loop {
            let change = changes.recv().await.expect("the cluster runs");
            if wanted(&change) {
                return change;
            }
        }
    })
    .await
    .expect("the change in time")
}

#[tokio::test]
async fn every_watched_type_reaches_the_objects() {
    let (_api, cluster) = cluster_with_fixtures().await;
    all_ready(&cluster).await;

    let objects = cluster.objects();
    assert_eq!(objects.cluster, "test");
    assert_eq!(objects.stale_since_ms, None);
    assert_eq!(names(&objects.deployments), DEPLOYMENTS);
    assert_eq!(names(&objects.stateful_sets), ["search/search-indexer"]);
    assert_eq!(names(&objects.daemon_sets), ["platform/api-gateway"]);
    assert_eq!(objects.replica_sets.len(), 9);
    assert_eq!(objects.pods.len(), 23);
    assert_eq!(
        names(&objects.services),
        ["checkout/checkout-service", "search/search-service"]
    );
    assert_eq!(names(&objects.ingresses), ["checkout/checkout-service"]);
    let hpa = &objects.autoscalers[0];
    let status = hpa.status.as_ref().expect("status");
    assert_eq!((status.current_replicas, status.desired_replicas), (Some(4), 4));
    assert_eq!(objects.events.len(), 5);
    assert_eq!(
        names(&objects.argo_applications),
        ["argocd/checkout-service", "argocd/inventory-service"]
    );
    let rollout = &objects.argo_rollouts[0];
    assert_eq!(rollout.data["status"]["currentStepIndex"], 1);
    assert_eq!(rollout.data["spec"]["strategy"]["canary"]["steps"][0]["setWeight"], 25);
    assert_eq!(
        cluster.state(),
        ClusterState {
            name: "test".into(),
            reachability: deployments::model::Reachability::Reachable,
            forbidden: vec![],
        }
    );
}

#[tokio::test]
async fn argo_types_are_watched_only_where_their_crds_exist() {
    let api = fixtures().await;
    api.remove_definition("applications.argoproj.io");
    api.remove_definition("rollouts.argoproj.io");
    let cluster = Cluster::connect(&settings(&api)).expect("cluster");
    all_ready(&cluster).await;

    let objects = cluster.objects();
    assert!(objects.argo_applications.is_empty() && objects.argo_rollouts.is_empty());
    assert!(cluster.argo_rollouts().is_none());
    assert_eq!(cluster.state().forbidden, vec![], "an absent group is no error");
    assert_eq!(
        api.lists("rollouts.argoproj.io") + api.lists("applications.argoproj.io"),
        0
    );
    assert_eq!(objects.deployments.len(), 5);

    // Installed later: found when discovery is next asked.
    api.install_definition("rollouts.argoproj.io");
    let mut changes = cluster.changes();
    cluster.discover().await;
    change_where(&mut changes, |c| *c == ClusterChange::State).await;
    all_ready(&cluster).await;
    let objects = cluster.objects();
    assert_eq!(names(&objects.argo_rollouts), ["inventory/inventory-service"]);
    assert!(objects.argo_applications.is_empty());

    // And a rollout's step reaches the merged stream.
    api.modify("rollouts.argoproj.io", "inventory", "inventory-service", |rollout| {
        rollout["status"]["currentStepIndex"] = 2.into();
    });
    let change = change_where(&mut changes, |c| {
        matches!(
            c,
            ClusterChange::Objects {
                change: Change::Applied(_),
                ..
            }
        )
    })
    .await;
    assert_eq!(
        change,
        ClusterChange::Objects {
            resource: WatchedType::ArgoRollout,
            change: Change::Applied(key("inventory", "inventory-service")),
        }
    );
    assert_eq!(cluster.objects().argo_rollouts[0].data["status"]["currentStepIndex"], 2);

    // Removed again: no longer watched.
    api.remove_definition("rollouts.argoproj.io");
    cluster.discover().await;
    assert!(cluster.argo_rollouts().is_none());
    assert!(cluster.objects().argo_rollouts.is_empty());
}

#[tokio::test]
async fn a_cluster_down_at_start_has_its_argo_types_found_once_it_answers() {
    let api = fixtures().await;
    api.outage();
    let cluster = Cluster::connect(&settings(&api)).expect("cluster");
    let mut reachability = cluster.reachability();
    tokio::time::timeout(
        PATIENCE,
        reachability.wait_for(|r| matches!(r, Reachability::Unreachable { .. })),
    )
    .await
    .expect("the outage noticed")
    .expect("the cluster lives");
    assert!(cluster.argo_applications().is_none());

    api.restore();
    // Not three minutes later, at the next discovery: when the cluster answers again.
    until("Argo's types are found", || {
        cluster.argo_applications().is_some() && cluster.argo_rollouts().is_some()
    })
    .await;
    all_ready(&cluster).await;
    assert_eq!(cluster.objects().argo_applications.len(), 2);
}

#[tokio::test]
async fn a_forbidden_type_is_named_in_the_state_while_the_others_work() {
    let api = fixtures().await;
    api.forbid("horizontalpodautoscalers.autoscaling");
    let cluster = Cluster::connect(&settings(&api)).expect("cluster");
    all_ready(&cluster).await;

    let state = cluster.state();
    let [ForbiddenType { resource, message }] = state.forbidden.as_slice() else {
        panic!("{:?}", state.forbidden)
    };
    assert_eq!(resource, "horizontalpodautoscalers.autoscaling");
    assert!(
        message.starts_with("The service account may not list horizontalpodautoscalers.autoscaling in this cluster"),
        "{message}"
    );
    assert_eq!(state.reachability, deployments::model::Reachability::Reachable);
    let objects = cluster.objects();
    assert!(objects.autoscalers.is_empty());
    assert_eq!((objects.deployments.len(), objects.pods.len()), (5, 23));
}

#[tokio::test]
async fn managed_fields_and_the_last_applied_copy_are_not_kept() {
    let (api, cluster) = cluster_with_fixtures().await;
    let deployments = cluster.watch::<Deployment>();
    ready(&deployments).await;
    let mut changes = deployments.changes();

    api.modify("deployments.apps", "checkout", "cart-service", |deployment| {
        let metadata = &mut deployment["metadata"];
        metadata["managedFields"] = json!([{
            "manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "apps/v1",
            "time": "2026-12-05T10:30:55Z", "fieldsType": "FieldsV1", "fieldsV1": { "f:spec": { "f:replicas": {} } },
        }]);
        metadata["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
            "{\"apiVersion\":\"apps/v1\"}".into();
    });

    next_change(&mut changes, PATIENCE).await;
    let cart = deployments
        .snapshot()
        .objects
        .into_iter()
        .find(|d| d.name_any() == "cart-service")
        .expect("cart-service");
    assert_eq!(cart.metadata.managed_fields.as_deref().map(<[_]>::len).unwrap_or(0), 0);
    let annotations = cart.metadata.annotations.as_ref().expect("annotations");
    assert!(!annotations.contains_key("kubectl.kubernetes.io/last-applied-configuration"));
    assert_eq!(annotations["deployment.kubernetes.io/revision"], "5");
}

fn event(name: &str, kind: &str, reason: &str) -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": { "name": name, "namespace": "checkout" },
        "involvedObject": { "kind": "Pod", "namespace": "checkout", "name": "checkout-service-7d9f8b6c5d-x2k9m", "apiVersion": "v1" },
        "reason": reason, "message": reason, "type": kind, "count": 1,
        "source": { "component": "kubelet", "host": "worker-2" },
        "firstTimestamp": "2026-12-05T11:00:00Z", "lastTimestamp": "2026-12-05T11:00:00Z",
    })
}

#[tokio::test]
async fn only_warning_events_are_watched() {
    let (api, cluster) = cluster_with_fixtures().await;
    all_ready(&cluster).await;
    assert!(
        cluster
            .objects()
            .events
            .iter()
            .all(|e| e.type_.as_deref() == Some("Warning"))
    );
    let mut changes = cluster.changes();

    // The normal one is sent first: had the watch taken it, it would arrive first.
    api.apply(event("checkout-service.normal", "Normal", "Pulled"));
    api.apply(event("checkout-service.warning", "Warning", "Unhealthy"));

    let change = change_where(&mut changes, |c| {
        matches!(
            c,
            ClusterChange::Objects {
                resource: WatchedType::Event,
                ..
            }
        )
    })
    .await;
    assert_eq!(
        change,
        ClusterChange::Objects {
            resource: WatchedType::Event,
            change: Change::Applied(key("checkout", "checkout-service.warning")),
        }
    );
    assert_eq!(cluster.objects().events.len(), 6);
}

fn kubeconfig(api: &KubeApi) -> String {
    format!(
        "apiVersion: v1
kind: Config
current-context: elsewhere
clusters:
- name: local
  cluster:
    server: {url}
- name: far
  cluster:
    server: https://k8s.invalid:6443
users:
- name: cairn
  user:
    token: {TOKEN}
contexts:
- name: elsewhere
  context: {{cluster: far, user: cairn}}
- name: fake
  context: {{cluster: local, user: cairn, namespace: checkout}}
",
        url = api.url
    )
}

#[tokio::test]
async fn a_kubeconfig_context_chosen_by_name_reaches_its_cluster() {
    let api = fixtures().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("config");
    std::fs::write(&path, kubeconfig(&api)).expect("kubeconfig");
    let from = |context: &str| ClusterSettings {
        name: "kubeconfig".into(),
        source: ClusterSource::Kubeconfig {
            path: Some(path.clone()),
            context: Some(context.into()),
        },
    };

    let cluster = Cluster::connect(&from("fake")).expect("cluster");
    all_ready(&cluster).await;
    assert_eq!(names(&cluster.objects().deployments), DEPLOYMENTS);

    let Err(unknown) = Cluster::connect(&from("prod")) else {
        panic!("an unknown context connected")
    };
    assert!(matches!(unknown, KubernetesError::Kubeconfig { .. }));
    let message = unknown.to_string();
    assert!(message.starts_with("cluster kubeconfig: kubeconfig "), "{message}");
    assert!(
        message.ends_with("it has no context \"prod\" (it has: elsewhere, fake)"),
        "{message}"
    );

    let missing = ClusterSettings {
        name: "gone".into(),
        source: ClusterSource::Kubeconfig {
            path: Some(dir.path().join("absent")),
            context: None,
        },
    };
    let Err(unreadable) = Cluster::connect(&missing) else {
        panic!("a missing kubeconfig connected")
    };
    let message = unreadable.to_string();
    assert!(message.contains("absent: cannot read it"), "{message}");
}

#[tokio::test]
async fn a_watch_connection_gone_silent_is_noticed() {
    let api = fixtures().await;
    let timing = WatchTiming {
        watch_timeout: Duration::from_secs(1),
        ..WatchTiming::default()
    };
    let cluster = Cluster::connect_with(&settings(&api), timing).expect("cluster");
    all_ready(&cluster).await;
    let deployments = cluster.watch::<Deployment>();
    let mut changes = deployments.changes();
    until("the watch is open", || api.open_watches_of("deployments.apps") == 1).await;

    // Open watches stay open and say nothing more, however long; only a new watch sees this.
    api.silence_watches();
    scale(&api, "search", "search-service", 6);

    assert_eq!(
        next_change(&mut changes, PATIENCE).await,
        Change::Applied(key("search", "search-service"))
    );
    assert_eq!(replicas(&deployments, "search-service"), Some(6));
}

/// Against a real cluster, for people who have one (kind, k3d): set `CAIRN_TEST_KUBECONFIG` to a
/// kubeconfig file and optionally `CAIRN_TEST_KUBE_CONTEXT` to one of its contexts. Without them
/// the test passes at once, saying so. The service account needs list and watch on the types.
#[tokio::test]
async fn a_real_cluster_when_one_is_configured() {
    let Some(path) = std::env::var_os("CAIRN_TEST_KUBECONFIG") else {
        eprintln!("skipped: set CAIRN_TEST_KUBECONFIG (and CAIRN_TEST_KUBE_CONTEXT) to test a real cluster");
        return;
    };
    let settings = ClusterSettings {
        name: "real".into(),
        source: ClusterSource::Kubeconfig {
            path: Some(path.into()),
            context: std::env::var("CAIRN_TEST_KUBE_CONTEXT").ok(),
        },
    };
    let cluster = Cluster::connect(&settings).expect("cluster");
    tokio::time::timeout(Duration::from_secs(60), cluster.ready())
        .await
        .expect("every watch listed within a minute");
    let state = cluster.state();
    assert_eq!(state.reachability, deployments::model::Reachability::Reachable);
    assert_eq!(state.forbidden, vec![], "the account may list every type");
    let objects = cluster.objects();
    assert!(!objects.pods.is_empty(), "a cluster runs at least its own pods");
    assert!(
        objects.events.iter().all(|e| e.type_.as_deref() == Some("Warning")),
        "events are warnings only"
    );
}

/// Everything the local API's scenarios and generator write reads as the typed objects kube
/// decodes: a field of the wrong shape would fail the watch, not just one object.
#[tokio::test]
async fn scenario_and_generated_objects_decode_as_kube_reads_them() {
    use testkit::kube_api::scenarios::Outcome;

    let (api, cluster) = cluster_with_fixtures().await;
    api.load_synthetic(2, 5, "bench");
    all_ready(&cluster).await;
    api.roll_out(
        "checkout",
        "checkout-service",
        "registry.example/checkout:9",
        Outcome::Failed,
    );
    let cart = api.roll_out("checkout", "cart-service", "registry.example/cart:9", Outcome::Complete);
    api.crash_loop("search", "search-indexer-1", 2, "Error");
    let search = api.autoscale("search", "search-service", 5, 88);
    let rollout = api.canary_step("inventory", "inventory-service", 2);

    // Each type's watch keeps its own order, not the cluster's: wait for each one's last write.
    let at = |objects: &[Arc<Deployment>], name: &str, revision: u64| {
        objects
            .iter()
            .any(|d| d.name_any() == name && d.metadata.resource_version == Some(revision.to_string()))
    };
    until("every write arrived", || {
        let objects = cluster.objects();
        at(&objects.deployments, "cart-service", cart)
            && at(&objects.deployments, "search-service", search)
            && objects.argo_rollouts[0].metadata.resource_version == Some(rollout.to_string())
            && objects
                .events
                .iter()
                .any(|e| e.involved_object.name.as_deref() == Some("search-indexer-1"))
    })
    .await;
    let objects = cluster.objects();
    let synthetic = objects
        .pods
        .iter()
        .filter(|p| p.namespace().as_deref() == Some("bench"))
        .count();
    assert_eq!(synthetic, 10);
    let cart = objects
        .deployments
        .iter()
        .find(|d| d.name_any() == "cart-service")
        .expect("cart");
    let status = cart.status.as_ref().expect("status");
    assert_eq!((status.ready_replicas, status.updated_replicas), (Some(2), Some(2)));
    assert_eq!(
        objects.argo_rollouts[0].data["status"]["canary"]["weights"]["canary"]["weight"],
        50
    );
    assert_eq!(cluster.state().forbidden, vec![]);
}
