//! Sign-in resolution, as in Backstage: the provider's claim (an e-mail address by default)
//! matched to one catalog User entity, giving the identity `user:namespace/name` and its
//! ownership (the user and its groups, transitively). What a session holds once signed in.

use access::Subject;
use catalog::store::now_ms;
use serde::{Deserialize, Serialize};

use super::{Auth, AuthError, Resolver};

/// Ownership is looked up again after this, so group changes reach people already signed in.
pub const RESOLVE_AGAIN_MS: i64 = 5 * 60 * 1000;

/// The signed-in person in a session (`sessions::SIGNED_IN_KEY`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignedIn {
    pub subject: Subject,
    pub signed_in_at: i64,
    pub last_seen: i64,
    pub resolved_at: i64,
    /// For `id_token_hint` when logging out at the provider.
    pub id_token: Option<String>,
    /// Sent back in `X-CSRF-Token` by scripts that use the session cookie.
    pub csrf: String,
}

impl Auth {
    /// The person a verified claim resolves to, or why they may not sign in.
    pub async fn resolve(
        &self,
        claim_value: &str,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<Subject, AuthError> {
        let claim = claim_value.trim();
        let found = match self.config.resolver {
            Resolver::EmailMatchingUserEntityProfileEmail => {
                let mut users = self.catalog.users_by_email(claim).await?;
                if users.len() > 1 {
                    let refs: Vec<_> = users.iter().map(|u| u.entity_ref.as_str()).collect();
                    return Err(AuthError::SignIn(format!(
                        "{claim} matches more than one User entity ({}); ask an admin to fix the catalog",
                        refs.join(", ")
                    )));
                }
                users.pop()
            }
            Resolver::EmailLocalPartMatchingUserEntityName => {
                let local = claim.split('@').next().unwrap_or(claim);
                self.catalog.user_by_name("default", local).await?
            }
        };
        let (user_ref, display_name, email) = match found {
            Some(user) => (
                user.entity_ref.clone(),
                user.display_name
                    .clone()
                    .or_else(|| name.map(str::to_string))
                    .unwrap_or_else(|| user.entity_ref.rsplit('/').next().unwrap_or_default().to_string()),
                user.email.or(email.map(str::to_string)),
            ),
            None if self.config.allow_without_user_entity => {
                let local: String = claim
                    .split('@')
                    .next()
                    .unwrap_or(claim)
                    .to_lowercase()
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                            c
                        } else {
                            '-'
                        }
                    })
                    .take(63)
                    .collect();
                (
                    format!("user:default/{local}"),
                    name.unwrap_or(claim).to_string(),
                    email.map(str::to_string),
                )
            }
            None => {
                return Err(AuthError::SignIn(format!(
                    "no User entity in the catalog matches {claim}; ask an admin to add you to the catalog"
                )));
            }
        };
        self.subject(user_ref, display_name, email).await
    }

    /// A subject with its ownership and admin flag looked up now.
    pub async fn subject(
        &self,
        user_ref: String,
        display_name: String,
        email: Option<String>,
    ) -> Result<Subject, AuthError> {
        let ownership = self.catalog.ownership_refs(&user_ref).await?;
        let admin = ownership
            .iter()
            .any(|o| self.config.admin_groups.iter().any(|a| a.eq_ignore_ascii_case(o)));
        Ok(Subject {
            user_ref,
            display_name,
            email,
            ownership,
            admin,
        })
    }

    /// A fresh session's contents for `subject`.
    pub fn signed_in(&self, subject: Subject, id_token: Option<String>) -> SignedIn {
        let now = now_ms();
        SignedIn {
            subject,
            signed_in_at: now,
            last_seen: now,
            resolved_at: now,
            id_token,
            csrf: random_token(),
        }
    }
}

/// 32 random bytes, URL-safe.
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
