//! Filtered, ordered, paginated listing and facet counts. Filters become SQL over indexed columns
//! (kind, namespace, name), the relations table (`relations.ownedby=…`) and the search table
//! (every other field); pagination is by keyset, so page 1 000 costs what page 1 does.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;

use super::cache::Found;
use super::facet_cache::FacetValues;
use super::{Store, StoreError, query_error};
use crate::model::{Filter, validate::known_kind};

mod full_text;

/// Sort by one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub field: String,
    pub descending: bool,
}

/// What to list.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PageRequest {
    pub filter: Option<Filter>,
    /// Words to find (case-insensitive), in `fields` or, when empty, in names, titles, descriptions…
    pub full_text: Option<String>,
    #[serde(default)]
    pub full_text_fields: Vec<String>,
    /// Sort fields; the uid breaks ties so the order is total.
    #[serde(default)]
    pub order: Vec<Order>,
    pub limit: usize,
    /// Classic offset paging (GET /entities), when no keyset position is given.
    #[serde(default)]
    pub offset: usize,
    /// Keyset position: the sort value and uid of the last item seen.
    pub after: Option<(String, String)>,
    /// Walk backwards from `after` (for a "previous page" cursor).
    #[serde(default)]
    pub backwards: bool,
}

/// A page of entities.
#[derive(Clone, Debug)]
pub struct EntityPage {
    pub items: Vec<Value>,
    pub total: usize,
    /// Keyset positions of the first and last item (for next/previous cursors).
    pub first_key: Option<(String, String)>,
    pub last_key: Option<(String, String)>,
    pub has_more: bool,
}

/// A page as remembered: its entities, and the same serialized (`[entity, …]`).
#[derive(Debug)]
pub struct PageJson {
    pub page: EntityPage,
    pub items_json: Arc<[u8]>,
}

/// Value counts of one field.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Facet {
    pub value: String,
    pub count: i64,
}

/// Most rows one page may hold.
pub const MAX_LIMIT: usize = 1_000;

/// Relation types, for matching `relations.<type>` keys given in lower case.
const RELATION_TYPES: [&str; 14] = [
    "ownedBy",
    "ownerOf",
    "partOf",
    "hasPart",
    "providesApi",
    "apiProvidedBy",
    "consumesApi",
    "apiConsumedBy",
    "dependsOn",
    "dependencyOf",
    "memberOf",
    "hasMember",
    "childOf",
    "parentOf",
];

/// The `$n` arguments of a statement being built.
#[derive(Default)]
pub(super) struct Sql {
    args: Vec<String>,
}

impl Sql {
    fn arg(&mut self, value: impl Into<String>) -> String {
        self.args.push(value.into());
        format!("${}", self.args.len())
    }

    fn list(&mut self, values: &[String]) -> String {
        values
            .iter()
            .map(|v| self.arg(v.to_lowercase()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Store {
    /// One page of entities and the total count of matches (remembered: see `store::cache`,
    /// `catalog.queryCache`).
    pub async fn list_entities(&self, request: &PageRequest) -> Result<EntityPage, StoreError> {
        Ok(self.list_entities_json(request).await?.page.clone())
    }

    /// [`Store::list_entities`] as remembered, with the entities serialized as the API sends them.
    pub async fn list_entities_json(&self, request: &PageRequest) -> Result<Arc<PageJson>, StoreError> {
        let key = serde_json::to_string(request).unwrap_or_default();
        match self.page_cache.get_or_stale(&key) {
            Found::Fresh(page) => Ok(page),
            Found::Stale(page) => {
                let (store, request) = (self.clone(), request.clone());
                tokio::spawn(async move {
                    if let Err(err) = store.read_page(key, &request).await {
                        tracing::warn!(error = %err, "a page not read again");
                    }
                });
                Ok(page)
            }
            Found::Missing => self.read_page(key, request).await,
        }
    }

    /// Reads a page and keeps it under `key`.
    async fn read_page(&self, key: String, request: &PageRequest) -> Result<Arc<PageJson>, StoreError> {
        let generation = self.page_cache.generation();
        let page = self.list_entities_now(request).await?;
        let items_json: Arc<[u8]> = serde_json::to_vec(&page.items)
            .map_err(|e| StoreError::Corrupt(format!("entity JSON: {e}")))?
            .into();
        // A value tree holds about three times its JSON.
        let weight = key.len() + items_json.len() * 4;
        let page = Arc::new(PageJson { page, items_json });
        self.page_cache.put(key, generation, page.clone(), weight);
        Ok(page)
    }

    async fn list_entities_now(&self, request: &PageRequest) -> Result<EntityPage, StoreError> {
        let mut sql = Sql::default();
        let condition = conditions(request, self.postgres, &mut sql);
        let condition_args = sql.args.len();
        let order = request.order.first().cloned().unwrap_or(Order {
            field: "metadata.name".into(),
            descending: false,
        });
        // A search with no order asked for is ranked: best matches first.
        let key = match term(request) {
            Some(term) if request.order.is_empty() => full_text::rank_key(&term, self.postgres, &mut sql),
            _ => sort_expression(&order.field, &mut sql),
        };
        // Walking backwards flips the comparison and the order, then the page is flipped back.
        let descending = order.descending != request.backwards;
        let (cmp, dir) = if descending { ("<", "DESC") } else { (">", "ASC") };
        // The page is chosen from narrow rows first, then only its entities' bodies are read:
        // sorting thousands of matches with their bodies would read them all.
        let entities = entities_for(request, self.postgres);
        let mut page = format!("SELECT e.id, {key} AS sort_key, e.uid FROM {entities} WHERE {condition}");
        if let Some((value, uid)) = &request.after {
            // A row value, so the (name, uid) indexes find where the page starts.
            let (v, u) = (sql.arg(value.clone()), sql.arg(uid.clone()));
            page.push_str(&format!(" AND ({key}, e.uid) {cmp} ({v}, {u})"));
        }
        let limit = request.limit.clamp(1, MAX_LIMIT);
        page.push_str(&format!(" ORDER BY sort_key {dir}, e.uid {dir} LIMIT {}", limit + 1));
        if request.after.is_none() && request.offset > 0 {
            page.push_str(&format!(" OFFSET {}", request.offset));
        }
        let text = format!(
            "SELECT e.entity_ref, e.body, e.errors, p.sort_key, p.uid FROM ({page}) p JOIN entities e ON e.id = p.id \
             ORDER BY p.sort_key {dir}, p.uid {dir}"
        );
        let mut rows = match self.first_page_by_name(request, limit).await? {
            Some(rows) => rows,
            None => {
                let mut q = sqlx::query(&text);
                for a in &sql.args {
                    q = q.bind(a.clone());
                }
                q.fetch_all(self.pool())
                    .await
                    .map_err(query_error("listing entities"))?
            }
        };
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        // A first page that holds every match has counted them already.
        let total = if request.after.is_none() && !has_more && (request.offset == 0 || !rows.is_empty()) {
            (request.offset + rows.len()) as i64
        } else {
            let mut count = Sql::default();
            let text = match term(request) {
                // Every id the index gives is an entity's: no need to read the entities.
                Some(term) if request.filter.is_none() && request.full_text_fields.is_empty() => {
                    format!(
                        "SELECT COUNT(*) FROM ({}) m",
                        full_text::matching_ids(&term, self.postgres, &mut count)
                    )
                }
                _ => {
                    count.args = sql.args[..condition_args].to_vec();
                    format!("SELECT COUNT(*) FROM {entities} WHERE {condition}")
                }
            };
            let mut q = sqlx::query(&text);
            for a in &count.args {
                q = q.bind(a.clone());
            }
            q.fetch_one(self.pool())
                .await
                .and_then(|r| r.try_get::<i64, _>(0))
                .map_err(query_error("counting entities"))?
        };
        if request.backwards {
            rows.reverse();
        }
        let key_of = |row: &sqlx::any::AnyRow| -> Result<(String, String), StoreError> {
            Ok((
                row.try_get(3).map_err(query_error("listing entities"))?,
                row.try_get(4).map_err(query_error("listing entities"))?,
            ))
        };
        let first_key = rows.first().map(key_of).transpose()?;
        let last_key = rows.last().map(key_of).transpose()?;
        let items = self.assemble(rows).await?.into_iter().map(|(_, v)| v).collect();
        Ok(EntityPage {
            items,
            total: total as usize,
            first_key,
            last_key,
            has_more,
        })
    }

    /// The first page of a ranked search, when the entities whose name starts with the term
    /// (the first two ranks) fill it: read from the name index alone, without ranking every
    /// match. `None` when they do not (or the request is not such a page): rank them all.
    async fn first_page_by_name(
        &self,
        request: &PageRequest,
        limit: usize,
    ) -> Result<Option<Vec<sqlx::any::AnyRow>>, StoreError> {
        let Some(term) = term(request) else { return Ok(None) };
        let Some(upper) = full_text::prefix_upper_bound(&term) else {
            return Ok(None);
        };
        let plain = request.order.is_empty() && request.full_text_fields.is_empty();
        if !plain || request.after.is_some() || request.offset > 0 || request.backwards {
            return Ok(None);
        }
        // A name starting with the term has it in its words: the full-text condition holds.
        let mut sql = Sql::default();
        let filter = request
            .filter
            .as_ref()
            .map_or_else(|| "1 = 1".to_string(), |f| filter_sql(f, &mut sql));
        let (exact, upper) = (sql.arg(term.clone()), sql.arg(upper));
        let page = format!(
            "SELECT e.id, (CASE WHEN e.name = {exact} THEN '0' ELSE '1' END || e.name) AS sort_key, e.uid \
             FROM entities e WHERE e.name >= {exact} AND e.name < {upper} AND {filter} \
             ORDER BY sort_key, e.uid LIMIT {}",
            limit + 1
        );
        let text = format!(
            "SELECT e.entity_ref, e.body, e.errors, p.sort_key, p.uid FROM ({page}) p JOIN entities e ON e.id = p.id \
             ORDER BY p.sort_key, p.uid"
        );
        let mut q = sqlx::query(&text);
        for a in &sql.args {
            q = q.bind(a.clone());
        }
        let rows = q
            .fetch_all(self.pool())
            .await
            .map_err(query_error("listing entities"))?;
        Ok((rows.len() > limit).then_some(rows))
    }

    /// Counts of each value of `field` among the entities matching `filter`: from the counts kept
    /// with the catalog when the filter is by kind at most (the catalog page's and most clients'
    /// questions), else counted now.
    pub async fn facet(&self, field: &str, filter: Option<&Filter>) -> Result<Vec<Facet>, StoreError> {
        Ok(self.facet_values(field, filter).await?.values.clone())
    }

    /// [`Store::facet`], with the values as the API sends them (remembered when kept).
    pub async fn facet_values(&self, field: &str, filter: Option<&Filter>) -> Result<Arc<FacetValues>, StoreError> {
        let lower = field.to_lowercase();
        let kept = match lower.as_str() {
            // One value per entity: counting them is no faster than listing them.
            "metadata.name" => None,
            relation if relation.starts_with("relations.") => {
                Some(format!("relations.{}", relation_type(&relation["relations.".len()..])))
            }
            other => Some(other.to_string()),
        };
        let kinds = match filter {
            None => Some(None),
            Some(filter) => kinds_only(filter),
        };
        match (kept, kinds) {
            (Some(kept), Some(kinds)) => self.kept_facet(&kept, kinds.as_deref()).await,
            _ => Ok(Arc::new(FacetValues::new(self.facet_counted_now(field, filter).await?))),
        }
    }

    /// [`Store::facet`] counted from the catalog itself, whatever the filter: what the kept
    /// counts must always equal.
    pub async fn facet_counted_now(&self, field: &str, filter: Option<&Filter>) -> Result<Vec<Facet>, StoreError> {
        let mut sql = Sql::default();
        let request = PageRequest {
            filter: filter.cloned(),
            ..PageRequest::default()
        };
        let condition = conditions(&request, self.postgres, &mut sql);
        let field = field.to_lowercase();
        let text = match field.as_str() {
            "kind" => {
                format!("SELECT e.kind, COUNT(*) FROM entities e WHERE {condition} GROUP BY e.kind")
            }
            "metadata.namespace" => {
                format!("SELECT e.namespace, COUNT(*) FROM entities e WHERE {condition} GROUP BY e.namespace")
            }
            "metadata.name" => {
                format!("SELECT e.name, COUNT(*) FROM entities e WHERE {condition} GROUP BY e.name")
            }
            relation if relation.starts_with("relations.") => {
                let pairs = relation_pairs(&relation["relations.".len()..], &mut sql);
                format!(
                    "SELECT r.target, COUNT(DISTINCT r.entity) FROM ({pairs}) r JOIN entities e ON e.entity_ref = r.entity \
                     WHERE {condition} GROUP BY r.target"
                )
            }
            _ => {
                let key = sql.arg(field.clone());
                format!(
                    "SELECT s.original_value, COUNT(DISTINCT s.entity_id) FROM search s JOIN entities e ON e.id = s.entity_id \
                     WHERE s.key = {key} AND {condition} GROUP BY s.original_value"
                )
            }
        };
        let mut q = sqlx::query(&text);
        for a in &sql.args {
            q = q.bind(a.clone());
        }
        let rows = q.fetch_all(self.pool()).await.map_err(query_error("counting facets"))?;
        let facets = rows
            .iter()
            .map(|r| {
                Ok(Facet {
                    value: shown(&field, r.try_get(0)?),
                    count: r.try_get(1)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(query_error("counting facets"))?;
        Ok(sorted_facets(facets))
    }
}

/// A facet's value as shown: kinds spelled as Backstage does (`Component`), others as stored.
pub(super) fn shown(field: &str, value: String) -> String {
    if field == "kind" {
        known_kind(&value).map_or(value, str::to_string)
    } else {
        value
    }
}

/// Most frequent first, then by value.
pub(super) fn sorted_facets(facets: impl IntoIterator<Item = Facet>) -> Vec<Facet> {
    let mut facets: Vec<Facet> = facets.into_iter().collect();
    facets.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    facets
}

/// The kinds a filter keeps when it is about kinds alone (`None`: every kind); `None` when it
/// says more than that.
fn kinds_only(filter: &Filter) -> Option<Option<Vec<String>>> {
    match filter {
        Filter::All(items) if items.is_empty() => Some(None),
        Filter::All(items) | Filter::Any(items) if items.len() == 1 => kinds_only(&items[0]),
        Filter::Field { key, values } if key == "kind" => {
            Some((!values.is_empty()).then(|| values.iter().map(|v| v.to_lowercase()).collect()))
        }
        _ => None,
    }
}

/// The request's full-text term, lower-case and trimmed, when it has one.
fn term(request: &PageRequest) -> Option<String> {
    request
        .full_text
        .as_ref()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
}

/// Whether the request's term is looked up in the full-text index (its fields, if any, are
/// all ones the index holds).
fn searches_index(request: &PageRequest) -> bool {
    term(request).is_some()
        && (request.full_text_fields.is_empty()
            || full_text::indexed(
                &request
                    .full_text_fields
                    .iter()
                    .map(|f| f.to_lowercase())
                    .collect::<Vec<_>>(),
            ))
}

/// The entities a page is chosen from, as `e`. On SQLite, a search's matches (every one is
/// ranked) are read from the narrow `entities_ranking` index (migration 0017): reading their
/// wide rows cost three times as much at 100 000 entities.
fn entities_for(request: &PageRequest, postgres: bool) -> &'static str {
    if !postgres && searches_index(request) {
        "entities e INDEXED BY entities_ranking"
    } else {
        "entities e"
    }
}

/// The WHERE condition for a request's filter and full-text term.
fn conditions(request: &PageRequest, postgres: bool, sql: &mut Sql) -> String {
    let mut parts = vec!["1 = 1".to_string()];
    if let Some(filter) = &request.filter {
        parts.push(filter_sql(filter, sql));
    }
    if let Some(term) = term(request) {
        let fields: Vec<String> = request.full_text_fields.iter().map(|f| f.to_lowercase()).collect();
        if searches_index(request) {
            parts.push(format!("e.id IN ({})", full_text::matching_ids(&term, postgres, sql)));
        }
        if !fields.is_empty() {
            // The index found the entities with the term somewhere; these are those with it in
            // one of the fields asked for.
            let pattern = sql.arg(full_text::contains_pattern(&term));
            let mut alternatives = Vec::new();
            if fields.iter().any(|f| f == "metadata.name") {
                alternatives.push(format!("e.name LIKE {pattern} ESCAPE '\\'"));
            }
            let keys = sql.list(&fields);
            alternatives.push(format!(
                "e.id IN (SELECT entity_id FROM search WHERE key IN ({keys}) AND value LIKE {pattern} ESCAPE '\\')"
            ));
            parts.push(format!("({})", alternatives.join(" OR ")));
        }
    }
    parts.join(" AND ")
}

fn filter_sql(filter: &Filter, sql: &mut Sql) -> String {
    match filter {
        Filter::All(items) if items.is_empty() => "1 = 1".into(),
        Filter::Any(items) if items.is_empty() => "1 = 0".into(),
        Filter::All(items) => format!(
            "({})",
            items
                .iter()
                .map(|f| filter_sql(f, sql))
                .collect::<Vec<_>>()
                .join(" AND ")
        ),
        Filter::Any(items) => format!(
            "({})",
            items
                .iter()
                .map(|f| filter_sql(f, sql))
                .collect::<Vec<_>>()
                .join(" OR ")
        ),
        Filter::Not(inner) => format!("NOT {}", filter_sql(inner, sql)),
        Filter::Field { key, values } => field_sql(key, values, sql),
    }
}

fn field_sql(key: &str, values: &[String], sql: &mut Sql) -> String {
    let column = match key {
        "kind" => Some("e.kind"),
        "metadata.namespace" => Some("e.namespace"),
        "metadata.name" => Some("e.name"),
        "metadata.uid" => Some("e.uid"),
        _ => None,
    };
    if let Some(column) = column {
        return if values.is_empty() {
            "1 = 1".into()
        } else if key == "metadata.uid" {
            format!(
                "{column} IN ({})",
                values.iter().map(|v| sql.arg(v.clone())).collect::<Vec<_>>().join(", ")
            )
        } else {
            format!("{column} IN ({})", sql.list(values))
        };
    }
    if let Some(relation) = key.strip_prefix("relations.") {
        let pairs = relation_pairs(relation, sql);
        return if values.is_empty() {
            format!("e.entity_ref IN (SELECT entity FROM ({pairs}) r)")
        } else {
            let list = sql.list(values);
            format!("e.entity_ref IN (SELECT entity FROM ({pairs}) r WHERE r.target IN ({list}))")
        };
    }
    let k = sql.arg(key.to_string());
    if values.is_empty() {
        format!("e.id IN (SELECT entity_id FROM search WHERE key = {k})")
    } else {
        let list = sql.list(values);
        format!("e.id IN (SELECT entity_id FROM search WHERE key = {k} AND value IN ({list}))")
    }
}

/// `(entity, target)` pairs of a relation type, from the rows declared with it and, read
/// backwards, from those declared with its reverse (`ownerOf` from `ownedBy` rows).
fn relation_pairs(name: &str, sql: &mut Sql) -> String {
    let relation = relation_type(name);
    let forward = sql.arg(relation.clone());
    match crate::model::reverse_of(&relation) {
        Some(reverse) => {
            let reverse = sql.arg(reverse);
            format!(
                "SELECT source_ref AS entity, target_ref AS target FROM relations WHERE type = {forward} \
                 UNION ALL SELECT target_ref, source_ref FROM relations WHERE type = {reverse}"
            )
        }
        None => format!("SELECT source_ref AS entity, target_ref AS target FROM relations WHERE type = {forward}"),
    }
}

/// The stored spelling of a relation type given in any case (`ownedby` → `ownedBy`).
fn relation_type(name: &str) -> String {
    RELATION_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(name))
        .map_or(name.to_string(), |t| t.to_string())
}

/// The expression a page is sorted by (text, never NULL, so keyset comparisons hold).
fn sort_expression(field: &str, sql: &mut Sql) -> String {
    match field.to_lowercase().as_str() {
        "metadata.name" => "e.name".into(),
        "kind" => "e.kind".into(),
        "metadata.namespace" => "e.namespace".into(),
        other => {
            let k = sql.arg(other.to_string());
            format!("COALESCE((SELECT MIN(s.value) FROM search s WHERE s.entity_id = e.id AND s.key = {k}), '')")
        }
    }
}
