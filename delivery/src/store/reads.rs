//! Read-only reads of other crates' tables. The rollout history is read here rather than through
//! `deployments::store`: its records lack what the metrics need (the rollback links, the outcome
//! before a rollback) and its reads are timelines of the newest few hundred, not time ranges; the
//! deployments crate stays the only writer of `deployment_rollouts`. Entities and ownership come
//! from the catalog's tables, as `deployments::store::workload_mapping` reads them.

use sqlx::Row;

use std::collections::BTreeMap;

use super::{Among, Store, StoreError, in_list, query_error};

/// Most entities one group's metrics cover.
pub const MAX_GROUP_ENTITIES: i64 = 2000;

/// One finished rollout of an entity's workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolloutRow {
    pub entity: String,
    pub cluster: String,
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub seq: i64,
    pub version: String,
    /// completed | failed | rolled-back
    pub outcome: String,
    pub started_ms: i64,
    pub finished_ms: i64,
    pub failed_ms: Option<i64>,
    pub restores_seq: Option<i64>,
    /// Its pod template's `org.opencontainers.image.revision`.
    pub commit: Option<String>,
}

impl RolloutRow {
    /// Its id as a deployment: `rollout:<cluster>/<namespace>/<kind>/<name>/<seq>`.
    pub fn deployment_id(&self) -> String {
        format!(
            "rollout:{}/{}/{}/{}/{}",
            self.cluster, self.namespace, self.kind, self.name, self.seq
        )
    }
}

impl Store {
    /// The rollouts of the workloads of `among` that ended (completed, failed, rolled back) and
    /// started in `[from_ms, to_ms)`.
    pub async fn rollouts_among(
        &self,
        among: Among<'_>,
        (from_ms, to_ms): (i64, i64),
    ) -> Result<Vec<RolloutRow>, StoreError> {
        let context = "reading entities' rollouts";
        let mut out = Vec::new();
        for chunk in among.chunks() {
            let sql = format!(
                "SELECT cluster, namespace, kind, name, seq, version, outcome, started_ms, \
                        COALESCE(finished_ms, rolled_back_ms, started_ms), failed_ms, restores_seq, entity, commit_sha \
                 FROM deployment_rollouts \
                 WHERE entity IS NOT NULL AND started_ms >= $1 AND started_ms < $2 \
                   AND outcome IN ('completed', 'failed', 'rolled-back') AND {}",
                in_list("entity", chunk, 3)
            );
            let mut query = sqlx::query(&sql).bind(from_ms).bind(to_ms);
            for entity in chunk.unwrap_or_default() {
                query = query.bind(entity);
            }
            let rows = query.fetch_all(self.pool()).await.map_err(query_error(context))?;
            for r in &rows {
                out.push(
                    (|| {
                        Ok::<_, sqlx::Error>(RolloutRow {
                            cluster: r.try_get(0)?,
                            namespace: r.try_get(1)?,
                            kind: r.try_get(2)?,
                            name: r.try_get(3)?,
                            seq: r.try_get(4)?,
                            version: r.try_get(5)?,
                            outcome: r.try_get(6)?,
                            started_ms: r.try_get(7)?,
                            finished_ms: r.try_get(8)?,
                            failed_ms: r.try_get(9)?,
                            restores_seq: r.try_get(10)?,
                            entity: r.try_get(11)?,
                            commit: r.try_get(12)?,
                        })
                    })()
                    .map_err(query_error(context))?,
                );
            }
        }
        Ok(out)
    }

    /// The entity of a recorded rollout, by its key and sequence number.
    pub async fn rollout_entity(
        &self,
        (cluster, namespace, kind, name): (&str, &str, &str, &str),
        seq: i64,
    ) -> Result<Option<String>, StoreError> {
        sqlx::query(
            "SELECT entity FROM deployment_rollouts \
             WHERE cluster = $1 AND namespace = $2 AND kind = $3 AND name = $4 AND seq = $5",
        )
        .bind(cluster)
        .bind(namespace)
        .bind(kind)
        .bind(name)
        .bind(seq)
        .fetch_optional(self.pool())
        .await
        .and_then(|row| row.map(|r| r.try_get::<Option<String>, _>(0)).transpose())
        .map(Option::flatten)
        .map_err(query_error("finding a rollout"))
    }

    /// The entity the newest rollout of a workload named `name` in `namespace` was mapped to.
    pub async fn workload_entity(&self, namespace: &str, name: &str) -> Result<Option<String>, StoreError> {
        sqlx::query(
            "SELECT entity FROM deployment_rollouts WHERE namespace = $1 AND name = $2 AND entity IS NOT NULL \
             ORDER BY started_ms DESC LIMIT 1",
        )
        .bind(namespace)
        .bind(name)
        .fetch_optional(self.pool())
        .await
        .and_then(|row| row.map(|r| r.try_get(0)).transpose())
        .map_err(query_error("finding a workload's entity"))
    }

    /// The entities whose annotation `annotation` is `value` (compared as the catalog's search
    /// compares: case-insensitively), in ref order.
    pub async fn entities_annotated(&self, annotation: &str, value: &str) -> Result<Vec<String>, StoreError> {
        let context = "finding entities by annotation";
        sqlx::query(
            "SELECT DISTINCT e.entity_ref FROM entities e JOIN search s ON s.entity_id = e.id \
             WHERE s.key = $1 AND s.value = $2 ORDER BY e.entity_ref",
        )
        .bind(format!("metadata.annotations.{annotation}"))
        .bind(value.to_lowercase())
        .fetch_all(self.pool())
        .await
        .map_err(query_error(context))?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(query_error(context))
    }

    /// The annotations `github.com/project-slug` and `backstage.io/source-location` of each of
    /// `among` that has one, as written.
    pub async fn repository_annotations(
        &self,
        among: Among<'_>,
    ) -> Result<BTreeMap<String, (Option<String>, Option<String>)>, StoreError> {
        use crate::changes::{ANNOTATION_PROJECT_SLUG, ANNOTATION_SOURCE_LOCATION};
        let context = "reading entities' repositories";
        let [slug, source] =
            [ANNOTATION_PROJECT_SLUG, ANNOTATION_SOURCE_LOCATION].map(|a| format!("metadata.annotations.{a}"));
        let mut out: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
        for chunk in among.chunks() {
            let sql = format!(
                "SELECT e.entity_ref, s.key, s.original_value FROM entities e JOIN search s ON s.entity_id = e.id \
                 WHERE s.key IN ($1, $2) AND {}",
                in_list("e.entity_ref", chunk, 3)
            );
            let mut query = sqlx::query(&sql).bind(&slug).bind(&source);
            for entity in chunk.unwrap_or_default() {
                query = query.bind(entity);
            }
            for row in query.fetch_all(self.pool()).await.map_err(query_error(context))? {
                let entity: String = row.try_get(0).map_err(query_error(context))?;
                let key: String = row.try_get(1).map_err(query_error(context))?;
                let value: Option<String> = row.try_get(2).map_err(query_error(context))?;
                let both = out.entry(entity).or_default();
                if key == slug {
                    both.0 = value;
                } else {
                    both.1 = value;
                }
            }
        }
        Ok(out)
    }

    /// Whether the catalog holds `entity_ref`.
    pub async fn entity_exists(&self, entity_ref: &str) -> Result<bool, StoreError> {
        sqlx::query("SELECT 1 FROM entities WHERE entity_ref = $1")
            .bind(entity_ref)
            .fetch_optional(self.pool())
            .await
            .map(|row| row.is_some())
            .map_err(query_error("finding an entity"))
    }

    /// The entities `groups` own (`ownedBy` one of them), at most `MAX_GROUP_ENTITIES`, in ref
    /// order.
    pub async fn owned_by(&self, groups: &[String]) -> Result<Vec<String>, StoreError> {
        let context = "reading what groups own";
        let mut out = std::collections::BTreeSet::new();
        for chunk in Among::Entities(groups).chunks() {
            let sql = format!(
                "SELECT DISTINCT source_ref FROM relations WHERE type = 'ownedBy' AND {} ORDER BY source_ref LIMIT $1",
                in_list("target_ref", chunk, 2)
            );
            let mut query = sqlx::query(&sql).bind(MAX_GROUP_ENTITIES);
            for group in chunk.unwrap_or_default() {
                query = query.bind(group);
            }
            for row in query.fetch_all(self.pool()).await.map_err(query_error(context))? {
                out.insert(row.try_get::<String, _>(0).map_err(query_error(context))?);
            }
        }
        Ok(out.into_iter().take(MAX_GROUP_ENTITIES as usize).collect())
    }

    /// The groups whose parent is one of `groups`.
    pub async fn child_groups(&self, groups: &[String]) -> Result<Vec<String>, StoreError> {
        let context = "reading child groups";
        let mut out = Vec::new();
        for chunk in Among::Entities(groups).chunks() {
            // Only declared relations are stored: a child's `childOf` (spec.parent) or a parent's
            // `parentOf` (spec.children).
            let len = chunk.map_or(0, <[String]>::len);
            let sql = format!(
                "SELECT source_ref FROM relations WHERE type = 'childOf' AND {} \
                 UNION SELECT target_ref FROM relations WHERE type = 'parentOf' AND {}",
                in_list("target_ref", chunk, 1),
                in_list("source_ref", chunk, 1 + len)
            );
            let mut query = sqlx::query(&sql);
            for group in chunk.unwrap_or_default().iter().chain(chunk.unwrap_or_default()) {
                query = query.bind(group);
            }
            for row in query.fetch_all(self.pool()).await.map_err(query_error(context))? {
                out.push(row.try_get(0).map_err(query_error(context))?);
            }
        }
        Ok(out)
    }

    /// Each of `among`'s owner (the first `ownedBy` target in ref order), for those that have one.
    pub async fn owners(&self, among: Among<'_>) -> Result<BTreeMap<String, String>, StoreError> {
        let sql = |sources: &str| {
            format!(
                "SELECT source_ref, MIN(target_ref) FROM relations WHERE type = 'ownedBy' AND {sources} GROUP BY source_ref"
            )
        };
        self.pairs(among, "source_ref", sql, "reading owners").await
    }
}
