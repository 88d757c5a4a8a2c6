//! Full-text search through the index (ranking, prefixes, substrings, tags, owners, Backstage's
//! `fullTextFilterFields`) and facet counts kept with the catalog, equal to counting it afresh
//! through refreshes, orphans, purges and deletions, over SQLite and PostgreSQL.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use catalog::model::Filter;
use common::{TestDb, TestServer};
use serde_json::Value;

const SEARCHED: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  description: Card payments
  tags: [checkout, pci]
spec: { type: service, lifecycle: production, owner: team-orange }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: basket
  title: The Checkout basket
spec: { type: service, lifecycle: production, owner: team-blue }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-web
spec: { type: website, lifecycle: production, owner: team-blue }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
spec: { type: service, lifecycle: production, owner: team-blue }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: zeta
  description: Nothing to see
spec: { type: library, lifecycle: experimental, owner: team-orange }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: a-checkout-tool
  description: For 50% of <b>bold</b> people
spec: { type: library, lifecycle: experimental, owner: team-blue }
"#;

/// A server reading `root` (a file location from its configuration), refreshed.
async fn serve(db: &TestDb, root: &Path) -> TestServer {
    let mut config = db.config();
    config.catalog.locations = vec![("file".into(), root.display().to_string())];
    let server = TestServer::start_with(config).await;
    let catalog = &server.state().catalog;
    catalog.sync_config_locations().await.expect("sync");
    catalog.refresh_all().await.expect("refresh");
    server
}

async fn names(server: &TestServer, query: &str) -> Vec<String> {
    let response = server.get(&format!("/api/catalog/entities/by-query?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    let body: Value = response.json().await.expect("json");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["metadata"]["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

on_both_databases! {
    async fn searches_are_ranked_and_find_prefixes_substrings_tags_and_owners(db: TestDb) {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("catalog-info.yaml");
        std::fs::write(&root, SEARCHED).expect("write");
        let server = serve(&db, &root).await;
        // Exact name, name prefix, title or description, then the rest (by name within each).
        assert_eq!(
            names(&server, "fullTextFilterTerm=Checkout").await,
            ["checkout", "checkout-web", "basket", "a-checkout-tool", "payments"]
        );
        assert_eq!(names(&server, "fullTextFilterTerm=chec").await, ["checkout", "checkout-web", "basket", "a-checkout-tool", "payments"]);
        assert_eq!(names(&server, "fullTextFilterTerm=kout-w").await, ["checkout-web"], "inside a word");
        assert_eq!(names(&server, "fullTextFilterTerm=et").await, ["basket", "zeta"], "shorter than a trigram");
        assert_eq!(names(&server, "fullTextFilterTerm=pci").await, ["payments"], "a tag");
        assert_eq!(names(&server, "fullTextFilterTerm=team-orange").await, ["payments", "zeta"], "an owner");
        assert_eq!(names(&server, "fullTextFilterTerm=50%25").await, ["a-checkout-tool"], "LIKE's characters are literal");
        assert_eq!(names(&server, "fullTextFilterTerm=5_%25").await, Vec::<String>::new());
        assert!(names(&server, "fullTextFilterTerm=nowhere-at-all").await.is_empty());
        // Backstage's fields: only where asked; an order asked for wins over the rank.
        assert_eq!(
            names(&server, "fullTextFilterTerm=chec&fullTextFilterFields=metadata.name&orderField=metadata.name,desc").await,
            ["checkout-web", "checkout", "a-checkout-tool"]
        );
        assert_eq!(names(&server, "fullTextFilterTerm=chec&fullTextFilterFields=metadata.title").await, ["basket"]);
        assert_eq!(names(&server, "fullTextFilterTerm=production&fullTextFilterFields=metadata.annotations.nothing").await, Vec::<String>::new());
        // Pages of a ranked search follow the rank.
        let first: Value = server.get("/api/catalog/entities/by-query?fullTextFilterTerm=chec&limit=2").await.json().await.expect("json");
        assert_eq!(first["totalItems"], 5);
        let cursor = first["pageInfo"]["nextCursor"].as_str().expect("a next page");
        assert_eq!(names(&server, &format!("cursor={cursor}&limit=2")).await, ["basket", "a-checkout-tool"]);
        // A first page filled by names starting with the term comes from the name index alone;
        // the pages after it go on in the same order, with and without a filter.
        for filter in ["", "filter=kind=component&"] {
            let mut walked = Vec::new();
            let mut query = format!("{filter}fullTextFilterTerm=chec&limit=1");
            loop {
                let page: Value = server.get(&format!("/api/catalog/entities/by-query?{query}")).await.json().await.expect("json");
                assert_eq!(page["totalItems"], 5, "{query}: {page}");
                walked.extend(page["items"].as_array().expect("items").iter().map(|e| e["metadata"]["name"].as_str().unwrap_or_default().to_string()));
                let Some(next) = page["pageInfo"]["nextCursor"].as_str() else { break };
                query = format!("cursor={next}&limit=1");
            }
            assert_eq!(walked, ["checkout", "checkout-web", "basket", "a-checkout-tool", "payments"], "{filter}");
        }

        // The catalog page marks the term where it is shown, escaped.
        let page = server.get("/catalog?kind=component&q=CHECK").await.text().await.expect("page");
        assert!(page.contains("<mark>check</mark>out-web"), "{page}");
        assert!(page.contains("The <mark>Check</mark>out basket"), "{page}");
        let page = server.get("/catalog?kind=component&q=%3Cb%3E").await.text().await.expect("page");
        assert!(page.contains("For 50% of <mark>&lt;b&gt;</mark>bold&lt;/b&gt; people"), "{page}");
        server.stop().await;
    }

    async fn kept_facets_equal_counting_afresh_through_every_change(db: TestDb) {
        let dir = tempfile::tempdir().expect("tempdir");
        let generated = Generated::new(7, 600);
        generated.write(dir.path(), 0);
        let server = serve(&db, &dir.path().join("catalog-info.yaml")).await;
        let catalog = &server.state().catalog;
        let store = &catalog.store;
        assert_same_facets(store, "after the first refresh").await;

        // Owners, tags and groups change, entities leave (orphans) and arrive.
        generated.write(dir.path(), 1);
        catalog.refresh_all().await.expect("refresh");
        assert_same_facets(store, "after a refresh changing a third").await;
        let orphans: Value = server.get("/api/catalog/entity-facets?facet=metadata.annotations.backstage.io/orphan").await.json().await.expect("json");
        assert!(orphans["facets"]["metadata.annotations.backstage.io/orphan"][0]["count"].as_i64() > Some(0), "{orphans}");

        store.purge_orphans(catalog::store::now_ms() + 1).await.expect("purge");
        assert_same_facets(store, "after orphans are removed").await;

        // A group many entities point to goes (its reverse relations with it).
        let group = store
            .entity_by_ref(&catalog::model::EntityRef::new("group", "default", "group-1"))
            .await
            .expect("read")
            .expect("group-1 exists");
        let uid = group.entity["metadata"]["uid"].as_str().expect("uid").to_string();
        assert!(store.delete_entity(&uid).await.expect("delete"));
        assert_same_facets(store, "after an entity is deleted").await;

        // Back as it was: the kept counts fold back to the first ones.
        generated.write(dir.path(), 0);
        catalog.refresh_all().await.expect("refresh");
        assert_same_facets(store, "after a refresh restoring the first files").await;

        for location in store.locations().await.expect("locations") {
            store.delete_location(&location.id).await.expect("unregister");
        }
        assert_same_facets(store, "after every location is unregistered").await;
        assert!(store.facet("kind", None).await.expect("facet").is_empty());
        server.stop().await;
    }
}

/// Every facet the catalog page and Backstage's pickers ask for, by every filter the kept counts
/// answer, equal to the catalog counted afresh.
async fn assert_same_facets(store: &catalog::store::Store, when: &str) {
    const FIELDS: [&str; 22] = [
        "kind",
        "metadata.namespace",
        "spec.type",
        "spec.lifecycle",
        "spec.owner",
        "metadata.tags",
        "spec.profile.email",
        "metadata.annotations.backstage.io/orphan",
        "relations.ownedBy",
        "relations.ownerOf",
        "relations.OWNEDBY",
        "relations.childOf",
        "relations.parentOf",
        "relations.memberOf",
        "relations.hasMember",
        "relations.partOf",
        "relations.hasPart",
        "relations.dependsOn",
        "relations.dependencyOf",
        "relations.providesApi",
        "relations.apiProvidedBy",
        "relations.apiConsumedBy",
    ];
    let kinds = |values: &[&str]| Filter::Field {
        key: "kind".into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let filters = [
        None,
        Some(Filter::All(vec![])),
        Some(Filter::All(vec![kinds(&["Component"])])),
        Some(Filter::Any(vec![Filter::All(vec![kinds(&["group", "user"])])])),
        Some(kinds(&["system", "api"])),
        Some(kinds(&[])),
    ];
    for field in FIELDS {
        for filter in &filters {
            let kept = store.facet(field, filter.as_ref()).await.expect("kept facet");
            let now = store.facet_counted_now(field, filter.as_ref()).await.expect("facet");
            assert_eq!(kept, now, "{field} with {filter:?} {when}");
        }
    }
}

/// A catalog of Groups (parents and children declared on both sides, not always agreeing),
/// Users, Systems, Components and APIs, from a seed; `version` 1 changes about a third of it.
struct Generated {
    seed: u64,
    size: usize,
}

impl Generated {
    fn new(seed: u64, size: usize) -> Generated {
        Generated { seed, size }
    }

    fn write(&self, dir: &Path, version: u64) {
        let mut random = self.seed;
        let mut next = move |n: usize| {
            random = random
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((random >> 33) as usize) % n.max(1)
        };
        let groups = self.size / 20;
        let mut files = vec![String::new(); 4];
        for g in 0..groups {
            let gone = version == 1 && g % 7 == 3;
            if gone {
                continue;
            }
            let parent = (g > 0).then(|| (g - 1) / 3);
            let mut doc = format!("kind: Group\nmetadata:\n  name: group-{g}\nspec:\n  type: team\n");
            if let Some(p) = parent.filter(|_| g % 5 != 4) {
                let _ = writeln!(doc, "  parent: group-{p}");
            }
            let children: Vec<String> = (3 * g + 1..3 * g + 4)
                .filter(|c| *c < groups && c % 4 != 2)
                .map(|c| format!("group-{c}"))
                .collect();
            let _ = writeln!(doc, "  children: [{}]", children.join(", "));
            files[0].push_str(&document(&doc));
        }
        for u in 0..self.size / 5 {
            let teams: Vec<String> = (0..1 + next(2))
                .map(|_| format!("group-{}", next(groups + 2)))
                .collect();
            let email = if version == 1 && u % 3 == 0 { "moved" } else { "example" };
            let doc = format!(
                "kind: User\nmetadata:\n  name: user-{u}\nspec:\n  profile: {{ email: user-{u}@{email}.com }}\n  memberOf: [{}]\n",
                teams.join(", ")
            );
            files[1].push_str(&document(&doc));
        }
        let systems = self.size / 30;
        for s in 0..systems {
            let owner = format!("group-{}", next(groups));
            files[2].push_str(&document(&format!(
                "kind: System\nmetadata:\n  name: system-{s}\nspec:\n  owner: {owner}\n"
            )));
        }
        const TAGS: [&str; 6] = ["java", "go", "Java", "pci", "rust", "grpc"];
        const TYPES: [&str; 3] = ["service", "website", "library"];
        let components = self.size / 2;
        for c in 0..components {
            let changed = version == 1 && c % 3 == 1;
            if version == 1 && c % 11 == 5 {
                continue;
            }
            let owner = match (changed, next(4)) {
                (true, _) => format!("group-{}", next(groups)),
                (_, 0) => format!("group:default/group-{}", next(groups)),
                (_, 1) => "nobody-in-particular".to_string(),
                _ => format!("group-{}", next(groups)),
            };
            let tags: Vec<&str> = (0..next(3)).map(|_| TAGS[next(TAGS.len())]).collect();
            let depends: Vec<String> = (0..next(3))
                .map(|_| format!("component:default/component-{}", next(components + 5)))
                .collect();
            let doc = format!(
                "kind: Component\nmetadata:\n  name: component-{c}\n  tags: [{}]\nspec:\n  type: {}\n  lifecycle: {}\n  owner: {owner}\n  system: system-{}\n  dependsOn: [{}]\n  providesApis: [api-{}]\n  consumesApis: [api-{}]\n",
                tags.join(", "),
                TYPES[next(3)],
                if changed { "deprecated" } else { "production" },
                next(systems),
                depends.join(", "),
                next(self.size / 8),
                next(self.size / 8),
            );
            files[3].push_str(&document(&doc));
        }
        for a in 0..self.size / 10 {
            let doc = format!(
                "kind: API\nmetadata:\n  name: api-{a}\nspec:\n  type: openapi\n  lifecycle: production\n  owner: group-{}\n  definition: x\n",
                next(groups)
            );
            files[2].push_str(&document(&doc));
        }
        let mut targets = String::new();
        for (i, text) in files.iter().enumerate() {
            std::fs::write(dir.join(format!("part-{i}.yaml")), text).expect("write");
            let _ = writeln!(targets, "    - ./part-{i}.yaml");
        }
        if version == 1 {
            std::fs::write(dir.join("part-new.yaml"), document("kind: Group\nmetadata:\n  name: newcomers\nspec:\n  type: team\n  parent: group-1\n  children: [group-2]\n")).expect("write");
            targets.push_str("    - ./part-new.yaml\n");
        }
        std::fs::write(
            dir.join("catalog-info.yaml"),
            format!("apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: generated\nspec:\n  targets:\n{targets}"),
        )
        .expect("write");
    }
}

fn document(body: &str) -> String {
    format!("---\napiVersion: backstage.io/v1alpha1\n{body}")
}
