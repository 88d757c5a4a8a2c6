//! Collecting SLO definitions from where the catalog reads: each entity whose
//! `cairn.dev/slo-files` lists files (relative to the entity's own file, inside its directory)
//! has them read, from disk for `file` locations and from the catalog's Git checkout for `url`
//! locations. Every SLO gets its entity by `belong`'s rules; every problem (unreadable file,
//! invalid definition, no entity) is kept with file, line and field, for the entity's page.
//! Pyrra's `ServiceLevelObjective`s found in watched clusters are read the same way, each named
//! `kubernetes:<cluster>/<namespace>/servicelevelobjectives.pyrra.dev/<name>` where a file's
//! name would be, and read from the Prometheus source named like its cluster (else the global
//! one).

use std::collections::BTreeMap;

use catalog::ingest::git::{GitSettings, checkout, parse_target};
use catalog::model::entity_ref::EntityRef;
use catalog::read::ReadLimits;
use sha2::{Digest, Sha256};

use crate::belong::{self, Around, BelongsBy};
use crate::model::Slo;
use crate::read::read_file;
use crate::store::{Collected, ListingEntity, ProblemRow, Store, StoreError};

/// Bounds of one collection.
#[derive(Clone, Debug)]
pub struct CollectLimits {
    pub read: ReadLimits,
    /// The most SLOs kept; the rest are problems.
    pub max_slos: usize,
}

impl Default for CollectLimits {
    fn default() -> Self {
        CollectLimits {
            read: ReadLimits::default(),
            max_slos: 5_000,
        }
    }
}

/// A Pyrra `ServiceLevelObjective` of a watched cluster, as the cluster serves it.
#[derive(Clone, Debug)]
pub struct ClusterObject {
    pub cluster: String,
    pub object: serde_json::Value,
}

/// What gives the cluster objects at each collection (the server's watched clusters).
pub type ClusterObjects = std::sync::Arc<dyn Fn() -> Vec<ClusterObject> + Send + Sync>;

/// The label tying a cluster's object to a Component, as for workloads.
const KUBERNETES_ID_LABEL: &str = "backstage.io/kubernetes-id";

/// Everything one collection found.
#[derive(Clone, Debug, Default)]
pub struct Collection {
    pub slos: Vec<Collected>,
    pub problems: Vec<ProblemRow>,
}

/// The stable id of an SLO: a digest of its file and its id in the file.
pub fn slo_id(file: &str, id: &str) -> String {
    let digest = Sha256::digest(format!("{file}\n{id}").as_bytes());
    catalog::hex::hex(&digest[..8])
}

/// Reads every listed SLO file and every SLO object of the clusters, and decides each SLO's entity.
pub async fn collect(
    store: &Store,
    git: &GitSettings,
    limits: &CollectLimits,
    clusters: &[ClusterObject],
) -> Result<Collection, StoreError> {
    let listing = store.listing_entities().await?;
    let mut out = Collection::default();
    // file → (bytes or why not, the entities listing it)
    let mut files: BTreeMap<String, (FileBytes, Vec<String>)> = BTreeMap::new();
    for entity in &listing {
        match read_listed(entity, git, limits).await {
            Ok(read) => {
                for (file, bytes) in read {
                    files
                        .entry(file)
                        .or_insert_with(|| (bytes, Vec::new()))
                        .1
                        .push(entity.entity_ref.clone());
                }
            }
            Err(message) => out.problems.push(ProblemRow {
                entity: entity.entity_ref.clone(),
                file: entity.source.clone(),
                line: 1,
                field: Some(format!("metadata.annotations.{}", belong::SLO_FILES_ANNOTATION)),
                message,
            }),
        }
    }
    for (file, (bytes, listed_by)) in files {
        let problem = |line: usize, field: Option<String>, message: String| ProblemRow {
            entity: listed_by[0].clone(),
            file: file.clone(),
            line: line as i64,
            field,
            message,
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(message) => {
                out.problems.push(problem(1, None, message));
                continue;
            }
        };
        let read = match read_file(&file, &bytes, &limits.read) {
            Ok(read) => read,
            Err(p) => {
                out.problems.push(problem(p.line, p.field, p.message));
                continue;
            }
        };
        out.problems
            .extend(read.problems.into_iter().map(|p| problem(p.line, p.field, p.message)));
        if read.slos.is_empty() && out.problems.iter().all(|p| p.file != file) {
            out.problems.push(problem(
                1,
                None,
                "the file defines no SLO (OpenSLO, Sloth or Pyrra)".into(),
            ));
        }
        for slo in read.slos {
            let line = slo.origin.as_ref().map_or(1, |o| o.line);
            let components = match &slo.service {
                Some(service) => store.components_named(service).await?,
                None => Vec::new(),
            };
            let around = Around {
                listed_by: refs(&listed_by),
                components_named: refs(&components),
                ..Around::default()
            };
            if let Err(message) = keep(&mut out, limits, &file, slo, &around) {
                out.problems.push(problem(line, None, message));
            }
        }
    }
    collect_clusters(store, limits, clusters, &mut out).await?;
    Ok(out)
}

/// The clusters' SLO objects into `out`: one document each, its problems named by the object.
async fn collect_clusters(
    store: &Store,
    limits: &CollectLimits,
    clusters: &[ClusterObject],
    out: &mut Collection,
) -> Result<(), StoreError> {
    for found in clusters {
        let metadata = &found.object["metadata"];
        let namespace = metadata["namespace"].as_str().unwrap_or("default");
        let name = metadata["name"].as_str().unwrap_or_default();
        let file = format!(
            "kubernetes:{}/{namespace}/servicelevelobjectives.pyrra.dev/{name}",
            found.cluster
        );
        let defined = crate::define::definitions(&[(0, &found.object)]);
        // Shown on the cluster's Resource: an object that belongs nowhere has no other page.
        let problem = |field: Option<String>, message: String| ProblemRow {
            entity: format!("resource:default/{}", found.cluster.to_lowercase()),
            file: file.clone(),
            line: 1,
            field,
            message,
        };
        out.problems.extend(
            defined
                .refused
                .into_iter()
                .map(|r| problem(Some(r.error.field), r.error.message)),
        );
        for defined in defined.slos {
            let mut slo = defined.slo;
            slo.data_source = Some(found.cluster.clone());
            slo.origin = Some(crate::model::Origin {
                file: file.clone(),
                document: 0,
                line: 1,
            });
            let kubernetes_id = match slo.labels.get(KUBERNETES_ID_LABEL) {
                Some(id) => store.components_with_kubernetes_id(id).await?,
                None => Vec::new(),
            };
            let components = match &slo.service {
                Some(service) => store.components_named(service).await?,
                None => Vec::new(),
            };
            let around = Around {
                kubernetes_id: refs(&kubernetes_id),
                components_named: refs(&components),
                ..Around::default()
            };
            if let Err(message) = keep(out, limits, &file, slo, &around) {
                out.problems.push(problem(None, message));
            }
        }
    }
    Ok(())
}

/// Keeps `slo` of `file` for the entity `around` decides, within `limits.max_slos`; otherwise
/// says why not (the caller files it where the SLO was defined).
fn keep(out: &mut Collection, limits: &CollectLimits, file: &str, slo: Slo, around: &Around) -> Result<(), String> {
    let belonging = belong::belonging(&slo, around)?;
    if out.slos.len() >= limits.max_slos {
        return Err(format!("more than {} SLOs: this one is left out", limits.max_slos));
    }
    out.slos.push(Collected {
        id: slo_id(file, &slo.id),
        entity: belonging.entity.to_string().to_lowercase(),
        belongs_by: by_name(belonging.by).into(),
        file: file.to_string(),
        definition: serde_json::to_string(&slo).unwrap_or_default(),
    });
    Ok(())
}

/// The entity refs among `refs` that parse.
fn refs(refs: &[String]) -> Vec<EntityRef> {
    refs.iter().filter_map(|r| EntityRef::parse_full(r).ok()).collect()
}

fn by_name(by: BelongsBy) -> &'static str {
    match by {
        BelongsBy::Annotation => "annotation",
        BelongsBy::Listed => "listed",
        BelongsBy::KubernetesId => "kubernetesId",
        BelongsBy::Service => "service",
        BelongsBy::Repository => "repository",
    }
}

/// A file's bytes, or why it could not be read.
type FileBytes = Result<Vec<u8>, String>;

type Read = Vec<(String, FileBytes)>;

/// The files an entity lists, each read (or why not), named as the catalog names files.
async fn read_listed(entity: &ListingEntity, git: &GitSettings, limits: &CollectLimits) -> Result<Read, String> {
    let listed = belong::listed_files(&entity.files, "")?;
    let max = limits.read.max_file_bytes;
    match entity.location_type.as_str() {
        "file" => {
            let dir = std::path::Path::new(&entity.source)
                .parent()
                .ok_or_else(|| format!("{} has no directory", entity.source))?;
            Ok(listed
                .into_iter()
                .map(|f| {
                    let path = dir.join(&f);
                    (path.display().to_string(), read_bounded(&path, max))
                })
                .collect())
        }
        "url" | "git" | "github-discovery" => {
            let target = parse_target("url", &entity.source, git).map_err(|e| e.to_string())?;
            let (dir, base) = match target.path.rsplit_once('/') {
                Some((dir, _)) => (dir.to_string(), format!("{}/{dir}", target.base.trim_end_matches('/'))),
                None => (String::new(), target.base.trim_end_matches('/').to_string()),
            };
            let checkout = checkout(&target, git).await.map_err(|e| e.to_string())?;
            let root = checkout.dir.join(&dir);
            Ok(listed
                .into_iter()
                .map(|f| (format!("{base}/{f}"), read_bounded(&root.join(&f), max)))
                .collect())
        }
        other => Err(format!(
            "SLO files are read from file and url locations; this entity comes from a {other} location"
        )),
    }
}

fn read_bounded(path: &std::path::Path, max: usize) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the SLO file: {e}"))?;
    if meta.len() > max as u64 {
        return Err(format!(
            "the SLO file is {} bytes, more than the {max}-byte limit",
            meta.len()
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read the SLO file: {e}"))
}
