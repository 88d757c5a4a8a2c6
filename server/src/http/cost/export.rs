//! `GET /api/cost/export.csv`: the allocation API's figures (same parameters) as CSV, one row
//! per window and line, every quantity in its unit beside the costs.

use super::{AllocationParams, authorize_scope, parse, read};
use crate::auth::request::Caller;
use crate::http::catalog::ApiError;
use crate::state::AppState;
use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};

pub(super) async fn csv(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(params): Query<AllocationParams>,
) -> Result<Response, ApiError> {
    let asked = parse(&state, &params)?;
    authorize_scope(&state, &caller, &asked.grouping.only).await?;
    let prices = &state.cost_settings.prices;
    let sets = read(&state, &asked).await?;
    let file = format!(
        "cost-by-{}.csv",
        asked.name.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        cost::export::csv(&prices.currency, &sets),
    )
        .into_response())
}
