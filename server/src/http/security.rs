//! Security headers on every response, with a Content-Security-Policy that admits the page's own
//! scripts (by a per-request nonce) and the wasm (`'wasm-unsafe-eval'`), and nothing else.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use base64::Engine;
use http::{HeaderValue, header};
use leptos::nonce::Nonce;

/// Where forms may go besides the portal: the identity provider's origin, because signing out
/// (a form) ends in a redirect to the provider's logout and `form-action` covers redirects too.
#[derive(Clone, Default)]
pub struct FormTargets(pub std::sync::Arc<str>);

impl FormTargets {
    pub fn for_auth(auth: &crate::auth::Auth) -> FormTargets {
        let origin = auth
            .oidc
            .as_ref()
            .filter(|p| p.config().provider_logout)
            .and_then(|p| {
                let (scheme, rest) = p.config().issuer.split_once("://")?;
                let host = rest.split('/').next()?;
                // Only characters a CSP source may hold: nothing can be injected into the header.
                host.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
                    .then(|| format!(" {scheme}://{host}"))
            })
            .unwrap_or_default();
        FormTargets(origin.into())
    }
}

/// Adds the headers; the nonce goes into the request so the page shell can put it on its scripts.
pub async fn headers(State(forms): State<FormTargets>, mut request: Request, next: Next) -> Response {
    let nonce = new_nonce();
    request.extensions_mut().insert(Nonce::from_value(nonce.clone()));
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'{}; frame-ancestors 'none'",
        forms.0
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    response
}

/// 128 random bits, base64: unguessable per response.
fn new_nonce() -> String {
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
