//! `delivery_stamps`: a counter per entity the database bumps (by triggers, migration 0013)
//! whenever anything the entity's metrics are judged from changes.

use std::collections::BTreeMap;

use super::{Among, Store, StoreError};

impl Store {
    /// The stamp of each of `among` that has ever had delivery data (the others have none to judge).
    pub async fn stamps(&self, among: Among<'_>) -> Result<BTreeMap<String, i64>, StoreError> {
        let sql = |entities: &str| format!("SELECT entity, stamp FROM delivery_stamps WHERE {entities}");
        self.pairs(among, "entity", sql, "reading the delivery stamps").await
    }
}
