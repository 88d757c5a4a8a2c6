//! What cost reads of the catalog's tables (read-only): whether an entity exists, and what a
//! team owns now (`ownedBy`), so a team's cost follows its current ownership.

use sqlx::Row;

use super::{Store, StoreError, query_error};

/// Most entities one team's view lists.
pub const MAX_OWNED: i64 = 10_000;

impl Store {
    /// Whether the catalog holds `entity_ref` (lower case, as stored).
    pub async fn entity_exists(&self, entity_ref: &str) -> Result<bool, StoreError> {
        sqlx::query("SELECT 1 FROM entities WHERE entity_ref = $1")
            .bind(entity_ref)
            .fetch_optional(self.pool())
            .await
            .map(|row| row.is_some())
            .map_err(query_error("finding an entity"))
    }

    /// The entities `team` owns, in ref order, at most `MAX_OWNED`.
    pub async fn owned_by(&self, team: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query(
            "SELECT DISTINCT source_ref FROM relations WHERE type = 'ownedBy' AND target_ref = $1 \
             ORDER BY source_ref LIMIT $2",
        )
        .bind(team)
        .bind(MAX_OWNED)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading what a team owns"))?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()
        .map_err(query_error("reading what a team owns"))
    }
}
