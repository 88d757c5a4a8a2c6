//! GitHub as a source: discovery of the repositories that hold a catalog file, and the
//! organisation's teams and members as Group and User entities (Backstage's `GithubEntityProvider`
//! and `GithubOrgEntityProvider`). REST through octocrab; rate limits, retries, pagination and the
//! bound on requests in flight are handled in `client`, the same way for every endpoint.

mod client;
mod discovery;
mod org;
pub mod provider;
mod pulls;

pub use pulls::PullRequest;

pub use provider::GithubIntegration;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use octocrab::Octocrab;
use tokio::sync::Semaphore;

use super::IngestError;
use crate::service::Secret;
use client::Session;

/// How to reach GitHub (Backstage's `integrations.github[]`): the API base URL
/// (`https://api.github.com`; GitHub Enterprise: `https://HOST/api/v3`) and how to authenticate.
#[derive(Clone, Debug)]
pub struct GithubSettings {
    pub api_base_url: String,
    pub auth: GithubAuth,
    /// The longest total time one operation (a discovery, an org sync) waits on rate limits and
    /// retries before giving up.
    pub max_wait: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Default for GithubSettings {
    fn default() -> Self {
        GithubSettings {
            api_base_url: "https://api.github.com".into(),
            auth: GithubAuth::None,
            max_wait: Duration::from_secs(60),
            concurrency: 8,
        }
    }
}

/// A token (sent as `Authorization: Bearer`), or a GitHub App whose installation on the
/// organisation mints the token.
#[derive(Clone, Debug)]
pub enum GithubAuth {
    None,
    Token(Secret),
    App { app_id: u64, private_key_pem: Secret },
}

/// Backstage's `filters`: `repository` is a regular expression matched against the whole
/// repository name (anchored as Backstage does); `branch` is read instead of the default branch.
#[derive(Clone, Debug, Default)]
pub struct DiscoveryFilter {
    pub repository: Option<String>,
    pub branch: Option<String>,
}

/// A repository with at least one of the catalog files asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredRepo {
    pub name: String,
    pub html_url: String,
    /// The branch read: the default one, or the filter's.
    pub default_branch: String,
    /// `{html_url}/blob/{branch}/{path}`, one per catalog path found, in the order asked.
    pub catalog_urls: Vec<String>,
}

/// A client for one GitHub (github.com or an Enterprise server).
pub struct GithubClient {
    crab: Octocrab,
    app: bool,
    /// Installation clients of a GitHub App, per owner; each refreshes its own token.
    installations: Mutex<HashMap<String, Octocrab>>,
    limiter: Semaphore,
    settings: GithubSettings,
}

impl GithubClient {
    pub fn new(settings: &GithubSettings) -> Result<GithubClient, IngestError> {
        Ok(GithubClient {
            crab: octocrab(settings)?,
            app: matches!(settings.auth, GithubAuth::App { .. }),
            installations: Mutex::new(HashMap::new()),
            limiter: Semaphore::new(settings.concurrency.max(1)),
            settings: settings.clone(),
        })
    }

    /// Every non-archived repository of `owner` (an organisation, or a user when there is no
    /// organisation of that name) with a file at one of `catalog_paths` on its default branch (or
    /// the filter's branch). Repositories deleted while this runs are skipped.
    pub async fn discover(
        &self,
        owner: &str,
        catalog_paths: &[String],
        filter: &DiscoveryFilter,
    ) -> Result<Vec<DiscoveredRepo>, IngestError> {
        let session = self.session(owner).await?;
        discovery::discover(&session, owner, catalog_paths, filter).await
    }

    /// The organisation's teams as Group entities and its members as User entities, in
    /// `namespace`, as Backstage's GitHub org provider writes them.
    pub async fn org_entities(&self, org: &str, namespace: &str) -> Result<Vec<serde_json::Value>, IngestError> {
        let session = self.session(org).await?;
        org::entities(&session, org, namespace).await
    }

    /// The merged pull requests of `owner/repo` that brought commit `sha`, each with the date of
    /// its first commit.
    pub async fn pull_requests_of_commit(
        &self,
        owner: &str,
        repo: &str,
        sha: &str,
    ) -> Result<Vec<PullRequest>, IngestError> {
        let session = self.session(owner).await?;
        pulls::of_commit(&session, owner, repo, sha).await
    }

    /// A token `git` can fetch `owner`'s repositories with, when this client is a GitHub App:
    /// its installation's token (valid an hour).
    pub async fn installation_token(&self, owner: &str) -> Result<Option<Secret>, IngestError> {
        if !self.app {
            return Ok(None);
        }
        let session = Session::new(self.crab.clone(), &self.limiter, &self.settings);
        Ok(Some(session.installation(owner).await?.1))
    }

    /// A session for one operation: its own rate-limit budget, and the client that acts for
    /// `owner` (a GitHub App acts through its installation on the owner).
    async fn session(&self, owner: &str) -> Result<Session<'_>, IngestError> {
        let session = Session::new(self.crab.clone(), &self.limiter, &self.settings);
        if !self.app {
            return Ok(session);
        }
        let cached = self.installations.lock().ok().and_then(|i| i.get(owner).cloned());
        let crab = match cached {
            Some(crab) => crab,
            None => {
                let (crab, _) = session.installation(owner).await?;
                if let Ok(mut installations) = self.installations.lock() {
                    installations.insert(owner.to_string(), crab.clone());
                }
                crab
            }
        };
        Ok(session.acting_as(crab))
    }
}

/// The octocrab client for one GitHub API (base URL, timeouts, token or App), as the catalog's
/// client builds it; the scaffolder's publish actions use it too.
pub fn octocrab(settings: &GithubSettings) -> Result<Octocrab, IngestError> {
    let bad = |why: String| IngestError::Read(format!("GitHub settings for {}: {why}", settings.api_base_url));
    let builder = Octocrab::builder()
        .base_uri(settings.api_base_url.as_str())
        .map_err(|_| bad("the API base URL is not a valid URL".into()))?
        .set_connect_timeout(Some(Duration::from_secs(10)))
        .set_read_timeout(Some(Duration::from_secs(60)));
    let builder = match &settings.auth {
        GithubAuth::None => builder,
        GithubAuth::Token(token) => builder.personal_token(token.0.clone()),
        GithubAuth::App {
            app_id,
            private_key_pem,
        } => builder
            .app_from_rsa_pem(octocrab::models::AppId(*app_id), private_key_pem.0.as_bytes())
            .map_err(|_| bad("the GitHub App private key is not an RSA key in PEM format".into()))?,
    };
    builder.build().map_err(|e| bad(e.to_string()))
}
