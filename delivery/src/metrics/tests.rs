//! The metrics' rules on small streams, and the golden cases from the anchors' bug reports.

use super::*;
use crate::model::DeploymentSource;

const H: i64 = 3_600_000;

fn deployment(id: &str, version: &str, finished_ms: i64) -> Deployment {
    Deployment {
        id: id.into(),
        entity: "component:default/shop".into(),
        version: version.into(),
        commit: None,
        source: DeploymentSource::Reported,
        started_ms: finished_ms - 60_000,
        finished_ms,
        failed: false,
        rolled_back: false,
        restores: false,
        unhealthy_ms: None,
    }
}

fn incident(id: &str, started_ms: i64, resolved_ms: Option<i64>, deployments: &[&str]) -> Incident {
    Incident {
        id: id.into(),
        source: "api".into(),
        entity: "component:default/shop".into(),
        title: id.into(),
        started_ms,
        resolved_ms,
        deployments: deployments.iter().map(|d| d.to_string()).collect(),
    }
}

fn summary(assessed: &[AssessedDeployment]) -> crate::model::Metrics {
    summarize(
        vec![],
        &assessed.iter().collect::<Vec<_>>(),
        0,
        (0, 1000 * H),
        "week",
        &[],
    )
}

/// 23 versions, one every 10 hours.
fn twenty_three() -> Vec<Deployment> {
    (0..23)
        .map(|i| deployment(&format!("d{i}"), &format!("v{i}"), (i + 1) * 10 * H))
        .collect()
}

#[test]
fn six_incidents_over_four_deployments_of_twenty_three_fail_four() {
    // DevLake #8890: counting incidents instead of failed deployments gave 6/23 = 26.1%.
    let stream = stream(twenty_three());
    let incidents = [
        incident("i1", 11 * H, Some(12 * H), &["d0"]),
        incident("i2", 11 * H, Some(12 * H), &["d0"]),
        incident("i3", 51 * H, Some(52 * H), &["d4"]),
        incident("i4", 52 * H, Some(53 * H), &["d4"]),
        incident("i5", 101 * H, Some(102 * H), &["d9"]),
        incident("i6", 151 * H, Some(152 * H), &["d14"]),
    ];
    let assessed = assess(&stream, &incidents, Settings::default());
    let cfr = summary(&assessed).change_failure_rate;
    assert_eq!((cfr.failed, cfr.deployments, cfr.percent), (4, 23, Some(17.4)));
    let d4 = assessed.iter().find(|d| d.id == "d4").expect("d4");
    assert_eq!(
        d4.failures,
        [
            FailureReason::Incident { id: "i3".into() },
            FailureReason::Incident { id: "i4".into() }
        ],
        "each incident that applied is listed"
    );
}

#[test]
fn duplicate_incidents_never_push_the_rate_past_one_hundred_percent() {
    // GitLab #480920: the same incident reported many times made the rate exceed 100%.
    let stream = stream(vec![deployment("a", "v1", H), deployment("b", "v2", 2 * H)]);
    let incidents: Vec<Incident> = (0..10)
        .map(|i| incident(&format!("dup{i}"), 3 * H, None, &["a", "b"]))
        .collect();
    let cfr = summary(&assess(&stream, &incidents, Settings::default())).change_failure_rate;
    assert_eq!((cfr.failed, cfr.deployments, cfr.value), (2, 2, Some(1.0)));
}

#[test]
fn a_rollback_marks_the_deployment_it_undid_as_failed() {
    // Datadog's rule: v2 brought back v1, so v2 failed and was remediated by the rollback.
    let stream = stream(vec![
        deployment("a", "v1", H),
        deployment("b", "v2", 2 * H),
        deployment("c", "v1", 3 * H),
    ]);
    let assessed = assess(&stream, &[], Settings::default());
    assert_eq!(
        assessed[1].failures,
        [FailureReason::RolledBack { by: Some("c".into()) }]
    );
    assert_eq!(assessed[1].recovered_ms, Some(3 * H));
    assert_eq!(
        assessed[2].rework,
        [
            ReworkReason::Rollback,
            ReworkReason::AfterFailure { failed: "b".into() }
        ]
    );
    let metrics = summary(&assessed);
    assert_eq!(metrics.change_failure_rate.failed, 1);
    assert_eq!(metrics.rework_rate.rework, 1);
    assert_eq!(metrics.failed_deployment_recovery_time.value, Some(3600.0));
}

#[test]
fn an_incident_spanning_two_deployments_fails_one_unless_both_are_linked() {
    let stream = stream(vec![deployment("a", "v1", H), deployment("b", "v2", 5 * H)]);
    let spanning = incident("i", 2 * H, Some(9 * H), &["a"]);
    let once = summary(&assess(&stream, std::slice::from_ref(&spanning), Settings::default()));
    assert_eq!(once.change_failure_rate.failed, 1);
    let both = incident("i", 2 * H, Some(9 * H), &["a", "b"]);
    let twice = summary(&assess(&stream, &[both], Settings::default()));
    assert_eq!(twice.change_failure_rate.failed, 2);
}

#[test]
fn a_redeploy_of_the_running_version_is_not_a_deployment_but_a_retry_after_a_failure_is() {
    let mut failed = deployment("c", "v2", 3 * H);
    failed.failed = true;
    let kept = stream(vec![
        deployment("a", "v1", H),
        deployment("b", "v1", 2 * H),
        failed,
        deployment("d", "v2", 4 * H),
    ]);
    let ids: Vec<&str> = kept.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["a", "c", "d"]);
}

#[test]
fn recovery_ends_at_the_next_good_deployment_or_the_incidents_resolution_whichever_first() {
    let mut bad = deployment("b", "v2", 2 * H);
    bad.failed = true;
    let stream = stream(vec![deployment("a", "v1", H), bad, deployment("c", "v3", 10 * H)]);
    let by_deploy = assess(&stream, &[], Settings::default());
    assert_eq!(by_deploy[1].recovered_by.as_deref(), Some("c"));
    assert_eq!(by_deploy[1].recovered_ms, Some(10 * H));
    let resolved = incident("i", 3 * H, Some(4 * H), &["b"]);
    let by_incident = assess(&stream, &[resolved], Settings::default());
    assert_eq!(by_incident[1].recovered_by.as_deref(), Some("i"));
    assert_eq!(by_incident[1].recovered_ms, Some(4 * H));
    let open = incident("i", 3 * H, None, &["b"]);
    let still_open = assess(&stream, &[open], Settings::default());
    assert_eq!(
        still_open[1].recovered_by.as_deref(),
        Some("c"),
        "the next good deploy remediated it"
    );
}

#[test]
fn rework_is_within_the_window_after_a_failure_only() {
    let mut bad = deployment("b", "v2", 2 * H);
    bad.failed = true;
    let stream = stream(vec![
        deployment("a", "v1", H),
        bad,
        deployment("c", "v3", 20 * H),
        deployment("d", "v4", 40 * H),
    ]);
    let assessed = assess(&stream, &[], Settings::default());
    let reworked: Vec<bool> = assessed.iter().map(|d| !d.rework.is_empty()).collect();
    assert_eq!(reworked, [false, false, true, false]);
    let rate = summary(&assessed).rework_rate;
    assert_eq!((rate.rework, rate.deployments, rate.after_failure), (1, 4, 1));
}

#[test]
fn lead_time_is_never_made_up() {
    let metrics = summary(&[]);
    assert_eq!(metrics.lead_time_for_changes.value, None);
    assert_eq!(metrics.lead_time_for_changes.changes, 0);
    assert_eq!(metrics.change_failure_rate.value, None);
}

#[test]
fn lead_time_sums_the_changes_of_the_deployments_in_range() {
    use crate::model::DeploymentChanges;
    let mut assessed = assess(
        &[deployment("a", "1", H), deployment("b", "2", 2 * H)],
        &[],
        Settings::default(),
    );
    assessed[0].changes = Some(DeploymentChanges {
        lead_seconds: vec![10.0, 30.0],
        merge_seconds: vec![5.0],
        dropped: 1,
        merge_dropped: 2,
        ..DeploymentChanges::default()
    });
    assessed[1].changes = Some(DeploymentChanges {
        unknown: Some("no commit".into()),
        ..DeploymentChanges::default()
    });
    let lead = summary(&assessed).lead_time_for_changes;
    assert_eq!((lead.value, lead.p90_seconds), (Some(20.0), Some(30.0)));
    assert_eq!(
        (lead.changes, lead.dropped, lead.deployments, lead.unknown),
        (2, 1, 1, 1)
    );
    assert_eq!(
        (lead.merge_to_deploy.value, lead.merge_to_deploy.dropped),
        (Some(5.0), 2)
    );
}

#[test]
fn a_deployment_while_an_incident_is_open_is_its_fix_but_not_its_cause() {
    let settings = Settings {
        rework_window_ms: 24 * H,
    };
    let stream = stream(vec![
        deployment("cause", "v1", 10 * H),
        deployment("fix", "v2", 12 * H),
        deployment("later", "v3", 20 * H),
        deployment("during-forgotten", "v4", 40 * H),
        deployment("after-forgotten", "v5", 70 * H),
    ]);
    let linked = [incident("inc", 11 * H, Some(13 * H), &["cause"])];
    let mut judged = assess(&stream, &linked, settings);
    let spans = [
        IncidentSpan {
            id: "inc".into(),
            started_ms: 11 * H,
            resolved_ms: Some(13 * H),
        },
        // Never resolved: open for the rework window only.
        IncidentSpan {
            id: "forgotten".into(),
            started_ms: 30 * H,
            resolved_ms: None,
        },
    ];
    mark_incident_fixes(&mut judged, &spans, settings);
    let fixes: Vec<(&str, bool)> = judged
        .iter()
        .map(|d| {
            (
                d.id.as_str(),
                d.rework.iter().any(|r| matches!(r, ReworkReason::IncidentFix { .. })),
            )
        })
        .collect();
    assert_eq!(
        fixes,
        [
            ("cause", false),
            ("fix", true),
            ("later", false),
            ("during-forgotten", true),
            ("after-forgotten", false)
        ]
    );
    assert!(
        judged[1]
            .rework
            .contains(&ReworkReason::IncidentFix { incident: "inc".into() })
    );
    let m = summary(&judged);
    assert_eq!(
        (m.rework_rate.incident_fixes, m.rework_rate.rework),
        (2, 3),
        "{:?}",
        m.rework_rate
    );
}
