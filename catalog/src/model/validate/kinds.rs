//! The nine built-in kinds: which apiVersions each accepts and what its `spec` must hold.

use serde_json::{Map, Value};

use super::{EntityError, describe};

/// Shapes a spec field may be required to have.
#[derive(Clone, Copy)]
enum Shape {
    /// Non-empty text.
    Text,
    /// A list (possibly empty) of non-empty texts.
    TextList,
    /// `{displayName, email, picture}` texts.
    Profile,
    /// `required` or `optional`.
    Presence,
    /// Anything: the field is known (e.g. for hints) but not checked.
    Any,
}

struct KindSchema {
    kind: &'static str,
    api_versions: &'static [&'static str],
    required: &'static [(&'static str, Shape)],
    optional: &'static [(&'static str, Shape)],
}

const BACKSTAGE: &[&str] = &["backstage.io/v1alpha1", "backstage.io/v1beta1"];
use Shape::*;

const SCHEMAS: &[KindSchema] = &[
    KindSchema {
        kind: "Component",
        api_versions: BACKSTAGE,
        required: &[("type", Text), ("lifecycle", Text), ("owner", Text)],
        optional: &[
            ("system", Text),
            ("subcomponentOf", Text),
            ("providesApis", TextList),
            ("consumesApis", TextList),
            ("dependsOn", TextList),
            ("dependencyOf", Any),
        ],
    },
    KindSchema {
        kind: "API",
        api_versions: BACKSTAGE,
        required: &[
            ("type", Text),
            ("lifecycle", Text),
            ("owner", Text),
            ("definition", Text),
        ],
        optional: &[("system", Text)],
    },
    KindSchema {
        kind: "Resource",
        api_versions: BACKSTAGE,
        required: &[("type", Text), ("owner", Text)],
        optional: &[("dependsOn", TextList), ("system", Text), ("dependencyOf", Any)],
    },
    KindSchema {
        kind: "System",
        api_versions: BACKSTAGE,
        required: &[("owner", Text)],
        optional: &[("domain", Text), ("type", Text)],
    },
    KindSchema {
        kind: "Domain",
        api_versions: BACKSTAGE,
        required: &[("owner", Text)],
        optional: &[("subdomainOf", Text), ("type", Text)],
    },
    KindSchema {
        kind: "Group",
        api_versions: BACKSTAGE,
        required: &[("type", Text), ("children", TextList)],
        optional: &[("profile", Profile), ("parent", Text), ("members", TextList)],
    },
    KindSchema {
        kind: "User",
        api_versions: BACKSTAGE,
        required: &[("memberOf", TextList)],
        optional: &[("profile", Profile)],
    },
    KindSchema {
        kind: "Location",
        api_versions: BACKSTAGE,
        required: &[],
        optional: &[
            ("type", Text),
            ("target", Text),
            ("targets", TextList),
            ("presence", Presence),
        ],
    },
    KindSchema {
        kind: "Template",
        api_versions: &["scaffolder.backstage.io/v1beta3"],
        required: &[("type", Text)],
        optional: &[("owner", Text), ("lifecycle", Text)],
    },
];

/// The built-in kinds, as written in descriptor files.
pub const KNOWN_KINDS: [&str; 9] = [
    "Component",
    "API",
    "Resource",
    "System",
    "Domain",
    "Group",
    "User",
    "Location",
    "Template",
];

/// The canonical spelling of a kind, matched case-insensitively (for URLs and filters).
pub fn known_kind(kind: &str) -> Option<&'static str> {
    KNOWN_KINDS.iter().copied().find(|k| k.eq_ignore_ascii_case(kind))
}

/// True when `key` is a spec field of some built-in kind (for "indent it under spec" hints).
pub fn is_spec_field(key: &str) -> bool {
    SCHEMAS
        .iter()
        .any(|s| s.required.iter().chain(s.optional).any(|(f, _)| *f == key))
}

/// Accepts the entity if its (kind, apiVersion) is built in and its spec has the kind's shape.
pub fn validate_kind(root: &Map<String, Value>) -> Result<(), EntityError> {
    let kind = root.get("kind").and_then(Value::as_str).unwrap_or_default();
    let api_version = root.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let Some(schema) = SCHEMAS
        .iter()
        .find(|s| s.kind == kind && s.api_versions.contains(&api_version))
    else {
        return Err(not_recognized(kind, api_version));
    };
    let Some(spec) = root.get("spec") else {
        return Err(EntityError::whole(format!(
            "the required field `spec` is missing (a {kind} needs one)"
        )));
    };
    let spec = spec
        .as_object()
        .ok_or_else(|| EntityError::at("spec", "must be a mapping of fields"))?;
    if let Some((field, _)) = schema.required.iter().find(|(f, _)| !spec.contains_key(*f)) {
        return Err(EntityError::at(
            "spec",
            format!("the required field `{field}` is missing (a {kind} needs it)"),
        ));
    }
    if kind == "Template" && !spec.contains_key("steps") {
        return Err(EntityError::at(
            "spec",
            "the required field `steps` is missing (a Template needs it)",
        ));
    }
    for (field, shape) in schema.required.iter().chain(schema.optional) {
        if let Some(value) = spec.get(*field) {
            check_shape(&format!("spec.{field}"), value, *shape)?;
        }
    }
    if kind == "Template" {
        template_spec(spec)?;
    }
    Ok(())
}

fn not_recognized(kind: &str, api_version: &str) -> EntityError {
    let message = match KNOWN_KINDS.iter().find(|k| k.eq_ignore_ascii_case(kind)) {
        Some(known) if *known != kind => {
            format!("\"{kind}\" is not recognised; kinds are case-sensitive, write \"{known}\"")
        }
        Some(known) => {
            let expected = SCHEMAS
                .iter()
                .find(|s| s.kind == *known)
                .map(|s| s.api_versions.join(" or "))
                .unwrap_or_default();
            format!("a {known} with apiVersion \"{api_version}\" is not recognised; use {expected}")
        }
        None => format!(
            "\"{kind}\" is not one of the built-in kinds ({})",
            KNOWN_KINDS.join(", ")
        ),
    };
    EntityError::at("kind", message)
}

fn check_shape(field: &str, value: &Value, shape: Shape) -> Result<(), EntityError> {
    let text_ok = |v: &Value| v.as_str().is_some_and(|s| !s.is_empty());
    match shape {
        Text if !text_ok(value) => Err(EntityError::at(field, super::must_be_text(value))),
        TextList => {
            let items = value
                .as_array()
                .ok_or_else(|| EntityError::at(field, format!("must be a list, not {}", describe(value))))?;
            match items.iter().position(|v| !text_ok(v)) {
                Some(i) => Err(EntityError::at(format!("{field}.{i}"), super::must_be_text(&items[i]))),
                None => Ok(()),
            }
        }
        Profile => {
            let map = value
                .as_object()
                .ok_or_else(|| EntityError::at(field, "must be a mapping"))?;
            for key in ["displayName", "email", "picture"] {
                if let Some(v) = map.get(key) {
                    if !text_ok(v) {
                        return Err(EntityError::at(format!("{field}.{key}"), super::must_be_text(v)));
                    }
                }
            }
            Ok(())
        }
        Presence if !matches!(value.as_str(), Some("required" | "optional")) => {
            Err(EntityError::at(field, "must be `required` or `optional`"))
        }
        _ => Ok(()),
    }
}

/// Template specifics (scaffolder.backstage.io/v1beta3): steps, parameters and output shapes.
fn template_spec(spec: &Map<String, Value>) -> Result<(), EntityError> {
    let steps = spec
        .get("steps")
        .and_then(Value::as_array)
        .ok_or_else(|| EntityError::at("spec.steps", "must be a list of steps"))?;
    for (i, step) in steps.iter().enumerate() {
        let at = |f: &str| format!("spec.steps.{i}{f}");
        let step = step
            .as_object()
            .ok_or_else(|| EntityError::at(at(""), "must be a mapping with an `action`"))?;
        if !step.contains_key("action") {
            return Err(EntityError::at(at(""), "the required field `action` is missing"));
        }
        for key in ["action", "id", "name"] {
            if step.get(key).is_some_and(|v| !v.is_string()) {
                return Err(EntityError::at(at(&format!(".{key}")), "must be text"));
            }
        }
        if step.get("input").is_some_and(|v| !v.is_object()) {
            return Err(EntityError::at(at(".input"), "must be a mapping"));
        }
        if step.get("if").is_some_and(|v| !v.is_string() && !v.is_boolean()) {
            return Err(EntityError::at(at(".if"), "must be text or true/false"));
        }
    }
    match spec.get("parameters") {
        None | Some(Value::Object(_)) => {}
        Some(Value::Array(pages)) if pages.iter().all(Value::is_object) => {}
        Some(_) => {
            return Err(EntityError::at(
                "spec.parameters",
                "must be a mapping or a list of mappings",
            ));
        }
    }
    if let Some(output) = spec.get("output") {
        let output = output
            .as_object()
            .ok_or_else(|| EntityError::at("spec.output", "must be a mapping"))?;
        for (key, value) in output {
            let ok = match key.as_str() {
                "links" | "text" => value.as_array().is_some_and(|items| items.iter().all(Value::is_object)),
                _ => value.is_string(),
            };
            if !ok {
                return Err(EntityError::at(format!("spec.output.{key}"), "has the wrong shape"));
            }
        }
    }
    for key in ["secrets", "presentation", "EXPERIMENTAL_recovery"] {
        if spec.get(key).is_some_and(|v| !v.is_object()) {
            return Err(EntityError::at(format!("spec.{key}"), "must be a mapping"));
        }
    }
    Ok(())
}
