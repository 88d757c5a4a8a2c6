//! OpenID Connect with the `openidconnect` crate: discovery from the issuer (cached, so a provider
//! that rotates its keys is picked up), the authorization code flow with PKCE, `state` and
//! `nonce`, and the ID token's signature, issuer, audience, expiry and nonce verified. Logout at
//! the provider (RP-initiated) when it offers an `end_session_endpoint`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// How long discovery (endpoints and signing keys) is trusted before it is fetched again.
const DISCOVERY_TTL: Duration = Duration::from_secs(600);
/// Longest wait on the provider for one request.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// A sign-in not finished within this is refused (the person starts again).
pub const PENDING_LOGIN_TTL_MS: i64 = 10 * 60 * 1000;

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// The provider's settings, from `auth.oidc` in `cairn.yaml`. `Debug` hides the secret.
#[derive(Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub scopes: Vec<String>,
    pub redirect_url: String,
    /// Where the provider sends people after logging out there (the portal's home).
    pub post_logout_redirect_url: String,
    /// The claim matched to User entities (`email` unless configured).
    pub claim: String,
    /// End the provider's session too on sign-out, where it offers that.
    pub provider_logout: bool,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .field("scopes", &self.scopes)
            .field("redirect_url", &self.redirect_url)
            .field("claim", &self.claim)
            .finish()
    }
}

/// Why a sign-in with the provider failed. Messages are for people and logs; none carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider at {issuer} could not be reached or described itself wrongly: {message}")]
    Discovery { issuer: String, message: String },
    #[error("the identity provider refused the sign-in: {0}")]
    Exchange(String),
    #[error("the ID token was refused: {0}")]
    IdToken(String),
    #[error("the ID token has no `{0}` claim to match a person with")]
    MissingClaim(String),
    #[error("the provider says the e-mail address {0} is not verified")]
    UnverifiedEmail(String),
}

/// A sign-in in progress, kept in the (anonymous) session between the redirect and the callback.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub started_at: i64,
}

/// What the provider said about the person, once verified.
#[derive(Clone, Debug)]
pub struct VerifiedLogin {
    /// The configured claim's value (an e-mail address by default).
    pub claim_value: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub subject: String,
    /// The raw ID token, kept for `id_token_hint` at logout.
    pub id_token: String,
}

struct Discovered {
    client: Client,
    end_session: Option<openidconnect::EndSessionUrl>,
    at: Instant,
}

/// One configured provider.
pub struct OidcProvider {
    config: OidcConfig,
    /// The address rule for the provider's URLs (see [`OidcProvider::new`]).
    reading: outbound::ReadingPolicy,
    http: openidconnect::reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

impl OidcProvider {
    /// Checks the settings (an HTTPS issuer, or HTTP on loopback for development); does not
    /// contact the provider, so the portal starts while it is down. The issuer is the
    /// administrator's choice, so any host may be reached, but by the address rule: no private or
    /// loopback address unless `backend.reading.allowPrivateNetworks` is set or the issuer itself
    /// is on loopback (development), no cloud metadata address ever.
    pub fn new(config: OidcConfig, reading: &outbound::ReadingPolicy) -> Result<OidcProvider, String> {
        check_issuer(&config.issuer)?;
        RedirectUrl::new(config.redirect_url.clone()).map_err(|e| format!("auth.oidc.redirectUrl: {e}"))?;
        let loopback = openidconnect::url::Url::parse(&config.issuer).is_ok_and(|u| is_loopback(&u));
        let reading = outbound::ReadingPolicy {
            allow: Vec::new(),
            allow_private_networks: reading.allow_private_networks || loopback,
        };
        reading
            .check_without_dns(&config.issuer, outbound::Hosts::Any)
            .map_err(|e| format!("auth.oidc.issuer: {e}"))?;
        let http = outbound::client::guarded(
            openidconnect::reqwest::Client::builder(),
            &reading,
            outbound::Hosts::Any,
        )
        // Following redirects would let the provider's answers point the server elsewhere.
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(PROVIDER_TIMEOUT)
        .build()
        .map_err(|e| format!("cannot build the HTTP client for the identity provider: {e}"))?;
        Ok(OidcProvider {
            config,
            reading,
            http,
            discovered: RwLock::new(None),
        })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    async fn discovered(&self, force: bool) -> Result<Arc<Discovered>, OidcError> {
        if !force
            && let Some(d) = self
                .discovered
                .read()
                .await
                .as_ref()
                .filter(|d| d.at.elapsed() < DISCOVERY_TTL)
        {
            return Ok(d.clone());
        }
        let mut slot = self.discovered.write().await;
        if !force && let Some(d) = slot.as_ref().filter(|d| d.at.elapsed() < DISCOVERY_TTL) {
            return Ok(d.clone());
        }
        let discovery_error = |message: String| OidcError::Discovery {
            issuer: self.config.issuer.clone(),
            message,
        };
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(|e| discovery_error(e.to_string()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| discovery_error(error_chain(&e)))?;
        for endpoint in [
            Some(metadata.authorization_endpoint().url()),
            metadata.token_endpoint().map(|t| t.url()),
        ]
        .into_iter()
        .flatten()
        {
            check_endpoint(endpoint).map_err(discovery_error)?;
            // Names are vetted as they are connected to; an IP address is never resolved.
            let literal = self.reading.check_without_dns(endpoint.as_str(), outbound::Hosts::Any);
            literal.map_err(|e| discovery_error(e.to_string()))?;
        }
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let redirect =
            RedirectUrl::new(self.config.redirect_url.clone()).map_err(|e| discovery_error(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect);
        let discovered = Arc::new(Discovered {
            client,
            end_session,
            at: Instant::now(),
        });
        *slot = Some(discovered.clone());
        Ok(discovered)
    }

    /// Starts a sign-in: the provider's authorization URL to send the browser to, and what the
    /// callback must find in the session.
    pub async fn begin(&self, return_to: String) -> Result<(String, PendingLogin), OidcError> {
        let discovered = self.discovered(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = discovered
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok((
            url.to_string(),
            PendingLogin {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                return_to,
                started_at: catalog::store::now_ms(),
            },
        ))
    }

    /// Finishes a sign-in: exchanges the code (with the PKCE verifier) and verifies the ID token.
    /// The caller has already checked `state` against `pending`.
    pub async fn finish(&self, pending: &PendingLogin, code: String) -> Result<VerifiedLogin, OidcError> {
        let discovered = self.discovered(false).await?;
        let response = discovered
            .client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::Exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::IdToken("the token response has no ID token".into()))?
            .clone();
        let nonce = Nonce::new(pending.nonce.clone());
        // Keys may have rotated since discovery: one fresh look before refusing a signature.
        let discovered = match verify(&discovered.client, &id_token, &nonce) {
            Err(OidcError::IdToken(m)) if m.contains("signature") => self.discovered(true).await?,
            _ => discovered,
        };
        let claims = verify(&discovered.client, &id_token, &nonce)?;
        let raw = id_token.to_string();
        let payload = payload_claims(&raw)?;
        let mut claim_value = payload
            .get(&self.config.claim)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        let mut email_verified = payload.get("email_verified").and_then(|v| v.as_bool());
        // Strict providers (Okta's default server) put scope claims only in userinfo.
        if claim_value.is_none() {
            let info = self.user_info(&discovered, &response, claims.subject()).await?;
            claim_value = match self.config.claim.as_str() {
                "email" => info.email().map(|e| e.to_string()),
                "preferred_username" => info.preferred_username().map(|u| u.to_string()),
                _ => None,
            };
            email_verified = email_verified.or(info.email_verified());
        }
        let claim_value = claim_value.ok_or_else(|| OidcError::MissingClaim(self.config.claim.clone()))?;
        if self.config.claim == "email" && email_verified == Some(false) {
            return Err(OidcError::UnverifiedEmail(claim_value));
        }
        Ok(VerifiedLogin {
            claim_value,
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
            email: claims.email().map(|e| e.to_string()),
            subject: claims.subject().to_string(),
            id_token: raw,
        })
    }

    /// The provider's userinfo for the access token, checked to be about `subject`.
    async fn user_info(
        &self,
        discovered: &Discovered,
        response: &openidconnect::core::CoreTokenResponse,
        subject: &openidconnect::SubjectIdentifier,
    ) -> Result<openidconnect::core::CoreUserInfoClaims, OidcError> {
        let request = discovered
            .client
            .user_info(
                openidconnect::OAuth2TokenResponse::access_token(response).clone(),
                Some(subject.clone()),
            )
            .map_err(|_| {
                OidcError::MissingClaim(format!(
                    "{} (and the provider has no userinfo endpoint)",
                    self.config.claim
                ))
            })?;
        request
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(format!("userinfo: {}", error_chain(&e))))
    }

    /// Where to send the browser to end the provider's session too, when it offers that.
    pub async fn logout_url(&self, id_token: Option<&str>) -> Option<String> {
        if !self.config.provider_logout {
            return None;
        }
        let discovered = self.discovered(false).await.ok()?;
        let endpoint = discovered.end_session.clone()?;
        check_endpoint(endpoint.url()).ok()?;
        let mut request = LogoutRequest::from(endpoint).set_client_id(ClientId::new(self.config.client_id.clone()));
        if let Some(token) = id_token.and_then(|t| t.parse::<CoreIdToken>().ok()) {
            request = request.set_id_token_hint(&token);
        }
        if let Ok(url) = PostLogoutRedirectUrl::new(self.config.post_logout_redirect_url.clone()) {
            request = request.set_post_logout_redirect_uri(url);
        }
        Some(request.http_get_url().to_string())
    }
}

fn verify(
    client: &Client,
    id_token: &CoreIdToken,
    nonce: &Nonce,
) -> Result<openidconnect::core::CoreIdTokenClaims, OidcError> {
    id_token
        .claims(&client.id_token_verifier(), nonce)
        .cloned()
        .map_err(|e| OidcError::IdToken(e.to_string()))
}

/// The claims of a JWT already verified by `verify`, as JSON, to read a configured claim.
fn payload_claims(raw: &str) -> Result<serde_json::Map<String, serde_json::Value>, OidcError> {
    let payload = raw
        .split('.')
        .nth(1)
        .ok_or_else(|| OidcError::IdToken("not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| OidcError::IdToken(format!("payload is not base64url: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| OidcError::IdToken(format!("payload is not a JSON object: {e}")))
}

/// The issuer must be HTTPS; plain HTTP only on loopback, for development and tests.
pub fn check_issuer(issuer: &str) -> Result<(), String> {
    let url = openidconnect::url::Url::parse(issuer).map_err(|e| format!("auth.oidc.issuer `{issuer}`: {e}"))?;
    check_endpoint(&url).map_err(|m| format!("auth.oidc.issuer: {m}"))
}

fn check_endpoint(url: &openidconnect::url::Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        _ => Err(format!("`{url}` must use https (plain http only on loopback)")),
    }
}

fn is_loopback(url: &openidconnect::url::Url) -> bool {
    match url.host() {
        Some(openidconnect::url::Host::Domain(d)) => d == "localhost",
        Some(openidconnect::url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(openidconnect::url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_https_except_on_loopback() {
        assert!(check_issuer("https://login.example.com/realms/acme").is_ok());
        assert!(check_issuer("http://127.0.0.1:4000").is_ok());
        assert!(check_issuer("http://localhost:4000").is_ok());
        assert!(check_issuer("http://login.example.com").is_err());
        assert!(check_issuer("ftp://login.example.com").is_err());
        assert!(check_issuer("not a url").is_err());
    }

    #[test]
    fn issuers_on_private_or_metadata_addresses_are_refused_unless_allowed() {
        let provider = |issuer: &str, allow_private_networks| {
            let config = OidcConfig {
                issuer: issuer.into(),
                client_id: "cairn".into(),
                client_secret: None,
                scopes: vec!["openid".into()],
                redirect_url: "https://portal.example.com/api/auth/oidc/callback".into(),
                post_logout_redirect_url: "https://portal.example.com/".into(),
                claim: "email".into(),
                provider_logout: false,
            };
            let reading = outbound::ReadingPolicy {
                allow_private_networks,
                ..outbound::ReadingPolicy::default()
            };
            OidcProvider::new(config, &reading).map(|_| ())
        };
        let err = provider("https://10.0.0.5/realms/acme", false).expect_err("private");
        assert!(err.contains("allowPrivateNetworks"), "{err}");
        assert!(provider("https://10.0.0.5/realms/acme", true).is_ok());
        assert!(
            provider("http://127.0.0.1:4000", false).is_ok(),
            "a loopback issuer is development"
        );
        let err = provider("https://169.254.169.254/", true).expect_err("metadata");
        assert!(err.contains("cloud metadata"), "{err}");
    }
}
