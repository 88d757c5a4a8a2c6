//! Turns successive states of a page's workloads into the live stream's small messages
//! (`deployments::Update`): what changed since the page was last told, and nothing else.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::{ClusterState, PodInfo, Update, Workload, WorkloadKey};

/// What one page was last sent.
pub struct Differ {
    /// Pages that list workloads without their pods (the Deployments page) are sent no pods.
    with_pods: bool,
    clusters: BTreeMap<String, ClusterState>,
    workloads: BTreeMap<WorkloadKey, Arc<Workload>>,
}

impl Differ {
    pub fn new(with_pods: bool) -> Self {
        Self {
            with_pods,
            clusters: BTreeMap::new(),
            workloads: BTreeMap::new(),
        }
    }

    /// The whole state, remembered as sent: the first message of every connection.
    pub fn snapshot(&mut self, clusters: &[ClusterState], workloads: &[Arc<Workload>]) -> Update {
        self.clusters = clusters.iter().map(|c| (c.name.clone(), c.clone())).collect();
        self.workloads = workloads.iter().map(|w| (w.key.clone(), Arc::clone(w))).collect();
        Update::Snapshot {
            clusters: clusters.to_vec(),
            workloads: workloads
                .iter()
                .map(|w| if self.with_pods { (**w).clone() } else { without_pods(w) })
                .collect(),
        }
    }

    /// The messages that bring the page from what it was sent to this state.
    pub fn next(&mut self, clusters: &[ClusterState], workloads: &[Arc<Workload>]) -> Vec<Update> {
        let mut out = Vec::new();
        for cluster in clusters {
            if self.clusters.get(&cluster.name) != Some(cluster) {
                self.clusters.insert(cluster.name.clone(), cluster.clone());
                out.push(Update::Cluster(cluster.clone()));
            }
        }
        let mut current: BTreeMap<WorkloadKey, Arc<Workload>> = BTreeMap::new();
        for workload in workloads {
            current.insert(workload.key.clone(), Arc::clone(workload));
            match self.workloads.get(&workload.key) {
                Some(sent) if Arc::ptr_eq(sent, workload) => {}
                Some(sent) => {
                    if !same_apart_from_pods(sent, workload) {
                        out.push(Update::Workload(Box::new(without_pods(workload))));
                    }
                    if self.with_pods {
                        pod_changes(&sent.pods, workload, &mut out);
                    }
                }
                None => {
                    out.push(Update::Workload(Box::new(without_pods(workload))));
                    if self.with_pods {
                        pod_changes(&[], workload, &mut out);
                    }
                }
            }
        }
        for key in self.workloads.keys() {
            if !current.contains_key(key) {
                out.push(Update::WorkloadRemoved(key.clone()));
            }
        }
        self.workloads = current;
        out
    }
}

fn pod_changes(sent: &[PodInfo], workload: &Workload, out: &mut Vec<Update>) {
    let before: BTreeMap<&str, &PodInfo> = sent.iter().map(|p| (p.name.as_str(), p)).collect();
    for pod in &workload.pods {
        if before.get(pod.name.as_str()) != Some(&pod) {
            out.push(Update::Pod {
                workload: workload.key.clone(),
                pod: pod.clone(),
            });
        }
    }
    let now: std::collections::BTreeSet<&str> = workload.pods.iter().map(|p| p.name.as_str()).collect();
    for name in before.keys().filter(|n| !now.contains(*n)) {
        out.push(Update::PodRemoved {
            workload: workload.key.clone(),
            name: (*name).to_string(),
        });
    }
}

/// A copy without pods: what `Update::Workload` carries.
pub fn without_pods(w: &Workload) -> Workload {
    let Workload {
        key,
        entity,
        owner,
        created_ms,
        replicas,
        revision,
        revision_since_ms,
        images,
        source_revision,
        rollout,
        pods: _,
        autoscaler,
        events,
        argo_cd,
        argo_rollout,
        health,
        problems,
        stale_since_ms,
    } = w;
    Workload {
        key: key.clone(),
        entity: entity.clone(),
        owner: owner.clone(),
        created_ms: *created_ms,
        replicas: *replicas,
        revision: revision.clone(),
        revision_since_ms: *revision_since_ms,
        images: images.clone(),
        source_revision: source_revision.clone(),
        rollout: rollout.clone(),
        pods: Vec::new(),
        autoscaler: autoscaler.clone(),
        events: events.clone(),
        argo_cd: argo_cd.clone(),
        argo_rollout: argo_rollout.clone(),
        health: *health,
        problems: problems.clone(),
        stale_since_ms: *stale_since_ms,
    }
}

fn same_apart_from_pods(a: &Workload, b: &Workload) -> bool {
    a.key == b.key
        && a.entity == b.entity
        && a.owner == b.owner
        && a.created_ms == b.created_ms
        && a.replicas == b.replicas
        && a.revision == b.revision
        && a.revision_since_ms == b.revision_since_ms
        && a.images == b.images
        && a.source_revision == b.source_revision
        && a.rollout == b.rollout
        && a.autoscaler == b.autoscaler
        && a.events == b.events
        && a.argo_cd == b.argo_cd
        && a.argo_rollout == b.argo_rollout
        && a.health == b.health
        && a.problems == b.problems
        && a.stale_since_ms == b.stale_since_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, restarts: u32) -> PodInfo {
        PodInfo {
            name: name.into(),
            phase: "Running".into(),
            ready: true,
            restarts,
            node: None,
            created_ms: None,
            unschedulable: None,
            containers: vec![],
        }
    }

    fn workload(name: &str, pods: Vec<PodInfo>, ready: u32) -> Arc<Workload> {
        let mut workload = Workload::sample("shop", name);
        workload.replicas.ready = ready;
        workload.replicas.available = ready;
        workload.pods = pods;
        Arc::new(workload)
    }

    #[test]
    fn one_pod_changing_sends_that_pod_only() {
        let mut differ = Differ::new(true);
        let first = workload("web", vec![pod("a", 0), pod("b", 0)], 2);
        assert!(matches!(differ.snapshot(&[], &[first]), Update::Snapshot { .. }));
        let second = workload("web", vec![pod("a", 0), pod("b", 1)], 2);
        assert_eq!(
            differ.next(&[], &[second.clone()]),
            vec![Update::Pod {
                workload: second.key.clone(),
                pod: pod("b", 1)
            }]
        );
        assert_eq!(differ.next(&[], &[second.clone()]), vec![], "nothing new, nothing sent");
    }

    #[test]
    fn workload_changes_removals_and_pod_removals() {
        let mut differ = Differ::new(true);
        let web = workload("web", vec![pod("a", 0), pod("b", 0)], 2);
        let api = workload("api", vec![pod("c", 0)], 1);
        differ.snapshot(&[], &[web, api.clone()]);
        let web = workload("web", vec![pod("a", 0)], 1);
        let updates = differ.next(&[], &[web.clone()]);
        assert_eq!(
            updates,
            vec![
                Update::Workload(Box::new(without_pods(&web))),
                Update::PodRemoved {
                    workload: web.key.clone(),
                    name: "b".into()
                },
                Update::WorkloadRemoved(api.key.clone()),
            ]
        );
    }

    #[test]
    fn pages_without_pods_get_no_pods() {
        let mut differ = Differ::new(false);
        let Update::Snapshot { workloads, .. } = differ.snapshot(&[], &[workload("web", vec![pod("a", 0)], 2)]) else {
            panic!("a snapshot")
        };
        assert!(workloads[0].pods.is_empty());
        let updates = differ.next(&[], &[workload("web", vec![pod("a", 3)], 2)]);
        assert_eq!(updates, vec![], "a pod's restart is not this page's business");
    }
}
