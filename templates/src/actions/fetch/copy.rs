//! Copies a fetched directory into the workspace, rendering file contents and names as
//! `fetch:template` does (Backstage's rules: names rendered as one path, an entry whose name
//! renders empty is skipped, binary files copied untouched, the executable bit kept).

use std::path::Path;
use std::time::Instant;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::{Value, json};

use crate::actions::ActionError;
use crate::render::Renderer;
use crate::workspace::{self, Workspace, tree};

/// How entries are treated.
pub struct Options {
    /// `None` copies everything as it is (`fetch:plain`); otherwise the `values` to render with.
    pub values: Option<Value>,
    /// Only files with this extension are rendered, and lose it (`templateFileExtension`).
    pub extension: Option<String>,
    /// Files copied without rendering their contents (`copyWithoutTemplating`).
    pub copy_only: Patterns,
    /// Whether the names of `copy_only` entries are still rendered (`false` only for the
    /// deprecated `copyWithoutRender`).
    pub render_copied_names: bool,
    /// Existing files are replaced rather than kept.
    pub replace: bool,
}

/// Where the copy goes, and what it may use.
pub struct Target<'a> {
    pub workspace: &'a Workspace,
    /// Normalised directory inside the workspace (`""` for its root).
    pub dir: &'a str,
    pub renderer: &'a Renderer,
    pub deadline: Instant,
    pub cancelled: &'a dyn Fn() -> bool,
    pub log: &'a dyn Fn(String),
}

/// Glob patterns relative to the fetched directory; `!pattern` excludes.
#[derive(Debug, Default)]
pub struct Patterns {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl Patterns {
    /// Compiles `patterns`, naming `field` and the pattern that does not compile.
    pub fn new(field: &str, patterns: &[String]) -> Result<Patterns, ActionError> {
        let mut include = GlobSetBuilder::new();
        let mut exclude = GlobSetBuilder::new();
        let (mut any_include, mut any_exclude) = (false, false);
        for pattern in patterns {
            let (negated, text) = match pattern.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pattern.as_str()),
            };
            let text = text.trim_start_matches("./").trim_end_matches('/');
            let glob = GlobBuilder::new(text)
                .literal_separator(true)
                .build()
                .map_err(|e| ActionError::input(field, format!("`{pattern}` is not a valid glob: {e}")))?;
            if negated {
                exclude.add(glob);
                any_exclude = true;
            } else {
                include.add(glob);
                any_include = true;
            }
        }
        let build = |b: GlobSetBuilder, any: bool| -> Result<Option<GlobSet>, ActionError> {
            any.then(|| b.build().map_err(|e| ActionError::input(field, e.to_string())))
                .transpose()
        };
        Ok(Patterns {
            include: build(include, any_include)?,
            exclude: build(exclude, any_exclude)?,
        })
    }

    pub fn matches(&self, path: &str) -> bool {
        self.include.as_ref().is_some_and(|s| s.is_match(path))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(path))
    }
}

/// Copies the directory `from` (already checked) into the target; returns the files written.
pub fn copy_tree(from: &Path, options: &Options, target: &Target) -> Result<usize, ActionError> {
    let limits = target.workspace.limits();
    let entries = tree::walk(from, tree::Symlinks::Refuse, limits.max_files)
        .map_err(|e| ActionError::Failed(format!("the skeleton cannot be read: {}", skeleton_error(e))))?;
    let context = json!({ "values": options.values.clone().unwrap_or(Value::Null) });
    let mut written = 0;
    for entry in &entries {
        if (target.cancelled)() {
            return Err(ActionError::Cancelled);
        }
        if Instant::now() > target.deadline {
            return Err(ActionError::Failed(
                "the task ran out of time while copying the skeleton".into(),
            ));
        }
        let (name, render_contents) = output_name(&entry.path, options, target.renderer, &context)?;
        if name.is_empty() || name.starts_with('/') || name.contains("//") {
            (target.log)(format!("Skipping {}: its name renders empty", entry.path));
            continue;
        }
        let dest = if target.dir.is_empty() {
            name.clone()
        } else {
            format!("{}/{name}", target.dir)
        };
        let refuse = |e: workspace::WorkspaceError| match e {
            workspace::WorkspaceError::TooLarge { message, .. } => {
                ActionError::Failed(format!("skeleton file `{}`: {message}", entry.path))
            }
            other => ActionError::Failed(format!(
                "skeleton entry `{}` would be written to `{dest}`: {other}",
                entry.path
            )),
        };
        let exists = target.workspace.exists(&dest).map_err(refuse)?;
        if entry.is_dir {
            target.workspace.create_dir(&dest).map_err(refuse)?;
            continue;
        }
        if exists && !options.replace {
            (target.log)(format!("Keeping the existing {dest} (replace is off)"));
            continue;
        }
        let bytes = read_file(from, &entry.path, entry.size, limits.max_file_bytes)?;
        let bytes = match (render_contents, workspace::as_text(&bytes)) {
            (true, Some(text)) => target
                .renderer
                .text(text, &context)
                .map_err(|e| ActionError::Failed(format!("skeleton file `{}`: {e}", entry.path)))?
                .into_bytes(),
            _ => bytes,
        };
        target
            .workspace
            .write_file(&dest, &bytes, entry.executable)
            .map_err(refuse)?;
        written += 1;
    }
    Ok(written)
}

/// Copies the single file `from` to the target path (a file), rendering it when there are values.
pub fn copy_file(from: &Path, options: &Options, target: &Target) -> Result<usize, ActionError> {
    let limits = target.workspace.limits();
    let refuse = |e: workspace::WorkspaceError| ActionError::input("targetPath", e.to_string());
    if target.workspace.exists(target.dir).map_err(refuse)? && !options.replace {
        (target.log)(format!("Keeping the existing {} (replace is off)", target.dir));
        return Ok(0);
    }
    let meta = std::fs::metadata(from).map_err(|e| ActionError::Failed(format!("{}: {e}", from.display())))?;
    let name = from
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = from.parent().unwrap_or(from);
    let bytes = read_file(dir, &name, meta.len(), limits.max_file_bytes)?;
    let bytes = match (&options.values, workspace::as_text(&bytes)) {
        (Some(values), Some(text)) => target
            .renderer
            .text(text, &json!({ "values": values }))
            .map_err(|e| ActionError::Failed(format!("file `{name}`: {e}")))?
            .into_bytes(),
        _ => bytes,
    };
    target
        .workspace
        .write_file(target.dir, &bytes, tree::is_executable(&meta))
        .map_err(refuse)?;
    Ok(1)
}

/// The entry's name in the output, and whether its contents are rendered.
fn output_name(
    path: &str,
    options: &Options,
    renderer: &Renderer,
    context: &Value,
) -> Result<(String, bool), ActionError> {
    if options.values.is_none() {
        return Ok((path.to_string(), false));
    }
    let render = |name: &str| {
        renderer
            .text(name, context)
            .map_err(|e| ActionError::Failed(format!("the name of skeleton entry `{path}`: {e}")))
    };
    if let Some(extension) = &options.extension {
        let templated = path
            .rsplit('/')
            .next()
            .is_some_and(|n| n.len() > extension.len() && n.ends_with(extension.as_str()));
        let name = if templated {
            &path[..path.len() - extension.len()]
        } else {
            path
        };
        return Ok((render(name)?, templated));
    }
    let copied = options.copy_only.matches(path);
    let name = if copied && !options.render_copied_names {
        path.to_string()
    } else {
        render(path)?
    };
    Ok((name, !copied))
}

fn read_file(from: &Path, path: &str, size: u64, max: u64) -> Result<Vec<u8>, ActionError> {
    if size > max {
        return Err(ActionError::Failed(format!(
            "skeleton file `{path}` has {size} bytes, more than the limit of {max} bytes for one file"
        )));
    }
    std::fs::read(from.join(path))
        .map_err(|e| ActionError::Failed(format!("skeleton file `{path}` cannot be read: {e}")))
}

fn skeleton_error(error: workspace::WorkspaceError) -> String {
    match error {
        workspace::WorkspaceError::Outside { path, reason } => format!("`{path}`: {reason}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_globby() {
        let p = Patterns::new(
            "copyWithoutTemplating",
            &["./static/**".into(), "**/*.png".into(), "!static/keep.txt".into()],
        )
        .unwrap();
        assert!(p.matches("static/a/b.txt"));
        assert!(p.matches("img/logo.png"));
        assert!(!p.matches("static/keep.txt"));
        assert!(!p.matches("src/main.rs"));
        let single = Patterns::new("f", &["*.md".into()]).unwrap();
        assert!(single.matches("README.md") && !single.matches("docs/a.md"));
        assert!(!Patterns::default().matches("x"));
        let err = Patterns::new("copyWithoutTemplating", &["a[".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`a[` is not a valid glob"), "{err}");
    }
}
