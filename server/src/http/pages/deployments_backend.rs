//! The Deployments pages' backend (`app::api::deployments::DeploymentsBackend`) over the live
//! cluster views: the same data as `/api/kubernetes`.

use std::sync::Arc;

use app::api::admin::BoxFuture;
use app::api::deployments::{DeploymentsBackend, DeploymentsOverview, EntityDeployments};
use catalog::model::EntityRef;
use catalog::store::Store;
use deployments::Deployments;

pub struct Backend {
    pub deployments: Arc<Deployments>,
    pub store: Store,
}

fn logged(err: impl std::fmt::Display) -> String {
    tracing::error!(error = %err, "deployments page failure");
    "the request failed; the error has been logged".into()
}

impl DeploymentsBackend for Backend {
    fn entity_deployments<'a>(
        &'a self,
        entity_ref: &'a str,
    ) -> BoxFuture<'a, Result<Option<EntityDeployments>, String>> {
        Box::pin(async move {
            let Ok(parsed) = EntityRef::parse(entity_ref, None, "default") else {
                return Ok(None);
            };
            if self.store.entity_by_ref(&parsed).await.map_err(logged)?.is_none() {
                return Ok(None);
            }
            self.deployments.entity(entity_ref).await.map(Some).map_err(logged)
        })
    }

    fn overview(&self) -> BoxFuture<'_, Result<DeploymentsOverview, String>> {
        Box::pin(async move {
            let (clusters, workloads) = self.deployments.overview();
            Ok(DeploymentsOverview { clusters, workloads })
        })
    }
}
