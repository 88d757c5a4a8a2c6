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
        let labels: std::collections::BTreeMap<String, String> = incident
            .labels
            .as_deref()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_default();
        for suspect_entity in entities {
            let stream = metrics::stream(deployments.remove(&suspect_entity).unwrap_or_default());
            for (i, d) in metrics::assess(&stream, &[], settings).into_iter().enumerate() {
                // What ran before in the same workload (a rollout's id without its seq), or the
                // previous reported deployment.
                let workload = |id: &str| id.rsplit_once('/').map_or(String::new(), |(w, _)| w.to_string());
                let previous = stream[..i]
                    .iter()
                    .rev()
                    .find(|p| p.source == d.source && workload(&p.id) == workload(&d.id))
                    .map(|p| p.version.as_str());
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
                if let Some(workload) = named_workload(&labels, &d.id) {
                    score += 25;
                    reasons.push(SuspectReason::SameWorkload { workload });
                }
                if let Some(container) = labels.get("container")
                    && image_of(&d.version, container) != previous.and_then(|p| image_of(p, container))
                    && image_of(&d.version, container).is_some()
                {
                    score += 15;
                    reasons.push(SuspectReason::ChangedContainer {
                        container: container.clone(),
                    });
                }
                if let Some(at) = stream[i].unhealthy_ms {
                    score += 15;
                    reasons.push(SuspectReason::WentUnhealthy {
                        minutes: (at - d.started_ms).max(0) / 60_000,
                    });
                }
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

/// `namespace/name` of the rollout `deployment_id` (`rollout:<cluster>/<namespace>/<kind>/<name>/<seq>`)
/// when the alert's labels name that workload.
fn named_workload(labels: &std::collections::BTreeMap<String, String>, deployment_id: &str) -> Option<String> {
    let parts: Vec<&str> = deployment_id.strip_prefix("rollout:")?.splitn(5, '/').collect();
    let [_, namespace, kind, name, _] = parts[..] else {
        return None;
    };
    let label = match kind {
        "Deployment" | "Rollout" => "deployment",
        "StatefulSet" => "statefulset",
        "DaemonSet" => "daemonset",
        _ => return None,
    };
    (labels.get("namespace").map(String::as_str) == Some(namespace)
        && labels.get(label).map(String::as_str) == Some(name))
    .then(|| format!("{namespace}/{name}"))
}

/// The image of `container` in a rollout's version (`app=registry/x:1, sidecar=…`).
fn image_of<'a>(version: &'a str, container: &str) -> Option<&'a str> {
    version
        .split(", ")
        .filter_map(|pair| pair.split_once('='))
        .find(|(c, _)| *c == container)
        .map(|(_, image)| image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alerts_workload_and_container_are_matched_to_rollouts() {
        let labels: std::collections::BTreeMap<String, String> =
            [("namespace", "shop"), ("deployment", "checkout"), ("container", "app")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into();
        assert_eq!(
            named_workload(&labels, "rollout:prod/shop/Deployment/checkout/4").as_deref(),
            Some("shop/checkout")
        );
        assert_eq!(named_workload(&labels, "rollout:prod/shop/Deployment/cart/4"), None);
        assert_eq!(
            named_workload(&labels, "rollout:prod/shop/StatefulSet/checkout/4"),
            None
        );
        assert_eq!(named_workload(&labels, "gh-run-1"), None);
        assert_eq!(image_of("app=r/x:2, proxy=r/p:1", "app"), Some("r/x:2"));
        assert_eq!(image_of("app=r/x:2, proxy=r/p:1", "proxy"), Some("r/p:1"));
        assert_eq!(image_of("2.0.1", "app"), None);
    }
}
