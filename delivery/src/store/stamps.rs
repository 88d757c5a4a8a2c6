//! `delivery_stamps`: a counter per entity the database bumps (by triggers, migration 0013)
//! whenever anything the entity's metrics are judged from changes.

use std::collections::BTreeMap;

use sqlx::Row;

use super::{Among, Store, StoreError, in_list, query_error};

impl Store {
    /// The stamp of each of `among` that has ever had delivery data (the others have none to judge).
    pub async fn stamps(&self, among: Among<'_>) -> Result<BTreeMap<String, i64>, StoreError> {
        let context = "reading the delivery stamps";
        let mut out = BTreeMap::new();
        for chunk in among.chunks() {
            let sql = format!(
                "SELECT entity, stamp FROM delivery_stamps WHERE {}",
                in_list("entity", chunk, 1)
            );
            let mut query = sqlx::query(&sql);
            for entity in chunk.unwrap_or_default() {
                query = query.bind(entity);
            }
            for row in query.fetch_all(self.pool()).await.map_err(query_error(context))? {
                out.insert(
                    row.try_get(0).map_err(query_error(context))?,
                    row.try_get(1).map_err(query_error(context))?,
                );
            }
        }
        Ok(out)
    }
}
