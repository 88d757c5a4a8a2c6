//! The scenarios the local Kubernetes API plays (scaling, rollouts and rollbacks, crash loops,
//! autoscaling, canary steps) leave the objects as a cluster's controllers would.

use serde_json::Value;
use testkit::kube_api::KubeApi;
use testkit::kube_api::scenarios::Outcome;

const NEW: &str = "registry.northwind.example/checkout/checkout-service:2.15.0";
const OLD: &str = "registry.northwind.example/checkout/checkout-service:2.14.1";

fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// The pods a ReplicaSet controls, with their readiness.
fn pods_of(api: &KubeApi, namespace: &str, set: &Value) -> Vec<Value> {
    api.list("pods", namespace)
        .into_iter()
        .filter(|p| p["metadata"]["ownerReferences"][0]["uid"] == set["metadata"]["uid"])
        .collect()
}

fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

/// `(name, revision, replicas, pods)` of each ReplicaSet of `prefix`.
fn replica_sets(api: &KubeApi, namespace: &str, prefix: &str) -> Vec<(String, String, u64, usize)> {
    api.list("replicasets.apps", namespace)
        .into_iter()
        .filter(|s| name(s).starts_with(prefix))
        .map(|s| {
            let revision = s["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let pods = pods_of(api, namespace, &s).len();
            (
                name(&s).to_owned(),
                revision,
                s["spec"]["replicas"].as_u64().unwrap_or(0),
                pods,
            )
        })
        .collect()
}

fn status_of(api: &KubeApi, namespace: &str, deployment: &str) -> Value {
    api.get("deployments.apps", namespace, deployment).expect("deployment")["status"].clone()
}

#[tokio::test]
async fn a_rollout_replaces_the_pods_and_a_rollback_reuses_the_old_replica_set() {
    let api = KubeApi::with_fixtures().await;

    api.roll_out("checkout", "checkout-service", NEW, Outcome::Progressing);
    let deployment = api
        .get("deployments.apps", "checkout", "checkout-service")
        .expect("deployment");
    assert_eq!(
        deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "8"
    );
    assert_eq!(deployment["spec"]["template"]["spec"]["containers"][0]["image"], NEW);
    let status = &deployment["status"];
    assert_eq!(
        (status["replicas"].as_u64(), status["updatedReplicas"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(status["readyReplicas"], 3);
    assert_eq!(status["conditions"][1]["reason"], "ReplicaSetUpdated");

    api.roll_out("checkout", "checkout-service", NEW, Outcome::Complete);
    let sets = replica_sets(&api, "checkout", "checkout-service-");
    let current: Vec<_> = sets.iter().filter(|s| s.2 > 0).collect();
    assert_eq!(current.len(), 1, "{sets:?}");
    let (new_set, revision, replicas, pods) = current[0].clone();
    assert_eq!(
        (revision.as_str(), replicas, pods),
        ("8", 3, 3),
        "the same rollout, completed"
    );
    let new_pods = pods_of(
        &api,
        "checkout",
        &api.get("replicasets.apps", "checkout", &new_set).expect("set"),
    );
    assert!(
        new_pods
            .iter()
            .all(|p| ready(p) && p["spec"]["containers"][0]["image"] == NEW)
    );
    assert!(new_pods.iter().all(|p| name(p).starts_with(&format!("{new_set}-"))));
    let status = status_of(&api, "checkout", "checkout-service");
    assert_eq!(
        (status["replicas"].as_u64(), status["readyReplicas"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(status["conditions"][1]["reason"], "NewReplicaSetAvailable");

    // Back to the old image: revision 7's ReplicaSet returns as revision 9.
    api.roll_out("checkout", "checkout-service", OLD, Outcome::Complete);
    let sets = replica_sets(&api, "checkout", "checkout-service-");
    let running: Vec<_> = sets.iter().filter(|s| s.2 > 0).collect();
    assert_eq!(running.len(), 1, "{sets:?}");
    assert_eq!(running[0].1, "9");
    assert_eq!(sets.len(), 3, "no new ReplicaSet for a template that had one: {sets:?}");
}

#[tokio::test]
async fn a_failed_rollout_leaves_a_pod_that_cannot_pull_and_the_old_pods_serving() {
    let api = KubeApi::with_fixtures().await;
    api.roll_out("checkout", "checkout-service", NEW, Outcome::Failed);

    let status = status_of(&api, "checkout", "checkout-service");
    let progressing = &status["conditions"][1];
    assert_eq!(
        (progressing["status"].as_str(), progressing["reason"].as_str()),
        (Some("False"), Some("ProgressDeadlineExceeded"))
    );
    assert_eq!(status["readyReplicas"], 3);
    let stuck: Vec<Value> = api
        .list("pods", "checkout")
        .into_iter()
        .filter(|p| p["spec"]["containers"][0]["image"] == NEW)
        .collect();
    assert_eq!(stuck.len(), 1);
    assert_eq!(
        stuck[0]["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "ImagePullBackOff"
    );
}

#[tokio::test]
async fn a_crash_loop_makes_a_pod_unready_with_a_warning() {
    let api = KubeApi::with_fixtures().await;
    api.crash_loop("checkout", "checkout-service-7d9f8b6c5d-x2k9m", 3, "OOMKilled");

    let pod = api
        .get("pods", "checkout", "checkout-service-7d9f8b6c5d-x2k9m")
        .expect("pod");
    let container = &pod["status"]["containerStatuses"][0];
    assert_eq!(container["state"]["waiting"]["reason"], "CrashLoopBackOff");
    assert_eq!(container["lastState"]["terminated"]["reason"], "OOMKilled");
    assert_eq!(container["lastState"]["terminated"]["exitCode"], 137);
    assert_eq!(container["restartCount"], 3);
    assert!(!ready(&pod));
    assert_eq!(status_of(&api, "checkout", "checkout-service")["readyReplicas"], 2);
    let warnings: Vec<Value> = api
        .list("events", "checkout")
        .into_iter()
        .filter(|e| e["involvedObject"]["name"] == "checkout-service-7d9f8b6c5d-x2k9m")
        .collect();
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        (warnings[0]["type"].as_str(), warnings[0]["reason"].as_str()),
        (Some("Warning"), Some("BackOff"))
    );
    assert_eq!(warnings[0]["involvedObject"]["uid"], pod["metadata"]["uid"]);
}

#[tokio::test]
async fn an_autoscaler_scales_its_deployment() {
    let api = KubeApi::with_fixtures().await;
    api.autoscale("search", "search-service", 6, 91);

    let hpa = api
        .get("horizontalpodautoscalers.autoscaling", "search", "search-service")
        .expect("hpa");
    assert_eq!(
        (
            hpa["status"]["desiredReplicas"].as_u64(),
            hpa["status"]["currentReplicas"].as_u64()
        ),
        (Some(6), Some(6))
    );
    assert_eq!(
        hpa["status"]["currentMetrics"][0]["resource"]["current"]["averageUtilization"],
        91
    );
    let deployment = api
        .get("deployments.apps", "search", "search-service")
        .expect("deployment");
    assert_eq!(deployment["spec"]["replicas"], 6);
    let sets = replica_sets(&api, "search", "search-service-");
    assert_eq!(sets[0].2, 6);
    assert_eq!(sets[0].3, 6);
    // The unschedulable pod stays unready; the two new ones are ready.
    assert_eq!(deployment["status"]["readyReplicas"], 5);
}

#[tokio::test]
async fn canary_steps_move_the_weight_and_the_pods() {
    let api = KubeApi::with_fixtures().await;
    let canary = |api: &KubeApi| -> (u64, u64, usize, usize) {
        let rollout = api
            .get("rollouts.argoproj.io", "inventory", "inventory-service")
            .expect("rollout");
        let status = &rollout["status"];
        let pods = api.list("pods", "inventory");
        let on = |hash: &str| {
            pods.iter()
                .filter(|p| p["metadata"]["labels"]["rollouts-pod-template-hash"] == hash)
                .count()
        };
        (
            status["currentStepIndex"].as_u64().unwrap_or(99),
            status["canary"]["weights"]["canary"]["weight"].as_u64().unwrap_or(99),
            on("8b7c6d5f4"),
            on("6d5f4c8b9"),
        )
    };
    assert_eq!(canary(&api), (1, 25, 1, 3));

    api.canary_step("inventory", "inventory-service", 2);
    assert_eq!(canary(&api), (2, 50, 2, 2));
    let rollout = api
        .get("rollouts.argoproj.io", "inventory", "inventory-service")
        .expect("rollout");
    assert_eq!(rollout["status"]["phase"], "Progressing");

    api.canary_step("inventory", "inventory-service", 3);
    let rollout = api
        .get("rollouts.argoproj.io", "inventory", "inventory-service")
        .expect("rollout");
    assert_eq!(rollout["status"]["phase"], "Paused");

    api.canary_step("inventory", "inventory-service", 4);
    assert_eq!(canary(&api), (4, 100, 4, 0));
    let rollout = api
        .get("rollouts.argoproj.io", "inventory", "inventory-service")
        .expect("rollout");
    assert_eq!(
        (
            rollout["status"]["phase"].as_str(),
            rollout["status"]["stableRS"].as_str()
        ),
        (Some("Healthy"), Some("8b7c6d5f4"))
    );
}
