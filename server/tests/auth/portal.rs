//! The sign-in tests' harness: a portal signing in at a local OpenID provider, and a browser
//! that keeps its session cookie and follows redirects one step at a time.

use std::path::PathBuf;

use cairn_server::auth::{AuthConfig, OidcConfig};
use reqwest::{Response, StatusCode, Url, header};
use serde_json::Value;
use sqlx::Row;

use crate::common::oidc::{CLIENT_ID, CLIENT_SECRET, Provider, TestUser};
use crate::common::{TestDb, TestServer};

pub fn maya() -> TestUser {
    TestUser::new("sub-maya", "maya@example.test", "Maya at the provider")
}

/// Her User entity spells the address `Ada@Example.test`: matching ignores case.
pub fn ada() -> TestUser {
    TestUser::new("sub-ada", "ada@example.test", "Ada at the provider")
}

pub fn stranger() -> TestUser {
    TestUser::new("sub-stranger", "stranger@example.test", "Stranger")
}

pub fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/auth")
        .join(name)
        .display()
        .to_string()
}

/// A portal with sign-in at a local provider where Maya is logged in; `group:platform` are admins.
pub struct Portal {
    pub server: TestServer,
    pub provider: Provider,
}

pub async fn portal(db: &TestDb, tune: impl Fn(&mut AuthConfig)) -> Portal {
    let provider = Provider::start(maya()).await;
    // The redirect URL names the portal's port, so it is chosen before the portal starts; another
    // process may take it in between, and then a new one is chosen.
    let mut attempts = 0;
    let server = loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        match TestServer::try_start_with(portal_config(db, &provider, port, &tune)).await {
            Ok(server) => break server,
            Err(err) if attempts < 5 && format!("{err:#}").contains("Address already in use") => attempts += 1,
            Err(err) => panic!("server starts: {err:#}"),
        }
    };
    let catalog = &server.state().catalog;
    catalog.sync_config_locations().await.expect("sync");
    catalog.refresh_all().await.expect("refresh");
    Portal { server, provider }
}

fn portal_config(
    db: &TestDb,
    provider: &Provider,
    port: u16,
    tune: &impl Fn(&mut AuthConfig),
) -> cairn_server::config::Config {
    let base = format!("http://127.0.0.1:{port}");
    let mut config = db.config();
    config.bind = format!("127.0.0.1:{port}").parse().expect("addr");
    config.base_url = base.clone();
    config.catalog.locations = vec![("file".into(), fixture("catalog-info.yaml"))];
    config.catalog.allowed_location_types = vec!["file".into()];
    config.auth = AuthConfig {
        oidc: Some(OidcConfig {
            issuer: provider.issuer.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: Some(CLIENT_SECRET.into()),
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            redirect_url: format!("{base}/api/auth/oidc/callback"),
            post_logout_redirect_url: format!("{base}/"),
            claim: "email".into(),
            provider_logout: true,
        }),
        admin_groups: vec!["group:default/platform".into()],
        base_url: base,
        ..AuthConfig::default()
    };
    tune(&mut config.auth);
    config
}

impl Portal {
    pub fn browser(&self) -> Browser<'_> {
        Browser {
            portal: self,
            cookie: None,
            set_cookie: None,
        }
    }

    pub fn origin(&self) -> &str {
        &self.server.base
    }

    pub async fn session_data(&self, id: &str) -> Value {
        let row = sqlx::query("SELECT data FROM sessions WHERE id = $1")
            .bind(id)
            .fetch_one(self.server.state().db.pool())
            .await
            .expect("the session's row");
        serde_json::from_str(&row.get::<String, _>(0)).expect("session data is JSON")
    }

    pub async fn session_exists(&self, id: &str) -> bool {
        sqlx::query("SELECT id FROM sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.server.state().db.pool())
            .await
            .expect("sessions")
            .is_some()
    }

    /// Rewrites the signed-in person's record in a session, as time passing would.
    pub async fn age_session(&self, id: &str, change: impl FnOnce(&mut Value)) {
        let mut data = self.session_data(id).await;
        change(&mut data["signedIn"]);
        sqlx::query("UPDATE sessions SET data = $1 WHERE id = $2")
            .bind(data.to_string())
            .bind(id)
            .execute(self.server.state().db.pool())
            .await
            .expect("update session");
    }
}

/// A browser: one session cookie, redirects followed by the test, one step at a time.
pub struct Browser<'a> {
    pub portal: &'a Portal,
    pub cookie: Option<String>,
    /// The last `Set-Cookie` of the session cookie, whole, for its attributes.
    pub set_cookie: Option<String>,
}

impl Browser<'_> {
    pub fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            self.portal.server.url(path_or_url)
        }
    }

    pub async fn send(&mut self, mut request: reqwest::RequestBuilder) -> Response {
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, format!("cairn_session={cookie}"));
        }
        let response = request.send().await.expect("request");
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().expect("ASCII cookie");
            let Some(rest) = text.strip_prefix("cairn_session=") else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or_default();
            let removed = value.is_empty() || text.to_ascii_lowercase().contains("max-age=0");
            self.cookie = (!removed).then(|| value.to_string());
            self.set_cookie = Some(text.to_string());
        }
        response
    }

    pub async fn get(&mut self, path_or_url: &str) -> Response {
        let request = self.portal.server.client.get(self.url(path_or_url));
        self.send(request).await
    }

    /// A POST as a script would send it: JSON, with only the headers given.
    pub async fn post(&mut self, path: &str, body: Value, headers: &[(&str, &str)]) -> Response {
        let mut request = self.portal.server.client.post(self.url(path)).json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    /// A POST as the portal's own pages send it (their origin).
    pub async fn post_from_portal(&mut self, path: &str, body: Value) -> Response {
        let origin = self.portal.origin().to_string();
        self.post(path, body, &[("origin", &origin)]).await
    }

    pub async fn delete_from_portal(&mut self, path: &str) -> Response {
        let request = self
            .portal
            .server
            .client
            .delete(self.url(path))
            .header("origin", self.portal.origin());
        self.send(request).await
    }

    pub async fn me(&mut self) -> Value {
        let response = self.get("/api/auth/me").await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("JSON")
    }

    pub async fn mode(&mut self) -> String {
        self.me().await["mode"].as_str().expect("mode").to_string()
    }

    /// `/api/auth/login`: returns the provider's authorization URL it redirects to.
    pub async fn start_sign_in(&mut self, return_to: &str) -> String {
        let encoded: String = form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
        let response = self.get(&format!("/api/auth/login?returnTo={encoded}")).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "login redirects to the provider"
        );
        let target = location(&response);
        assert!(
            target.starts_with(&format!("{}/authorize?", self.portal.provider.issuer)),
            "{target}"
        );
        target
    }

    /// The provider's side: returns the callback URL it sends the browser back to.
    pub async fn at_provider(&self, authorize_url: &str) -> String {
        let response = self
            .portal
            .server
            .client
            .get(authorize_url)
            .send()
            .await
            .expect("provider");
        assert!(response.status().is_redirection(), "provider: {}", response.status());
        let callback = location(&response);
        assert!(
            callback.starts_with(&self.portal.server.url("/api/auth/oidc/callback?")),
            "{callback}"
        );
        callback
    }

    /// Sign-in up to the provider's answer: the callback URL, not yet visited.
    pub async fn callback_url(&mut self, return_to: &str) -> String {
        let authorize = self.start_sign_in(return_to).await;
        self.at_provider(&authorize).await
    }

    /// The whole sign-in; returns where the portal sends the browser in the end.
    pub async fn sign_in(&mut self, return_to: &str) -> String {
        let callback = self.callback_url(return_to).await;
        let response = self.get(&callback).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        location(&response)
    }

    /// Signs in and checks it worked.
    pub async fn signed_in(mut self) -> Self {
        let landing = self.sign_in("/").await;
        assert_eq!(landing, "/", "signed in: {}", refusal(&landing));
        assert_eq!(self.mode().await, "signedIn");
        self
    }

    /// An entity's uid, from `kind/namespace/name`.
    pub async fn uid_of(&mut self, path: &str) -> String {
        let response = self.get(&format!("/api/catalog/entities/by-name/{path}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let entity: Value = response.json().await.expect("JSON");
        entity["metadata"]["uid"].as_str().expect("uid").to_string()
    }

    /// The audit log's newest events (needs an admin).
    pub async fn audit(&mut self) -> Vec<Value> {
        let response = self.get("/api/auth/audit").await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("JSON");
        body["items"].as_array().expect("items").clone()
    }

    pub fn session_id(&self) -> String {
        self.cookie.clone().expect("a session cookie")
    }
}

/// The audit event with this action, outcome and actor; panics listing them all if there is none.
pub fn find_event<'a>(events: &'a [Value], action: &str, outcome: &str, actor: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["action"] == action && e["outcome"] == outcome && e["actor"] == actor)
        .unwrap_or_else(|| panic!("no {action} {outcome} by {actor} in {events:#?}"))
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(header::LOCATION)
        .expect("a Location header")
        .to_str()
        .expect("ASCII")
        .to_string()
}

/// The reason on `/signin?error=…`, or "" when `location` is not a refusal.
pub fn refusal(location: &str) -> String {
    location
        .strip_prefix("/signin?")
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "error"))
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The callback URL with one query parameter replaced.
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut url = Url::parse(url).expect("URL");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name { value.to_string() } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

pub fn param(url: &str, name: &str) -> String {
    Url::parse(url)
        .expect("URL")
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("{url} has no {name}"))
}

pub async fn error_message(response: Response) -> String {
    let body: Value = response.json().await.expect("JSON error");
    body["error"]["message"].as_str().expect("error.message").to_string()
}

/// The same cookie with its last character changed.
pub fn tamper(id: &str) -> String {
    let mut chars: Vec<char> = id.chars().collect();
    let last = chars.last_mut().expect("non-empty");
    *last = if *last == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}
