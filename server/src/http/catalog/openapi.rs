//! `GET /openapi.json`: the OpenAPI 3 description of this API (kept beside the handlers; the
//! integration tests check that every documented path answers).

use axum::http::header;
use axum::response::IntoResponse;

const DOCUMENT: &str = include_str!("openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
