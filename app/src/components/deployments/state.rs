//! A Deployments view's state as signals: one per workload and one per pod, so a message from the
//! live stream touches only what it changes (a pod restarting re-renders its row, not the table).
//! `apply` folds the stream's `Update`s in; a snapshot is reconciled, reusing the signals of what
//! is still there, so a reconnection does not rebuild the page.

use deployments::model::{
    ClusterState, PodInfo, Reachability, RolloutRecord, Update as StreamUpdate, Workload, WorkloadKey,
};
use leptos::prelude::*;
use std::collections::HashMap;

/// A pod of the page: its name (the row's key) and its state.
#[derive(Clone, Debug)]
pub struct LivePod {
    pub name: String,
    pub info: ArcRwSignal<PodInfo>,
}

/// A workload of the page: everything but its pods in `info` (whose `pods` stays empty), and its
/// pods by name.
#[derive(Clone, Debug)]
pub struct LiveWorkload {
    pub key: WorkloadKey,
    pub info: ArcRwSignal<Workload>,
    pub pods: ArcRwSignal<Vec<LivePod>>,
}

/// The same workload of the same page (its signals, not their values).
impl PartialEq for LiveWorkload {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.info == other.info && self.pods == other.pods
    }
}

/// The live stream's state, for the indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    not(feature = "hydrate"),
    expect(dead_code, reason = "the live stream is followed in the browser only")
)]
pub enum Connection {
    /// Not following (server render, or before the wasm runs).
    Offline,
    Connecting,
    Live,
    /// The stream broke; the browser is trying again.
    Reconnecting,
}

impl Connection {
    pub fn as_str(self) -> &'static str {
        match self {
            Connection::Offline => "offline",
            Connection::Connecting => "connecting",
            Connection::Live => "live",
            Connection::Reconnecting => "reconnecting",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Connection::Offline => "Not live",
            Connection::Connecting => "Connecting…",
            Connection::Live => "Live",
            Connection::Reconnecting => "Reconnecting…",
        }
    }
}

/// Everything a Deployments view shows.
#[derive(Clone, Copy, Debug)]
pub struct LiveDeployments {
    pub clusters: RwSignal<Vec<ClusterState>>,
    /// Worst health first, then by place (`sort_workloads`' order).
    pub workloads: RwSignal<Vec<LiveWorkload>>,
    /// Newest first.
    pub history: RwSignal<Vec<RolloutRecord>>,
    pub connection: RwSignal<Connection>,
}

impl LiveDeployments {
    pub fn new(clusters: Vec<ClusterState>, workloads: Vec<Workload>, history: Vec<RolloutRecord>) -> Self {
        let state = LiveDeployments {
            clusters: RwSignal::new(clusters),
            workloads: RwSignal::new(Vec::new()),
            history: RwSignal::new(Vec::new()),
            connection: RwSignal::new(Connection::Offline),
        };
        state.reconcile(workloads);
        for record in history {
            state.upsert_rollout(record);
        }
        state
    }

    /// Folds one message of the live stream in.
    #[cfg_attr(
        not(any(feature = "hydrate", test)),
        expect(dead_code, reason = "the live stream is followed in the browser only")
    )]
    pub fn apply(&self, update: StreamUpdate) {
        match update {
            StreamUpdate::Snapshot { clusters, workloads } => {
                self.clusters.maybe_update(|c| replace(c, clusters));
                self.reconcile(workloads);
            }
            StreamUpdate::Cluster(cluster) => self.upsert_cluster(cluster),
            StreamUpdate::Workload(workload) => self.upsert_workload(*workload),
            StreamUpdate::WorkloadRemoved(key) => self.workloads.maybe_update(|list| {
                let before = list.len();
                list.retain(|w| w.key != key);
                list.len() != before
            }),
            StreamUpdate::Pod { workload, pod } => {
                if let Some(live) = self.find(&workload) {
                    upsert_pod(&live.pods, pod);
                }
            }
            StreamUpdate::PodRemoved { workload, name } => {
                if let Some(live) = self.find(&workload) {
                    live.pods
                        .maybe_update(|pods| match pods.binary_search_by(|p| p.name.cmp(&name)) {
                            Ok(at) => {
                                pods.remove(at);
                                true
                            }
                            Err(_) => false,
                        });
                }
            }
            StreamUpdate::Rollout(record) => self.upsert_rollout(record),
        }
    }

    /// Makes the workloads exactly `workloads` (with their pods), keeping the signals of those
    /// already shown.
    fn reconcile(&self, mut workloads: Vec<Workload>) {
        let mut existing: HashMap<WorkloadKey, LiveWorkload> = self
            .workloads
            .get_untracked()
            .into_iter()
            .map(|w| (w.key.clone(), w))
            .collect();
        let mut next = Vec::with_capacity(workloads.len());
        for mut workload in workloads.drain(..) {
            let pods = std::mem::take(&mut workload.pods);
            let live = match existing.remove(&workload.key) {
                Some(live) => {
                    live.info.maybe_update(|w| replace(w, workload));
                    reconcile_pods(&live.pods, pods);
                    live
                }
                None => new_workload(workload, pods),
            };
            next.push(live);
        }
        sort(&mut next);
        self.workloads.maybe_update(|list| {
            let same = list.len() == next.len() && list.iter().zip(&next).all(|(a, b)| a.key == b.key);
            *list = next;
            !same
        });
    }

    /// A workload new or changed; its pods (none in the message) are kept.
    fn upsert_workload(&self, mut workload: Workload) {
        workload.pods.clear();
        match self.find(&workload.key) {
            Some(live) => {
                let moved = live.info.with_untracked(|w| w.health != workload.health);
                live.info.maybe_update(|w| replace(w, workload));
                if moved {
                    self.workloads.maybe_update(|list| sort(list));
                }
            }
            None => self.workloads.update(|list| {
                list.push(new_workload(workload, Vec::new()));
                sort(list);
            }),
        }
    }

    fn upsert_cluster(&self, cluster: ClusterState) {
        self.clusters
            .maybe_update(|list| match list.iter_mut().find(|c| c.name == cluster.name) {
                Some(known) => replace(known, cluster),
                None => {
                    list.push(cluster);
                    true
                }
            });
    }

    /// A rollout recorded or changed: one entry per workload and rollout number, newest first.
    fn upsert_rollout(&self, record: RolloutRecord) {
        self.history.maybe_update(|list| {
            match list.iter_mut().find(|r| r.key == record.key && r.seq == record.seq) {
                Some(known) => return replace(known, record),
                None => list.push(record),
            }
            list.sort_by(|a, b| b.started_ms.cmp(&a.started_ms).then_with(|| a.key.cmp(&b.key)));
            true
        });
    }

    /// Tells the indicator, notifying it only of a change (messages arrive many a second).
    #[cfg_attr(
        not(feature = "hydrate"),
        expect(dead_code, reason = "the live stream is followed in the browser only")
    )]
    pub fn set_connection(&self, connection: Connection) {
        self.connection.maybe_update(|c| replace(c, connection));
    }

    pub fn find(&self, key: &WorkloadKey) -> Option<LiveWorkload> {
        self.workloads
            .with_untracked(|list| list.iter().find(|w| &w.key == key).cloned())
    }
}

/// When a workload's state was last known, if it is stale: its own mark, or its cluster's.
pub fn stale_since(workload: &Workload, clusters: &[ClusterState]) -> Option<i64> {
    workload.stale_since_ms.or_else(|| {
        clusters
            .iter()
            .find(|c| c.name == workload.key.cluster)
            .and_then(|c| match c.reachability {
                Reachability::Unreachable { since_ms } => Some(since_ms),
                _ => None,
            })
    })
}

fn new_workload(workload: Workload, mut pods: Vec<PodInfo>) -> LiveWorkload {
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    LiveWorkload {
        key: workload.key.clone(),
        info: ArcRwSignal::new(workload),
        pods: ArcRwSignal::new(pods.into_iter().map(new_pod).collect()),
    }
}

fn new_pod(pod: PodInfo) -> LivePod {
    LivePod {
        name: pod.name.clone(),
        info: ArcRwSignal::new(pod),
    }
}

/// The pods exactly `pods`, keeping the rows (signals) of those already shown.
fn reconcile_pods(live: &ArcRwSignal<Vec<LivePod>>, mut pods: Vec<PodInfo>) {
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    let existing = live.get_untracked();
    let mut old = existing.iter().peekable();
    let mut next = Vec::with_capacity(pods.len());
    for pod in pods {
        while old.next_if(|o| o.name < pod.name).is_some() {}
        match old.next_if(|o| o.name == pod.name) {
            Some(known) => {
                known.info.maybe_update(|p| replace(p, pod));
                next.push(known.clone());
            }
            None => next.push(new_pod(pod)),
        }
    }
    live.maybe_update(|list| {
        let same = list.len() == next.len() && list.iter().zip(&next).all(|(a, b)| a.info == b.info);
        *list = next;
        !same
    });
}

fn upsert_pod(live: &ArcRwSignal<Vec<LivePod>>, pod: PodInfo) {
    let found = live.with_untracked(|pods| {
        pods.binary_search_by(|p| p.name.cmp(&pod.name))
            .map(|at| pods[at].info.clone())
    });
    match found {
        Ok(info) => info.maybe_update(|p| replace(p, pod)),
        Err(_) => live.update(|pods| {
            let at = pods.partition_point(|p| p.name < pod.name);
            pods.insert(at, new_pod(pod));
        }),
    }
}

fn sort(list: &mut [LiveWorkload]) -> bool {
    let before: Vec<WorkloadKey> = list.iter().map(|w| w.key.clone()).collect();
    list.sort_by_cached_key(|w| (w.info.with_untracked(|i| i.health), w.key.clone()));
    list.iter().zip(&before).any(|(w, key)| &w.key != key)
}

/// Replaces `old` with `new` when they differ; says whether it did (so unchanged values notify
/// nobody).
fn replace<T: PartialEq>(old: &mut T, new: T) -> bool {
    let changed = *old != new;
    if changed {
        *old = new;
    }
    changed
}

#[cfg(test)]
mod tests;
