//! SLO files in `cairn validate`: a file holding OpenSLO, Sloth or Pyrra documents is checked as
//! SLOs (each definition, each problem with its file, line and field), and the files a catalog
//! entity lists in `cairn.dev/slo-files` are checked beside it, as the portal would read them.

use std::path::Path;

use catalog::read::{ReadLimits, read_documents};
use serde::Serialize;
use slo::belong::{SLO_FILES_ANNOTATION, listed_files};
use slo::read::read_file;

use crate::slo_rules::read_bounded;

/// One line of the verdict: an SLO read, or a problem where it is.
#[derive(Clone, Debug, Serialize)]
pub struct SloVerdict {
    pub file: String,
    pub line: usize,
    pub ok: bool,
    /// The SLO's id in its file (when read).
    pub slo: Option<String>,
    pub field: Option<String>,
    pub error: Option<String>,
}

/// The verdicts of `path` when it holds SLO documents; `None` when it holds none (a catalog file).
pub fn check(path: &Path, shown: &str, limits: &ReadLimits) -> Option<Vec<SloVerdict>> {
    let bytes = read_bounded(path, limits.max_file_bytes).ok()?;
    let file = read_file(shown, &bytes, limits).ok()?;
    if file.slos.is_empty() && file.problems.is_empty() {
        return None;
    }
    Some(verdicts(shown, file))
}

/// The SLO files the entities of catalog file `path` list, each checked (one that cannot be read
/// or holds no SLO is an error at the annotation's entity file).
pub fn listed(path: &Path, shown: &str, limits: &ReadLimits) -> Vec<SloVerdict> {
    let Ok(bytes) = read_bounded(path, limits.max_file_bytes) else {
        return Vec::new();
    };
    let Ok(documents) = read_documents(&bytes, limits) else {
        return Vec::new();
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let shown_dir = Path::new(shown).parent().unwrap_or(Path::new(""));
    let mut out = Vec::new();
    for doc in documents {
        let Ok(Some(value)) = doc.value else { continue };
        let Some(annotation) = value["metadata"]["annotations"][SLO_FILES_ANNOTATION].as_str() else {
            continue;
        };
        let error = |message: String| SloVerdict {
            file: shown.to_string(),
            line: doc.first_line,
            ok: false,
            slo: None,
            field: Some(format!("metadata.annotations.{SLO_FILES_ANNOTATION}")),
            error: Some(message),
        };
        let files = match listed_files(annotation, "") {
            Ok(files) => files,
            Err(e) => {
                out.push(error(e));
                continue;
            }
        };
        for file in files {
            let listed_shown = shown_dir.join(&file).display().to_string();
            match check(&dir.join(&file), &listed_shown, limits) {
                Some(verdicts) => out.extend(verdicts),
                None => out.push(error(format!(
                    "`{file}` cannot be read or holds no SLO definition (OpenSLO, Sloth or Pyrra)"
                ))),
            }
        }
    }
    out
}

fn verdicts(shown: &str, file: slo::read::SloFile) -> Vec<SloVerdict> {
    let mut out: Vec<SloVerdict> = file
        .slos
        .iter()
        .map(|s| SloVerdict {
            file: shown.to_string(),
            line: s.origin.as_ref().map_or(1, |o| o.line),
            ok: true,
            slo: Some(s.id.clone()),
            field: None,
            error: None,
        })
        .collect();
    out.extend(file.problems.into_iter().map(|p| SloVerdict {
        file: shown.to_string(),
        line: p.line,
        ok: false,
        slo: None,
        field: p.field,
        error: Some(p.message),
    }));
    out.sort_by_key(|v| v.line);
    out
}
