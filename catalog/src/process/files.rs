//! Placeholder resolution for descriptors on the local file system: relative paths only, never
//! outside the registered location's root, size-bounded. URLs need a URL/Git source.

use std::path::{Component, Path, PathBuf};

use super::placeholders::{PlaceholderError, Resolver};

/// Largest file a placeholder may read (an OpenAPI document is rarely over a few hundred KiB).
pub const MAX_PLACEHOLDER_BYTES: u64 = 4 * 1024 * 1024;

/// Reads placeholder targets relative to `dir`, refusing anything outside `root`.
pub struct FileResolver<'a> {
    pub dir: &'a Path,
    pub root: &'a Path,
}

impl Resolver for FileResolver<'_> {
    fn read(&self, target: &str) -> Result<String, PlaceholderError> {
        let fetch = |reason: String| PlaceholderError::Fetch {
            placeholder: "placeholder".into(),
            target: target.into(),
            reason,
        };
        if target.contains("://") {
            return Err(fetch(
                "URLs cannot be fetched for a file location; register the file through a URL or Git location".into(),
            ));
        }
        let path = normalize(&self.dir.join(target));
        if !path.starts_with(normalize(self.root)) {
            return Err(fetch(format!("{} is outside the location's directory", path.display())));
        }
        let meta = std::fs::metadata(&path).map_err(|e| fetch(e.to_string()))?;
        if meta.len() > MAX_PLACEHOLDER_BYTES {
            return Err(fetch(format!(
                "{} bytes is over the {MAX_PLACEHOLDER_BYTES}-byte limit",
                meta.len()
            )));
        }
        // Symlinks could lead out of the root: check where the file really is.
        let real = std::fs::canonicalize(&path).map_err(|e| fetch(e.to_string()))?;
        let real_root = std::fs::canonicalize(self.root).unwrap_or_else(|_| self.root.to_path_buf());
        if !real.starts_with(&real_root) {
            return Err(fetch("the path leads outside the location's directory".into()));
        }
        let bytes = std::fs::read(&real).map_err(|e| fetch(e.to_string()))?;
        String::from_utf8(bytes).map_err(|_| fetch("the file is not UTF-8 text".into()))
    }
}

/// Resolves `.` and `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::placeholders::{PlaceholderError, resolve};
    use serde_json::json;

    fn setup() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("repo/docs")).expect("mkdir");
        std::fs::write(dir.path().join("repo/docs/api.yaml"), "openapi: 3.0.0\n").expect("write");
        std::fs::write(dir.path().join("repo/docs/data.json"), "{\"a\": [1, 2]}").expect("write");
        std::fs::write(dir.path().join("repo/docs/data.yaml"), "a: [1, 2]\n").expect("write");
        std::fs::write(dir.path().join("secret.txt"), "password").expect("write");
        dir
    }

    #[test]
    fn text_json_and_yaml_placeholders_are_resolved_relative_to_the_file() {
        let dir = setup();
        let root = dir.path().join("repo");
        let resolver = FileResolver {
            dir: &root,
            root: &root,
        };
        let mut value = json!({"spec": {"definition": {"$text": "./docs/api.yaml"}, "j": {"$json": "docs/data.json"}, "y": {"$yaml": "docs/data.yaml"}}});
        resolve(&mut value, &resolver).expect("resolved");
        assert_eq!(value["spec"]["definition"], "openapi: 3.0.0\n");
        assert_eq!(value["spec"]["j"], json!({"a": [1, 2]}));
        assert_eq!(value["spec"]["y"], json!({"a": [1, 2]}));
    }

    #[test]
    fn placeholders_cannot_leave_the_location_or_fetch_urls() {
        let dir = setup();
        let root = dir.path().join("repo");
        let resolver = FileResolver {
            dir: &root,
            root: &root,
        };
        let mut escape = json!({"spec": {"definition": {"$text": "../secret.txt"}}});
        let (field, err) = resolve(&mut escape, &resolver).expect_err("outside the root");
        assert_eq!(field, "spec.definition");
        assert!(
            matches!(err, PlaceholderError::Fetch { .. }) && err.to_string().contains("outside"),
            "{err}"
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("docs/link.txt")).expect("symlink");
            let mut linked = json!({"x": {"$text": "docs/link.txt"}});
            assert!(
                resolve(&mut linked, &resolver).is_err(),
                "a symlink out of the root is refused"
            );
        }
        let mut url = json!({"x": {"$text": "https://example.com/api.yaml"}});
        assert!(matches!(
            resolve(&mut url, &resolver),
            Err((_, PlaceholderError::Fetch { .. }))
        ));
        let mut missing = json!({"x": {"$json": "docs/none.json"}});
        assert!(matches!(
            resolve(&mut missing, &resolver),
            Err((_, PlaceholderError::Fetch { .. }))
        ));
        let mut bad = json!({"x": {"$json": "docs/api.yaml"}});
        assert!(
            matches!(resolve(&mut bad, &resolver), Err((_, PlaceholderError::Invalid { .. }))),
            "not JSON"
        );
        let mut two_keys = json!({"x": {"$text": "docs/api.yaml", "other": 1}});
        resolve(&mut two_keys, &resolver).expect("not a placeholder: left alone");
        assert_eq!(two_keys["x"]["other"], 1);
    }
}
