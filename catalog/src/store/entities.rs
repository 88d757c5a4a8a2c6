//! Reading entities: the stored body with its relations joined in, by reference, uid or list.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use sqlx::Row;

use super::entity_cache::{EntityJson, Lookup};
use super::write::placeholders;
use super::{Store, StoreError, query_error};
use crate::model::EntityRef;

/// An entity as stored, with what the pages show beside it.
#[derive(Clone, Debug)]
pub struct StoredEntity {
    /// Backstage's JSON shape, relations included.
    pub entity: Value,
    pub location_id: String,
    pub source: String,
    /// Problems of the latest read, when this is the last good version.
    pub errors: Option<Value>,
}

impl Store {
    /// One entity by its reference (`kind:namespace/name`, any case).
    pub async fn entity_by_ref(&self, entity_ref: &EntityRef) -> Result<Option<StoredEntity>, StoreError> {
        self.entity_json_by_ref(entity_ref)
            .await?
            .map(|e| stored(&e))
            .transpose()
    }

    /// One entity by uid.
    pub async fn entity_by_uid(&self, uid: &str) -> Result<Option<StoredEntity>, StoreError> {
        self.entity_json_by_uid(uid).await?.map(|e| stored(&e)).transpose()
    }

    /// [`Store::entity_by_ref`] serialized, as the API sends it (remembered: see `entity_cache`).
    pub async fn entity_json_by_ref(&self, entity_ref: &EntityRef) -> Result<Option<Arc<EntityJson>>, StoreError> {
        self.entity_json(Lookup::Ref, &entity_ref.to_string()).await
    }

    /// [`Store::entity_by_uid`] serialized, as the API sends it.
    pub async fn entity_json_by_uid(&self, uid: &str) -> Result<Option<Arc<EntityJson>>, StoreError> {
        self.entity_json(Lookup::Uid, uid).await
    }

    async fn entity_json(&self, lookup: Lookup, value: &str) -> Result<Option<Arc<EntityJson>>, StoreError> {
        let key = (lookup, value.to_string());
        if let Some(found) = self.entity_cache.get(&key) {
            return Ok(found);
        }
        let generation = self.entity_cache.generation();
        let found = self.entity_where(lookup, value).await?.map(Arc::new);
        let weight = value.len() + found.as_ref().map_or(0, |e| e.weight());
        self.entity_cache.put(key, generation, found.clone(), weight);
        Ok(found)
    }

    /// One statement: the entity's row with its relations both ways packed into one column
    /// (`type target` lines).
    async fn entity_where(&self, lookup: Lookup, value: &str) -> Result<Option<EntityJson>, StoreError> {
        let column = match lookup {
            Lookup::Ref => "entity_ref",
            Lookup::Uid => "uid",
        };
        let sql = format!(
            "SELECT e.body, e.location_id, e.source, e.errors, \
             (SELECT string_agg(r.pair, '\n') FROM (\
               SELECT type || ' ' || target_ref AS pair FROM relations WHERE source_ref = e.entity_ref \
               UNION ALL SELECT {} || ' ' || source_ref FROM relations WHERE target_ref = e.entity_ref) r) \
             FROM entities e WHERE e.{column} = $1",
            reverse_type_sql()
        );
        let Some(row) = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("reading an entity"))?
        else {
            return Ok(None);
        };
        let get = |i| row.try_get::<String, _>(i).map_err(query_error("reading an entity"));
        let optional = |i| {
            row.try_get::<Option<String>, _>(i)
                .map_err(query_error("reading an entity"))
        };
        let mut entity = parse(&get(0)?)?;
        let errors = optional(3)?.map(|e| parse(&e)).transpose()?;
        let mut relations: Vec<(String, String)> = optional(4)?
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(t, target)| (t.to_string(), target.to_string()))
            .collect();
        relations.sort();
        relations.dedup();
        attach(&mut entity, relations, errors.as_ref());
        let json = serde_json::to_vec(&entity).map_err(|e| StoreError::Corrupt(format!("entity JSON: {e}")))?;
        Ok(Some(EntityJson {
            json: json.into(),
            location_id: get(1)?,
            source: get(2)?,
            errors,
        }))
    }

    /// Entities for a list of references, in the same order; `None` where there is no such entity.
    pub async fn entities_by_refs(&self, refs: &[String]) -> Result<Vec<Option<Value>>, StoreError> {
        let mut found: HashMap<String, Value> = HashMap::new();
        for chunk in refs.chunks(500) {
            let sql = format!(
                "SELECT entity_ref, body, errors FROM entities WHERE entity_ref IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q.bind(r.to_lowercase());
            }
            let rows = q
                .fetch_all(self.pool())
                .await
                .map_err(query_error("reading entities"))?;
            found.extend(self.assemble(rows).await?);
        }
        Ok(refs.iter().map(|r| found.get(&r.to_lowercase()).cloned()).collect())
    }

    /// Turns `(entity_ref, body, errors)` rows into entities with their relations.
    pub(crate) async fn assemble(&self, rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<(String, Value)>, StoreError> {
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let read = |i| row.try_get::<String, _>(i).map_err(query_error("reading entities"));
            let errors = row
                .try_get::<Option<String>, _>(2)
                .map_err(query_error("reading entities"))?
                .map(|e| parse(&e))
                .transpose()?;
            items.push((read(0)?, parse(&read(1)?)?, errors));
        }
        let refs: Vec<String> = items.iter().map(|(r, _, _)| r.clone()).collect();
        let mut relations = self.relations_of(&refs).await?;
        Ok(items
            .into_iter()
            .map(|(r, mut entity, errors)| {
                attach(&mut entity, relations.remove(&r).unwrap_or_default(), errors.as_ref());
                (r, entity)
            })
            .collect())
    }

    /// Relations of each of `refs`: those it declared and, read from the other side, the reverse
    /// of those declared about it (`ownerOf` from another's `ownedBy`). Without duplicates, sorted.
    pub async fn relations_of(&self, refs: &[String]) -> Result<HashMap<String, Vec<(String, String)>>, StoreError> {
        let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for chunk in refs.chunks(500) {
            // Sorting and removing duplicates here rather than with UNION spares the database a
            // temporary B-tree on the hottest query.
            let sql = format!(
                "SELECT source_ref, type, target_ref FROM relations WHERE source_ref IN ({}) \
                 UNION ALL SELECT target_ref, {}, source_ref FROM relations WHERE target_ref IN ({})",
                placeholders(1, chunk.len()),
                reverse_type_sql(),
                placeholders(chunk.len() + 1, chunk.len()),
            );
            let mut q = sqlx::query(&sql);
            for r in chunk.iter().chain(chunk) {
                q = q.bind(r);
            }
            for row in q
                .fetch_all(self.pool())
                .await
                .map_err(query_error("reading relations"))?
            {
                let read = |i| row.try_get::<String, _>(i).map_err(query_error("reading relations"));
                out.entry(read(0)?).or_default().push((read(1)?, read(2)?));
            }
        }
        for list in out.values_mut() {
            list.sort();
            list.dedup();
        }
        Ok(out)
    }

    /// References among `refs` that exist, to mark the others as dangling.
    pub async fn existing_refs(&self, refs: &[String]) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut out = std::collections::HashSet::new();
        for chunk in refs.chunks(500) {
            let sql = format!(
                "SELECT entity_ref FROM entities WHERE entity_ref IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q.bind(r);
            }
            for row in q
                .fetch_all(self.pool())
                .await
                .map_err(query_error("checking references"))?
            {
                out.insert(row.try_get(0).map_err(query_error("checking references"))?);
            }
        }
        Ok(out)
    }

    /// Removes one entity (its location will bring it back at the next refresh if it still
    /// declares it, as in Backstage). Returns false when there was none.
    pub async fn delete_entity(&self, uid: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await.map_err(query_error("deleting an entity"))?;
        let uids = [uid.to_string()];
        super::facets::record(
            &mut tx,
            self.postgres,
            super::facets::Entities::Uids(&uids),
            super::facets::Change::Removed,
        )
        .await?;
        for sql in [
            "DELETE FROM search WHERE entity_id IN (SELECT id FROM entities WHERE uid = $1)",
            "DELETE FROM entity_text WHERE entity_id IN (SELECT id FROM entities WHERE uid = $1)",
            "DELETE FROM relations WHERE source_ref IN (SELECT entity_ref FROM entities WHERE uid = $1)",
        ] {
            sqlx::query(sql)
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(query_error("deleting an entity"))?;
        }
        let deleted = sqlx::query("DELETE FROM entities WHERE uid = $1")
            .bind(uid)
            .execute(&mut *tx)
            .await
            .map_err(query_error("deleting an entity"))?;
        tx.commit().await.map_err(query_error("deleting an entity"))?;
        self.committed();
        Ok(deleted.rows_affected() == 1)
    }
}

/// `CASE type WHEN 'ownedBy' THEN 'ownerOf' … END`: the reverse of a stored relation type.
pub(crate) fn reverse_type_sql() -> String {
    let cases: String = crate::model::relation::RELATION_PAIRS
        .iter()
        .flat_map(|(a, b)| [(a, b), (b, a)])
        .map(|(from, to)| format!(" WHEN '{from}' THEN '{to}'"))
        .collect();
    format!("CASE type{cases} ELSE type END")
}

/// A remembered entity as the pages read it.
fn stored(entity: &EntityJson) -> Result<StoredEntity, StoreError> {
    Ok(StoredEntity {
        entity: serde_json::from_slice(&entity.json).map_err(|e| StoreError::Corrupt(format!("entity JSON: {e}")))?,
        location_id: entity.location_id.clone(),
        source: entity.source.clone(),
        errors: entity.errors.clone(),
    })
}

fn parse(text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("entity JSON: {e}")))
}

/// Adds `relations` (and, when the latest read failed, Backstage-style `status.items`).
fn attach(entity: &mut Value, relations: Vec<(String, String)>, errors: Option<&Value>) {
    let list: Vec<Value> = relations
        .into_iter()
        .map(|(relation_type, target)| {
            let parts = EntityRef::parse_full(&target).ok();
            json!({"type": relation_type, "targetRef": target, "target": parts})
        })
        .collect();
    entity["relations"] = Value::Array(list);
    if let Some(Value::Array(errors)) = errors {
        let items: Vec<Value> = errors
            .iter()
            .map(|e| {
                json!({"type": "backstage.io/catalog-processing", "level": "error", "message": e["message"],
                       "error": {"name": "InputError", "message": e["message"]}, "line": e["line"], "source": e["source"]})
            })
            .collect();
        entity["status"] = json!({"items": items});
    }
}
