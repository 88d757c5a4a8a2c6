//! Entity references, `[<kind>:][<namespace>/]<name>`, parsed the way Backstage parses them: a
//! field may supply the default kind (e.g. `spec.owner` → Group) and the namespace defaults to the
//! referring entity's own. The canonical string form is lower-case: `component:default/checkout`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Namespace used when none is given.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A fully qualified reference to an entity. Comparisons are case-insensitive, as in Backstage,
/// because every part is stored lower-case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntityRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// Why a reference could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("entity reference \"{0}\" is not of the form [<kind>:][<namespace>/]<name>")]
    Malformed(String),
    #[error("entity reference \"{0}\" has no kind (it should start with e.g. \"component:\")")]
    MissingKind(String),
}

impl EntityRef {
    /// Builds a reference from its parts, lower-casing them.
    pub fn new(kind: &str, namespace: &str, name: &str) -> EntityRef {
        EntityRef {
            kind: kind.to_lowercase(),
            namespace: namespace.to_lowercase(),
            name: name.to_lowercase(),
        }
    }

    /// Parses `text` with the defaults of the field it came from.
    pub fn parse(text: &str, default_kind: Option<&str>, default_namespace: &str) -> Result<EntityRef, RefError> {
        let colon = text.find(':');
        let slash = text.find('/');
        // A colon after the first slash belongs to the name ("ns/na:me"), not to a kind.
        let colon = match (colon, slash) {
            (Some(c), Some(s)) if s < c => None,
            (c, _) => c,
        };
        let kind = colon.map(|c| &text[..c]);
        let namespace = slash.map(|s| &text[colon.map_or(0, |c| c + 1)..s]);
        let name_start = colon.map_or(0, |c| c + 1).max(slash.map_or(0, |s| s + 1));
        let name = &text[name_start..];
        if kind == Some("") || namespace == Some("") || name.is_empty() {
            return Err(RefError::Malformed(text.to_string()));
        }
        let kind = kind
            .or(default_kind)
            .ok_or_else(|| RefError::MissingKind(text.to_string()))?;
        Ok(EntityRef::new(kind, namespace.unwrap_or(default_namespace), name))
    }

    /// Parses a canonical reference (kind required, namespace defaulting to `default`).
    pub fn parse_full(text: &str) -> Result<EntityRef, RefError> {
        EntityRef::parse(text, None, DEFAULT_NAMESPACE)
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.kind, self.namespace, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, kind: Option<&str>) -> Result<String, RefError> {
        EntityRef::parse(text, kind, "team-a").map(|r| r.to_string())
    }

    #[test]
    fn defaults_fill_what_is_missing() {
        assert_eq!(parse("platform", Some("Group")).unwrap(), "group:team-a/platform");
        assert_eq!(parse("other/platform", Some("Group")).unwrap(), "group:other/platform");
        assert_eq!(parse("User:Jane", Some("Group")).unwrap(), "user:team-a/jane");
        assert_eq!(
            parse("Component:Default/Checkout", None).unwrap(),
            "component:default/checkout"
        );
    }

    #[test]
    fn colons_after_the_namespace_belong_to_the_name() {
        assert_eq!(parse("ns/na:me", Some("component")).unwrap(), "component:ns/na:me");
    }

    #[test]
    fn malformed_references_are_errors() {
        assert!(matches!(parse(":x", Some("group")), Err(RefError::Malformed(_))));
        assert!(matches!(parse("group:/x", None), Err(RefError::Malformed(_))));
        assert!(matches!(parse("group:ns/", None), Err(RefError::Malformed(_))));
        assert!(matches!(parse("x", None), Err(RefError::MissingKind(_))));
    }
}
