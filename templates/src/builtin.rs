//! The golden paths shipped with Cairn (`templates/golden-paths/`), embedded in the binary and
//! written out at start-up for the catalog to read as a `file` location.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use include_dir::{Dir, DirEntry, include_dir};

static GOLDEN_PATHS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/golden-paths");

/// Files that must stay executable once written (the embedding keeps no permissions).
const EXECUTABLE: &[&str] = &[".sh"];

/// Writes the golden paths under `dir/<content hash>/` (skipped when this version is already
/// there) and returns the `catalog-info.yaml` that lists them. Older versions are removed.
pub fn install(dir: &Path) -> std::io::Result<PathBuf> {
    let version = format!("{:016x}", content_hash());
    let root = dir.join(&version);
    let marker = root.join(".complete");
    if !marker.exists() {
        // Several processes may share a data directory (the browser tests start three servers in
        // one, an operator runs `cairn migrate` beside a server): each writes its own copy.
        static WRITERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let writer = WRITERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let partial = dir.join(format!("{version}{PARTIAL}{}-{writer}", std::process::id()));
        write_dir(&GOLDEN_PATHS, &partial)?;
        std::fs::write(partial.join(".complete"), b"")?;
        if marker.exists() {
            // Another writer finished first, with the same content.
            let _ = std::fs::remove_dir_all(&partial);
        } else {
            let _ = std::fs::remove_dir_all(&root);
            // A rename, so a crash mid-write never leaves a half-written version in use.
            if let Err(err) = std::fs::rename(&partial, &root) {
                let _ = std::fs::remove_dir_all(&partial);
                if !marker.exists() {
                    return Err(err);
                }
            }
        }
    }
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Another writer's copy in progress is left alone; a crashed writer's is removed later.
        let in_progress = name.contains(PARTIAL)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().unwrap_or_default() < std::time::Duration::from_secs(600));
        if name != version.as_str() && !in_progress {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    std::path::absolute(root.join("catalog-info.yaml"))
}

/// Marks a copy being written: `<version>.partial-<pid>-<n>`.
const PARTIAL: &str = ".partial-";

fn write_dir(source: &Dir<'_>, target: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(target)?;
    for entry in source.entries() {
        let path = target.join(entry.path().file_name().unwrap_or_default());
        match entry {
            DirEntry::Dir(dir) => write_dir(dir, &path)?,
            DirEntry::File(file) => {
                std::fs::write(&path, file.contents())?;
                let name = path.to_string_lossy();
                if EXECUTABLE.iter().any(|ext| name.ends_with(ext)) {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
                }
            }
        }
    }
    Ok(())
}

/// A hash of every embedded path and content: a new binary with changed templates writes anew.
fn content_hash() -> u64 {
    fn walk(dir: &Dir<'_>, hasher: &mut std::collections::hash_map::DefaultHasher) {
        for entry in dir.entries() {
            entry.path().hash(hasher);
            match entry {
                DirEntry::Dir(d) => walk(d, hasher),
                DirEntry::File(f) => f.contents().hash(hasher),
            }
        }
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    walk(&GOLDEN_PATHS, &mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    #[test]
    fn installs_once_and_lists_the_templates() {
        let dir = tempfile::tempdir().unwrap();
        let location = super::install(dir.path()).unwrap();
        let text = std::fs::read_to_string(&location).unwrap();
        assert!(text.contains("./services/rust-service.yaml"), "{text}");
        let root = location.parent().unwrap();
        assert!(root.join("services/rust-service.yaml").is_file());
        // The skeleton every service fetches beside its own, dot-files included.
        assert!(root.join("services/shared/chart/templates/_helpers.tpl").is_file());
        assert!(root.join("services/shared/.github/workflows/deploy.yaml").is_file());
        // Again: same place, nothing rewritten.
        assert_eq!(super::install(dir.path()).unwrap(), location);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Servers sharing a data directory start together: every one gets the complete templates.
    #[test]
    fn writers_sharing_a_directory_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let locations: Vec<_> = std::thread::scope(|scope| {
            let writers: Vec<_> = (0..4).map(|_| scope.spawn(|| super::install(dir.path()))).collect();
            writers.into_iter().map(|w| w.join().unwrap().unwrap()).collect()
        });
        assert!(locations.iter().all(|l| *l == locations[0]), "{locations:?}");
        assert!(locations[0].parent().unwrap().join(".complete").is_file());
        assert!(
            locations[0]
                .parent()
                .unwrap()
                .join("services/shared/chart/Chart.yaml")
                .is_file()
        );
        assert_eq!(super::install(dir.path()).unwrap(), locations[0]);
    }
}
