//! A descriptor file split into its YAML documents, each parsed on its own so that one broken
//! document never hides the others. Bounded: file size, document count, and per-document limits.

use serde_json::Value;

use super::yaml::{YamlError, YamlLimits, parse_document};

/// Bounds for reading one file: `catalog.reading` in the configuration, and `cairn validate`'s
/// options. The defaults take every real file Backstage reads (directories of tens of thousands
/// of Users and Groups in one file included).
#[derive(Clone, Copy, Debug)]
pub struct ReadLimits {
    /// `catalog.reading.maxFileBytes`.
    pub max_file_bytes: usize,
    /// `catalog.reading.maxDocuments`.
    pub max_documents: usize,
    pub yaml: YamlLimits,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_file_bytes: 16 * 1024 * 1024,
            max_documents: 100_000,
            yaml: YamlLimits::default(),
        }
    }
}

/// Why a whole file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error(
        "the file is {size} bytes, more than the {limit}-byte limit on a file (catalog.reading.maxFileBytes, or validate's --max-file-size, raises it)"
    )]
    TooLarge { size: usize, limit: usize },
    #[error("the file is binary, not YAML (NUL byte on line {line})")]
    Binary { line: usize },
    #[error("the file is not valid UTF-8 text (line {line})")]
    NotUtf8 { line: usize },
    #[error(
        "the file has more than {limit} YAML documents, the limit on a file (catalog.reading.maxDocuments, or validate's --max-documents, raises it)"
    )]
    TooManyDocuments { limit: usize },
}

/// One YAML document of a file.
#[derive(Clone, Debug)]
pub struct Document {
    /// 0-based position in the file, as Backstage counts documents.
    pub index: usize,
    /// 1-based line of the document's first line in the file.
    pub first_line: usize,
    /// The parsed value (`None` for an empty document), or the YAML error with its line in the file.
    pub value: Result<Option<Value>, YamlError>,
}

/// Splits and parses `bytes`.
pub fn read_documents(bytes: &[u8], limits: &ReadLimits) -> Result<Vec<Document>, FileError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(FileError::TooLarge {
            size: bytes.len(),
            limit: limits.max_file_bytes,
        });
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(FileError::Binary {
            line: line_of(bytes, at),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| FileError::NotUtf8 {
        line: line_of(bytes, e.valid_up_to()),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let chunks = split(text);
    if chunks.len() > limits.max_documents {
        return Err(FileError::TooManyDocuments {
            limit: limits.max_documents,
        });
    }
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(index, (first_line, chunk))| Document {
            index,
            first_line,
            value: parse_document(chunk, limits.yaml).map_err(|e| YamlError {
                line: e.line + first_line - 1,
                message: e.message,
            }),
        })
        .collect())
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Cuts the text at document markers (`---` or `...` at the start of a line), returning each
/// document's first line and text. Comments and directives before the first `---` belong to that
/// document, as in the `yaml` package Backstage uses; a `---` at the very end makes an empty document.
fn split(text: &str) -> Vec<(usize, &str)> {
    let mut chunks = Vec::new();
    let mut start = 0usize; // byte offset of the current chunk
    let mut start_line = 1usize;
    let mut offset = 0usize;
    let mut seen_start_marker = false;
    let mut ended = false; // after `...`, the next content starts a document without `---`
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let number = number + 1;
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_start = bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t");
        let is_end = bare == "..." || bare.starts_with("... ");
        if is_start {
            let before = &text[start..offset];
            if seen_start_marker || has_content(before) && !ended {
                chunks.push((start_line, before));
            }
            start = offset;
            start_line = number;
            seen_start_marker = true;
            ended = false;
        } else if is_end {
            chunks.push((start_line, &text[start..offset + line.len()]));
            start = offset + line.len();
            start_line = number + 1;
            seen_start_marker = false;
            ended = true;
        } else if ended && has_content(line) {
            ended = false;
        }
        offset += line.len();
    }
    let rest = &text[start..];
    if seen_start_marker || has_content(rest) || chunks.is_empty() && !ended {
        chunks.push((start_line, rest));
    }
    chunks
}

/// True when the text holds more than blank lines, comments and directives.
fn has_content(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str) -> Vec<Document> {
        read_documents(text.as_bytes(), &ReadLimits::default()).expect("readable")
    }

    #[test]
    fn documents_are_split_and_numbered_with_file_lines() {
        let d = docs("# head\n---\na: 1\n---\nb: [oops\n---\nc: 3\n");
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].value.as_ref().unwrap().as_ref().unwrap()["a"], 1);
        let err = d[1].value.as_ref().unwrap_err();
        assert!(err.line >= 5, "line in the file, not the chunk: {err:?}");
        assert_eq!(
            d[2].value.as_ref().unwrap().as_ref().unwrap()["c"],
            3,
            "a broken document does not hide the next"
        );
    }

    #[test]
    fn a_trailing_marker_is_an_empty_document() {
        let d = docs("a: 1\n---\n");
        assert_eq!(d.len(), 2);
        assert!(d[1].value.as_ref().unwrap().is_none());
    }

    #[test]
    fn a_single_document_without_markers() {
        let d = docs("a: 1\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].first_line, 1);
    }

    #[test]
    fn oversized_binary_and_non_utf8_files_are_refused() {
        let limits = ReadLimits {
            max_file_bytes: 10,
            ..ReadLimits::default()
        };
        assert!(matches!(
            read_documents(b"a: 123456789012", &limits),
            Err(FileError::TooLarge { .. })
        ));
        assert_eq!(
            read_documents(b"a: 1\nb: \0\n", &ReadLimits::default()).unwrap_err(),
            FileError::Binary { line: 2 }
        );
        assert_eq!(
            read_documents(b"a: 1\nb: \xff\xfe\n", &ReadLimits::default()).unwrap_err(),
            FileError::NotUtf8 { line: 2 }
        );
    }

    /// The shape of a real directory export Backstage reads: one file of 10 326 Users and Groups,
    /// 2.7 MB (the old limits, 1 MiB and 10 000 documents, refused it whole).
    #[test]
    fn a_directory_of_ten_thousand_users_and_groups_in_one_file_is_read_whole() {
        let mut text = String::new();
        for i in 0..10_326 {
            let (kind, spec) = if i % 9 == 0 {
                (
                    "Group",
                    format!(
                        "  type: team\n  profile:\n    displayName: Team {i}\n  children: []\n  members: [user-{}]\n",
                        i + 1
                    ),
                )
            } else {
                (
                    "User",
                    format!(
                        "  profile:\n    displayName: Person Number {i}\n    email: person.number.{i}@example.com\n  memberOf: [team-{}]\n",
                        i / 9 * 9
                    ),
                )
            };
            text.push_str(&format!(
                "---\napiVersion: backstage.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: {}-{i}\n  annotations:\n    example.com/directory-id: \"{i:08}-0000-4000-8000-000000000000\"\nspec:\n{spec}",
                kind.to_lowercase()
            ));
        }
        assert!((2_500_000..3_000_000).contains(&text.len()), "{} bytes", text.len());
        let documents = read_documents(text.as_bytes(), &ReadLimits::default()).expect("read whole");
        assert_eq!(documents.len(), 10_326);
        assert!(documents.iter().all(|d| matches!(d.value, Ok(Some(_)))));
    }

    #[test]
    fn a_file_over_a_limit_names_the_setting_that_raises_it() {
        let limits = ReadLimits {
            max_file_bytes: 10,
            max_documents: 2,
            ..ReadLimits::default()
        };
        let too_large = read_documents(b"a: 123456789012", &limits)
            .expect_err("too large")
            .to_string();
        assert!(too_large.contains("catalog.reading.maxFileBytes"), "{too_large}");
        let too_many = read_documents(
            b"a: 1\n---\nb: 2\n---\nc: 3\n",
            &ReadLimits {
                max_file_bytes: 100,
                ..limits
            },
        )
        .unwrap_err()
        .to_string();
        assert!(too_many.contains("catalog.reading.maxDocuments"), "{too_many}");
    }
}
