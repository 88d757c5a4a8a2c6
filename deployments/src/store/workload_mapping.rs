//! What maps Kubernetes workloads to catalog entities: each Component's name and owner, and the
//! Kubernetes annotations of any entity that has them (`backstage.io/kubernetes-id`,
//! `backstage.io/kubernetes-label-selector`, `backstage.io/kubernetes-namespace`).

use std::collections::BTreeMap;

use sqlx::Row;

use super::{Store, StoreError, query_error};

pub const ANNOTATION_ID: &str = "backstage.io/kubernetes-id";
pub const ANNOTATION_LABEL_SELECTOR: &str = "backstage.io/kubernetes-label-selector";
pub const ANNOTATION_NAMESPACE: &str = "backstage.io/kubernetes-namespace";
/// Set on the entities Cairn wrote from what it found in a cluster (`kubernetes::entities`).
pub const ANNOTATION_DISCOVERED: &str = "cairn.dev/discovered-from";

/// One entity that can own workloads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MappableEntity {
    pub entity_ref: String,
    pub name: String,
    /// The first `ownedBy` target.
    pub owner: Option<String>,
    /// The entity's annotations among the four above, as written.
    pub annotations: BTreeMap<String, String>,
}

impl Store {
    /// Every Component, and every other entity with a Kubernetes annotation, in ref order.
    pub async fn mappable_entities(&self) -> Result<Vec<MappableEntity>, StoreError> {
        let context = "reading the entities workloads map to";
        let keys = [
            ANNOTATION_ID,
            ANNOTATION_LABEL_SELECTOR,
            ANNOTATION_NAMESPACE,
            ANNOTATION_DISCOVERED,
        ]
        .map(|a| format!("metadata.annotations.{a}"));
        let rows = sqlx::query(
            "SELECT e.entity_ref, e.name, s.key, s.original_value, \
                    (SELECT MIN(r.target_ref) FROM relations r WHERE r.source_ref = e.entity_ref AND r.type = 'ownedBy') \
             FROM entities e LEFT JOIN search s ON s.entity_id = e.id AND s.key IN ($1, $2, $3, $4) \
             WHERE e.kind = 'component' OR s.key IS NOT NULL \
             ORDER BY e.entity_ref",
        )
        .bind(&keys[0])
        .bind(&keys[1])
        .bind(&keys[2])
        .bind(&keys[3])
        .fetch_all(self.pool())
        .await
        .map_err(query_error(context))?;
        let mut out: Vec<MappableEntity> = Vec::new();
        for row in rows {
            let entity_ref: String = row.try_get(0).map_err(query_error(context))?;
            if out.last().is_none_or(|e| e.entity_ref != entity_ref) {
                out.push(MappableEntity {
                    name: row.try_get(1).map_err(query_error(context))?,
                    owner: row.try_get(4).map_err(query_error(context))?,
                    entity_ref,
                    annotations: BTreeMap::new(),
                });
            }
            let key: Option<String> = row.try_get(2).map_err(query_error(context))?;
            let value: Option<String> = row.try_get(3).map_err(query_error(context))?;
            if let (Some(key), Some(value), Some(entity)) = (key, value, out.last_mut()) {
                let annotation = key.trim_start_matches("metadata.annotations.").to_string();
                entity.annotations.insert(annotation, value);
            }
        }
        Ok(out)
    }
}
