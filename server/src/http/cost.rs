//! Cost allocation over HTTP: `GET /api/cost/allocation` in Kubecost's shape, summed by the
//! database (`cost::store::Store::grouped`). Handlers authorize (`cost.read`, judged by the
//! owners of what is asked for: the organisation's cost is for admins under the default rule),
//! parse, read and answer; `export` serves the same figures as CSV.

mod export;
mod views;

pub use views::CostViews;

use access::Permission;
use axum::{
    Json, Router,
    extract::{Query, State},
    routing::get,
};
use catalog::store::now_ms;
use std::collections::BTreeMap;

use cost::allocation::{Aggregate, IDLE, Totals, UNMOUNTED};
use cost::api::{AllocationResponse, sets, window};
use cost::idle::IdleShare;
use cost::model::Window;
use cost::report::Policy;
use cost::shared::{SharedNamespaces, Split};
use cost::store::{Grain, Grouping, Only};
use serde::Deserialize;

use crate::auth::request::Caller;
use crate::http::access::{authorize, authorize_entity};
use crate::http::catalog::ApiError;
use crate::state::AppState;

/// `/api/cost/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/cost/allocation", get(allocation))
        .route("/api/cost/export.csv", get(export::csv))
}

/// Kubecost's parameters, and Cairn's `entity` / `owner` to narrow to what one owns.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AllocationParams {
    window: Option<String>,
    aggregate: Option<String>,
    accumulate: Option<String>,
    share_idle: Option<String>,
    share_namespaces: Option<String>,
    share_split: Option<String>,
    entity: Option<String>,
    owner: Option<String>,
}

/// A checked request: what to read and how to distribute it.
pub(super) struct Asked {
    pub name: String,
    pub aggregate: Aggregate,
    pub grouping: Grouping,
    pub policy: Policy,
}

/// `GET /api/cost/allocation?window=7d&aggregate=entity|owner|system|domain|namespace|cluster|
/// controller|label:<key>&accumulate=true|false[&shareIdle=true][&shareNamespaces=a,b]
/// [&shareSplit=weighted|even][&entity=…|owner=…]`.
async fn allocation(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(params): Query<AllocationParams>,
) -> Result<Json<AllocationResponse>, ApiError> {
    let asked = parse(&state, &params)?;
    authorize_scope(&state, &caller, &asked.grouping.only).await?;
    let prices = &state.cost_settings.prices;
    let sets = read(&state, &asked).await?;
    Ok(Json(AllocationResponse::from_sets(
        &prices.currency,
        &asked.name,
        &asked.aggregate,
        &sets,
    )))
}

/// The sets asked for. Idle and unmounted volumes are a cluster's: a read narrowed to an
/// entity or a team has neither (nor idle to share).
pub(super) async fn read(state: &AppState, asked: &Asked) -> Result<Vec<(Window, BTreeMap<String, Totals>)>, ApiError> {
    let costs = state.cost.grouped(&asked.grouping, &state.cost_settings.prices).await?;
    if asked.grouping.only == Only::Everything {
        return Ok(sets(costs, &asked.policy));
    }
    let policy = Policy {
        idle: IdleShare::Separate,
        ..asked.policy.clone()
    };
    let mut sets = sets(costs, &policy);
    for (_, lines) in &mut sets {
        lines.retain(|key, _| key != IDLE && key != UNMOUNTED);
    }
    Ok(sets)
}

/// `cost.read` on what is asked for: an entity by its owners, a team by itself and its owners,
/// the organisation as a resource without owners (admins, under the default `owner` rule).
pub(super) async fn authorize_scope(state: &AppState, caller: &access::Principal, only: &Only) -> Result<(), ApiError> {
    match only {
        Only::Everything | Only::Key(..) => authorize(state, caller, Permission::CostRead, &[]),
        Only::Entity(entity) | Only::Owner(entity) => {
            authorize_entity(state, caller, Permission::CostRead, entity).await
        }
    }
}

pub(super) fn parse(state: &AppState, params: &AllocationParams) -> Result<Asked, ApiError> {
    let retention = state.cost_settings.retention;
    let window_text = params.window.as_deref().ok_or_else(|| {
        ApiError::Input("window: is required (7d, 24h, today, yesterday, week, month, or start,end)".into())
    })?;
    let window = window::parse(
        window_text,
        chrono::DateTime::from_timestamp_millis(now_ms()).unwrap_or_default(),
        (retention.daily.as_secs() / 86_400) as i64,
        (retention.hourly.as_secs() / 3600) as i64,
    )
    .map_err(ApiError::Input)?;
    let name = params.aggregate.clone().unwrap_or_else(|| "namespace".into());
    let aggregate = Aggregate::parse(&name).ok_or_else(|| {
        ApiError::Input(format!(
            "aggregate: `{name}` is not one of entity, owner, system, domain, namespace, cluster, node, controller, pod, container, label:<key>"
        ))
    })?;
    let accumulate = flag("accumulate", params.accumulate.as_deref())?;
    let share_idle = flag("shareIdle", params.share_idle.as_deref())?;
    let namespaces: Vec<String> = params
        .share_namespaces
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(bad) = namespaces.iter().find(|n| !namespace_name(n)) {
        return Err(ApiError::Input(format!(
            "shareNamespaces: `{bad}` is not a namespace name"
        )));
    }
    if namespaces.len() > 100 {
        return Err(ApiError::Input("shareNamespaces: at most 100 namespaces".into()));
    }
    let split = match params.share_split.as_deref() {
        None | Some("weighted") => Split::Weighted,
        Some("even") => Split::Even,
        Some(other) => {
            return Err(ApiError::Input(format!(
                "shareSplit: `{other}` is not weighted or even"
            )));
        }
    };
    let only = match (params.entity.as_deref(), params.owner.as_deref()) {
        (None, None) => Only::Everything,
        (Some(e), None) => Only::Entity(entity_ref(e, "component", "entity")?),
        (None, Some(o)) => Only::Owner(entity_ref(o, "group", "owner")?),
        (Some(_), Some(_)) => return Err(ApiError::Input("entity and owner: ask for one or the other".into())),
    };
    let grouping = Grouping {
        aggregate: aggregate.clone(),
        grain: if window.daily { Grain::Day } else { Grain::Hour },
        from_ms: window.from.timestamp_millis(),
        to_ms: window.to.timestamp_millis(),
        per_bucket: !accumulate,
        only,
        shared_namespaces: namespaces.clone(),
    };
    let policy = Policy {
        idle: if share_idle {
            IdleShare::Weighted
        } else {
            IdleShare::Separate
        },
        shared: SharedNamespaces { namespaces, split },
    };
    Ok(Asked {
        name,
        aggregate,
        grouping,
        policy,
    })
}

fn flag(name: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::Input(format!("{name}: `{other}` is not true or false"))),
    }
}

/// A Kubernetes namespace's name (a DNS label).
fn namespace_name(name: &str) -> bool {
    name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// An entity reference as the catalog stores it (lower case, kind and namespace defaulted).
pub(super) fn entity_ref(text: &str, kind: &str, field: &str) -> Result<String, ApiError> {
    catalog::model::EntityRef::parse(text, Some(kind), "default")
        .map(|r| r.to_string().to_lowercase())
        .map_err(|e| ApiError::Input(format!("{field}: {e}")))
}
