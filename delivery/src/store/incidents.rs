//! The incidents of a set of entities in a range, newest first, bounded, each with the
//! deployments it is linked to: the list pages and `GET /api/incidents` show.

use sqlx::Row;

use super::{Among, Store, StoreError, in_list, query_error};
use crate::model::Incident;

impl Store {
    /// The incidents of `among` that started in `[from_ms, to_ms)`, newest first, at most `limit`
    /// (one more is read to tell whether there were more), with their links.
    pub async fn incidents_among(
        &self,
        among: Among<'_>,
        (from_ms, to_ms): (i64, i64),
        limit: usize,
    ) -> Result<(Vec<Incident>, bool), StoreError> {
        let context = "listing incidents";
        let mut out: Vec<Incident> = Vec::new();
        for chunk in among.chunks() {
            let sql = format!(
                "SELECT id, source, entity, title, started_ms, resolved_ms FROM delivery_incidents \
                 WHERE entity <> '' AND started_ms >= $1 AND started_ms < $2 AND {} \
                 ORDER BY started_ms DESC, id LIMIT $3",
                in_list("entity", chunk, 4)
            );
            let mut query = sqlx::query(&sql)
                .bind(from_ms)
                .bind(to_ms)
                .bind(i64::try_from(limit + 1).unwrap_or(i64::MAX));
            for entity in chunk.unwrap_or_default() {
                query = query.bind(entity);
            }
            for row in query.fetch_all(self.pool()).await.map_err(query_error(context))? {
                out.push(
                    (|| {
                        Ok::<_, sqlx::Error>(Incident {
                            id: row.try_get(0)?,
                            source: row.try_get(1)?,
                            entity: row.try_get(2)?,
                            title: row.try_get(3)?,
                            started_ms: row.try_get(4)?,
                            resolved_ms: row.try_get(5)?,
                            deployments: Vec::new(),
                        })
                    })()
                    .map_err(query_error(context))?,
                );
            }
        }
        out.sort_by(|a, b| b.started_ms.cmp(&a.started_ms).then_with(|| a.id.cmp(&b.id)));
        let truncated = out.len() > limit;
        out.truncate(limit);
        let ids: Vec<String> = out.iter().map(|x| x.id.clone()).collect();
        for chunk in Among::Entities(&ids).chunks() {
            let sql = format!(
                "SELECT incident_id, deployment_id FROM delivery_incident_links WHERE {} \
                 ORDER BY incident_id, deployment_id",
                in_list("incident_id", chunk, 1)
            );
            let mut query = sqlx::query(&sql);
            for id in chunk.unwrap_or_default() {
                query = query.bind(id);
            }
            for row in query.fetch_all(self.pool()).await.map_err(query_error(context))? {
                let incident: String = row.try_get(0).map_err(query_error(context))?;
                let deployment: String = row.try_get(1).map_err(query_error(context))?;
                if let Some(x) = out.iter_mut().find(|x| x.id == incident) {
                    x.deployments.push(deployment);
                }
            }
        }
        Ok((out, truncated))
    }
}

impl Store {
    /// The incidents of each of `among` open at some time in `[from_ms, to_ms)`, oldest first.
    pub async fn incident_spans(
        &self,
        among: Among<'_>,
        (from_ms, to_ms): (i64, i64),
    ) -> Result<std::collections::BTreeMap<String, Vec<crate::metrics::IncidentSpan>>, StoreError> {
        let context = "reading entities' incidents";
        let mut out: std::collections::BTreeMap<String, Vec<crate::metrics::IncidentSpan>> = Default::default();
        for chunk in among.chunks() {
            let sql = format!(
                "SELECT entity, id, started_ms, resolved_ms FROM delivery_incidents \
                 WHERE entity <> '' AND started_ms < $2 AND (resolved_ms IS NULL OR resolved_ms >= $1) AND {} \
                 ORDER BY started_ms, id",
                in_list("entity", chunk, 3)
            );
            let mut query = sqlx::query(&sql).bind(from_ms).bind(to_ms);
            for entity in chunk.unwrap_or_default() {
                query = query.bind(entity);
            }
            for row in query.fetch_all(self.pool()).await.map_err(query_error(context))? {
                let entity: String = row.try_get(0).map_err(query_error(context))?;
                out.entry(entity).or_default().push(crate::metrics::IncidentSpan {
                    id: row.try_get(1).map_err(query_error(context))?,
                    started_ms: row.try_get(2).map_err(query_error(context))?,
                    resolved_ms: row.try_get(3).map_err(query_error(context))?,
                });
            }
        }
        Ok(out)
    }
}
