//! The directory a task writes into, and the only door to it: every path an action touches is
//! resolved here, refusing `..`, absolute paths and symlinks, and every byte written is counted.

pub mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

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
    #[error("`{path}`: {message}")]
    Refused { path: String, message: String },
}

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

/// A task's working directory.
#[derive(Clone, Debug)]
pub struct Workspace {
    root: PathBuf,
    limits: Limits,
    /// Sizes of the files written so far, shared by every clone (one per step).
    usage: Arc<Mutex<Option<Usage>>>,
}

#[derive(Debug, Default)]
struct Usage {
    sizes: BTreeMap<String, u64>,
    total: u64,
}

impl Usage {
    fn set(&mut self, path: &str, size: Option<u64>) {
        let old = match size {
            Some(size) => self.sizes.insert(path.to_string(), size),
            None => self.sizes.remove(path),
        };
        self.total = self.total - old.unwrap_or(0) + size.unwrap_or(0);
    }

    /// Forgets `path` and everything under it (a removed directory).
    fn remove_tree(&mut self, path: &str) -> Vec<(String, u64)> {
        let prefix = format!("{path}/");
        let gone: Vec<(String, u64)> = self
            .sizes
            .iter()
            .filter(|(p, _)| path.is_empty() || *p == path || p.starts_with(&prefix))
            .map(|(p, s)| (p.clone(), *s))
            .collect();
        for (p, _) in &gone {
            self.set(p, None);
        }
        gone
    }
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

    /// Writes a file (creating its directories), counted against the limits.
    pub fn write(&self, relative: &str, bytes: &[u8]) -> Result<PathBuf, WorkspaceError> {
        self.write_file(relative, bytes, false)
    }

    /// Writes a file, executable or not, counted against the limits.
    pub fn write_file(&self, relative: &str, bytes: &[u8], executable: bool) -> Result<PathBuf, WorkspaceError> {
        let normal = normalize(relative)?;
        if normal.is_empty() {
            return Err(refused(relative, "is the workspace itself, not a file"));
        }
        let path = self.resolve(relative)?;
        let size = bytes.len() as u64;
        if size > self.limits.max_file_bytes {
            return Err(WorkspaceError::TooLarge {
                path: normal,
                message: format!(
                    "{size} bytes is more than the limit of {} bytes for one file",
                    self.limits.max_file_bytes
                ),
            });
        }
        if path.is_dir() {
            return Err(refused(&normal, "is a directory, so no file can be written there"));
        }
        self.with_usage(|usage| {
            let old = usage.sizes.get(&normal).copied();
            if old.is_none() && usage.sizes.len() >= self.limits.max_files {
                return Err(WorkspaceError::TooLarge {
                    path: normal.clone(),
                    message: format!("the workspace would hold more than {} files", self.limits.max_files),
                });
            }
            if usage.total - old.unwrap_or(0) + size > self.limits.max_total_bytes {
                return Err(WorkspaceError::TooLarge {
                    path: normal.clone(),
                    message: format!(
                        "the workspace would hold more than its limit of {} bytes",
                        self.limits.max_total_bytes
                    ),
                });
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| io(&normal, source))?;
            }
            std::fs::write(&path, bytes).map_err(|source| io(&normal, source))?;
            tree::set_executable(&path, executable).map_err(|source| io(&normal, source))?;
            usage.set(&normal, Some(size));
            Ok(())
        })?;
        Ok(path)
    }

    /// Creates a directory and its parents.
    pub fn create_dir(&self, relative: &str) -> Result<PathBuf, WorkspaceError> {
        let path = self.resolve(relative)?;
        std::fs::create_dir_all(&path).map_err(|source| io(relative, source))?;
        Ok(path)
    }

    /// Reads a file of the workspace (at most the one-file limit).
    pub fn read(&self, relative: &str) -> Result<Vec<u8>, WorkspaceError> {
        let path = self.resolve(relative)?;
        let meta = std::fs::metadata(&path).map_err(|source| io(relative, source))?;
        if meta.len() > self.limits.max_file_bytes {
            return Err(WorkspaceError::TooLarge {
                path: relative.to_string(),
                message: format!("is larger than {} bytes", self.limits.max_file_bytes),
            });
        }
        std::fs::read(&path).map_err(|source| io(relative, source))
    }

    /// Whether `relative` names a file or directory.
    pub fn exists(&self, relative: &str) -> Result<bool, WorkspaceError> {
        Ok(std::fs::symlink_metadata(self.resolve(relative)?).is_ok())
    }

    /// Removes a file or a directory with everything in it; `false` when there was nothing.
    pub fn remove(&self, relative: &str) -> Result<bool, WorkspaceError> {
        let normal = normalize(relative)?;
        if normal.is_empty() {
            return Err(refused(relative, "is the workspace itself, which cannot be removed"));
        }
        let path = self.resolve(relative)?;
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return Ok(false);
        };
        self.with_usage(|usage| {
            let removed = if meta.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.map_err(|source| io(&normal, source))?;
            usage.remove_tree(&normal);
            Ok(true)
        })
    }

    /// Moves a file or directory; an existing destination is replaced only with `overwrite`.
    pub fn rename(&self, from: &str, to: &str, overwrite: bool) -> Result<(), WorkspaceError> {
        let (from_normal, to_normal) = (normalize(from)?, normalize(to)?);
        let (source, target) = (self.resolve(from)?, self.resolve(to)?);
        if from_normal.is_empty() || to_normal.is_empty() {
            return Err(refused(
                if from_normal.is_empty() { from } else { to },
                "is the workspace itself",
            ));
        }
        if std::fs::symlink_metadata(&source).is_err() {
            return Err(refused(from, "does not exist"));
        }
        if to_normal.starts_with(&format!("{from_normal}/")) {
            return Err(refused(to, "is inside the directory being moved"));
        }
        if std::fs::symlink_metadata(&target).is_ok() {
            if !overwrite {
                return Err(refused(to, "already exists (set `overwrite: true` to replace it)"));
            }
            self.remove(to)?;
        }
        self.with_usage(|usage| {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|source| io(&to_normal, source))?;
            }
            std::fs::rename(&source, &target).map_err(|source| io(&from_normal, source))?;
            for (path, size) in usage.remove_tree(&from_normal) {
                let moved = format!("{to_normal}{}", &path[from_normal.len()..]);
                usage.set(&moved, Some(size));
            }
            Ok(())
        })
    }

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

    /// Runs `f` on the usage, reading the directory the first time (a workspace may start with
    /// files, e.g. a task resumed after a restart).
    fn with_usage<T>(&self, f: impl FnOnce(&mut Usage) -> Result<T, WorkspaceError>) -> Result<T, WorkspaceError> {
        let mut guard = self.usage.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            let mut usage = Usage::default();
            let entries = tree::walk(
                &self.root,
                tree::Symlinks::Skip,
                self.limits.max_files.saturating_mul(4),
            )?;
            for entry in entries.into_iter().filter(|e| !e.is_dir) {
                usage.set(&entry.path, Some(entry.size));
            }
            *guard = Some(usage);
        }
        match guard.as_mut() {
            Some(usage) => f(usage),
            None => Err(refused("", "the workspace's usage could not be read")),
        }
    }
}

/// Text when `bytes` are UTF-8 without NUL bytes; `None` for binary content.
pub fn as_text(bytes: &[u8]) -> Option<&str> {
    if bytes.contains(&0) {
        return None;
    }
    std::str::from_utf8(bytes).ok()
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
