//! Entities that disappeared from their source: marked as Backstage does and kept for a grace
//! period (so a file moved in two commits does not blink out of the catalog), then removed.

use sqlx::{AnyConnection, Row};

use super::{delete_entities, placeholders};
use crate::store::facets::{self, Change, Entities};
use crate::store::{Store, StoreError, query_error};

/// What happens to entities that disappeared from their source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orphans {
    /// Removed at once (`catalog.orphanStrategy: delete`).
    Remove,
    /// Kept, marked `backstage.io/orphan: "true"`, until [`Store::purge_orphans`] removes them.
    Mark,
}

/// The hash an orphan is stored with: never a real content hash, so an orphan whose document
/// comes back is rewritten whole (and so loses its mark).
pub(super) const ORPHANED: &str = "orphaned";

/// The annotation Backstage marks orphans with.
pub const ORPHAN_ANNOTATION: &str = "backstage.io/orphan";

/// Marks entities orphaned: annotated as Backstage does (so every reader sees it, and filters on
/// `metadata.annotations.backstage.io/orphan=true` find them), with the time it happened.
pub(super) async fn mark_orphaned(
    tx: &mut AnyConnection,
    postgres: bool,
    uids: &[String],
    now: i64,
) -> Result<(), StoreError> {
    let body = if postgres {
        format!("jsonb_set(body::jsonb, '{{metadata,annotations,{ORPHAN_ANNOTATION}}}', '\"true\"')::text")
    } else {
        format!("json_set(body, '$.metadata.annotations.\"{ORPHAN_ANNOTATION}\"', 'true')")
    };
    for chunk in uids.chunks(500) {
        // The mark is a search field: counted again with it.
        facets::record(tx, postgres, Entities::Uids(chunk), Change::Removed).await?;
        let list = placeholders(3, chunk.len());
        let sql = format!(
            "UPDATE entities SET orphaned_at = $1, hash = $2, etag = substr(etag, 1, 12) || 'orphaned', \
             updated_at = $1, body = {body} WHERE uid IN ({list})"
        );
        let mut q = sqlx::query(&sql).bind(now).bind(ORPHANED);
        for uid in chunk {
            q = q.bind(uid);
        }
        q.execute(&mut *tx).await.map_err(query_error("marking orphans"))?;
        let sql = format!(
            "INSERT INTO search (entity_id, key, value, original_value) \
             SELECT id, 'metadata.annotations.{ORPHAN_ANNOTATION}', 'true', 'true' FROM entities WHERE uid IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for uid in chunk {
            q = q.bind(uid);
        }
        q.execute(&mut *tx).await.map_err(query_error("marking orphans"))?;
        facets::record(tx, postgres, Entities::Uids(chunk), Change::Added).await?;
    }
    Ok(())
}

impl Store {
    /// Removes orphans marked before `before` (ms): their grace period is over. Returns how many.
    pub async fn purge_orphans(&self, before: i64) -> Result<usize, StoreError> {
        let write = self.writing().await;
        let mut tx = self.pool().begin().await.map_err(query_error("removing orphans"))?;
        let uids: Vec<String> =
            sqlx::query("SELECT uid FROM entities WHERE orphaned_at IS NOT NULL AND orphaned_at < $1")
                .bind(before)
                .fetch_all(&mut *tx)
                .await
                .map_err(query_error("finding expired orphans"))?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()
                .map_err(query_error("finding expired orphans"))?;
        delete_entities(&mut tx, self.postgres, &uids).await?;
        tx.commit().await.map_err(query_error("removing orphans"))?;
        drop(write);
        if !uids.is_empty() {
            self.fold_facets_logged().await;
        }
        Ok(uids.len())
    }
}
