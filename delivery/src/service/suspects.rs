//! The deploy that caused it: an incident's suspects are the production deployments of its entity
//! and of what it `dependsOn` in the day before it started, ranked, each with the reasons as data;
//! an owner's verdict confirms one (the link feeds the metrics) or rejects it.

use super::{Delivery, Settings};
use crate::DeliveryError;
use crate::metrics;
use crate::model::FailureReason;
pub use crate::model::{Suspect, SuspectReason, Suspects};
use crate::store::Among;

/// How far before an incident a deployment is a suspect.
pub const SUSPECT_WINDOW_MS: i64 = 24 * 3_600_000;

impl Delivery {
    /// The entity of incident `id` (`''` when none claims it).
    pub async fn incident_entity(&self, id: &str) -> Result<String, DeliveryError> {
        self.store
            .incident(id)
            .await?
            .map(|x| x.entity)
            .ok_or_else(|| DeliveryError::NotFound(format!("there is no incident {id}")))
    }

    /// Incident `id`'s suspected deployments, most likely first.
    pub async fn suspects(&self, id: &str) -> Result<Suspects, DeliveryError> {
        let incident = self
            .store
            .incident(id)
            .await?
            .ok_or_else(|| DeliveryError::NotFound(format!("there is no incident {id}")))?;
        let start = incident.started_ms;
        let mut out = Suspects {
            incident: incident.id.clone(),
            entity: Some(incident.entity.clone()).filter(|e| !e.is_empty()),
            started_ms: start,
            window_hours: SUSPECT_WINDOW_MS / 3_600_000,
            suspects: Vec::new(),
        };
        let Some(entity) = out.entity.clone() else {
            return Ok(out);
        };
        let links = self.store.links_of(id).await?;
        let decisions = self.store.decisions(id).await?;
        let settings = Settings {
            rework_window_ms: i64::try_from(self.settings.rework_window.as_millis()).unwrap_or(i64::MAX),
        };
        let mut entities = vec![entity.clone()];
        entities.extend(
            self.store
                .depends_on(&entity)
                .await?
                .into_iter()
                .filter(|e| *e != entity),
        );
        let range = (start - SUSPECT_WINDOW_MS, start + 1);
        let mut deployments = self.production_deployments(Among::Entities(&entities), range).await?;
        for suspect_entity in entities {
            let stream = metrics::stream(deployments.remove(&suspect_entity).unwrap_or_default());
            for d in metrics::assess(&stream, &[], settings) {
                if d.started_ms >= start || d.finished_ms < start - SUSPECT_WINDOW_MS {
                    continue;
                }
                let minutes = (start - d.finished_ms) / 60_000;
                let mut score = 40 * (SUSPECT_WINDOW_MS - (start - d.finished_ms).max(0)) / SUSPECT_WINDOW_MS;
                let mut reasons = vec![if suspect_entity == entity {
                    score += 40;
                    SuspectReason::SameEntity
                } else {
                    score += 20;
                    SuspectReason::Dependency {
                        entity: suspect_entity.clone(),
                    }
                }];
                reasons.push(SuspectReason::MinutesBefore { minutes });
                for failure in &d.failures {
                    match failure {
                        FailureReason::RolledBack { by } => {
                            score += 30;
                            reasons.push(SuspectReason::RolledBack { by: by.clone() });
                        }
                        FailureReason::RolloutFailed => {
                            score += 20;
                            reasons.push(SuspectReason::Failed);
                        }
                        // Suspects are judged without their changes: no revert is known here.
                        FailureReason::Incident { .. } | FailureReason::Reverted { .. } => {}
                    }
                }
                out.suspects.push(Suspect {
                    linked: links.contains(&d.id),
                    decision: decisions.iter().find(|(dep, _)| *dep == d.id).map(|(_, v)| v.clone()),
                    deployment: d.id,
                    entity: d.entity,
                    version: d.version,
                    commit: d.commit,
                    finished_ms: d.finished_ms,
                    score: u32::try_from(score.max(0)).unwrap_or(0),
                    reasons,
                });
            }
        }
        out.suspects.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then(b.finished_ms.cmp(&a.finished_ms))
                .then(a.deployment.cmp(&b.deployment))
        });
        Ok(out)
    }

    /// Records an owner's verdict on `deployment` as the cause of incident `id`: `confirmed`
    /// links them (the metrics count it), `rejected` unlinks them. The deployment must be one of
    /// the incident's entity or of what it `dependsOn`.
    pub async fn decide(
        &self,
        id: &str,
        deployment: &str,
        decision: &str,
        actor: &str,
        now_ms: i64,
    ) -> Result<(), DeliveryError> {
        let confirmed = match decision {
            "confirmed" => true,
            "rejected" => false,
            other => {
                return Err(DeliveryError::invalid(
                    "decision",
                    format!("`{other}` is neither confirmed nor rejected"),
                ));
            }
        };
        let entity = self.incident_entity(id).await?;
        if entity.is_empty() {
            return Err(DeliveryError::invalid("incident", "no entity claims this incident"));
        }
        let deployment_entity = self.deployment_entity(deployment).await?;
        if deployment_entity != entity && !self.store.depends_on(&entity).await?.contains(&deployment_entity) {
            return Err(DeliveryError::invalid(
                "deployment",
                format!("{deployment} is of {deployment_entity}, neither {entity} nor what it dependsOn"),
            ));
        }
        self.store
            .decide(id, (deployment, &deployment_entity), confirmed, actor, now_ms)
            .await?;
        Ok(())
    }
}
