//! A local stand-in for GitHub's REST API, for tests: repositories with files, organisations with
//! teams and members, users, GitHub App installations; real response shapes, `Link` pagination,
//! `x-ratelimit-*` headers, injectable rate limits and server errors, and a request counter.
//! Repositories can be created (`POST /orgs/{org}/repos`, `POST /user/repos`), given topics and
//! branch protection, and receive pull requests (`github_api/publish.rs`); with `git_root` set,
//! a created repository is a real bare repository there, served by a Git HTTP server at
//! `html_base` (`git_http.rs`), so pushes really land.
//! Self-contained (axum, tokio, serde_json) so other crates' tests can include it by `#[path]`.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{OriginalUri, Path, Query, Request, State as Extract};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

#[path = "github_api/publish.rs"]
mod publish;
#[path = "github_api/pulls.rs"]
mod pulls;

/// A running server; stops when dropped.
pub struct GithubApi {
    /// The API base URL (`http://127.0.0.1:PORT` plus the prefix it was started with).
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GithubApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A failure the server answers instead of the next requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 403 with `retry-after: 1`, as GitHub's secondary rate limit.
    SecondaryRateLimit,
    /// 403 with `x-ratelimit-remaining: 0` and a reset one second ahead.
    PrimaryRateLimit,
    /// 429 with `retry-after: 1`.
    TooManyRequests,
    /// 500.
    ServerError,
}

/// Everything the server knows; tests change it between calls through [`GithubApi::state`].
#[derive(Default)]
pub struct State {
    /// The token every request must bear (`Authorization: Bearer`); `None` lets anyone in.
    pub token: Option<String>,
    pub orgs: BTreeSet<String>,
    pub users: BTreeMap<String, User>,
    /// Organisation → member logins.
    pub members: BTreeMap<String, BTreeSet<String>>,
    pub teams: Vec<Team>,
    pub repos: Vec<Repo>,
    pub faults: VecDeque<Fault>,
    /// Faults are served only to requests whose path contains this, when set.
    pub fault_path: Option<String>,
    pub faults_served: usize,
    pub requests: usize,
    /// Requests per path (without the query).
    pub paths: HashMap<String, usize>,
    pub app: Option<App>,
    /// How long each request takes (to see how many run at once).
    pub delay: Option<std::time::Duration>,
    /// Where repositories' `html_url`s point (default `https://github.example`): a local Git
    /// server, for tests that go on to fetch what was discovered.
    pub html_base: Option<String>,
    pub in_flight: usize,
    pub max_in_flight: usize,
    /// The user the token belongs to (`GET /user`); `None` answers 403 as GitHub does for an
    /// App's installation token.
    pub login: Option<String>,
    /// Where created repositories become bare Git repositories (`<root>/<owner>/<name>.git`).
    pub git_root: Option<std::path::PathBuf>,
    /// Branch protection of private repositories answers 403, as on GitHub's free plan.
    pub protection_needs_public: bool,
    base: String,
    next_id: u64,
}

pub struct User {
    pub id: u64,
    pub name: Option<String>,
    /// `None`: the user keeps the e-mail private (GitHub answers null).
    pub email: Option<String>,
}

pub struct Team {
    pub id: u64,
    pub org: String,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub parent: Option<String>,
    /// Direct members; the members endpoint adds those of child teams, as GitHub does.
    pub members: BTreeSet<String>,
}

pub struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    pub archived: bool,
    /// Still listed, but every `/repos/…` request answers 404: deleted since the listing.
    pub deleted: bool,
    /// (branch, path) → content.
    pub files: BTreeMap<(String, String), String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    /// `public`, `private` or `internal`.
    pub visibility: String,
    pub topics: Vec<String>,
    /// The body the repository was created with (settings such as `delete_branch_on_merge`).
    pub created_with: Option<Value>,
    /// Branch → the protection body last put.
    pub protection: BTreeMap<String, Value>,
    pub pulls: Vec<Pull>,
}

/// A pull request opened through the API, or added merged by a test.
pub struct Pull {
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub head: String,
    pub base: String,
    pub draft: bool,
    pub labels: Vec<String>,
    pub merged: Option<Merged>,
}

/// How a pull request was merged: the commit it became, when, and its own commits
/// (sha, author date in RFC 3339).
pub struct Merged {
    pub commit_sha: String,
    pub at: String,
    pub commits: Vec<(String, String)>,
}

/// A GitHub App: its id and its installation per owner; tokens it minted are accepted.
pub struct App {
    pub id: u64,
    pub installations: BTreeMap<String, u64>,
    pub minted: Vec<String>,
}

impl GithubApi {
    pub async fn start() -> GithubApi {
        GithubApi::start_at("").await
    }

    /// Serves under `prefix` (e.g. `/api/v3`, as GitHub Enterprise does).
    pub async fn start_at(prefix: &str) -> GithubApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}{prefix}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(State {
            base: url.clone(),
            next_id: 1000,
            ..State::default()
        }));
        let api = Router::new()
            .route("/orgs/{org}/repos", get(org_repos).post(publish::create_org_repo))
            .route("/user/repos", post(publish::create_user_repo))
            .route("/user", get(publish::authenticated_user))
            .route("/repos/{owner}/{repo}", get(publish::repository))
            .route("/repos/{owner}/{repo}/topics", axum::routing::put(publish::topics))
            .route(
                "/repos/{owner}/{repo}/branches/{branch}/protection",
                axum::routing::put(publish::protect),
            )
            .route("/repos/{owner}/{repo}/pulls", post(publish::open_pull))
            .route("/repos/{owner}/{repo}/commits/{sha}/pulls", get(pulls::of_commit))
            .route("/repos/{owner}/{repo}/pulls/{number}/commits", get(pulls::commits))
            .route("/users/{user}/repos", get(user_repos))
            .route("/repos/{owner}/{repo}/contents/{*path}", get(contents))
            .route("/orgs/{org}/teams", get(teams))
            .route("/orgs/{org}/teams/{slug}/members", get(team_members))
            .route("/orgs/{org}/members", get(org_members))
            .route("/users/{login}", get(user))
            .route("/orgs/{org}/installation", get(installation))
            .route("/users/{user}/installation", get(installation))
            .route("/app/installations/{id}/access_tokens", post(access_token))
            .fallback(|| async { not_found() });
        let router = if prefix.is_empty() {
            api
        } else {
            Router::new().nest(prefix, api)
        };
        let router = router
            .layer(middleware::from_fn_with_state(state.clone(), gate))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        GithubApi { url, state, task }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("state")
    }
}

impl State {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn add_org(&mut self, org: &str) {
        self.orgs.insert(org.into());
    }

    /// A repository on branch `main`, without files.
    pub fn add_repo(&mut self, owner: &str, name: &str) -> &mut Repo {
        let id = self.id();
        self.repos.push(Repo {
            id,
            owner: owner.into(),
            name: name.into(),
            default_branch: "main".into(),
            archived: false,
            deleted: false,
            files: BTreeMap::new(),
            description: None,
            homepage: None,
            visibility: "public".into(),
            topics: Vec::new(),
            created_with: None,
            protection: BTreeMap::new(),
            pulls: Vec::new(),
        });
        self.repos.last_mut().expect("just pushed")
    }

    pub fn repo(&mut self, owner: &str, name: &str) -> &mut Repo {
        self.repos
            .iter_mut()
            .find(|r| r.owner == owner && r.name == name)
            .expect("no such repository")
    }

    /// A user, member of `org` when given.
    pub fn add_user(&mut self, org: Option<&str>, login: &str, name: Option<&str>, email: Option<&str>) {
        let id = self.id();
        self.users.insert(
            login.into(),
            User {
                id,
                name: name.map(Into::into),
                email: email.map(Into::into),
            },
        );
        if let Some(org) = org {
            self.members.entry(org.into()).or_default().insert(login.into());
        }
    }

    pub fn add_team(&mut self, org: &str, slug: &str, name: &str, parent: Option<&str>, members: &[&str]) {
        let id = self.id();
        self.teams.push(Team {
            id,
            org: org.into(),
            slug: slug.into(),
            name: name.into(),
            description: Some(format!("The {name} team")),
            parent: parent.map(Into::into),
            members: members.iter().map(|m| m.to_string()).collect(),
        });
    }

    /// The next `n` requests answer `fault`.
    pub fn inject(&mut self, fault: Fault, n: usize) {
        self.faults.extend(std::iter::repeat_n(fault, n));
    }

    fn html(&self) -> String {
        self.html_base
            .clone()
            .unwrap_or_else(|| "https://github.example".into())
    }
}

impl Repo {
    pub fn file(&mut self, branch: &str, path: &str, content: &str) -> &mut Repo {
        self.files.insert((branch.into(), path.into()), content.into());
        self
    }
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().expect("state")
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.as_u16().to_string(),
    });
    (status, axum::Json(body)).into_response()
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

/// Counts, serves injected faults, checks credentials, and adds the rate-limit headers.
async fn gate(Extract(state): Extract<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let auth = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (fault, remaining, delay) = {
        let mut s = lock(&state);
        s.requests += 1;
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        *s.paths.entry(path.clone()).or_default() += 1;
        let targeted = s.fault_path.as_ref().is_none_or(|p| path.contains(p.as_str()));
        let fault = if targeted { s.faults.pop_front() } else { None };
        if fault.is_some() {
            s.faults_served += 1;
        }
        (fault, 5000usize.saturating_sub(s.requests).max(1), s.delay)
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = match fault {
        Some(fault) => fault_response(fault),
        None => match check_auth(&state, &path, auth.as_deref()) {
            Some(refusal) => refusal,
            None => next.run(request).await,
        },
    };
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if !headers.contains_key(name) {
            headers.insert(name, HeaderValue::from_str(&value).expect("header"));
        }
    };
    set("x-ratelimit-limit", "5000".into());
    set("x-ratelimit-remaining", remaining.to_string());
    set("x-ratelimit-used", (5000 - remaining).to_string());
    set("x-ratelimit-reset", (now() + 3600).to_string());
    set("x-ratelimit-resource", "core".into());
    set("x-github-api-version-selected", "2022-11-28".into());
    lock(&state).in_flight -= 1;
    response
}

fn fault_response(fault: Fault) -> Response {
    let mut response = match fault {
        Fault::SecondaryRateLimit | Fault::TooManyRequests => {
            let status = if fault == Fault::TooManyRequests {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::FORBIDDEN
            };
            let mut r = error(
                status,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            );
            r.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
            r
        }
        Fault::PrimaryRateLimit => {
            let mut r = error(StatusCode::FORBIDDEN, "API rate limit exceeded for user ID 1.");
            let h = r.headers_mut();
            h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            h.insert("x-ratelimit-reset", HeaderValue::from(now() + 1));
            r
        }
        Fault::ServerError => error(StatusCode::INTERNAL_SERVER_ERROR, "Server Error"),
    };
    response
        .headers_mut()
        .insert("x-github-request-id", HeaderValue::from_static("0000:FAULT"));
    response
}

/// `None` when the request may go on. App endpoints want the App's JWT; the rest a token.
fn check_auth(state: &Shared, path: &str, auth: Option<&str>) -> Option<Response> {
    let s = lock(state);
    let bearer = auth.and_then(|a| a.strip_prefix("Bearer "));
    let app_endpoint = path.contains("/app/installations/") || path.ends_with("/installation");
    if let Some(app) = s.app.as_ref() {
        let ok = if app_endpoint {
            bearer.and_then(jwt_issuer) == Some(app.id)
        } else {
            bearer.is_some_and(|b| app.minted.iter().any(|m| m == b))
        };
        return (!ok).then(|| error(StatusCode::UNAUTHORIZED, "Bad credentials"));
    }
    match &s.token {
        Some(token) if bearer != Some(token.as_str()) => {
            let message = if auth.is_none() {
                "Requires authentication"
            } else {
                "Bad credentials"
            };
            Some(error(StatusCode::UNAUTHORIZED, message))
        }
        _ => None,
    }
}

/// The `iss` of an RS256 JWT (the signature is not checked: the key is the test's own).
fn jwt_issuer(token: &str) -> Option<u64> {
    let mut parts = token.split('.');
    let header: Value = serde_json::from_slice(&base64url(parts.next()?)?).ok()?;
    let claims: Value = serde_json::from_slice(&base64url(parts.next()?)?).ok()?;
    let signed = parts.next().is_some_and(|s| !s.is_empty());
    if header["alg"] != "RS256" || !signed {
        return None;
    }
    match &claims["iss"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn base64url(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    Some(out)
}

/// One page of `items` with GitHub's `Link` header (`per_page` up to 100, default 30).
fn paged(state: &State, uri: &axum::http::Uri, query: &HashMap<String, String>, items: Vec<Value>) -> Response {
    let per_page = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30usize)
        .clamp(1, 100);
    let page = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1usize).max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let body: Vec<Value> = items.into_iter().skip((page - 1) * per_page).take(per_page).collect();
    let origin = state.base.split('/').take(3).collect::<Vec<_>>().join("/");
    let link_to = |p: usize| {
        let mut params: Vec<String> = query
            .iter()
            .filter(|(k, _)| *k != "page")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        params.sort();
        params.push(format!("page={p}"));
        format!("<{origin}{}?{}>", uri.path(), params.join("&"))
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", link_to(page - 1)));
    }
    if page < last {
        links.push(format!("{}; rel=\"next\"", link_to(page + 1)));
        links.push(format!("{}; rel=\"last\"", link_to(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", link_to(1)));
    }
    let mut response = axum::Json(body).into_response();
    if !links.is_empty() {
        response
            .headers_mut()
            .insert(header::LINK, HeaderValue::from_str(&links.join(", ")).expect("link"));
    }
    response
}

fn account(state: &State, login: &str, id: u64, kind: &str) -> Value {
    let api = &state.base;
    let html = state.html();
    json!({
        "login": login, "id": id, "node_id": format!("MDQ6VXNlcnt{id}"),
        "avatar_url": format!("https://avatars.github.example/u/{id}?v=4"), "gravatar_id": "",
        "url": format!("{api}/users/{login}"), "html_url": format!("{html}/{login}"),
        "followers_url": format!("{api}/users/{login}/followers"),
        "following_url": format!("{api}/users/{login}/following{{/other_user}}"),
        "gists_url": format!("{api}/users/{login}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/users/{login}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/users/{login}/subscriptions"),
        "organizations_url": format!("{api}/users/{login}/orgs"),
        "repos_url": format!("{api}/users/{login}/repos"),
        "events_url": format!("{api}/users/{login}/events{{/privacy}}"),
        "received_events_url": format!("{api}/users/{login}/received_events"),
        "type": kind, "user_view_type": "public", "site_admin": false,
    })
}

fn repo_json(state: &State, repo: &Repo) -> Value {
    let api = &state.base;
    let full = format!("{}/{}", repo.owner, repo.name);
    let kind = if state.orgs.contains(&repo.owner) {
        "Organization"
    } else {
        "User"
    };
    json!({
        "id": repo.id, "node_id": format!("R_kgDO{}", repo.id), "name": repo.name, "full_name": full,
        "private": repo.visibility != "public", "owner": account(state, &repo.owner, 1, kind),
        "html_url": format!("{}/{full}", state.html()), "description": repo.description, "fork": false,
        "homepage": repo.homepage,
        "url": format!("{api}/repos/{full}"),
        "contents_url": format!("{api}/repos/{full}/contents/{{+path}}"),
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z",
        "pushed_at": "2024-01-03T00:00:00Z",
        "git_url": format!("git://github.example/{full}.git"),
        "clone_url": format!("{}/{full}.git", state.html()),
        "size": 1, "stargazers_count": 0, "watchers_count": 0, "language": "Rust",
        "forks_count": 0, "archived": repo.archived, "disabled": false, "open_issues_count": 0,
        "visibility": repo.visibility, "default_branch": repo.default_branch, "topics": repo.topics,
        "permissions": {"admin": false, "maintain": false, "push": false, "triage": false, "pull": true},
    })
}

async fn org_repos(
    Extract(state): Extract<Shared>,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    if !s.orgs.contains(&org) {
        return not_found();
    }
    let items = s
        .repos
        .iter()
        .filter(|r| r.owner == org)
        .map(|r| repo_json(&s, r))
        .collect();
    paged(&s, &uri, &query, items)
}

async fn user_repos(
    Extract(state): Extract<Shared>,
    Path(user): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    if !s.users.contains_key(&user) && !s.orgs.contains(&user) {
        return not_found();
    }
    let items = s
        .repos
        .iter()
        .filter(|r| r.owner == user)
        .map(|r| repo_json(&s, r))
        .collect();
    paged(&s, &uri, &query, items)
}

async fn contents(
    Extract(state): Extract<Shared>,
    Path((owner, name, path)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    let Some(repo) = s
        .repos
        .iter()
        .find(|r| r.owner == owner && r.name == name && !r.deleted)
    else {
        return not_found();
    };
    let branch = query.get("ref").cloned().unwrap_or_else(|| repo.default_branch.clone());
    let Some(content) = repo.files.get(&(branch.clone(), path.clone())) else {
        return not_found();
    };
    let api = &s.base;
    let full = format!("{owner}/{name}");
    let sha = format!("{:040x}", content.len() as u128 * 7919 + repo.id as u128);
    let self_url = format!("{api}/repos/{full}/contents/{path}?ref={branch}");
    let html_url = format!("{}/{full}/blob/{branch}/{path}", s.html());
    let git_url = format!("{api}/repos/{full}/git/blobs/{sha}");
    let file_name = path.rsplit('/').next().unwrap_or(&path);
    axum::Json(json!({
        "type": "file", "encoding": "base64", "size": content.len(), "name": file_name, "path": path,
        "content": base64(content.as_bytes()), "sha": sha, "url": self_url, "git_url": git_url,
        "html_url": html_url,
        "download_url": format!("https://raw.github.example/{full}/{branch}/{path}"),
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }))
    .into_response()
}

/// Standard base64 with a line break every 60 characters, as GitHub writes contents.
fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    let mut wrapped = String::new();
    for (i, c) in out.chars().enumerate() {
        if i > 0 && i % 60 == 0 {
            wrapped.push('\n');
        }
        wrapped.push(c);
    }
    wrapped.push('\n');
    wrapped
}

fn team_json(state: &State, team: &Team) -> Value {
    let api = &state.base;
    let parent = team
        .parent
        .as_ref()
        .and_then(|p| state.teams.iter().find(|t| t.org == team.org && &t.slug == p))
        .map(|p| team_summary(state, p));
    let mut value = team_summary(state, team);
    value["parent"] = parent.unwrap_or(Value::Null);
    value["members_url"] = json!(format!("{api}/organizations/1/team/{}/members{{/member}}", team.id));
    value
}

fn team_summary(state: &State, team: &Team) -> Value {
    let api = &state.base;
    json!({
        "id": team.id, "node_id": format!("T_kwDO{}", team.id), "name": team.name, "slug": team.slug,
        "description": team.description, "privacy": "closed", "notification_setting": "notifications_enabled",
        "permission": "pull", "url": format!("{api}/organizations/1/team/{}", team.id),
        "html_url": format!("{}/orgs/{}/teams/{}", state.html(), team.org, team.slug),
        "members_url": format!("{api}/organizations/1/team/{}/members{{/member}}", team.id),
        "repositories_url": format!("{api}/organizations/1/team/{}/repos", team.id),
    })
}

async fn teams(
    Extract(state): Extract<Shared>,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    if !s.orgs.contains(&org) {
        return not_found();
    }
    let items = s
        .teams
        .iter()
        .filter(|t| t.org == org)
        .map(|t| team_json(&s, t))
        .collect();
    paged(&s, &uri, &query, items)
}

/// Members of the team and of its child teams, as GitHub's REST endpoint lists them.
async fn team_members(
    Extract(state): Extract<Shared>,
    Path((org, slug)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    if !s.teams.iter().any(|t| t.org == org && t.slug == slug) {
        return not_found();
    }
    let mut logins = BTreeSet::new();
    let mut pending = vec![slug];
    while let Some(current) = pending.pop() {
        for team in s.teams.iter().filter(|t| t.org == org) {
            if team.slug == current {
                logins.extend(team.members.iter().cloned());
            }
            if team.parent.as_deref() == Some(current.as_str()) {
                pending.push(team.slug.clone());
            }
        }
    }
    let items = logins.iter().map(|l| member_json(&s, l)).collect();
    paged(&s, &uri, &query, items)
}

fn member_json(state: &State, login: &str) -> Value {
    let id = state.users.get(login).map_or(0, |u| u.id);
    account(state, login, id, "User")
}

async fn org_members(
    Extract(state): Extract<Shared>,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    if !s.orgs.contains(&org) {
        return not_found();
    }
    let logins = s.members.get(&org).cloned().unwrap_or_default();
    let items = logins.iter().map(|l| member_json(&s, l)).collect();
    paged(&s, &uri, &query, items)
}

async fn user(Extract(state): Extract<Shared>, Path(login): Path<String>) -> Response {
    let s = lock(&state);
    let Some(user) = s.users.get(&login) else {
        return not_found();
    };
    let mut value = account(&s, &login, user.id, "User");
    let extra = json!({
        "name": user.name, "company": null, "blog": "", "location": null, "email": user.email,
        "hireable": null, "bio": null, "twitter_username": null, "public_repos": 1, "public_gists": 0,
        "followers": 0, "following": 0, "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
    });
    if let (Some(v), Value::Object(extra)) = (value.as_object_mut(), extra) {
        v.extend(extra);
    }
    axum::Json(value).into_response()
}

async fn installation(Extract(state): Extract<Shared>, Path(owner): Path<String>) -> Response {
    let s = lock(&state);
    let Some((app, id)) = s.app.as_ref().and_then(|a| Some((a, *a.installations.get(&owner)?))) else {
        return not_found();
    };
    let api = &s.base;
    axum::Json(json!({
        "id": id, "app_id": app.id, "app_slug": "cairn", "target_id": 1, "target_type": "Organization",
        "account": account(&s, &owner, 1, "Organization"), "repository_selection": "all",
        "access_tokens_url": format!("{api}/app/installations/{id}/access_tokens"),
        "repositories_url": format!("{api}/installation/repositories"),
        "html_url": format!("{}/organizations/{owner}/settings/installations/{id}", s.html()),
        "permissions": {"contents": "read", "members": "read", "metadata": "read"},
        "events": [], "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
        "single_file_name": null, "suspended_at": null, "suspended_by": null,
    }))
    .into_response()
}

async fn access_token(Extract(state): Extract<Shared>, Path(id): Path<u64>) -> Response {
    let mut s = lock(&state);
    let Some(app) = s.app.as_mut().filter(|a| a.installations.values().any(|i| *i == id)) else {
        return not_found();
    };
    let token = format!("ghs_installation{id}x{}", app.minted.len());
    app.minted.push(token.clone());
    let expires = now() + 3600;
    let body = json!({
        "token": token,
        "expires_at": rfc3339(expires),
        "permissions": {"contents": "read", "members": "read", "metadata": "read"},
        "repository_selection": "all",
    });
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

/// `YYYY-MM-DDTHH:MM:SSZ` for epoch seconds.
fn rfc3339(secs: u64) -> String {
    catalog::time::UtcTime::from_unix_ms(secs as i64 * 1000).rfc3339()
}

/// A throwaway RSA key made for this test only; it signs the App's JWT.
pub const TEST_APP_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEA49MhAx4rPE//oDH+9OcuIfFwV24CqonChXG6UUBowSE9SrA4
eApfIqEgHqfSCE6nsHo++ob+U5ekPI4qrZv/611xVma6G9Iab0ciaBRiXVDsd2sB
mf3KaiJXIrMkSh4EamTwHzyajqf1mE01EAgOfxFopUFIhMTx75VA5dJWyA8VArp8
7vSkGpVXDfmi+REyelDf6VOr38iY8u3Nq4dtWQraysaV/pWqU2lv669Fq3VryT4Y
jV9dhrhdczQXOZ05gme0dxHXMIg3bc+TjPaP6YAa8rXU0RP7+Nso2pl7Z6i1jceT
xAvn6f/XMQAd+0lkphC1cI17LF4PMTbCTxzimQIDAQABAoIBABxU5ygSGmJXuHxd
e01NaolCEyxsO9ylYRFjQT5VejF6RrsBCySydX5C91GYoR/zWBs0OJzDKOGQXBZD
v77zRXIpnqyV/dLz3+GywO6cilb8d0uqfPp/eyqTtq5UBNFKxlXM06euy7Gt5XbZ
Mx4ZQmQ+7/qNEc2hCE05DGcIL06VhYBLDYMB36k96UdDdGlqMdO/hAUIurz6TgFm
Ud3UnqbJf1fbd7nvNabdZlx5QCw40h2AxIk9nbbPuLa1/Ygp3CMCIMxMM2xRgXoc
Cr2GbIBnJCSpLYROEQxXRChk1xV+FYTPox/OdXhd6Lggir/SO0xU7xLPZpRnbHcC
QJqpGhkCgYEA8sEK3SEkj6aY2eYP/V0WDFwDwlBkm+O7v0EuaRIbMWJAaAcRrkAH
2LteT6djTQbXRUemim7qdu7rTeKOOuo0GiU3kZjjMuHPl0Na53sN9oKFF/zJkcEh
GkWpn4a7I/DDMC8xwNxV+Mtbft3nnwQB1qZHVE6PUTmUcOxcVrHqd6sCgYEA8EGL
AU1MUiwRhJhHQxOzbg0r49i8z9o4GplMs/BacMDSbDA83YXsAIUJxK0YoBSZLUfk
wyP67t8/WV4N0tG5BdS66pDhMOMT6Z3wF0IOeuhXqDBeZ3PZVVe29HMvdhx1ejjK
+S5mDA4DfIJMXAaDs/0kDOV68pu3T0m7FZT5+ssCgYAeA547PwjNNhT6BAcAFY1P
U+UnFleKKrsg54c8eH+iOHqsIguels4hjvEXOiP99xWQvE4sGZClyd6QD630PNba
ULWxK80TknXfRvWrXzyXuQWJtLiba9yS6gAR+E+VHwSTJZKqPNPoYgRbCEbGE3HC
v2ZcVyZDLbJbz+2Ozoql5wKBgQCAYcWxsGh0EHBb9jM+OKzMxeUKH6rlNqp8LCa8
kFcDoUXP4gbkKMfvjyelHQnnoJophB1N2VAhjNIBIy0n1kGUSBSJe1maEf11/Jtr
EjVCoB0XFqGbjmA4JmLxRQu7hYGRCgAMHysQjfx27/l1w1VlPIOjEI0eTu8pQzDh
W3Yo+QKBgEX+31NPNWJPRifl3339/Tdf6Tb206I/+2g9SvZDXY5xbbuwdgZQSL/K
GoLIIXtn8CTVfg6tqohOP7MU1sPNwIUQctoRkB7e7Fg9YR1lQoIJWL4GI/ctuPY0
eRkSP31r6tsCsyCeqMb6R7eMwh6GB16IreMT690N5V4Q7gqW/KJS
-----END RSA PRIVATE KEY-----";
