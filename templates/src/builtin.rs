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
        let partial = dir.join(format!("{version}.partial"));
        let _ = std::fs::remove_dir_all(&partial);
        write_dir(&GOLDEN_PATHS, &partial)?;
        std::fs::write(partial.join(".complete"), b"")?;
        let _ = std::fs::remove_dir_all(&root);
        // A rename, so a crash mid-write never leaves a half-written version in use.
        std::fs::rename(&partial, &root)?;
    }
    for entry in std::fs::read_dir(dir)?.flatten() {
        if entry.file_name() != version.as_str() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    std::path::absolute(root.join("catalog-info.yaml"))
}

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
}
