//! `publish:git`: the workspace (or `sourcePath` in it) pushed as the first commit of a branch of
//! any Git remote (GitLab, Gitea, Bitbucket, a bare repository, `git http-backend`), with the
//! token configured for the remote's host. A branch that already has commits is left alone
//! unless `force`.

pub(crate) mod check;
pub(crate) mod repo;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{Action, ActionContext, ActionError, ActionFuture, optional_str, required_str};
use repo::{Author, Remote, Scratch};

/// Who commits when the template does not say.
pub(crate) const DEFAULT_AUTHOR: &str = "Cairn";
pub(crate) const DEFAULT_EMAIL: &str = "scaffolder@cairn.invalid";

pub fn actions() -> Vec<Arc<dyn Action>> {
    vec![Arc::new(PublishGit)]
}

struct PublishGit;

impl Action for PublishGit {
    fn id(&self) -> &'static str {
        "publish:git"
    }

    fn description(&self) -> &'static str {
        "Initializes a Git repository of the workspace content and pushes it to any Git remote (GitLab, Gitea, Bitbucket, a bare repository)."
    }

    fn input_schema(&self) -> Value {
        let mut properties = content_schema();
        properties.extend(
            json!({
                "repoUrl": {"type": "string", "title": "Repository URL", "description": "The remote to push to: https://host/org/repo.git, ssh://git@host/org/repo.git, git@host:org/repo.git, or file:///path/repo.git where file locations are allowed. Credentials come from the host's integration, never from the URL."},
                "defaultBranch": {"type": "string", "title": "Default Branch", "description": "The branch to push. Default: main"},
                "gitCommitMessage": {"type": "string", "title": "Git Commit Message", "description": "Default: initial commit"},
                "force": {"type": "boolean", "title": "Force", "description": "Replace the branch when the remote already has commits on it. Default: false"}
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        json!({"type": "object", "required": ["repoUrl"], "properties": properties})
    }

    fn output_schema(&self) -> Value {
        json!({"type": "object", "properties": {
            "remoteUrl": {"type": "string", "description": "The remote pushed to"},
            "repoContentsUrl": {"type": "string", "description": "The pushed branch as a `git` location target (<remote>?ref=<branch>), for catalog:register"},
            "commitHash": {"type": "string", "description": "The commit pushed"}
        }})
    }

    fn supports_dry_run(&self) -> bool {
        true
    }

    fn run<'a>(&'a self, ctx: &'a ActionContext, input: Map<String, Value>) -> ActionFuture<'a> {
        Box::pin(publish(ctx, input))
    }
}

/// The schema of the inputs every publish action shares: what is committed, by whom.
pub(crate) fn content_schema() -> Map<String, Value> {
    json!({
        "sourcePath": {"type": "string", "title": "Source Path", "description": "The directory of the workspace to publish. Default: the whole workspace"},
        "gitAuthorName": {"type": "string", "title": "Author Name", "description": "Default: Cairn"},
        "gitAuthorEmail": {"type": "string", "title": "Author Email", "description": "Default: scaffolder@cairn.invalid"}
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

/// What a publish action commits: a directory of the workspace, a message, an author.
pub(crate) struct Content {
    pub source: PathBuf,
    pub message: String,
    pub author: Author,
}

/// Reads `sourcePath`, the commit message (`message_field`) and the author.
pub(crate) fn content(
    ctx: &ActionContext,
    input: &Map<String, Value>,
    message_field: &str,
    default_message: &str,
) -> Result<Content, ActionError> {
    let source_path = optional_str(input, "sourcePath")?.unwrap_or("");
    let source = ctx.workspace.resolve(source_path)?;
    if !source.is_dir() {
        return Err(ActionError::input(
            "sourcePath",
            format!("`{source_path}` is not a directory of the workspace"),
        ));
    }
    let message = optional_str(input, message_field)?
        .unwrap_or(default_message)
        .to_string();
    check::message(message_field, &message)?;
    let author = Author {
        name: optional_str(input, "gitAuthorName")?
            .unwrap_or(DEFAULT_AUTHOR)
            .to_string(),
        email: optional_str(input, "gitAuthorEmail")?
            .unwrap_or(DEFAULT_EMAIL)
            .to_string(),
    };
    check::author(&author.name, &author.email)?;
    Ok(Content {
        source,
        message,
        author,
    })
}

/// A boolean input, `default` when absent.
pub(crate) fn flag(input: &Map<String, Value>, field: &str, default: bool) -> Result<bool, ActionError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ActionError::input(field, "must be true or false")),
    }
}

async fn publish(ctx: &ActionContext, input: Map<String, Value>) -> Result<Map<String, Value>, ActionError> {
    let url = required_str(&input, "repoUrl")?;
    check::remote_url("repoUrl", url, ctx.services.git.allow_file)?;
    check::configured_host("repoUrl", url, &ctx.services.git.credentials)?;
    let branch = optional_str(&input, "defaultBranch")?.unwrap_or("main");
    check::branch("defaultBranch", branch)?;
    let force = flag(&input, "force", false)?;
    let content = content(ctx, &input, "gitCommitMessage", "initial commit")?;
    let remote = Remote {
        settings: &ctx.services.git,
        url,
    };
    let scratch = Scratch::new()?;
    let (git_dir, commit) = remote
        .commit_tree(&scratch, &content.source, branch, &content.message, &content.author)
        .await?;
    let mut output = Map::new();
    output.insert("remoteUrl".into(), json!(url));
    output.insert("repoContentsUrl".into(), json!(format!("{url}?ref={branch}")));
    output.insert("commitHash".into(), json!(commit.hash));
    if ctx.dry_run {
        ctx.log(format!(
            "Dry run: would push {} files as commit {} to branch {branch} of {url}",
            commit.files, commit.hash
        ));
        return Ok(output);
    }
    ctx.check_cancelled()?;
    if let Some(head) = remote.branch_head(&scratch, branch).await? {
        if !force {
            return Err(ActionError::Failed(format!(
                "the repository already has a {branch} branch (at {head}) at {url}: nothing was pushed; \
                 publish into an empty repository, or set force: true to replace the branch"
            )));
        }
        ctx.log(format!(
            "{url} already has a {branch} branch (at {head}); replacing it (force)"
        ));
    }
    ctx.log(format!("Pushing {} files to branch {branch} of {url}", commit.files));
    remote.push(&scratch, &git_dir, branch, force).await?;
    ctx.side_effect(format!("pushed {} to {url}", commit.hash));
    ctx.log(format!("Pushed commit {} to {url}", commit.hash));
    Ok(output)
}
