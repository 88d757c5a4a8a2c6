//! Reading pull requests: those that brought a commit (their merge commit or one of theirs), and
//! a pull request's commits, in GitHub's shapes.

use super::publish::{find, pull_json};
use super::*;

/// `GET /repos/{owner}/{repo}/commits/{sha}/pulls`.
pub(super) async fn of_commit(
    Extract(state): Extract<Shared>,
    Path((owner, name, sha)): Path<(String, String, String)>,
) -> Response {
    let s = lock(&state);
    let Some(index) = find(&s, &owner, &name) else {
        return not_found();
    };
    let repo = &s.repos[index];
    let brought: Vec<Value> = repo
        .pulls
        .iter()
        .filter(|p| {
            p.merged
                .as_ref()
                .is_some_and(|m| m.commit_sha.starts_with(&sha) || m.commits.iter().any(|(c, _)| c.starts_with(&sha)))
        })
        .map(|p| pull_json(&s, repo, p))
        .collect();
    axum::Json(brought).into_response()
}

/// `GET /repos/{owner}/{repo}/pulls/{number}/commits`.
pub(super) async fn commits(
    Extract(state): Extract<Shared>,
    Path((owner, name, number)): Path<(String, String, u64)>,
) -> Response {
    let s = lock(&state);
    let Some(index) = find(&s, &owner, &name) else {
        return not_found();
    };
    let Some(pull) = s.repos[index].pulls.iter().find(|p| p.number == number) else {
        return not_found();
    };
    let commits: Vec<Value> = pull
        .merged
        .as_ref()
        .map(|m| m.commits.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|(sha, date)| {
            let who = json!({"name": "Ada", "email": "ada@example.test", "date": date});
            json!({
                "sha": sha, "node_id": format!("C_{sha}"),
                "commit": {"author": who, "committer": who, "message": format!("work {sha}"),
                           "tree": {"sha": "", "url": ""}, "url": "", "comment_count": 0},
                "url": "", "html_url": format!("{}/{owner}/{name}/commit/{sha}", s.html()),
                "author": null, "committer": null, "parents": []
            })
        })
        .collect();
    axum::Json(commits).into_response()
}
