//! `publish:github` (a new repository, its first commit, topics and branch protection) and
//! `publish:github:pull-request` (a branch with the generated files on an existing repository and
//! a pull request for it), through GitHub's REST API with the host's `integrations.github` entry.

mod api;
mod create;
mod options;
mod pull_request;

use std::sync::Arc;

use catalog::ingest::git::{Credential, GitSettings};
use serde_json::{Map, Value};

use super::{Action, ActionError, required_str};
use crate::model::schema::RepoUrl;

pub fn actions() -> Vec<Arc<dyn Action>> {
    vec![Arc::new(create::PublishGithub), Arc::new(pull_request::PullRequest)]
}

/// The repository a `repoUrl` (`github.com?owner=acme&repo=svc`) names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub host: String,
    pub owner: String,
    pub name: String,
}

impl Target {
    /// Reads `repoUrl`, checking the owner and name against GitHub's rules.
    pub fn from_input(input: &Map<String, Value>) -> Result<Target, ActionError> {
        let text = required_str(input, "repoUrl")?;
        let bad = |why: &str| ActionError::input("repoUrl", format!("`{text}`: {why}"));
        let url = RepoUrl::parse(text)
            .ok_or_else(|| bad("expected host?owner=OWNER&repo=NAME, as the RepoUrlPicker writes it"))?;
        let owner = url.owner.ok_or_else(|| bad("names no owner"))?;
        let host_ok = !url.host.starts_with(['-', '.'])
            && url.host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c));
        if !host_ok {
            return Err(bad("the host is not a host name"));
        }
        let owner_ok = owner.len() <= 39
            && !owner.starts_with('-')
            && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !owner_ok {
            return Err(bad("the owner is not a GitHub user or organisation name"));
        }
        let name = url.repo;
        let name_ok = name.len() <= 100
            && name != "."
            && name != ".."
            && !name.starts_with('-')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !name_ok {
            return Err(bad(
                "the repository name may hold only letters, digits, `.`, `_` and `-` (at most 100)",
            ));
        }
        Ok(Target {
            host: url.host,
            owner,
            name,
        })
    }

    /// `owner/name`.
    pub fn full(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Where the repository's page is, before the API has said (dry runs).
    pub fn expected_html_url(&self) -> String {
        format!("https://{}/{}/{}", self.host, self.owner, self.name)
    }
}

/// The Git settings that push to `clone_url` with `token` (and nothing else).
pub(crate) fn push_settings(base: &GitSettings, clone_url: &str, token: &str) -> GitSettings {
    let host = clone_url
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
        .map(|authority| authority.rsplit('@').next().unwrap_or(authority))
        .unwrap_or_default();
    GitSettings {
        credentials: vec![Credential {
            host: host.to_string(),
            token: token.to_string(),
        }],
        ..base.clone()
    }
}

/// An optional text input of at most `max` characters without control characters but newlines.
pub(crate) fn bounded_text(input: &Map<String, Value>, field: &str, max: usize) -> Result<Option<String>, ActionError> {
    let Some(text) = super::optional_str(input, field)? else {
        return Ok(None);
    };
    if text.chars().count() > max || text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ActionError::input(
            field,
            format!("must be at most {max} characters of text"),
        ));
    }
    Ok(Some(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(url: &str) -> Result<Target, ActionError> {
        Target::from_input(json!({"repoUrl": url}).as_object().unwrap())
    }

    #[test]
    fn repo_urls_name_host_owner_and_repository() {
        let t = target("github.com?owner=acme&repo=payments-api").unwrap();
        assert_eq!(
            (t.host.as_str(), t.owner.as_str(), t.name.as_str()),
            ("github.com", "acme", "payments-api")
        );
        assert_eq!(t.expected_html_url(), "https://github.com/acme/payments-api");
        for bad in [
            "github.com?repo=x",
            "github.com?owner=acme",
            "github.com?owner=acme&repo=../x",
            "github.com?owner=a/b&repo=x",
            "github.com?owner=acme&repo=-x",
            "https://github.com/acme/x",
        ] {
            assert!(target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pushes_carry_the_token_for_the_clone_host_only() {
        let s = push_settings(&GitSettings::default(), "http://127.0.0.1:4000/acme/x.git", "t0k");
        assert_eq!(s.credentials.len(), 1);
        assert_eq!(s.credentials[0].host, "127.0.0.1:4000");
    }
}
