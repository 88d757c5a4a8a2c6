//! The directory a task writes into, and the only door to it: every path an action touches is
//! resolved here, refusing `..`, absolute paths and symlinks, and every byte written is counted.

mod listing;
mod ops;
pub mod tree;
mod usage;

pub use listing::{GeneratedFile, PREVIEW_BYTES, as_text};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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
    /// The operation does not fit what is there (a directory where a file goes, a file that
    /// would be overwritten).
    #[error("`{path}` {message}")]
    Refused { path: String, message: String },
}

/// A task's working directory.
#[derive(Clone, Debug)]
pub struct Workspace {
    root: PathBuf,
    limits: Limits,
    /// Sizes of the files written so far, shared by every clone (one per step).
    usage: Arc<Mutex<Option<usage::Usage>>>,
}

impl Workspace {
    /// A workspace over an existing, empty directory.
    pub fn new(root: PathBuf, limits: Limits) -> Workspace {
        Workspace {
            root,
            limits,
            usage: Arc::default(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The absolute path of `relative`, refusing NUL bytes, absolute paths, `..` that leaves the
    /// workspace, and any existing symbolic link on the way. `""` and `.` are the root.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf, WorkspaceError> {
        let normal = normalize(relative)?;
        self.check_links(relative, &normal)?;
        Ok(self.root.join(&normal))
    }

    fn check_links(&self, relative: &str, normal: &str) -> Result<(), WorkspaceError> {
        let mut current = self.root.clone();
        for part in normal.split('/').filter(|p| !p.is_empty()) {
            current.push(part);
            match std::fs::symlink_metadata(&current) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(WorkspaceError::Outside {
                        path: relative.to_string(),
                        reason: "it goes through a symbolic link",
                    });
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                Err(source) => {
                    return Err(WorkspaceError::Io {
                        path: relative.to_string(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }
}

/// `relative` without `.`, `..` and repeated separators (`a/./b/../c` → `a/c`), refusing NUL
/// bytes, absolute paths and a `..` that climbs out.
pub fn normalize(relative: &str) -> Result<String, WorkspaceError> {
    let outside = |reason| WorkspaceError::Outside {
        path: relative.to_string(),
        reason,
    };
    if relative.contains('\0') {
        return Err(outside("it contains a NUL byte"));
    }
    let bytes = relative.as_bytes();
    let drive = bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic();
    if relative.starts_with(['/', '\\']) || drive {
        return Err(outside("it is an absolute path"));
    }
    let mut parts: Vec<&str> = Vec::new();
    // Backslashes separate too, so a Windows-style `..\..\x` is seen for what it is.
    for part in relative.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(outside("`..` leads out of it"));
                }
            }
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

fn refused(path: &str, message: &str) -> WorkspaceError {
    WorkspaceError::Refused {
        path: path.to_string(),
        message: message.to_string(),
    }
}

fn io(path: &str, source: std::io::Error) -> WorkspaceError {
    WorkspaceError::Io {
        path: path.to_string(),
        source,
    }
}

#[cfg(test)]
mod tests;
