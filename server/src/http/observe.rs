//! Request tracing (a span per request carrying its id) and Prometheus metrics per route.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_http::trace::{DefaultOnResponse, MakeSpan, TraceLayer};
use tracing::{Level, Span};

use super::REQUEST_ID;
use crate::{metrics::RequestLabels, state::AppState};

/// `GET /metrics`: Prometheus/OpenMetrics text.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    match state.catalog.store.location_statuses().await {
        Ok(statuses) => state.metrics.set_locations(&statuses),
        // The request metrics are still worth serving; the gauges keep their last values.
        Err(err) => tracing::warn!(error = %err, "metrics: reading location statuses failed"),
    }
    (
        [(
            http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

/// Counts the request and times it under its route template.
pub async fn record_metrics(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = route_label(&request);
    let response = next.run(request).await;
    let labels = RequestLabels {
        route,
        method,
        status: response.status().as_u16(),
    };
    state.metrics.observe_request(labels, started.elapsed().as_secs_f64());
    response
}

/// The matched route, or a fixed bucket for pages and assets, so labels stay bounded.
fn route_label(request: &Request) -> String {
    if let Some(path) = request.extensions().get::<MatchedPath>() {
        return path.as_str().to_string();
    }
    let path = request.uri().path();
    if path.starts_with("/pkg/") {
        "/pkg/*".to_string()
    } else {
        "unmatched".to_string()
    }
}

/// A span per request, named by its id so every log line inside it can be traced back.
pub fn trace_layer() -> TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    RequestSpan,
    (),
    DefaultOnResponse,
> {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::INFO))
}

/// Builds the request span.
#[derive(Clone, Copy, Debug)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &http::Request<B>) -> Span {
        let id = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
    }
}
