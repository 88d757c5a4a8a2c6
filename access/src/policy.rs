//! The permission policy: for each permission a rule (anyone, signed-in people, owners, admins,
//! nobody), admins doing everything. The defaults follow the default policy: signed-in
//! people read everything, owners act on what they own, admins do everything.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Principal, Scope};

/// An action the portal checks. Names are Backstage's permission names where one exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    /// Read entities, locations, facets, templates and pages built from them.
    CatalogRead,
    /// Register a location.
    LocationCreate,
    /// Unregister a location (and the entities it provides).
    LocationDelete,
    /// Refresh an entity or a location.
    EntityRefresh,
    /// Remove one entity.
    EntityDelete,
    /// Run a template (create a scaffolder task), including dry runs.
    TemplateRun,
    /// Read scaffolder tasks and their logs.
    TaskRead,
    /// Cancel a scaffolder task.
    TaskCancel,
    /// See cost figures of an entity.
    CostRead,
    /// Report events (deployments) from pipelines.
    EventsReport,
    /// Confirm or reject which deployment caused an incident of an entity.
    IncidentLink,
    /// Manage API tokens and sessions, read the audit log. Always admins only.
    Admin,
}

impl Permission {
    /// Every permission that has a configurable rule (all but `Admin`).
    pub const CONFIGURABLE: [Permission; 11] = [
        Permission::CatalogRead,
        Permission::LocationCreate,
        Permission::LocationDelete,
        Permission::EntityRefresh,
        Permission::EntityDelete,
        Permission::TemplateRun,
        Permission::TaskRead,
        Permission::TaskCancel,
        Permission::CostRead,
        Permission::EventsReport,
        Permission::IncidentLink,
    ];

    /// The name in `cairn.yaml` (`permission.rules`) and in denials.
    pub fn name(self) -> &'static str {
        match self {
            Permission::CatalogRead => "catalog.entity.read",
            Permission::LocationCreate => "catalog.location.create",
            Permission::LocationDelete => "catalog.location.delete",
            Permission::EntityRefresh => "catalog.entity.refresh",
            Permission::EntityDelete => "catalog.entity.delete",
            Permission::TemplateRun => "scaffolder.task.create",
            Permission::TaskRead => "scaffolder.task.read",
            Permission::TaskCancel => "scaffolder.task.cancel",
            Permission::CostRead => "cost.read",
            Permission::EventsReport => "events.report",
            Permission::IncidentLink => "incidents.link",
            Permission::Admin => "admin",
        }
    }

    /// What it lets someone do, for denials ("may not register locations").
    pub fn verb(self) -> &'static str {
        match self {
            Permission::CatalogRead => "read the catalog",
            Permission::LocationCreate => "register locations",
            Permission::LocationDelete => "unregister this location",
            Permission::EntityRefresh => "refresh this entity",
            Permission::EntityDelete => "unregister this entity",
            Permission::TemplateRun => "run this template",
            Permission::TaskRead => "read this task",
            Permission::TaskCancel => "cancel this task",
            Permission::CostRead => "see this entity's cost",
            Permission::EventsReport => "report events",
            Permission::IncidentLink => "link this entity's incidents to deployments",
            Permission::Admin => "administer the portal",
        }
    }

    pub fn parse(name: &str) -> Option<Permission> {
        Permission::CONFIGURABLE
            .into_iter()
            .chain([Permission::Admin])
            .find(|p| p.name() == name)
    }

    /// The scope a token needs for it (tokens have no ownership; admins scope them).
    fn scope(self) -> Option<Scope> {
        match self {
            Permission::CatalogRead | Permission::TaskRead => Some(Scope::CatalogRead),
            Permission::LocationCreate
            | Permission::LocationDelete
            | Permission::EntityRefresh
            | Permission::EntityDelete => Some(Scope::CatalogWrite),
            Permission::EventsReport | Permission::IncidentLink => Some(Scope::EventsWrite),
            Permission::TemplateRun | Permission::TaskCancel | Permission::CostRead | Permission::Admin => None,
        }
    }
}

/// Who a permission is granted to (admins always are).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Rule {
    /// Everyone, even before signing in.
    Anyone,
    /// Every signed-in person.
    SignedIn,
    /// The owners of the resource: its owner entity is the person or one of their groups.
    Owner,
    /// Members of an admin group only.
    Admin,
}

impl Rule {
    /// Who it grants to, for people ("signed-in people").
    pub fn describe(self) -> &'static str {
        match self {
            Rule::Anyone => "everyone",
            Rule::SignedIn => "signed-in people",
            Rule::Owner => "owners and admins",
            Rule::Admin => "admins",
        }
    }

    pub fn parse(text: &str) -> Option<Rule> {
        match text {
            "anyone" => Some(Rule::Anyone),
            "signedIn" => Some(Rule::SignedIn),
            "owner" => Some(Rule::Owner),
            "admin" => Some(Rule::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("permission.rules: unknown permission `{0}` (known: {1})")]
    UnknownPermission(String, String),
    #[error("permission.rules.{0}: unknown rule `{1}` (use anyone, signedIn, owner or admin)")]
    UnknownRule(String, String),
}

/// The outcome of a check: allowed, or why not and whether signing in could help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Nobody is signed in and the permission needs someone (401).
    SignInRequired(String),
    /// Signed in (or a token) but not allowed (403), with the reason.
    Deny(String),
}

impl Decision {
    pub fn allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Rules per permission. `Default` is the default policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    rules: BTreeMap<Permission, Rule>,
}

impl Default for Policy {
    fn default() -> Self {
        let rules = Permission::CONFIGURABLE
            .into_iter()
            .map(|p| {
                let rule = match p {
                    Permission::CatalogRead
                    | Permission::LocationCreate
                    | Permission::TemplateRun
                    | Permission::TaskRead => Rule::SignedIn,
                    Permission::LocationDelete
                    | Permission::EntityRefresh
                    | Permission::EntityDelete
                    | Permission::TaskCancel
                    | Permission::CostRead
                    | Permission::IncidentLink => Rule::Owner,
                    Permission::EventsReport | Permission::Admin => Rule::Admin,
                };
                (p, rule)
            })
            .collect();
        Policy { rules }
    }
}

impl Policy {
    /// The default policy with `overrides` (`permission name → rule name`) applied.
    pub fn with_rules<'a>(overrides: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Policy, PolicyError> {
        let mut policy = Policy::default();
        for (name, rule) in overrides {
            let permission = Permission::parse(name)
                .filter(|p| *p != Permission::Admin)
                .ok_or_else(|| {
                    let known: Vec<_> = Permission::CONFIGURABLE.iter().map(|p| p.name()).collect();
                    PolicyError::UnknownPermission(name.to_string(), known.join(", "))
                })?;
            let rule = Rule::parse(rule).ok_or_else(|| PolicyError::UnknownRule(name.to_string(), rule.to_string()))?;
            policy.rules.insert(permission, rule);
        }
        Ok(policy)
    }

    pub fn rule(&self, permission: Permission) -> Rule {
        match permission {
            Permission::Admin => Rule::Admin,
            p => self.rules.get(&p).copied().unwrap_or(Rule::Admin),
        }
    }

    /// Decides `permission` for `principal` on a resource owned by `owners` (entity references;
    /// empty when the resource has no owner or the permission is not about one resource).
    pub fn decide(&self, principal: &Principal, permission: Permission, owners: &[String]) -> Decision {
        let rule = self.rule(permission);
        match principal {
            Principal::Guest => Decision::Allow,
            Principal::Token { name, scopes, .. } => match permission.scope() {
                Some(scope) if scopes.contains(&scope) => Decision::Allow,
                Some(scope) => Decision::Deny(format!(
                    "the token `{name}` lacks the scope {} needed to {}",
                    scope.as_str(),
                    permission.verb()
                )),
                None => Decision::Deny(format!("API tokens may not {}", permission.verb())),
            },
            Principal::Anonymous => match rule {
                Rule::Anyone => Decision::Allow,
                _ => Decision::SignInRequired(format!("sign in to {}", permission.verb())),
            },
            Principal::User(subject) => {
                if subject.admin {
                    return Decision::Allow;
                }
                match rule {
                    Rule::Anyone | Rule::SignedIn => Decision::Allow,
                    Rule::Owner if owners.iter().any(|o| principal.owns(o)) => Decision::Allow,
                    Rule::Owner if owners.is_empty() => Decision::Deny(format!(
                        "only admins may {}: it has no owner ({})",
                        permission.verb(),
                        permission.name()
                    )),
                    Rule::Owner => Decision::Deny(format!(
                        "only its owners ({}) or admins may {} ({})",
                        owners.join(", "),
                        permission.verb(),
                        permission.name()
                    )),
                    Rule::Admin => {
                        Decision::Deny(format!("only admins may {} ({})", permission.verb(), permission.name()))
                    }
                }
            }
        }
    }
}

impl Policy {
    /// Decides `permission` on several entities at once (a location acts on every entity it
    /// provides, `(entity ref, its owners)`): allowed on each, or the first refusal, naming its
    /// entity. None at all is judged as a resource without owners (admins, under `owner`).
    pub fn decide_all(
        &self,
        principal: &Principal,
        permission: Permission,
        entities: &[(String, Vec<String>)],
    ) -> Decision {
        if entities.is_empty() {
            return self.decide(principal, permission, &[]);
        }
        for (entity, owners) in entities {
            match self.decide(principal, permission, owners) {
                Decision::Allow => {}
                Decision::Deny(reason) => return Decision::Deny(format!("{entity}: {reason}")),
                other => return other,
            }
        }
        Decision::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Subject;

    fn user(ownership: &[&str], admin: bool) -> Principal {
        Principal::User(Subject {
            user_ref: ownership[0].to_string(),
            display_name: "Jane".into(),
            email: None,
            ownership: ownership.iter().map(|s| s.to_string()).collect(),
            admin,
        })
    }

    #[test]
    fn default_policy_reads_for_everyone_signed_in_and_acts_for_owners() {
        let policy = Policy::default();
        let jane = user(&["user:default/jane", "group:default/payments"], false);
        let owners = vec!["group:default/payments".to_string()];
        let others = vec!["group:default/search".to_string()];
        assert!(policy.decide(&jane, Permission::CatalogRead, &[]).allowed());
        assert!(policy.decide(&jane, Permission::EntityRefresh, &owners).allowed());
        let denied = policy.decide(&jane, Permission::EntityRefresh, &others);
        assert_eq!(
            denied,
            Decision::Deny(
                "only its owners (group:default/search) or admins may refresh this entity (catalog.entity.refresh)"
                    .into()
            )
        );
        assert!(!policy.decide(&jane, Permission::Admin, &[]).allowed());
        assert!(policy.decide(&jane, Permission::IncidentLink, &owners).allowed());
        assert!(!policy.decide(&jane, Permission::IncidentLink, &others).allowed());
        let admin = user(&["user:default/root"], true);
        assert!(policy.decide(&admin, Permission::EntityDelete, &others).allowed());
        assert!(matches!(
            policy.decide(&Principal::Anonymous, Permission::CatalogRead, &[]),
            Decision::SignInRequired(_)
        ));
        assert!(policy.decide(&Principal::Guest, Permission::Admin, &[]).allowed());
    }

    #[test]
    fn a_location_needs_every_entity() {
        let policy = Policy::default();
        let jane = user(&["user:default/jane", "group:default/payments"], false);
        let mine = (
            "component:default/a".to_string(),
            vec!["group:default/payments".to_string()],
        );
        let theirs = (
            "component:default/b".to_string(),
            vec!["group:default/search".to_string()],
        );
        assert!(
            policy
                .decide_all(&jane, Permission::LocationDelete, &[mine.clone()])
                .allowed()
        );
        match policy.decide_all(&jane, Permission::LocationDelete, &[mine, theirs]) {
            Decision::Deny(reason) => assert!(reason.starts_with("component:default/b: only its owners"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert!(!policy.decide_all(&jane, Permission::LocationDelete, &[]).allowed());
    }

    #[test]
    fn owners_match_case_insensitively() {
        let jane = user(&["user:default/jane", "group:default/payments"], false);
        let owners = vec!["group:default/Payments".to_string()];
        assert!(
            Policy::default()
                .decide(&jane, Permission::EntityDelete, &owners)
                .allowed()
        );
    }

    #[test]
    fn tokens_act_by_scope_only() {
        let policy = Policy::default();
        let token = Principal::Token {
            id: "1".into(),
            name: "ci".into(),
            scopes: vec![Scope::CatalogRead],
        };
        assert!(policy.decide(&token, Permission::CatalogRead, &[]).allowed());
        assert_eq!(
            policy.decide(&token, Permission::LocationCreate, &[]),
            Decision::Deny("the token `ci` lacks the scope catalog:write needed to register locations".into())
        );
        assert!(!policy.decide(&token, Permission::Admin, &[]).allowed());
    }

    #[test]
    fn rules_are_configurable_and_checked() {
        let policy = Policy::with_rules([("catalog.entity.read", "anyone"), ("scaffolder.task.create", "admin")])
            .expect("valid");
        assert!(
            policy
                .decide(&Principal::Anonymous, Permission::CatalogRead, &[])
                .allowed()
        );
        let jane = user(&["user:default/jane"], false);
        assert!(!policy.decide(&jane, Permission::TemplateRun, &[]).allowed());
        assert!(matches!(
            Policy::with_rules([("catalog.read", "anyone")]),
            Err(PolicyError::UnknownPermission(..))
        ));
        assert_eq!(
            Policy::with_rules([("cost.read", "owners")]),
            Err(PolicyError::UnknownRule("cost.read".into(), "owners".into()))
        );
        assert!(Policy::with_rules([("admin", "anyone")]).is_err());
    }
}
