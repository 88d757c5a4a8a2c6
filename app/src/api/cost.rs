//! The Cost views' server functions: an entity's Cost tab, a team's cost (a Group's tab) and the
//! organisation's explorer. The server provides a `CostProvider` in context (it reads the
//! history, priced, through `cost::store`); these functions check `cost.read` and call it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use cost::view::entity::EntityCost;
pub use cost::view::lines::Lines;

/// The ranges the views offer, in days; the first is the default.
pub const RANGES: [u32; 3] = [30, 7, 90];

/// `days` if it is one the views offer, else the default.
pub fn range_days(days: Option<u32>) -> u32 {
    days.filter(|d| RANGES.contains(d)).unwrap_or(RANGES[0])
}

/// What the explorer groups by.
pub const GROUPINGS: [(&str, &str); 5] = [
    ("team", "Team"),
    ("system", "System"),
    ("domain", "Domain"),
    ("namespace", "Namespace"),
    ("cluster", "Cluster"),
];

/// `by` if it is one of `GROUPINGS`, else the first.
pub fn grouping(by: Option<&str>) -> &'static str {
    GROUPINGS
        .iter()
        .map(|(g, _)| *g)
        .find(|g| Some(*g) == by)
        .unwrap_or(GROUPINGS[0].0)
}

/// One explorer view: rows by `by`, or (drilled into `key`) its entities; and the workloads
/// behind the unallocated cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explorer {
    pub days: u32,
    pub by: String,
    pub key: Option<String>,
    pub lines: Lines,
    pub unallocated: Lines,
}

/// A team's cost: a row per entity it owns, its shares of idle and shared costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamCost {
    pub days: u32,
    pub team: String,
    pub lines: Lines,
}

/// Supplied by the server as context: the cost history's reads for the pages.
#[cfg(feature = "ssr")]
pub trait CostSource: Send + Sync {
    fn exists(&self, entity_ref: String) -> BoxedFuture<bool>;
    fn entity(&self, entity_ref: String, days: u32) -> BoxedFuture<EntityCost>;
    fn team(&self, group_ref: String, days: u32) -> BoxedFuture<Lines>;
    /// `key`: drill into one value of `by` (its entities); `None`: the rows by `by`.
    fn explore(&self, by: String, key: Option<String>, days: u32) -> BoxedFuture<Lines>;
    /// The workloads behind the unallocated cost.
    fn unallocated(&self, days: u32) -> BoxedFuture<Lines>;
    /// The configured prices (the scaffolder's preview estimates with them).
    fn prices(&self) -> cost::prices::PriceSettings;
}

#[cfg(feature = "ssr")]
pub type BoxedFuture<T> = std::pin::Pin<Box<dyn Future<Output = Result<T, String>> + Send>>;

#[cfg(feature = "ssr")]
pub type CostProvider = std::sync::Arc<dyn CostSource>;

#[cfg(feature = "ssr")]
fn provider() -> Result<CostProvider, ServerFnError> {
    use_context::<CostProvider>().ok_or_else(|| ServerFnError::new("cost allocation is not available here"))
}

#[cfg(feature = "ssr")]
fn catalog() -> Result<std::sync::Arc<catalog::service::Catalog>, ServerFnError> {
    use_context::<std::sync::Arc<catalog::service::Catalog>>()
        .ok_or_else(|| ServerFnError::new("the catalog is not available"))
}

/// An entity's Cost tab (a Group's is `load_team_cost`). `None` when there is no such entity.
#[server(prefix = "/_server")]
pub async fn load_entity_cost(
    kind: String,
    namespace: String,
    name: String,
    days: Option<u32>,
) -> Result<Option<EntityCost>, ServerFnError> {
    let (catalog, provider) = (catalog()?, provider()?);
    let entity_ref = super::deployments::entity_ref(&kind, &namespace, &name);
    if !exists(&provider, &entity_ref).await? {
        return Ok(None);
    }
    super::access::require_entity(&catalog.store, access::Permission::CostRead, &entity_ref).await?;
    let cost = provider
        .entity(entity_ref, range_days(days))
        .await
        .map_err(ServerFnError::new)?;
    Ok(Some(cost))
}

/// A Group's Cost tab: everything it owns. `None` when there is no such group.
#[server(prefix = "/_server")]
pub async fn load_team_cost(
    namespace: String,
    name: String,
    days: Option<u32>,
) -> Result<Option<TeamCost>, ServerFnError> {
    let (catalog, provider) = (catalog()?, provider()?);
    let team = super::deployments::entity_ref("group", &namespace, &name);
    if !exists(&provider, &team).await? {
        return Ok(None);
    }
    super::access::require_entity(&catalog.store, access::Permission::CostRead, &team).await?;
    let days = range_days(days);
    let lines = provider.team(team.clone(), days).await.map_err(ServerFnError::new)?;
    Ok(Some(TeamCost { days, team, lines }))
}

/// The organisation's explorer (`cost.read` on the whole organisation: admins under the
/// default `owner` rule).
#[server(prefix = "/_server")]
pub async fn load_cost_explorer(
    by: Option<String>,
    key: Option<String>,
    days: Option<u32>,
) -> Result<Explorer, ServerFnError> {
    super::access::require(access::Permission::CostRead, &[])?;
    let by = grouping(by.as_deref()).to_string();
    let days = range_days(days);
    let key = key.filter(|k| !k.is_empty() && k.len() <= 400);
    let provider = provider()?;
    let lines = provider
        .explore(by.clone(), key.clone(), days)
        .await
        .map_err(ServerFnError::new)?;
    let unallocated = provider.unallocated(days).await.map_err(ServerFnError::new)?;
    Ok(Explorer {
        days,
        by,
        key,
        lines,
        unallocated,
    })
}

#[cfg(feature = "ssr")]
async fn exists(provider: &CostProvider, entity_ref: &str) -> Result<bool, ServerFnError> {
    provider
        .exists(entity_ref.to_string())
        .await
        .map_err(ServerFnError::new)
}
