//! Backstage's catalog API on a real server, over SQLite and PostgreSQL: entities, queries,
//! facets, locations, refresh, validation and analysis, with Backstage's shapes and status codes.

mod common;

use common::{TestDb, TestServer};
use serde_json::{Value, json};

const ORG: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
  title: Team A
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jane
spec:
  profile: { email: jane@example.com }
  memberOf: [team-a]
"#;

const SHOP: &str = r#"apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: shop
spec:
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  description: Takes the money
  tags: [java, pci]
spec:
  type: service
  lifecycle: production
  owner: team-a
  system: shop
  providesApis: [checkout-api]
  dependsOn: [resource:db, component:legacy-erp]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: storefront
spec:
  type: website
  lifecycle: experimental
  owner: group:default/team-a
  consumesApis: [checkout-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: checkout-api
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition:
    $text: ./checkout-api.yaml
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: db
spec:
  type: database
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Not Valid
spec:
  type: service
"#;

const ROOT: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: fixture
spec:
  targets: [./org.yaml, ./shop.yaml]
"#;

/// A directory holding the fixture catalog; returns the root file.
fn fixture() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("catalog-info.yaml"), ROOT).expect("write");
    std::fs::write(dir.path().join("org.yaml"), ORG).expect("write");
    std::fs::write(dir.path().join("shop.yaml"), SHOP).expect("write");
    std::fs::write(
        dir.path().join("checkout-api.yaml"),
        "openapi: 3.0.0\ninfo: {title: Checkout, version: '1'}\npaths: {}\n",
    )
    .expect("write");
    let root = dir.path().join("catalog-info.yaml").display().to_string();
    (dir, root)
}

/// A server whose configuration registers the fixture, refreshed before returning.
async fn serve(db: &TestDb, root: &str, allowed: &[&str]) -> TestServer {
    let mut config = db.config();
    config.catalog.locations = vec![("file".into(), root.to_string())];
    config.catalog.allowed_location_types = allowed.iter().map(|s| s.to_string()).collect();
    let server = TestServer::start_with(config).await;
    let catalog = &server.state().catalog;
    catalog.sync_config_locations().await.expect("sync");
    catalog.refresh_all().await.expect("refresh");
    server
}

async fn json(server: &TestServer, path: &str) -> (u16, Value) {
    let response = server.get(path).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(server: &TestServer, path: &str, body: Value) -> (u16, Value) {
    let response = server
        .client
        .post(server.url(path))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["metadata"]["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

on_both_databases! {
    async fn entities_are_listed_filtered_and_projected(db: TestDb) {
        let (_dir, root) = fixture();
        let server = serve(&db, &root, &["url"]).await;
        let (status, all) = json(&server, "/api/catalog/entities").await;
        assert_eq!(status, 200);
        assert_eq!(all.as_array().expect("array").len(), 8, "7 valid entities + the Location: {all}");

        let (_, components) = json(&server, "/api/catalog/entities?filter=kind=component").await;
        assert_eq!(names(&components), ["checkout", "storefront"]);
        let (_, either) = json(&server, "/api/catalog/entities?filter=kind=api&filter=kind=resource").await;
        assert_eq!(names(&either), ["checkout-api", "db"]);
        let (_, tagged) = json(&server, "/api/catalog/entities?filter=kind=component,metadata.tags=JAVA").await;
        assert_eq!(names(&tagged), ["checkout"], "values match case-insensitively");
        let (_, owned) = json(&server, "/api/catalog/entities?filter=relations.ownedBy=group:default/team-a&fields=kind,metadata.name").await;
        assert_eq!(owned.as_array().expect("array").len(), 5);
        assert_eq!(owned[0].as_object().expect("object").keys().collect::<Vec<_>>(), ["kind", "metadata"]);
        let (_, page) = json(&server, "/api/catalog/entities?filter=kind=component&limit=1&offset=1").await;
        assert_eq!(names(&page), ["storefront"]);
        let (status, err) = json(&server, "/api/catalog/entities?limit=x").await;
        assert_eq!(status, 400);
        assert_eq!(err["error"]["name"], "InputError");
        server.stop().await;
    }

    async fn single_entities_by_name_uid_and_refs(db: TestDb) {
        let (_dir, root) = fixture();
        let server = serve(&db, &root, &["url"]).await;
        let (status, checkout) = json(&server, "/api/catalog/entities/by-name/Component/default/CHECKOUT").await;
        assert_eq!(status, 200);
        assert_eq!(checkout["metadata"]["name"], "checkout");
        let uid = checkout["metadata"]["uid"].as_str().expect("uid").to_string();
        assert!(checkout["metadata"]["etag"].is_string());
        assert!(checkout["metadata"]["annotations"]["backstage.io/managed-by-location"].as_str().expect("annotation").ends_with("shop.yaml"));
        let relations: Vec<String> = checkout["relations"].as_array().expect("relations").iter().map(|r| format!("{} {}", r["type"].as_str().unwrap(), r["targetRef"].as_str().unwrap())).collect();
        for expected in ["ownedBy group:default/team-a", "partOf system:default/shop", "providesApi api:default/checkout-api", "dependsOn resource:default/db", "dependsOn component:default/legacy-erp"] {
            assert!(relations.contains(&expected.to_string()), "{expected} in {relations:?}");
        }
        let (_, team) = json(&server, "/api/catalog/entities/by-name/group/default/team-a").await;
        let team_relations = team["relations"].to_string();
        assert!(team_relations.contains("ownerOf") && team_relations.contains("component:default/checkout"), "reverse relations: {team_relations}");
        assert!(team_relations.contains("hasMember") && team_relations.contains("user:default/jane"));

        let (status, by_uid) = json(&server, &format!("/api/catalog/entities/by-uid/{uid}")).await;
        assert_eq!((status, &by_uid["metadata"]["name"]), (200, &json!("checkout")));
        let (status, missing) = json(&server, "/api/catalog/entities/by-name/component/default/nope").await;
        assert_eq!(status, 404);
        assert_eq!(missing["error"]["name"], "NotFoundError");
        assert_eq!(missing["response"]["statusCode"], 404);

        let (status, refs) = post(&server, "/api/catalog/entities/by-refs", json!({"entityRefs": ["api:checkout-api", "component:default/nope", "group:default/team-a"], "fields": ["metadata.name"]})).await;
        assert_eq!(status, 200);
        assert_eq!(refs["items"], json!([{"metadata": {"name": "checkout-api"}}, null, {"metadata": {"name": "team-a"}}]));

        let api = server.get("/api/catalog/entities/by-name/api/default/checkout-api").await.json::<Value>().await.expect("json");
        assert!(api["spec"]["definition"].as_str().expect("text").starts_with("openapi: 3.0.0"), "$text placeholder resolved");
        let api_relations = api["relations"].to_string();
        assert!(api_relations.contains("apiConsumedBy") && api_relations.contains("component:default/storefront"), "{api_relations}");
        assert!(api_relations.contains("apiProvidedBy") && api_relations.contains("component:default/checkout"), "{api_relations}");

        let deleted = server.client.delete(server.url(&format!("/api/catalog/entities/by-uid/{uid}"))).send().await.expect("delete");
        assert_eq!(deleted.status(), 204);
        assert_eq!(server.get(&format!("/api/catalog/entities/by-uid/{uid}")).await.status(), 404);
        server.stop().await;
    }

    async fn by_query_pages_with_cursors_both_ways(db: TestDb) {
        let (_dir, root) = fixture();
        let server = serve(&db, &root, &["url"]).await;
        let (status, first) = json(&server, "/api/catalog/entities/by-query?limit=3&orderField=metadata.name,asc").await;
        assert_eq!(status, 200);
        assert_eq!(first["totalItems"], 8);
        assert!(first["pageInfo"].get("prevCursor").is_none());
        let mut seen = names(&first["items"]);
        let mut cursor = first["pageInfo"]["nextCursor"].as_str().map(str::to_string);
        let mut second = Value::Null;
        while let Some(c) = cursor {
            let (_, page) = json(&server, &format!("/api/catalog/entities/by-query?limit=3&cursor={c}")).await;
            if second.is_null() {
                second = page.clone();
            }
            seen.extend(names(&page["items"]));
            cursor = page["pageInfo"]["nextCursor"].as_str().map(str::to_string);
        }
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "ordered by name across pages");
        assert_eq!(seen.len(), 8, "every entity exactly once: {seen:?}");
        let prev = second["pageInfo"]["prevCursor"].as_str().expect("a second page has a previous one");
        let (_, back) = json(&server, &format!("/api/catalog/entities/by-query?limit=3&cursor={prev}")).await;
        assert_eq!(names(&back["items"]), names(&first["items"]));

        let (_, desc) = json(&server, "/api/catalog/entities/by-query?filter=kind=component&orderField=metadata.name,desc").await;
        assert_eq!(names(&desc["items"]), ["storefront", "checkout"]);
        let (_, by_owner) = json(&server, "/api/catalog/entities/by-query?filter=kind=component,spec.owner=team-a&limit=100").await;
        assert_eq!(by_owner["totalItems"], 1, "spec.owner as written: {by_owner}");
        let (_, found) = json(&server, "/api/catalog/entities/by-query?fullTextFilterTerm=MONEY").await;
        assert_eq!(names(&found["items"]), ["checkout"], "description searched");
        let (_, found) = json(&server, "/api/catalog/entities/by-query?fullTextFilterTerm=store&fullTextFilterFields=metadata.name").await;
        assert_eq!(names(&found["items"]), ["storefront"]);
        let (_, sorted_by_type) = json(&server, "/api/catalog/entities/by-query?filter=kind=component&orderField=spec.type,desc").await;
        assert_eq!(names(&sorted_by_type["items"]), ["storefront", "checkout"], "website > service");
        let (status, _) = json(&server, "/api/catalog/entities/by-query?cursor=garbage").await;
        assert_eq!(status, 400);
        server.stop().await;
    }

    async fn facets_count_values(db: TestDb) {
        let (_dir, root) = fixture();
        let server = serve(&db, &root, &["url"]).await;
        let (status, body) = json(&server, "/api/catalog/entity-facets?facet=kind&facet=spec.lifecycle&filter=kind=component").await;
        assert_eq!(status, 200);
        assert_eq!(body["facets"]["kind"], json!([{"value": "Component", "count": 2}]));
        assert_eq!(body["facets"]["spec.lifecycle"], json!([{"value": "experimental", "count": 1}, {"value": "production", "count": 1}]));
        let (status, _) = json(&server, "/api/catalog/entity-facets").await;
        assert_eq!(status, 400);
        server.stop().await;
    }

    async fn locations_are_registered_previewed_and_unregistered(db: TestDb) {
        let (_dir, root) = fixture();
        let server = serve(&db, &root, &["file"]).await;
        let (extra_dir, extra) = {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::write(dir.path().join("catalog-info.yaml"), "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: billing\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n").expect("write");
            let path = dir.path().join("catalog-info.yaml").display().to_string();
            (dir, path)
        };
        let (status, preview) = post(&server, "/api/catalog/locations?dryRun=true", json!({"type": "file", "target": extra})).await;
        assert_eq!(status, 201);
        assert_eq!(preview["exists"], false);
        assert_eq!(names(&preview["entities"]), ["billing"]);
        assert_eq!(server.get("/api/catalog/entities/by-name/component/default/billing").await.status(), 404, "a preview stores nothing");

        let (status, created) = post(&server, "/api/catalog/locations", json!({"type": "file", "target": extra})).await;
        assert_eq!(status, 201);
        assert_eq!(names(&created["entities"]), ["billing"]);
        let id = created["location"]["id"].as_str().expect("id").to_string();
        assert_eq!(created["location"]["type"], "file");
        assert_eq!(server.get("/api/catalog/entities/by-name/component/default/billing").await.status(), 200);
        let (status, again) = post(&server, "/api/catalog/locations", json!({"type": "file", "target": extra})).await;
        assert_eq!((status, again["error"]["name"].as_str()), (409, Some("ConflictError")));

        let (_, list) = json(&server, "/api/catalog/locations").await;
        assert_eq!(list.as_array().expect("array").len(), 2);
        assert!(list[0]["data"]["id"].is_string());
        let (status, one) = json(&server, &format!("/api/catalog/locations/{id}")).await;
        assert_eq!((status, one["target"].as_str()), (200, Some(extra.as_str())));
        let (_, by_entity) = json(&server, "/api/catalog/locations/by-entity/component/default/billing").await;
        assert_eq!(by_entity["id"], id.as_str());

        let deleted = server.client.delete(server.url(&format!("/api/catalog/locations/{id}"))).send().await.expect("delete");
        assert_eq!(deleted.status(), 204);
        assert_eq!(server.get("/api/catalog/entities/by-name/component/default/billing").await.status(), 404, "its entities went with it");
        assert_eq!(server.client.delete(server.url(&format!("/api/catalog/locations/{id}"))).send().await.expect("delete").status(), 404);

        let config_location = list[0]["data"]["id"].as_str().expect("id");
        let refused = server.client.delete(server.url(&format!("/api/catalog/locations/{config_location}"))).send().await.expect("delete");
        assert_eq!(refused.status(), 400, "configured locations are removed in the configuration");
        drop(extra_dir);
        server.stop().await;
    }

    async fn a_large_location_answers_with_the_first_hundred_and_the_counts(db: TestDb) {
        let (_dir, root) = fixture();
        let server = serve(&db, &root, &["file"]).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let documents: Vec<String> = (0..150)
            .map(|i| format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: c{i:03}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"))
            .chain(["kind: Component\nmetadata: {name: broken}\n".to_string()])
            .collect();
        let target = dir.path().join("catalog-info.yaml");
        std::fs::write(&target, documents.join("---\n")).expect("write");
        let target = target.display().to_string();

        let (status, preview) = post(&server, "/api/catalog/locations?dryRun=true", json!({"type": "file", "target": target})).await;
        assert_eq!(status, 201);
        assert_eq!((preview["entities"].as_array().map(Vec::len), preview["entityCount"].as_u64()), (Some(100), Some(150)));
        assert_eq!((preview["problems"].as_array().map(Vec::len), preview["problemCount"].as_u64()), (Some(1), Some(1)));

        let (status, created) = post(&server, "/api/catalog/locations", json!({"type": "file", "target": target})).await;
        assert_eq!(status, 201);
        assert_eq!((created["entities"].as_array().map(Vec::len), created["entityCount"].as_u64()), (Some(100), Some(150)));
        let (_, page) = json(&server, "/api/catalog/entities/by-query?filter=metadata.name=c149").await;
        assert_eq!(page["totalItems"], 1, "all of them are stored, not only those shown");
        server.stop().await;
    }

    async fn only_allowed_location_types_may_be_registered(db: TestDb) {
        let (_dir, root) = fixture();
        let server = serve(&db, &root, &["url"]).await;
        let (status, body) = post(&server, "/api/catalog/locations", json!({"type": "file", "target": "/etc/passwd"})).await;
        assert_eq!(status, 400);
        let message = body["error"]["message"].as_str().expect("message");
        assert!(message.contains("allowedLocationTypes"), "{message}");
        server.stop().await;
    }

    async fn refresh_follows_the_files(db: TestDb) {
        let (dir, root) = fixture();
        let server = serve(&db, &root, &["url"]).await;
        let shop = dir.path().join("shop.yaml");
        // A new description, a removed entity (the Resource) and a broken API.
        let changed = SHOP.replace("Takes the money", "Takes all the money")
            .replace("apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: db\nspec:\n  type: database\n  owner: team-a\n---\n", "")
            .replace("  lifecycle: production\n  owner: team-a\n  definition:", "  owner: team-a\n  definition:");
        std::fs::write(&shop, changed).expect("write");
        let (status, _) = post(&server, "/api/catalog/refresh", json!({"entityRef": "component:default/checkout"})).await;
        assert_eq!(status, 200);
        let (_, checkout) = json(&server, "/api/catalog/entities/by-name/component/default/checkout").await;
        assert_eq!(checkout["metadata"]["description"], "Takes all the money");
        let (_, db) = json(&server, "/api/catalog/entities/by-name/resource/default/db").await;
        assert_eq!(db["metadata"]["annotations"]["backstage.io/orphan"], "true", "gone from its file: an orphan, kept for its grace period");
        let (_, orphans) = json(&server, "/api/catalog/entities/by-query?filter=metadata.annotations.backstage.io/orphan=true").await;
        assert_eq!(orphans["totalItems"], 1, "{orphans}");
        let (_, api) = json(&server, "/api/catalog/entities/by-name/api/default/checkout-api").await;
        assert_eq!(api["spec"]["lifecycle"], "production", "the last good version is kept");
        let problem = api["status"]["items"][0]["message"].as_str().expect("the failure is attached");
        assert!(problem.contains("lifecycle"), "{problem}");

        let statuses = server.state().catalog.store.location_statuses().await.expect("statuses");
        assert_eq!(statuses[0].entity_count, 7);
        assert!(statuses[0].problem_count >= 2, "the invalid component and the broken API");
        let first = server.state().catalog.store.first_problems(1).await.expect("problems");
        assert_eq!(first[&statuses[0].location.id].len(), 1, "the first problem of each location, in one statement");
        let (status, _) = post(&server, "/api/catalog/refresh", json!({"entityRef": "component:default/nope"})).await;
        assert_eq!(status, 404);
        server.stop().await;
    }

    async fn remembered_answers_follow_every_change_at_once(db: TestDb) {
        let (dir, root) = fixture();
        let server = serve(&db, &root, &["url"]).await;
        let refresh = || post(&server, "/api/catalog/refresh", json!({"entityRef": "component:default/checkout"}));
        let ref_of = |relations: &Value, kind: &str| -> Vec<String> {
            relations.as_array().expect("relations").iter()
                .filter(|r| r["type"] == kind)
                .map(|r| r["targetRef"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        // Read twice, so the second answer is the remembered one.
        for _ in 0..2 {
            let (_, team) = json(&server, "/api/catalog/entities/by-name/group/default/team-a").await;
            assert!(ref_of(&team["relations"], "ownerOf").contains(&"component:default/checkout".to_string()), "{team}");
            let (_, owned) = json(&server, "/api/catalog/entities/by-query?filter=kind=component,spec.owner=team-a").await;
            assert_eq!(owned["totalItems"], 1, "{owned}");
            let (_, facets) = json(&server, "/api/catalog/entity-facets?facet=spec.lifecycle&facet=spec.lifecycle").await;
            assert_eq!(facets["facets"]["spec.lifecycle"].as_array().map(Vec::len), Some(2), "{facets}");
        }
        let (_, checkout) = json(&server, "/api/catalog/entities/by-name/component/default/checkout").await;
        let uid = checkout["metadata"]["uid"].as_str().expect("uid").to_string();
        assert_eq!(json(&server, &format!("/api/catalog/entities/by-uid/{uid}")).await.1, checkout);

        // Another owner for checkout (team-a's own answer changes through its reverse relation),
        // and a broken API (only its errors change).
        let shop = dir.path().join("shop.yaml");
        let moved = SHOP.replacen("  owner: team-a\n  system: shop", "  owner: team-b\n  system: shop", 1);
        let broken = moved.replace("  lifecycle: production\n  owner: team-a\n  definition:", "  owner: team-a\n  definition:");
        std::fs::write(&shop, &broken).expect("write");
        assert_eq!(refresh().await.0, 200);
        let (_, team) = json(&server, "/api/catalog/entities/by-name/group/default/team-a").await;
        assert!(!ref_of(&team["relations"], "ownerOf").contains(&"component:default/checkout".to_string()), "{team}");
        let (_, by_uid) = json(&server, &format!("/api/catalog/entities/by-uid/{uid}")).await;
        assert_eq!(by_uid["spec"]["owner"], "team-b");
        assert_eq!(ref_of(&by_uid["relations"], "ownedBy"), ["group:default/team-b"]);
        let (_, owned) = json(&server, "/api/catalog/entities/by-query?filter=kind=component,spec.owner=team-a").await;
        assert_eq!(owned["totalItems"], 0, "{owned}");
        let (_, api) = json(&server, "/api/catalog/entities/by-name/api/default/checkout-api").await;
        assert!(api["status"]["items"][0]["message"].as_str().is_some_and(|m| m.contains("lifecycle")), "{api}");

        // The API mended: nothing but its errors changes, and they go at once.
        std::fs::write(&shop, &moved).expect("write");
        assert_eq!(refresh().await.0, 200);
        let (_, api) = json(&server, "/api/catalog/entities/by-name/api/default/checkout-api").await;
        assert!(api.get("status").is_none(), "{api}");
        let (status, _) = json(&server, "/api/catalog/entities/by-name/component/default/nothing-here").await;
        assert_eq!(status, 404);
        server.stop().await;
    }

    async fn an_entity_claimed_by_two_locations_stays_with_the_first(db: TestDb) {
        let (_dir, root) = fixture();
        let server = serve(&db, &root, &["file"]).await;
        let other = tempfile::tempdir().expect("tempdir");
        std::fs::write(other.path().join("catalog-info.yaml"), "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n  description: impostor\nspec:\n  type: service\n  lifecycle: production\n  owner: someone-else\n").expect("write");
        let target = other.path().join("catalog-info.yaml").display().to_string();
        let (status, created) = post(&server, "/api/catalog/locations", json!({"type": "file", "target": target})).await;
        assert_eq!(status, 201);
        let problems = created["problems"].to_string();
        assert!(problems.contains("already provided by location"), "{created}");
        let (_, checkout) = json(&server, "/api/catalog/entities/by-name/component/default/checkout").await;
        assert_eq!(checkout["metadata"]["description"], "Takes the money");
        server.stop().await;
    }
}

#[tokio::test]
async fn validate_entity_reports_errors_like_backstage() {
    let db = TestDb::sqlite().await;
    let server = TestServer::start(&db).await;
    let good = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "x"}, "spec": {"type": "service", "lifecycle": "production", "owner": "a"}});
    let (status, body) = post(
        &server,
        "/api/catalog/validate-entity",
        json!({"entity": good, "location": "url:https://example.com/catalog-info.yaml"}),
    )
    .await;
    assert_eq!((status, body), (200, json!({})));
    let bad =
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "x y"}, "spec": {}});
    let (status, body) = post(
        &server,
        "/api/catalog/validate-entity",
        json!({"entity": bad, "location": "url:x"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("metadata.name"),
        "{body}"
    );
    server.stop().await;
}

#[tokio::test]
async fn analyze_location_previews_without_registering() {
    let db = TestDb::sqlite().await;
    let (_dir, root) = fixture();
    let mut config = db.config();
    config.catalog.allowed_location_types = vec!["file".into()];
    let server = TestServer::start_with(config).await;
    let (status, body) = post(
        &server,
        "/api/catalog/analyze-location",
        json!({"location": {"type": "file", "target": root}}),
    )
    .await;
    assert_eq!(status, 200);
    let files = body["existingEntityFiles"].as_array().expect("files");
    assert_eq!(files.len(), 8);
    assert!(
        files
            .iter()
            .all(|f| f["isRegistered"] == false && f["location"]["type"] == "file")
    );
    assert!(body["problems"].to_string().contains("Not Valid"), "{body}");
    let (_, list) = json(&server, "/api/catalog/locations").await;
    assert_eq!(list, json!([]));
    server.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let db = TestDb::sqlite().await;
    let (_dir, root) = fixture();
    let server = serve(&db, &root, &["url"]).await;
    let (status, doc) = json(&server, "/api/catalog/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().expect("paths");
    assert_eq!(paths.len(), 12);
    for (path, operations) in paths {
        let concrete = path
            .replace("{kind}", "component")
            .replace("{namespace}", "default")
            .replace("{name}", "checkout")
            .replace("{uid}", "x")
            .replace("{id}", "x");
        for method in operations.as_object().expect("operations").keys() {
            let request = server.client.request(
                method.to_uppercase().parse().expect("method"),
                server.url(&format!("/api/catalog{concrete}")),
            );
            let request = if method == "post" {
                request.json(&json!({}))
            } else {
                request
            };
            let response = request.send().await.expect("request");
            assert_ne!(response.status(), 405, "{method} {path} is routed");
            if response.status() == 404 {
                let body: Value = response.json().await.expect("a 404 from a handler is JSON");
                assert_eq!(body["error"]["name"], "NotFoundError", "{method} {path} is routed");
            }
        }
    }
    server.stop().await;
}
