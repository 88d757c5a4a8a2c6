//! `GET /api/cost/allocation` and `/api/cost/export.csv` over the small cluster's sampled
//! history: the database's sums equal the rows read one by one and summed here, the GPU pool's
//! rate, idle, unmounted and unallocated lines are there, sharing idle moves no money, and bad
//! parameters are refused by name. The history is written by one server (sampling), then read
//! by another that samples nothing, so the figures hold still.

use std::collections::BTreeMap;

use cost::allocation::{Aggregate, Totals};
use cost::report::{Policy, distribute};
use cost::store::Grain;
use sqlx::Row;

use super::*;

const DAY: i64 = 86_400_000;

/// The small cluster sampled for a few seconds, then a server over the same database that
/// samples nothing.
async fn sampled_history(db: &TestDb) -> TestServer {
    let api = small_cluster().await;
    let sampler = TestServer::start_with(config(db, &api)).await;
    let pool = sampler.state().db.pool().clone();
    eventually(Duration::from_secs(30), "three measured samples of every pod", || {
        let pool = pool.clone();
        async move {
            let rows = sums(&pool).await;
            let measured = rows.iter().filter(|(_, grain, q)| *grain == 1 && q[1] >= 3).count();
            (measured == 4).then_some(())
        }
    })
    .await;
    sampler.stop().await;
    let mut reader = db.config();
    reader.cost.prices = prices();
    TestServer::start_with(reader).await
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("time")
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Today (UTC) as an explicit window of whole days, so the test never straddles midnight.
fn today() -> (i64, String) {
    let start = catalog::store::now_ms() / DAY * DAY;
    (start, format!("{},{}", rfc3339(start), rfc3339(start + DAY)))
}

async fn allocation(portal: &TestServer, query: &str) -> Value {
    let response = portal.get(&format!("/api/cost/allocation?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.expect("json")
}

/// The rows read one by one (`cluster_costs`), distributed and summed by namespace here.
async fn summed_here(portal: &TestServer, from: i64) -> (BTreeMap<String, Totals>, Money) {
    let costs = portal
        .state()
        .cost
        .cluster_costs(None, Grain::Day, from, from + DAY, &prices())
        .await
        .expect("rows");
    let mut lines: BTreeMap<String, Totals> = BTreeMap::new();
    let mut assets = Money::ZERO;
    for cost in costs {
        let report = distribute(cost, &Policy::default());
        assets += report.assets();
        for (key, totals) in report.lines(|a| Aggregate::Namespace.key(a)) {
            lines.entry(key).or_default().merge(&totals);
        }
    }
    (lines, assets)
}

fn close(a: &Value, b: f64, what: &str) {
    let a = a.as_f64().unwrap_or_else(|| panic!("{what}: not a number: {a}"));
    assert!((a - b).abs() <= 1e-4, "{what}: {a} against {b}");
}

on_both_databases! {
    async fn the_databases_sums_are_the_rows_summed(db: TestDb) {
        let portal = sampled_history(&db).await;
        let (from, window) = today();
        let (expected, assets) = summed_here(&portal, from).await;
        let json = allocation(&portal, &format!("window={window}&aggregate=namespace&accumulate=true")).await;
        assert_eq!((json["code"].as_u64(), json["currency"].as_str()), (Some(200), Some("USD")));
        assert_eq!(json["data"].as_array().map(Vec::len), Some(1), "accumulated: one set");
        let set = json["data"][0].as_object().expect("a set");
        let names: Vec<&String> = set.keys().collect();
        for name in ["ml", "shop", "__idle__"] {
            assert!(set.contains_key(name) && expected.contains_key(name), "{name}: {names:?}");
        }
        // A line of a micro-unit or less may round away on one side (a few seconds of 5 GiB
        // unmounted): the rest must be the same.
        let zero = Totals::default();
        for name in set.keys().chain(expected.keys()) {
            let line = expected.get(name).unwrap_or(&zero);
            let item = set.get(name).cloned().unwrap_or_else(|| json!({
                "cpuCost": 0.0, "ramCost": 0.0, "gpuCost": 0.0, "pvCost": 0.0, "totalCost": 0.0, "cpuCoreHours": 0.0
            }));
            let item = &item;
            close(&item["cpuCost"], line.cpu.units(), &format!("{name} cpuCost"));
            close(&item["ramCost"], line.memory.units(), &format!("{name} ramCost"));
            close(&item["gpuCost"], line.gpu.units(), &format!("{name} gpuCost"));
            close(&item["pvCost"], line.pv.units(), &format!("{name} pvCost"));
            close(&item["totalCost"], line.total().units(), &format!("{name} totalCost"));
            close(&item["cpuCoreHours"], line.cpu_core_hours, &format!("{name} cpuCoreHours"));
        }
        let ml = &set["ml"];
        assert_eq!(ml["properties"], json!({ "namespace": "ml" }));
        close(&ml["gpuCost"], ml["gpuHours"].as_f64().expect("hours") * 0.526, "the GPU pool's rate");
        assert!(ml["cpuEfficiency"].as_f64().expect("efficiency") > 0.0, "usage was measured");
        let total: f64 = set.values().map(|i| i["totalCost"].as_f64().expect("total")).sum();
        assert!((total - assets.units()).abs() <= assets.units() * 0.005, "{total} against {}", assets.units());

        // Sharing idle moves it into the lines; the total stays.
        let shared = allocation(&portal, &format!("window={window}&aggregate=namespace&accumulate=true&shareIdle=true")).await;
        let shared = shared["data"][0].as_object().expect("a set");
        assert!(!shared.contains_key("__idle__"));
        let again: f64 = shared.values().map(|i| i["totalCost"].as_f64().expect("total")).sum();
        assert!((again - total).abs() < 1e-5, "{again} against {total}");
        assert!(shared["shop"]["idleCost"].as_f64().expect("idle") > 0.0);
        portal.stop().await;
    }

    async fn every_aggregate_steps_and_bad_input(db: TestDb) {
        let portal = sampled_history(&db).await;
        let (_, window) = today();
        let json = allocation(&portal, &format!("window={window}&aggregate=label:app&accumulate=true")).await;
        let set = json["data"][0].as_object().expect("a set");
        for app in ["web", "worker", "cron", "train"] {
            assert_eq!(set[app]["properties"]["labels"]["app"], app, "{set:?}");
        }
        for aggregate in ["entity", "owner", "system", "domain"] {
            let json = allocation(&portal, &format!("window={window}&aggregate={aggregate}&accumulate=true")).await;
            let set = json["data"][0].as_object().expect("a set");
            // Nothing here is in the catalog: the containers are unallocated, never dropped.
            assert!(set["__unallocated__"]["totalCost"].as_f64().expect("total") > 0.0, "{aggregate}");
        }
        let json = allocation(&portal, "window=3h&aggregate=cluster").await;
        let sets = json["data"].as_array().expect("sets");
        assert!(!sets.is_empty() && sets.len() <= 3, "one set per hour with rows: {}", sets.len());
        assert!(sets.iter().all(|s| s["prod"]["minutes"] == 60.0));
        for (query, words) in [
            ("aggregate=namespace", "window: is required"),
            ("window=fortnight", "not a window"),
            ("window=7d&aggregate=service", "aggregate: `service`"),
            ("window=7d&aggregate=label:a%22b", "aggregate:"),
            ("window=7d&accumulate=yes", "accumulate: `yes`"),
            ("window=9999d", "cost.retention.daily"),
            ("window=7d&shareNamespaces=Kube_System", "shareNamespaces"),
            ("window=7d&entity=a&owner=b", "one or the other"),
        ] {
            let response = portal.get(&format!("/api/cost/allocation?{query}")).await;
            assert_eq!(response.status(), 400, "{query}");
            let text = response.text().await.expect("text");
            assert!(text.contains(words), "{query}: {text}");
        }
        let response = portal.get(&format!("/api/cost/export.csv?window={window}&aggregate=namespace&accumulate=true")).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().expect("type").starts_with("text/csv"));
        let csv = response.text().await.expect("csv");
        let mut lines = csv.lines();
        assert!(lines.next().expect("header").starts_with("start,end,name,currency,cpuCost"));
        let rows: Vec<&str> = lines.collect();
        assert!(rows.iter().any(|r| r.contains(",ml,USD,")), "{csv}");
        assert!(rows.iter().any(|r| r.contains(",__idle__,")), "{csv}");
        portal.stop().await;
    }
}

on_both_databases! {
    async fn the_demos_backfill_copies_the_first_sample_back_once(db: TestDb) {
        let portal = sampled_history(&db).await;
        let store = &portal.state().cost;
        let now = catalog::store::now_ms();
        assert_eq!(store.backfill_from_first_sample("nowhere", 3, 2, now).await.expect("backfill"), None, "no sample yet");
        assert_eq!(store.backfill_from_first_sample("prod", 3, 2, now).await.expect("backfill"), Some(true));
        assert_eq!(store.backfill_from_first_sample("prod", 3, 2, now).await.expect("again"), Some(false), "once");
        let (today, _) = today();
        let pool = portal.state().db.pool().clone();
        let per_day: Vec<(i64, i64, i64)> = sqlx::query(
            "SELECT u.start_ms, CAST(SUM(u.seconds) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM cost_allocation_usage u \
             WHERE u.grain = 2 AND u.start_ms < $1 GROUP BY u.start_ms ORDER BY u.start_ms",
        )
        .bind(today)
        .fetch_all(&pool)
        .await
        .expect("days")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
        // Three whole days, each container (4) observed all day.
        assert_eq!(per_day.iter().map(|d| d.0).collect::<Vec<_>>(), vec![today - 3 * DAY, today - 2 * DAY, today - DAY]);
        assert!(per_day.iter().all(|d| d.1 == 4 * 86_400 && d.2 == 4), "{per_day:?}");
        let hours: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(DISTINCT start_ms) AS BIGINT) FROM cost_allocation_usage WHERE grain = 1 AND start_ms < $1",
        )
        .bind(today)
        .fetch_one(&pool)
        .await
        .expect("hours");
        assert_eq!(hours, 48, "hourly rows for the last two days");
        // The API reads the past: yesterday costs what a whole day of the first sample does.
        let yesterday = format!("{},{}", rfc3339(today - DAY), rfc3339(today));
        let json = allocation(&portal, &format!("window={yesterday}&aggregate=namespace&accumulate=true")).await;
        assert!(json["data"][0]["ml"]["gpuHours"].as_f64().expect("hours") == 24.0, "{json}");
        // A window reaching today: the whole past days' sums are kept, today's read each time;
        // both answers equal the days summed one by one.
        let days = allocation(&portal, "window=4d&aggregate=namespace").await;
        let by_day: f64 = days["data"].as_array().expect("sets").iter().map(|set| set["ml"]["gpuHours"].as_f64().unwrap_or(0.0)).sum();
        for _ in 0..2 {
            let json = allocation(&portal, "window=4d&aggregate=namespace&accumulate=true").await;
            let hours = json["data"][0]["ml"]["gpuHours"].as_f64().expect("hours");
            assert!(hours >= 72.0 && (hours - by_day).abs() < 0.01, "{hours} against {by_day}");
        }
        portal.stop().await;
    }
}
