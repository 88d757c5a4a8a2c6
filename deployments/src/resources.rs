//! What a cluster's workloads hold and use, for cost allocation: its nodes (capacity, allocatable,
//! labels), the pods placed on them with each container's requests, limits and measured usage,
//! the workload and catalog entity each pod belongs to (the projection's mapping), and the
//! claims and volumes they keep data in. Plain data read from what the watches already hold:
//! no request to the cluster.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim, Pod, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::kubernetes::{ClusterObjects, Measured, Usage, UsageState, quantity};
use crate::model::Workload;

/// The extended resource GPUs are requested and offered as.
pub const NVIDIA_GPU: &str = "nvidia.com/gpu";

/// One cluster's resources at one moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterResources {
    pub cluster: String,
    /// Set while the cluster is unreachable: everything here is as of then.
    pub stale_since_ms: Option<i64>,
    /// Nodes, pods, claims and volumes have all been listed (or may not be): this is all of it.
    pub settled: bool,
    pub nodes: Vec<NodeResources>,
    pub pods: Vec<PodResources>,
    pub claims: Vec<ClaimResources>,
    pub volumes: Vec<VolumeResources>,
    /// Whether usage is known, and since when.
    pub usage: UsageState,
}

/// CPU, memory and GPUs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Amounts {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub gpus: u32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeResources {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// What the machine has: what is paid for.
    pub capacity: Amounts,
    /// What pods may be given (capacity less the kubelet's reservations).
    pub allocatable: Amounts,
    pub usage: Option<Measured>,
}

/// A pod holding resources: placed on a node and neither succeeded nor failed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodResources {
    pub namespace: String,
    pub name: String,
    pub node: String,
    pub labels: BTreeMap<String, String>,
    /// The workload that runs it (`Deployment`/`checkout`, `StatefulSet`, `Job`…): the projected
    /// workload's, else the pod's controller.
    pub workload: Option<(String, String)>,
    /// The catalog entity its workload is mapped to, and that entity's owner.
    pub entity: Option<String>,
    pub owner: Option<String>,
    pub containers: Vec<ContainerResources>,
    /// Names of the claims it mounts (in its namespace).
    pub claims: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerResources {
    pub name: String,
    pub requests: Amounts,
    pub limits: Amounts,
    /// At the last poll of the metrics API; `None` when unknown.
    pub usage: Option<Measured>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaimResources {
    pub namespace: String,
    pub name: String,
    /// The volume it is bound to.
    pub volume: Option<String>,
    pub storage_class: Option<String>,
    pub requested_bytes: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeResources {
    pub name: String,
    pub capacity_bytes: u64,
    pub storage_class: Option<String>,
    /// `(namespace, name)` of the claim it is bound to.
    pub claim: Option<(String, String)>,
}

/// A cluster's resources from its objects, its projected workloads and its last usage.
pub fn read(objects: &ClusterObjects, workloads: &[Arc<Workload>], usage: &Usage, settled: bool) -> ClusterResources {
    let mut pod_workload: HashMap<(&str, &str), &Workload> = HashMap::new();
    for w in workloads {
        for pod in &w.pods {
            pod_workload.insert((w.key.namespace.as_str(), pod.name.as_str()), w);
        }
    }
    ClusterResources {
        cluster: objects.cluster.clone(),
        stale_since_ms: objects.stale_since_ms,
        settled,
        nodes: objects.nodes.iter().map(|n| node(n, usage)).collect(),
        pods: objects
            .pods
            .iter()
            .filter_map(|p| pod(p, &pod_workload, usage))
            .collect(),
        claims: objects.claims.iter().map(|c| claim(c)).collect(),
        volumes: objects.volumes.iter().map(|v| volume(v)).collect(),
        usage: usage.state.clone(),
    }
}

fn amounts(list: Option<&BTreeMap<String, Quantity>>) -> Amounts {
    let get = |key: &str| list.and_then(|l| l.get(key)).map(|q| q.0.as_str());
    Amounts {
        cpu_millis: get("cpu").and_then(quantity::millicores).unwrap_or(0),
        memory_bytes: get("memory").and_then(quantity::whole).unwrap_or(0),
        gpus: get(NVIDIA_GPU)
            .and_then(quantity::whole)
            .map_or(0, |g| u32::try_from(g).unwrap_or(u32::MAX)),
    }
}

fn node(node: &Node, usage: &Usage) -> NodeResources {
    let name = node.metadata.name.clone().unwrap_or_default();
    let status = node.status.as_ref();
    NodeResources {
        labels: node.metadata.labels.clone().unwrap_or_default(),
        capacity: amounts(status.and_then(|s| s.capacity.as_ref())),
        allocatable: amounts(status.and_then(|s| s.allocatable.as_ref())),
        usage: usage.nodes.get(&name).copied(),
        name,
    }
}

fn pod(pod: &Pod, workloads: &HashMap<(&str, &str), &Workload>, usage: &Usage) -> Option<PodResources> {
    let spec = pod.spec.as_ref()?;
    let node = spec.node_name.clone().filter(|n| !n.is_empty())?;
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if matches!(phase, Some("Succeeded" | "Failed")) {
        return None;
    }
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let mapped = workloads.get(&(namespace.as_str(), name.as_str()));
    let workload = match mapped {
        Some(w) => Some((w.key.kind.as_str().to_string(), w.key.name.clone())),
        None => pod
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|r| r.controller == Some(true))
            .map(|r| (r.kind.clone(), r.name.clone())),
    };
    let measured = usage.pods.get(&(namespace.clone(), name.clone()));
    let containers = spec
        .containers
        .iter()
        .map(|c| {
            let resources: Option<&ResourceRequirements> = c.resources.as_ref();
            ContainerResources {
                name: c.name.clone(),
                requests: amounts(resources.and_then(|r| r.requests.as_ref())),
                limits: amounts(resources.and_then(|r| r.limits.as_ref())),
                usage: measured.and_then(|m| m.iter().find(|(n, _)| *n == c.name).map(|(_, u)| *u)),
            }
        })
        .collect();
    let claims = spec
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| Some(v.persistent_volume_claim.as_ref()?.claim_name.clone()))
        .collect();
    Some(PodResources {
        labels: pod.metadata.labels.clone().unwrap_or_default(),
        workload,
        entity: mapped.and_then(|w| w.entity.clone()),
        owner: mapped.and_then(|w| w.owner.clone()),
        containers,
        claims,
        namespace,
        name,
        node,
    })
}

fn claim(claim: &PersistentVolumeClaim) -> ClaimResources {
    let spec = claim.spec.as_ref();
    ClaimResources {
        namespace: claim.metadata.namespace.clone().unwrap_or_default(),
        name: claim.metadata.name.clone().unwrap_or_default(),
        volume: spec.and_then(|s| s.volume_name.clone()).filter(|v| !v.is_empty()),
        storage_class: spec.and_then(|s| s.storage_class_name.clone()),
        requested_bytes: spec
            .and_then(|s| s.resources.as_ref()?.requests.as_ref()?.get("storage"))
            .and_then(|q| quantity::whole(&q.0))
            .unwrap_or(0),
    }
}

fn volume(volume: &PersistentVolume) -> VolumeResources {
    let spec = volume.spec.as_ref();
    VolumeResources {
        name: volume.metadata.name.clone().unwrap_or_default(),
        capacity_bytes: spec
            .and_then(|s| s.capacity.as_ref()?.get("storage"))
            .and_then(|q| quantity::whole(&q.0))
            .unwrap_or(0),
        storage_class: spec
            .and_then(|s| s.storage_class_name.clone())
            .filter(|c| !c.is_empty()),
        claim: spec
            .and_then(|s| s.claim_ref.as_ref())
            .and_then(|r| Some((r.namespace.clone()?, r.name.clone()?))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PodInfo, WorkloadKind};
    use serde_json::json;

    #[test]
    fn pods_carry_their_requests_usage_workload_entity_and_claims() {
        let objects = ClusterObjects {
            cluster: "prod".into(),
            nodes: vec![Arc::new(
                serde_json::from_value(json!({
                    "metadata": { "name": "gpu-1", "labels": { "node.kubernetes.io/instance-type": "g4dn.xlarge" } },
                    "status": { "capacity": { "cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1" },
                                "allocatable": { "cpu": "3900m", "memory": "15Gi", "nvidia.com/gpu": "1" } },
                }))
                .expect("node"),
            )],
            pods: ["web-1", "done-1", "pending-1"]
                .iter()
                .map(|name| {
                    let phase = if *name == "done-1" { "Succeeded" } else { "Running" };
                    let node = if *name == "pending-1" { json!(null) } else { json!("gpu-1") };
                    Arc::new(
                        serde_json::from_value(json!({
                            "metadata": { "name": name, "namespace": "shop", "labels": { "app": "web" },
                                          "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d", "uid": "u", "controller": true }] },
                            "spec": {
                                "nodeName": node,
                                "containers": [
                                    { "name": "app", "resources": { "requests": { "cpu": "250m", "memory": "512Mi", "nvidia.com/gpu": "1" }, "limits": { "memory": "1Gi", "nvidia.com/gpu": "1" } } },
                                    { "name": "sidecar" },
                                ],
                                "volumes": [{ "name": "data", "persistentVolumeClaim": { "claimName": "web-data" } }, { "name": "tmp", "emptyDir": {} }],
                            },
                            "status": { "phase": phase },
                        }))
                        .expect("pod"),
                    )
                })
                .collect(),
            ..ClusterObjects::default()
        };
        let mut web = Workload::sample("shop", "web");
        web.key.kind = WorkloadKind::Deployment;
        web.entity = Some("component:default/web".into());
        web.owner = Some("group:default/shop".into());
        web.pods = vec![PodInfo {
            name: "web-1".into(),
            phase: "Running".into(),
            ready: true,
            restarts: 0,
            node: Some("gpu-1".into()),
            created_ms: None,
            unschedulable: None,
            containers: Vec::new(),
        }];
        let usage = Usage {
            state: UsageState::Measured { at_ms: 5 },
            pods: HashMap::from([(
                ("shop".to_string(), "web-1".to_string()),
                vec![(
                    "app".to_string(),
                    Measured {
                        cpu_millis: 400.0,
                        memory_bytes: 1e8,
                    },
                )],
            )]),
            nodes: HashMap::new(),
        };
        let r = read(&objects, &[Arc::new(web)], &usage, true);
        assert_eq!(
            r.nodes[0].capacity,
            Amounts {
                cpu_millis: 4000,
                memory_bytes: 16 << 30,
                gpus: 1
            }
        );
        assert_eq!(r.nodes[0].allocatable.cpu_millis, 3900);
        assert_eq!(
            r.pods.len(),
            1,
            "neither the finished pod nor the unplaced one holds anything"
        );
        let pod = &r.pods[0];
        assert_eq!(pod.workload, Some(("Deployment".into(), "web".into())));
        assert_eq!(pod.entity.as_deref(), Some("component:default/web"));
        assert_eq!(pod.owner.as_deref(), Some("group:default/shop"));
        assert_eq!(pod.claims, ["web-data"]);
        let app = &pod.containers[0];
        assert_eq!(
            app.requests,
            Amounts {
                cpu_millis: 250,
                memory_bytes: 512 << 20,
                gpus: 1
            }
        );
        assert_eq!(app.limits.memory_bytes, 1 << 30);
        assert_eq!(app.usage.map(|u| u.cpu_millis), Some(400.0));
        assert_eq!(pod.containers[1].requests, Amounts::default());
        assert_eq!(
            pod.containers[1].usage, None,
            "measured only where metrics-server said so"
        );
        assert_eq!(r.usage, UsageState::Measured { at_ms: 5 });
    }
}
