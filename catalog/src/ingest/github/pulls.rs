//! The pull requests that brought a commit, with the date of their first commit: what delivery
//! metrics need so a squash or rebase merge made with GitHub's button keeps its lead time.

use serde::Deserialize;

use super::IngestError;
use super::client::{Session, encode};

/// Most pull requests read for one commit.
const MAX_PULLS: usize = 10;
/// GitHub lists at most 250 commits of a pull request.
const MAX_PULL_COMMITS: usize = 250;

/// A merged pull request as delivery shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub title: String,
    pub html_url: String,
    /// The branch it came from (`hotfix/total`).
    pub head_ref: String,
    pub labels: Vec<String>,
    pub merged_at_ms: i64,
    /// The earliest author date of its commits (None when GitHub lists none).
    pub first_commit_ms: Option<i64>,
}

#[derive(Deserialize)]
struct Pull {
    number: u64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    html_url: String,
    head: Head,
    #[serde(default)]
    labels: Vec<Label>,
    merged_at: Option<String>,
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "ref", default)]
    name: String,
}

#[derive(Deserialize)]
struct Label {
    name: String,
}

#[derive(Deserialize)]
struct PullCommit {
    commit: CommitDetail,
}

#[derive(Deserialize)]
struct CommitDetail {
    author: Option<Signature>,
}

#[derive(Deserialize)]
struct Signature {
    date: Option<String>,
}

fn time_ms(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// The merged pull requests of `owner/repo` that brought `sha` (GitHub's
/// `GET /repos/{owner}/{repo}/commits/{sha}/pulls`), each with its first commit's date.
pub(super) async fn of_commit(
    session: &Session<'_>,
    owner: &str,
    repo: &str,
    sha: &str,
) -> Result<Vec<PullRequest>, IngestError> {
    let base = format!("/repos/{}/{}", encode(owner), encode(repo));
    let first = format!("{base}/commits/{}/pulls?per_page={MAX_PULLS}", encode(sha));
    // One page: GitHub lists the pull requests that brought a commit first.
    let reply = session.get(&first).await?;
    if reply.status == 404 || reply.status == 422 {
        return Ok(Vec::new());
    }
    if !(200..300).contains(&reply.status) {
        return Err(IngestError::Read(format!("GitHub GET {first}: HTTP {}", reply.status)));
    }
    let pulls: Vec<Pull> = reply.json(&first)?;
    let mut out = Vec::new();
    for pull in pulls.into_iter().take(MAX_PULLS) {
        let Some(merged_at_ms) = pull.merged_at.as_deref().and_then(time_ms) else {
            continue;
        };
        let commits: Vec<PullCommit> = session
            .list(
                &format!("{base}/pulls/{}/commits?per_page=100", pull.number),
                MAX_PULL_COMMITS,
            )
            .await?
            .unwrap_or_default();
        out.push(PullRequest {
            number: pull.number,
            title: pull.title,
            html_url: pull.html_url,
            head_ref: pull.head.name,
            labels: pull.labels.into_iter().map(|l| l.name).collect(),
            merged_at_ms,
            first_commit_ms: commits
                .iter()
                .filter_map(|c| c.commit.author.as_ref()?.date.as_deref().and_then(time_ms))
                .min(),
        });
    }
    Ok(out)
}
