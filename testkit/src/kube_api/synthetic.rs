//! Generated workloads for benchmarks: `deployments` Deployments in one namespace, each with one
//! ReplicaSet and `pods` Running pods, shaped as the API server returns them, so a cluster of
//! thousands of pods needs no fixture files. The pods run on `NODES` nodes (`nodes`), and every
//! tenth Deployment keeps its data in a claim of its own (`<name>-data`, 20 GiB of `gp3`).

use serde_json::{Value, json};

use super::infrastructure;

/// Nodes the generated pods are spread over (`node-0`…`node-11`).
pub const NODES: usize = 12;

/// The generated pods' nodes: `m5.2xlarge`, 8 vCPU and 32 GiB each.
pub fn nodes() -> Vec<Value> {
    (0..NODES)
        .map(|n| infrastructure::node(&format!("node-{n}"), "m5.2xlarge", 8, 32, 0))
        .collect()
}

/// The objects of `deployments` × `pods`: every Deployment `synthetic-<i>` carries
/// `backstage.io/kubernetes-id: synthetic-<i>` and `app.kubernetes.io/name: synthetic-<i>`.
pub fn objects(deployments: usize, pods: usize, namespace: &str) -> Vec<Value> {
    objects_from(0, deployments, pods, namespace)
}

/// As `objects`, numbered from `first`: clusters generated side by side run different services.
pub fn objects_from(first: usize, deployments: usize, pods: usize, namespace: &str) -> Vec<Value> {
    let mut objects = Vec::with_capacity(deployments * (pods + 2));
    for i in first..first + deployments {
        let name = format!("synthetic-{i}");
        let hash = format!("{:010x}", 0x5f00_0000_u64 + i as u64);
        let labels = json!({
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/part-of": "synthetic",
            "backstage.io/kubernetes-id": name,
        });
        let deployment_uid = uid(i, 0, 1);
        let replica_set_uid = uid(i, 0, 2);
        let replica_set = format!("{name}-{hash}");
        let container = json!({
            "name": "app", "image": format!("registry.example/synthetic/{name}:1.0.{i}"),
            "ports": [{ "containerPort": 8080, "protocol": "TCP" }],
            "resources": { "requests": { "cpu": "50m", "memory": "64Mi" } },
        });
        let mut template_spec = json!({ "containers": [container.clone()] });
        if i % 10 == 0 {
            let claim = format!("{name}-data");
            infrastructure::mount_claim(&mut template_spec, &claim);
            objects.push(infrastructure::claim(namespace, &claim, "gp3", 20));
            objects.push(infrastructure::volume(namespace, &claim, "gp3", 20));
        }
        objects.push(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": name, "namespace": namespace, "uid": deployment_uid, "generation": 1,
                "labels": labels, "annotations": { "deployment.kubernetes.io/revision": "1" },
                "creationTimestamp": "2026-12-01T08:00:00Z",
            },
            "spec": {
                "replicas": pods,
                "selector": { "matchLabels": { "app.kubernetes.io/name": name } },
                "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": "25%", "maxUnavailable": "25%" } },
                "template": { "metadata": { "labels": labels }, "spec": template_spec },
            },
            "status": {
                "observedGeneration": 1, "replicas": pods, "updatedReplicas": pods,
                "readyReplicas": pods, "availableReplicas": pods,
                "conditions": [
                    { "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                      "message": "Deployment has minimum availability.",
                      "lastUpdateTime": "2026-12-01T08:01:00Z", "lastTransitionTime": "2026-12-01T08:01:00Z" },
                    { "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                      "message": format!("ReplicaSet \"{replica_set}\" has successfully progressed."),
                      "lastUpdateTime": "2026-12-01T08:01:00Z", "lastTransitionTime": "2026-12-01T08:00:00Z" },
                ],
            },
        }));
        let mut pod_labels = labels.clone();
        pod_labels["pod-template-hash"] = hash.clone().into();
        objects.push(json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {
                "name": replica_set, "namespace": namespace, "uid": replica_set_uid, "generation": 1,
                "labels": pod_labels,
                "annotations": { "deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": pods.to_string() },
                "ownerReferences": [owner("apps/v1", "Deployment", &name, &deployment_uid)],
                "creationTimestamp": "2026-12-01T08:00:00Z",
            },
            "spec": {
                "replicas": pods,
                "selector": { "matchLabels": { "app.kubernetes.io/name": name, "pod-template-hash": hash } },
                "template": { "metadata": { "labels": pod_labels }, "spec": template_spec },
            },
            "status": { "replicas": pods, "fullyLabeledReplicas": pods, "readyReplicas": pods, "availableReplicas": pods, "observedGeneration": 1 },
        }));
        for p in 0..pods {
            let mut pod = pod(namespace, &replica_set, &replica_set_uid, &pod_labels, &container, i, p);
            if let Some(volumes) = template_spec.get("volumes") {
                pod["spec"]["volumes"] = volumes.clone();
                pod["spec"]["containers"] = template_spec["containers"].clone();
            }
            objects.push(pod);
        }
    }
    objects
}

fn pod(
    namespace: &str,
    replica_set: &str,
    owner_uid: &str,
    labels: &Value,
    container: &Value,
    i: usize,
    p: usize,
) -> Value {
    let name = format!("{replica_set}-{:05x}", p);
    let ip = format!("10.{}.{}.{}", 64 + i % 64, p / 250, 2 + p % 250);
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": namespace, "uid": uid(i, p + 1, 3),
            "labels": labels, "generateName": format!("{replica_set}-"),
            "ownerReferences": [owner("apps/v1", "ReplicaSet", replica_set, owner_uid)],
            "creationTimestamp": "2026-12-01T08:00:05Z",
        },
        "spec": {
            "containers": [container], "nodeName": format!("node-{}", p % NODES),
            "restartPolicy": "Always", "serviceAccountName": "default",
        },
        "status": {
            "phase": "Running", "hostIP": format!("10.0.0.{}", 10 + p % NODES), "podIP": ip,
            "podIPs": [{ "ip": ip }], "startTime": "2026-12-01T08:00:05Z", "qosClass": "Burstable",
            "conditions": [
                { "type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": "2026-12-01T08:00:07Z" },
                { "type": "Initialized", "status": "True", "lastTransitionTime": "2026-12-01T08:00:05Z" },
                { "type": "Ready", "status": "True", "lastTransitionTime": "2026-12-01T08:00:12Z" },
                { "type": "ContainersReady", "status": "True", "lastTransitionTime": "2026-12-01T08:00:12Z" },
                { "type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-12-01T08:00:05Z" },
            ],
            "containerStatuses": [{
                "name": "app", "ready": true, "started": true, "restartCount": 0,
                "image": container["image"], "imageID": format!("registry.example/synthetic/app@sha256:{:064x}", i + 1),
                "containerID": format!("containerd://{:064x}", (i << 20) + p + 1),
                "state": { "running": { "startedAt": "2026-12-01T08:00:08Z" } },
                "lastState": {},
            }],
        },
    })
}

fn owner(api_version: &str, kind: &str, name: &str, uid: &str) -> Value {
    json!({
        "apiVersion": api_version, "kind": kind, "name": name, "uid": uid,
        "controller": true, "blockOwnerDeletion": true,
    })
}

fn uid(i: usize, p: usize, kind: u8) -> String {
    format!("5e000000-{kind:04x}-4000-8000-{:06x}{:06x}", i, p)
}
