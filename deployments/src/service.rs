//! The live Deployments views: every configured cluster projected into workloads as its watches
//! report changes, mapped to catalog entities, recorded in the rollout history, and streamed to
//! open pages. One projection per cluster per burst of changes, however many pages are open; each
//! page only diffs its share of it (`updates::Differ`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};

use super::entities::{ClusterEntity, Discovered};
use super::project::{self, mapping::EntityIndex, mapping::EntitySelector};
use super::resources::{self, ClusterResources};
use super::updates::Differ;
use super::{Cluster, ClusterSettings, KubernetesError, WatchTiming, history};
use crate::model::{ClusterState, EntityDeployments, RolloutRecord, Update, Workload, WorkloadKey};
use crate::store::{Store, StoreError};
use catalog::service::Catalog;

/// Changes arriving within this window are projected together: a rollout touches dozens of
/// objects at once, and one projection for all of them keeps a page's updates well within a second.
const DEBOUNCE: Duration = Duration::from_millis(25);
/// How often the mapping from workloads to entities is read again from the catalog.
const INDEX_REFRESH: Duration = Duration::from_secs(15);
/// How often a quiet cluster's state is looked at anyway (types becoming forbidden or allowed).
const IDLE_RECHECK: Duration = Duration::from_secs(5);
/// Rollouts an entity page shows.
const HISTORY_LIMIT: u32 = 50;
/// Live streams one replica serves at once: each holds a task and a connection.
const MAX_STREAMS: usize = 2_000;
/// Messages a slow page may have queued before its stream waits (changes coalesce meanwhile).
const STREAM_BUFFER: usize = 64;
/// Discovered workloads settle this long before the catalog file is written again.
const DISCOVERY_SETTLE: Duration = Duration::from_secs(5);
/// Longest the catalog file waits for a silent cluster before dropping what it discovered.
const WAIT_FOR_ALL_CLUSTERS: Duration = Duration::from_secs(300);

/// One cluster's workloads at one moment.
#[derive(Clone, Debug)]
pub struct ClusterView {
    pub state: ClusterState,
    /// Problems first (`sort_workloads`); a workload unchanged since the last view is the same `Arc`.
    pub workloads: Vec<Arc<Workload>>,
}

struct Feed {
    cluster: Cluster,
    view: watch::Sender<Arc<ClusterView>>,
    /// Its workloads that no entity claims but whose labels describe them.
    discovered: watch::Sender<Vec<Discovered>>,
}

/// A cluster to watch, and how the catalog shows it.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    pub settings: ClusterSettings,
    pub entity: ClusterEntity,
}

/// What the server's handlers and pages call.
pub struct Deployments {
    feeds: Vec<Arc<Feed>>,
    store: Store,
    index: watch::Sender<Arc<Mapping>>,
    /// Bumped whenever any cluster's view changes: pages wait on it.
    changed: watch::Sender<u64>,
    rollouts: broadcast::Sender<RolloutRecord>,
    /// Live streams open now, against `MAX_STREAMS`.
    open_streams: Arc<AtomicUsize>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Drop for Deployments {
    fn drop(&mut self) {
        for task in self.tasks.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            task.abort();
        }
    }
}

impl Deployments {
    /// Connects to every cluster and starts watching; needs a Tokio runtime. A cluster that
    /// cannot be set up (bad settings) is an error here, at start-up; one that is down is not.
    /// `entities_file`: where the clusters' catalog file lives (`entities::documents`, registered
    /// as a location by the caller); discovered Components are written there as they appear.
    pub fn start(
        clusters: &[ClusterConfig],
        catalog: Arc<Catalog>,
        entities_file: Option<std::path::PathBuf>,
    ) -> Result<Arc<Deployments>, KubernetesError> {
        Self::start_with(clusters, catalog, entities_file, WatchTiming::default())
    }

    /// [`Deployments::start`] with the watches timed by `timing` (and the metrics API polled
    /// when it says so, for cost allocation).
    pub fn start_with(
        clusters: &[ClusterConfig],
        catalog: Arc<Catalog>,
        entities_file: Option<std::path::PathBuf>,
        timing: WatchTiming,
    ) -> Result<Arc<Deployments>, KubernetesError> {
        let mut feeds = Vec::new();
        for c in clusters {
            let cluster = Cluster::connect_with(&c.settings, timing)?;
            let view = watch::Sender::new(Arc::new(ClusterView {
                state: cluster.state(),
                workloads: Vec::new(),
            }));
            feeds.push(Arc::new(Feed {
                cluster,
                view,
                discovered: watch::Sender::new(Vec::new()),
            }));
        }
        let deployments = Arc::new(Deployments {
            feeds,
            store: Store::new(catalog.store.clone()),
            index: watch::Sender::new(Arc::new(Mapping::default())),
            changed: watch::Sender::new(0),
            rollouts: broadcast::Sender::new(256),
            open_streams: Arc::default(),
            tasks: Mutex::default(),
        });
        let mut tasks = vec![tokio::spawn(refresh_index(
            Arc::downgrade(&deployments),
            catalog.entities_changed(),
        ))];
        for feed in &deployments.feeds {
            tasks.push(tokio::spawn(project_feed(
                Arc::clone(feed),
                deployments.index.subscribe(),
                deployments.changed.clone(),
            )));
            tasks.push(tokio::spawn(record_history(
                Arc::clone(feed),
                deployments.store.clone(),
                deployments.rollouts.clone(),
            )));
        }
        if let Some(file) = entities_file {
            let entities = clusters.iter().map(|c| c.entity.clone()).collect();
            let discovered = deployments.feeds.iter().map(|f| f.discovered.subscribe()).collect();
            tasks.push(tokio::spawn(write_discovered(catalog, file, entities, discovered)));
        }
        *deployments.tasks.lock().unwrap_or_else(PoisonError::into_inner) = tasks;
        Ok(deployments)
    }

    /// The rollout history and the other statements of this crate.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn cluster_names(&self) -> Vec<String> {
        self.feeds.iter().map(|f| f.cluster.name().to_string()).collect()
    }

    /// Each cluster's nodes, placed pods (containers' requests, limits and last usage, their
    /// workload and entity), claims and volumes, as the watches hold them now: what cost
    /// allocation samples. Cheap: no request to any cluster.
    pub fn resources(&self) -> Vec<ClusterResources> {
        self.feeds
            .iter()
            .map(|feed| {
                let view = feed.view.borrow().clone();
                let cluster = &feed.cluster;
                resources::read(
                    &cluster.objects(),
                    &view.workloads,
                    &cluster.usage(),
                    cluster.resources_settled(),
                )
            })
            .collect()
    }

    /// Each cluster's Pyrra `ServiceLevelObjective`s as its watch holds them (none where the CRD
    /// is not installed), as JSON: what the SLO collection reads. No request to any cluster.
    pub fn pyrra_slos(&self) -> Vec<(String, serde_json::Value)> {
        self.feeds
            .iter()
            .flat_map(|feed| {
                let cluster = feed.cluster.name().to_string();
                feed.cluster.pyrra_slos().into_iter().filter_map(move |object| {
                    let mut value = serde_json::to_value(&*object).ok()?;
                    // A list's items carry no type (Kubernetes leaves it to the list).
                    value["apiVersion"] = "pyrra.dev/v1alpha1".into();
                    value["kind"] = "ServiceLevelObjective".into();
                    Some((cluster.clone(), value))
                })
            })
            .collect()
    }

    /// Reads the catalog's entities again now (the background refresh does it every 15 s).
    pub async fn reload_entities(&self) -> Result<(), StoreError> {
        let index = load_index(&self.store).await?;
        self.index.send_replace(Arc::new(index));
        Ok(())
    }

    fn clusters(&self) -> Vec<ClusterState> {
        self.feeds.iter().map(|f| f.view.borrow().state.clone()).collect()
    }

    /// Every workload, or an entity's, across clusters, problems first.
    fn workloads(&self, entity: Option<&str>) -> Vec<Arc<Workload>> {
        let mut out: Vec<Arc<Workload>> = Vec::new();
        for feed in &self.feeds {
            let view = feed.view.borrow();
            out.extend(
                view.workloads
                    .iter()
                    .filter(|w| entity.is_none_or(|e| w.entity.as_deref() == Some(e)))
                    .cloned(),
            );
        }
        out.sort_by(|a, b| a.health.cmp(&b.health).then_with(|| a.key.cmp(&b.key)));
        out
    }

    /// An entity's tab: its workloads in every cluster and its rollout history.
    pub async fn entity(&self, entity_ref: &str) -> Result<EntityDeployments, StoreError> {
        let entity_ref = entity_ref.to_lowercase();
        Ok(EntityDeployments {
            clusters: self.clusters(),
            workloads: self
                .workloads(Some(&entity_ref))
                .iter()
                .map(|w| (**w).clone())
                .collect(),
            history: self.store.rollouts_of_entity(&entity_ref, HISTORY_LIMIT).await?,
        })
    }

    /// The Deployments page: every workload of every cluster, without pods.
    pub fn overview(&self) -> (Vec<ClusterState>, Vec<Workload>) {
        let workloads = self
            .workloads(None)
            .iter()
            .map(|w| super::updates::without_pods(w))
            .collect();
        (self.clusters(), workloads)
    }

    /// A page's live stream: a snapshot, then what changes, until the receiver is dropped.
    /// `entity`: that entity's workloads with their pods; none: every workload without pods.
    /// None when `MAX_STREAMS` are open already.
    pub fn stream(self: &Arc<Self>, entity: Option<String>) -> Option<mpsc::Receiver<Update>> {
        let slot = StreamSlot::take(&self.open_streams)?;
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let this = Arc::clone(self);
        let task = tokio::spawn(async move {
            let _slot = slot;
            let entity = entity.map(|e| e.to_lowercase());
            let mut changed = this.changed.subscribe();
            let mut rollouts = this.rollouts.subscribe();
            let mut differ = Differ::new(entity.is_some());
            let snapshot = differ.snapshot(&this.clusters(), &this.workloads(entity.as_deref()));
            if tx.send(snapshot).await.is_err() {
                return;
            }
            loop {
                tokio::select! {
                    seen = changed.changed() => {
                        if seen.is_err() {
                            return;
                        }
                        let updates = differ.next(&this.clusters(), &this.workloads(entity.as_deref()));
                        for update in updates {
                            if tx.send(update).await.is_err() {
                                return;
                            }
                        }
                    }
                    record = rollouts.recv() => match record {
                        Ok(record) if entity.is_none() || record.entity == entity => {
                            if tx.send(Update::Rollout(record)).await.is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                        // Too far behind to say what was missed: start the page over.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            let snapshot = differ.snapshot(&this.clusters(), &this.workloads(entity.as_deref()));
                            if tx.send(snapshot).await.is_err() {
                                return;
                            }
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    () = tx.closed() => return,
                }
            }
        });
        // Streams end with their page; finished tasks need no bookkeeping.
        drop(task);
        Some(rx)
    }
}

/// A place among the `MAX_STREAMS`, given back when its stream's task ends.
struct StreamSlot(Arc<AtomicUsize>);

impl StreamSlot {
    fn take(open: &Arc<AtomicUsize>) -> Option<StreamSlot> {
        if open.fetch_add(1, Ordering::Relaxed) >= MAX_STREAMS {
            open.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(StreamSlot(Arc::clone(open)))
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Re-projects a cluster after every burst of changes (and now and then when nothing changes).
async fn project_feed(feed: Arc<Feed>, mut index: watch::Receiver<Arc<Mapping>>, changed: watch::Sender<u64>) {
    let mut changes = feed.cluster.changes();
    let mut reachability = feed.cluster.reachability();
    // The catalog file is first rewritten once the cluster has answered, not from an empty start.
    let mut announced = false;
    // What the last burst touched: a few namespaces, or everything (the first time, a relist, a
    // change of state, mapping or Argo CD Application, which points into other namespaces).
    let mut scope = Scope::Everything;
    loop {
        let objects = feed.cluster.objects();
        let current = Arc::clone(&index.borrow_and_update());
        let mut discovered = Vec::new();
        let projected = project::workloads(&objects, |meta| {
            if !scope.covers(meta.namespace) {
                return None;
            }
            let mapped = current.index.select(meta);
            // A workload claimed only by the Component discovered from it stays discovered, or
            // that Component would vanish with the next write of the file.
            let claimed = mapped.as_ref().and_then(|m| m.entity.as_ref());
            if claimed.is_none_or(|e| current.discovered.contains(e)) {
                let workload = format!("{}/{}", meta.kind.as_str(), meta.name);
                // A Component of that name described elsewhere would refuse ours (one provider
                // per entity): it is the team's to map, not ours to shadow.
                discovered.extend(
                    Discovered::from_labels(feed.cluster.name(), meta.namespace, workload, meta.labels).filter(|d| {
                        !current
                            .described
                            .contains(&format!("component:default/{}", d.name.to_lowercase()))
                    }),
                );
            }
            mapped
        });
        let previous = feed.view.borrow().clone();
        if let Scope::Namespaces(_) = &scope {
            let kept = feed.discovered.borrow();
            discovered.extend(kept.iter().filter(|d| !scope.covers(&d.namespace)).cloned());
        }
        discovered.sort();
        let answered = matches!(feed.cluster.state().reachability, crate::model::Reachability::Reachable);
        feed.discovered.send_if_modified(|now| {
            let changed = *now != discovered || (answered && !announced);
            *now = std::mem::take(&mut discovered);
            changed
        });
        announced |= answered;
        let view = merge(&previous, feed.cluster.state(), projected, &scope);
        if view.state != previous.state || !same_workloads(&view.workloads, &previous.workloads) {
            feed.view.send_replace(Arc::new(view));
            changed.send_modify(|generation| *generation += 1);
        }
        scope = tokio::select! {
            change = changes.recv() => match change {
                Err(broadcast::error::RecvError::Closed) => return,
                change => Scope::Namespaces(Default::default()).add(change),
            },
            _ = reachability.changed() => Scope::Everything,
            _ = index.changed() => Scope::Everything,
            () = tokio::time::sleep(IDLE_RECHECK) => Scope::Everything,
        };
        tokio::time::sleep(DEBOUNCE).await;
        loop {
            match changes.try_recv() {
                Err(broadcast::error::TryRecvError::Empty) => break,
                Err(broadcast::error::TryRecvError::Closed) => return,
                change => scope = scope.add(change.map_err(|_| broadcast::error::RecvError::Lagged(0))),
            }
        }
    }
}

/// The namespaces a burst of changes touched, or everything.
enum Scope {
    Everything,
    Namespaces(std::collections::BTreeSet<String>),
}

impl Scope {
    fn covers(&self, namespace: &str) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Namespaces(namespaces) => namespaces.contains(namespace),
        }
    }

    /// Widened by one change: objects of a namespace touch only its workloads, except Argo CD
    /// Applications (they point into other namespaces); anything else touches everything.
    fn add(self, change: Result<super::ClusterChange, broadcast::error::RecvError>) -> Scope {
        use super::{Change, ClusterChange, WatchedType};
        let Scope::Namespaces(mut namespaces) = self else {
            return Scope::Everything;
        };
        match change {
            Ok(ClusterChange::Objects {
                resource,
                change: Change::Applied(key) | Change::Deleted(key),
            }) if resource != WatchedType::ArgoApplication => match key.namespace {
                Some(namespace) => {
                    namespaces.insert(namespace);
                    Scope::Namespaces(namespaces)
                }
                None => Scope::Everything,
            },
            _ => Scope::Everything,
        }
    }
}

/// The new view: the projected workloads (reusing the previous `Arc` of each that did not
/// change, so pages' differs skip it at the cost of a pointer comparison) and, outside the
/// scope projected, the previous workloads as they were.
fn merge(previous: &ClusterView, state: ClusterState, projected: Vec<Workload>, scope: &Scope) -> ClusterView {
    let mut view = reuse_unchanged(previous, state, projected);
    if let Scope::Namespaces(_) = scope {
        view.workloads.extend(
            previous
                .workloads
                .iter()
                .filter(|w| !scope.covers(&w.key.namespace))
                .cloned(),
        );
    }
    view.workloads
        .sort_by(|a, b| a.health.cmp(&b.health).then_with(|| a.key.cmp(&b.key)));
    view
}

/// The new view, keeping the previous `Arc` of every workload that did not change, so pages'
/// differs skip it at the cost of a pointer comparison.
fn reuse_unchanged(previous: &ClusterView, state: ClusterState, workloads: Vec<Workload>) -> ClusterView {
    let before: HashMap<&WorkloadKey, &Arc<Workload>> = previous.workloads.iter().map(|w| (&w.key, w)).collect();
    let workloads = workloads
        .into_iter()
        .map(|w| match before.get(&w.key) {
            Some(old) if ***old == w => Arc::clone(old),
            _ => Arc::new(w),
        })
        .collect();
    ClusterView { state, workloads }
}

fn same_workloads(a: &[Arc<Workload>], b: &[Arc<Workload>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| Arc::ptr_eq(x, y))
}

/// Records the rollouts a cluster's views show, apart from the projection so a slow database
/// never delays a page. Only workloads whose rollout may have moved are looked at.
async fn record_history(feed: Arc<Feed>, store: Store, rollouts: broadcast::Sender<RolloutRecord>) {
    // Not before every type has been listed: a Rollout seen before its ReplicaSets would be
    // recorded as starting now rather than when its ReplicaSet was created.
    feed.cluster.ready().await;
    // The projection of the last list is published within a debounce of it.
    tokio::time::sleep(DEBOUNCE * 4).await;
    let mut views = feed.view.subscribe();
    views.mark_changed();
    let mut last: HashMap<WorkloadKey, Arc<Workload>> = HashMap::new();
    while views.changed().await.is_ok() {
        let view = Arc::clone(&views.borrow_and_update());
        // A stale view says nothing new about rollouts; the cluster's return will.
        if view.workloads.iter().any(|w| w.stale_since_ms.is_some()) {
            continue;
        }
        let moved: Vec<Workload> = view
            .workloads
            .iter()
            .filter(|w| last.get(&w.key).is_none_or(|old| rollout_moved(old, w)))
            .map(|w| (**w).clone())
            .collect();
        if moved.is_empty() {
            continue;
        }
        match history::observe(&store, &moved, catalog::store::now_ms()).await {
            Ok(records) => {
                for w in &view.workloads {
                    last.insert(w.key.clone(), Arc::clone(w));
                }
                for record in records {
                    let _ = rollouts.send(record);
                }
            }
            // Retried with the next view: the history's writes are idempotent.
            Err(error) => tracing::warn!(%error, "recording rollouts failed"),
        }
    }
}

fn rollout_moved(old: &Workload, new: &Workload) -> bool {
    old.revision != new.revision
        || old.images != new.images
        || old.rollout != new.rollout
        || old.replicas != new.replicas
        || old.entity != new.entity
}

/// Keeps the workload → entity mapping in step with the catalog: at once after a refresh here
/// changed entities, and every `INDEX_REFRESH` for the other replicas' refreshes.
async fn refresh_index(deployments: std::sync::Weak<Deployments>, mut catalog_changed: watch::Receiver<u64>) {
    loop {
        let Some(this) = deployments.upgrade() else { return };
        if let Err(error) = this.reload_entities().await {
            tracing::warn!(%error, "reading the entities workloads map to failed");
        }
        drop(this);
        tokio::select! {
            () = tokio::time::sleep(INDEX_REFRESH) => {}
            gone = catalog_changed.changed() => {
                if gone.is_err() {
                    tokio::time::sleep(INDEX_REFRESH).await;
                }
            }
        }
    }
}

/// Which entity each workload belongs to, and which entities were themselves discovered.
#[derive(Default)]
struct Mapping {
    index: EntityIndex,
    discovered: std::collections::HashSet<String>,
    /// Every other entity that can own workloads (written by people, not discovered).
    described: std::collections::HashSet<String>,
}

async fn load_index(store: &Store) -> Result<Mapping, StoreError> {
    let entities = store.mappable_entities().await?;
    let (discovered, described): (Vec<_>, Vec<_>) = entities
        .iter()
        .partition(|e| e.annotations.contains_key(super::entities::DISCOVERED_ANNOTATION));
    let refs = |list: Vec<&crate::store::MappableEntity>| list.into_iter().map(|e| e.entity_ref.clone()).collect();
    let (discovered, described) = (refs(discovered), refs(described));
    let selectors = entities.iter().filter_map(|e| {
        EntitySelector::new(e.entity_ref.clone(), &e.name, e.owner.clone(), &e.annotations)
            .map_err(|error| tracing::debug!(%error, "entity's Kubernetes annotations ignored"))
            .ok()
    });
    Ok(Mapping {
        index: EntityIndex::new(selectors),
        discovered,
        described,
    })
}

/// Keeps the clusters' catalog file in step with what is discovered, and asks the catalog to read
/// it again when it changed.
async fn write_discovered(
    catalog: Arc<Catalog>,
    file: std::path::PathBuf,
    clusters: Vec<ClusterEntity>,
    mut feeds: Vec<watch::Receiver<Vec<Discovered>>>,
) {
    let mut written = std::fs::read_to_string(&file).unwrap_or_default();
    // Until every cluster has answered once (or for a while), what a silent one discovered last
    // time stays in the file rather than vanishing from the catalog.
    let started = tokio::time::Instant::now();
    let mut heard = vec![false; feeds.len()];
    loop {
        let changes = feeds.iter_mut().map(|f| Box::pin(f.changed()));
        let (result, first, _) = futures::future::select_all(changes).await;
        if result.is_err() {
            return;
        }
        heard[first] = true;
        tokio::time::sleep(DISCOVERY_SETTLE).await;
        for (i, feed) in feeds.iter().enumerate() {
            heard[i] |= feed.has_changed().unwrap_or(false);
        }
        if !heard.iter().all(|h| *h) && started.elapsed() < WAIT_FOR_ALL_CLUSTERS {
            continue;
        }
        let all: Vec<Discovered> = feeds.iter_mut().flat_map(|f| f.borrow_and_update().clone()).collect();
        let text = super::entities::documents(&clusters, &all);
        if text != written {
            match write_atomically(&file, &text) {
                Ok(()) => {
                    written = text;
                    if let Err(error) = request_refresh(&catalog, &file).await {
                        tracing::warn!(%error, "asking for the clusters' catalog file to be read again failed");
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, file = %file.display(), "writing the clusters' catalog file failed")
                }
            }
        }
    }
}

fn write_atomically(file: &std::path::Path, text: &str) -> std::io::Result<()> {
    let partial = file.with_extension("yaml.partial");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, file)
}

async fn request_refresh(catalog: &Catalog, file: &std::path::Path) -> Result<(), catalog::service::CatalogError> {
    let target = file.display().to_string();
    let locations: Vec<_> = catalog
        .store
        .locations()
        .await?
        .into_iter()
        .filter(|l| l.location_type == "file" && l.target == target)
        .collect();
    catalog.request_refresh(&locations).await
}

#[cfg(test)]
mod tests {
    use super::super::{Change, ClusterChange, ObjectKey, WatchedType};
    use super::*;
    use crate::model::Reachability;

    fn applied(resource: WatchedType, namespace: &str) -> Result<ClusterChange, broadcast::error::RecvError> {
        Ok(ClusterChange::Objects {
            resource,
            change: Change::Applied(ObjectKey {
                namespace: Some(namespace.into()),
                name: "x".into(),
            }),
        })
    }

    #[test]
    fn a_burst_touches_its_namespaces_unless_it_may_touch_anything() {
        let scope = Scope::Namespaces(Default::default())
            .add(applied(WatchedType::Pod, "shop"))
            .add(applied(WatchedType::HorizontalPodAutoscaler, "search"));
        assert!(scope.covers("shop") && scope.covers("search") && !scope.covers("billing"));
        for wide in [
            applied(WatchedType::ArgoApplication, "argocd"),
            Ok(ClusterChange::State),
            Ok(ClusterChange::Objects {
                resource: WatchedType::Pod,
                change: Change::Relisted,
            }),
            Err(broadcast::error::RecvError::Lagged(3)),
        ] {
            let scope = Scope::Namespaces(Default::default())
                .add(applied(WatchedType::Pod, "shop"))
                .add(wide);
            assert!(scope.covers("billing"), "may touch anything");
        }
    }

    fn workload(namespace: &str, name: &str, ready: u32) -> Workload {
        let mut workload = Workload::sample(namespace, name);
        workload.replicas.ready = ready;
        workload.replicas.available = ready;
        workload
    }

    #[test]
    fn workloads_outside_the_scope_are_kept_as_they_were() {
        let state = ClusterState {
            name: "dev".into(),
            reachability: Reachability::Reachable,
            forbidden: vec![],
        };
        let previous = ClusterView {
            state: state.clone(),
            workloads: vec![
                Arc::new(workload("billing", "invoices", 2)),
                Arc::new(workload("shop", "cart", 2)),
                Arc::new(workload("shop", "gone", 2)),
            ],
        };
        let scope = Scope::Namespaces(["shop".to_string()].into());
        let view = merge(&previous, state, vec![workload("shop", "cart", 1)], &scope);
        let names: Vec<&str> = view.workloads.iter().map(|w| w.key.name.as_str()).collect();
        assert_eq!(
            names,
            ["invoices", "cart"],
            "the deleted one is gone, the other namespace stays"
        );
        assert!(
            Arc::ptr_eq(&view.workloads[0], &previous.workloads[0]),
            "not projected again"
        );
        assert_eq!(view.workloads[1].replicas.ready, 1);
    }
}
