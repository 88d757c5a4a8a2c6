//! Checks on a generated repository as a whole: its files, its workflows (action-validator), its
//! catalog file (`cairn validate`'s library), its Dockerfile.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::tools::{action_validator, succeed};

/// Every file under `dir`, relative, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).expect("read a generated directory") {
            let path: PathBuf = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("under dir");
                found.push(relative.display().to_string());
            }
        }
    }
    found.sort();
    found
}

/// No template syntax is left in names or contents (GitHub's own `${{ github.x }}` is expected).
pub fn fully_rendered(dir: &Path) {
    for file in files(dir) {
        assert!(!file.contains("${{"), "{file}: the name is not rendered");
        let Ok(text) = std::fs::read_to_string(dir.join(&file)) else {
            continue;
        };
        for leftover in ["${{ values", "{%", "%}", "{#", "#}"] {
            assert!(!text.contains(leftover), "{file}: `{leftover}` left in\n{text}");
        }
    }
}

/// action-validator on every workflow; each pipeline's shape is checked by the caller. The
/// workflows by file name.
pub fn workflows(dir: &Path) -> Vec<(String, serde_json::Value)> {
    let workflows = dir.join(".github/workflows");
    let mut parsed = Vec::new();
    for file in files(&workflows) {
        let path = workflows.join(&file);
        let mut validate = Command::new(action_validator());
        validate.arg(&path);
        succeed(
            &mut validate,
            Duration::from_secs(60),
            &format!("action-validator {file}"),
        );
        let bytes = std::fs::read(&path).expect("read the workflow");
        let documents = catalog::read::read_documents(&bytes, &catalog::read::ReadLimits::default()).expect("YAML");
        let workflow = documents[0].value.clone().expect("YAML").expect("a workflow");
        parsed.push((file, workflow));
    }
    assert!(!parsed.is_empty(), "no workflow under {}", workflows.display());
    parsed
}

/// `cairn validate` on the catalog file: every document valid; returns their entity refs.
pub fn catalog_entities(dir: &Path) -> Vec<String> {
    let path = dir.join("catalog-info.yaml");
    let limits = catalog::read::ReadLimits::default();
    let verdicts = catalog::lint::lint_file(&path, dir, "catalog-info.yaml", &limits).expect("lint the catalog file");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    for verdict in &verdicts {
        assert!(
            verdict.ok,
            "catalog-info.yaml document {}: {:?}\n{text}",
            verdict.document, verdict.error
        );
        assert!(verdict.warnings.is_empty(), "catalog-info.yaml: {:?}", verdict.warnings);
    }
    verdicts.into_iter().filter_map(|v| v.entity_ref).collect()
}

/// A multi-stage build whose image runs as a user other than root and checks its own health.
pub fn dockerfile(dir: &Path) {
    let text = std::fs::read_to_string(dir.join("Dockerfile")).expect("a Dockerfile");
    let instructions: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let count = |word: &str| instructions.iter().filter(|l| l.starts_with(word)).count();
    assert!(count("FROM ") >= 2, "a multi-stage build:\n{text}");
    assert_eq!(count("HEALTHCHECK "), 1, "a health check:\n{text}");
    let last_stage = text.rsplit("\nFROM ").next().unwrap_or_default();
    let user = last_stage
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .unwrap_or_else(|| panic!("the runtime stage sets a USER:\n{text}"));
    assert!(!matches!(user.trim(), "root" | "0" | "0:0"), "runs as root:\n{text}");
}
