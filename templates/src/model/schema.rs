//! The parameter pages as JSON Schema (draft 7, as react-jsonschema-form reads it) with Backstage's
//! `ui:` extensions: the fields a page shows for the current values, and validation of values.
//! Used by the server before a task is created and by the wizard as people type.

mod check;
mod defaults;
mod form;
mod keywords;
mod repo_url;
mod resolve;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ModelError, ParameterPage};

pub use check::visit;
pub use form::{Field, FieldKind, Picker, SUPPORTED_FIELDS};
pub use repo_url::RepoUrl;

/// How deep schemas and values are followed: deeper nesting is reported, never recursed into.
pub const MAX_DEPTH: usize = 32;

/// A value that breaks the schema: its field (a dotted path, `repoUrl`, `db.size`) and what is wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    fn at(path: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

/// Checks the values against every page. Empty when they are acceptable.
pub fn validate(pages: &[ParameterPage], values: &Map<String, Value>) -> Vec<FieldError> {
    pages.iter().flat_map(|page| validate_page(page, values)).collect()
}

/// Checks the values against one page (the wizard validates a page before moving on).
pub fn validate_page(page: &ParameterPage, values: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    keywords::check(&page.schema, &Value::Object(values.clone()), "", 0, &mut errors);
    errors
}

/// Malformed schemas (a `properties` that is not a mapping, a bad `pattern`), each naming its field
/// (`spec.parameters.0.properties.name.pattern`).
pub fn check_schema(pages: &[ParameterPage]) -> Vec<ModelError> {
    check::malformed(pages)
}

/// The values with every `default` of the pages filled in where no value was given (nested
/// objects too, and the fields a chosen branch of a conditional schema brings).
pub fn with_defaults(pages: &[ParameterPage], values: &Map<String, Value>) -> Map<String, Value> {
    let mut values = values.clone();
    for page in pages {
        defaults::fill(&page.schema, &mut values, 0);
    }
    values
}

/// The fields the page shows for the current values (conditional branches resolved), in the
/// page's `ui:order` when it has one.
pub fn fields(page: &ParameterPage, values: &Map<String, Value>) -> Vec<Field> {
    form::fields(&page.schema, values, "", 0)
}

/// Whether a value counts as not given: absent, `null` or an empty text (rjsf turns an emptied
/// input into `undefined`, so `required` fails on it).
fn is_blank(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

/// `parent.child`, or `child` at the top.
fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// A value as a person reads it in a message: text without quotes, anything else as JSON.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A `pattern` compiled with bounds on its size (patterns come from templates anyone may write).
fn pattern(source: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(source)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
}
