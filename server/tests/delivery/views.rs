//! What the Delivery pages show, through HTTP: an entity's and a group's incident list (bounded,
//! newest first, with links), every table's CSV and JSON export (cells a spreadsheet would run
//! defused), the pages themselves, and the pages' confirm/reject (incidents.link, audited).

use super::*;

/// Shop: 3 deployments (s2 failed), an incident linked to s1, one unlinked; ledger (payments, a
/// child group of team-a): one deployment and an incident with a hostile title.
async fn scene(server: &TestServer) {
    for (id, entity, version, at_ms, status) in [
        ("s1", "shop", "1.0", T0 + HOUR, "succeeded"),
        ("s2", "shop", "1.1", T0 + 5 * HOUR, "failed"),
        ("s3", "shop", "1.2", T0 + 9 * HOUR, "succeeded"),
        ("l1", "ledger", "2.0", T0 + 2 * HOUR, "succeeded"),
    ] {
        report(server, deployment(id, entity, version, at_ms, status)).await;
    }
    incident(server, "INC-1", T0 + 2 * HOUR, Some(T0 + 3 * HOUR), Some("s1")).await;
    incident(server, "INC-2", T0 + 10 * HOUR, None, None).await;
    let hostile = json!({"id": "INC-3", "entity": "ledger", "title": "=HYPERLINK(\"http://evil.example\",\"x\"), -1+1 \"q\"",
                         "startedAt": at(T0 + 4 * HOUR)});
    let (status, answer) = post(server, "/api/incidents", &hostile).await;
    assert!(status.is_success(), "{answer}");
}

async fn get_json(server: &TestServer, path: &str) -> (StatusCode, Value) {
    let response = server.get(path).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn incidents_are_listed_per_entity_and_group_newest_first_bounded(db: TestDb) {
        let server = portal(&db, |_| {}).await;
        scene(&server).await;
        let (status, list) = get_json(&server, &format!("/api/incidents?entity=shop&{RANGE}")).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let ids: Vec<&str> = list["incidents"].as_array().expect("incidents").iter()
            .map(|x| x["id"].as_str().unwrap_or_default()).collect();
        assert_eq!(ids, ["api:INC-2", "api:INC-1"]);
        assert_eq!(list["incidents"][1]["deployments"], json!(["s1"]));
        assert_eq!(list["incidents"][1]["resolvedMs"], json!(T0 + 3 * HOUR));
        assert_eq!(list["truncated"], false);

        let (_, group) = get_json(&server, &format!("/api/incidents?group=team-a&{RANGE}")).await;
        assert_eq!(group["incidents"].as_array().map(Vec::len), Some(3), "the child group's ledger too: {group}");
        let (_, one) = get_json(&server, &format!("/api/incidents?entity=shop&{RANGE}&limit=1")).await;
        assert_eq!((one["incidents"].as_array().map(Vec::len), &one["truncated"]), (Some(1), &json!(true)));
        let (_, none) = get_json(&server, "/api/incidents?entity=shop&from=2024-01-01&to=2024-02-01").await;
        assert_eq!(none["incidents"], json!([]));

        for (query, field) in [("entity=nope", "entity: the catalog has no entity"), ("entity=shop&limit=x", "limit:"),
                               ("entity=shop&from=yesterday", "from:")] {
            let (status, answer) = get_json(&server, &format!("/api/incidents?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert!(answer["error"]["message"].as_str().unwrap_or_default().starts_with(field), "{answer}");
        }
        server.stop().await;
    }

    async fn every_table_exports_as_csv_and_json_with_formulas_defused(db: TestDb) {
        let server = portal(&db, |_| {}).await;
        scene(&server).await;
        let incidents = server.get(&format!("/api/dora/export/incidents.csv?group=team-a&{RANGE}")).await;
        assert_eq!(incidents.status(), StatusCode::OK);
        assert_eq!(incidents.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(incidents.headers()["content-disposition"].to_str().unwrap_or_default().contains("delivery-group-incidents.csv"));
        let csv = incidents.text().await.expect("csv");
        let mut lines = csv.split("\r\n");
        assert_eq!(lines.next(), Some("id,source,entity,title,startedAt,resolvedAt,linkedDeployments"));
        assert!(
            csv.contains("api:INC-3,api,component:default/ledger,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\"), -1+1 \"\"q\"\"\",2025-03-03T04:00:00Z,,\r\n"),
            "{csv}"
        );

        let deployments = server.get(&format!("/api/dora/export/deployments.csv?entity=shop&{RANGE}")).await.text().await.expect("csv");
        let rows: Vec<&str> = deployments.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(rows.len(), 4, "a header and three deployments: {deployments}");
        assert!(rows[0].starts_with("id,entity,version,commit,startedAt,finishedAt,status,failureReasons"));
        assert!(rows.iter().any(|r| r.starts_with("s2,component:default/shop,1.1,0123abcd,") && r.contains(",failed,rollout failed,")), "{deployments}");
        assert!(rows.iter().any(|r| r.starts_with("s1,") && r.contains(",failed,incident api:INC-1,")), "{deployments}");

        let (status, json) = get_json(&server, &format!("/api/dora/export/deployments.json?entity=shop&{RANGE}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json.as_array().map(Vec::len), Some(3));
        let s2 = json.as_array().and_then(|a| a.iter().find(|d| d["id"] == "s2")).expect("s2");
        assert_eq!((&s2["status"], &s2["failureReasons"], &s2["changes"]), (&json!("failed"), &json!("rollout failed"), &json!(null)));

        let (_, series) = get_json(&server, &format!("/api/dora/export/series.json?entity=shop&{RANGE}&interval=week")).await;
        let first = &series[0];
        assert_eq!((&first["start"], &first["deployments"], &first["failed"]), (&json!("2025-03-01T00:00:00Z"), &json!(0), &json!(0)));
        assert_eq!((&series[1]["deployments"], &series[1]["failed"], &series[1]["changeFailureRate"]), (&json!(3), &json!(2), &json!(0.667)));
        let (_, breakdown) = get_json(&server, &format!("/api/dora/export/breakdown.json?group=team-a&{RANGE}")).await;
        let keys: Vec<&str> = breakdown.as_array().expect("rows").iter().map(|r| r["key"].as_str().unwrap_or_default()).collect();
        assert!(keys.contains(&"component:default/ledger") && keys.contains(&"component:default/shop"), "{breakdown}");
        let (_, owners) = get_json(&server, &format!("/api/dora/export/breakdown.json?{RANGE}")).await;
        assert!(owners.as_array().expect("rows").iter().any(|r| r["key"] == "group:default/payments"), "{owners}");

        for path in ["/api/dora/export/secrets.csv", "/api/dora/export/deployments.xlsx", "/api/dora/export/deployments"] {
            assert_eq!(server.get(&format!("{path}?entity=shop")).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(server.get("/api/dora/export/series.csv?entity=nope").await.status(), StatusCode::BAD_REQUEST);
        server.stop().await;
    }

    async fn the_pages_show_the_evidence_and_escape_what_they_show(db: TestDb) {
        let server = portal(&db, |_| {}).await;
        scene(&server).await;
        // The pages show the last days: report into them.
        let now = catalog::store::now_ms();
        report(&server, deployment("n1", "shop", "3.0", now - 2 * HOUR, "succeeded")).await;
        report(&server, deployment("n2", "shop", "3.1", now - HOUR, "failed")).await;
        incident(&server, "NOW-1", now - 30 * 60_000, None, None).await;
        let page = server.get("/catalog/default/component/shop/delivery?days=30&year=2021").await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("html");
        assert!(html.contains("1 failed of 2 deployments = 50.0%"), "the evidence of the rate");
        assert!(html.contains("DORA State of DevOps 2021: worse than Low"), "the tier names its year");
        assert!(html.contains("data-incident=\"api:NOW-1\"") && html.contains("data-deployment=\"n2\""), "the incident and its suspect");
        assert!(html.contains("/api/dora/export/incidents.csv?entity=component%3Adefault%2Fshop&amp;from="));
        let team = server.get("/catalog/default/group/team-a/delivery").await.text().await.expect("html");
        assert!(team.contains("data-key=\"component:default/shop\""), "the team view's breakdown");
        let ledger_incident = server.get("/catalog/default/component/ledger/delivery?days=180").await.text().await.expect("html");
        assert!(!ledger_incident.contains("<b>"), "nothing unescaped");
        let organisation = server.get("/delivery?days=180&year=2025").await.text().await.expect("html");
        assert!(organisation.contains("data-key=\"group:default/team-a\"") && organisation.contains("no tiers published"));
        assert_eq!(server.get("/catalog/default/component/nope/delivery").await.status(), StatusCode::NOT_FOUND);
        server.stop().await;
    }

    async fn confirming_from_the_page_needs_incidents_link_and_is_audited(db: TestDb) {
        let (server, _provider, reader, ci) = signed_in_portal(&db).await;
        let send = |token: Option<String>, path: &'static str, body: Value| {
            let request = server.client.post(server.url(path)).json(&body);
            match token { Some(t) => request.bearer_auth(t), None => request }.send()
        };
        assert_eq!(send(Some(ci.secret.clone()), "/api/dora/deployments", deployment("s1", "shop", "1.0", T0 + 9 * HOUR, "succeeded"))
            .await.expect("post").status(), StatusCode::CREATED);
        let x = json!({"id": "INC-9", "entity": "shop", "title": "down", "startedAt": at(T0 + 10 * HOUR)});
        assert_eq!(send(Some(ci.secret.clone()), "/api/incidents", x).await.expect("post").status(), StatusCode::CREATED);
        let form = [("incident", "api:INC-9"), ("deployment", "s1"), ("decision", "confirmed")];
        let decide = |token: Option<&str>| {
            let request = server.client.post(server.url("/_server/decide_suspect")).form(&form);
            match token { Some(t) => request.bearer_auth(t), None => request }.send()
        };
        assert_eq!(decide(None).await.expect("post").status(), StatusCode::UNAUTHORIZED);
        assert_eq!(decide(Some(&reader.secret)).await.expect("post").status(), StatusCode::FORBIDDEN);
        let pool = server.state().catalog.store.pool().clone();
        let links = || sqlx::query_as::<_, (String,)>("SELECT deployment_id FROM delivery_incident_links WHERE incident_id = 'api:INC-9'")
            .fetch_all(&pool);
        assert!(links().await.expect("links").is_empty(), "a refused verdict links nothing");
        let done = decide(Some(&ci.secret)).await.expect("post");
        assert_eq!(done.status(), StatusCode::OK, "{:?}", done.text().await);
        assert_eq!(links().await.expect("links"), [("s1".to_string(),)]);
        let audited: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT actor, action, detail FROM audit_events WHERE target = 'api:INC-9' AND action LIKE 'incident-link%'",
        ).fetch_all(&pool).await.expect("audit");
        assert_eq!(audited.len(), 1, "{audited:?}");
        assert_eq!((audited[0].1.as_str(), audited[0].2.as_str()), ("incident-link-confirmed", "s1"));
        server.stop().await;
    }
}
