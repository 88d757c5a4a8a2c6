//! Where a fetch action reads from: a `url` resolved against the template's own location (a
//! local file's directory, or the Git repository a blob/tree URL or `git` target names), or an
//! absolute repository URL. Reads stay inside that directory or repository: a `..` that climbs
//! out, or a symbolic link on the way, is refused.

use std::path::{Path, PathBuf};

use catalog::ingest::git::{self, Checkout, Credential, GitSettings};

use crate::actions::{ActionContext, ActionError};
use crate::workspace::{self, Workspace, WorkspaceError};

/// A place to read from, kept available (a Git checkout stays at its commit) while this lives.
pub struct Source {
    /// The directory reads are confined to (the template's directory, or the checkout).
    pub root: PathBuf,
    /// The file or directory `url` names, relative to `root` (`""` for the root itself).
    pub path: String,
    /// Where it came from, for logs and errors.
    pub label: String,
    _checkout: Option<Checkout>,
}

impl Source {
    /// The absolute path of what `url` names, checked for links on the way.
    pub fn full_path(&self) -> Result<PathBuf, ActionError> {
        let confined = Workspace::new(self.root.clone(), Default::default());
        confined
            .resolve(&self.path)
            .map_err(|e| fail_at(&self.label, &reason(e)))
    }
}

/// Finds what `url` names: relative URLs against the template's location, absolute ones as
/// repository URLs. `token` (the input of the same name) is used for that fetch only.
pub async fn locate(ctx: &ActionContext, url: &str, token: Option<&str>) -> Result<Source, ActionError> {
    if url.is_empty() {
        return Err(ActionError::input("url", "is required"));
    }
    if url.contains("://") {
        let (target, label) = (git_target(url)?, url.to_string());
        let path = target.path.clone();
        return remote(ctx, target, path, label, token).await;
    }
    let base = ctx.template.base_url.as_deref().ok_or_else(|| {
        ActionError::input(
            "url",
            format!("`{url}` is relative, but the template's own location is unknown; give an absolute URL"),
        )
    })?;
    if is_remote(base) {
        let target = git_target(base)?;
        let dir = parent(&target.path);
        let joined = join(&dir, url)?;
        let label = format!("{url} (in {})", target.repo);
        return remote(ctx, target, joined, label, token).await;
    }
    let file = base
        .strip_prefix("file://")
        .or_else(|| base.strip_prefix("file:"))
        .unwrap_or(base);
    let root = Path::new(file).parent().map(Path::to_path_buf).unwrap_or_default();
    let root = if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root
    };
    let path = workspace::normalize(url).map_err(|e| escape(url, &reason(e)))?;
    Ok(Source {
        label: format!("{url} (next to {file})"),
        root,
        path,
        _checkout: None,
    })
}

/// A Git location rather than a local file: `https://…/blob/…`, a repository with `?ref=`, or
/// a file the catalog named `<repository>#<ref>/<path>`.
fn is_remote(base: &str) -> bool {
    base.contains("://") && (base.contains('?') || base.contains('#') || !base.starts_with("file://"))
}

/// A blob/tree URL, a `git` target (`<repository>?ref=<ref>&path=<path>`), or the catalog's name
/// of a file read from a `git` location (`<repository>#<ref>/<path>`).
fn git_target(url: &str) -> Result<git::GitTarget, ActionError> {
    let settings = GitSettings {
        allow_file: true,
        ..GitSettings::default()
    };
    if url.contains("/blob/") || url.contains("/tree/") {
        return git::parse_target("url", url, &settings).map_err(|e| ActionError::input("url", e.to_string()));
    }
    let target = match url.split_once('#') {
        Some((repo, rest)) if !url.contains('?') => {
            let (reference, path) = rest.split_once('/').unwrap_or((rest, ""));
            format!("{repo}?ref={reference}&path={path}")
        }
        _ => url.to_string(),
    };
    git::parse_target("git", &target, &settings).map_err(|e| ActionError::input("url", e.to_string()))
}

async fn remote(
    ctx: &ActionContext,
    mut target: git::GitTarget,
    path: String,
    label: String,
    token: Option<&str>,
) -> Result<Source, ActionError> {
    let mut settings = ctx.services.git.clone();
    if target.repo.starts_with("file://") && !settings.allow_file {
        return Err(ActionError::input(
            "url",
            format!(
                "{} is a local repository, which this server does not allow",
                target.repo
            ),
        ));
    }
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        let host = host_of(&target.repo);
        settings.credentials.retain(|c| c.host != host);
        settings.credentials.push(Credential {
            host,
            token: token.to_string(),
        });
    }
    target.path = path.clone();
    ctx.log(format!(
        "Fetching {} from {}",
        if path.is_empty() { "/" } else { &path },
        target.repo
    ));
    let checkout = git::checkout(&target, &settings)
        .await
        .map_err(|e| ActionError::Failed(format!("cannot fetch {label}: {e}")))?;
    Ok(Source {
        root: checkout.dir.clone(),
        path,
        label,
        _checkout: Some(checkout),
    })
}

fn host_of(repo: &str) -> String {
    let rest = repo.split_once("://").map_or(repo, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split(['/', ':']).next().unwrap_or_default().to_lowercase()
}

/// The directory part of a `/`-separated path (`a/b/t.yaml` → `a/b`).
fn parent(path: &str) -> String {
    path.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_string())
}

/// `url` relative to `dir` inside a repository, refusing to climb above its root.
fn join(dir: &str, url: &str) -> Result<String, ActionError> {
    let joined = if dir.is_empty() {
        url.to_string()
    } else {
        format!("{dir}/{url}")
    };
    workspace::normalize(&joined).map_err(|e| escape(url, &reason(e)))
}

/// Why a path was refused, without calling the source a workspace.
pub fn reason(error: WorkspaceError) -> String {
    match error {
        WorkspaceError::Outside { reason, .. } => reason.to_string(),
        other => other.to_string(),
    }
}

fn escape(url: &str, why: &str) -> ActionError {
    ActionError::input("url", format!("`{url}` leaves the template's source: {why}"))
}

fn fail_at(label: &str, why: &str) -> ActionError {
    ActionError::input("url", format!("{label} cannot be read: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_inside_repositories_only() {
        assert_eq!(join("templates/svc", "./skeleton").unwrap(), "templates/svc/skeleton");
        assert_eq!(join("templates/svc", "../../shared").unwrap(), "shared");
        let err = join("templates", "../../etc").unwrap_err().to_string();
        assert!(err.contains("leaves the template's source"), "{err}");
        assert_eq!(parent("a/b/t.yaml"), "a/b");
        assert_eq!(parent("t.yaml"), "");
    }

    #[test]
    fn tells_remote_from_local_bases() {
        assert!(is_remote("https://github.com/o/r/blob/main/t.yaml"));
        assert!(is_remote("file:///srv/repo?ref=main&path=t.yaml"));
        assert!(is_remote("file:///srv/repo#main/t.yaml"));
        let target = git_target("https://git.example/repo.git#main/templates/t.yaml").unwrap();
        assert_eq!(
            (target.repo.as_str(), target.reference.as_deref(), target.path.as_str()),
            ("https://git.example/repo.git", Some("main"), "templates/t.yaml")
        );
        assert!(!is_remote("/srv/templates/t.yaml"));
        assert!(!is_remote("file:///srv/templates/t.yaml"));
        assert_eq!(host_of("https://x-access:tok@GitHub.com/o/r"), "github.com");
        assert_eq!(host_of("git@gitlab.com:o/r.git"), "gitlab.com");
    }
}
