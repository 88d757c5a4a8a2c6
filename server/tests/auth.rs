//! Sign-in and access through HTTP, over SQLite and PostgreSQL, against a local OpenID provider:
//! the authorization code flow with PKCE ending in a session cookie; callbacks and ID tokens that
//! do not fit refused; forged and lapsed sessions; CSRF; the policy for people and API tokens;
//! the audit log; sign-out at the provider too; open redirects; the login rate limit.

mod common;
#[path = "auth/portal.rs"]
mod portal;

use cairn_server::auth::Resolver;
use common::TestDb;
use common::oidc::{CLIENT_ID, Fault, TestUser};
use portal::*;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use sqlx::Row;

on_both_databases! {
    async fn signing_in_starts_a_session_with_the_users_ownership(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        let mut browser = portal.browser();
        let api = browser.get("/api/catalog/entities").await;
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            api.headers().get(header::WWW_AUTHENTICATE).expect("challenge"),
            "Bearer"
        );
        let page = browser.get("/catalog?kind=component").await;
        assert_eq!(page.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&page), "/signin?returnTo=%2Fcatalog%3Fkind%3Dcomponent");
        assert_eq!(browser.mode().await, "anonymous");

        let authorize = browser.start_sign_in("/catalog?kind=component").await;
        let before = browser.session_id();
        assert_eq!(param(&authorize, "code_challenge_method"), "S256");
        assert_eq!(param(&authorize, "client_id"), CLIENT_ID);
        let callback = browser.at_provider(&authorize).await;
        let done = browser.get(&callback).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&done), "/catalog?kind=component");
        let after = browser.session_id();
        assert_ne!(after, before, "signing in gives the session a new id");
        let cookie = browser.set_cookie.clone().expect("Set-Cookie");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain http: no Secure ({cookie})");
        assert!(!portal.session_exists(&before).await, "the pre-sign-in session is gone");

        let me = browser.me().await;
        assert_eq!(me["mode"], "signedIn");
        assert_eq!(me["userEntityRef"], "user:default/maya");
        assert_eq!(me["displayName"], "Maya Okafor");
        assert_eq!(me["email"], "maya@example.test");
        assert_eq!(
            me["ownershipEntityRefs"],
            json!(["group:default/commerce", "group:default/payments", "user:default/maya"]),
            "her team and its parent"
        );
        assert_eq!(me["admin"], false);
        assert!(me["csrfToken"].as_str().is_some_and(|t| t.len() >= 32), "{me}");

        let page = browser.get("/catalog").await;
        assert_eq!(page.status(), StatusCode::OK);
        let entities = browser.get("/api/catalog/entities?filter=kind=component").await;
        assert_eq!(entities.status(), StatusCode::OK);
        let names: Vec<Value> = entities
            .json::<Vec<Value>>()
            .await
            .expect("list")
            .iter()
            .map(|e| e["metadata"]["name"].clone())
            .collect();
        assert!(names.contains(&json!("checkout")), "{names:?}");

        // The old cookie, if someone had planted it, is worth nothing now.
        let mut planted = portal.browser();
        planted.cookie = Some(before);
        assert_eq!(planted.mode().await, "anonymous");
    }

    async fn callbacks_that_do_not_fit_are_refused(db: TestDb) {
        let portal = portal(&db, |_| {}).await;

        // A forged state: refused, and the genuine callback after it finds nothing to finish.
        let mut browser = portal.browser();
        let callback = browser.callback_url("/").await;
        let forged = browser.get(&with_param(&callback, "state", "forged")).await;
        assert!(
            refusal(&location(&forged)).contains("state does not match"),
            "{}",
            location(&forged)
        );
        assert_eq!(browser.mode().await, "anonymous");
        let genuine = browser.get(&callback).await;
        assert!(
            refusal(&location(&genuine)).contains("no sign-in is in progress"),
            "{}",
            location(&genuine)
        );
        assert_eq!(browser.mode().await, "anonymous");

        // A callback replayed, in the same browser or another (a leaked link).
        let mut first = portal.browser();
        let used = first.callback_url("/").await;
        assert_eq!(location(&first.get(&used).await), "/");
        let again = first.get(&used).await;
        assert!(
            refusal(&location(&again)).contains("no sign-in is in progress"),
            "{}",
            location(&again)
        );
        assert_eq!(
            first.me().await["userEntityRef"],
            "user:default/maya",
            "the refusal leaves her session alone"
        );
        let mut thief = portal.browser();
        let stolen = thief.get(&used).await;
        assert!(refusal(&location(&stolen)).contains("no sign-in is in progress"));
        assert_eq!(thief.mode().await, "anonymous");

        // A used code with a fresh sign-in's state: the provider refuses the code a second time.
        let mut replayer = portal.browser();
        let fresh = replayer.callback_url("/").await;
        let replayed = with_param(&fresh, "code", &param(&used, "code"));
        let refused = replayer.get(&replayed).await;
        let reason = refusal(&location(&refused));
        assert!(
            reason.contains("refused the sign-in") && reason.contains("invalid_grant"),
            "{reason}"
        );
        assert!(
            portal
                .provider
                .token_refusals()
                .iter()
                .any(|r| r.contains("used already"))
        );
        assert_eq!(replayer.mode().await, "anonymous");

        // A victim's unused code injected into an attacker's own sign-in: PKCE ties it to the victim.
        let victim = portal.browser().callback_url("/").await;
        let mut attacker = portal.browser();
        let own = attacker.callback_url("/").await;
        let injected = attacker.get(&with_param(&own, "code", &param(&victim, "code"))).await;
        assert!(
            refusal(&location(&injected)).contains("invalid_grant"),
            "{}",
            location(&injected)
        );
        let refusals = portal.provider.token_refusals();
        assert!(
            refusals
                .last()
                .expect("refused")
                .contains("code_verifier does not match"),
            "{refusals:?}"
        );
        assert_eq!(attacker.mode().await, "anonymous");

        // The provider reporting an error.
        let mut denied = portal.browser();
        let callback = denied.callback_url("/").await;
        let url = format!(
            "{}?error=access_denied&error_description=nope&state={}",
            callback.split('?').next().expect("path"),
            param(&callback, "state")
        );
        let said = denied.get(&url).await;
        assert!(refusal(&location(&said)).contains("the identity provider said: access_denied nope"));
        assert_eq!(denied.mode().await, "anonymous");
    }

    async fn id_tokens_that_fail_verification_are_refused(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        for (fault, expected) in [
            (Fault::TamperedPayload("ada@example.test"), "signature"),
            (Fault::Expired, "expired"),
            (Fault::WrongAudience, "audience"),
            (Fault::WrongNonce, "nonce"),
            (Fault::WrongIssuer, "issuer"),
        ] {
            portal.provider.set_fault(fault);
            let mut browser = portal.browser();
            let landing = browser.sign_in("/").await;
            let reason = refusal(&landing).to_lowercase();
            assert!(
                reason.contains("the id token was refused") && reason.contains(expected),
                "{fault:?}: {landing}"
            );
            assert_eq!(browser.mode().await, "anonymous", "{fault:?}");
        }
        portal.provider.set_fault(Fault::UnverifiedEmail);
        let mut browser = portal.browser();
        let landing = browser.sign_in("/").await;
        assert!(
            refusal(&landing).contains("maya@example.test is not verified"),
            "{landing}"
        );
        assert_eq!(browser.mode().await, "anonymous");

        // The same provider, honest again: the refusals were the tokens' faults.
        portal.provider.set_fault(Fault::None);
        portal.browser().signed_in().await;
    }

    async fn claims_missing_from_the_id_token_are_read_from_userinfo(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        portal.provider.put_claims_in_userinfo_only();
        let mut browser = portal.browser().signed_in().await;
        assert_eq!(browser.me().await["userEntityRef"], "user:default/maya");
        assert_eq!(portal.provider.userinfo_requests(), 1);

        // Userinfo must be about the person the ID token names.
        portal.provider.set_fault(Fault::UserinfoOfAnotherSubject);
        let mut browser = portal.browser();
        let landing = browser.sign_in("/").await;
        let reason = refusal(&landing);
        assert!(
            reason.contains("userinfo") && reason.contains("found `someone-else`"),
            "{landing}"
        );
        assert_eq!(browser.mode().await, "anonymous");
    }

    async fn ownership_is_looked_up_again_while_signed_in(db: TestDb) {
        // The session row is edited behind the portal's back, as another replica would: no
        // read cache, so the edit is seen at once (revocations through the portal, which must get
        // past the cache, are checked with it on in the token and session administration tests).
        let portal = portal(&db, |auth| auth.read_cache_ttl = std::time::Duration::ZERO).await;
        let mut maya = portal.browser().signed_in().await;
        let id = maya.session_id();
        // She joins a group under the admins' group.
        let guild = json!({"type": "file", "target": fixture("extra/guild.yaml")});
        assert_eq!(
            maya.post_from_portal("/api/catalog/locations", guild).await.status(),
            StatusCode::CREATED
        );
        assert_eq!(
            maya.me().await["admin"],
            false,
            "what sign-in resolved holds for a while"
        );

        // Five minutes on, the next request looks her up again.
        portal
            .age_session(&id, |s| s["resolved_at"] = json!(catalog::store::now_ms() - 6 * 60_000))
            .await;
        let me = maya.me().await;
        assert_eq!(me["admin"], true, "{me}");
        let ownership = me["ownershipEntityRefs"].as_array().expect("list");
        for group in [
            "group:default/guild",
            "group:default/platform",
            "group:default/payments",
        ] {
            assert!(ownership.contains(&json!(group)), "{group} in {ownership:?}");
        }
        assert_eq!(
            portal.session_data(&id).await["signedIn"]["subject"]["admin"],
            true,
            "kept in the session"
        );
    }

    async fn people_without_a_user_entity_are_refused(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        portal.provider.log_in_as(stranger());
        let mut browser = portal.browser();
        let landing = browser.sign_in("/").await;
        assert!(
            refusal(&landing).contains("no User entity in the catalog matches stranger@example.test"),
            "{landing}"
        );
        assert_eq!(browser.mode().await, "anonymous");
        let people: i64 = sqlx::query("SELECT COUNT(*) FROM sessions WHERE user_ref IS NOT NULL")
            .fetch_one(portal.server.state().db.pool())
            .await
            .expect("count")
            .get(0);
        assert_eq!(people, 0, "no session holds anyone");
    }

    async fn sign_in_resolution_follows_the_configuration(db: TestDb) {
        // Matching the address's local part to User names: any domain the provider vouches for.
        let by_name = portal(&db, |auth| {
            auth.resolver = Resolver::EmailLocalPartMatchingUserEntityName
        })
        .await;
        by_name
            .provider
            .log_in_as(TestUser::new("sub-m", "maya@elsewhere.example", "M"));
        let mut maya = by_name.browser().signed_in().await;
        assert_eq!(maya.me().await["userEntityRef"], "user:default/maya");
        by_name.server.stop().await;

        // People without a User entity let in, owning nothing but themselves.
        let open = portal(&db, |auth| auth.allow_without_user_entity = true).await;
        open.provider.log_in_as(stranger());
        let mut stranger = open.browser().signed_in().await;
        let me = stranger.me().await;
        assert_eq!(me["userEntityRef"], "user:default/stranger");
        assert_eq!(me["ownershipEntityRefs"], json!(["user:default/stranger"]));
        assert_eq!(me["admin"], false);
        let refresh = json!({"entityRef": "component:default/checkout"});
        let refused = stranger.post_from_portal("/api/catalog/refresh", refresh).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }

    async fn forged_and_lapsed_sessions_are_not_signed_in(db: TestDb) {
        // The session row is edited behind the portal's back, as another replica would: no
        // read cache, so the edit is seen at once (revocations through the portal, which must get
        // past the cache, are checked with it on in the token and session administration tests).
        let portal = portal(&db, |auth| auth.read_cache_ttl = std::time::Duration::ZERO).await;
        let mut browser = portal.browser().signed_in().await;
        let id = browser.session_id();

        for forged in [tamper(&id), "forged".to_string(), String::new()] {
            let mut forger = portal.browser();
            forger.cookie = Some(forged.clone());
            assert_eq!(forger.mode().await, "anonymous", "cookie {forged:?}");
        }
        assert_eq!(browser.mode().await, "signedIn", "the real cookie still works");

        // Idle past the timeout (8 hours by default): signed out, the row removed.
        let hours = |h: i64| h * 3_600_000;
        portal
            .age_session(&id, |s| s["last_seen"] = json!(catalog::store::now_ms() - hours(9)))
            .await;
        assert_eq!(browser.mode().await, "anonymous");
        assert!(!portal.session_exists(&id).await);

        // Active, but signed in longer ago than the absolute timeout (7 days).
        let mut browser = portal.browser().signed_in().await;
        let id = browser.session_id();
        portal
            .age_session(&id, |s| {
                s["signed_in_at"] = json!(catalog::store::now_ms() - hours(7 * 24 + 1))
            })
            .await;
        assert_eq!(browser.mode().await, "anonymous");

        // A record past its expiry is not read at all.
        let mut browser = portal.browser().signed_in().await;
        let id = browser.session_id();
        sqlx::query("UPDATE sessions SET expires_at = $1 WHERE id = $2")
            .bind(catalog::store::now_ms() - 1000)
            .bind(&id)
            .execute(portal.server.state().db.pool())
            .await
            .expect("update");
        assert_eq!(browser.mode().await, "anonymous");
    }

    async fn state_changes_need_the_portals_origin_or_the_csrf_token(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        let mut browser = portal.browser().signed_in().await;
        let token = browser.me().await["csrfToken"].as_str().expect("token").to_string();
        let refresh = json!({"entityRef": "component:default/checkout"});
        let origin = portal.origin().to_string();

        for (headers, why) in [
            (
                vec![],
                "must come from the portal's pages or carry the x-csrf-token header",
            ),
            (
                vec![("origin", "http://evil.example")],
                "another site (http://evil.example)",
            ),
            (vec![("sec-fetch-site", "cross-site")], "Sec-Fetch-Site: cross-site"),
            (vec![("x-csrf-token", "guessed")], "does not match the session"),
        ] {
            let response = browser.post("/api/catalog/refresh", refresh.clone(), &headers).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
            let message = error_message(response).await;
            assert!(
                message.starts_with("CSRF check failed") && message.contains(why),
                "{message}"
            );
        }
        for headers in [
            vec![("x-csrf-token", token.as_str())],
            vec![("origin", origin.as_str())],
        ] {
            let response = browser.post("/api/catalog/refresh", refresh.clone(), &headers).await;
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "{headers:?}: {}",
                response.text().await.unwrap_or_default()
            );
        }
        // Without a session cookie there is nothing to forge: the refusal is "sign in", not CSRF.
        let anonymous = portal.browser().post("/api/catalog/refresh", refresh, &[]).await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    }

    async fn only_admins_reach_the_admin_endpoints(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        let mut maya = portal.browser().signed_in().await;
        for path in ["/api/auth/tokens", "/api/auth/sessions", "/api/auth/audit"] {
            let response = maya.get(path).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
            assert_eq!(
                error_message(response).await,
                "only admins may administer the portal (admin)"
            );
        }
        let token = json!({"name": "mine", "scopes": ["catalog:read"]});
        assert_eq!(
            maya.post_from_portal("/api/auth/tokens", token).await.status(),
            StatusCode::FORBIDDEN
        );
        let revoke = json!({"userEntityRef": "user:default/ada"});
        let revoke = maya.post_from_portal("/api/auth/sessions/revoke", revoke).await;
        assert_eq!(revoke.status(), StatusCode::FORBIDDEN);
    }

    async fn people_refresh_and_unregister_the_entities_they_own(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        let mut maya = portal.browser().signed_in().await;
        let refresh = |name: &str| json!({"entityRef": format!("component:default/{name}")});

        let theirs = maya.post_from_portal("/api/catalog/refresh", refresh("search")).await;
        assert_eq!(theirs.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            error_message(theirs).await,
            "only its owners (group:default/platform) or admins may refresh this entity (catalog.entity.refresh)"
        );
        let ours = maya.post_from_portal("/api/catalog/refresh", refresh("checkout")).await;
        assert_eq!(ours.status(), StatusCode::OK, "owned through her team's parent group");

        let search = maya.uid_of("component/default/search").await;
        let theirs = maya
            .delete_from_portal(&format!("/api/catalog/entities/by-uid/{search}"))
            .await;
        assert_eq!(theirs.status(), StatusCode::FORBIDDEN);
        assert!(error_message(theirs).await.contains("may unregister this entity"));
        let checkout = maya.uid_of("component/default/checkout").await;
        let ours = maya
            .delete_from_portal(&format!("/api/catalog/entities/by-uid/{checkout}"))
            .await;
        assert_eq!(ours.status(), StatusCode::NO_CONTENT);
        let by_name = |name: &str| format!("/api/catalog/entities/by-name/component/default/{name}");
        assert_eq!(maya.get(&by_name("checkout")).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(maya.get(&by_name("search")).await.status(), StatusCode::OK);
    }

    async fn people_unregister_the_locations_whose_entities_they_own(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        let mut maya = portal.browser().signed_in().await;
        // Anyone signed in registers; unregistering acts on every entity the location provides.
        let mut ids = Vec::new();
        for file in ["extra/ours.yaml", "extra/theirs.yaml"] {
            let location = json!({"type": "file", "target": fixture(file)});
            let created = maya.post_from_portal("/api/catalog/locations", location).await;
            assert_eq!(created.status(), StatusCode::CREATED, "{file}");
            let body: Value = created.json().await.expect("JSON");
            ids.push(body["location"]["id"].as_str().expect("id").to_string());
        }
        let refused = maya
            .delete_from_portal(&format!("/api/catalog/locations/{}", ids[1]))
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let message = error_message(refused).await;
        assert!(
            message.starts_with("component:default/indexer: only its owners (group:default/platform)"),
            "{message}"
        );
        let removed = maya
            .delete_from_portal(&format!("/api/catalog/locations/{}", ids[0]))
            .await;
        assert_eq!(removed.status(), StatusCode::NO_CONTENT);
        let by_name = |name: &str| format!("/api/catalog/entities/by-name/component/default/{name}");
        assert_eq!(maya.get(&by_name("ledger")).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(maya.get(&by_name("indexer")).await.status(), StatusCode::OK);
    }

    async fn admins_create_scoped_api_tokens_and_revoke_them(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        portal.provider.log_in_as(ada());
        let mut ada = portal.browser().signed_in().await;
        let me = ada.me().await;
        assert_eq!(
            me["userEntityRef"], "user:default/ada",
            "e-mail matched whatever its case"
        );
        assert_eq!(me["admin"], true);

        let body = json!({"name": "ci", "scopes": ["catalog:read"]});
        let created = ada.post_from_portal("/api/auth/tokens", body).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let created: Value = created.json().await.expect("JSON");
        let (id, secret) = (
            created["id"].as_str().expect("id"),
            created["token"].as_str().expect("secret"),
        );
        assert!(secret.starts_with("cairn_"));
        let listed = ada.get("/api/auth/tokens").await.text().await.expect("text");
        assert!(
            listed.contains("\"ci\"") && !listed.contains(secret),
            "listed without its secret: {listed}"
        );

        let (client, url) = (&portal.server.client, |path: &str| portal.server.url(path));
        let bearer = |request: reqwest::RequestBuilder| request.bearer_auth(secret).send();
        let read = bearer(client.get(url("/api/catalog/entities"))).await.expect("request");
        assert_eq!(read.status(), StatusCode::OK);
        let me: Value = bearer(client.get(url("/api/auth/me")))
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON");
        assert_eq!(me, json!({"mode": "token", "token": "ci", "scopes": ["catalog:read"]}));
        let location = json!({"type": "file", "target": fixture("extra/ours.yaml")});
        let write = bearer(client.post(url("/api/catalog/locations")).json(&location))
            .await
            .expect("request");
        assert_eq!(
            write.status(),
            StatusCode::FORBIDDEN,
            "no Origin needed: a token is no ambient credential"
        );
        assert_eq!(
            error_message(write).await,
            "the token `ci` lacks the scope catalog:write needed to register locations"
        );
        let admin = bearer(client.get(url("/api/auth/tokens"))).await.expect("request");
        assert_eq!(admin.status(), StatusCode::FORBIDDEN);
        assert_eq!(error_message(admin).await, "API tokens may not administer the portal");

        let revoke = ada.delete_from_portal(&format!("/api/auth/tokens/{id}")).await;
        assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
        let revoked = bearer(client.get(url("/api/catalog/entities"))).await.expect("request");
        assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
        let unknown = client
            .get(url("/api/catalog/entities"))
            .bearer_auth("cairn_unknown")
            .send();
        assert_eq!(unknown.await.expect("request").status(), StatusCode::UNAUTHORIZED);

        // A token past its expiry is refused like a revoked one.
        let body = json!({"name": "nightly", "scopes": ["catalog:read"], "expiresInDays": 1});
        let nightly: Value = ada
            .post_from_portal("/api/auth/tokens", body)
            .await
            .json()
            .await
            .expect("JSON");
        let nightly_secret = nightly["token"].as_str().expect("secret");
        let read = || {
            client
                .get(url("/api/catalog/entities"))
                .bearer_auth(nightly_secret)
                .send()
        };
        // Expired before its first use: nothing of it is in the portal's 2 s read cache yet.
        sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = $2")
            .bind(catalog::store::now_ms() - 1000)
            .bind(nightly["id"].as_str().expect("id"))
            .execute(portal.server.state().db.pool())
            .await
            .expect("expire the token");
        assert_eq!(read().await.expect("request").status(), StatusCode::UNAUTHORIZED);

        let audit = ada.audit().await;
        let about_ci: Vec<Value> = audit.into_iter().filter(|e| e["target"] == "token:ci").collect();
        for action in ["token-created", "token-revoked"] {
            find_event(&about_ci, action, "allowed", "user:default/ada");
        }
    }

    async fn admins_end_sessions_and_read_the_audit_log(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        let mut maya = portal.browser().signed_in().await;
        portal.provider.log_in_as(stranger());
        assert!(!refusal(&portal.browser().sign_in("/").await).is_empty());
        portal.provider.log_in_as(ada());
        let mut ada = portal.browser().signed_in().await;

        let sessions: Value = ada.get("/api/auth/sessions").await.json().await.expect("JSON");
        let people: Vec<&Value> = sessions["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|s| &s["userEntityRef"])
            .collect();
        assert_eq!(people, [&json!("user:default/ada"), &json!("user:default/maya")]);
        let body = json!({"userEntityRef": "user:default/maya"});
        let ended = ada.post_from_portal("/api/auth/sessions/revoke", body).await;
        assert_eq!(ended.json::<Value>().await.expect("JSON")["revoked"], 1);
        assert_eq!(maya.mode().await, "anonymous", "signed out everywhere");
        assert_eq!(ada.mode().await, "signedIn");

        let audit = ada.audit().await;
        find_event(&audit, "sign-in", "allowed", "user:default/maya");
        find_event(&audit, "sign-in", "allowed", "user:default/ada");
        let denied = find_event(&audit, "sign-in", "denied", "anonymous");
        assert!(
            denied["detail"]
                .as_str()
                .expect("detail")
                .contains("stranger@example.test"),
            "{denied}"
        );
        let revoked = find_event(&audit, "sessions-revoked", "allowed", "user:default/ada");
        assert_eq!(revoked["target"], "user:default/maya");
    }

    async fn signing_out_ends_the_session_here_and_at_the_provider(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        let mut browser = portal.browser().signed_in().await;
        let id = browser.session_id();

        let forged = browser.post("/api/auth/logout", json!({}), &[]).await;
        assert_eq!(
            forged.status(),
            StatusCode::FORBIDDEN,
            "a cross-site form cannot sign people out"
        );
        assert_eq!(browser.mode().await, "signedIn");

        let origin = portal.origin().to_string();
        let out = browser
            .post("/api/auth/logout", json!({}), &[("origin", &origin)])
            .await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let next = location(&out);
        assert!(
            next.starts_with(&format!("{}?", portal.provider.end_session_endpoint())),
            "{next}"
        );
        let issued = portal.provider.issued_id_tokens();
        assert_eq!(param(&next, "id_token_hint"), *issued.last().expect("an ID token"));
        assert_eq!(param(&next, "client_id"), CLIENT_ID);
        assert_eq!(param(&next, "post_logout_redirect_uri"), format!("{origin}/"));
        assert!(
            browser.cookie.is_none(),
            "the cookie is removed: {:?}",
            browser.set_cookie
        );
        assert!(!portal.session_exists(&id).await);

        let mut replay = portal.browser();
        replay.cookie = Some(id);
        assert_eq!(replay.mode().await, "anonymous");
        assert_eq!(browser.mode().await, "anonymous");
        let provider = portal.server.client.get(&next).send().await.expect("provider");
        assert_eq!(provider.status(), StatusCode::OK);
        assert_eq!(portal.provider.end_sessions().len(), 1);
    }

    async fn sign_in_returns_only_to_portal_paths(db: TestDb) {
        let portal = portal(&db, |_| {}).await;
        for evil in [
            "https://evil.example/x",
            "//evil.example",
            "/\\evil.example",
            "/api/auth/logout",
            "/\r\nLocation: https://evil.example",
            " //evil.example",
        ] {
            let mut browser = portal.browser();
            assert_eq!(browser.sign_in(evil).await, "/", "{evil}");
        }
        let mut browser = portal.browser();
        let path = "/catalog/default/component/checkout?tab=api#x";
        assert_eq!(browser.sign_in(path).await, path);
    }

    async fn sign_in_attempts_are_rate_limited(db: TestDb) {
        let portal = portal(&db, |auth| auth.login_attempts_per_minute = 3).await;
        let mut browser = portal.browser();
        for _ in 0..3 {
            browser.start_sign_in("/").await;
        }
        let limited = browser.get("/api/auth/login").await;
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = limited
            .headers()
            .get(header::RETRY_AFTER)
            .expect("Retry-After")
            .to_str()
            .expect("ASCII")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(error_message(limited).await.contains("too many sign-in attempts"));
    }

    async fn behind_a_load_balancer_the_limit_follows_the_address_it_saw(db: TestDb) {
        let portal = portal(&db, |auth| {
            auth.login_attempts_per_minute = 2;
            auth.trust_forwarded_for = true;
        })
        .await;
        // The balancer appends the address it saw; what comes before is the client's to write.
        let login = |spoofed: &str, client: &str| {
            portal
                .server
                .client
                .get(portal.server.url("/api/auth/login"))
                .header("x-forwarded-for", format!("{spoofed}, {client}"))
                .send()
        };
        for spoofed in ["10.0.0.1", "10.0.0.2"] {
            assert_eq!(
                login(spoofed, "203.0.113.7").await.expect("login").status(),
                StatusCode::SEE_OTHER
            );
        }
        let limited = login("10.0.0.3", "203.0.113.7").await.expect("login");
        assert_eq!(
            limited.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "a made-up first address lifts no limit"
        );
        let other = login("10.0.0.3", "198.51.100.9").await.expect("login");
        assert_eq!(
            other.status(),
            StatusCode::SEE_OTHER,
            "another client has its own budget"
        );
    }
}
