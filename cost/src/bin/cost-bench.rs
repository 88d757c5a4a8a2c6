//! The cost bench's helper (`bench/cost.sh`), over a SQLite database `cairn migrate` created:
//!
//! - `cost-bench generate DB PODS SERVICES TEAMS DAYS`: the history of a steady cluster written
//!   straight into the tables (`store::generate`): daily rows for DAYS days, hourly rows for the
//!   last 31; prints the database's size and what the last day added;
//! - `cost-bench sample DB PODS INTERVALS`: writes INTERVALS one-minute samples of PODS
//!   containers (on their nodes, usage measured) as the sampler does (`write_sample`), and prints
//!   the CPU time (user + system of this process, SQLite included) and wall time per interval,
//!   and what the samples added to the database.
//!
//! Every figure is one JSON object on standard output.

use std::collections::BTreeMap;
use std::time::Instant;

use cost::sample::{AllocationKey, ContainerSample, NodeSample, Sample};
use cost::store::Store;
use cost::store::generate::{HistoryPlan, service_name};
use sqlx::any::{AnyPoolOptions, install_default_drivers};

const DAY_MS: i64 = 86_400_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| -> Result<i64, String> {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("argument {i}: a number is needed"))
    };
    let usage = "usage: cost-bench generate DB PODS SERVICES TEAMS DAYS | sample DB PODS INTERVALS";
    let (command, db) = (args.first().ok_or(usage)?, args.get(1).ok_or(usage)?);
    install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&format!("sqlite://{db}"))
        .await?;
    sqlx::raw_sql("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .execute(&pool)
        .await?;
    let store = Store::new(catalog::store::Store::new(pool.clone(), false));
    let now = now_ms();
    let plan = HistoryPlan {
        cluster: "bench".into(),
        pods: number(2)?,
        services: if command == "generate" { number(3)? } else { 1 },
        teams: if command == "generate" { number(4)? } else { 1 },
        days: if command == "generate" { number(5)? } else { 0 },
        hourly_days: 31,
        end_ms: now - now.rem_euclid(DAY_MS),
    };
    match command.as_str() {
        "generate" => {
            let started = Instant::now();
            store.generate_inventory(&plan).await?;
            for d in (2..=plan.days).rev() {
                store
                    .generate_day(&plan, plan.end_ms - d * DAY_MS, d <= plan.hourly_days)
                    .await?;
            }
            let before = size(&pool).await?;
            store.generate_day(&plan, plan.end_ms - DAY_MS, true).await?;
            let after = size(&pool).await?;
            println!(
                "{}",
                serde_json::json!({
                    "seconds": started.elapsed().as_secs_f64(),
                    "bytes": after,
                    "dayBytes": after - before,
                })
            );
        }
        "sample" => {
            let intervals = number(3)?;
            let sample = steady_sample(&plan);
            let before = size(&pool).await?;
            let start = now - now.rem_euclid(60_000) - intervals * 60_000;
            let (mut cpu, mut wall) = (Vec::new(), Vec::new());
            for k in 0..intervals {
                let (c0, t0) = (cpu_seconds(), Instant::now());
                let written = store
                    .write_sample(&sample, start + k * 60_000, 60, "bench", now_ms())
                    .await?;
                assert!(written.claimed, "interval {k} written once");
                cpu.push(cpu_seconds() - c0);
                wall.push(t0.elapsed().as_secs_f64());
            }
            let after = size(&pool).await?;
            cpu.sort_by(f64::total_cmp);
            wall.sort_by(f64::total_cmp);
            println!(
                "{}",
                serde_json::json!({
                    "intervals": intervals,
                    "cpuSecondsMedian": cpu[cpu.len() / 2],
                    "cpuSecondsMax": cpu[cpu.len() - 1],
                    "wallSecondsMedian": wall[wall.len() / 2],
                    "bytesPerInterval": (after - before) / intervals.max(1),
                })
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}

/// PODS containers as the generated history has them (same keys, so the same rows), usage
/// measured.
fn steady_sample(plan: &HistoryPlan) -> Sample {
    let services = 1000;
    let teams = 50;
    let nodes = plan.nodes();
    let containers = (0..plan.pods)
        .map(|i| {
            let id = i + 1;
            let service = service_name(i % services);
            let cpu = 100 + (id % 8) as u64 * 125;
            let memory = 268_435_456 * (1 + id % 6) as u64;
            let used = (40 + id % 50) as f64 / 100.0;
            ContainerSample {
                key: AllocationKey {
                    namespace: format!("team-{:02}", (i % services) % teams),
                    pod: format!("{service}-{i}"),
                    container: "app".into(),
                    node: format!("node-{}", i % nodes),
                    workload_kind: "Deployment".into(),
                    workload: service.clone(),
                    entity: format!("component:default/{service}"),
                    team: format!("group:default/team-{:02}", (i % services) % teams),
                },
                labels: BTreeMap::new(),
                cpu_request_millis: cpu,
                memory_request_bytes: memory,
                gpus: 0,
                usage: Some((cpu as f64 * used, memory as f64 * used)),
            }
        })
        .collect();
    let nodes = (0..nodes)
        .map(|n| NodeSample {
            name: format!("node-{n}"),
            labels: BTreeMap::new(),
            cpu_millis: 32_000,
            memory_bytes: 128 << 30,
            gpus: 0,
        })
        .collect();
    Sample {
        cluster: plan.cluster.clone(),
        containers,
        nodes,
        volumes: Vec::new(),
        usage: "measured".into(),
        meter: Some(cost::view::Meter::MetricsApi),
    }
}

/// The database file's size: pages × page size.
async fn size(pool: &sqlx::AnyPool) -> Result<i64, sqlx::Error> {
    let pages: i64 = sqlx::query_scalar("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
        .fetch_one(pool)
        .await?;
    Ok(pages)
}

/// User + system CPU time of this process so far, from /proc/self/stat (clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // After the command's closing parenthesis: state is field 0, utime 11, stime 12.
    (ticks(11) + ticks(12)) / 100.0
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
