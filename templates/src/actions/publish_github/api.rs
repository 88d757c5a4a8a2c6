//! GitHub's REST API for the publish actions: the integration configured for the host (a token,
//! or a GitHub App's installation token for the owner), octocrab built as the catalog builds it,
//! and answers turned into errors that name the request, GitHub's message and the likely cause.

use catalog::ingest::github::{GithubAuth, GithubClient, GithubSettings, octocrab};
use catalog::service::Secret;
use octocrab::Octocrab;
use serde_json::Value;

use super::super::{ActionContext, ActionError};

/// A client acting with one token, which also pushes over HTTPS (`x-access-token`).
pub(crate) struct Github {
    crab: Octocrab,
    pub token: String,
    pub host: String,
    /// A GitHub App's installation token: it cannot act as a user (no `GET /user`).
    pub app: bool,
}

/// The HTTP methods the actions use.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

impl Github {
    /// The client for `host` acting for `owner`, from `integrations.github`.
    pub async fn connect(ctx: &ActionContext, host: &str, owner: &str) -> Result<Github, ActionError> {
        let integration = ctx
            .services
            .github
            .iter()
            .find(|i| i.host.eq_ignore_ascii_case(host))
            .ok_or_else(|| {
                ActionError::Failed(format!(
                    "no integrations.github entry for {host}: add one with its apiBaseUrl and a token or app"
                ))
            })?;
        let settings = &integration.settings;
        let fail = |e: catalog::ingest::IngestError| ActionError::Failed(e.to_string());
        let (token, app) = match &settings.auth {
            GithubAuth::Token(token) => (token.0.clone(), false),
            GithubAuth::App { .. } => {
                let client = GithubClient::new(settings).map_err(fail)?;
                let token = client.installation_token(owner).await.map_err(fail)?;
                (token.map(|t| t.0).unwrap_or_default(), true)
            }
            GithubAuth::None => {
                return Err(ActionError::Failed(format!(
                    "integrations.github for {host} has neither a token nor an app: repositories cannot be created anonymously"
                )));
            }
        };
        let acting = GithubSettings {
            auth: GithubAuth::Token(Secret(token.clone())),
            ..settings.clone()
        };
        Ok(Github {
            crab: octocrab(&acting).map_err(fail)?,
            token,
            host: host.to_string(),
            app,
        })
    }

    /// Sends one request; returns the status and the JSON body (`null` when empty).
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<(u16, Value), ActionError> {
        let sent = match method {
            Method::Get => self.crab._get(path).await,
            Method::Post => self.crab._post(path, body).await,
            Method::Put => self.crab._put(path, body).await,
        };
        let transport = |e: octocrab::Error| {
            ActionError::Failed(format!(
                "GitHub {} {path} on {} failed: {}",
                method.name(),
                self.host,
                message(&e)
            ))
        };
        let response = sent.map_err(transport)?;
        let status = response.status().as_u16();
        let text = self.crab.body_to_string(response).await.map_err(transport)?;
        let json = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|e| {
                ActionError::Failed(format!(
                    "GitHub {} {path} on {}: unexpected answer: {e}",
                    method.name(),
                    self.host
                ))
            })?
        };
        Ok((status, json))
    }

    /// Sends one request and wants one of `ok`; any other status is an error naming it.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        ok: &[u16],
    ) -> Result<Value, ActionError> {
        let (status, json) = self.send(method, path, body).await?;
        if ok.contains(&status) {
            Ok(json)
        } else {
            Err(self.refused(method, path, status, &json))
        }
    }

    /// An error for an answer Cairn cannot use, with GitHub's own message and what usually
    /// causes it.
    pub fn refused(&self, method: Method, path: &str, status: u16, json: &Value) -> ActionError {
        let mut said = json.get("message").and_then(Value::as_str).unwrap_or("").to_string();
        let details: Vec<&str> = json
            .get("errors")
            .and_then(Value::as_array)
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e.get("message").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        if !details.is_empty() {
            said = format!("{said} ({})", details.join("; "));
        }
        let hint = match status {
            401 => " (the token is missing, wrong or expired)",
            403 => " (the token lacks the permission for this)",
            404 => " (not found, or not visible with these credentials)",
            _ => "",
        };
        ActionError::Failed(format!(
            "GitHub {} {path} on {} answered {status}: {said}{hint}",
            method.name(),
            self.host
        ))
    }
}

/// octocrab's error text with its sources (never its `Debug`, which may hold request details).
fn message(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Percent-encodes a branch name for a URL path (`/` included).
pub(crate) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
