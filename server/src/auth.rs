//! Who is asking, and may they: OIDC sign-in, sessions in the database, sign-in resolution to
//! catalog users, API tokens, the permission policy's enforcement, CSRF and rate limits, and the
//! audit log. The policy itself (pure rules) is `access`.

pub mod administer;
pub mod oidc;
pub mod rate_limit;
pub mod request;
pub mod return_to;
pub mod sessions;
pub mod sign_in;
pub mod store;
pub mod tokens;

use std::time::Duration;

use access::{Decision, Permission, Policy, Principal};

pub use oidc::{OidcConfig, OidcProvider};
use rate_limit::RateLimiter;
use store::{AuditEvent, AuthStore};

/// A failure of sign-in or access, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("access storage failed while {context}: {source}")]
    Store { context: &'static str, source: sqlx::Error },
    #[error(transparent)]
    Catalog(#[from] catalog::store::StoreError),
    #[error(transparent)]
    Oidc(#[from] oidc::OidcError),
    #[error("{0}")]
    SignIn(String),
    #[error("session storage failed: {0}")]
    Session(#[from] tower_sessions::session::Error),
}

/// How a person's sign-in is matched to a User entity (Backstage's resolver names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolver {
    /// The claim equals a User's `spec.profile.email` (the default).
    EmailMatchingUserEntityProfileEmail,
    /// The claim's part before `@` equals a User's name in the default namespace.
    EmailLocalPartMatchingUserEntityName,
}

impl Resolver {
    pub fn parse(name: &str) -> Option<Resolver> {
        match name {
            "emailMatchingUserEntityProfileEmail" => Some(Resolver::EmailMatchingUserEntityProfileEmail),
            "emailLocalPartMatchingUserEntityName" => Some(Resolver::EmailLocalPartMatchingUserEntityName),
            _ => None,
        }
    }
}

/// Sign-in and access settings (`auth.*` and `permission.*` in `cairn.yaml`).
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// None: guest mode, everyone acts as the guest.
    pub oidc: Option<OidcConfig>,
    pub resolver: Resolver,
    /// People the provider vouches for but without a User entity may sign in (owning nothing).
    pub allow_without_user_entity: bool,
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
    /// Groups (and users) whose members do everything.
    pub admin_groups: Vec<String>,
    pub policy: Policy,
    /// Sign-in attempts per client address per minute.
    pub login_attempts_per_minute: u32,
    /// Take the client's address from the last `X-Forwarded-For` entry (behind a load balancer
    /// that appends the address it saw).
    pub trust_forwarded_for: bool,
    /// The portal's public URL: its origin is the one state-changing requests must come from.
    pub base_url: String,
    /// How long a replica trusts a session or token it read (see `store::AuthStore`).
    pub read_cache_ttl: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            oidc: None,
            resolver: Resolver::EmailMatchingUserEntityProfileEmail,
            allow_without_user_entity: false,
            idle_timeout: Duration::from_secs(8 * 3600),
            absolute_timeout: Duration::from_secs(7 * 24 * 3600),
            admin_groups: Vec::new(),
            policy: Policy::default(),
            login_attempts_per_minute: 30,
            trust_forwarded_for: false,
            base_url: "http://127.0.0.1:3000".into(),
            read_cache_ttl: Duration::from_secs(2),
        }
    }
}

impl AuthConfig {
    /// Session cookies are `Secure` when the portal is served over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// Sign-in and access, shared by every request.
pub struct Auth {
    pub config: AuthConfig,
    pub oidc: Option<OidcProvider>,
    pub store: AuthStore,
    pub catalog: catalog::store::Store,
    pub login_limiter: RateLimiter,
    /// Failed bearer tokens per client address: guessing is slowed down.
    pub token_failures: RateLimiter,
    /// Sessions' idle clocks and tokens' last use are written once a minute, by one request.
    pub recent_writes: rate_limit::WriteOnce,
}

impl Auth {
    /// `reading` is the server's rule for outgoing requests (the provider is reached under it).
    pub fn new(
        config: AuthConfig,
        catalog: catalog::store::Store,
        reading: &outbound::ReadingPolicy,
    ) -> Result<Auth, String> {
        let oidc = config.oidc.clone().map(|c| OidcProvider::new(c, reading)).transpose()?;
        Ok(Auth {
            login_limiter: RateLimiter::new(config.login_attempts_per_minute, Duration::from_secs(60)),
            token_failures: RateLimiter::new(20, Duration::from_secs(60)),
            recent_writes: rate_limit::WriteOnce::default(),
            store: AuthStore::new(catalog.clone(), config.read_cache_ttl),
            catalog,
            oidc,
            config,
        })
    }

    /// No provider configured: everyone is the guest.
    pub fn guest_mode(&self) -> bool {
        self.oidc.is_none()
    }

    pub fn decide(&self, principal: &Principal, permission: Permission, owners: &[String]) -> Decision {
        self.config.policy.decide(principal, permission, owners)
    }

    /// Records an audit event; a failure to record is logged, never fatal to the action.
    pub async fn audit(&self, event: AuditEvent<'_>) {
        tracing::info!(
            actor = event.actor,
            action = event.action,
            target = event.target,
            outcome = event.outcome,
            "audit"
        );
        if let Err(err) = self.store.record(event).await {
            tracing::error!(error = %err, "audit log: cannot record an event");
        }
    }
}
