//! SLO definitions read unchanged from their own formats into [`Slo`]s: OpenSLO v1 (`SLO`, `SLI`,
//! `DataSource`, `AlertPolicy`, `AlertCondition`, inline or referenced by name), Sloth
//! (`prometheus/v1` files and `PrometheusServiceLevel`) and Pyrra (`ServiceLevelObjective`).
//!
//! Works on parsed documents (JSON values), so it is pure; the backend's `read` turns a file's
//! bytes into documents and each error's field into a line. Documents of other kinds (catalog
//! entities sharing the file) are passed over; a document of one of these formats that cannot be
//! read is an error naming its field, and never hides the other documents.

mod fields;
mod openslo;
mod pyrra;
mod sloth;

use serde::Serialize;
use serde_json::Value;

use crate::model::{Format, Slo};
use fields::Node;

/// The annotation that says which catalog entity an SLO belongs to (`component:default/payments`;
/// kind `component` and namespace `default` when left out).
pub const ENTITY_ANNOTATION: &str = "cairn.dev/entity";

/// A problem with one field of a definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
#[serde(rename_all = "camelCase")]
pub struct DefinitionError {
    /// Dotted path in the document (`spec.slos.0.objective`); empty for the whole document.
    pub field: String,
    pub message: String,
}

/// An SLO and where in its document it was defined.
#[derive(Clone, Debug, PartialEq)]
pub struct Defined {
    pub document: usize,
    /// The field path of the definition (`slos.1`, `metadata`), for its line.
    pub path: String,
    pub slo: Slo,
}

/// A document that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub document: usize,
    pub error: DefinitionError,
}

/// Everything read from a set of documents (one file, or several that refer to each other).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Definitions {
    pub slos: Vec<Defined>,
    pub refused: Vec<Refused>,
    /// Documents of no SLO format (catalog entities, other manifests).
    pub other: usize,
}

/// Which format a document is written in, if any of ours.
pub fn format_of(value: &Value) -> Option<(Format, &str)> {
    let api = value.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or_default();
    if api.starts_with("openslo/") {
        return Some((Format::OpenSlo, kind));
    }
    if api.starts_with("sloth.slok.dev/") {
        return Some((Format::SlothKubernetes, kind));
    }
    if api.starts_with("pyrra.dev/") {
        return Some((Format::Pyrra, kind));
    }
    if value
        .get("version")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("prometheus/"))
    {
        return Some((Format::Sloth, ""));
    }
    None
}

/// Reads the definitions of `documents` (index in their file, parsed value). OpenSLO references
/// (`indicatorRef`, `alertPolicyRef`, `conditionRef`, `metricSourceRef`) resolve among them.
pub fn definitions(documents: &[(usize, &Value)]) -> Definitions {
    let mut out = Definitions::default();
    let index = openslo::Index::build(documents);
    for &(document, value) in documents {
        let root = Node::root(value);
        let result = match format_of(value) {
            None => {
                out.other += 1;
                continue;
            }
            Some((Format::OpenSlo, _)) => openslo::read(&root, &index),
            Some((Format::Sloth, _)) => sloth::read_file(&root),
            Some((Format::SlothKubernetes, _)) => sloth::read_kubernetes(&root),
            Some((Format::Pyrra, _)) => pyrra::read(&root),
        };
        match result {
            Ok(found) => out
                .slos
                .extend(found.into_iter().map(|(path, slo)| Defined { document, path, slo })),
            Err(error) => out.refused.push(Refused { document, error }),
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = Vec::new();
    for defined in &out.slos {
        if !seen.insert(defined.slo.id.clone()) {
            duplicates.push(Refused {
                document: defined.document,
                error: DefinitionError {
                    field: defined.path.clone(),
                    message: format!("a second SLO with id `{}` in the same file", defined.slo.id),
                },
            });
        }
    }
    if !duplicates.is_empty() {
        let ids: std::collections::HashSet<(usize, String)> =
            duplicates.iter().map(|r| (r.document, r.error.field.clone())).collect();
        out.slos.retain(|d| !ids.contains(&(d.document, d.path.clone())));
        out.refused.extend(duplicates);
    }
    out
}

/// The entity named by the `cairn.dev/entity` annotation, if any.
fn entity_annotation(metadata: &Node) -> Result<Option<catalog::model::entity_ref::EntityRef>, DefinitionError> {
    let annotations = metadata.get("annotations");
    let node = annotations.get(ENTITY_ANNOTATION);
    let Some(text) = node.str()? else {
        return Ok(None);
    };
    catalog::model::entity_ref::EntityRef::parse(text.trim(), Some("component"), "default")
        .map(Some)
        .map_err(|e| node.error(e.to_string()))
}

/// Checks what every format shares: a name of at most 253 characters, an objective in (0, 1).
fn check_common(node: &Node, slo: &Slo) -> Result<(), DefinitionError> {
    if slo.name.is_empty() || slo.name.len() > 253 {
        return Err(node.error("the SLO needs a name of at most 253 characters"));
    }
    if !(slo.objective > 0.0 && slo.objective < 1.0) {
        return Err(node.error("the objective must be above 0% and below 100%"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
