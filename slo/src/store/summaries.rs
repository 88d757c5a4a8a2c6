//! `slo_summaries`: each SLO's figures as of its last sync, written by the sync loop and read by
//! lists in one statement, so a list of 500 SLOs reads 500 small rows rather than 500 SLOs'
//! recent buckets.

use std::collections::HashMap;

use sqlx::Row;

use super::{Store, StoreError, query_error};
use crate::view::Figures;

/// Figures stored for one SLO, and the definition they were computed for.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredFigures {
    /// SHA-256 of the definition (JSON) they were computed for.
    pub digest: String,
    pub figures: Figures,
}

impl Store {
    /// Writes (or replaces) the figures of `id`.
    pub async fn store_figures(&self, id: &str, digest: &str, figures: &Figures) -> Result<(), StoreError> {
        let context = "storing an SLO's figures";
        let json = serde_json::to_string(figures).map_err(|e| StoreError::Corrupt(format!("SLO {id}: {e}")))?;
        let _turn = self.writing().await;
        // Only while the SLO exists: a collection may have removed it meanwhile.
        sqlx::query(
            "INSERT INTO slo_summaries (slo, digest, computed_at, figures) \
             SELECT id, $2, $3, $4 FROM slo_definitions WHERE id = $1 \
             ON CONFLICT (slo) DO UPDATE SET digest = excluded.digest, computed_at = excluded.computed_at, \
             figures = excluded.figures",
        )
        .bind(id)
        .bind(digest)
        .bind(figures.at)
        .bind(json)
        .execute(self.pool())
        .await
        .map_err(query_error(context))?;
        Ok(())
    }

    /// The stored figures of `ids`, by SLO id (one statement per 500).
    pub async fn figures(&self, ids: &[String]) -> Result<HashMap<String, StoredFigures>, StoreError> {
        let context = "reading the SLOs' figures";
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT slo, digest, figures FROM slo_summaries WHERE slo IN ({})",
                params.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            rows.extend(query.fetch_all(self.pool()).await.map_err(query_error(context))?);
        }
        let mut out = HashMap::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get(0).map_err(query_error(context))?;
            let digest: String = row.try_get(1).map_err(query_error(context))?;
            let json: String = row.try_get(2).map_err(query_error(context))?;
            // Unreadable figures (an older shape) are computed again by the caller.
            if let Ok(figures) = serde_json::from_str(&json) {
                out.insert(id, StoredFigures { digest, figures });
            }
        }
        Ok(out)
    }
}

/// The digest figures are keyed by: SHA-256 of the definition's JSON, hex.
pub fn digest(definition: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(definition.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
