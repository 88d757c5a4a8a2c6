//! API tokens for machines: `cairn_` and 32 random bytes, shown once; only their SHA-256 is stored,
//! so the database never holds a usable secret.

use access::{Principal, Scope};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{AuthError, store::AuthStore};

/// Every token starts with it: secret scanners and people recognise one.
pub const PREFIX: &str = "cairn_";
/// Longest token name.
pub const MAX_NAME_CHARS: usize = 100;

/// Why a token could not be created: the request (400) or the storage (logged, 500).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] AuthError),
}

/// A new token's secret (to show once) and what is stored.
pub struct NewToken {
    pub id: String,
    pub secret: String,
}

pub fn hash(secret: &str) -> String {
    catalog::hex::hex(&Sha256::digest(secret.as_bytes()))
}

/// Creates a token; `expires_in_days` None never expires.
pub async fn create(
    store: &AuthStore,
    name: &str,
    scopes: &[Scope],
    created_by: &str,
    expires_in_days: Option<u32>,
) -> Result<NewToken, TokenError> {
    let invalid = |m: &str| Err(TokenError::Invalid(m.to_string()));
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return invalid(&format!("name: must be 1 to {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return invalid("name: must not contain control characters");
    }
    if scopes.is_empty() {
        return invalid("scopes: choose at least one of catalog:read, catalog:write, events:write");
    }
    if expires_in_days.is_some_and(|d| d == 0 || d > 3650) {
        return invalid("expiresInDays: must be between 1 and 3650");
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let id = uuid::Uuid::now_v7().to_string();
    let mut scopes: Vec<String> = scopes.iter().map(|s| s.as_str().to_string()).collect();
    scopes.sort();
    scopes.dedup();
    let expires_at = expires_in_days.map(|d| catalog::store::now_ms() + i64::from(d) * 86_400_000);
    store
        .insert_token(&id, name, &hash(&secret), &scopes, created_by, expires_at)
        .await?;
    Ok(NewToken { id, secret })
}

/// The principal a bearer token acts as, or None when it is unknown, revoked or expired.
pub async fn authenticate(
    store: &AuthStore,
    recent: &super::rate_limit::WriteOnce,
    secret: &str,
) -> Result<Option<Principal>, AuthError> {
    if !secret.starts_with(PREFIX) || secret.len() > 200 {
        return Ok(None);
    }
    let Some(row) = store.token_by_hash(&hash(secret)).await? else {
        return Ok(None);
    };
    let stale = row.last_used_at.is_none_or(|t| catalog::store::now_ms() - t >= 60_000);
    if stale && recent.claim(&row.id, std::time::Duration::from_secs(60)) {
        store.touch_token(&row.id, row.last_used_at).await?;
    }
    Ok(Some(Principal::Token {
        id: row.id,
        name: row.name,
        scopes: row.scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
    }))
}
