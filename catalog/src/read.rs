//! Reading descriptor files safely: bounded YAML, one result per document, lines for errors.

pub mod documents;
pub mod locate;
pub mod yaml;

pub use documents::{Document, FileError, ReadLimits, read_documents};
pub use yaml::{YamlError, YamlLimits};
