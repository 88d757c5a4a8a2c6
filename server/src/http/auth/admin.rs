//! Admin endpoints: API tokens (created and shown once, listed, revoked), people's sessions
//! (listed, revoked) and the audit log. Every one requires the admin permission.

use std::net::SocketAddr;

use access::Permission;
use axum::{
    Json,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

use crate::auth::request::{Caller, client_ip, error, require};
use crate::auth::tokens::TokenError;
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
    let ip = client_ip(&state.auth, &headers, Some(peer));
    let created = state
        .auth
        .create_token(
            &caller.actor(),
            Some(&ip),
            &body.name,
            &body.scopes,
            body.expires_in_days,
        )
        .await;
    match created {
        Ok(token) => (
            StatusCode::CREATED,
            Json(json!({"id": token.id, "name": body.name.trim(), "token": token.secret})),
        )
            .into_response(),
        Err(TokenError::Invalid(message)) => error(StatusCode::BAD_REQUEST, &message),
        Err(TokenError::Store(err)) => internal(err),
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
    let ip = client_ip(&state.auth, &headers, Some(peer));
    match state.auth.revoke_token(&caller.actor(), Some(&ip), &id).await {
        Ok(Some(_)) => StatusCode::NO_CONTENT.into_response(),
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
    let ip = client_ip(&state.auth, &headers, Some(peer));
    match state
        .auth
        .revoke_sessions(&caller.actor(), Some(&ip), &body.user_entity_ref)
        .await
    {
        Ok(count) => Json(json!({"revoked": count})).into_response(),
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
