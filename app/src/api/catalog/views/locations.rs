//! The admin page's view of locations: statuses with the first problems of each.

use std::sync::Arc;

use catalog::service::Catalog;
use catalog::store::StoreError;

use super::super::types::{LocationHealth, LocationsReport};

/// Problems listed per location; the count says how many there are in all.
const PROBLEMS_SHOWN: usize = 20;

pub async fn locations_report(service: &Arc<Catalog>) -> Result<LocationsReport, StoreError> {
    let statuses = service.store.location_statuses().await?;
    let targets: std::collections::HashMap<String, String> = statuses
        .iter()
        .map(|s| {
            (
                s.location.id.clone(),
                format!("{}:{}", s.location.location_type, s.location.target),
            )
        })
        .collect();
    // `discovery:<id>` reads better as what found it.
    let origin = |origin: &str| match origin.strip_prefix("discovery:").and_then(|id| targets.get(id)) {
        Some(parent) => format!("discovered by {parent}"),
        None => format!("from {origin}"),
    };
    let mut locations = Vec::with_capacity(statuses.len());
    let mut problems = service.store.first_problems(PROBLEMS_SHOWN).await?;
    for s in statuses {
        let problems: Vec<String> = problems
            .remove(&s.location.id)
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                let line = p.line.map(|l| format!(":{l}")).unwrap_or_default();
                format!("{}{line}: {}", p.source, p.message)
            })
            .collect();
        locations.push(LocationHealth {
            id: s.location.id,
            location_type: s.location.location_type,
            target: s.location.target,
            origin: origin(&s.location.origin),
            last_attempt_at: s.last_attempt_at,
            last_success_at: s.last_success_at,
            last_duration_ms: s.last_duration_ms,
            entity_count: s.entity_count,
            problem_count: s.problem_count,
            last_error: s.last_error,
            failures: s.failures,
            next_refresh_at: s.next_refresh_at,
            refresh_requested: s.refresh_requested,
            refreshing: s.refreshing,
            problems,
        });
    }
    // Failing first, then those with problems: what needs attention is at the top.
    locations.sort_by_key(|l| match l.state() {
        "failing" => 0,
        "problems" => 1,
        _ => 2,
    });
    Ok(LocationsReport {
        now_ms: catalog::store::now_ms(),
        locations,
    })
}
