//! One sample of a cluster: what each placed container requests and uses, each node offers and
//! each volume keeps, and which containers mount which volume, taken from what the Kubernetes
//! watches hold (`deployments::resources`). The store turns a sample into quantities × the
//! interval's seconds and rolls them up.

use std::collections::{BTreeMap, HashMap};

use deployments::UsageState;
use deployments::resources::ClusterResources;

use crate::view::Meter;

/// What a container's rows are kept under (`store::cost_allocations`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AllocationKey {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub node: String,
    /// `Deployment`, `StatefulSet`, `Job`…, or '' for a pod of its own.
    pub workload_kind: String,
    pub workload: String,
    /// The catalog entity, or ''.
    pub entity: String,
    /// The entity's owner, or ''.
    pub team: String,
}

/// One container in one interval.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerSample {
    pub key: AllocationKey,
    pub labels: BTreeMap<String, String>,
    pub cpu_request_millis: u64,
    pub memory_request_bytes: u64,
    pub gpus: u32,
    /// `(millicores, bytes)` used, when measured.
    pub usage: Option<(f64, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeSample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub gpus: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VolumeSample {
    pub name: String,
    pub storage_class: String,
    /// `namespace/name` of the claim bound to it, or ''.
    pub claim: String,
    pub capacity_bytes: u64,
    /// `(index into ContainerSample list, bytes)`: its capacity split evenly between the pods
    /// mounting its claim, then between each pod's containers.
    pub shares: Vec<(usize, u64)>,
}

/// A cluster at one moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    pub cluster: String,
    pub containers: Vec<ContainerSample>,
    pub nodes: Vec<NodeSample>,
    pub volumes: Vec<VolumeSample>,
    /// `measured`, or why usage is unknown (`unknown: the metrics API … is not installed`).
    pub usage: String,
    /// What measured the usage, when it was.
    pub meter: Option<Meter>,
}

/// Why a cluster is not sampled now: what it holds would not be the truth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not every type is listed yet.
    NotListed,
    /// Unreachable since then (Unix ms): its objects are as they were.
    Stale(i64),
}

/// The sample of `resources` (usage from the metrics API), or why there is none.
pub fn sample(resources: &ClusterResources) -> Result<Sample, Skip> {
    sample_measured_by(resources, Meter::MetricsApi)
}

/// The sample of `resources`, whose usage (when `Measured`) `meter` measured.
pub fn sample_measured_by(resources: &ClusterResources, meter: Meter) -> Result<Sample, Skip> {
    if let Some(since) = resources.stale_since_ms {
        return Err(Skip::Stale(since));
    }
    if !resources.settled {
        return Err(Skip::NotListed);
    }
    let measured = matches!(resources.usage, UsageState::Measured { .. });
    let mut containers = Vec::new();
    // (namespace, pod) → indexes of its containers.
    let mut of_pod: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for pod in &resources.pods {
        let (workload_kind, workload) = pod.workload.clone().unwrap_or_default();
        for c in &pod.containers {
            of_pod
                .entry((pod.namespace.as_str(), pod.name.as_str()))
                .or_default()
                .push(containers.len());
            containers.push(ContainerSample {
                key: AllocationKey {
                    namespace: pod.namespace.clone(),
                    pod: pod.name.clone(),
                    container: c.name.clone(),
                    node: pod.node.clone(),
                    workload_kind: workload_kind.clone(),
                    workload: workload.clone(),
                    entity: pod.entity.clone().unwrap_or_default(),
                    team: pod.owner.clone().unwrap_or_default(),
                },
                labels: pod.labels.clone(),
                cpu_request_millis: c.requests.cpu_millis,
                memory_request_bytes: c.requests.memory_bytes,
                gpus: c.requests.gpus,
                // metrics-server omits a container it has not measured yet: unknown, not zero.
                usage: c.usage.filter(|_| measured).map(|u| (u.cpu_millis, u.memory_bytes)),
            });
        }
    }
    let nodes = resources
        .nodes
        .iter()
        .map(|n| NodeSample {
            name: n.name.clone(),
            labels: n.labels.clone(),
            cpu_millis: n.capacity.cpu_millis,
            memory_bytes: n.capacity.memory_bytes,
            gpus: n.capacity.gpus,
        })
        .collect();
    let volumes = volumes(resources, &of_pod);
    let usage = match &resources.usage {
        UsageState::Measured { .. } => "measured".to_string(),
        UsageState::NotPolled => "unknown: the metrics API has not been asked yet".to_string(),
        UsageState::Unknown { reason } => format!("unknown: {reason}"),
    };
    Ok(Sample {
        cluster: resources.cluster.clone(),
        containers,
        nodes,
        volumes,
        usage,
        meter: measured.then_some(meter),
    })
}

fn volumes(resources: &ClusterResources, of_pod: &HashMap<(&str, &str), Vec<usize>>) -> Vec<VolumeSample> {
    resources
        .volumes
        .iter()
        .map(|v| {
            let claim = v.claim.as_ref();
            // Pods mounting the claim bound to this volume (a claim bound elsewhere does not count).
            let bound = claim.filter(|(ns, name)| {
                resources
                    .claims
                    .iter()
                    .any(|c| c.namespace == *ns && c.name == *name && c.volume.as_deref() == Some(v.name.as_str()))
            });
            let mounting: Vec<&Vec<usize>> = match bound {
                Some((ns, name)) => resources
                    .pods
                    .iter()
                    .filter(|p| p.namespace == *ns && p.claims.contains(name))
                    .filter_map(|p| of_pod.get(&(p.namespace.as_str(), p.name.as_str())))
                    .filter(|containers| !containers.is_empty())
                    .collect(),
                None => Vec::new(),
            };
            let mut shares = Vec::new();
            for containers in &mounting {
                let per_container = v.capacity_bytes / mounting.len() as u64 / containers.len() as u64;
                shares.extend(containers.iter().map(|i| (*i, per_container)));
            }
            VolumeSample {
                name: v.name.clone(),
                storage_class: v.storage_class.clone().unwrap_or_default(),
                claim: claim.map(|(ns, name)| format!("{ns}/{name}")).unwrap_or_default(),
                capacity_bytes: v.capacity_bytes,
                shares,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use deployments::Measured;
    use deployments::resources::{Amounts, ClaimResources, ContainerResources, PodResources, VolumeResources};

    fn pod(name: &str, containers: usize, claims: &[&str]) -> PodResources {
        PodResources {
            namespace: "shop".into(),
            name: name.into(),
            node: "cpu-1".into(),
            containers: (0..containers)
                .map(|i| ContainerResources {
                    name: format!("c{i}"),
                    requests: Amounts {
                        cpu_millis: 100,
                        memory_bytes: 1 << 20,
                        gpus: 0,
                    },
                    usage: Some(Measured {
                        cpu_millis: 50.0,
                        memory_bytes: 1e6,
                    }),
                    ..Default::default()
                })
                .collect(),
            claims: claims.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        }
    }

    fn cluster(usage: UsageState) -> ClusterResources {
        ClusterResources {
            cluster: "prod".into(),
            settled: true,
            pods: vec![
                pod("web-1", 2, &["data"]),
                pod("web-2", 1, &["data"]),
                pod("job-1", 1, &[]),
            ],
            claims: vec![ClaimResources {
                namespace: "shop".into(),
                name: "data".into(),
                volume: Some("pv-1".into()),
                ..Default::default()
            }],
            volumes: vec![
                VolumeResources {
                    name: "pv-1".into(),
                    capacity_bytes: 1000,
                    storage_class: Some("gp3".into()),
                    claim: Some(("shop".into(), "data".into())),
                },
                VolumeResources {
                    name: "pv-orphan".into(),
                    capacity_bytes: 500,
                    ..Default::default()
                },
            ],
            usage,
            ..Default::default()
        }
    }

    #[test]
    fn volumes_are_shared_by_pods_then_containers() {
        let s = sample(&cluster(UsageState::Measured { at_ms: 1 })).expect("sample");
        assert_eq!(s.containers.len(), 4);
        assert_eq!(s.volumes[0].claim, "shop/data");
        // 1000 bytes over 2 pods: web-1's two containers 250 each, web-2's one 500.
        assert_eq!(s.volumes[0].shares, vec![(0, 250), (1, 250), (2, 500)]);
        assert!(s.volumes[1].shares.is_empty(), "no claim: unmounted");
        assert_eq!(s.containers[0].usage, Some((50.0, 1e6)));
        assert_eq!(s.usage, "measured");
    }

    #[test]
    fn usage_unknown_is_said_and_nothing_is_sampled_from_a_partial_or_stale_cluster() {
        let s = sample(&cluster(UsageState::Unknown {
            reason: "the metrics API (metrics.k8s.io/v1beta1) is not installed".into(),
        }))
        .expect("sample");
        assert!(s.containers.iter().all(|c| c.usage.is_none()));
        assert_eq!(
            s.usage,
            "unknown: the metrics API (metrics.k8s.io/v1beta1) is not installed"
        );
        let mut partial = cluster(UsageState::NotPolled);
        partial.settled = false;
        assert_eq!(sample(&partial), Err(Skip::NotListed));
        partial.stale_since_ms = Some(7);
        assert_eq!(sample(&partial), Err(Skip::Stale(7)));
    }
}
