//! Server side of the catalog pages: turns store results into the page types.

use std::sync::Arc;

use base64::Engine;
use catalog::model::{EntityRef, Filter};
use catalog::service::Catalog;
use catalog::store::{LocationRow, Order, PageRequest, StoreError};
use leptos::prelude::ServerFnError;
use serde_json::Value;

use super::types::*;

mod definition;
mod graph;
mod locations;

pub use graph::graph;
pub use locations::locations_report;

/// Rows per catalog page.
const PAGE_SIZE: usize = 20;
/// Facet values shown per filter.
const MAX_FACET_VALUES: usize = 50;

/// Filters of the catalog list: URL parameter, label, entity field.
const FILTERS: [(&str, &str, &str); 5] = [
    ("owner", "Owner", "relations.ownedby"),
    ("type", "Type", "spec.type"),
    ("lifecycle", "Lifecycle", "spec.lifecycle"),
    ("tag", "Tag", "metadata.tags"),
    ("namespace", "Namespace", "metadata.namespace"),
];

pub async fn catalog_page(service: &Arc<Catalog>, query: CatalogQuery) -> Result<CatalogPage, StoreError> {
    let store = &service.store;
    let kind = query.kind_or_default();
    let (after, backwards) = decode_cursor(&query.cursor);
    let request = PageRequest {
        filter: Some(filter_for(&query, &kind, None)),
        full_text: Some(query.q.clone()).filter(|q| !q.trim().is_empty()),
        // A search with no column chosen lists the best matches first (the store's rank).
        order: if query.sort.is_empty() && !query.q.trim().is_empty() {
            Vec::new()
        } else {
            vec![Order {
                field: sort_field(&query.sort).into(),
                descending: query.desc,
            }]
        },
        limit: PAGE_SIZE,
        after,
        backwards,
        ..PageRequest::default()
    };
    let page = store.list_entities(&request).await?;
    let rows = page.items.iter().map(row).collect();
    let (has_next, has_prev) = if backwards {
        (true, page.has_more)
    } else {
        (page.has_more, request.after.is_some())
    };
    let next = has_next
        .then(|| page.last_key.clone().map(|k| encode_cursor(&k, false)))
        .flatten();
    let prev = has_prev
        .then(|| page.first_key.clone().map(|k| encode_cursor(&k, true)))
        .flatten();
    let kinds = store
        .facet_values("kind", None)
        .await?
        .values
        .iter()
        .map(|f| FacetValue {
            value: f.value.clone(),
            count: f.count,
        })
        .collect();
    let mut facets = Vec::new();
    for (param, label, field) in FILTERS {
        // Each filter's counts take every other filter into account, not its own.
        let filter = filter_for(&query, &kind, Some(param));
        // The values are remembered by the store: only those shown are copied.
        let values: Vec<FacetValue> = store
            .facet_values(field, Some(&filter))
            .await?
            .values
            .iter()
            .take(MAX_FACET_VALUES)
            .map(|f| FacetValue {
                value: f.value.clone(),
                count: f.count,
            })
            .collect();
        facets.push(FacetGroup {
            param: param.into(),
            label: label.into(),
            values,
        });
    }
    Ok(CatalogPage {
        rows,
        total: page.total,
        next,
        prev,
        kinds,
        facets,
    })
}

/// The list's filter; `skip` leaves one parameter out (for that parameter's own facet).
fn filter_for(query: &CatalogQuery, kind: &str, skip: Option<&str>) -> Filter {
    let mut fields = vec![Filter::Field {
        key: "kind".into(),
        values: vec![kind.to_string()],
    }];
    for (param, _, field) in FILTERS {
        let value = query.filter_value(param);
        if !value.is_empty() && skip != Some(param) {
            fields.push(Filter::Field {
                key: field.into(),
                values: vec![value],
            });
        }
    }
    Filter::All(fields)
}

fn sort_field(sort: &str) -> &'static str {
    match sort {
        "owner" => "spec.owner",
        "type" => "spec.type",
        "lifecycle" => "spec.lifecycle",
        "system" => "spec.system",
        _ => "metadata.name",
    }
}

fn encode_cursor(key: &(String, String), backwards: bool) -> String {
    let text = format!("{}\u{1f}{}\u{1f}{}", if backwards { "p" } else { "n" }, key.0, key.1);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(cursor: &str) -> (Option<(String, String)>, bool) {
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let Some(text) = text else { return (None, false) };
    let mut parts = text.splitn(3, '\u{1f}');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(direction), Some(value), Some(uid)) => (Some((value.to_string(), uid.to_string())), direction == "p"),
        _ => (None, false),
    }
}

/// A table row from an entity's JSON.
pub fn row(entity: &Value) -> EntityRow {
    let text = |v: &Value| v.as_str().map(str::to_string);
    let kind = entity["kind"].as_str().unwrap_or_default().to_string();
    let namespace = entity["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    let name = entity["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let relation = |t: &str| {
        entity["relations"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["type"] == t)
            .and_then(|r| r["targetRef"].as_str())
            .map(str::to_string)
    };
    EntityRow {
        entity_ref: EntityRef::new(&kind, &namespace, &name).to_string(),
        kind,
        namespace,
        name,
        title: text(&entity["metadata"]["title"]),
        description: text(&entity["metadata"]["description"]),
        owner: relation("ownedBy"),
        entity_type: text(&entity["spec"]["type"]),
        lifecycle: text(&entity["spec"]["lifecycle"]),
        system: relation("partOf").filter(|r| r.starts_with("system:")),
        tags: entity["metadata"]["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        orphan: entity["metadata"]["annotations"][catalog::store::ORPHAN_ANNOTATION] == "true",
    }
}

/// Relation labels, in the order the page lists them.
const RELATION_LABELS: [(&str, &str); 14] = [
    ("ownedBy", "Owner"),
    ("ownerOf", "Owns"),
    ("partOf", "Part of"),
    ("hasPart", "Has parts"),
    ("providesApi", "Provides APIs"),
    ("consumesApi", "Consumes APIs"),
    ("apiProvidedBy", "Provided by"),
    ("apiConsumedBy", "Consumed by"),
    ("dependsOn", "Depends on"),
    ("dependencyOf", "Dependency of"),
    ("memberOf", "Member of"),
    ("hasMember", "Members"),
    ("childOf", "Parent group"),
    ("parentOf", "Child groups"),
];

pub async fn entity_details(
    service: &Arc<Catalog>,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<Option<EntityDetails>, StoreError> {
    let store = &service.store;
    let entity_ref = EntityRef::new(kind, namespace, name);
    let Some(stored) = store.entity_by_ref(&entity_ref).await? else {
        return Ok(None);
    };
    let entity = &stored.entity;
    let location = store.location_of_entity(&entity_ref.to_string()).await?;
    let targets: Vec<String> = entity["relations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["targetRef"].as_str())
        .map(str::to_string)
        .collect();
    let existing = store.existing_refs(&targets).await?;
    let mut relations = Vec::new();
    for (relation_type, label) in RELATION_LABELS {
        let list: Vec<RefLink> = entity["relations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["type"] == relation_type)
            .filter_map(|r| r["targetRef"].as_str())
            .map(|t| RefLink {
                entity_ref: t.to_string(),
                exists: existing.contains(t),
            })
            .collect();
        if !list.is_empty() {
            relations.push(RelationGroup {
                relation_type: relation_type.into(),
                label: label.into(),
                targets: list,
            });
        }
    }
    let pairs = |v: &Value| -> Vec<(String, String)> {
        v.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect()
    };
    let links = entity["metadata"]["links"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let url = l["url"].as_str().unwrap_or_default().to_string();
            let safe = crate::safe::href(&url).is_some();
            LinkView {
                title: l["title"].as_str().unwrap_or(&url).to_string(),
                url,
                safe,
            }
        })
        .collect();
    let errors = stored
        .errors
        .as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            let line = e["line"].as_u64().map(|l| format!(" (line {l})")).unwrap_or_default();
            format!(
                "{}{line}: {}",
                e["source"].as_str().unwrap_or_default(),
                e["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    let reference = entity_ref.to_string();
    let owned = match entity_ref.kind.as_str() {
        "group" => owned_by(service, vec![reference.clone()]).await?,
        "user" => {
            let mut owners = vec![reference.clone()];
            owners.extend(targets_of(entity, "memberOf"));
            owned_by(service, owners).await?
        }
        _ => Vec::new(),
    };
    let members = if entity_ref.kind == "group" {
        let filter = Filter::All(vec![Filter::Field {
            key: "relations.memberof".into(),
            values: vec![reference.clone()],
        }]);
        store
            .list_entities(&PageRequest {
                filter: Some(filter),
                limit: 200,
                ..PageRequest::default()
            })
            .await?
            .items
            .iter()
            .map(row)
            .collect()
    } else {
        Vec::new()
    };
    let definition = (entity_ref.kind == "api")
        .then(|| {
            entity["spec"]["definition"]
                .as_str()
                .map(|d| definition::render(entity["spec"]["type"].as_str().unwrap_or_default(), d))
        })
        .flatten();
    Ok(Some(EntityDetails {
        row: row(entity),
        api_version: entity["apiVersion"].as_str().unwrap_or_default().to_string(),
        domain: targets_of(entity, "partOf")
            .into_iter()
            .find(|t| t.starts_with("domain:")),
        source: stored.source.clone(),
        location_target: location
            .as_ref()
            .map(|l| format!("{}:{}", l.location_type, l.target))
            .unwrap_or_default(),
        from_config: location.as_ref().is_some_and(|l| l.origin == "config"),
        errors,
        relations,
        annotations: pairs(&entity["metadata"]["annotations"]),
        labels: pairs(&entity["metadata"]["labels"]),
        links,
        definition,
        owned,
        members,
        email: entity["spec"]["profile"]["email"].as_str().map(str::to_string),
        owners: Vec::new(),
    }))
}

fn targets_of(entity: &Value, relation_type: &str) -> Vec<String> {
    entity["relations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["type"] == relation_type)
        .filter_map(|r| r["targetRef"].as_str())
        .map(str::to_string)
        .collect()
}

async fn owned_by(service: &Arc<Catalog>, owners: Vec<String>) -> Result<Vec<EntityRow>, StoreError> {
    let filter = Filter::All(vec![Filter::Field {
        key: "relations.ownedby".into(),
        values: owners,
    }]);
    let page = service
        .store
        .list_entities(&PageRequest {
            filter: Some(filter),
            limit: 200,
            ..PageRequest::default()
        })
        .await?;
    Ok(page.items.iter().map(row).collect())
}

/// The location that provides an entity, or a message for the page.
pub async fn location_of(service: &Arc<Catalog>, entity_ref: &str) -> Result<LocationRow, ServerFnError> {
    let parsed = EntityRef::parse_full(entity_ref).map_err(|e| ServerFnError::new(e.to_string()))?;
    service
        .store
        .location_of_entity(&parsed.to_string())
        .await
        .map_err(super::internal)?
        .ok_or_else(|| ServerFnError::new(format!("{entity_ref} is not in the catalog")))
}

/// `file:/path` or a bare path (a file location) into (type, target).
pub fn split_target(text: &str) -> (String, String) {
    let text = text.trim();
    match text.split_once(':') {
        Some((t, rest)) if !t.is_empty() && t.chars().all(|c| c.is_ascii_lowercase()) && !rest.starts_with("//") => {
            (t.to_string(), rest.to_string())
        }
        _ if text.contains("://") => ("url".into(), text.to_string()),
        _ => ("file".into(), text.to_string()),
    }
}
