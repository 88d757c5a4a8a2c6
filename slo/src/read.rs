//! SLO files: the catalog's bounded multi-document YAML reader (file size, documents, depth and
//! alias expansion bounded by [`ReadLimits`]), then [`crate::define`] on the documents, every
//! problem carrying its file, line and field as catalog files' problems do.

use catalog::read::{Document, FileError, ReadLimits, locate::line_of, read_documents};
use serde::Serialize;

use crate::define::{self, Definitions};
use crate::model::{Origin, Slo};

/// One problem of a file: where, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{file}:{line}: {}{message}", field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default())]
pub struct Problem {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// The document's 0-based index, when the problem is in one.
    pub document: Option<usize>,
    /// Dotted path of the field (`spec.objectives.0.target`).
    pub field: Option<String>,
    pub message: String,
}

/// What a file holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SloFile {
    pub slos: Vec<Slo>,
    pub problems: Vec<Problem>,
    /// Documents of no SLO format (catalog entities, other manifests), passed over.
    pub other_documents: usize,
}

/// Reads the SLOs of a file named `file` (as shown in messages). A file that cannot be read at
/// all (too large, binary, too many documents) is one problem; otherwise each document stands
/// alone, so a broken one never hides the others.
pub fn read_file(file: &str, bytes: &[u8], limits: &ReadLimits) -> Result<SloFile, Problem> {
    let documents = read_documents(bytes, limits).map_err(|e| Problem {
        file: file.to_string(),
        line: match e {
            FileError::Binary { line } | FileError::NotUtf8 { line } => line,
            FileError::TooLarge { .. } | FileError::TooManyDocuments { .. } => 1,
        },
        document: None,
        field: None,
        message: e.to_string(),
    })?;
    // Readable as UTF-8 now that the reader accepted it.
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = SloFile::default();
    let mut values = Vec::new();
    for doc in &documents {
        match &doc.value {
            Ok(Some(value)) => values.push((doc.index, value)),
            Ok(None) => {}
            Err(e) if looks_like_slo(document_text(text, &documents, doc.index)) => out.problems.push(Problem {
                file: file.to_string(),
                line: e.line,
                document: Some(doc.index),
                field: None,
                message: e.message.clone(),
            }),
            // Unreadable YAML that is not ours is the catalog's to report.
            Err(_) => out.other_documents += 1,
        }
    }
    let Definitions { slos, refused, other } = define::definitions(&values);
    out.other_documents += other;
    let line = |document: usize, field: &str| -> usize {
        let first = documents.get(document).map_or(1, |d| d.first_line);
        let doc = document_text(text, &documents, document);
        dotted_key_line(doc, field)
            .or_else(|| line_of(doc, field))
            .map_or(first, |l| l + first - 1)
    };
    for r in refused {
        out.problems.push(Problem {
            file: file.to_string(),
            line: line(r.document, &r.error.field),
            document: Some(r.document),
            field: (!r.error.field.is_empty()).then_some(r.error.field),
            message: r.error.message,
        });
    }
    for defined in slos {
        let mut slo = defined.slo;
        slo.origin = Some(Origin {
            file: file.to_string(),
            document: defined.document,
            line: line(defined.document, &defined.path),
        });
        out.slos.push(slo);
    }
    out.problems.sort_by_key(|p| p.line);
    Ok(out)
}

/// The text of document `index`: from its first line to the next document's.
fn document_text<'a>(text: &'a str, documents: &[Document], index: usize) -> &'a str {
    let Some(doc) = documents.get(index) else {
        return "";
    };
    let offset_of = |line: usize| -> usize {
        text.split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum::<usize>()
            .min(text.len())
    };
    let start = offset_of(doc.first_line);
    let end = documents
        .get(index + 1)
        .map_or(text.len(), |next| offset_of(next.first_line));
    &text[start..end.max(start)]
}

/// The line of an annotation or label whose key holds dots (`metadata.annotations.cairn.dev/entity`),
/// which a dotted path cannot name: the first line of the document writing that key.
fn dotted_key_line(text: &str, field: &str) -> Option<usize> {
    let key = ["annotations.", "labels."]
        .iter()
        .find_map(|map| field.split_once(map).map(|(_, key)| key))
        .filter(|key| key.contains('.'))?;
    text.lines()
        .position(|l| {
            let l = l.trim_start().trim_start_matches(['"', '\'']);
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start_matches(['"', '\'']).trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

/// A document that failed to parse but names one of the SLO formats.
fn looks_like_slo(text: &str) -> bool {
    ["openslo/", "sloth.slok.dev/", "pyrra.dev/", "prometheus/v1"]
        .iter()
        .any(|marker| text.contains(marker))
}

#[cfg(test)]
mod tests;
