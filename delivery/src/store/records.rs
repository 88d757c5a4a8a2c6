//! Delivery's own tables: deployments CI reported, incidents, and their links to deployments.
//! Each write is idempotent on its id; an incident and its link are written in one transaction.

use sqlx::{Row, any::AnyRow};

use std::collections::{BTreeMap, BTreeSet};

use super::{Among, Store, StoreError, in_list, query_error};
use crate::model::Incident;

/// A deployment as CI reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportedDeployment {
    pub id: String,
    pub entity: String,
    pub environment: String,
    pub version: String,
    pub commit: Option<String>,
    pub failed: bool,
    pub started_ms: i64,
    pub finished_ms: i64,
}

/// What an idempotent write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upsert {
    Created,
    /// The same id was there already, with the same values (or only moved forward now).
    Unchanged,
    /// The same id was there with other values: nothing was written.
    Differs,
}

/// An incident to record, and the deployment to link it to.
#[derive(Clone, Debug)]
pub struct NewIncident {
    pub source: String,
    pub external_id: String,
    /// `''` when no entity claims the incident's service (yet).
    pub entity: String,
    /// The service the source raised it on (PagerDuty's service id).
    pub service: Option<String>,
    pub title: String,
    pub started_ms: i64,
    pub resolved_ms: Option<i64>,
    /// `(deployment id, its entity)`.
    pub link: Option<(String, String)>,
    pub actor: String,
    /// The alert's labels, a JSON object (Alertmanager's incidents).
    pub labels: Option<String>,
}

/// An incident as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentRow {
    pub id: String,
    pub entity: String,
    pub title: String,
    pub started_ms: i64,
    pub resolved_ms: Option<i64>,
    /// The alert's labels, a JSON object, when it came from one.
    pub labels: Option<String>,
}

const DEPLOYMENT_COLUMNS: &str = "id, entity, environment, version, commit_sha, status, started_ms, finished_ms";

impl Store {
    /// Records a reported deployment unless its id is known; says whether the known one differs.
    pub async fn report_deployment(
        &self,
        d: &ReportedDeployment,
        actor: &str,
        now_ms: i64,
    ) -> Result<Upsert, StoreError> {
        let context = "recording a reported deployment";
        let _gate = self.writing().await;
        let inserted = sqlx::query(&format!(
            "INSERT INTO delivery_deployments ({DEPLOYMENT_COLUMNS}, reported_by, recorded_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING"
        ))
        .bind(&d.id)
        .bind(&d.entity)
        .bind(&d.environment)
        .bind(&d.version)
        .bind(d.commit.as_deref())
        .bind(if d.failed { "failed" } else { "succeeded" })
        .bind(d.started_ms)
        .bind(d.finished_ms)
        .bind(actor)
        .bind(now_ms)
        .execute(self.pool())
        .await
        .map_err(query_error(context))?;
        if inserted.rows_affected() == 1 {
            return Ok(Upsert::Created);
        }
        let known = sqlx::query(&format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM delivery_deployments WHERE id = $1"
        ))
        .bind(&d.id)
        .fetch_one(self.pool())
        .await
        .map_err(query_error(context))?;
        Ok(if reported(&known).map_err(query_error(context))? == *d {
            Upsert::Unchanged
        } else {
            Upsert::Differs
        })
    }

    /// The reported deployments of `among` in `environment` that finished in `[from_ms, to_ms)`.
    /// One row per entity, its deployments packed by the database (`packed`): a year of an
    /// organisation is hundreds of thousands of deployments, and the drivers hand rows over one by
    /// one (SQLite's through a channel, some microseconds each), so a row per deployment cost
    /// seconds. An entity whose packing cannot be read is read row by row instead.
    pub async fn reported_deployments(
        &self,
        among: Among<'_>,
        environment: &str,
        (from_ms, to_ms): (i64, i64),
    ) -> Result<Vec<ReportedDeployment>, StoreError> {
        let context = "reading reported deployments";
        let packed_columns = packed(
            &["id", "version", "commit_sha", "status"],
            &["started_ms", "finished_ms"],
        );
        let mut out = Vec::new();
        for chunk in among.chunks() {
            let sql = format!(
                "SELECT entity, string_agg({packed_columns}, '') FROM delivery_deployments \
                 WHERE environment = $1 AND finished_ms >= $2 AND finished_ms < $3 AND {} GROUP BY entity",
                in_list("entity", chunk, 4)
            );
            let mut query = sqlx::query(&sql).bind(environment).bind(from_ms).bind(to_ms);
            for entity in chunk.unwrap_or_default() {
                query = query.bind(entity);
            }
            for row in query.fetch_all(self.pool()).await.map_err(query_error(context))? {
                let entity: String = row.try_get(0).map_err(query_error(context))?;
                let packing: String = row.try_get(1).map_err(query_error(context))?;
                match unpack_deployments(&entity, environment, &packing) {
                    Some(deployments) => out.extend(deployments),
                    None => out.extend(self.reported_one_by_one(&entity, environment, (from_ms, to_ms)).await?),
                }
            }
        }
        Ok(out)
    }

    async fn reported_one_by_one(
        &self,
        entity: &str,
        environment: &str,
        (from_ms, to_ms): (i64, i64),
    ) -> Result<Vec<ReportedDeployment>, StoreError> {
        let context = "reading reported deployments";
        let rows = sqlx::query(&format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM delivery_deployments \
             WHERE entity = $1 AND environment = $2 AND finished_ms >= $3 AND finished_ms < $4"
        ))
        .bind(entity)
        .bind(environment)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.pool())
        .await
        .map_err(query_error(context))?;
        rows.iter()
            .map(reported)
            .collect::<Result<_, _>>()
            .map_err(query_error(context))
    }

    /// The entity of the reported deployment `id`, if there is one.
    pub async fn reported_deployment_entity(&self, id: &str) -> Result<Option<String>, StoreError> {
        sqlx::query("SELECT entity FROM delivery_deployments WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .and_then(|row| row.map(|r| r.try_get(0)).transpose())
            .map_err(query_error("finding a reported deployment"))
    }

    /// Records an incident, or moves a known one forward (resolved once, never reopened), and
    /// links it to its deployment; in one transaction. `Differs` when the known one names
    /// another entity or start.
    pub async fn record_incident(&self, x: &NewIncident, now_ms: i64) -> Result<Upsert, StoreError> {
        let context = "recording an incident";
        let id = format!("{}:{}", x.source, x.external_id);
        let _gate = self.writing().await;
        let mut tx = self.pool().begin().await.map_err(query_error(context))?;
        let inserted = sqlx::query(
            "INSERT INTO delivery_incidents \
             (id, source, external_id, entity, title, started_ms, resolved_ms, recorded_ms, updated_ms, service, labels) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&id)
        .bind(&x.source)
        .bind(&x.external_id)
        .bind(&x.entity)
        .bind(&x.title)
        .bind(x.started_ms)
        .bind(x.resolved_ms)
        .bind(now_ms)
        .bind(x.service.as_deref())
        .bind(x.labels.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(query_error(context))?;
        let mut outcome = Upsert::Created;
        if inserted.rows_affected() == 0 {
            let known = sqlx::query("SELECT entity, started_ms FROM delivery_incidents WHERE id = $1")
                .bind(&id)
                .fetch_one(&mut *tx)
                .await
                .map_err(query_error(context))?;
            let (entity, started): (String, i64) = (
                known.try_get(0).map_err(query_error(context))?,
                known.try_get(1).map_err(query_error(context))?,
            );
            if entity != x.entity || started != x.started_ms {
                return Ok(Upsert::Differs);
            }
            outcome = Upsert::Unchanged;
            if let Some(resolved) = x.resolved_ms {
                sqlx::query(
                    "UPDATE delivery_incidents SET resolved_ms = $2, updated_ms = $3 \
                     WHERE id = $1 AND resolved_ms IS NULL",
                )
                .bind(&id)
                .bind(resolved)
                .bind(now_ms)
                .execute(&mut *tx)
                .await
                .map_err(query_error(context))?;
            }
        }
        if let Some((deployment, entity)) = &x.link {
            sqlx::query(
                "INSERT INTO delivery_incident_links (incident_id, deployment_id, deployment_entity, linked_by, linked_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id, deployment_id) DO NOTHING",
            )
            .bind(&id)
            .bind(deployment)
            .bind(entity)
            .bind(&x.actor)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .map_err(query_error(context))?;
        }
        tx.commit().await.map_err(query_error(context))?;
        Ok(outcome)
    }

    /// One incident, by `<source>:<external id>`.
    pub async fn incident(&self, id: &str) -> Result<Option<IncidentRow>, StoreError> {
        let context = "reading an incident";
        let row = sqlx::query(
            "SELECT id, entity, title, started_ms, resolved_ms, labels FROM delivery_incidents WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error(context))?;
        row.map(|r| {
            Ok(IncidentRow {
                id: r.try_get(0)?,
                entity: r.try_get(1)?,
                title: r.try_get(2)?,
                started_ms: r.try_get(3)?,
                resolved_ms: r.try_get(4)?,
                labels: r.try_get(5)?,
            })
        })
        .transpose()
        .map_err(query_error(context))
    }

    /// The incidents linked to deployments of `among`, with every deployment each is linked to,
    /// under each entity of `among` one of its linked deployments belongs to.
    pub async fn incidents_linked(&self, among: Among<'_>) -> Result<BTreeMap<String, Vec<Incident>>, StoreError> {
        let context = "reading the incidents linked to entities' deployments";
        let mut incidents: BTreeMap<String, (Incident, BTreeSet<String>)> = BTreeMap::new();
        for chunk in among.chunks() {
            let sql = format!(
                "SELECT i.id, i.source, i.entity, i.title, i.started_ms, i.resolved_ms, l.deployment_id, l.deployment_entity \
                 FROM delivery_incidents i JOIN delivery_incident_links l ON l.incident_id = i.id \
                 WHERE i.id IN (SELECT incident_id FROM delivery_incident_links WHERE {}) \
                 ORDER BY i.id, l.deployment_id",
                in_list("deployment_entity", chunk, 1)
            );
            let mut query = sqlx::query(&sql);
            for entity in chunk.unwrap_or_default() {
                query = query.bind(entity);
            }
            for row in query.fetch_all(self.pool()).await.map_err(query_error(context))? {
                let id: String = row.try_get(0).map_err(query_error(context))?;
                let deployment: String = row.try_get(6).map_err(query_error(context))?;
                let deployment_entity: String = row.try_get(7).map_err(query_error(context))?;
                let (incident, entities) = match incidents.entry(id.clone()) {
                    std::collections::btree_map::Entry::Occupied(known) => known.into_mut(),
                    std::collections::btree_map::Entry::Vacant(new) => new.insert((
                        Incident {
                            id,
                            source: row.try_get(1).map_err(query_error(context))?,
                            entity: row.try_get(2).map_err(query_error(context))?,
                            title: row.try_get(3).map_err(query_error(context))?,
                            started_ms: row.try_get(4).map_err(query_error(context))?,
                            resolved_ms: row.try_get(5).map_err(query_error(context))?,
                            deployments: Vec::new(),
                        },
                        BTreeSet::new(),
                    )),
                };
                // Chunks overlap when an incident is linked across them: each link once.
                if !incident.deployments.contains(&deployment) {
                    incident.deployments.push(deployment);
                }
                entities.insert(deployment_entity);
            }
        }
        let wanted = |entity: &String| match among {
            Among::All => true,
            Among::Entities(list) => list.contains(entity),
        };
        let mut out: BTreeMap<String, Vec<Incident>> = BTreeMap::new();
        for (_, (mut incident, entities)) in incidents {
            incident.deployments.sort();
            for entity in entities.into_iter().filter(wanted) {
                out.entry(entity).or_default().push(incident.clone());
            }
        }
        Ok(out)
    }

    /// Incidents of `source` no entity claims, with the service they were raised on, oldest
    /// first, at most `limit`.
    pub async fn unmapped_services(&self, source: &str, limit: i64) -> Result<Vec<(String, String)>, StoreError> {
        let context = "reading unmapped incidents";
        sqlx::query(
            "SELECT id, service FROM delivery_incidents WHERE source = $1 AND entity = '' AND service IS NOT NULL \
             ORDER BY started_ms, id LIMIT $2",
        )
        .bind(source)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(query_error(context))?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(query_error(context))
    }

    /// Gives incident `id` its entity, only while it has none; whether it did.
    pub async fn claim_incident(&self, id: &str, entity: &str, now_ms: i64) -> Result<bool, StoreError> {
        let _gate = self.writing().await;
        sqlx::query("UPDATE delivery_incidents SET entity = $2, updated_ms = $3 WHERE id = $1 AND entity = ''")
            .bind(id)
            .bind(entity)
            .bind(now_ms)
            .execute(self.pool())
            .await
            .map(|done| done.rows_affected() > 0)
            .map_err(query_error("claiming an incident"))
    }

    /// How many incidents of `source` no entity claims (their service is mapped to none).
    pub async fn unmapped_incidents(&self, source: &str) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM delivery_incidents WHERE source = $1 AND entity = ''")
            .bind(source)
            .fetch_one(self.pool())
            .await
            .and_then(|r| r.try_get(0))
            .map_err(query_error("counting unmapped incidents"))?;
        Ok(count.max(0) as u64)
    }

    /// How many incidents of each of `among` started in `[from_ms, to_ms)` and are linked to no
    /// deployment (entities without any are left out).
    pub async fn unlinked_incidents(
        &self,
        among: Among<'_>,
        (from_ms, to_ms): (i64, i64),
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let context = "counting unlinked incidents";
        let mut out = BTreeMap::new();
        for chunk in among.chunks() {
            let sql = format!(
                "SELECT i.entity, COUNT(*) FROM delivery_incidents i \
                 WHERE i.entity <> '' AND i.started_ms >= $1 AND i.started_ms < $2 AND {} \
                 AND NOT EXISTS (SELECT 1 FROM delivery_incident_links l WHERE l.incident_id = i.id) \
                 GROUP BY i.entity",
                in_list("i.entity", chunk, 3)
            );
            let mut query = sqlx::query(&sql).bind(from_ms).bind(to_ms);
            for entity in chunk.unwrap_or_default() {
                query = query.bind(entity);
            }
            for row in query.fetch_all(self.pool()).await.map_err(query_error(context))? {
                let count: i64 = row.try_get(1).map_err(query_error(context))?;
                out.insert(row.try_get(0).map_err(query_error(context))?, count.max(0) as u64);
            }
        }
        Ok(out)
    }
}

fn reported(row: &AnyRow) -> Result<ReportedDeployment, sqlx::Error> {
    let status: String = row.try_get(5)?;
    Ok(ReportedDeployment {
        id: row.try_get(0)?,
        entity: row.try_get(1)?,
        environment: row.try_get(2)?,
        version: row.try_get(3)?,
        commit: row.try_get(4)?,
        failed: status == "failed",
        started_ms: row.try_get(6)?,
        finished_ms: row.try_get(7)?,
    })
}

/// The SQL packing one row's `texts` and `numbers` into one string, each field written as
/// `<length in characters>:<value>` (`-` for NULL), so no value can be mistaken for a separator;
/// `string_agg` (both databases) joins the rows.
fn packed(texts: &[&str], numbers: &[&str]) -> String {
    let text = |c: &str| format!("CASE WHEN {c} IS NULL THEN '-' ELSE CAST(length({c}) AS TEXT) || ':' || {c} END");
    let number = |c: &str| {
        let t = format!("CAST({c} AS TEXT)");
        format!("CASE WHEN {c} IS NULL THEN '-' ELSE CAST(length({t}) AS TEXT) || ':' || {t} END")
    };
    texts
        .iter()
        .map(|c| text(c))
        .chain(numbers.iter().map(|c| number(c)))
        .collect::<Vec<_>>()
        .join(" || ")
}

/// Reads fields written by [`packed`]: `Some(None)` for NULL, `None` at the end or when the text
/// is not such a packing.
struct Unpacked<'a> {
    rest: &'a str,
}

impl<'a> Unpacked<'a> {
    fn field(&mut self) -> Option<Option<&'a str>> {
        if let Some(rest) = self.rest.strip_prefix('-') {
            self.rest = rest;
            return Some(None);
        }
        let (len, rest) = self.rest.split_once(':')?;
        let len: usize = len.parse().ok()?;
        let end = match rest.char_indices().nth(len) {
            Some((at, _)) => at,
            None if rest.chars().count() == len => rest.len(),
            None => return None,
        };
        self.rest = &rest[end..];
        Some(Some(&rest[..end]))
    }

    fn text(&mut self) -> Option<String> {
        self.field()?.map(str::to_string)
    }

    fn number(&mut self) -> Option<i64> {
        self.field()??.parse().ok()
    }
}

/// The deployments of one entity from its packing; None if it cannot be read.
fn unpack_deployments(entity: &str, environment: &str, packing: &str) -> Option<Vec<ReportedDeployment>> {
    let mut fields = Unpacked { rest: packing };
    let mut out = Vec::new();
    while !fields.rest.is_empty() {
        let id = fields.text()?;
        let version = fields.text()?;
        let commit = fields.field()?.map(str::to_string);
        let status = fields.text()?;
        out.push(ReportedDeployment {
            id,
            entity: entity.to_string(),
            environment: environment.to_string(),
            version,
            commit,
            failed: status == "failed",
            started_ms: fields.number()?,
            finished_ms: fields.number()?,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_fields_read_back_whatever_they_hold() {
        // As the databases write them: lengths in characters, `-` for NULL.
        let packing = "3:a:b5:1.0 é-6:failed2:105:123453:r:24:1.1 1:z9:succeeded1:11:2";
        let read = unpack_deployments("component:default/x", "production", packing).expect("read");
        assert_eq!(read.len(), 2);
        assert_eq!(
            (read[0].id.as_str(), read[0].version.as_str(), read[0].commit.as_deref()),
            ("a:b", "1.0 é", None)
        );
        assert!(read[0].failed);
        assert_eq!((read[0].started_ms, read[0].finished_ms), (10, 12345));
        assert_eq!(
            (read[1].id.as_str(), read[1].version.as_str(), read[1].commit.as_deref()),
            ("r:2", "1.1 ", Some("z"))
        );
        assert_eq!((read[1].started_ms, read[1].finished_ms), (1, 2));
        assert!(unpack_deployments("e", "p", "9:short").is_none());
        assert!(unpack_deployments("e", "p", "x:1").is_none());
    }
}
