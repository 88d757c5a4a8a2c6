//! From a parsed YAML document to a processed entity: envelope, placeholders, validation and
//! relations, in Backstage's order. Shared by `cairn validate` and catalog ingestion, so the
//! linter and the catalog can never disagree.

pub mod files;
pub mod placeholders;

use serde_json::Value;

use crate::model::{
    EntityError, EntityRef, RelationEdge, check_envelope, relations_of, sort_reference_lists, validate_entity,
};
use crate::read::{Document, locate};
use placeholders::{PlaceholderError, Resolver};

/// What went wrong with a document, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub category: Category,
    /// Dotted path of the field at fault, when one is.
    pub field: Option<String>,
    /// 1-based line in the file.
    pub line: Option<usize>,
    pub message: String,
}

/// Kinds of problem: only `Invalid` and `Yaml` mean the descriptor itself is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Yaml,
    Invalid,
    /// A placeholder's content could not be fetched; the descriptor may be fine.
    Fetch,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A valid entity: its processed JSON (defaults applied, reference lists sorted) and relations.
#[derive(Clone, Debug)]
pub struct Processed {
    pub entity: Value,
    pub relations: Vec<RelationEdge>,
}

/// The outcome for one document.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub index: usize,
    /// Known once the envelope is valid, even when later checks fail.
    pub entity_ref: Option<EntityRef>,
    /// `kind` as written.
    pub kind: Option<String>,
    /// `Ok(None)`: an empty document, skipped.
    pub result: Result<Option<Processed>, Problem>,
}

/// Processes one document of a file. `text` is the whole file (for error lines).
pub fn process_document(doc: &Document, text: &str, resolver: &dyn Resolver) -> Outcome {
    let mut outcome = Outcome {
        index: doc.index,
        entity_ref: None,
        kind: None,
        result: Ok(None),
    };
    let value = match &doc.value {
        Err(e) => {
            outcome.result = Err(Problem {
                category: Category::Yaml,
                field: None,
                line: Some(e.line),
                message: e.message.clone(),
            });
            return outcome;
        }
        Ok(None) => return outcome,
        Ok(Some(value)) => value,
    };
    // Only a failing document needs its text (to find the line of a field): finding it walks the file.
    let problem = |e: EntityError| Problem {
        category: Category::Invalid,
        line: e
            .field
            .as_deref()
            .and_then(|f| locate::line_of(document_text(text, doc), f))
            .map(|l| l + doc.first_line - 1)
            .or(Some(doc.first_line)),
        field: e.field,
        message: e.message,
    };
    let entity_ref = match check_envelope(value) {
        Ok(r) => r,
        Err(e) => {
            outcome.result = Err(problem(e));
            return outcome;
        }
    };
    outcome.kind = value.get("kind").and_then(Value::as_str).map(str::to_string);
    outcome.entity_ref = Some(entity_ref.clone());
    let mut entity = value.clone();
    if let Err((field, err)) = placeholders::resolve(&mut entity, resolver) {
        let category = match err {
            PlaceholderError::Fetch { .. } => Category::Fetch,
            PlaceholderError::Invalid { .. } => Category::Invalid,
        };
        let mut p = problem(EntityError::at(field, err.to_string()));
        p.category = category;
        outcome.result = Err(p);
        return outcome;
    }
    if let Some(Value::Object(spec)) = entity.get_mut("spec") {
        sort_reference_lists(spec);
    }
    if let Err(e) = validate_entity(&entity) {
        outcome.result = Err(problem(e));
        return outcome;
    }
    apply_defaults(&mut entity);
    let kind = outcome.kind.clone().unwrap_or_default();
    let spec = entity
        .get("spec")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    outcome.result = match relations_of(&kind, &entity_ref, &spec) {
        Ok(relations) => Ok(Some(Processed { entity, relations })),
        Err(e) => Err(problem(e)),
    };
    outcome
}

/// The namespace Backstage fills in when it is missing.
fn apply_defaults(entity: &mut Value) {
    if let Some(Value::Object(metadata)) = entity.get_mut("metadata") {
        metadata
            .entry("namespace")
            .or_insert_with(|| Value::String(crate::model::DEFAULT_NAMESPACE.into()));
    }
}

/// The text of one document within the file (from its first line to the next document's).
fn document_text<'a>(text: &'a str, doc: &Document) -> &'a str {
    let start = text
        .split_inclusive('\n')
        .take(doc.first_line - 1)
        .map(str::len)
        .sum::<usize>();
    let rest = &text[start.min(text.len())..];
    // The next document marker after this document's own first line ends it.
    let mut offset = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        if i > 0 && (line.starts_with("---") || line.starts_with("...")) {
            return &rest[..offset];
        }
        offset += line.len();
    }
    rest
}
