//! `publish:github:pull-request`: the workspace's files on a new branch of an existing repository
//! (cloned shallowly with the integration's token, files copied into `targetPath`, one commit),
//! and a pull request for it: how platform teams roll a change out to many services.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::api::{Github, Method};
use super::{Target, bounded_text, push_settings};
use crate::actions::publish_git::repo::{Remote, Scratch};
use crate::actions::publish_git::{Content, check, content, content_schema, flag};
use crate::actions::{Action, ActionContext, ActionError, ActionFuture, optional_str, required_str};
use crate::workspace::{self, Limits, Workspace, tree};

pub(crate) struct PullRequest;

impl Action for PullRequest {
    fn id(&self) -> &'static str {
        "publish:github:pull-request"
    }

    fn description(&self) -> &'static str {
        "Creates a pull request on an existing GitHub repository with the workspace's files."
    }

    fn input_schema(&self) -> Value {
        let mut properties = content_schema();
        let more = json!({
            "repoUrl": {"type": "string", "title": "Repository Location", "description": "github.com?owner=OWNER&repo=NAME"},
            "branchName": {"type": "string", "title": "Branch Name", "description": "The new branch the files are pushed to"},
            "title": {"type": "string", "title": "Pull Request Name"},
            "description": {"type": "string", "title": "Pull Request Description"},
            "targetBranchName": {"type": "string", "title": "Target Branch Name", "description": "The branch the pull request merges into. Default: the repository's default branch"},
            "targetPath": {"type": "string", "title": "Repository Subdirectory", "description": "Where in the repository the files go. Default: its root"},
            "draft": {"type": "boolean", "title": "Create as Draft", "description": "Default: false"},
            "commitMessage": {"type": "string", "title": "Commit Message", "description": "Default: the title"}
        });
        properties.extend(more.as_object().cloned().unwrap_or_default());
        json!({"type": "object", "required": ["repoUrl", "branchName", "title"], "properties": properties})
    }

    fn output_schema(&self) -> Value {
        json!({"type": "object", "properties": {
            "remoteUrl": {"type": "string", "description": "The pull request's page"},
            "pullRequestNumber": {"type": "number", "description": "The pull request's number"},
            "targetBranchName": {"type": "string", "description": "The branch it merges into"}
        }})
    }

    fn supports_dry_run(&self) -> bool {
        true
    }

    fn run<'a>(&'a self, ctx: &'a ActionContext, input: Map<String, Value>) -> ActionFuture<'a> {
        Box::pin(open(ctx, input))
    }
}

/// The inputs, checked before anything is fetched.
struct Ask {
    target: Target,
    branch: String,
    base: Option<String>,
    title: String,
    body: String,
    target_path: String,
    draft: bool,
}

fn ask(input: &Map<String, Value>) -> Result<Ask, ActionError> {
    let branch = required_str(input, "branchName")?.to_string();
    check::branch("branchName", &branch)?;
    let base = optional_str(input, "targetBranchName")?.map(str::to_string);
    if let Some(base) = &base {
        check::branch("targetBranchName", base)?;
    }
    let title = required_str(input, "title")?;
    if title.chars().count() > 256 || title.contains(char::is_control) {
        return Err(ActionError::input(
            "title",
            "must be one line of at most 256 characters",
        ));
    }
    let target_path = workspace::normalize(optional_str(input, "targetPath")?.unwrap_or(""))
        .map_err(|e| ActionError::input("targetPath", e.to_string()))?;
    if target_path.split('/').next() == Some(".git") {
        return Err(ActionError::input("targetPath", "cannot be inside .git"));
    }
    Ok(Ask {
        target: Target::from_input(input)?,
        branch,
        base,
        title: title.to_string(),
        body: bounded_text(input, "description", 65_536)?.unwrap_or_default(),
        target_path,
        draft: flag(input, "draft", false)?,
    })
}

async fn open(ctx: &ActionContext, input: Map<String, Value>) -> Result<Map<String, Value>, ActionError> {
    let ask = ask(&input)?;
    let title = ask.title.clone();
    let content = content(ctx, &input, "commitMessage", &title)?;
    if ctx.dry_run {
        return dry_run(ctx, &ask, &content.source);
    }
    let github = Github::connect(ctx, &ask.target.host, &ask.target.owner).await?;
    let full = ask.target.full();
    let repo = github
        .call(Method::Get, &format!("/repos/{full}"), None, &[200])
        .await?;
    let field = |name: &str| repo.get(name).and_then(Value::as_str).map(str::to_string);
    let (Some(clone_url), Some(html_url), Some(default)) =
        (field("clone_url"), field("html_url"), field("default_branch"))
    else {
        return Err(ActionError::Failed(format!(
            "GitHub's answer for {full} lacks clone_url, html_url or default_branch"
        )));
    };
    let base = ask.base.clone().unwrap_or(default);
    let settings = push_settings(&ctx.services.git, &clone_url, &github.token);
    let remote = Remote {
        settings: &settings,
        url: &clone_url,
    };
    push_branch(ctx, &remote, &ask, &content, &base, &html_url).await?;
    let pull = pull_request(&github, &ask, &base, &html_url).await?;
    let (url, number) = (
        pull.get("html_url").cloned().unwrap_or(Value::Null),
        pull.get("number").cloned().unwrap_or(Value::Null),
    );
    ctx.side_effect(format!(
        "opened pull request #{number} {}",
        url.as_str().unwrap_or_default()
    ));
    let mut out = Map::new();
    out.insert("remoteUrl".into(), url);
    out.insert("pullRequestNumber".into(), number);
    out.insert("targetBranchName".into(), json!(base));
    Ok(out)
}

/// Logs what would be done; the outputs known without asking GitHub.
fn dry_run(ctx: &ActionContext, ask: &Ask, source: &Path) -> Result<Map<String, Value>, ActionError> {
    let files = tree::walk(source, tree::Symlinks::Skip, ctx.workspace.limits().max_files)?;
    let into = if ask.target_path.is_empty() {
        "/"
    } else {
        &ask.target_path
    };
    ctx.log(format!(
        "Dry run: would push {} files into `{into}` on a new branch {} of {} and open a pull request \"{}\" into {}",
        files.iter().filter(|f| !f.is_dir).count(),
        ask.branch,
        ask.target.full(),
        ask.title,
        ask.base.as_deref().unwrap_or("its default branch"),
    ));
    let mut out = Map::new();
    let html = ask.target.expected_html_url();
    out.insert("remoteUrl".into(), json!(format!("{html}/pull/new/{}", ask.branch)));
    if let Some(base) = &ask.base {
        out.insert("targetBranchName".into(), json!(base));
    }
    Ok(out)
}

/// The new branch: `base` checked out, the files copied in and committed, pushed. A branch of
/// that name already there, or nothing to change, is an error before anything is pushed.
async fn push_branch(
    ctx: &ActionContext,
    remote: &Remote<'_>,
    ask: &Ask,
    content: &Content,
    base: &str,
    html_url: &str,
) -> Result<(), ActionError> {
    let full = ask.target.full();
    let scratch = Scratch::new()?;
    if remote.branch_head(&scratch, &ask.branch).await?.is_some() {
        return Err(ActionError::Failed(format!(
            "{full} already has a branch {}: choose another branchName (nothing was pushed)",
            ask.branch
        )));
    }
    ctx.check_cancelled()?;
    let checkout = remote.checkout_new_branch(&scratch, base, &ask.branch).await?;
    let copied = copy_into(ctx, &content.source, &checkout, &ask.target_path)?;
    let commit = remote
        .commit_changes(&scratch, &checkout, &content.message, &content.author)
        .await?
        .ok_or_else(|| {
            ActionError::Failed(format!(
                "the workspace's {copied} file(s) are already on {base} of {full}: there is nothing to propose"
            ))
        })?;
    ctx.log(format!(
        "Pushing {} changed files to branch {} of {html_url}",
        commit.files, ask.branch
    ));
    remote
        .push(&scratch, &checkout.join(".git"), &ask.branch, false)
        .await?;
    ctx.side_effect(format!("pushed branch {} ({}) to {html_url}", ask.branch, commit.hash));
    Ok(())
}

/// `POST /repos/{o}/{r}/pulls`; a failure says the branch is there without a pull request.
async fn pull_request(github: &Github, ask: &Ask, base: &str, html_url: &str) -> Result<Value, ActionError> {
    let body = json!({"title": ask.title, "body": ask.body, "head": ask.branch, "base": base, "draft": ask.draft});
    let path = format!("/repos/{}/pulls", ask.target.full());
    github
        .call(Method::Post, &path, Some(&body), &[201])
        .await
        .map_err(|e| {
            ActionError::Failed(format!(
                "the branch {} was pushed to {html_url}, but no pull request was opened for it: {e}",
                ask.branch
            ))
        })
}

/// Copies the workspace directory `source` into `target_path` of the checkout, never through a
/// symbolic link of the repository and never into `.git`; returns the number of files.
fn copy_into(ctx: &ActionContext, source: &Path, checkout: &Path, target_path: &str) -> Result<usize, ActionError> {
    let limits = ctx.workspace.limits();
    let entries = tree::walk(source, tree::Symlinks::Skip, limits.max_files.saturating_mul(4))?;
    let repository = Workspace::new(
        checkout.to_path_buf(),
        Limits {
            max_files: usize::MAX / 8,
            max_total_bytes: u64::MAX / 2,
            ..limits.clone()
        },
    );
    let mut copied = 0;
    for entry in entries.iter().filter(|e| !e.is_dir) {
        if entry.path.split('/').any(|part| part == ".git") {
            continue;
        }
        let bytes = std::fs::read(source.join(&entry.path))
            .map_err(|e| ActionError::Failed(format!("cannot read `{}` of the workspace: {e}", entry.path)))?;
        let destination = if target_path.is_empty() {
            entry.path.clone()
        } else {
            format!("{target_path}/{}", entry.path)
        };
        repository.write_file(&destination, &bytes, entry.executable)?;
        copied += 1;
    }
    Ok(copied)
}
