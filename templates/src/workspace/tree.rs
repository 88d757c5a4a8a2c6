//! Walks a directory without ever following a symbolic link: the files of a workspace, or of a
//! fetched skeleton (where a symlink is refused, since it could point anywhere).

use std::path::{Path, PathBuf};

use super::WorkspaceError;

/// One regular file or directory found under a root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the root, `/`-separated.
    pub path: String,
    pub is_dir: bool,
    pub size: u64,
    pub executable: bool,
}

/// What to do on meeting a symbolic link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symlinks {
    /// Fail, naming it (sources: a link could read outside them).
    Refuse,
    /// Leave it out (the workspace's own listing).
    Skip,
}

/// Every directory and regular file under `root` (not `root` itself, nor `.git` directories),
/// sorted by path; at most `max_entries` of them. Special files (sockets, devices) are refused.
pub fn walk(root: &Path, symlinks: Symlinks, max_entries: usize) -> Result<Vec<Entry>, WorkspaceError> {
    let mut entries = Vec::new();
    let mut pending: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(dir) = pending.pop() {
        let full = root.join(&dir);
        let listing = std::fs::read_dir(&full).map_err(|source| io(&dir, source))?;
        for item in listing {
            let item = item.map_err(|source| io(&dir, source))?;
            if item.file_name() == ".git" {
                // Git's own metadata is never part of a tree (Backstage's readers never see it).
                continue;
            }
            let relative = dir.join(item.file_name());
            let name = slash_path(&relative)?;
            let meta = item.metadata().map_err(|source| io(&relative, source))?;
            let kind = meta.file_type();
            if kind.is_symlink() {
                if symlinks == Symlinks::Refuse {
                    return Err(WorkspaceError::Outside {
                        path: name,
                        reason: "it is a symbolic link, which is never followed",
                    });
                }
                continue;
            }
            if !kind.is_dir() && !kind.is_file() {
                return Err(WorkspaceError::Outside {
                    path: name,
                    reason: "it is neither a file nor a directory",
                });
            }
            if entries.len() >= max_entries {
                return Err(WorkspaceError::TooLarge {
                    path: slash_path(&dir).unwrap_or_default(),
                    message: format!("more than {max_entries} files and directories"),
                });
            }
            entries.push(Entry {
                path: name,
                is_dir: kind.is_dir(),
                size: if kind.is_dir() { 0 } else { meta.len() },
                executable: is_executable(&meta),
            });
            if kind.is_dir() {
                pending.push(relative);
            }
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// A relative path as text with `/` separators; refuses names that are not UTF-8.
pub fn slash_path(relative: &Path) -> Result<String, WorkspaceError> {
    let parts: Option<Vec<&str>> = relative.components().map(|c| c.as_os_str().to_str()).collect();
    parts.map(|p| p.join("/")).ok_or_else(|| WorkspaceError::Outside {
        path: relative.to_string_lossy().into_owned(),
        reason: "its name is not valid UTF-8",
    })
}

#[cfg(unix)]
pub fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.is_file() && meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
pub fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

/// Marks a file executable (`chmod +x` for everyone who may read it) or not.
#[cfg(unix)]
pub fn set_executable(path: &Path, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = std::fs::metadata(path)?.permissions();
    let mode = permissions.mode();
    let mode = if executable {
        mode | ((mode & 0o444) >> 2)
    } else {
        mode & !0o111
    };
    permissions.set_mode(mode);
    std::fs::set_permissions(path, permissions)
}

#[cfg(not(unix))]
pub fn set_executable(_path: &Path, _executable: bool) -> std::io::Result<()> {
    Ok(())
}

fn io(path: &Path, source: std::io::Error) -> WorkspaceError {
    WorkspaceError::Io {
        path: path.to_string_lossy().into_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_and_refuses_or_skips_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::write(dir.path().join("b/c/f.txt"), "hi").unwrap();
        std::fs::write(dir.path().join("a.sh"), "#!/bin/sh").unwrap();
        std::fs::create_dir_all(dir.path().join(".git/objects")).unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), "ref").unwrap();
        set_executable(&dir.path().join("a.sh"), true).unwrap();
        let entries = walk(dir.path(), Symlinks::Refuse, 100).unwrap();
        let paths: Vec<_> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["a.sh", "b", "b/c", "b/c/f.txt"]);
        assert!(entries[0].executable && !entries[3].executable);
        assert_eq!(entries[3].size, 2);
        std::os::unix::fs::symlink("/etc", dir.path().join("b/link")).unwrap();
        let err = walk(dir.path(), Symlinks::Refuse, 100).unwrap_err().to_string();
        assert!(err.contains("`b/link`") && err.contains("symbolic link"), "{err}");
        assert_eq!(walk(dir.path(), Symlinks::Skip, 100).unwrap().len(), 4);
        let err = walk(dir.path(), Symlinks::Skip, 2).unwrap_err().to_string();
        assert!(err.contains("more than 2"), "{err}");
    }
}
