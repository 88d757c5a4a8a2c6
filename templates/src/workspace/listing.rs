//! The workspace's files as a dry run's preview shows them: path, size, executable bit, and the
//! text of small text files.

use serde::{Deserialize, Serialize};

use super::{Workspace, WorkspaceError, io, tree};

/// A file of the workspace, as a dry run's preview shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedFile {
    /// Relative to the workspace, `/`-separated.
    pub path: String,
    pub size: u64,
    pub executable: bool,
    /// The content when it is text of at most [`PREVIEW_BYTES`]; `None` for binary or larger files.
    pub text: Option<String>,
}

/// Largest file whose text [`Workspace::files`] includes.
pub const PREVIEW_BYTES: u64 = 256 * 1024;

impl Workspace {
    /// Every regular file of the workspace, sorted by path (symbolic links are left out).
    pub fn files(&self) -> Result<Vec<GeneratedFile>, WorkspaceError> {
        let entries = tree::walk(
            &self.root,
            tree::Symlinks::Skip,
            self.limits.max_files.saturating_mul(4),
        )?;
        let mut files = Vec::new();
        for entry in entries.into_iter().filter(|e| !e.is_dir) {
            let text = if entry.size <= PREVIEW_BYTES {
                let bytes = std::fs::read(self.root.join(&entry.path)).map_err(|source| io(&entry.path, source))?;
                as_text(&bytes).map(str::to_string)
            } else {
                None
            };
            files.push(GeneratedFile {
                path: entry.path,
                size: entry.size,
                executable: entry.executable,
                text,
            });
        }
        Ok(files)
    }
}

/// Text when `bytes` are UTF-8 without NUL bytes; `None` for binary content.
pub fn as_text(bytes: &[u8]) -> Option<&str> {
    if bytes.contains(&0) {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}
