//! Each deployment's changes, for lead time: its commit resolved in the entity's repository, the
//! commits since the previous production deployment's, and their lead times
//! (`crate::changes` says what is measured).

use crate::DeliveryError;
use crate::changes::{Change, image_tag_commits, lead_times};
use crate::model::{
    AssessedDeployment, Deployment, DeploymentChanges, DeploymentSource, MAX_PULL_REQUESTS, PullRequestRef,
};
use crate::pulls::{MAX_LOOKUPS, is_hotfix};

use super::Delivery;

impl Delivery {
    /// Fills `changes` of the deployments of one entity's `stream` (its repository `repo`) (judged as `assessed`, in the
    /// same order) that finished in `range`. A repository that cannot be read leaves them
    /// unknown, with the reason; it never fails the metrics.
    pub(super) async fn changes(
        &self,
        repo: Option<&str>,
        stream: &[Deployment],
        assessed: &mut [AssessedDeployment],
        (from_ms, to_ms): (i64, i64),
    ) -> Result<(), DeliveryError> {
        if !stream.iter().any(|d| d.finished_ms >= from_ms && d.finished_ms < to_ms) {
            return Ok(());
        }
        let mut previous: Option<String> = None;
        for (d, a) in stream.iter().zip(assessed.iter_mut()) {
            if d.finished_ms >= to_ms {
                break;
            }
            let candidates = match (&d.source, &d.commit) {
                (_, Some(commit)) => vec![commit.clone()],
                (DeploymentSource::Rollout, None) => image_tag_commits(&d.version),
                (DeploymentSource::Reported, None) => Vec::new(),
            };
            let resolved = match (repo, candidates.is_empty()) {
                (None, _) => Err(
                    "the entity names no repository (github.com/project-slug, or a url: backstage.io/source-location)"
                        .to_string(),
                ),
                (Some(_), true) => Err("no commit: none was reported and no image tag is one".to_string()),
                (Some(repo), false) => match self.history.resolve(repo, &candidates).await {
                    Ok(Some(sha)) => Ok(sha),
                    Ok(None) => Err(format!("{} is not a commit of {repo}", candidates.join(", "))),
                    Err(why) => Err(why),
                },
            };
            if d.finished_ms >= from_ms {
                a.changes = Some(self.deployment_changes(repo, previous.as_deref(), &resolved, d).await);
            }
            // A rollout that failed never ran: its changes reach production with the next one.
            if let Ok(sha) = resolved
                && !d.failed
            {
                previous = Some(sha);
            }
        }
        Ok(())
    }

    async fn deployment_changes(
        &self,
        repo: Option<&str>,
        previous: Option<&str>,
        resolved: &Result<String, String>,
        d: &Deployment,
    ) -> DeploymentChanges {
        let unknown = |commit: Option<&String>, why: String| DeploymentChanges {
            commit: commit.cloned(),
            previous_commit: previous.map(str::to_string),
            unknown: Some(why),
            ..DeploymentChanges::default()
        };
        let (repo, commit) = match (repo, resolved) {
            (Some(repo), Ok(commit)) => (repo, commit),
            (_, Err(why)) => return unknown(None, why.clone()),
            (None, Ok(_)) => return unknown(None, "no repository".into()),
        };
        let Some(previous) = previous else {
            return unknown(
                Some(commit),
                "no earlier production deployment with a known commit to count its changes from".into(),
            );
        };
        let range = match self.history.range(repo, previous, commit).await {
            Ok(range) => range,
            Err(why) => return unknown(Some(commit), why),
        };
        let mut changes = range.changes.clone();
        let mut hotfixes = range.hotfixes.clone();
        let (pull_requests, pull_requests_unknown) = self.pull_requests(repo, &mut changes, &mut hotfixes).await;
        let (lead_seconds, dropped, merge_seconds, merge_dropped) = lead_times(&changes, d.finished_ms);
        DeploymentChanges {
            commit: Some(commit.clone()),
            previous_commit: Some(previous.to_string()),
            changes: changes.len() as u64,
            dropped,
            truncated: range.truncated,
            lead_time_median_seconds: crate::metrics::median(lead_seconds.clone()),
            unknown: None,
            lead_seconds,
            merge_seconds,
            merge_dropped,
            reverts: range.reverts.clone(),
            hotfixes,
            pull_requests,
            pull_requests_unknown,
            commits: range.commits.clone(),
        }
    }

    /// Looks up the pull requests of (the first `MAX_LOOKUPS` of) `changes`: a pull request's
    /// first commit starts its changes' lead time, and one that says hotfix adds its commits to
    /// `hotfixes`. Returns the pull requests, and why they are unknown if GitHub failed.
    async fn pull_requests(
        &self,
        repo: &str,
        changes: &mut [Change],
        hotfixes: &mut Vec<String>,
    ) -> (Vec<PullRequestRef>, Option<String>) {
        let mut out: Vec<PullRequestRef> = Vec::new();
        for change in changes.iter_mut().take(MAX_LOOKUPS) {
            let pulls = match self.pulls.of_commit(repo, &change.sha).await {
                Ok(pulls) => pulls,
                Err(why) => return (out, Some(why)),
            };
            for pull in pulls.iter() {
                if let Some(first) = pull.first_commit_ms {
                    change.first_ms = change.first_ms.min(first);
                }
                if is_hotfix(pull) && !hotfixes.contains(&change.sha) {
                    hotfixes.push(change.sha.clone());
                }
                if out.len() < MAX_PULL_REQUESTS && !out.iter().any(|p| p.number == pull.number) {
                    out.push(PullRequestRef {
                        number: pull.number,
                        title: pull.title.clone(),
                        url: pull.html_url.clone(),
                        first_commit_ms: pull.first_commit_ms,
                    });
                }
            }
        }
        (out, None)
    }
}
