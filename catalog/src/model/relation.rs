//! Relations derived from spec fields, in both directions, with each field's default kind — the
//! table Backstage's built-in kinds processor applies.

use serde_json::{Map, Value};

use super::entity_ref::{EntityRef, RefError};
use super::validate::EntityError;

/// A relation between two entities, from `source`'s point of view.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelationEdge {
    pub source: EntityRef,
    pub relation_type: &'static str,
    pub target: EntityRef,
}

/// One row of the table: for `kind`, the spec `field` points at entities of `default_kind`
/// (`None`: the reference must name its kind), and the relation it declares
/// (its reverse, on the target, is `reverse_of(forward)`).
struct Rule {
    kind: &'static str,
    field: &'static str,
    default_kind: Option<&'static str>,
    forward: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        kind: "component",
        field: "owner",
        default_kind: Some("Group"),
        forward: "ownedBy",
    },
    Rule {
        kind: "component",
        field: "subcomponentOf",
        default_kind: Some("Component"),
        forward: "partOf",
    },
    Rule {
        kind: "component",
        field: "providesApis",
        default_kind: Some("API"),
        forward: "providesApi",
    },
    Rule {
        kind: "component",
        field: "consumesApis",
        default_kind: Some("API"),
        forward: "consumesApi",
    },
    Rule {
        kind: "component",
        field: "dependsOn",
        default_kind: None,
        forward: "dependsOn",
    },
    Rule {
        kind: "component",
        field: "dependencyOf",
        default_kind: None,
        forward: "dependencyOf",
    },
    Rule {
        kind: "component",
        field: "system",
        default_kind: Some("System"),
        forward: "partOf",
    },
    Rule {
        kind: "api",
        field: "owner",
        default_kind: Some("Group"),
        forward: "ownedBy",
    },
    Rule {
        kind: "api",
        field: "system",
        default_kind: Some("System"),
        forward: "partOf",
    },
    Rule {
        kind: "resource",
        field: "owner",
        default_kind: Some("Group"),
        forward: "ownedBy",
    },
    Rule {
        kind: "resource",
        field: "dependsOn",
        default_kind: None,
        forward: "dependsOn",
    },
    Rule {
        kind: "resource",
        field: "dependencyOf",
        default_kind: None,
        forward: "dependencyOf",
    },
    Rule {
        kind: "resource",
        field: "system",
        default_kind: Some("System"),
        forward: "partOf",
    },
    Rule {
        kind: "system",
        field: "owner",
        default_kind: Some("Group"),
        forward: "ownedBy",
    },
    Rule {
        kind: "system",
        field: "domain",
        default_kind: Some("Domain"),
        forward: "partOf",
    },
    Rule {
        kind: "domain",
        field: "owner",
        default_kind: Some("Group"),
        forward: "ownedBy",
    },
    Rule {
        kind: "domain",
        field: "subdomainOf",
        default_kind: Some("Domain"),
        forward: "partOf",
    },
    Rule {
        kind: "user",
        field: "memberOf",
        default_kind: Some("Group"),
        forward: "memberOf",
    },
    Rule {
        kind: "group",
        field: "parent",
        default_kind: Some("Group"),
        forward: "childOf",
    },
    Rule {
        kind: "group",
        field: "children",
        default_kind: Some("Group"),
        forward: "parentOf",
    },
    Rule {
        kind: "group",
        field: "members",
        default_kind: Some("User"),
        forward: "hasMember",
    },
    Rule {
        kind: "template",
        field: "owner",
        default_kind: Some("Group"),
        forward: "ownedBy",
    },
];

/// Every relation type with its reverse, for pages that group relations.
pub const RELATION_PAIRS: &[(&str, &str)] = &[
    ("ownedBy", "ownerOf"),
    ("partOf", "hasPart"),
    ("providesApi", "apiProvidedBy"),
    ("consumesApi", "apiConsumedBy"),
    ("dependsOn", "dependencyOf"),
    ("memberOf", "hasMember"),
    ("childOf", "parentOf"),
];

/// Spec lists Backstage sorts before processing (so relation order and error messages agree).
const SORTED_LISTS: [&str; 7] = [
    "providesApis",
    "consumesApis",
    "dependsOn",
    "dependencyOf",
    "memberOf",
    "children",
    "members",
];

/// Sorts the reference lists of a spec in place, when every item is text (Backstage's pre-step).
pub fn sort_reference_lists(spec: &mut Map<String, Value>) {
    for field in SORTED_LISTS {
        if let Some(Value::Array(items)) = spec.get_mut(field) {
            if items.iter().all(Value::is_string) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
        }
    }
}

/// The relations `source` declares through its spec, in Backstage's order. Each has a reverse on
/// the target (`ownedBy` → `ownerOf`, see `reverse_of`) that readers derive from the same edge.
/// A reference that cannot be read fails the whole entity, as in Backstage, with the field named.
pub fn relations_of(
    kind: &str,
    source: &EntityRef,
    spec: &Map<String, Value>,
) -> Result<Vec<RelationEdge>, EntityError> {
    let kind = kind.to_ascii_lowercase();
    let mut edges: Vec<RelationEdge> = Vec::new();
    for rule in RULES.iter().filter(|r| r.kind == kind) {
        let items: Vec<&Value> = match spec.get(rule.field) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => continue,
            Some(Value::String(s)) if s.is_empty() => continue,
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => vec![other],
        };
        for (i, item) in items.into_iter().enumerate() {
            let field = format!("spec.{}", rule.field);
            let target = reference(item, rule.default_kind, &source.namespace).map_err(|message| {
                EntityError::at(
                    if spec[rule.field].is_array() {
                        format!("{field}.{i}")
                    } else {
                        field
                    },
                    message,
                )
            })?;
            let forward = RelationEdge {
                source: source.clone(),
                relation_type: rule.forward,
                target,
            };
            if !edges.contains(&forward) {
                edges.push(forward);
            }
        }
    }
    Ok(edges)
}

/// Reads one reference: text, or `{kind, namespace, name}` (accepted in `dependencyOf`).
fn reference(item: &Value, default_kind: Option<&str>, namespace: &str) -> Result<EntityRef, String> {
    let hint = |e: RefError| match e {
        RefError::MissingKind(text) => {
            format!("entity reference \"{text}\" needs a kind here, e.g. \"component:{text}\" or \"resource:{text}\"")
        }
        other => other.to_string(),
    };
    match item {
        Value::String(s) if s.is_empty() => Err("an entity reference must not be empty".into()),
        Value::String(s) => EntityRef::parse(s, default_kind, namespace).map_err(hint),
        Value::Object(map) => {
            let part = |k: &str| map.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
            let name = part("name").ok_or("an entity reference mapping needs a `name`")?;
            let kind = part("kind")
                .or(default_kind)
                .ok_or_else(|| format!("entity reference to \"{name}\" needs a `kind`"))?;
            Ok(EntityRef::new(kind, part("namespace").unwrap_or(namespace), name))
        }
        other => Err(format!(
            "an entity reference must be text, not {}",
            super::validate::describe(other)
        )),
    }
}

/// The reverse of a relation type, if it is one of the built-in pairs.
pub fn reverse_of(relation_type: &str) -> Option<&'static str> {
    RELATION_PAIRS.iter().find_map(|(a, b)| {
        if *a == relation_type {
            Some(*b)
        } else if *b == relation_type {
            Some(*a)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn component_fields_become_declared_relations() {
        let me = EntityRef::new("component", "default", "checkout");
        let spec = json!({"owner": "team-a", "system": "shop", "providesApis": ["checkout-api"], "dependsOn": ["resource:db"]});
        let edges = relations_of("Component", &me, spec.as_object().unwrap()).unwrap();
        let text: Vec<String> = edges
            .iter()
            .map(|e| format!("{} {} {}", e.source, e.relation_type, e.target))
            .collect();
        assert!(text.contains(&"component:default/checkout ownedBy group:default/team-a".to_string()));
        assert_eq!(reverse_of("ownedBy"), Some("ownerOf"));
        assert!(text.contains(&"component:default/checkout partOf system:default/shop".to_string()));
        assert!(text.contains(&"component:default/checkout providesApi api:default/checkout-api".to_string()));
        assert!(text.contains(&"component:default/checkout dependsOn resource:default/db".to_string()));
        assert_eq!(
            edges.len(),
            4,
            "the declared edges only; reverses are derived: {text:?}"
        );
    }

    #[test]
    fn references_default_to_the_entitys_namespace() {
        let me = EntityRef::new("user", "ops", "jane");
        let edges = relations_of("User", &me, json!({"memberOf": ["sre"]}).as_object().unwrap()).unwrap();
        assert_eq!(edges[0].target.to_string(), "group:ops/sre");
    }

    #[test]
    fn a_kindless_dependency_fails_the_entity_naming_the_field() {
        let me = EntityRef::new("component", "default", "svc");
        let err = relations_of(
            "Component",
            &me,
            json!({"owner": "a", "dependsOn": ["db"]}).as_object().unwrap(),
        )
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("spec.dependsOn.0"));
        assert!(err.message.contains("needs a kind"), "{err}");
    }
}
