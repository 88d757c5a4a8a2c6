//! One cluster's watched objects at one moment: what `project` turns into the Deployments views
//! and what the rollout history reads. Cheap to take: the objects are shared with the watches.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Node, PersistentVolume, PersistentVolumeClaim, Pod, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::DynamicObject;

#[derive(Clone, Debug, Default)]
pub struct ClusterObjects {
    pub cluster: String,
    /// Set while the cluster is unreachable: everything here is as of then.
    pub stale_since_ms: Option<i64>,
    pub deployments: Vec<Arc<Deployment>>,
    pub stateful_sets: Vec<Arc<StatefulSet>>,
    pub daemon_sets: Vec<Arc<DaemonSet>>,
    pub replica_sets: Vec<Arc<ReplicaSet>>,
    pub pods: Vec<Arc<Pod>>,
    pub services: Vec<Arc<Service>>,
    pub ingresses: Vec<Arc<Ingress>>,
    pub autoscalers: Vec<Arc<HorizontalPodAutoscaler>>,
    /// Warning events only.
    pub events: Vec<Arc<Event>>,
    /// Argo CD `Application`s (`argoproj.io/v1alpha1`), where the CRD exists.
    pub argo_applications: Vec<Arc<DynamicObject>>,
    /// Argo Rollouts `Rollout`s (`argoproj.io/v1alpha1`), where the CRD exists.
    pub argo_rollouts: Vec<Arc<DynamicObject>>,
    /// Nodes, claims and volumes: what cost allocation reads (they change no view).
    pub nodes: Vec<Arc<Node>>,
    pub claims: Vec<Arc<PersistentVolumeClaim>>,
    pub volumes: Vec<Arc<PersistentVolume>>,
}
