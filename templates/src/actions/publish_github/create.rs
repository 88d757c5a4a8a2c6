//! `publish:github`: creates the repository (under an organisation, or the token's own user),
//! sets its topics, pushes the workspace as its first commit over HTTPS with the integration's
//! token, then protects the default branch. Once the repository exists, every failure says so.

use serde_json::{Map, Value, json};

use super::api::{Github, Method, encode};
use super::options::{self, Visibility};
use super::{Target, push_settings};
use crate::actions::publish_git::repo::{Commit, Remote, Scratch};
use crate::actions::publish_git::{check, content, content_schema};
use crate::actions::{Action, ActionContext, ActionError, ActionFuture, optional_str};

pub(crate) struct PublishGithub;

impl Action for PublishGithub {
    fn id(&self) -> &'static str {
        "publish:github"
    }

    fn description(&self) -> &'static str {
        "Initializes a Git repository of the workspace content and publishes it to GitHub."
    }

    fn input_schema(&self) -> Value {
        let mut properties = content_schema();
        properties.extend(options::schema());
        properties.insert("repoUrl".into(), json!({"type": "string", "title": "Repository Location", "description": "github.com?owner=OWNER&repo=NAME, as the RepoUrlPicker writes it"}));
        properties.insert(
            "defaultBranch".into(),
            json!({"type": "string", "title": "Default Branch", "description": "Default: main"}),
        );
        properties.insert(
            "gitCommitMessage".into(),
            json!({"type": "string", "title": "Git Commit Message", "description": "Default: initial commit"}),
        );
        json!({"type": "object", "required": ["repoUrl"], "properties": properties})
    }

    fn output_schema(&self) -> Value {
        json!({"type": "object", "properties": {
            "remoteUrl": {"type": "string", "description": "The repository's page (html_url)"},
            "repoContentsUrl": {"type": "string", "description": "<html_url>/blob/<branch>, for catalog:register"},
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

/// Everything asked for, read and checked before anything is created.
struct Plan {
    target: Target,
    branch: String,
    visibility: Visibility,
    topics: Vec<String>,
    protection: Option<Value>,
}

fn plan(input: &Map<String, Value>) -> Result<Plan, ActionError> {
    let target = Target::from_input(input)?;
    let branch = optional_str(input, "defaultBranch")?.unwrap_or("main").to_string();
    check::branch("defaultBranch", &branch)?;
    Ok(Plan {
        target,
        branch,
        visibility: Visibility::from_input(input)?,
        topics: options::topics(input)?,
        protection: options::protection(input)?,
    })
}

async fn publish(ctx: &ActionContext, input: Map<String, Value>) -> Result<Map<String, Value>, ActionError> {
    let plan = plan(&input)?;
    let content = content(ctx, &input, "gitCommitMessage", "initial commit")?;
    // Committed first: a workspace with nothing to publish fails before anything is created.
    let local = Remote {
        settings: &ctx.services.git,
        url: "",
    };
    let scratch = Scratch::new()?;
    let (git_dir, commit) = local
        .commit_tree(
            &scratch,
            &content.source,
            &plan.branch,
            &content.message,
            &content.author,
        )
        .await?;
    if ctx.dry_run {
        log_dry_run(ctx, &plan, &commit);
        return Ok(output(&plan.target.expected_html_url(), &plan.branch, &commit));
    }
    let github = Github::connect(ctx, &plan.target.host, &plan.target.owner).await?;
    ctx.check_cancelled()?;
    let created = create(ctx, &github, &plan, &input).await?;
    let html_url = text(&created, "html_url")?;
    ctx.side_effect(format!("created GitHub repository {html_url}"));
    ctx.log(format!("Created {html_url}"));
    let after = |doing: &str, missing: &str, e: ActionError| {
        ActionError::Failed(format!(
            "the repository was created at {html_url}, but {doing} failed, so {missing}: {e}"
        ))
    };
    finish(ctx, &github, &plan, &created, (&scratch, &git_dir, &commit))
        .await
        .map_err(|(doing, missing, e)| after(doing, &missing, e))?;
    Ok(output(&html_url, &plan.branch, &commit))
}

fn log_dry_run(ctx: &ActionContext, plan: &Plan, commit: &Commit) {
    let topics = if plan.topics.is_empty() {
        String::new()
    } else {
        format!(", set topics {}", plan.topics.join(", "))
    };
    let protect = if plan.protection.is_some() {
        ", and protect that branch"
    } else {
        ""
    };
    ctx.log(format!(
        "Dry run: would create the {} repository {} on {}, push {} files as commit {} to {}{topics}{protect}",
        plan.visibility.name(),
        plan.target.full(),
        plan.target.host,
        commit.files,
        commit.hash,
        plan.branch,
    ));
}

/// What comes after creation: topics, the push, protection. An error names the stage and what
/// the repository lacks.
async fn finish(
    ctx: &ActionContext,
    github: &Github,
    plan: &Plan,
    created: &Value,
    (scratch, git_dir, commit): (&Scratch, &std::path::Path, &Commit),
) -> Result<(), (&'static str, String, ActionError)> {
    let full = plan.target.full();
    if !plan.topics.is_empty() {
        let body = json!({"names": plan.topics});
        github
            .call(Method::Put, &format!("/repos/{full}/topics"), Some(&body), &[200])
            .await
            .map_err(|e| ("setting its topics", "it has no topics and no files".to_string(), e))?;
    }
    let clone_url = text(created, "clone_url").map_err(|e| ("reading its clone_url", "it is empty".into(), e))?;
    let settings = push_settings(&ctx.services.git, &clone_url, &github.token);
    let remote = Remote {
        settings: &settings,
        url: &clone_url,
    };
    ctx.log(format!(
        "Pushing {} files to {} of {clone_url}",
        commit.files, plan.branch
    ));
    remote
        .push(scratch, git_dir, &plan.branch, false)
        .await
        .map_err(|e| ("pushing the files", "it is empty".to_string(), e))?;
    ctx.side_effect(format!("pushed {} to {clone_url}", commit.hash));
    if let Some(protection) = &plan.protection {
        let path = format!("/repos/{full}/branches/{}/protection", encode(&plan.branch));
        let missing = format!("its {} branch is not protected", plan.branch);
        github
            .call(Method::Put, &path, Some(protection), &[200])
            .await
            .map_err(|e| ("protecting the default branch", missing, e))?;
        ctx.log(format!("Protected branch {}", plan.branch));
    }
    Ok(())
}

/// Creates the repository: under the token's own user when the owner is that user, otherwise
/// under the organisation. An existing repository is refused before anything is created.
async fn create(
    ctx: &ActionContext,
    github: &Github,
    plan: &Plan,
    input: &Map<String, Value>,
) -> Result<Value, ActionError> {
    let full = plan.target.full();
    let (status, _) = github.send(Method::Get, &format!("/repos/{full}"), None).await?;
    if status == 200 {
        return Err(exists(plan));
    }
    let login = if github.app {
        None
    } else {
        let user = github.call(Method::Get, "/user", None, &[200]).await?;
        Some(
            user.get("login")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        )
    };
    let personal = login
        .as_deref()
        .is_some_and(|l| l.eq_ignore_ascii_case(&plan.target.owner));
    if personal && plan.visibility == Visibility::Internal {
        return Err(ActionError::input(
            "repoVisibility",
            format!(
                "internal repositories belong to organisations; {} is a user",
                plan.target.owner
            ),
        ));
    }
    let path = if personal {
        "/user/repos".to_string()
    } else {
        format!("/orgs/{}/repos", plan.target.owner)
    };
    let body = options::repository_body(input, &plan.target.name, plan.visibility, !personal)?;
    ctx.log(format!(
        "Creating the {} repository {full} ({path})",
        plan.visibility.name()
    ));
    let (status, answer) = github.send(Method::Post, &path, Some(&body)).await?;
    match status {
        201 => Ok(answer),
        422 if answer.to_string().contains("already exists") => Err(exists(plan)),
        404 if !personal => Err(ActionError::Failed(format!(
            "there is no organisation {} on {} that the token{} can create repositories in",
            plan.target.owner,
            plan.target.host,
            login.map(|l| format!(" (of {l})")).unwrap_or_default()
        ))),
        _ => Err(github.refused(Method::Post, &path, status, &answer)),
    }
}

fn exists(plan: &Plan) -> ActionError {
    ActionError::Failed(format!(
        "the repository {} already exists on {}: nothing was created or pushed",
        plan.target.full(),
        plan.target.host
    ))
}

fn text(value: &Value, field: &str) -> Result<String, ActionError> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ActionError::Failed(format!("GitHub's answer has no `{field}`")))
}

fn output(html_url: &str, branch: &str, commit: &Commit) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("remoteUrl".into(), json!(html_url));
    out.insert("repoContentsUrl".into(), json!(format!("{html_url}/blob/{branch}")));
    out.insert("commitHash".into(), json!(commit.hash));
    out
}
