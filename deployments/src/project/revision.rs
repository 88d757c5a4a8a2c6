//! A workload's current revision: which ReplicaSet or pod label marks it, when it began, and so
//! which pods run it (their digests are the running version).

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;

use super::time_ms;
use super::workloads::Current;

/// A workload's current revision, when it began, and how to recognise its pods.
pub struct Revision {
    pub name: Option<String>,
    pub since_ms: Option<i64>,
    /// Pods with this label value run the current revision.
    pod_label: Option<(&'static str, String)>,
}

impl Revision {
    pub fn resolve(name: Option<String>, current: &Current, replica_sets: &[&ReplicaSet], pods: &[&Pod]) -> Revision {
        match current {
            Current::ReplicaSet {
                annotation,
                hash_label,
                hash,
            } => {
                let label = |rs: &ReplicaSet, key: &str| rs.metadata.labels.as_ref()?.get(key).cloned();
                let rs_annotation = |rs: &ReplicaSet| rs.metadata.annotations.as_ref()?.get(*annotation).cloned();
                let current_rs = replica_sets
                    .iter()
                    .find(|rs| hash.is_some() && label(rs, hash_label) == *hash)
                    .or_else(|| {
                        replica_sets
                            .iter()
                            .find(|rs| name.is_some() && rs_annotation(rs) == name)
                    });
                Revision {
                    since_ms: current_rs.and_then(|rs| time_ms(rs.metadata.creation_timestamp.as_ref())),
                    pod_label: current_rs
                        .and_then(|rs| label(rs, hash_label))
                        .or(hash.clone())
                        .map(|h| (*hash_label, h)),
                    name,
                }
            }
            Current::PodLabel { key, value } => {
                let pod_label = value.clone().map(|v| (*key, v));
                Revision {
                    since_ms: earliest_with(pods, pod_label.as_ref()),
                    pod_label,
                    name,
                }
            }
            Current::Generation => {
                let key = "pod-template-generation";
                let newest = pods
                    .iter()
                    .filter_map(|p| p.metadata.labels.as_ref()?.get(key)?.parse::<u64>().ok())
                    .max();
                let pod_label = newest.map(|g| (key, g.to_string()));
                Revision {
                    since_ms: earliest_with(pods, pod_label.as_ref()),
                    name: pod_label.as_ref().map(|(_, g)| g.clone()).or(name),
                    pod_label,
                }
            }
        }
    }

    pub fn pod_is_current(&self, pod: &Pod) -> bool {
        self.pod_label.as_ref().is_some_and(|(key, value)| {
            pod.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(*key))
                .is_some_and(|v| v == value)
        })
    }
}

/// When the first pod still carrying `label` was created: the nearest the cluster tells of when a
/// StatefulSet's or DaemonSet's revision began.
fn earliest_with(pods: &[&Pod], label: Option<&(&str, String)>) -> Option<i64> {
    let (key, value) = label?;
    pods.iter()
        .filter(|p| p.metadata.labels.as_ref().and_then(|l| l.get(*key)) == Some(value))
        .filter_map(|p| time_ms(p.metadata.creation_timestamp.as_ref()))
        .min()
}
