//! Facet counts kept with the catalog (`facet_counts`): every statement that adds or removes
//! entities records what that changed, in its own transaction, so a facet is read by summing a
//! few rows rather than by counting the catalog. Rows are changes, never updated in place (two
//! refreshes writing at once never wait on each other's rows); [`Store::fold_facets`] folds them.

use std::sync::Arc;

use sqlx::{AnyConnection, Row};

use super::facet_cache::{Cached, FacetValues, Key as FacetKey};
use super::query::{Facet, shown, sorted_facets};
use super::{Store, StoreError, query_error};
use crate::model::relation::RELATION_PAIRS;

/// The entities a change is about.
pub(crate) enum Entities<'a> {
    /// By internal id (just written).
    Ids(&'a [i64]),
    /// By uid.
    Uids(&'a [String]),
    /// Every entity of a location.
    Location(&'a str),
}

impl Entities<'_> {
    /// The condition on `entities` selecting them, and its arguments.
    fn condition(&self, postgres: bool) -> (String, Vec<String>) {
        match self {
            Entities::Ids(ids) => {
                let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
                let sql = if postgres {
                    "id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)"
                } else {
                    "id IN (SELECT value FROM json_each($1))"
                };
                (sql.into(), vec![list])
            }
            Entities::Uids(uids) => (
                format!("uid IN ({})", super::write::placeholders(1, uids.len())),
                uids.to_vec(),
            ),
            Entities::Location(id) => ("location_id = $1".into(), vec![id.to_string()]),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Entities::Ids(ids) => ids.is_empty(),
            Entities::Uids(uids) => uids.is_empty(),
            Entities::Location(_) => false,
        }
    }
}

/// Whether the entities are arriving (after their rows are written) or leaving (before their
/// rows are removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    Added,
    Removed,
}

/// Records in `facet_counts` what adding or removing `entities` changes: kind, namespace, every
/// search field, and the relations they take part in, in both directions. Called after the
/// entities' rows are written, or before they are removed, in the same transaction.
pub(crate) async fn record(
    tx: &mut AnyConnection,
    postgres: bool,
    entities: Entities<'_>,
    change: Change,
) -> Result<(), StoreError> {
    if entities.is_empty() {
        return Ok(());
    }
    let sign = if change == Change::Added { "" } else { "-" };
    let (condition, args) = entities.condition(postgres);
    for sql in [fields_sql(&condition, sign), relations_sql(&condition, sign)] {
        let mut q = sqlx::query(&sql);
        for a in &args {
            q = q.bind(a.clone());
        }
        q.execute(&mut *tx).await.map_err(query_error("counting facets"))?;
    }
    Ok(())
}

/// Kind, namespace and search fields of the entities: each entity counted once per value.
fn fields_sql(condition: &str, sign: &str) -> String {
    format!(
        "WITH x AS (SELECT id, kind, namespace FROM entities WHERE {condition}) \
         INSERT INTO facet_counts (kind, facet, value, n) \
         SELECT kind, 'kind', kind, {sign}COUNT(*) FROM x GROUP BY kind \
         UNION ALL SELECT kind, 'metadata.namespace', namespace, {sign}COUNT(*) FROM x GROUP BY kind, namespace \
         UNION ALL SELECT x.kind, s.key, s.original_value, {sign}COUNT(DISTINCT s.entity_id) \
         FROM x JOIN search s ON s.entity_id = x.id GROUP BY x.kind, s.key, s.original_value"
    )
}

/// Relation facets: `relations.T = v` holds for entity E when E declared `T v`, or when `v`
/// declared the reverse of T towards E (and E exists). The change of adding or removing X is the
/// pairs (E, T, v) whose every derivation involves X (E in X, or declared by a member of X):
/// those exist with X and not without it. Only entities in X or targeted by X's relations can
/// have such pairs.
fn relations_sql(condition: &str, sign: &str) -> String {
    let reverse: String = RELATION_PAIRS
        .iter()
        .flat_map(|(a, b)| [(a, b), (b, a)])
        .map(|(from, to)| format!(" WHEN '{from}' THEN '{to}'"))
        .collect();
    let reversible = RELATION_PAIRS
        .iter()
        .flat_map(|(a, b)| [a, b])
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "WITH x AS (SELECT id, entity_ref FROM entities WHERE {condition}), \
         touched AS (SELECT id, kind, entity_ref FROM entities WHERE id IN (SELECT id FROM x) \
           UNION SELECT e.id, e.kind, e.entity_ref FROM relations r JOIN entities e ON e.entity_ref = r.target_ref \
           WHERE r.source_ref IN (SELECT entity_ref FROM x)), \
         derived AS (SELECT t.id, t.kind, 'relations.' || r.type AS facet, r.target_ref AS value, r.source_ref AS src \
           FROM touched t JOIN relations r ON r.source_ref = t.entity_ref \
           UNION ALL SELECT t.id, t.kind, 'relations.' || CASE r.type{reverse} END, r.source_ref, r.source_ref \
           FROM touched t JOIN relations r ON r.target_ref = t.entity_ref WHERE r.type IN ({reversible})), \
         pairs AS (SELECT d.kind, d.facet, d.value FROM derived d GROUP BY d.id, d.kind, d.facet, d.value \
           HAVING MIN(CASE WHEN d.id IN (SELECT id FROM x) OR d.src IN (SELECT entity_ref FROM x) THEN 1 ELSE 0 END) = 1) \
         INSERT INTO facet_counts (kind, facet, value, n) \
         SELECT kind, facet, value, {sign}COUNT(*) FROM pairs GROUP BY kind, facet, value"
    )
}

impl Store {
    /// Counts of each value of `facet` (`kind`, `metadata.namespace`, a search key as stored, or
    /// `relations.<type>` with the type as stored) among entities of `kinds` (lower-case; every
    /// kind when `None`), from the counts kept, sorted and serialized (see `facet_cache`).
    pub(crate) async fn kept_facet(
        &self,
        facet: &str,
        kinds: Option<&[String]>,
    ) -> Result<Arc<FacetValues>, StoreError> {
        let key = (facet.to_string(), kinds.map(<[String]>::to_vec));
        match self.facet_cache.get(&key) {
            Cached::Fresh(values) => Ok(values),
            Cached::Stale(values) => {
                let store = self.clone();
                tokio::spawn(async move {
                    if let Err(err) = store.read_kept_facet(key).await {
                        tracing::warn!(error = %err, "facet not read again");
                    }
                });
                Ok(values)
            }
            Cached::Missing => self.read_kept_facet(key).await,
        }
    }

    async fn read_kept_facet(&self, key: FacetKey) -> Result<Arc<FacetValues>, StoreError> {
        let generation = self.facet_cache.generation();
        let (facet, kinds) = &key;
        let mut text = "SELECT value, CAST(SUM(n) AS BIGINT) FROM facet_counts WHERE facet = $1".to_string();
        if let Some(kinds) = kinds {
            text.push_str(&format!(
                " AND kind IN ({})",
                super::write::placeholders(2, kinds.len())
            ));
        }
        text.push_str(" GROUP BY value HAVING SUM(n) > 0");
        let mut q = sqlx::query(&text).bind(facet);
        for k in kinds.iter().flatten() {
            q = q.bind(k.to_lowercase());
        }
        let values = q
            .fetch_all(self.pool())
            .await
            .map_err(query_error("reading facet counts"))?
            .iter()
            .map(|r| {
                Ok(Facet {
                    value: shown(facet, r.try_get(0)?),
                    count: r.try_get(1)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(query_error("reading facet counts"))?;
        let values = Arc::new(FacetValues::new(sorted_facets(values)));
        self.facet_cache.put(key, generation, values.clone());
        Ok(values)
    }

    /// [`Store::fold_facets`] after a change that is already committed: a failure only leaves
    /// more rows to add up until the next fold succeeds, so it is logged, not returned.
    pub(crate) async fn fold_facets_logged(&self) {
        self.committed();
        if let Err(err) = self.fold_facets().await {
            tracing::warn!(error = %err, "facet counts not folded");
        }
    }

    /// Folds the change rows of each value into one (and drops values counted to zero), so a
    /// facet stays a few rows to add. Rows a transaction still writing has added are not seen
    /// and stay; on PostgreSQL one statement deletes and re-inserts, so two folds at once cannot
    /// count a row twice (the second waits, then skips the rows the first removed).
    pub async fn fold_facets(&self) -> Result<(), StoreError> {
        const GROUPS: &str = "SELECT kind, facet, value FROM facet_counts {scope} GROUP BY kind, facet, value \
                              HAVING COUNT(*) > 1 OR SUM(n) = 0";
        if self.postgres {
            let groups = GROUPS.replace("{scope}", "");
            sqlx::query(&format!(
                "WITH gone AS (DELETE FROM facet_counts WHERE (kind, facet, value) IN ({groups}) \
                 RETURNING kind, facet, value, n) \
                 INSERT INTO facet_counts (kind, facet, value, n) \
                 SELECT kind, facet, value, SUM(n) FROM gone GROUP BY kind, facet, value HAVING SUM(n) <> 0"
            ))
            .execute(self.pool())
            .await
            .map_err(query_error("folding facet counts"))?;
            return Ok(());
        }
        // SQLite: one writer, so the rows up to the last one now are the ones to fold.
        let _write = self.writing().await;
        let mut tx = self.pool().begin().await.map_err(query_error("folding facet counts"))?;
        let last: Option<i64> = sqlx::query("SELECT MAX(rowid) FROM facet_counts")
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(query_error("folding facet counts"))?;
        let Some(last) = last else { return Ok(()) };
        let groups = GROUPS.replace("{scope}", "WHERE rowid <= $1");
        for sql in [
            format!(
                "INSERT INTO facet_counts (kind, facet, value, n) SELECT kind, facet, value, SUM(n) FROM facet_counts \
                 WHERE rowid <= $1 AND (kind, facet, value) IN ({groups}) GROUP BY kind, facet, value HAVING SUM(n) <> 0"
            ),
            format!("DELETE FROM facet_counts WHERE rowid <= $1 AND (kind, facet, value) IN ({groups})"),
        ] {
            sqlx::query(&sql)
                .bind(last)
                .execute(&mut *tx)
                .await
                .map_err(query_error("folding facet counts"))?;
        }
        tx.commit().await.map_err(query_error("folding facet counts"))
    }
}
