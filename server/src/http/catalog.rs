//! Backstage's catalog REST API under `/api/catalog`, with the same paths, JSON shapes and status
//! codes, so `@backstage/catalog-client`, scripts and Terraform providers work against Cairn.

mod entities;
mod error;
mod locations;
mod openapi;
mod params;
mod tools;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub use error::{ApiError, error_response};

/// The catalog API routes, to be nested under `/api/catalog`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/entities", get(entities::list))
        .route("/entities/by-query", get(entities::by_query))
        .route("/entities/by-refs", post(entities::by_refs))
        .route("/entities/by-name/{kind}/{namespace}/{name}", get(entities::by_name))
        .route(
            "/entities/by-uid/{uid}",
            get(entities::by_uid).delete(entities::delete_by_uid),
        )
        .route("/entity-facets", get(entities::facets))
        .route("/locations", get(locations::list).post(locations::create))
        .route("/locations/{id}", get(locations::get_one).delete(locations::delete))
        .route(
            "/locations/by-entity/{kind}/{namespace}/{name}",
            get(locations::by_entity),
        )
        .route("/refresh", post(tools::refresh))
        .route("/validate-entity", post(tools::validate_entity))
        .route("/analyze-location", post(tools::analyze_location))
        .route("/openapi.json", get(openapi::document))
}
