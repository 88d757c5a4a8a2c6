//! What the workspace holds, counted once and kept up to date by every write, move and removal,
//! shared by the clones of a workspace (one per step).

use std::collections::BTreeMap;
use std::sync::PoisonError;

use super::{Workspace, WorkspaceError, refused, tree};

/// The size of every file, by path, and their total.
#[derive(Debug, Default)]
pub struct Usage {
    pub sizes: BTreeMap<String, u64>,
    pub total: u64,
}

impl Usage {
    pub fn set(&mut self, path: &str, size: Option<u64>) {
        let old = match size {
            Some(size) => self.sizes.insert(path.to_string(), size),
            None => self.sizes.remove(path),
        };
        self.total = self.total - old.unwrap_or(0) + size.unwrap_or(0);
    }

    /// Forgets `path` and everything under it (a removed directory).
    pub fn remove_tree(&mut self, path: &str) -> Vec<(String, u64)> {
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
    /// Runs `f` on the usage, reading the directory the first time (a workspace may start with
    /// files, e.g. a task resumed after a restart).
    pub(super) fn with_usage<T>(
        &self,
        f: impl FnOnce(&mut Usage) -> Result<T, WorkspaceError>,
    ) -> Result<T, WorkspaceError> {
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
            None => Err(refused("", "(the workspace) could not be measured")),
        }
    }
}
