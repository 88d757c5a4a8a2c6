//! A cluster's objects (`ClusterObjects`) turned into the Deployments views' workloads
//! (`crate::model::Workload`), and the workloads that belong to a catalog entity.
//!
//! `workloads(objects, select)` projects every workload `select` accepts: `select` sees each
//! workload's kind, namespace, name and labels and says which entity (and owner) it belongs to, or
//! `None` to leave it out. `EntitySelector::select` keeps one entity's workloads (its page),
//! `EntityIndex::select` keeps all of them with their entities (the Deployments page). Related
//! objects are indexed once per call (ReplicaSets and pods by owner, events by object), over the
//! namespaces of the selected workloads only, so the cost is linear in what those namespaces hold.

mod argo;
mod autoscaler;
mod events;
mod images;
pub mod label_selector;
pub mod mapping;
mod pods;
mod revision;
mod workloads;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

pub use images::{ImageRef, digest_of_image_id};
pub use label_selector::{LabelSelector, SelectorError};
pub use mapping::{EntityIndex, EntitySelector, MappingError, SelectorSource};

use self::revision::Revision;
use self::workloads::{Shape, Source};
use super::ClusterObjects;
use crate::model::{Health, Workload, WorkloadKey, WorkloadKind, health_of, problems_of, sort_workloads};

/// What `select` sees of a workload.
#[derive(Clone, Copy, Debug)]
pub struct WorkloadMeta<'a> {
    pub namespace: &'a str,
    pub kind: WorkloadKind,
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
}

/// The catalog entity a workload belongs to, and that entity's owner (both refs, as strings).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapped {
    pub entity: Option<String>,
    pub owner: Option<String>,
}

/// The workloads of one cluster that `select` accepts, with everything the views show of them,
/// in the views' order (`sort_workloads`).
pub fn workloads(
    objects: &ClusterObjects,
    mut select: impl FnMut(&WorkloadMeta<'_>) -> Option<Mapped>,
) -> Vec<Workload> {
    let selected: Vec<(Source<'_>, Mapped)> = workloads::sources(objects)
        .filter_map(|source| {
            let meta = WorkloadMeta {
                namespace: source.namespace(),
                kind: source.kind(),
                name: source.name(),
                labels: source.labels(),
            };
            select(&meta).map(|mapped| (source, mapped))
        })
        .collect();
    if selected.is_empty() {
        return Vec::new();
    }
    let related = relate(objects, &selected);
    let apps = argo::Applications::new(&objects.argo_applications);
    let mut out: Vec<Workload> = selected
        .into_iter()
        .zip(related)
        .map(|((source, mapped), related)| assemble(objects, source, mapped, related, &apps))
        .collect();
    sort_workloads(&mut out);
    out
}

/// One entity's workloads in one cluster.
pub fn entity_workloads(objects: &ClusterObjects, entity: &EntitySelector) -> Vec<Workload> {
    workloads(objects, |w| entity.select(w))
}

/// Every workload of one cluster, with its entity and owner where the index finds one.
pub fn all_workloads(objects: &ClusterObjects, index: &EntityIndex) -> Vec<Workload> {
    workloads(objects, |w| index.select(w))
}

fn ms(time: &Time) -> i64 {
    time.0.as_millisecond()
}

fn time_ms(time: Option<&Time>) -> Option<i64> {
    time.map(ms)
}

/// The objects related to one selected workload.
#[derive(Default)]
struct Related<'a> {
    replica_sets: Vec<&'a ReplicaSet>,
    pods: Vec<&'a Pod>,
    autoscaler: Option<&'a HorizontalPodAutoscaler>,
    events: Vec<&'a Event>,
}

/// Objects by `(kind, namespace, name)`, each with the selected workload it belongs to and its
/// uid, so an owner reference to a deleted-and-recreated namesake does not match.
#[derive(Default)]
struct Names<'a> {
    map: HashMap<(&'a str, &'a str, &'a str), (usize, Option<&'a str>)>,
}

impl<'a> Names<'a> {
    fn insert(&mut self, kind: &'a str, meta: &'a ObjectMeta, workload: usize) {
        let key = (
            kind,
            meta.namespace.as_deref().unwrap_or_default(),
            meta.name.as_deref().unwrap_or_default(),
        );
        self.map.insert(key, (workload, meta.uid.as_deref()));
    }

    fn find(&self, kind: &str, namespace: &str, name: &str, uid: Option<&str>) -> Option<usize> {
        let &(workload, known) = self.map.get(&(kind, namespace, name))?;
        match (known, uid) {
            (Some(known), Some(uid)) if !uid.is_empty() && known != uid => None,
            _ => Some(workload),
        }
    }

    /// The selected workload whose object (or ReplicaSet) controls `meta`.
    fn controller_of(&self, meta: &ObjectMeta) -> Option<usize> {
        let owner = meta
            .owner_references
            .as_ref()?
            .iter()
            .find(|o| o.controller == Some(true))?;
        self.find(&owner.kind, meta.namespace.as_deref()?, &owner.name, Some(&owner.uid))
    }
}

fn relate<'a>(objects: &'a ClusterObjects, selected: &[(Source<'a>, Mapped)]) -> Vec<Related<'a>> {
    let mut related: Vec<Related<'a>> = selected.iter().map(|_| Related::default()).collect();
    let namespaces: HashSet<&str> = selected.iter().map(|(s, _)| s.namespace()).collect();
    let in_scope = |meta: &ObjectMeta| meta.namespace.as_deref().is_some_and(|ns| namespaces.contains(ns));
    let mut names = Names::default();
    for (i, (source, _)) in selected.iter().enumerate() {
        names.insert(source.kind().as_str(), source.meta(), i);
    }
    for rs in objects.replica_sets.iter().filter(|rs| in_scope(&rs.metadata)) {
        if let Some(i) = names.controller_of(&rs.metadata) {
            related[i].replica_sets.push(rs);
            names.insert("ReplicaSet", &rs.metadata, i);
        }
    }
    for pod in objects.pods.iter().filter(|p| in_scope(&p.metadata)) {
        if let Some(i) = names.controller_of(&pod.metadata) {
            related[i].pods.push(pod);
            names.insert("Pod", &pod.metadata, i);
        }
    }
    for hpa in objects.autoscalers.iter().filter(|h| in_scope(&h.metadata)) {
        let (Some(spec), Some(ns)) = (hpa.spec.as_ref(), hpa.metadata.namespace.as_deref()) else {
            continue;
        };
        let target = &spec.scale_target_ref;
        if let Some(i) = names.find(&target.kind, ns, &target.name, None) {
            // Two autoscalers for one workload fight; show the first by name, whichever was listed first.
            let first = related[i]
                .autoscaler
                .is_none_or(|other| other.metadata.name > hpa.metadata.name);
            if first {
                related[i].autoscaler = Some(hpa);
            }
        }
    }
    // The watch keeps warnings only; a Normal event slipping through is not a warning to show.
    for event in objects.events.iter().filter(|e| e.type_.as_deref() != Some("Normal")) {
        let object = &event.involved_object;
        let namespace = object.namespace.as_deref().or(event.metadata.namespace.as_deref());
        let (Some(kind), Some(ns), Some(name)) = (object.kind.as_deref(), namespace, object.name.as_deref()) else {
            continue;
        };
        if let Some(i) = names.find(kind, ns, name, object.uid.as_deref()) {
            related[i].events.push(event);
        }
    }
    // The views must not depend on the order the watches list objects in: equal snapshots give
    // equal workloads, and pages are sent only what changed.
    for r in &mut related {
        r.pods.sort_unstable_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        r.replica_sets
            .sort_unstable_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    }
    related
}

/// 7 to 64 hex digits: an abbreviated or full SHA-1 or SHA-256 commit id.
fn is_commit(text: &str) -> bool {
    (7..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn assemble(
    objects: &ClusterObjects,
    source: Source<'_>,
    mapped: Mapped,
    related: Related<'_>,
    apps: &argo::Applications<'_>,
) -> Workload {
    let Shape {
        containers,
        source_revision,
        replicas,
        revision,
        rollout,
        current,
        argo_rollout,
    } = workloads::shape(source);
    let revision = Revision::resolve(revision, &current, &related.replica_sets, &related.pods);
    let (current_pods, other_pods): (Vec<&Pod>, Vec<&Pod>) =
        related.pods.iter().partition(|pod| revision.pod_is_current(pod));
    let pods = related.pods.iter().map(|p| pods::pod_info(p)).collect();
    let meta = source.meta();
    let mut workload = Workload {
        key: WorkloadKey {
            cluster: objects.cluster.clone(),
            namespace: source.namespace().to_string(),
            kind: source.kind(),
            name: source.name().to_string(),
        },
        entity: mapped.entity,
        owner: mapped.owner,
        created_ms: time_ms(meta.creation_timestamp.as_ref()),
        replicas,
        images: images::container_images(&containers, &current_pods, &other_pods),
        source_revision: source_revision.filter(|r| is_commit(r)),
        revision: revision.name,
        revision_since_ms: revision.since_ms,
        rollout,
        pods,
        autoscaler: related.autoscaler.map(autoscaler::autoscaler),
        events: events::recent(related.events),
        argo_cd: apps.tracking(
            source.labels(),
            source.annotations(),
            (
                source.group(),
                source.kind().as_str(),
                source.namespace(),
                source.name(),
            ),
        ),
        argo_rollout,
        health: Health::Unknown,
        problems: Vec::new(),
        stale_since_ms: objects.stale_since_ms,
    };
    workload.problems = problems_of(&workload);
    workload.health = health_of(&workload);
    workload
}
