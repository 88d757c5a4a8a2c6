//! The Leptos pages and server functions, rendered with the server's state in their context.

mod admin_backend;
mod deployments_backend;

use std::sync::Arc;

use app::{
    App, SiteAssets,
    api::status::{StatusProvider, StatusReport},
    shell,
};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};

use crate::state::AppState;

/// Every page route, plus a fallback that renders the not-found page with a 404.
pub fn router(state: &AppState) -> Router<AppState> {
    let routes = generate_route_list(App);
    let context = page_context(state);
    let options = state.leptos.clone();
    let fallback_options = options.clone();
    Router::new()
        .leptos_routes_with_context(state, routes, context.clone(), move || shell(options.clone()))
        .fallback(axum::routing::any(leptos_axum::render_app_to_stream_with_context(
            context,
            move || shell(fallback_options.clone()),
        )))
}

/// What pages and server functions find in their context for each request.
fn page_context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let assets = SiteAssets {
        stylesheet: format!("/{}", state.site.manifest.stylesheet),
        favicon: format!("/{}", state.site.manifest.favicon),
    };
    let status = status_provider(state.clone());
    let access = app::api::access::AccessSettings {
        policy: state.auth.config.policy.clone(),
        sign_in: !state.auth.guest_mode(),
    };
    let audit = audit_sink(state.clone());
    let admin: Arc<dyn app::api::admin::AdminBackend> = Arc::new(admin_backend::Admin(state.auth.clone()));
    let deployments: Option<Arc<dyn app::api::deployments::DeploymentsBackend>> = state.deployments.clone().map(|d| {
        Arc::new(deployments_backend::Backend {
            deployments: d,
            store: state.catalog.store.clone(),
        }) as Arc<dyn app::api::deployments::DeploymentsBackend>
    });
    let cost: app::api::cost::CostProvider = Arc::new(super::cost::CostViews {
        cost: state.cost.clone(),
        settings: state.cost_settings.clone(),
        rollouts: Arc::new(deployments::store::Store::new(state.catalog.store.clone())),
    });
    let state = state.clone();
    move || {
        provide_context(state.clone());
        provide_context(assets.clone());
        provide_context(status.clone());
        provide_context(access.clone());
        provide_context(audit.clone());
        provide_context(admin.clone());
        provide_context(state.catalog.clone());
        provide_context(state.delivery.clone());
        provide_context(cost.clone());
        provide_context(state.slos.clone());
        provide_context(state.scaffolder.clone());
        if let Some(deployments) = &deployments {
            provide_context(deployments.clone());
        }
        provide_context(app::api::features::Features {
            register_locations: state.catalog.can_register(),
            deployments: deployments.is_some(),
            demo: state.demo,
        });
    }
}

fn status_provider(state: AppState) -> StatusProvider {
    Arc::new(move || {
        let state = state.clone();
        Box::pin(async move {
            let schema = state.db.schema_state().await.map_err(|err| {
                tracing::error!(error = %err, "status page: schema state");
                "the database could not be read".to_string()
            })?;
            Ok(StatusReport {
                version: env!("CARGO_PKG_VERSION").to_string(),
                database: state.db.dialect().display_name().to_string(),
                schema_version: schema.applied_version,
                pending_migrations: schema.pending,
                uptime_seconds: state.started.elapsed().as_secs(),
            })
        })
    })
}

/// Pages' actions recorded in the server's audit log.
fn audit_sink(state: AppState) -> app::api::access::AuditSink {
    Arc::new(move |record| {
        let state = state.clone();
        Box::pin(async move {
            state
                .auth
                .audit(crate::auth::store::AuditEvent {
                    actor: &record.actor,
                    action: record.action,
                    target: Some(&record.target),
                    outcome: "allowed",
                    detail: record.detail.as_deref(),
                    ip: None,
                })
                .await;
        })
    })
}
