//! Writing, reading, moving and removing inside the workspace: each path resolved first, each
//! byte written counted against the limits.

use std::path::PathBuf;

use super::{Workspace, WorkspaceError, io, normalize, refused, tree};

impl Workspace {
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
        not_git(&normal)?;
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
        not_git(&normalize(relative)?)?;
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
        not_git(&to_normal)?;
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
}

/// Refuses `.git` anywhere in a path: a hook or `core.fsmonitor` written there by a template would
/// run on the server when a publishing action calls `git` in the workspace.
fn not_git(normal: &str) -> Result<(), WorkspaceError> {
    if normal.split('/').any(|part| part.eq_ignore_ascii_case(".git")) {
        return Err(refused(
            normal,
            "is inside a `.git` directory, which templates may not write (its hooks and settings would run on the server)",
        ));
    }
    Ok(())
}
