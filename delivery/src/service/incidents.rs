//! The incidents of an entity, a group or the organisation in a range: what the Delivery pages
//! list under the deployments and `GET /api/incidents` answers.

use super::{Delivery, MetricsQuery, Scope};
use crate::DeliveryError;
use crate::model::IncidentList;
use crate::store::Among;

/// Most incidents one list holds.
pub const MAX_INCIDENTS: usize = 200;

impl Delivery {
    /// The incidents of the query's scope that started in its range, newest first, at most
    /// `limit` (capped at `MAX_INCIDENTS`).
    pub async fn incidents(&self, query: &MetricsQuery, limit: usize) -> Result<IncidentList, DeliveryError> {
        let limit = limit.clamp(1, MAX_INCIDENTS);
        let entities = match &query.scope {
            Scope::Entity(entity) => {
                self.known_entity(entity, "entity").await?;
                Some(vec![entity.clone()])
            }
            Scope::Group(group) => {
                self.known_entity(group, "group").await?;
                Some(self.group_entities(group).await?)
            }
            Scope::Organisation => None,
        };
        let among = entities.as_deref().map_or(Among::All, Among::Entities);
        let (incidents, truncated) = self
            .store
            .incidents_among(among, (query.from_ms, query.to_ms), limit)
            .await?;
        Ok(IncidentList {
            from_ms: query.from_ms,
            to_ms: query.to_ms,
            incidents,
            truncated,
            limit: limit as u64,
        })
    }
}
