//! The demo's delivery history: for every service of the catalog that runs on Kubernetes (a
//! Component with `backstage.io/kubernetes-id`: the demo catalog's services), each UTC day of the
//! last `days`, releases on working days (mostly succeeded, some failed, some brought back to the
//! version before them: a rollback), incidents linked to some of them and a few linked to none,
//! each resolved after a while. A day's events are a function of the seed, the service and the
//! day alone, with ids naming both, so a restart reports the very same events again (and the
//! reporting API, idempotent on ids, leaves them as they are) and a later day adds its own.
//! Only what has already happened (finished, resolved) is reported.

use std::time::Duration;

use catalog::model::Filter;
use catalog::store::PageRequest;
use delivery::store::Upsert;
use delivery::{Delivery, DeliveryError};
use serde_json::{Value, json};

use super::HistorySettings;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;
/// Who reported it, in the delivery tables.
const ACTOR: &str = "demo";
/// After the first backfill, the last days are reported again this often (today's releases
/// happen as the day goes on).
const AGAIN_EVERY: Duration = Duration::from_secs(3600);

/// What one service did on one day: reports for `POST /api/dora/deployments` and `/api/incidents`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Day {
    pub deployments: Vec<Value>,
    pub incidents: Vec<Value>,
}

/// What a backfill reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backfilled {
    pub services: usize,
    pub created: usize,
    pub unchanged: usize,
}

/// `service`'s day `day` (days since 1970, UTC), as far as it has happened by `now_ms`.
pub fn plan(seed: u64, service: &str, day: i64, now_ms: i64) -> Day {
    let mut random = Random::new(seed, service, day);
    let mut out = Day::default();
    let entity = format!("component:default/{service}");
    let date = date_of(day);
    // A service's pace: from a release every other working day to two a day.
    let pace = 40 + Random::new(seed, service, 0).below(180) as i64;
    let working = !matches!((day + 3).rem_euclid(7), 5 | 6);
    let releases = if working {
        (pace + random.below(100) as i64) / 100
    } else {
        i64::from(random.below(100) < 4)
    };
    let mut at = day * DAY_MS + 8 * HOUR_MS + random.below(3 * 60) as i64 * MINUTE_MS;
    let mut running: Option<String> = None;
    for n in 1..=releases {
        if at > day * DAY_MS + 19 * HOUR_MS {
            break;
        }
        let id = format!("demo-{date}-{service}-{n}");
        let version = format!("{}.{n}", date.replace('-', "."));
        let finished = at + (3 + random.below(12) as i64) * MINUTE_MS;
        let dice = random.below(100);
        let failed = dice < 5;
        let rolled_back = !failed && dice < 14 && running.is_some();
        out.deployments
            .push(deployment(&id, &entity, &version, at, finished, failed));
        let mut next = finished + HOUR_MS + random.below(4 * 60) as i64 * MINUTE_MS;
        if rolled_back {
            let back = finished + (15 + random.below(45) as i64) * MINUTE_MS;
            let previous = running.clone().unwrap_or_default();
            let id_back = format!("{id}-rollback");
            out.deployments.push(deployment(
                &id_back,
                &entity,
                &previous,
                back,
                back + 4 * MINUTE_MS,
                false,
            ));
            if random.below(100) < 70 {
                let start = finished + (3 + random.below(10) as i64) * MINUTE_MS;
                let resolved = back + (5 + random.below(30) as i64) * MINUTE_MS;
                out.incidents.push(incident(
                    &id,
                    &entity,
                    &title(&mut random, service),
                    start,
                    resolved,
                    true,
                ));
            }
            next = next.max(back + HOUR_MS);
        } else if !failed {
            running = Some(version);
            if random.below(100) < 4 {
                let start = finished + (1 + random.below(6) as i64) * HOUR_MS;
                let resolved = start + (30 + random.below(8 * 60) as i64) * MINUTE_MS;
                out.incidents.push(incident(
                    &id,
                    &entity,
                    &title(&mut random, service),
                    start,
                    resolved,
                    true,
                ));
            }
        }
        at = next;
    }
    if random.below(1000) < 12 {
        let start = day * DAY_MS + random.below(24 * 60) as i64 * MINUTE_MS;
        let resolved = start + (20 + random.below(3 * 60) as i64) * MINUTE_MS;
        let id = format!("demo-{date}-{service}");
        let title = format!("Upstream provider degraded, {service} affected");
        out.incidents
            .push(incident(&id, &entity, &title, start, resolved, false));
    }
    out.deployments.retain(|d| time_of(d, "finishedAt") <= now_ms);
    let reported: Vec<&str> = out.deployments.iter().filter_map(|d| d["id"].as_str()).collect();
    out.incidents.retain(|i| {
        time_of(i, "resolvedAt") <= now_ms && i["deployment"].as_str().is_none_or(|d| reported.contains(&d))
    });
    out
}

fn deployment(id: &str, entity: &str, version: &str, started: i64, finished: i64, failed: bool) -> Value {
    json!({
        "id": id, "entity": entity, "environment": "production", "version": version,
        "startedAt": rfc3339(started), "finishedAt": rfc3339(finished),
        "status": if failed { "failed" } else { "succeeded" },
    })
}

fn incident(deployment: &str, entity: &str, title: &str, started: i64, resolved: i64, linked: bool) -> Value {
    let mut incident = json!({
        "id": format!("{deployment}-incident"), "entity": entity, "title": title,
        "startedAt": rfc3339(started), "resolvedAt": rfc3339(resolved),
    });
    if linked {
        incident["deployment"] = deployment.into();
    }
    incident
}

fn title(random: &mut Random, service: &str) -> String {
    const TITLES: [&str; 4] = [
        "Elevated 5xx responses from",
        "p99 latency above the SLO on",
        "Error budget burning fast on",
        "Pods restarting on",
    ];
    format!("{} {service}", TITLES[random.below(TITLES.len() as u64) as usize])
}

/// Reports the last `days` (and today) of every demo service through `Delivery`, newest first,
/// each release naming its commit in the demo's repositories when `settings.repositories` is set.
pub async fn backfill(
    delivery: &Delivery,
    catalog: &catalog::store::Store,
    settings: &HistorySettings,
    now_ms: i64,
) -> anyhow::Result<Backfilled> {
    let services = services(catalog).await?;
    let mut done = Backfilled {
        services: services.len(),
        ..Backfilled::default()
    };
    let today = now_ms.div_euclid(DAY_MS);
    let first = today - i64::from(settings.days);
    let mut planned: Vec<Vec<Day>> = services
        .iter()
        .map(|(service, _)| {
            (first..=today)
                .map(|day| plan(settings.seed, service, day, now_ms))
                .collect()
        })
        .collect();
    if let Some(dir) = &settings.repositories {
        // Services sharing a repository have their releases written into it together.
        let mut repositories: Vec<&String> = services.iter().filter_map(|(_, r)| r.as_ref()).collect();
        repositories.sort();
        repositories.dedup();
        for repository in repositories {
            let mut reports: Vec<&mut Value> = planned
                .iter_mut()
                .zip(&services)
                .filter(|(_, (_, r))| r.as_ref() == Some(repository))
                .flat_map(|(days, _)| days.iter_mut().flat_map(|d| d.deployments.iter_mut()))
                .collect();
            if let Err(error) = super::repositories::add_commits(dir, repository, settings.seed, &mut reports).await {
                tracing::warn!(%repository, error = %format!("{error:#}"), "demo: writing a service's repository");
            }
        }
    }
    for day in (0..planned.first().map_or(0, Vec::len)).rev() {
        for days in &planned {
            for report in &days[day].deployments {
                count(&mut done, delivery.report_deployment(report, ACTOR, now_ms).await)?;
            }
            for report in &days[day].incidents {
                count(&mut done, delivery.report_incident(report, ACTOR, now_ms).await)?;
            }
        }
    }
    Ok(done)
}

/// A report the database holds with other values (a demo database from before its releases named
/// commits) is left as it is.
fn count(done: &mut Backfilled, upsert: Result<Upsert, DeliveryError>) -> Result<(), DeliveryError> {
    match upsert {
        Ok(Upsert::Created) => done.created += 1,
        Ok(_) | Err(DeliveryError::Conflict(_)) => done.unchanged += 1,
        Err(error) => return Err(error),
    }
    Ok(())
}

/// The Components that run on Kubernetes (`backstage.io/kubernetes-id`), by name, with the
/// repository their `github.com/project-slug` names under the demo's organisation.
async fn services(catalog: &catalog::store::Store) -> anyhow::Result<Vec<(String, Option<String>)>> {
    let filter = Filter::from_params(&["kind=component,metadata.annotations.backstage.io/kubernetes-id"])?;
    let page = catalog
        .list_entities(&PageRequest {
            filter,
            limit: 1000,
            ..PageRequest::default()
        })
        .await?;
    let organisation = super::repositories::MIRRORED.trim_start_matches("https://github.com/");
    let mut services: Vec<(String, Option<String>)> = page
        .items
        .iter()
        .filter(|e| e["metadata"]["namespace"].as_str().is_none_or(|n| n == "default"))
        .filter_map(|e| {
            let name = e["metadata"]["name"].as_str()?.to_owned();
            let repository = e["metadata"]["annotations"]["github.com/project-slug"]
                .as_str()
                .and_then(|slug| slug.strip_prefix(organisation))
                .filter(|r| {
                    !r.is_empty()
                        && r.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                        && !r.starts_with('.')
                })
                .map(str::to_owned);
            Some((name, repository))
        })
        .collect();
    services.sort();
    Ok(services)
}

/// The background task: once the catalog has the services, the whole history; then the last two
/// days every hour, until the server stops.
pub async fn run_backfill(
    delivery: std::sync::Arc<Delivery>,
    catalog: catalog::store::Store,
    settings: HistorySettings,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut days = settings.days;
    loop {
        let started = std::time::Instant::now();
        let settings = HistorySettings {
            days,
            ..settings.clone()
        };
        let run = backfill(&delivery, &catalog, &settings, now_ms());
        let wait = tokio::select! {
            done = run => match done {
                Ok(done) if done.services == 0 => Duration::from_secs(1),
                Ok(done) => {
                    tracing::info!(services = done.services, created = done.created, unchanged = done.unchanged,
                        ms = started.elapsed().as_millis() as u64, "demo: delivery history generated");
                    days = 1;
                    AGAIN_EVERY
                }
                Err(error) => {
                    tracing::warn!(error = %error, "demo: generating the delivery history");
                    Duration::from_secs(30)
                }
            },
            _ = stopped.changed() => return,
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => return,
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A report's RFC 3339 `field` in ms (`i64::MAX` when it has none).
pub(super) fn time_of(report: &Value, field: &str) -> i64 {
    report[field]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(i64::MAX, |t| t.timestamp_millis())
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `YYYY-MM-DD` of a day since 1970.
fn date_of(day: i64) -> String {
    rfc3339(day * DAY_MS)[..10].to_owned()
}

/// SplitMix64 over a seed, a service and a day: the same events on every platform and version.
pub(super) struct Random(u64);

impl Random {
    pub(super) fn new(seed: u64, service: &str, day: i64) -> Random {
        let text = service.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        Random(seed ^ text.rotate_left(17) ^ (day as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_601_600_000; // 2026-12-07T00:00:00Z

    #[test]
    fn a_day_is_the_same_whenever_it_is_planned_and_only_the_past_is_reported() {
        let day = NOW / DAY_MS - 3;
        assert_eq!(
            plan(1, "checkout-service", day, NOW),
            plan(1, "checkout-service", day, NOW + 40 * DAY_MS)
        );
        let today = plan(1, "checkout-service", NOW / DAY_MS, NOW + 12 * HOUR_MS);
        assert!(
            today
                .deployments
                .iter()
                .all(|d| time_of(d, "finishedAt") <= NOW + 12 * HOUR_MS)
        );
        assert!(plan(1, "checkout-service", NOW / DAY_MS, NOW).deployments.is_empty());
    }

    #[test]
    fn ninety_days_have_releases_failures_rollbacks_and_incidents() {
        let days: Vec<Day> = (0..90)
            .flat_map(|d| {
                ["cart-service", "auth-service", "search-indexer"].map(|s| plan(1, s, NOW / DAY_MS - 90 + d, NOW))
            })
            .collect();
        let deployments: Vec<&Value> = days.iter().flat_map(|d| &d.deployments).collect();
        let incidents: Vec<&Value> = days.iter().flat_map(|d| &d.incidents).collect();
        let failed = deployments.iter().filter(|d| d["status"] == "failed").count();
        let rollbacks = deployments
            .iter()
            .filter(|d| d["id"].as_str().is_some_and(|i| i.ends_with("-rollback")))
            .count();
        assert!(deployments.len() > 100, "{} deployments", deployments.len());
        assert!(failed > 0 && failed * 10 < deployments.len(), "{failed} failed");
        assert!(rollbacks > 0, "no rollback");
        assert!(incidents.iter().any(|i| i["deployment"].is_string()));
        assert!(incidents.iter().all(|i| i["resolvedAt"].is_string()));
        for d in &deployments {
            delivery::report::deployment(d).expect("a valid report");
        }
        for i in &incidents {
            delivery::report::incident(i).expect("a valid report");
        }
    }

    #[test]
    fn a_rollback_brings_back_the_version_before_the_one_it_replaces() {
        let day = (0..400)
            .map(|d| plan(1, "payments-service", NOW / DAY_MS - d, NOW))
            .find(|d| {
                d.deployments
                    .iter()
                    .any(|x| x["id"].as_str().is_some_and(|i| i.ends_with("-rollback")))
            })
            .expect("a rollback within 400 days");
        let at = day
            .deployments
            .iter()
            .position(|x| x["id"].as_str().is_some_and(|i| i.ends_with("-rollback")))
            .expect("rollback");
        let earlier: Vec<&Value> = day.deployments[..at - 1].iter().map(|d| &d["version"]).collect();
        assert!(earlier.contains(&&day.deployments[at]["version"]));
        assert_ne!(day.deployments[at]["version"], day.deployments[at - 1]["version"]);
    }
}
