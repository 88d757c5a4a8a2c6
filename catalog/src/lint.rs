//! `cairn validate`: lints descriptor files as a repository's CI would. Uses the same processing
//! as ingestion; the only difference is that placeholders which cannot be fetched (URLs, missing
//! files) are warnings here, because they say nothing about the descriptor itself.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::process::{
    Category,
    files::FileResolver,
    placeholders::{PlaceholderError, Resolver},
    process_document,
};
use crate::read::{FileError, ReadLimits, read_documents};

/// One line of `--format json`: the verdict on one YAML document.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Verdict {
    pub file: String,
    pub document: usize,
    pub ok: bool,
    pub entity_ref: Option<String>,
    pub error: Option<String>,
    /// Not part of the JSON line (printed to stderr): problems that do not make the document invalid.
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// Not part of the JSON line: the entity's own relations (`type target`), for the conformance tests.
    #[serde(skip)]
    pub relations: Vec<(String, String)>,
}

/// A file that could not be linted at all.
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    File { path: String, source: FileError },
}

/// Lints one file. `root` bounds where placeholders may read; `shown` is how the file is named in output.
pub fn lint_file(path: &Path, root: &Path, shown: &str, limits: &ReadLimits) -> Result<Vec<Verdict>, LintError> {
    let io = |source| LintError::Io {
        path: shown.to_string(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > limits.max_file_bytes as u64 {
        let source = FileError::TooLarge {
            size: size as usize,
            limit: limits.max_file_bytes,
        };
        return Err(LintError::File {
            path: shown.to_string(),
            source,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let documents = read_documents(&bytes, limits).map_err(|source| LintError::File {
        path: shown.to_string(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let dir = path.parent().unwrap_or(Path::new("."));
    let resolver = LenientResolver {
        inner: FileResolver { dir, root },
        warnings: RefCell::new(Vec::new()),
    };
    Ok(documents
        .iter()
        .map(|doc| {
            let outcome = process_document(doc, &text, &resolver);
            let mut warnings = resolver.warnings.take();
            let (ok, error, relations) = match outcome.result {
                Ok(Some(processed)) => {
                    let me = outcome.entity_ref.clone();
                    let relations = processed
                        .relations
                        .iter()
                        .filter(|r| Some(&r.source) == me.as_ref())
                        .map(|r| (r.relation_type.to_string(), r.target.to_string()))
                        .collect();
                    (true, None, relations)
                }
                Ok(None) => {
                    warnings.push("empty document, skipped".into());
                    (true, None, Vec::new())
                }
                Err(problem) if problem.category == Category::Fetch => {
                    warnings.push(problem.to_string());
                    (true, None, Vec::new())
                }
                Err(problem) => (false, Some(problem.to_string()), Vec::new()),
            };
            Verdict {
                file: shown.to_string(),
                document: doc.index,
                ok,
                entity_ref: outcome.entity_ref.map(|r| r.to_string()),
                error,
                warnings,
                relations,
            }
        })
        .collect())
}

/// Files to lint under `path`: the file itself, or every `catalog-info.yaml`/`.yml` below a directory.
pub fn collect_files(path: &Path, max_files: usize) -> Result<Vec<PathBuf>, LintError> {
    let io = |source| LintError::Io {
        path: path.display().to_string(),
        source,
    };
    if !std::fs::metadata(path).map_err(io)?.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir).map_err(io)?.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().to_string();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && !name.starts_with('.') && name != "node_modules" && name != "target" {
                pending.push(entry.path());
            } else if kind.is_file() && (name == "catalog-info.yaml" || name == "catalog-info.yml") {
                found.push(entry.path());
                if found.len() > max_files {
                    return Err(io(std::io::Error::other(format!(
                        "more than {max_files} catalog files"
                    ))));
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Resolves what it can; what cannot be fetched becomes a warning and a stand-in value.
struct LenientResolver<'a> {
    inner: FileResolver<'a>,
    warnings: RefCell<Vec<String>>,
}

impl Resolver for LenientResolver<'_> {
    fn read(&self, target: &str) -> Result<String, PlaceholderError> {
        match self.inner.read(target) {
            Err(PlaceholderError::Fetch { reason, .. }) => {
                self.warnings
                    .borrow_mut()
                    .push(format!("placeholder target {target} was not read: {reason}"));
                Ok("\"(not fetched)\"".to_string())
            }
            other => other,
        }
    }
}
