//! `auth.*` (sign-in: the OIDC provider, sessions, guest mode) and `permission.*` (admin groups
//! and the policy's rules).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Env, FileConfig, Interval, expand, value_error};
use crate::auth::{AuthConfig, OidcConfig, Resolver};
use crate::config::ConfigError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct AuthSection {
    oidc: Option<OidcSection>,
    session: Option<SessionSection>,
    /// Let a production portal (`CAIRN_ENV=production`) run without sign-in.
    allow_guest_in_production: Option<bool>,
    /// Sign-in attempts per client address per minute (default 30).
    login_attempts_per_minute: Option<u32>,
    /// Behind a load balancer: the client's address is the last entry of `X-Forwarded-For` (the one the balancer added).
    trust_forwarded_for: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OidcSection {
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    scopes: Option<Vec<String>>,
    redirect_url: Option<String>,
    /// The claim matched to User entities (default `email`).
    claim: Option<String>,
    /// `emailMatchingUserEntityProfileEmail` (default) or `emailLocalPartMatchingUserEntityName`.
    resolver: Option<String>,
    allow_sign_in_without_user_entity: Option<bool>,
    /// End the provider's session too when people sign out (default true).
    provider_logout: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SessionSection {
    idle_timeout: Option<Interval>,
    absolute_timeout: Option<Interval>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PermissionSection {
    /// Groups (entity references) whose members, transitively, do everything.
    #[serde(default)]
    admin_groups: Vec<String>,
    /// Permission name → anyone | signedIn | owner | admin.
    #[serde(default)]
    rules: BTreeMap<String, String>,
}

impl FileConfig {
    /// Sign-in and access settings; `production` refuses guest mode unless allowed.
    pub(in crate::config) fn auth(
        &self,
        base_url: &str,
        production: bool,
        env: Env,
    ) -> Result<AuthConfig, ConfigError> {
        let a = &self.auth;
        let mut config = AuthConfig {
            base_url: base_url.to_string(),
            ..AuthConfig::default()
        };
        if let Some(o) = &a.oidc {
            let issuer = expand(&o.issuer, "auth.oidc.issuer", env)?;
            crate::auth::oidc::check_issuer(&issuer).map_err(|m| value_error("auth.oidc.issuer", m))?;
            let client_id = expand(&o.client_id, "auth.oidc.clientId", env)?;
            if client_id.trim().is_empty() {
                return Err(value_error("auth.oidc.clientId", "must not be empty".into()));
            }
            let client_secret = o
                .client_secret
                .as_ref()
                .map(|s| expand(s, "auth.oidc.clientSecret", env))
                .transpose()?
                .filter(|s| !s.is_empty());
            let mut scopes = o
                .scopes
                .clone()
                .unwrap_or_else(|| vec!["openid".into(), "profile".into(), "email".into()]);
            if !scopes.iter().any(|s| s == "openid") {
                scopes.insert(0, "openid".into());
            }
            let redirect_url = match &o.redirect_url {
                Some(u) => expand(u, "auth.oidc.redirectUrl", env)?,
                None => format!("{base_url}/api/auth/oidc/callback"),
            };
            if let Some(resolver) = &o.resolver {
                config.resolver = Resolver::parse(resolver).ok_or_else(|| {
                    value_error(
                        "auth.oidc.resolver",
                        format!("unknown resolver `{resolver}` (use emailMatchingUserEntityProfileEmail or emailLocalPartMatchingUserEntityName)"),
                    )
                })?;
            }
            config.allow_without_user_entity = o.allow_sign_in_without_user_entity.unwrap_or(false);
            config.oidc = Some(OidcConfig {
                issuer,
                client_id,
                client_secret,
                scopes,
                redirect_url,
                post_logout_redirect_url: format!("{base_url}/"),
                claim: o.claim.clone().unwrap_or_else(|| "email".into()),
                provider_logout: o.provider_logout.unwrap_or(true),
            });
        } else if production && !a.allow_guest_in_production.unwrap_or(false) {
            return Err(value_error(
                "auth.oidc",
                "CAIRN_ENV=production needs a sign-in provider: configure auth.oidc, or set \
                 auth.allowGuestInProduction: true to run without sign-in (everyone may do everything)"
                    .into(),
            ));
        }
        if let Some(s) = &a.session {
            if let Some(idle) = &s.idle_timeout {
                config.idle_timeout = idle.duration();
            }
            if let Some(absolute) = &s.absolute_timeout {
                config.absolute_timeout = absolute.duration();
            }
        }
        if config.idle_timeout < std::time::Duration::from_secs(60) {
            return Err(value_error(
                "auth.session.idleTimeout",
                "must be at least a minute".into(),
            ));
        }
        if config.absolute_timeout < config.idle_timeout {
            return Err(value_error(
                "auth.session.absoluteTimeout",
                "must be at least the idle timeout".into(),
            ));
        }
        if let Some(n) = a.login_attempts_per_minute {
            if n == 0 {
                return Err(value_error("auth.loginAttemptsPerMinute", "must be at least 1".into()));
            }
            config.login_attempts_per_minute = n;
        }
        config.trust_forwarded_for = a.trust_forwarded_for.unwrap_or(false);
        let p = &self.permission;
        for group in &p.admin_groups {
            let parsed = catalog::model::EntityRef::parse(group, Some("group"), "default")
                .map_err(|e| value_error("permission.adminGroups", format!("`{group}`: {e}")))?;
            config.admin_groups.push(parsed.to_string().to_lowercase());
        }
        config.policy = access::Policy::with_rules(p.rules.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| value_error("permission.rules", e.to_string()))?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "OIDC_SECRET").then(|| "s3cret".to_string())
    }

    #[test]
    fn oidc_and_permissions_are_read_and_checked() {
        let file = FileConfig::parse(
            "auth:\n  oidc:\n    issuer: https://login.example.com/realms/acme\n    clientId: cairn\n    clientSecret: ${OIDC_SECRET}\n  session:\n    idleTimeout: { hours: 1 }\n    absoluteTimeout: { days: 2 }\npermission:\n  adminGroups: [platform]\n  rules:\n    catalog.location.create: admin\n",
        )
        .expect("parses");
        let config = file.auth("https://portal.example.com", true, &env).expect("valid");
        let oidc = config.oidc.as_ref().expect("oidc");
        assert_eq!(oidc.client_secret.as_deref(), Some("s3cret"));
        assert_eq!(oidc.redirect_url, "https://portal.example.com/api/auth/oidc/callback");
        assert_eq!(oidc.scopes, ["openid", "profile", "email"]);
        assert!(!format!("{oidc:?}").contains("s3cret"));
        assert_eq!(config.idle_timeout, std::time::Duration::from_secs(3600));
        assert_eq!(config.absolute_timeout, std::time::Duration::from_secs(2 * 86_400));
        assert_eq!(config.admin_groups, ["group:default/platform"]);
        assert_eq!(
            config.policy.rule(access::Permission::LocationCreate),
            access::Rule::Admin
        );
        assert!(config.secure_cookies());
    }

    #[test]
    fn production_refuses_guest_mode_unless_allowed() {
        let none = FileConfig::default();
        let err = none.auth("http://x", true, &env).expect_err("refused");
        assert!(err.to_string().contains("CAIRN_ENV=production"), "{err}");
        assert!(none.auth("http://x", false, &env).is_ok());
        let allowed = FileConfig::parse("auth:\n  allowGuestInProduction: true\n").expect("parses");
        assert!(allowed.auth("http://x", true, &env).expect("allowed").oidc.is_none());
    }

    #[test]
    fn bad_settings_name_their_key() {
        for (yaml, key) in [
            (
                "auth:\n  oidc:\n    issuer: http://login.example.com\n    clientId: x\n",
                "auth.oidc.issuer",
            ),
            (
                "auth:\n  oidc:\n    issuer: https://l.example.com\n    clientId: x\n    resolver: nope\n",
                "auth.oidc.resolver",
            ),
            ("permission:\n  rules:\n    catalog.read: anyone\n", "permission.rules"),
            (
                "auth:\n  session:\n    idleTimeout: { seconds: 5 }\n",
                "auth.session.idleTimeout",
            ),
        ] {
            let err = FileConfig::parse(yaml)
                .expect("parses")
                .auth("http://x", false, &env)
                .expect_err(yaml);
            assert!(err.to_string().starts_with(key), "{err}");
        }
    }
}
