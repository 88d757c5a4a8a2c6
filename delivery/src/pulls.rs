//! Each change's pull request, where the repository's host has a GitHub integration
//! (`integrations.github`): the first commit of the pull request starts its lead time (GitHub's
//! squash and rebase buttons leave Git no trace of it), and its title, branch and labels tell a
//! hotfix. Answers are remembered per commit; a GitHub that cannot be read leaves the changes as
//! Git told them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use catalog::ingest::github::{GithubClient, GithubIntegration, PullRequest};

/// Most commits of one deployment whose pull requests are looked up (GitHub's API is
/// rate-limited; the rest keep Git's dates).
pub const MAX_LOOKUPS: usize = 50;
const MAX_REMEMBERED: usize = 8192;

/// The GitHub hosts the pull requests come from, and what they told.
pub struct Pulls {
    integrations: Vec<GithubIntegration>,
    clients: Mutex<HashMap<String, Arc<GithubClient>>>,
    known: Mutex<HashMap<(String, String), Arc<Vec<PullRequest>>>>,
}

impl Pulls {
    pub fn new(integrations: Vec<GithubIntegration>) -> Pulls {
        Pulls {
            integrations,
            clients: Mutex::new(HashMap::new()),
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The merged pull requests that brought `sha` into `repo` (an `https://HOST/OWNER/NAME`
    /// URL); empty when HOST has no integration. Errors are GitHub's, in words.
    pub async fn of_commit(&self, repo: &str, sha: &str) -> Result<Arc<Vec<PullRequest>>, String> {
        let Some((host, owner, name)) = split(repo) else {
            return Ok(Arc::default());
        };
        let key = (repo.to_string(), sha.to_string());
        if let Some(known) = lock(&self.known).get(&key).cloned() {
            return Ok(known);
        }
        let Some(client) = self.client(&host)? else {
            return Ok(Arc::default());
        };
        let pulls = Arc::new(
            client
                .pull_requests_of_commit(&owner, &name, sha)
                .await
                .map_err(|e| e.to_string())?,
        );
        let mut known = lock(&self.known);
        if known.len() >= MAX_REMEMBERED {
            known.clear();
        }
        known.insert(key, pulls.clone());
        Ok(pulls)
    }

    fn client(&self, host: &str) -> Result<Option<Arc<GithubClient>>, String> {
        let Some(integration) = self.integrations.iter().find(|i| i.host.eq_ignore_ascii_case(host)) else {
            return Ok(None);
        };
        let mut clients = lock(&self.clients);
        if let Some(client) = clients.get(host) {
            return Ok(Some(client.clone()));
        }
        let client = Arc::new(GithubClient::new(&integration.settings).map_err(|e| e.to_string())?);
        clients.insert(host.to_string(), client.clone());
        Ok(Some(client))
    }
}

/// Whether a pull request says it is a hotfix: its title, its branch (`hotfix/…`) or a label.
pub fn is_hotfix(pull: &PullRequest) -> bool {
    let says = |text: &str| {
        let text = text.to_ascii_lowercase();
        ["hotfix", "hot-fix", "hot fix"].iter().any(|w| text.contains(w))
    };
    says(&pull.title) || says(&pull.head_ref) || pull.labels.iter().any(|l| says(l))
}

/// `https://HOST/OWNER/NAME[.git]` (or `http://`, a GitHub Enterprise inside) → (HOST, OWNER, NAME).
fn split(repo: &str) -> Option<(String, String, String)> {
    let rest = repo.strip_prefix("https://").or_else(|| repo.strip_prefix("http://"))?;
    let mut parts = rest.trim_end_matches('/').split('/');
    let (host, owner, name) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || host.is_empty() || owner.is_empty() || name.is_empty() {
        return None;
    }
    Some((
        host.to_string(),
        owner.to_string(),
        name.trim_end_matches(".git").to_string(),
    ))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_split_into_host_owner_and_name() {
        assert_eq!(
            split("https://github.com/acme/shop.git"),
            Some(("github.com".into(), "acme".into(), "shop".into()))
        );
        assert_eq!(split("https://github.com/acme"), None);
        assert_eq!(split("https://github.com/acme/shop/tree/main"), None);
        assert_eq!(split("file:///tmp/x"), None);
    }

    #[test]
    fn a_hotfix_is_said_by_title_branch_or_label() {
        let pull = |title: &str, head: &str, labels: &[&str]| PullRequest {
            number: 1,
            title: title.into(),
            html_url: String::new(),
            head_ref: head.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            merged_at_ms: 0,
            first_commit_ms: None,
        };
        assert!(is_hotfix(&pull("Hotfix: totals", "x", &[])));
        assert!(is_hotfix(&pull("Fix totals", "hotfix/totals", &[])));
        assert!(is_hotfix(&pull("Fix totals", "fix", &["hot-fix"])));
        assert!(!is_hotfix(&pull("Fix totals", "fix/totals", &["bug"])));
    }
}
