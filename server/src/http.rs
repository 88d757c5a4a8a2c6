//! The HTTP surface: one route table for probes, metrics, static assets and the rendered pages,
//! wrapped in the layers every response passes through.

mod access;
mod assets;
mod auth;
pub mod catalog;
mod cost;
pub mod dora;
mod health;
mod kubernetes;
mod observe;
mod pages;
mod scaffolder;
mod security;
mod slo;
mod webhooks;

use std::time::Duration;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, post},
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
};

use crate::state::AppState;

/// Header carrying each request's id, set here unless the load balancer already did.
pub const REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-request-id");

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let timeout =
        |seconds| TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(seconds));
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(observe::metrics))
        .nest_service("/pkg", assets::pkg_service(&state.site))
        .route_service("/favicon.ico", assets::favicon_service(&state.site))
        .merge(pages::router(&state))
        .layer(timeout(30))
        // Registering or refreshing a large location reads and writes it before answering.
        .nest("/api/catalog", catalog::router().layer(timeout(600)))
        // Dry runs render whole templates before answering; the event stream lasts as long as its task.
        .nest("/api/scaffolder", scaffolder::router())
        .nest("/api/auth", auth::router())
        // Delivery metrics: reports from CI and Alertmanager, the metrics (API only for now).
        .merge(dora::router().layer(timeout(30)))
        // Cost allocation: sums of the sampled history, the CSV export.
        .merge(cost::router().layer(timeout(30)))
        // SLOs: figures from stored buckets, the deploy gate.
        .merge(slo::router().layer(timeout(30)))
        // Live streams last as long as their page.
        .nest("/api/kubernetes", kubernetes::router())
        .route(
            "/api/webhooks/github",
            post(webhooks::github).layer(DefaultBodyLimit::max(webhooks::MAX_BODY_BYTES)),
        )
        .with_state(state.clone());

    // Outermost first: the id exists before anything logs, the trace span carries it, and
    // metrics see the final status after compression and headers.
    routes.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(observe::trace_layer())
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                observe::record_metrics,
            ))
            .layer(CatchPanicLayer::new())
            .layer(axum::middleware::from_fn_with_state(
                security::FormTargets::for_auth(&state.auth),
                security::headers,
            ))
            .layer(session_layer(&state))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::auth::request::authenticate,
            ))
            .layer(CompressionLayer::new()),
    )
}

/// Sessions in the database: an `HttpOnly`, `SameSite=Lax` cookie (`Secure` behind HTTPS) that
/// lapses after the idle timeout; loaded only when a request looks at its session.
fn session_layer(state: &AppState) -> tower_sessions::SessionManagerLayer<crate::auth::sessions::DbSessionStore> {
    let config = &state.auth.config;
    let idle = time::Duration::try_from(config.idle_timeout).unwrap_or(time::Duration::hours(8));
    tower_sessions::SessionManagerLayer::new(crate::auth::sessions::DbSessionStore::new(state.auth.store.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_secure(config.secure_cookies())
        .with_path("/")
        .with_expiry(tower_sessions::Expiry::OnInactivity(idle))
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cairn_session";
