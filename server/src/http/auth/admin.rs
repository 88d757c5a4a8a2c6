//! Admin endpoints: API tokens (created and shown once, listed, revoked), people's sessions
//! (listed, revoked) and the audit log. Every one requires the admin permission.

use std::net::SocketAddr;

use axum::{
    Json,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use catalog::access::{Permission, Scope};
use serde::Deserialize;
use serde_json::json;

use crate::auth::request::{Caller, client_ip, error, require};
use crate::auth::store::AuditEvent;
use crate::auth::tokens;
use crate::state::AppState;

fn internal(err: impl std::fmt::Display) -> Response {
    tracing::error!(error = %err, "admin API failure");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the server log")
}

pub async fn list_tokens(State(state): State<AppState>, Caller(caller): Caller) -> Response {
    if let Err(denied) = require(&state.auth, &caller, Permission::Admin, &[]) {
        return denied;
    }
    match state.auth.store.list_tokens().await {
        Ok(items) => Json(json!({"items": items})).into_response(),
        Err(err) => internal(err),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateToken {
    name: String,
    scopes: Vec<String>,
    expires_in_days: Option<u32>,
}

/// Creates a token and returns its secret, the only time it is ever shown.
pub async fn create_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<CreateToken>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(denied) = require(&state.auth, &caller, Permission::Admin, &[]) {
        return denied;
    }
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let mut scopes = Vec::new();
    for s in &body.scopes {
        match Scope::parse(s) {
            Some(scope) => scopes.push(scope),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("scopes: unknown scope `{s}` (use catalog:read, catalog:write or events:write)"),
                );
            }
        }
    }
    let actor = caller.actor();
    match tokens::create(&state.auth.store, &body.name, &scopes, &actor, body.expires_in_days).await {
        Ok(token) => {
            let ip = client_ip(&state.auth, &headers, Some(peer));
            state
                .auth
                .audit(AuditEvent {
                    actor: &actor,
                    action: "token-created",
                    target: Some(&format!("token:{}", body.name.trim())),
                    outcome: "allowed",
                    detail: Some(&format!("scopes {}", body.scopes.join(", "))),
                    ip: Some(&ip),
                })
                .await;
            (
                StatusCode::CREATED,
                Json(json!({"id": token.id, "name": body.name.trim(), "token": token.secret})),
            )
                .into_response()
        }
        Err(message) if message.contains("server log") => error(StatusCode::INTERNAL_SERVER_ERROR, &message),
        Err(message) => error(StatusCode::BAD_REQUEST, &message),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(denied) = require(&state.auth, &caller, Permission::Admin, &[]) {
        return denied;
    }
    let actor = caller.actor();
    match state.auth.store.revoke_token(&id, &actor).await {
        Ok(Some(name)) => {
            let ip = client_ip(&state.auth, &headers, Some(peer));
            state
                .auth
                .audit(AuditEvent {
                    actor: &actor,
                    action: "token-revoked",
                    target: Some(&format!("token:{name}")),
                    outcome: "allowed",
                    detail: None,
                    ip: Some(&ip),
                })
                .await;
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no live token has the id {id}")),
        Err(err) => internal(err),
    }
}

pub async fn list_sessions(State(state): State<AppState>, Caller(caller): Caller) -> Response {
    if let Err(denied) = require(&state.auth, &caller, Permission::Admin, &[]) {
        return denied;
    }
    match state.auth.store.active_sessions().await {
        Ok(rows) => {
            let items: Vec<_> = rows
                .into_iter()
                .map(|(user, count, until)| json!({"userEntityRef": user, "sessions": count, "expiresAt": until}))
                .collect();
            Json(json!({"items": items})).into_response()
        }
        Err(err) => internal(err),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevokeSessions {
    user_entity_ref: String,
}

/// Ends every session of one person: they must sign in again.
pub async fn revoke_sessions(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<RevokeSessions>,
) -> Response {
    if let Err(denied) = require(&state.auth, &caller, Permission::Admin, &[]) {
        return denied;
    }
    match state.auth.store.revoke_sessions_of(&body.user_entity_ref).await {
        Ok(count) => {
            let ip = client_ip(&state.auth, &headers, Some(peer));
            state
                .auth
                .audit(AuditEvent {
                    actor: &caller.actor(),
                    action: "sessions-revoked",
                    target: Some(&body.user_entity_ref),
                    outcome: "allowed",
                    detail: Some(&format!("{count} sessions")),
                    ip: Some(&ip),
                })
                .await;
            Json(json!({"revoked": count})).into_response()
        }
        Err(err) => internal(err),
    }
}

#[derive(Deserialize)]
pub struct AuditParams {
    before: Option<i64>,
    action: Option<String>,
    limit: Option<i64>,
}

pub async fn audit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(params): Query<AuditParams>,
) -> Response {
    if let Err(denied) = require(&state.auth, &caller, Permission::Admin, &[]) {
        return denied;
    }
    match state
        .auth
        .store
        .audit_events(params.before, params.action.as_deref(), params.limit.unwrap_or(100))
        .await
    {
        Ok(items) => Json(json!({"items": items})).into_response(),
        Err(err) => internal(err),
    }
}
