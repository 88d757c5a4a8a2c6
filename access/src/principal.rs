//! The principal a request acts as: a signed-in person, a machine token, the guest of a portal
//! without sign-in, or nobody.

use serde::{Deserialize, Serialize};

/// What a machine token may do. Tokens carry scopes, not ownership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// Read the catalog (entities, locations, facets).
    #[serde(rename = "catalog:read")]
    CatalogRead,
    /// Register, refresh and unregister locations and entities.
    #[serde(rename = "catalog:write")]
    CatalogWrite,
    /// Report events (deployments, webhooks from pipelines).
    #[serde(rename = "events:write")]
    EventsWrite,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::CatalogRead, Scope::CatalogWrite, Scope::EventsWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CatalogRead => "catalog:read",
            Scope::CatalogWrite => "catalog:write",
            Scope::EventsWrite => "events:write",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// For people choosing scopes.
    pub fn description(self) -> &'static str {
        match self {
            Scope::CatalogRead => "read the catalog",
            Scope::CatalogWrite => "register, refresh and unregister locations and entities",
            Scope::EventsWrite => "report events (deployments from pipelines)",
        }
    }
}

/// A signed-in person, as resolved at sign-in from their User entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// `user:namespace/name` (or `user:default/<email local part>` when people without a User
    /// entity may sign in).
    pub user_ref: String,
    /// Name to show: the profile's display name, else the entity's name.
    pub display_name: String,
    pub email: Option<String>,
    /// The user and every group it belongs to, directly or through parent groups.
    pub ownership: Vec<String>,
    /// Member of a configured admin group.
    pub admin: bool,
}

/// Who a request acts as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Principal {
    /// No sign-in configured: everyone is the guest, who may do everything (a laptop, a demo).
    Guest,
    User(Subject),
    Token {
        id: String,
        name: String,
        scopes: Vec<Scope>,
    },
    /// Nobody signed in, on a portal that has sign-in.
    Anonymous,
}

impl Principal {
    /// The actor's name in logs and the audit log: `user:default/jane`, `token:ci`, `guest`.
    pub fn actor(&self) -> String {
        match self {
            Principal::Guest => "guest".into(),
            Principal::User(s) => s.user_ref.clone(),
            Principal::Token { name, .. } => format!("token:{name}"),
            Principal::Anonymous => "anonymous".into(),
        }
    }

    /// The reference recorded as a task's creator.
    pub fn user_ref(&self) -> Option<&str> {
        match self {
            Principal::User(s) => Some(&s.user_ref),
            _ => None,
        }
    }

    /// Whether `owner` (an entity reference) is this principal or one of its groups.
    pub fn owns(&self, owner: &str) -> bool {
        match self {
            Principal::User(s) => s.ownership.iter().any(|o| o.eq_ignore_ascii_case(owner)),
            _ => false,
        }
    }
}
