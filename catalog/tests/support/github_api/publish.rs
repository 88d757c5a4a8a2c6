//! What the publish actions call: the authenticated user, repository creation (422 when the name
//! is taken), a repository, topics, branch protection, pull requests. Real response shapes; with
//! `git_root` set, branches are read from the bare repository a push filled.

use super::*;

/// `GET /user`: the token's user, or 403 as for an App's installation token.
pub(super) async fn authenticated_user(Extract(state): Extract<Shared>) -> Response {
    let login = lock(&state).login.clone();
    match login {
        Some(login) => user(Extract(state), Path(login)).await,
        None => error(StatusCode::FORBIDDEN, "Resource not accessible by integration"),
    }
}

pub(super) async fn create_org_repo(
    Extract(state): Extract<Shared>,
    Path(org): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !lock(&state).orgs.contains(&org) {
        return not_found();
    }
    create(&state, &org, body, "create-an-organization-repository")
}

pub(super) async fn create_user_repo(Extract(state): Extract<Shared>, axum::Json(body): axum::Json<Value>) -> Response {
    let Some(login) = lock(&state).login.clone() else {
        return error(StatusCode::FORBIDDEN, "Resource not accessible by integration");
    };
    create(&state, &login, body, "create-a-repository-for-the-authenticated-user")
}

/// A new empty repository (a bare Git repository under `git_root`), or GitHub's 422.
fn create(state: &Shared, owner: &str, body: Value, doc: &str) -> Response {
    let mut s = lock(state);
    let Some(name) = body["name"].as_str().map(str::to_string) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request.\n\n\"name\" wasn't supplied.",
        );
    };
    if s.repos
        .iter()
        .any(|r| r.owner == owner && r.name.eq_ignore_ascii_case(&name))
    {
        let answer = json!({
            "message": "Repository creation failed.",
            "errors": [{"resource": "Repository", "code": "custom", "field": "name", "message": "name already exists on this account"}],
            "documentation_url": format!("https://docs.github.com/rest/repos/repos#{doc}"),
            "status": "422",
        });
        return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(answer)).into_response();
    }
    if let Some(root) = &s.git_root {
        let dir = root.join(owner).join(format!("{name}.git"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        git(&dir, &["init", "--quiet", "--bare", "--initial-branch", "main"]);
    }
    let private = body["private"].as_bool().unwrap_or(false);
    let visibility = body["visibility"]
        .as_str()
        .unwrap_or(if private { "private" } else { "public" })
        .to_string();
    let repo = s.add_repo(owner, &name);
    repo.description = body["description"].as_str().map(str::to_string);
    repo.homepage = body["homepage"].as_str().map(str::to_string);
    repo.visibility = visibility;
    repo.created_with = Some(body);
    let repo = s.repos.last().expect("just created");
    (StatusCode::CREATED, axum::Json(repo_json(&s, repo))).into_response()
}

/// `GET /repos/{owner}/{repo}`.
pub(super) async fn repository(
    Extract(state): Extract<Shared>,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let mut s = lock(&state);
    let Some(index) = s
        .repos
        .iter()
        .position(|r| r.owner == owner && r.name == name && !r.deleted)
    else {
        return not_found();
    };
    follow_first_push(&mut s, index);
    axum::Json(repo_json(&s, &s.repos[index])).into_response()
}

/// Like GitHub, the first branch pushed to an empty repository becomes its default.
fn follow_first_push(s: &mut State, index: usize) {
    let branches = branches(s, &s.repos[index]);
    let repo = &mut s.repos[index];
    if let Some(first) = branches.first()
        && !branches.contains(&repo.default_branch)
    {
        repo.default_branch = first.clone();
        if let Some(root) = &s.git_root {
            let dir = root.join(&repo.owner).join(format!("{}.git", repo.name));
            git(&dir, &["symbolic-ref", "HEAD", &format!("refs/heads/{first}")]);
        }
    }
}

/// The branches of the repository's bare Git repository (none without `git_root`).
fn branches(s: &State, repo: &Repo) -> Vec<String> {
    let Some(root) = &s.git_root else {
        return Vec::new();
    };
    let dir = root.join(&repo.owner).join(format!("{}.git", repo.name));
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["for-each-ref", "--format=%(refname:short)", "refs/heads"])
        .output()
        .expect("git for-each-ref");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn git(dir: &std::path::Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

pub(super) fn find(s: &State, owner: &str, name: &str) -> Option<usize> {
    s.repos
        .iter()
        .position(|r| r.owner == owner && r.name == name && !r.deleted)
}

/// `PUT /repos/{owner}/{repo}/topics` with `{"names": […]}`.
pub(super) async fn topics(
    Extract(state): Extract<Shared>,
    Path((owner, name)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut s = lock(&state);
    let Some(index) = find(&s, &owner, &name) else {
        return not_found();
    };
    let Some(names) = body["names"].as_array() else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request.\n\n\"names\" wasn't supplied.",
        );
    };
    let names: Vec<String> = names.iter().filter_map(Value::as_str).map(str::to_string).collect();
    s.repos[index].topics = names.clone();
    axum::Json(json!({"names": names})).into_response()
}

/// `PUT /repos/{owner}/{repo}/branches/{branch}/protection`: recorded, answered in GitHub's shape.
pub(super) async fn protect(
    Extract(state): Extract<Shared>,
    Path((owner, name, branch)): Path<(String, String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut s = lock(&state);
    let Some(index) = find(&s, &owner, &name) else {
        return not_found();
    };
    if s.protection_needs_public && s.repos[index].visibility != "public" {
        return error(
            StatusCode::FORBIDDEN,
            "Upgrade to GitHub Pro or make this repository public to enable this feature.",
        );
    }
    if s.git_root.is_some() && !branches(&s, &s.repos[index]).contains(&branch) {
        return error(StatusCode::NOT_FOUND, "Branch not found");
    }
    let url = format!("{}/repos/{owner}/{name}/branches/{branch}/protection", s.base);
    let reviews = &body["required_pull_request_reviews"];
    let enabled = |v: &Value| json!({"enabled": v.as_bool().unwrap_or(false)});
    let answer = json!({
        "url": url,
        "required_status_checks": body["required_status_checks"],
        "required_pull_request_reviews": {
            "url": format!("{url}/required_pull_request_reviews"),
            "dismiss_stale_reviews": reviews["dismiss_stale_reviews"].as_bool().unwrap_or(false),
            "require_code_owner_reviews": reviews["require_code_owner_reviews"].as_bool().unwrap_or(false),
            "require_last_push_approval": false,
            "required_approving_review_count": reviews["required_approving_review_count"],
        },
        "enforce_admins": {"url": format!("{url}/enforce_admins"), "enabled": body["enforce_admins"].as_bool().unwrap_or(false)},
        "required_linear_history": enabled(&body["required_linear_history"]),
        "allow_force_pushes": {"enabled": false},
        "allow_deletions": {"enabled": false},
        "block_creations": {"enabled": false},
        "required_conversation_resolution": enabled(&body["required_conversation_resolution"]),
        "lock_branch": {"enabled": false},
        "allow_fork_syncing": {"enabled": false},
    });
    s.repos[index].protection.insert(branch, body);
    axum::Json(answer).into_response()
}

/// `POST /repos/{owner}/{repo}/pulls`: both branches must exist (422 otherwise, as GitHub says).
pub(super) async fn open_pull(
    Extract(state): Extract<Shared>,
    Path((owner, name)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut s = lock(&state);
    let Some(index) = find(&s, &owner, &name) else {
        return not_found();
    };
    let (head, base) = (body["head"].as_str().unwrap_or(""), body["base"].as_str().unwrap_or(""));
    let known = branches(&s, &s.repos[index]);
    for (field, branch) in [("head", head), ("base", base)] {
        if !known.iter().any(|b| b == branch) {
            let answer = json!({
                "message": "Validation Failed",
                "errors": [{"resource": "PullRequest", "field": field, "code": "invalid"}],
                "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
                "status": "422",
            });
            return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(answer)).into_response();
        }
    }
    let number = s.repos[index].pulls.len() as u64 + 1;
    let pull = Pull {
        number,
        title: body["title"].as_str().unwrap_or_default().to_string(),
        body: body["body"].as_str().map(str::to_string),
        head: head.to_string(),
        base: base.to_string(),
        draft: body["draft"].as_bool().unwrap_or(false),
        labels: Vec::new(),
        merged: None,
    };
    let answer = pull_json(&s, &s.repos[index], &pull);
    s.repos[index].pulls.push(pull);
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

pub(super) fn pull_json(s: &State, repo: &Repo, pull: &Pull) -> Value {
    let full = format!("{}/{}", repo.owner, repo.name);
    let api = format!("{}/repos/{full}", s.base);
    let html = format!("{}/{full}/pull/{}", s.html(), pull.number);
    let user = account(s, s.login.as_deref().unwrap_or("cairn[bot]"), 1, "User");
    let side = |branch: &str| json!({"label": format!("{}:{branch}", repo.owner), "ref": branch, "sha": "", "user": user, "repo": repo_json(s, repo)});
    json!({
        "url": format!("{api}/pulls/{}", pull.number), "id": 9000 + pull.number,
        "node_id": format!("PR_kwDO{}", pull.number), "html_url": html,
        "diff_url": format!("{html}.diff"), "patch_url": format!("{html}.patch"),
        "issue_url": format!("{api}/issues/{}", pull.number), "number": pull.number,
        "state": if pull.merged.is_some() { "closed" } else { "open" },
        "locked": false, "title": pull.title, "user": user, "body": pull.body,
        "created_at": "2024-01-04T00:00:00Z", "updated_at": "2024-01-04T00:00:00Z",
        "closed_at": pull.merged.as_ref().map(|m| &m.at), "merged_at": pull.merged.as_ref().map(|m| &m.at),
        "merge_commit_sha": pull.merged.as_ref().map(|m| &m.commit_sha), "assignee": null,
        "assignees": [], "requested_reviewers": [], "requested_teams": [],
        "labels": pull.labels.iter().enumerate().map(|(i, l)| json!({"id": 7000 + i, "name": l, "color": "d73a4a", "default": false})).collect::<Vec<_>>(),
        "milestone": null, "draft": pull.draft, "head": side(&pull.head), "base": side(&pull.base),
        "author_association": "MEMBER", "auto_merge": null, "merged": pull.merged.is_some(), "mergeable": null,
        "comments": 0, "review_comments": 0, "commits": 1, "additions": 1, "deletions": 0, "changed_files": 1,
    })
}
