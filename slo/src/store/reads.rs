//! Read-only reads of others' tables: the catalog's entities that list SLO files (and their
//! neighbours, for `belong`), and deploys from the rollout history and reported deployments.

use sqlx::Row;

use super::{Store, StoreError, query_error};
pub use crate::view::Deploy;

/// The most entities listing SLO files one collection reads.
pub const MAX_LISTING_ENTITIES: i64 = 10_000;

/// An entity whose `cairn.dev/slo-files` lists files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingEntity {
    pub entity_ref: String,
    /// The annotation's value.
    pub files: String,
    /// The file the entity was read from, as the catalog names it.
    pub source: String,
    pub location_id: String,
    pub location_type: String,
}

/// An environment of the `dora:` settings, as far as deploy markers need it: which clusters and
/// namespaces it holds (empty: every one) and whether it is production.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    pub production: bool,
    pub clusters: Vec<String>,
    pub namespaces: Vec<String>,
}

/// The SQL condition "this rollout ran in production" over `environments`, with its
/// parameters numbered from `$first`: the first environment containing the rollout's cluster
/// and namespace decides, as the delivery metrics judge it; with none configured every cluster is.
fn production_condition(environments: &[Environment], first: usize) -> (String, Vec<String>) {
    if environments.is_empty() {
        return ("1 = 1".into(), Vec::new());
    }
    let mut binds = Vec::new();
    let mut list = |values: &[String], column: &str| -> String {
        if values.is_empty() {
            return "1 = 1".into();
        }
        let params: Vec<String> = values
            .iter()
            .map(|v| {
                binds.push(v.clone());
                format!("${}", first + binds.len() - 1)
            })
            .collect();
        format!("{column} IN ({})", params.join(", "))
    };
    let mut case = String::from("CASE");
    for e in environments {
        let clusters = list(&e.clusters, "cluster");
        let namespaces = list(&e.namespaces, "namespace");
        case.push_str(&format!(
            " WHEN {clusters} AND {namespaces} THEN {}",
            i32::from(e.production)
        ));
    }
    case.push_str(" ELSE 0 END = 1");
    (case, binds)
}

impl Store {
    /// Entities whose annotations name `cairn.dev/slo-files`, at most [`MAX_LISTING_ENTITIES`].
    pub async fn listing_entities(&self) -> Result<Vec<ListingEntity>, StoreError> {
        let context = "reading the entities that list SLO files";
        let rows = sqlx::query(
            "SELECT e.entity_ref, e.body, e.source, e.location_id, l.type FROM entities e \
             JOIN locations l ON l.id = e.location_id \
             WHERE e.body LIKE '%cairn.dev/slo-files%' ORDER BY e.entity_ref LIMIT $1",
        )
        .bind(MAX_LISTING_ENTITIES)
        .fetch_all(self.pool())
        .await
        .map_err(query_error(context))?;
        let mut out = Vec::new();
        for row in rows {
            let body: String = row.try_get(1).map_err(query_error(context))?;
            let body: serde_json::Value =
                serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("entity body: {e}")))?;
            let Some(files) = body["metadata"]["annotations"][crate::belong::SLO_FILES_ANNOTATION].as_str() else {
                continue;
            };
            out.push(ListingEntity {
                entity_ref: row.try_get(0).map_err(query_error(context))?,
                files: files.to_string(),
                source: row.try_get(2).map_err(query_error(context))?,
                location_id: row.try_get(3).map_err(query_error(context))?,
                location_type: row.try_get(4).map_err(query_error(context))?,
            });
        }
        Ok(out)
    }

    /// Components named `name` (any namespace), at most a few.
    pub async fn components_named(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let context = "reading the components of a service's name";
        let rows = sqlx::query("SELECT entity_ref FROM entities WHERE kind = 'component' AND name = $1 LIMIT 10")
            .bind(name.to_lowercase())
            .fetch_all(self.pool())
            .await
            .map_err(query_error(context))?;
        rows.iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(query_error(context))
    }

    /// The Components a Kubernetes object labelled `backstage.io/kubernetes-id=<id>` belongs to,
    /// as for workloads: those whose `backstage.io/kubernetes-id` annotation is `id`, else the one
    /// named `id` (the annotation defaults to the name). At most 10.
    pub async fn components_with_kubernetes_id(&self, id: &str) -> Result<Vec<String>, StoreError> {
        // A label value: at most 63 letters, digits, `-`, `_` and `.` (nothing a filter could misread).
        if id.is_empty() || id.len() > 63 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            return Ok(Vec::new());
        }
        let Ok(Some(filter)) = catalog::model::Filter::from_params(&[format!(
            "kind=component,metadata.annotations.backstage.io/kubernetes-id={id}"
        )]) else {
            return Ok(Vec::new());
        };
        let filter = Some(filter);
        let page = self
            .catalog
            .list_entities(&catalog::store::PageRequest {
                filter,
                limit: 10,
                ..catalog::store::PageRequest::default()
            })
            .await?;
        let annotated: Vec<String> = page
            .items
            .iter()
            .filter_map(|e| {
                let kind = e["kind"].as_str()?.to_lowercase();
                let namespace = e["metadata"]["namespace"].as_str().unwrap_or("default");
                Some(format!("{kind}:{namespace}/{}", e["metadata"]["name"].as_str()?).to_lowercase())
            })
            .collect();
        if !annotated.is_empty() {
            return Ok(annotated);
        }
        self.components_named(id).await
    }

    /// The production deploys of `entity` that finished in `[from, to)` (unix seconds), oldest
    /// first, at most `limit`: rollouts that ran (not those still in progress) in a production
    /// cluster and namespace (`environments`: the first that contains the rollout decides; none:
    /// every cluster is production) and reported production deployments.
    pub async fn deploys(
        &self,
        entity: &str,
        (from, to): (i64, i64),
        environments: &[Environment],
        limit: i64,
    ) -> Result<Vec<Deploy>, StoreError> {
        let context = "reading an entity's deploys";
        let (production, places) = production_condition(environments, 5);
        let sql = format!(
            "SELECT 'rollout', finished_ms, version, outcome, \
             cluster || '/' || namespace || '/' || kind || '/' || name FROM deployment_rollouts \
             WHERE entity = $1 AND finished_ms >= $2 AND finished_ms < $3 AND outcome <> 'in-progress' AND {production} \
             UNION ALL SELECT 'reported', finished_ms, version, status, environment FROM delivery_deployments \
             WHERE entity = $1 AND environment = 'production' AND finished_ms >= $2 AND finished_ms < $3 \
             ORDER BY 2 LIMIT $4"
        );
        let mut query = sqlx::query(&sql)
            .bind(entity)
            .bind(from * 1000)
            .bind(to * 1000)
            .bind(limit);
        for place in places {
            query = query.bind(place);
        }
        let rows = query.fetch_all(self.pool()).await.map_err(query_error(context))?;
        rows.iter()
            .map(|r| {
                let at_ms: i64 = r.try_get(1)?;
                Ok(Deploy {
                    source: r.try_get(0)?,
                    at: at_ms.div_euclid(1000),
                    version: r.try_get(2)?,
                    outcome: r.try_get(3)?,
                    target: r.try_get(4)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(query_error(context))
    }
}
