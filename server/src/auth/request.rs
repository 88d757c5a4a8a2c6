//! Every request passes here: who it acts as (a bearer token, the session's person, the guest, or
//! nobody), whether it may read the portal at all, and whether a state-changing request really
//! comes from the portal's own pages (CSRF). Handlers then check their own permission.

use std::net::SocketAddr;

use access::{Decision, Permission, Principal};
use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use catalog::store::now_ms;
use tower_sessions::Session;

use super::sessions::SIGNED_IN_KEY;
use super::sign_in::{RESOLVE_AGAIN_MS, SignedIn};
use super::{Auth, AuthError};
use crate::state::AppState;

/// Header scripts using a session cookie send the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Paths anyone may reach: probes, assets, the sign-in itself and signed webhooks.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/readyz" | "/metrics" | "/favicon.ico" | "/signin" | "/api/webhooks/github"
    ) || path == crate::http::dora::ALERTMANAGER_PATH
        || path == crate::http::dora::PAGERDUTY_PATH
        || path.starts_with("/pkg/")
        || path.starts_with("/api/auth/")
}

fn is_page(path: &str) -> bool {
    !path.starts_with("/api/") && !path.starts_with("/_server/")
}

/// The client's address for rate limits and the audit log. Behind a load balancer it is the last
/// `X-Forwarded-For` entry, the one the balancer appended: the entries before it are whatever the
/// client sent, so trusting them would let anyone pick a fresh address per request.
pub fn client_ip(auth: &Auth, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if auth.config.trust_forwarded_for
        && let Some(last) = headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return last.chars().take(64).collect();
    }
    peer.map(|p| p.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// The middleware: resolves the principal into the request's extensions.
pub async fn authenticate(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let auth = &state.auth;
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let ip = client_ip(auth, request.headers(), peer);
    let path = request.uri().path().to_string();
    // Alertmanager's bearer token is checked by its handler, not as a Cairn API token; PagerDuty
    // signs its body instead, so whatever it sends in Authorization is no Cairn credential either.
    let bearer = Some(request.headers())
        .filter(|_| path != crate::http::dora::ALERTMANAGER_PATH && path != crate::http::dora::PAGERDUTY_PATH)
        .and_then(|h| h.get(header::AUTHORIZATION))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|v| v.trim().to_string());

    let (principal, signed_in) = if let Some(secret) = bearer {
        if auth.token_failures.exceeded(&ip) {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "too many failed token attempts from this address; wait a minute",
            );
        }
        match super::tokens::authenticate(&auth.store, &auth.recent_writes, &secret).await {
            Ok(Some(principal)) => (principal, None),
            Ok(None) => {
                let _ = auth.token_failures.check(&ip);
                return unauthorized("the bearer token is unknown, revoked or expired");
            }
            Err(err) => return internal(err),
        }
    } else if auth.guest_mode() {
        (Principal::Guest, None)
    } else {
        match session_principal(auth, &session).await {
            Ok(found) => found,
            Err(err) => return internal(err),
        }
    };

    // CSRF: a browser names the page a request comes from in `Origin` (and `Sec-Fetch-Site`);
    // a request carrying the session cookie without them must prove itself with the token.
    if !is_safe(request.method()) && !matches!(principal, Principal::Token { .. }) {
        if let Err(reason) = check_csrf(auth, request.headers(), signed_in.as_ref()) {
            auth.audit(super::store::AuditEvent {
                actor: &principal.actor(),
                action: "csrf-refused",
                target: Some(&path),
                outcome: "denied",
                detail: Some(&reason),
                ip: Some(&ip),
            })
            .await;
            return error(StatusCode::FORBIDDEN, &format!("CSRF check failed: {reason}"));
        }
    }

    if !is_public(&path) {
        match auth.decide(&principal, Permission::CatalogRead, &[]) {
            Decision::Allow => {}
            Decision::SignInRequired(_) if is_page(&path) && request.method() == Method::GET => {
                let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
                let encoded: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
                return Redirect::to(&format!("/signin?returnTo={encoded}")).into_response();
            }
            Decision::SignInRequired(reason) => return unauthorized(&reason),
            Decision::Deny(reason) => return error(StatusCode::FORBIDDEN, &reason),
        }
    }

    request.extensions_mut().insert(principal);
    if let Some(signed_in) = signed_in {
        request.extensions_mut().insert(signed_in);
    }
    next.run(request).await
}

/// The session's person, after its idle and absolute limits; ownership looked up again now and then.
async fn session_principal(auth: &Auth, session: &Session) -> Result<(Principal, Option<SignedIn>), AuthError> {
    let Some(mut signed_in) = session.get::<SignedIn>(SIGNED_IN_KEY).await? else {
        return Ok((Principal::Anonymous, None));
    };
    let now = now_ms();
    let idle = auth.config.idle_timeout.as_millis() as i64;
    let absolute = auth.config.absolute_timeout.as_millis() as i64;
    if now - signed_in.last_seen > idle || now - signed_in.signed_in_at > absolute {
        session.flush().await?;
        return Ok((Principal::Anonymous, None));
    }
    let mut changed = false;
    if now - signed_in.resolved_at > RESOLVE_AGAIN_MS {
        let s = &signed_in.subject;
        signed_in.subject = auth
            .subject(s.user_ref.clone(), s.display_name.clone(), s.email.clone())
            .await?;
        signed_in.resolved_at = now;
        changed = true;
    }
    // Idle time is counted in minutes: one write a minute per person, not one per request.
    // Of the requests arriving together when it falls due, one writes.
    if now - signed_in.last_seen > 60_000
        && session.id().is_none_or(|id| {
            auth.recent_writes
                .claim(&id.to_string(), std::time::Duration::from_secs(30))
        })
    {
        signed_in.last_seen = now;
        changed = true;
    }
    if changed {
        session.insert(SIGNED_IN_KEY, &signed_in).await?;
    }
    Ok((Principal::User(signed_in.subject.clone()), Some(signed_in)))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn check_csrf(auth: &Auth, headers: &HeaderMap, signed_in: Option<&SignedIn>) -> Result<(), String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(origin) = header("origin") {
        return if same_origin(auth, headers, origin) {
            Ok(())
        } else {
            Err(format!("the request comes from another site ({origin})"))
        };
    }
    if let Some(site) = header("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Err(format!("the request comes from another site (Sec-Fetch-Site: {site})"));
    }
    match signed_in {
        // No ambient credential (a script in guest mode, or nobody signed in): nothing to forge.
        None => Ok(()),
        Some(s) => match header(CSRF_HEADER) {
            Some(token) if constant_time_eq(token.as_bytes(), s.csrf.as_bytes()) => Ok(()),
            Some(_) => Err(format!("the {CSRF_HEADER} header does not match the session")),
            None => Err(format!(
                "a request with the session cookie must come from the portal's pages or carry the {CSRF_HEADER} header (GET /api/auth/me gives it)"
            )),
        },
    }
}

/// The portal's own origin: the configured base URL's, or the one the request was addressed to.
fn same_origin(auth: &Auth, headers: &HeaderMap, origin: &str) -> bool {
    let origin = origin.trim_end_matches('/');
    if let Ok(base) = url_origin(&auth.config.base_url)
        && base.eq_ignore_ascii_case(origin)
    {
        return true;
    }
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| {
            origin.eq_ignore_ascii_case(&format!("http://{host}"))
                || origin.eq_ignore_ascii_case(&format!("https://{host}"))
        })
}

fn url_origin(url: &str) -> Result<String, ()> {
    let (scheme, rest) = url.split_once("://").ok_or(())?;
    let host = rest.split('/').next().ok_or(())?;
    Ok(format!("{scheme}://{host}"))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A JSON error in the API's shape.
pub fn error(status: StatusCode, message: &str) -> Response {
    crate::http::catalog::error_response(status, message)
}

fn unauthorized(message: &str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, message);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn internal(err: AuthError) -> Response {
    tracing::error!(error = %err, "authentication failed");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the server log")
}

/// The principal of a request, for handlers (`Anonymous` if the middleware did not run).
#[derive(Clone, Debug)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, Self::Rejection> {
        Ok(Caller(
            parts
                .extensions
                .get::<Principal>()
                .cloned()
                .unwrap_or(Principal::Anonymous),
        ))
    }
}

/// Refuses with 401/403 and the policy's reason unless `principal` may.
pub fn require(auth: &Auth, principal: &Principal, permission: Permission, owners: &[String]) -> Result<(), Response> {
    match auth.decide(principal, permission, owners) {
        Decision::Allow => Ok(()),
        Decision::SignInRequired(reason) => Err(unauthorized(&reason)),
        Decision::Deny(reason) => Err(error(StatusCode::FORBIDDEN, &reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_and_host() {
        assert_eq!(
            url_origin("https://portal.example.com/x").as_deref(),
            Ok("https://portal.example.com")
        );
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn public_paths_are_few() {
        assert!(is_public("/api/auth/login"));
        assert!(is_public("/pkg/app.js"));
        assert!(!is_public("/api/catalog/entities"));
        assert!(!is_public("/catalog"));
        assert!(!is_public("/_server/list_catalog"));
    }
}
