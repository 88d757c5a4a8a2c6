//! A configured cluster: its client, its reachability, and the one shared watch per resource type.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};

use kube::Resource;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use super::health::{Health, Reachability};
use super::{ClusterSettings, KubernetesError, ResourceWatch};

/// Watches start on first use and stop when the cluster is dropped.
pub struct Cluster {
    name: String,
    client: kube::Client,
    health: Health,
    /// `TypeId` of `K` → `Arc<ResourceWatch<K>>`.
    watches: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    probe: tokio::task::JoinHandle<()>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.probe.abort();
    }
}

impl Cluster {
    /// Sets up the client; nothing is requested until a watch starts. Needs a Tokio runtime.
    pub fn connect(settings: &ClusterSettings) -> Result<Self, KubernetesError> {
        let client = settings.client()?;
        let health = Health::new();
        let probe = tokio::spawn(health.clone().probe_while_down(client.clone()));
        Ok(Self {
            name: settings.name.clone(),
            client,
            health,
            watches: Mutex::default(),
            probe,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn reachability(&self) -> watch::Receiver<Reachability> {
        self.health.subscribe()
    }

    /// The cluster's watch of `K`, started by the first caller and shared by all the others.
    pub fn watch<K>(&self) -> Arc<ResourceWatch<K>>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    {
        let mut watches = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = watches
            .entry(TypeId::of::<K>())
            .or_insert_with(|| Arc::new(ResourceWatch::<K>::start(self.client.clone(), self.health.clone())));
        Arc::clone(entry)
            .downcast()
            .unwrap_or_else(|_| unreachable!("watches are keyed by their own type"))
    }
}
