//! `fs:rename` and `fs:delete`: moving and removing files and directories, inside the workspace
//! only (every path goes through [`Workspace::resolve`](crate::workspace::Workspace::resolve)).

use std::sync::Arc;

use globset::{GlobBuilder, GlobSetBuilder};
use serde_json::{Map, Value, json};

use super::{Action, ActionContext, ActionError, ActionFuture};
use crate::workspace::{self, tree};

/// `fs:rename` and `fs:delete`.
pub fn actions() -> Vec<Arc<dyn Action>> {
    vec![Arc::new(Rename), Arc::new(Delete)]
}

struct Rename;

impl Action for Rename {
    fn id(&self) -> &'static str {
        "fs:rename"
    }

    fn description(&self) -> &'static str {
        "Renames files and directories within the workspace"
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["files"],
            "properties": {
                "files": {
                    "title": "Files",
                    "description": "A list of file and directory names that will be renamed",
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["from", "to"],
                        "properties": {
                            "from": {"type": "string", "title": "The source location of the file to be renamed"},
                            "to": {"type": "string", "title": "The destination of the new file"},
                            "overwrite": {"type": "boolean", "title": "Overwrite existing file or directory, default is false"},
                        },
                    },
                },
            },
        })
    }

    fn supports_dry_run(&self) -> bool {
        true
    }

    fn run<'a>(&'a self, ctx: &'a ActionContext, input: Map<String, Value>) -> ActionFuture<'a> {
        Box::pin(async move {
            let files = list(&input, "files")?;
            for (i, file) in files.iter().enumerate() {
                let field = |f: &str| format!("files.{i}.{f}");
                let text = |f: &str| match file.get(f) {
                    Some(Value::String(s)) if !s.is_empty() => Ok(s.as_str()),
                    _ => Err(ActionError::input(field(f), "is required and must be text")),
                };
                let (from, to) = (text("from")?, text("to")?);
                let overwrite = match file.get("overwrite") {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => return Err(ActionError::input(field("overwrite"), "must be true or false")),
                };
                ctx.check_cancelled()?;
                ctx.workspace.rename(from, to, overwrite)?;
                ctx.log(format!("Renamed {from} to {to}"));
            }
            Ok(Map::new())
        })
    }
}

struct Delete;

impl Action for Delete {
    fn id(&self) -> &'static str {
        "fs:delete"
    }

    fn description(&self) -> &'static str {
        "Deletes files and directories from the workspace"
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["files"],
            "properties": {
                "files": {
                    "title": "Files",
                    "description": "A list of files and directories that will be deleted. Glob patterns are supported.",
                    "type": "array",
                    "items": {"type": "string"},
                },
            },
        })
    }

    fn supports_dry_run(&self) -> bool {
        true
    }

    fn run<'a>(&'a self, ctx: &'a ActionContext, input: Map<String, Value>) -> ActionFuture<'a> {
        Box::pin(async move {
            let files = list(&input, "files")?;
            for (i, file) in files.iter().enumerate() {
                let Some(pattern) = file.as_str().filter(|s| !s.is_empty()) else {
                    return Err(ActionError::input(format!("files.{i}"), "must be a path or a glob"));
                };
                ctx.check_cancelled()?;
                for path in matching(&ctx.workspace, pattern, i)? {
                    if ctx.workspace.remove(&path)? {
                        ctx.log(format!("Deleted {path}"));
                    }
                }
            }
            Ok(Map::new())
        })
    }
}

fn list<'a>(input: &'a Map<String, Value>, field: &str) -> Result<&'a Vec<Value>, ActionError> {
    match input.get(field) {
        Some(Value::Array(items)) => Ok(items),
        None | Some(Value::Null) => Err(ActionError::input(field, "is required")),
        Some(_) => Err(ActionError::input(field, "must be a list")),
    }
}

/// The workspace paths `pattern` names: itself when it has no glob characters, else every file
/// and directory it matches (outermost first, so a directory goes before what was in it).
fn matching(ws: &workspace::Workspace, pattern: &str, index: usize) -> Result<Vec<String>, ActionError> {
    let field = format!("files.{index}");
    if !pattern.contains(['*', '?', '[', '{']) {
        // Checked here so that a path leaving the workspace is refused even when it does not exist.
        ws.resolve(pattern)?;
        return Ok(vec![workspace::normalize(pattern)?]);
    }
    if pattern.starts_with('/') || pattern.split(['/', '\\']).any(|p| p == "..") {
        return Err(ActionError::input(
            field,
            format!("`{pattern}` must stay inside the workspace"),
        ));
    }
    let glob = GlobBuilder::new(pattern.trim_start_matches("./").trim_end_matches('/'))
        .literal_separator(true)
        .build()
        .map_err(|e| ActionError::input(&field, format!("`{pattern}` is not a valid glob: {e}")))?;
    let set = GlobSetBuilder::new()
        .add(glob)
        .build()
        .map_err(|e| ActionError::input(&field, e.to_string()))?;
    let entries = tree::walk(ws.root(), tree::Symlinks::Skip, ws.limits().max_files.saturating_mul(4))?;
    let mut found: Vec<String> = Vec::new();
    for entry in entries.into_iter().filter(|e| set.is_match(&e.path)) {
        if !found.iter().any(|f| entry.path.starts_with(&format!("{f}/"))) {
            found.push(entry.path);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::{Limits, Workspace};

    #[test]
    fn globs_match_files_and_directories_inside() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path().to_path_buf(), Limits::default());
        for f in ["a.md", "docs/b.md", "docs/c/d.md", "src/main.rs"] {
            ws.write(f, b"x").unwrap();
        }
        assert_eq!(matching(&ws, "*.md", 0).unwrap(), ["a.md"]);
        assert_eq!(
            matching(&ws, "**/*.md", 0).unwrap(),
            ["a.md", "docs/b.md", "docs/c/d.md"]
        );
        assert_eq!(matching(&ws, "docs/*", 0).unwrap(), ["docs/b.md", "docs/c"]);
        assert_eq!(matching(&ws, "./src", 0).unwrap(), ["src"]);
        assert!(
            matching(&ws, "../x", 0)
                .unwrap_err()
                .to_string()
                .contains("`..` leads out of it")
        );
        assert!(
            matching(&ws, "../*", 0)
                .unwrap_err()
                .to_string()
                .contains("must stay inside")
        );
    }
}
