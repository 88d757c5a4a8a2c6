//! A local OpenID provider for the sign-in tests, speaking the protocol as `openidconnect` expects:
//! discovery, signing keys, a non-interactive authorization endpoint (the configured person is
//! "logged in"), a token endpoint that checks the client's secret, the code (once only), the
//! redirect URI and PKCE, and an end-session endpoint. ID tokens are signed RS256 with a key made
//! for this test run; a test can make the provider misbehave in one chosen way.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use axum::{
    Form, Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The portal's client registration at this provider (a test value, not a secret).
pub const CLIENT_ID: &str = "cairn-test";
pub const CLIENT_SECRET: &str = "client-secret-for-tests";
const KID: &str = "test-key-1";

/// The person the provider says is logged in.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub sub: String,
    pub email: String,
    pub name: String,
}

impl TestUser {
    pub fn new(sub: &str, email: &str, name: &str) -> TestUser {
        TestUser {
            sub: sub.into(),
            email: email.into(),
            name: name.into(),
        }
    }
}

/// One way the provider's ID token can be wrong, for the tests that must see it refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A correct, honest token.
    None,
    /// Signed, then its `email` changed to this one (a forger's move): the signature no longer fits.
    TamperedPayload(&'static str),
    /// Expired an hour ago.
    Expired,
    /// Issued to another client.
    WrongAudience,
    /// Carries a nonce the portal never sent.
    WrongNonce,
    /// Claims to come from another issuer.
    WrongIssuer,
    /// `email_verified: false`.
    UnverifiedEmail,
    /// The ID token carries no profile claims and userinfo speaks of another subject.
    UserinfoOfAnotherSubject,
}

/// What the portal asked at `/authorize`, kept until the code is exchanged.
#[derive(Clone, Debug)]
struct Grant {
    redirect_uri: String,
    nonce: String,
    code_challenge: String,
    user: TestUser,
}

#[derive(Default)]
struct Record {
    user: Option<TestUser>,
    fault: Option<Fault>,
    /// Profile claims (e-mail, name) only from userinfo, as Okta's default server does.
    claims_in_userinfo_only: bool,
    /// Access token → the person it was issued for.
    access_tokens: HashMap<String, TestUser>,
    userinfo_requests: usize,
    grants: HashMap<String, Grant>,
    used_codes: Vec<String>,
    issued_id_tokens: Vec<String>,
    token_refusals: Vec<String>,
    end_sessions: Vec<HashMap<String, String>>,
}

struct Inner {
    issuer: String,
    key: CoreRsaPrivateSigningKey,
    record: Mutex<Record>,
}

/// A running provider; stops when dropped.
pub struct Provider {
    pub issuer: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Provider {
    /// Starts on a free loopback port with `user` logged in.
    pub async fn start(user: TestUser) -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind provider");
        let addr: SocketAddr = listener.local_addr().expect("provider addr");
        let issuer = format!("http://{addr}");
        let key = CoreRsaPrivateSigningKey::from_pem(test_key_pem(), Some(JsonWebKeyId::new(KID.into())))
            .expect("test key parses");
        let inner = Arc::new(Inner {
            issuer: issuer.clone(),
            key,
            record: Mutex::new(Record {
                user: Some(user),
                ..Record::default()
            }),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .route("/logout", get(end_session))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("provider serves");
        });
        Provider { issuer, inner, task }
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.inner.record.lock().expect("provider record")
    }

    /// Who is logged in at the provider from now on.
    pub fn log_in_as(&self, user: TestUser) {
        self.record().user = Some(user);
    }

    /// How the next ID tokens are wrong (`Fault::None`: not at all).
    pub fn set_fault(&self, fault: Fault) {
        self.record().fault = Some(fault);
    }

    /// Keep e-mail and name out of ID tokens: the portal must ask userinfo.
    pub fn put_claims_in_userinfo_only(&self) {
        self.record().claims_in_userinfo_only = true;
    }

    /// How many times userinfo was asked.
    pub fn userinfo_requests(&self) -> usize {
        self.record().userinfo_requests
    }

    /// Every ID token the token endpoint handed out, oldest first.
    pub fn issued_id_tokens(&self) -> Vec<String> {
        self.record().issued_id_tokens.clone()
    }

    /// Why the token endpoint refused requests, oldest first.
    pub fn token_refusals(&self) -> Vec<String> {
        self.record().token_refusals.clone()
    }

    /// The query of every visit to the end-session endpoint.
    pub fn end_sessions(&self) -> Vec<HashMap<String, String>> {
        self.record().end_sessions.clone()
    }

    pub fn end_session_endpoint(&self) -> String {
        format!("{}/logout", self.issuer)
    }
}

/// One 2048-bit RSA key per test process, made by `openssl` (the `rsa` crate is slow unoptimised).
fn test_key_pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| {
        let out = std::process::Command::new("openssl")
            .args(["genrsa", "-traditional", "2048"])
            .output()
            .expect("openssl runs (the sign-in tests make their signing key with it)");
        assert!(
            out.status.success(),
            "openssl genrsa: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("PEM is text")
    })
}

async fn discovery(State(inner): State<Arc<Inner>>) -> Json<Value> {
    let issuer = &inner.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email"],
    }))
}

async fn jwks(State(inner): State<Arc<Inner>>) -> Json<Value> {
    let set = CoreJsonWebKeySet::new(vec![inner.key.as_verification_key()]);
    Json(serde_json::to_value(set).expect("JWKS serialises"))
}

/// Non-interactive: the configured person is logged in and consents; back to the portal at once.
async fn authorize(State(inner): State<Arc<Inner>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let param = |name: &str| q.get(name).cloned().unwrap_or_default();
    let problems: Vec<&str> = [
        (param("response_type") != "code", "response_type must be code"),
        (param("client_id") != CLIENT_ID, "unknown client_id"),
        (!param("scope").split(' ').any(|s| s == "openid"), "scope lacks openid"),
        (param("code_challenge_method") != "S256", "PKCE S256 required"),
        (param("code_challenge").is_empty(), "code_challenge missing"),
        (param("nonce").is_empty(), "nonce missing"),
        (param("state").is_empty(), "state missing"),
        (param("redirect_uri").is_empty(), "redirect_uri missing"),
    ]
    .into_iter()
    .filter_map(|(bad, why)| bad.then_some(why))
    .collect();
    if !problems.is_empty() {
        // A bad client or redirect URI must not be redirected to (RFC 6749 §4.1.2.1).
        return (StatusCode::BAD_REQUEST, problems.join("; ")).into_response();
    }
    let mut record = inner.record.lock().expect("provider record");
    let Some(user) = record.user.clone() else {
        return (StatusCode::UNAUTHORIZED, "nobody is logged in at the provider").into_response();
    };
    let code = random();
    let redirect_uri = param("redirect_uri");
    record.grants.insert(
        code.clone(),
        Grant {
            redirect_uri: redirect_uri.clone(),
            nonce: param("nonce"),
            code_challenge: param("code_challenge"),
            user,
        },
    );
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &code)
        .append_pair("state", &param("state"))
        .finish();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{redirect_uri}{separator}{query}")).into_response()
}

/// The code exchange: client_secret_basic, a code used once, the same redirect URI, PKCE S256.
async fn token(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut record = inner.record.lock().expect("provider record");
    if !client_authenticated(&headers) {
        return refuse(
            &mut record,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_secret_basic did not match",
        );
    }
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "authorization_code" {
        return refuse(
            &mut record,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code",
        );
    }
    let code = field("code").to_string();
    let redirect_uri = field("redirect_uri").to_string();
    let verifier = field("code_verifier").to_string();
    if record.used_codes.contains(&code) {
        return refuse(
            &mut record,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the code was used already",
        );
    }
    let Some(grant) = record.grants.remove(&code) else {
        return refuse(&mut record, StatusCode::BAD_REQUEST, "invalid_grant", "unknown code");
    };
    record.used_codes.push(code);
    if grant.redirect_uri != redirect_uri {
        return refuse(
            &mut record,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri differs from the authorization request's",
        );
    }
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.code_challenge {
        return refuse(
            &mut record,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "code_verifier does not match the code_challenge",
        );
    }
    let fault = record.fault.unwrap_or(Fault::None);
    let profile_in_token = !record.claims_in_userinfo_only && fault != Fault::UserinfoOfAnotherSubject;
    let id_token = mint_id_token(&inner, &grant, fault, profile_in_token);
    record.issued_id_tokens.push(id_token.clone());
    let access_token = random();
    record.access_tokens.insert(access_token.clone(), grant.user.clone());
    let body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    });
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// An OAuth error response, remembered for the test to look at.
fn refuse(record: &mut Record, status: StatusCode, error: &str, description: &str) -> Response {
    record.token_refusals.push(format!("{error}: {description}"));
    let body = json!({"error": error, "error_description": description});
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

fn client_authenticated(headers: &HeaderMap) -> bool {
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Some(decoded) = STANDARD.decode(encoded).ok().and_then(|b| String::from_utf8(b).ok()) else {
        return false;
    };
    // RFC 6749 §2.3.1: both parts are form-urlencoded before joining.
    let decode = |s: &str| {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    match decoded.split_once(':') {
        Some((id, secret)) => {
            decode(id).as_deref() == Some(CLIENT_ID) && decode(secret).as_deref() == Some(CLIENT_SECRET)
        }
        None => false,
    }
}

/// An RS256 JWT for `grant`, wrong in the way `fault` says; with e-mail and name unless told not.
fn mint_id_token(inner: &Inner, grant: &Grant, fault: Fault, profile: bool) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let mut claims = json!({
        "iss": inner.issuer,
        "sub": grant.user.sub,
        "aud": CLIENT_ID,
        "exp": now + 300,
        "iat": now,
        "nonce": grant.nonce,
        "email": grant.user.email,
        "email_verified": true,
        "name": grant.user.name,
    });
    match fault {
        Fault::None | Fault::TamperedPayload(_) | Fault::UserinfoOfAnotherSubject => {}
        Fault::Expired => {
            claims["iat"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
        }
        Fault::WrongAudience => claims["aud"] = json!("another-client"),
        Fault::WrongNonce => claims["nonce"] = json!("a-nonce-the-portal-never-sent"),
        Fault::WrongIssuer => claims["iss"] = json!("https://evil.example"),
        Fault::UnverifiedEmail => claims["email_verified"] = json!(false),
    }
    if !profile {
        for claim in ["email", "email_verified", "name"] {
            claims.as_object_mut().expect("object").remove(claim);
        }
    }
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("JSON"));
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": KID});
    let signing_input = format!("{}.{}", encode(&header), encode(&claims));
    let signature = inner
        .key
        .sign(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, signing_input.as_bytes())
        .expect("signs");
    if let Fault::TamperedPayload(email) = fault {
        claims["email"] = json!(email);
    }
    let payload = encode(&claims);
    format!("{}.{payload}.{}", encode(&header), URL_SAFE_NO_PAD.encode(signature))
}

/// The profile of the access token's person (or, for `UserinfoOfAnotherSubject`, someone else's).
async fn userinfo(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let mut record = inner.record.lock().expect("provider record");
    record.userinfo_requests += 1;
    let user = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|token| record.access_tokens.get(token).cloned());
    let Some(user) = user else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response();
    };
    let sub = match record.fault {
        Some(Fault::UserinfoOfAnotherSubject) => "someone-else".to_string(),
        _ => user.sub,
    };
    Json(json!({"sub": sub, "email": user.email, "email_verified": true, "name": user.name})).into_response()
}

async fn end_session(State(inner): State<Arc<Inner>>, Query(q): Query<HashMap<String, String>>) -> &'static str {
    inner.record.lock().expect("provider record").end_sessions.push(q);
    "signed out at the provider"
}

fn random() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
