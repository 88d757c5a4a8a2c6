//! Who people are and what they own, for sign-in and permissions: a User entity by e-mail or name,
//! the groups a user belongs to (transitively through parent groups), and the owners of entities
//! and locations.

use std::collections::{BTreeSet, VecDeque};

use serde_json::Value;
use sqlx::Row;

use super::write::placeholders;
use super::{Store, StoreError, query_error};

/// Deepest group hierarchy followed: org charts are a few levels; a cycle cannot loop for ever.
const MAX_GROUP_DEPTH: usize = 16;
/// Most groups one person's ownership holds.
const MAX_GROUPS: usize = 500;

/// A User entity found for a sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserMatch {
    pub entity_ref: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

impl Store {
    /// User entities whose `spec.profile.email` is `email` (case-insensitive). More than one is
    /// the caller's error to report: a sign-in must resolve to exactly one person.
    pub async fn users_by_email(&self, email: &str) -> Result<Vec<UserMatch>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.entity_ref, e.body FROM search s JOIN entities e ON e.id = s.entity_id \
             WHERE s.key = 'spec.profile.email' AND s.value = $1 AND e.kind = 'user' \
             ORDER BY e.entity_ref LIMIT 5",
        )
        .bind(email.to_lowercase())
        .fetch_all(self.pool())
        .await
        .map_err(query_error("finding a user by e-mail"))?;
        rows.iter().map(user_match).collect()
    }

    /// The User entity named `name` in `namespace`, if any.
    pub async fn user_by_name(&self, namespace: &str, name: &str) -> Result<Option<UserMatch>, StoreError> {
        let row = sqlx::query("SELECT entity_ref, body FROM entities WHERE entity_ref = $1")
            .bind(format!("user:{}/{}", namespace.to_lowercase(), name.to_lowercase()))
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("finding a user by name"))?;
        row.as_ref().map(user_match).transpose()
    }

    /// `user_ref` and every group it is a member of, directly or through parent groups
    /// (`memberOf`, then `childOf` upwards), lower-case and sorted.
    pub async fn ownership_refs(&self, user_ref: &str) -> Result<Vec<String>, StoreError> {
        let user_ref = user_ref.to_lowercase();
        let mut seen = BTreeSet::from([user_ref.clone()]);
        let mut frontier = VecDeque::from([user_ref]);
        for _ in 0..MAX_GROUP_DEPTH {
            if frontier.is_empty() || seen.len() >= MAX_GROUPS {
                break;
            }
            let refs: Vec<String> = frontier.drain(..).collect();
            let relations = self.relations_of(&refs).await?;
            for (kind, target) in relations.into_values().flatten() {
                if matches!(kind.as_str(), "memberOf" | "childOf")
                    && target.starts_with("group:")
                    && seen.len() < MAX_GROUPS
                    && seen.insert(target.clone())
                {
                    frontier.push_back(target);
                }
            }
        }
        Ok(seen.into_iter().collect())
    }

    /// The owners (`ownedBy` targets) of an entity; a User or Group owns itself.
    pub async fn owners_of(&self, entity_ref: &str) -> Result<Vec<String>, StoreError> {
        let entity_ref = entity_ref.to_lowercase();
        let mut owners: Vec<String> = sqlx::query(
            "SELECT target_ref FROM relations WHERE source_ref = $1 AND type = 'ownedBy' ORDER BY target_ref",
        )
        .bind(&entity_ref)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading an entity's owners"))?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()
        .map_err(query_error("reading an entity's owners"))?;
        if entity_ref.starts_with("user:") || entity_ref.starts_with("group:") {
            owners.push(entity_ref);
        }
        Ok(owners)
    }

    /// For each entity a location provides, its owners: unregistering a location acts on all of
    /// them. Entities without an owner appear with an empty list.
    pub async fn location_entity_owners(&self, location_id: &str) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.entity_ref, r.target_ref FROM entities e \
             LEFT JOIN relations r ON r.source_ref = e.entity_ref AND r.type = 'ownedBy' \
             WHERE e.location_id = $1 ORDER BY e.entity_ref",
        )
        .bind(location_id)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading a location's owners"))?;
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for row in rows {
            let entity: String = row.try_get(0).map_err(query_error("reading a location's owners"))?;
            let owner: Option<String> = row.try_get(1).map_err(query_error("reading a location's owners"))?;
            if out.last().is_none_or(|(e, _)| *e != entity) {
                out.push((entity, Vec::new()));
            }
            if let (Some(owner), Some((_, owners))) = (owner, out.last_mut()) {
                owners.push(owner);
            }
        }
        Ok(out)
    }

    /// Which of `refs` are User or Group entities that exist (admin groups in the config are checked).
    pub async fn existing_groups(&self, refs: &[String]) -> Result<Vec<String>, StoreError> {
        if refs.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT entity_ref FROM entities WHERE entity_ref IN ({}) ORDER BY entity_ref",
            placeholders(1, refs.len())
        );
        let mut q = sqlx::query(&sql);
        for r in refs {
            q = q.bind(r.to_lowercase());
        }
        q.fetch_all(self.pool())
            .await
            .map_err(query_error("checking groups"))?
            .iter()
            .map(|r| r.try_get::<String, _>(0).map_err(query_error("checking groups")))
            .collect()
    }
}

fn user_match(row: &sqlx::any::AnyRow) -> Result<UserMatch, StoreError> {
    let entity_ref: String = row.try_get(0).map_err(query_error("reading a user"))?;
    let body: String = row.try_get(1).map_err(query_error("reading a user"))?;
    let body: Value = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("{entity_ref}: {e}")))?;
    let profile = &body["spec"]["profile"];
    Ok(UserMatch {
        entity_ref,
        display_name: profile["displayName"].as_str().map(str::to_string),
        email: profile["email"].as_str().map(str::to_string),
    })
}
