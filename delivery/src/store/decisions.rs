//! Owners' verdicts on the deployments suspected of causing an incident, and the reads the
//! suspects need: an incident's links and verdicts, and what an entity `dependsOn`.

use sqlx::Row;

use super::{Store, StoreError, query_error};

/// Most dependencies of one entity whose deployments are suspects.
const MAX_DEPENDENCIES: i64 = 200;

impl Store {
    /// Records a verdict, in one transaction with the link it implies: confirmed adds the link,
    /// rejected removes it. A later verdict on the same pair replaces the earlier.
    pub async fn decide(
        &self,
        incident: &str,
        (deployment, deployment_entity): (&str, &str),
        confirmed: bool,
        actor: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let context = "recording a verdict on a suspected deployment";
        let _gate = self.writing().await;
        let mut tx = self.pool().begin().await.map_err(query_error(context))?;
        sqlx::query(
            "INSERT INTO delivery_incident_decisions (incident_id, deployment_id, decision, decided_by, decided_ms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id, deployment_id) DO UPDATE \
             SET decision = excluded.decision, decided_by = excluded.decided_by, decided_ms = excluded.decided_ms",
        )
        .bind(incident)
        .bind(deployment)
        .bind(if confirmed { "confirmed" } else { "rejected" })
        .bind(actor)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(query_error(context))?;
        let link = if confirmed {
            sqlx::query(
                "INSERT INTO delivery_incident_links (incident_id, deployment_id, deployment_entity, linked_by, linked_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id, deployment_id) DO NOTHING",
            )
            .bind(incident)
            .bind(deployment)
            .bind(deployment_entity)
            .bind(actor)
            .bind(now_ms)
        } else {
            sqlx::query("DELETE FROM delivery_incident_links WHERE incident_id = $1 AND deployment_id = $2")
                .bind(incident)
                .bind(deployment)
        };
        link.execute(&mut *tx).await.map_err(query_error(context))?;
        tx.commit().await.map_err(query_error(context))
    }

    /// The deployments `incident` is linked to.
    pub async fn links_of(&self, incident: &str) -> Result<Vec<String>, StoreError> {
        let context = "reading an incident's links";
        sqlx::query("SELECT deployment_id FROM delivery_incident_links WHERE incident_id = $1")
            .bind(incident)
            .fetch_all(self.pool())
            .await
            .map_err(query_error(context))?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(query_error(context))
    }

    /// The verdicts on `incident`'s suspects: `(deployment, confirmed | rejected)`.
    pub async fn decisions(&self, incident: &str) -> Result<Vec<(String, String)>, StoreError> {
        let context = "reading an incident's verdicts";
        sqlx::query("SELECT deployment_id, decision FROM delivery_incident_decisions WHERE incident_id = $1")
            .bind(incident)
            .fetch_all(self.pool())
            .await
            .map_err(query_error(context))?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(query_error(context))
    }

    /// What `entity` `dependsOn` (catalog relations), in ref order.
    pub async fn depends_on(&self, entity: &str) -> Result<Vec<String>, StoreError> {
        let context = "reading an entity's dependencies";
        sqlx::query(
            "SELECT DISTINCT target_ref FROM relations WHERE source_ref = $1 AND type = 'dependsOn' \
             ORDER BY target_ref LIMIT $2",
        )
        .bind(entity)
        .bind(MAX_DEPENDENCIES)
        .fetch_all(self.pool())
        .await
        .map_err(query_error(context))?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(query_error(context))
    }
}
