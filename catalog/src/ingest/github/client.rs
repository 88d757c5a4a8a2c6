//! GitHub REST requests for one operation: rate limits waited out (within the operation's budget),
//! server errors retried with back-off, pages followed by their `Link` header, requests in flight
//! bounded. octocrab's own retry layer is not compiled in, so what happens here is all there is.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use octocrab::Octocrab;
use octocrab::models::InstallationId;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use super::{GithubSettings, IngestError};
use crate::service::Secret;

/// Attempts at one request when the server fails (5xx) or the connection does.
const ATTEMPTS: u32 = 6;
/// The first back-off after a failure; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// GitHub's advice when a rate limit says neither how long nor until when.
const UNSPECIFIED_WAIT: Duration = Duration::from_secs(60);

/// An answer: status, body, and the next page when there is one.
pub(super) struct Reply {
    pub status: u16,
    pub body: String,
    pub next: Option<String>,
}

/// One operation against GitHub; shares the client's bound on requests in flight.
pub(super) struct Session<'a> {
    crab: Octocrab,
    limiter: &'a Semaphore,
    budget: Budget,
    /// Where next-page links may lead: the API server's `host:port`.
    authority: Option<String>,
    pub concurrency: usize,
}

/// The waiting allowed to one operation. Rate limits pause every request of the operation (GitHub
/// asks clients to stop, not only the request that hit the limit); the pause counts once.
struct Budget {
    max: Duration,
    state: Mutex<(Duration, Option<Instant>)>,
}

impl<'a> Session<'a> {
    pub fn new(crab: Octocrab, limiter: &'a Semaphore, settings: &GithubSettings) -> Session<'a> {
        Session {
            crab,
            limiter,
            budget: Budget {
                max: settings.max_wait,
                state: Mutex::new((Duration::ZERO, None)),
            },
            authority: settings
                .api_base_url
                .parse::<http::Uri>()
                .ok()
                .and_then(|u| u.authority().map(|a| a.to_string())),
            concurrency: settings.concurrency.max(1),
        }
    }

    pub fn acting_as(self, crab: Octocrab) -> Session<'a> {
        Session { crab, ..self }
    }

    /// `GET path_and_query` (relative to the API base URL), retried until it is neither rate
    /// limited nor a server error, or the budget is spent.
    pub async fn get(&self, target: &str) -> Result<Reply, IngestError> {
        let mut attempt = 0;
        loop {
            self.budget.until_resumed().await;
            attempt += 1;
            let sent = {
                let _permit = self.limiter.acquire().await.map_err(|_| closed())?;
                send(&self.crab, target).await
            };
            let (status, headers, body) = match sent {
                Ok(reply) => reply,
                Err(e) if attempt < ATTEMPTS => {
                    self.back_off(target, attempt, &e).await?;
                    continue;
                }
                Err(e) => return Err(IngestError::Read(format!("GitHub GET {target} failed: {e}"))),
            };
            if let Some(wait) = rate_limit_wait(status, &headers, &body) {
                self.budget.pause(target, status, wait)?;
                continue;
            }
            if status >= 500 && attempt < ATTEMPTS {
                self.back_off(target, attempt, &format!("HTTP {status}")).await?;
                continue;
            }
            let next = headers
                .get(http::header::LINK)
                .and_then(|l| l.to_str().ok())
                .and_then(next_link)
                .map(|url| self.relative(&url, target))
                .transpose()?;
            return Ok(Reply { status, body, next });
        }
    }

    /// Every item of a paginated list, page after page; `None` when the first page is a 404.
    pub async fn list<T: DeserializeOwned>(&self, first: &str, limit: usize) -> Result<Option<Vec<T>>, IngestError> {
        let mut items = Vec::new();
        let mut target = first.to_string();
        loop {
            let reply = self.get(&target).await?;
            if reply.status == 404 && items.is_empty() {
                return Ok(None);
            }
            let page: Vec<T> = reply.json(&target)?;
            if items.len() + page.len() > limit {
                return Err(IngestError::Read(format!(
                    "GitHub GET {first} lists more than {limit} items; Cairn reads at most {limit}"
                )));
            }
            let empty = page.is_empty();
            items.extend(page);
            match reply.next {
                Some(next) if !empty => target = next,
                _ => return Ok(Some(items)),
            }
        }
    }

    /// The client of the GitHub App's installation on `owner` (an organisation or a user), with
    /// its first token (minted now, so a refused installation is reported here).
    pub async fn installation(&self, owner: &str) -> Result<(Octocrab, Secret), IngestError> {
        #[derive(serde::Deserialize)]
        struct Installation {
            id: u64,
        }
        let owner_enc = encode(owner);
        let mut target = format!("/orgs/{owner_enc}/installation");
        let mut reply = self.get(&target).await?;
        if reply.status == 404 {
            target = format!("/users/{owner_enc}/installation");
            reply = self.get(&target).await?;
        }
        if reply.status == 404 {
            return Err(IngestError::Read(format!(
                "the GitHub App is not installed on {owner} (GET {target}: 404 Not Found)"
            )));
        }
        let installation: Installation = reply.json(&target)?;
        let (crab, token) = self
            .crab
            .installation_and_token(InstallationId(installation.id))
            .await
            .map_err(|e| {
                IngestError::Read(format!(
                    "GitHub POST /app/installations/{}/access_tokens for {owner} failed: {}",
                    installation.id,
                    octocrab_message(&e)
                ))
            })?;
        Ok((crab, Secret(token.expose_secret().to_string())))
    }

    /// Waits before the next attempt after a failure, within the budget.
    async fn back_off(
        &self,
        target: &str,
        attempt: u32,
        why: &(dyn std::fmt::Display + Sync),
    ) -> Result<(), IngestError> {
        let wait = FIRST_BACKOFF * 2u32.pow(attempt - 1);
        self.budget.charge(target, wait, why)?;
        tracing::warn!(request = target, attempt, wait_ms = wait.as_millis() as u64, %why, "GitHub request failed; retrying");
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// A next-page link as a path relative to the API base URL; only links to the same server are
    /// followed, so the credentials never travel elsewhere.
    fn relative(&self, url: &str, target: &str) -> Result<String, IngestError> {
        let uri: http::Uri = url
            .parse()
            .map_err(|_| IngestError::Read(format!("GitHub GET {target}: the next-page link `{url}` is not a URL")))?;
        match (uri.authority(), uri.path_and_query()) {
            (Some(a), Some(pq)) if Some(a.as_str()) == self.authority.as_deref() => Ok(pq.as_str().to_string()),
            (None, Some(pq)) => Ok(pq.as_str().to_string()),
            _ => Err(IngestError::Read(format!(
                "GitHub GET {target}: the next-page link `{url}` leads away from the API server"
            ))),
        }
    }
}

impl Reply {
    /// The body as JSON of the expected shape; any status but 200 is an error naming it.
    pub fn json<T: DeserializeOwned>(&self, target: &str) -> Result<T, IngestError> {
        if self.status != 200 {
            return Err(status_error(target, self.status, &self.body));
        }
        serde_json::from_str(&self.body)
            .map_err(|e| IngestError::Read(format!("GitHub GET {target}: unexpected answer: {e}")))
    }
}

/// An error for an answer Cairn cannot use, with GitHub's own message and what usually causes it.
pub(super) fn status_error(target: &str, status: u16, body: &str) -> IngestError {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_default();
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let hint = match status {
        401 => " (the token is missing, wrong or expired)",
        403 => " (the token lacks access to this)",
        404 => " (not found, or not visible with these credentials)",
        _ => "",
    };
    let message = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    IngestError::Read(format!("GitHub GET {target} answered {status} {reason}{message}{hint}"))
}

impl Budget {
    /// Sleeps while the operation is paused by a rate limit.
    async fn until_resumed(&self) {
        let until = self.state.lock().ok().and_then(|s| s.1);
        if let Some(until) = until {
            tokio::time::sleep_until(until.into()).await;
        }
    }

    /// Pauses the operation for `wait` from now, counting only what extends the current pause.
    fn pause(&self, target: &str, status: u16, wait: Duration) -> Result<(), IngestError> {
        let now = Instant::now();
        let mut state = self.state.lock().map_err(|_| closed())?;
        let paused_until = state.1.filter(|u| *u > now).unwrap_or(now);
        let until = now + wait;
        if until <= paused_until {
            return Ok(());
        }
        let extra = until - paused_until;
        if state.0 + extra > self.max {
            let resume = chrono::DateTime::<chrono::Utc>::from(SystemTime::now() + wait);
            return Err(IngestError::Read(format!(
                "GitHub rate limit (HTTP {status} on GET {target}): limited until {}, beyond the {:?} Cairn waits per operation",
                resume.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                self.max
            )));
        }
        state.0 += extra;
        state.1 = Some(until);
        tracing::warn!(
            target,
            status,
            wait_s = wait.as_secs_f64(),
            "GitHub rate limit; pausing requests"
        );
        Ok(())
    }

    /// Counts a back-off of one request against the budget.
    fn charge(&self, target: &str, wait: Duration, why: &(dyn std::fmt::Display + Sync)) -> Result<(), IngestError> {
        let mut state = self.state.lock().map_err(|_| closed())?;
        if state.0 + wait > self.max {
            return Err(IngestError::Read(format!(
                "GitHub GET {target} kept failing ({why}); gave up after waiting {:?} in this operation (at most {:?})",
                state.0, self.max
            )));
        }
        state.0 += wait;
        Ok(())
    }
}

type Sent = (u16, http::HeaderMap, String);

async fn send(crab: &Octocrab, target: &str) -> Result<Sent, String> {
    let response = crab._get(target).await.map_err(|e| octocrab_message(&e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = crab.body_to_string(response).await.map_err(|e| octocrab_message(&e))?;
    Ok((status, headers, body))
}

/// How long a 403 or 429 asks to wait, if it is a rate limit: `retry-after` seconds (secondary
/// limits), else until `x-ratelimit-reset` when nothing remains (primary), else a minute for a 429
/// or a 403 that says it is a secondary limit. Any other 403 is a refusal.
fn rate_limit_wait(status: u16, headers: &http::HeaderMap, body: &str) -> Option<Duration> {
    if status != 403 && status != 429 {
        return None;
    }
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
    // At least a second, so a `retry-after: 0` cannot turn into a busy loop.
    if let Some(seconds) = number("retry-after") {
        return Some(Duration::from_secs(seconds.max(1)));
    }
    if number("x-ratelimit-remaining") == Some(0)
        && let Some(reset) = number("x-ratelimit-reset")
    {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        // The reset is in whole seconds: wait at least one so the window has really turned.
        return Some(
            Duration::from_secs(reset)
                .saturating_sub(now)
                .max(Duration::from_secs(1)),
        );
    }
    let secondary = body.to_lowercase().contains("secondary rate limit");
    (status == 429 || secondary).then_some(UNSPECIFIED_WAIT)
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| p.trim().eq_ignore_ascii_case("rel=\"next\""));
        is_next.then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

/// Percent-encodes one path segment or query value (`/` kept when `keep_slash`).
pub(super) fn encode_with(value: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || (keep_slash && byte == b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub(super) fn encode(value: &str) -> String {
    encode_with(value, false)
}

/// octocrab's error text, which never holds the token (its `Debug` might hold request details).
fn octocrab_message(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

fn closed() -> IngestError {
    IngestError::Read("GitHub client was shut down".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found_among_others() {
        let header = r#"<https://api.github.com/orgs/o/repos?page=1>; rel="prev", <https://api.github.com/orgs/o/repos?page=3>; rel="next", <https://api.github.com/orgs/o/repos?page=9>; rel="last""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://api.github.com/orgs/o/repos?page=3")
        );
        assert_eq!(next_link(r#"<https://x/y?page=1>; rel="first""#), None);
    }

    #[test]
    fn a_plain_403_is_a_refusal_not_a_rate_limit() {
        let headers = http::HeaderMap::new();
        assert_eq!(
            rate_limit_wait(403, &headers, r#"{"message":"Resource not accessible"}"#),
            None
        );
        assert_eq!(
            rate_limit_wait(
                403,
                &headers,
                r#"{"message":"You have exceeded a secondary rate limit."}"#
            ),
            Some(UNSPECIFIED_WAIT)
        );
        assert_eq!(rate_limit_wait(429, &headers, ""), Some(UNSPECIFIED_WAIT));
    }

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("a b/c#d"), "a%20b%2Fc%23d");
        assert_eq!(encode_with("release/1.0", true), "release/1.0");
    }
}
