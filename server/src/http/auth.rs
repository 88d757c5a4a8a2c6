//! Sign-in endpoints (`/api/auth/*`): start a sign-in at the provider, its callback, sign-out, who
//! am I; and for admins the API tokens, sessions and the audit log.

mod admin;

use std::net::SocketAddr;

use access::Principal;
use axum::{
    Json, Router,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{delete, get, post},
};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

use crate::auth::oidc::{PENDING_LOGIN_TTL_MS, PendingLogin};
use crate::auth::request::{Caller, client_ip, error};
use crate::auth::return_to::safe_return_to;
use crate::auth::sessions::SIGNED_IN_KEY;
use crate::auth::sign_in::SignedIn;
use crate::auth::store::AuditEvent;
use crate::state::AppState;

const PENDING_KEY: &str = "pendingLogin";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login))
        .route("/oidc/callback", get(callback))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/tokens", get(admin::list_tokens).post(admin::create_token))
        .route("/tokens/{id}", delete(admin::revoke_token))
        .route("/sessions", get(admin::list_sessions))
        .route("/sessions/revoke", post(admin::revoke_sessions))
        .route("/audit", get(admin::audit))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginParams {
    return_to: Option<String>,
}

/// Starts a sign-in: remembers state, nonce and PKCE verifier in the session, sends the browser on.
async fn login(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<LoginParams>,
) -> Response {
    let return_to = safe_return_to(params.return_to.as_deref());
    let Some(provider) = &state.auth.oidc else {
        // Guest mode: there is nobody to sign in as.
        return Redirect::to(&return_to).into_response();
    };
    let ip = client_ip(&state.auth, &headers, Some(peer));
    if let Err(wait) = state.auth.login_limiter.check(&ip) {
        return too_many(wait);
    }
    match provider.begin(return_to).await {
        Ok((url, pending)) => {
            if let Err(err) = session.insert(PENDING_KEY, &pending).await {
                tracing::error!(error = %err, "storing a pending sign-in");
                return sign_in_error("the sign-in could not be started; try again");
            }
            Redirect::to(&url).into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "starting a sign-in");
            sign_in_error(&err.to_string())
        }
    }
}

#[derive(Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The provider's redirect back: checks `state`, exchanges the code, verifies the ID token,
/// resolves the person and starts their session under a new id.
async fn callback(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    let auth = &state.auth;
    let Some(provider) = &auth.oidc else {
        return Redirect::to("/").into_response();
    };
    let ip = client_ip(auth, &headers, Some(peer));
    // Starting a sign-in is what counts; a callback is only refused while the address is over its
    // limit (one without a pending sign-in is refused before the provider is asked anything).
    if auth.login_limiter.exceeded(&ip) {
        return too_many(60);
    }
    let refuse = |reason: String| {
        let ip = ip.clone();
        async move {
            auth.audit(AuditEvent {
                actor: "anonymous",
                action: "sign-in",
                target: None,
                outcome: "denied",
                detail: Some(&reason),
                ip: Some(&ip),
            })
            .await;
            sign_in_error(&reason)
        }
    };
    // One use only: whatever happens next, this pending sign-in is gone (a replayed callback finds nothing).
    let pending: Option<PendingLogin> = match session.remove(PENDING_KEY).await {
        Ok(p) => p,
        Err(err) => {
            tracing::error!(error = %err, "reading a pending sign-in");
            None
        }
    };
    if let Some(err) = params.error {
        let description = params.error_description.unwrap_or_default();
        return refuse(
            format!("the identity provider said: {err} {description}")
                .trim()
                .to_string(),
        )
        .await;
    }
    let Some(pending) = pending else {
        return refuse(
            "no sign-in is in progress in this browser (it was used already or the cookie is missing); start again"
                .into(),
        )
        .await;
    };
    if catalog::store::now_ms() - pending.started_at > PENDING_LOGIN_TTL_MS {
        return refuse("the sign-in took too long; start again".into()).await;
    }
    if params.state.as_deref() != Some(pending.state.as_str()) {
        return refuse(
            "the sign-in's state does not match this browser's (a forged or stale link); start again".into(),
        )
        .await;
    }
    let Some(code) = params.code.filter(|c| !c.is_empty() && c.len() < 4096) else {
        return refuse("the identity provider sent no authorization code".into()).await;
    };
    let verified = match provider.finish(&pending, code).await {
        Ok(v) => v,
        Err(err) => return refuse(err.to_string()).await,
    };
    let subject = match auth
        .resolve(
            &verified.claim_value,
            verified.name.as_deref(),
            verified.email.as_deref(),
        )
        .await
    {
        Ok(s) => s,
        Err(crate::auth::AuthError::SignIn(reason)) => return refuse(reason).await,
        Err(err) => {
            tracing::error!(error = %err, "resolving a sign-in");
            return sign_in_error("the sign-in could not be completed; see the server log");
        }
    };
    // A new session id at sign-in: an id planted before signing in is worth nothing after.
    let signed_in = auth.signed_in(subject, Some(verified.id_token));
    let stored = async {
        session.cycle_id().await?;
        session.insert(SIGNED_IN_KEY, &signed_in).await
    };
    if let Err(err) = stored.await {
        tracing::error!(error = %err, "storing a session");
        return sign_in_error("the session could not be stored; try again");
    }
    auth.audit(AuditEvent {
        actor: &signed_in.subject.user_ref,
        action: "sign-in",
        target: None,
        outcome: "allowed",
        detail: Some(&format!(
            "subject {} via {}",
            verified.subject,
            provider.config().issuer
        )),
        ip: Some(&ip),
    })
    .await;
    Redirect::to(&safe_return_to(Some(&pending.return_to))).into_response()
}

/// Ends the session (and, where the provider offers it, the provider's session).
async fn logout(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let auth = &state.auth;
    let signed_in: Option<SignedIn> = session.get(SIGNED_IN_KEY).await.ok().flatten();
    if let Err(err) = session.flush().await {
        tracing::error!(error = %err, "ending a session");
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the session could not be ended; try again",
        );
    }
    let mut next = "/signin?signedOut=1".to_string();
    if let Some(s) = &signed_in {
        let ip = client_ip(auth, &headers, Some(peer));
        auth.audit(AuditEvent {
            actor: &s.subject.user_ref,
            action: "sign-out",
            target: None,
            outcome: "allowed",
            detail: None,
            ip: Some(&ip),
        })
        .await;
        if let Some(provider) = &auth.oidc
            && let Some(url) = provider.logout_url(s.id_token.as_deref()).await
        {
            next = url;
        }
    }
    let wants_json = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        Json(json!({"redirect": next})).into_response()
    } else {
        Redirect::to(&next).into_response()
    }
}

/// Who the request acts as, and the CSRF token scripts using the session cookie send back.
async fn me(
    State(state): State<AppState>,
    Caller(principal): Caller,
    signed_in: Option<axum::Extension<SignedIn>>,
) -> Response {
    let body = match &principal {
        Principal::Guest => json!({"mode": "guest", "admin": true}),
        Principal::Anonymous => json!({"mode": "anonymous", "signInUrl": "/api/auth/login"}),
        Principal::Token { name, scopes, .. } => json!({"mode": "token", "token": name, "scopes": scopes}),
        Principal::User(s) => json!({
            "mode": "signedIn",
            "userEntityRef": s.user_ref,
            "displayName": s.display_name,
            "email": s.email,
            "ownershipEntityRefs": s.ownership,
            "admin": s.admin,
            "csrfToken": signed_in.map(|s| s.0.csrf),
        }),
    };
    let _ = state;
    Json(body).into_response()
}

/// Sign-in failures go back to the sign-in page, which shows the reason.
fn sign_in_error(reason: &str) -> Response {
    let encoded: String = form_urlencoded::byte_serialize(reason.as_bytes()).collect();
    Redirect::to(&format!("/signin?error={encoded}")).into_response()
}

fn too_many(wait: u64) -> Response {
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("too many sign-in attempts from this address; try again in {wait} s"),
    );
    if let Ok(v) = wait.to_string().parse() {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    response
}
