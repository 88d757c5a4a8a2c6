//! The directory a task writes into, and the only door to it: every path an action touches is
//! resolved here, refusing `..`, absolute paths and symlinks, and every byte written is counted.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Bounds on what one task may do.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Files in the workspace.
    pub max_files: usize,
    /// Bytes of one file.
    pub max_file_bytes: u64,
    /// Bytes of the whole workspace.
    pub max_total_bytes: u64,
    /// Wall-clock time of the whole task.
    pub max_duration: Duration,
    /// Template evaluation steps allowed per rendering (minijinja fuel): stops endless loops.
    pub render_fuel: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_files: 10_000,
            max_file_bytes: 10 * 1024 * 1024,
            max_total_bytes: 200 * 1024 * 1024,
            max_duration: Duration::from_secs(600),
            render_fuel: 5_000_000,
        }
    }
}

/// A path or size the workspace refuses, naming the path.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("`{path}` is outside the workspace: {reason}")]
    Outside { path: String, reason: &'static str },
    #[error("`{path}`: {message}")]
    TooLarge { path: String, message: String },
    #[error("`{path}`: {source}")]
    Io { path: String, source: std::io::Error },
}

/// A task's working directory.
#[derive(Clone, Debug)]
pub struct Workspace {
    root: PathBuf,
    limits: Limits,
}

impl Workspace {
    /// A workspace over an existing, empty directory.
    pub fn new(root: PathBuf, limits: Limits) -> Workspace {
        Workspace { root, limits }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}
