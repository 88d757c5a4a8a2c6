//! Problems found in a workload, said in plain words: "2 of 5 pods crash-looping since 10:42 UTC:
//! OOMKilled". Structured so the Deployments page can filter and count them; `text` is the one
//! wording, the same on the server and in the browser. `problems_of` and `health_of` read them
//! off a projected workload, so the browser can judge a workload again when a pod changes.

use serde::{Deserialize, Serialize};

use super::{ContainerInfo, ContainerState, Health, PodInfo, RolloutPhase, Workload};
use catalog::time::UtcTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ProblemKind {
    CrashLooping,
    ImagePull,
    /// Killed for exceeding its memory limit (and restarting).
    OutOfMemory,
    /// Not scheduled: the scheduler's reason is the detail.
    Unschedulable,
    /// Past its progress deadline, or aborted.
    RolloutFailed,
    /// Fewer replicas available than desired, for no reason above.
    Unavailable,
    /// The autoscaler wants more replicas than its maximum allows.
    AutoscalerAtMax,
    /// Argo CD says the application is degraded or out of sync.
    ArgoCd,
}

/// One problem of one workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub kind: ProblemKind,
    /// Pods (replicas, for `Unavailable`) affected, of `total` (zero when not about pods).
    pub affected: u32,
    pub total: u32,
    /// When it began, as far as the cluster tells.
    pub since_ms: Option<i64>,
    /// The cluster's reason or message: `OOMKilled`, `0/3 nodes are available: …`.
    pub detail: Option<String>,
}

/// Waiting reasons that mean the image cannot be had.
const IMAGE_PULL_REASONS: [&str; 5] = [
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "RegistryUnavailable",
];

impl Problem {
    /// The sentence pages show.
    pub fn text(&self) -> String {
        let what = match self.kind {
            ProblemKind::CrashLooping => "crash-looping",
            ProblemKind::ImagePull => "failing to pull their image",
            ProblemKind::OutOfMemory => "killed for running out of memory",
            ProblemKind::Unschedulable => "waiting to be scheduled",
            ProblemKind::RolloutFailed => "rollout failed",
            ProblemKind::Unavailable => "not available",
            ProblemKind::AutoscalerAtMax => "autoscaler at its maximum",
            ProblemKind::ArgoCd => "Argo CD reports a problem",
        };
        let mut text = if self.total > 0 {
            let noun = match (self.kind, self.total) {
                (ProblemKind::Unavailable, 1) => "replica",
                (ProblemKind::Unavailable, _) => "replicas",
                (_, 1) => "pod",
                _ => "pods",
            };
            format!("{} of {} {noun} {what}", self.affected, self.total)
        } else {
            let mut chars = what.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        };
        if let Some(since) = self.since_ms {
            let t = UtcTime::from_unix_ms(since);
            text.push_str(&format!(" since {:02}:{:02} UTC", t.hour, t.minute));
        }
        if let Some(detail) = &self.detail {
            text.push_str(": ");
            text.push_str(detail);
        }
        text
    }
}

/// The problems of many workloads, worst first, for the top of a page.
pub fn summarize(workloads: &[Workload]) -> Vec<(&Workload, &Problem)> {
    let mut all: Vec<(&Workload, &Problem)> = workloads
        .iter()
        .flat_map(|w| w.problems.iter().map(move |p| (w, p)))
        .collect();
    all.sort_by(|a, b| a.1.kind.cmp(&b.1.kind).then_with(|| a.0.key.cmp(&b.0.key)));
    all
}

/// Pods affected by one kind of problem.
#[derive(Default)]
struct Affected {
    pods: u32,
    since_ms: Option<i64>,
    detail: Option<String>,
}

impl Affected {
    fn add(&mut self, since_ms: Option<i64>, detail: impl FnOnce() -> Option<String>) {
        self.pods += 1;
        self.since_ms = match (self.since_ms, since_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if self.detail.is_none() {
            self.detail = detail();
        }
    }

    fn problem(self, kind: ProblemKind, total: u32) -> Option<Problem> {
        (self.pods > 0).then_some(Problem {
            kind,
            affected: self.pods,
            total,
            since_ms: self.since_ms,
            detail: self.detail,
        })
    }
}

/// What is wrong with a workload, in `ProblemKind` order.
pub fn problems_of(w: &Workload) -> Vec<Problem> {
    let total = u32::try_from(w.pods.len()).unwrap_or(u32::MAX);
    let (mut crash, mut pull, mut oom, mut unscheduled) = (
        Affected::default(),
        Affected::default(),
        Affected::default(),
        Affected::default(),
    );
    let mut crash_oom = false;
    for pod in &w.pods {
        let crashing: Vec<_> = waiting(pod, |r| r == "CrashLoopBackOff").collect();
        if !crashing.is_empty() {
            let ended = crashing
                .iter()
                .filter_map(|c| c.last_termination.as_ref()?.finished_ms)
                .min();
            let killed = crashing
                .iter()
                .filter_map(|c| c.last_termination.as_ref())
                .find(|t| t.reason == "OOMKilled");
            crash_oom |= killed.is_some();
            crash.add(ended.or(pod.created_ms), || {
                let t = crashing.iter().find_map(|c| c.last_termination.as_ref())?;
                Some(format!("{}, exit code {}", t.reason, t.exit_code))
            });
        } else if let Some(c) = pod
            .containers
            .iter()
            .find(|c| c.last_termination.as_ref().is_some_and(|t| t.reason == "OOMKilled"))
        {
            let finished = c.last_termination.as_ref().and_then(|t| t.finished_ms);
            oom.add(finished, || Some(format!("container {}", c.name)));
        }
        if let Some(c) = waiting(pod, |r| IMAGE_PULL_REASONS.contains(&r)).next() {
            pull.add(pod.created_ms, || match &c.state {
                ContainerState::Waiting { reason, message } => Some(message.clone().unwrap_or_else(|| reason.clone())),
                _ => None,
            });
        }
        if pod.phase == "Pending"
            && let Some(reason) = &pod.unschedulable
        {
            unscheduled.add(pod.created_ms, || Some(reason.clone()));
        }
    }
    if crash_oom {
        crash.detail = Some("OOMKilled".into());
    }
    let pod_problems: Vec<Problem> = [
        crash.problem(ProblemKind::CrashLooping, total),
        pull.problem(ProblemKind::ImagePull, total),
        oom.problem(ProblemKind::OutOfMemory, total),
        unscheduled.problem(ProblemKind::Unschedulable, total),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut problems = pod_problems.clone();
    problems.extend(rollout_failed(w));
    if pod_problems.is_empty() {
        problems.extend(unavailable(w));
    }
    problems.extend(autoscaler_at_max(w));
    problems.extend(argo_cd(w));
    problems
}

/// A pod's containers waiting for one of `reasons`.
fn waiting(pod: &PodInfo, reasons: impl Fn(&str) -> bool) -> impl Iterator<Item = &ContainerInfo> {
    pod.containers
        .iter()
        .filter(move |c| matches!(&c.state, ContainerState::Waiting { reason, .. } if reasons(reason)))
}

fn rollout_failed(w: &Workload) -> Option<Problem> {
    (w.rollout.phase == RolloutPhase::Failed).then(|| Problem {
        kind: ProblemKind::RolloutFailed,
        affected: 0,
        total: 0,
        since_ms: w.rollout.since_ms,
        detail: w.rollout.message.clone(),
    })
}

/// Replicas missing once no rollout explains it.
fn unavailable(w: &Workload) -> Option<Problem> {
    let r = w.replicas;
    (w.rollout.phase == RolloutPhase::Complete && r.available < r.desired).then(|| Problem {
        kind: ProblemKind::Unavailable,
        affected: r.desired - r.available,
        total: r.desired,
        since_ms: None,
        detail: None,
    })
}

/// At its maximum and still over target on some metric: it would scale further if it could.
fn autoscaler_at_max(w: &Workload) -> Option<Problem> {
    let a = w.autoscaler.as_ref()?;
    if a.max == 0 || a.desired.max(a.current) < a.max {
        return None;
    }
    let over: Vec<String> = a
        .metrics
        .iter()
        .filter(|m| matches!((m.current.as_deref().and_then(number), number(&m.target)), (Some(c), Some(t)) if c > t))
        .map(|m| {
            format!(
                "{} {} of {}",
                m.name,
                m.current.as_deref().unwrap_or_default(),
                m.target
            )
        })
        .collect();
    (!over.is_empty()).then(|| Problem {
        kind: ProblemKind::AutoscalerAtMax,
        affected: 0,
        total: 0,
        since_ms: None,
        detail: Some(format!(
            "{} of {} replicas, {}",
            a.desired.max(a.current),
            a.max,
            over.join(", ")
        )),
    })
}

fn argo_cd(w: &Workload) -> Option<Problem> {
    let app = w.argo_cd.as_ref()?;
    let states: Vec<&str> = [
        (app.health == "Degraded", "Degraded"),
        (app.sync == "OutOfSync", "OutOfSync"),
    ]
    .into_iter()
    .filter_map(|(bad, word)| bad.then_some(word))
    .collect();
    if states.is_empty() {
        return None;
    }
    let mut detail = format!("application {} is {}", app.application, states.join(" and "));
    if let Some(message) = &app.message {
        detail.push_str(&format!(" ({message})"));
    }
    Some(Problem {
        kind: ProblemKind::ArgoCd,
        affected: 0,
        total: 0,
        since_ms: None,
        detail: Some(detail),
    })
}

/// Degraded when anything but a maxed-out autoscaler or Argo CD drift is wrong; Progressing during a rollout;
/// Unknown while the cluster is unreachable; Healthy otherwise.
pub fn health_of(w: &Workload) -> Health {
    // Drift from Git (Argo CD's OutOfSync) is worth saying, but running pods are not degraded by it.
    let drift_only =
        |p: &Problem| p.kind == ProblemKind::ArgoCd && w.argo_cd.as_ref().is_some_and(|a| a.health != "Degraded");
    if w.problems
        .iter()
        .any(|p| p.kind != ProblemKind::AutoscalerAtMax && !drift_only(p))
    {
        Health::Degraded
    } else if matches!(w.rollout.phase, RolloutPhase::Progressing | RolloutPhase::Paused) {
        Health::Progressing
    } else if w.stale_since_ms.is_some() {
        Health::Unknown
    } else {
        Health::Healthy
    }
}

/// `72%` → 72, `512Mi` → 536870912, `250m` → 0.25, `1.5k` → 1500: a Kubernetes quantity (or a
/// percentage) as a number, to compare an autoscaler's current value with its target.
fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Some(percent) = text.strip_suffix('%') {
        return percent.trim().parse().ok();
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let base: f64 = digits.parse().ok()?;
    let binary = |power: i32| 1024f64.powi(power);
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        exponent => 10f64.powi(exponent.strip_prefix(['e', 'E'])?.parse().ok()?),
    };
    Some(base * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_how_many_since_when_and_why() {
        let problem = Problem {
            kind: ProblemKind::CrashLooping,
            affected: 2,
            total: 5,
            since_ms: Some(1_764_931_320_000), // 2025-12-05T10:42:00Z
            detail: Some("OOMKilled".into()),
        };
        assert_eq!(problem.text(), "2 of 5 pods crash-looping since 10:42 UTC: OOMKilled");
        let rollout = Problem {
            kind: ProblemKind::RolloutFailed,
            affected: 0,
            total: 0,
            since_ms: None,
            detail: Some("ReplicaSet \"web-5d\" has timed out progressing.".into()),
        };
        assert_eq!(
            rollout.text(),
            "Rollout failed: ReplicaSet \"web-5d\" has timed out progressing."
        );
        let unavailable = Problem {
            kind: ProblemKind::Unavailable,
            affected: 1,
            total: 1,
            since_ms: None,
            detail: None,
        };
        assert_eq!(unavailable.text(), "1 of 1 replica not available");
        let pull = Problem {
            kind: ProblemKind::ImagePull,
            affected: 1,
            total: 3,
            since_ms: None,
            detail: None,
        };
        assert_eq!(pull.text(), "1 of 3 pods failing to pull their image");
    }

    fn workload(phase: RolloutPhase, desired: u32, available: u32) -> Workload {
        let mut workload = Workload::sample("shop", "web");
        workload.replicas = crate::model::Replicas {
            desired,
            updated: desired,
            ready: available,
            available,
        };
        workload.rollout.phase = phase;
        workload.health = Health::Unknown;
        workload
    }

    fn judged(mut w: Workload) -> Workload {
        w.problems = problems_of(&w);
        w.health = health_of(&w);
        w
    }

    #[test]
    fn missing_replicas_are_a_problem_only_beyond_a_rollout() {
        let settled = judged(workload(RolloutPhase::Complete, 5, 3));
        let texts: Vec<String> = settled.problems.iter().map(Problem::text).collect();
        assert_eq!(texts, ["2 of 5 replicas not available"]);
        assert_eq!(settled.health, Health::Degraded);
        let rolling = judged(workload(RolloutPhase::Progressing, 5, 3));
        assert!(rolling.problems.is_empty());
        assert_eq!(rolling.health, Health::Progressing);
        let healthy = judged(workload(RolloutPhase::Complete, 5, 5));
        assert_eq!(healthy.health, Health::Healthy);
    }

    #[test]
    fn a_maxed_out_autoscaler_is_said_but_not_degraded_and_stale_is_unknown() {
        use crate::model::{Autoscaler, AutoscalerMetric};
        let mut w = workload(RolloutPhase::Complete, 10, 10);
        let metric = |current: &str| AutoscalerMetric {
            name: "cpu".into(),
            current: Some(current.into()),
            target: "80%".into(),
        };
        w.autoscaler = Some(Autoscaler {
            name: "web".into(),
            min: 2,
            max: 10,
            current: 10,
            desired: 10,
            metrics: vec![metric("95%")],
        });
        w.stale_since_ms = Some(0);
        let w = judged(w);
        assert_eq!(
            w.problems[0].text(),
            "Autoscaler at its maximum: 10 of 10 replicas, cpu 95% of 80%"
        );
        assert_eq!(w.health, Health::Unknown);
        let mut calm = workload(RolloutPhase::Complete, 10, 10);
        calm.autoscaler = Some(Autoscaler {
            name: "web".into(),
            min: 2,
            max: 10,
            current: 10,
            desired: 10,
            metrics: vec![metric("60%")],
        });
        assert!(
            judged(calm).problems.is_empty(),
            "at its maximum but under target: nothing to say"
        );
    }

    #[test]
    fn crash_loops_say_how_the_container_last_ended() {
        use crate::model::{ContainerInfo, PodInfo, Termination};
        let pod = |name: &str, state: ContainerState, finished_ms: i64| PodInfo {
            name: name.into(),
            phase: "Running".into(),
            ready: false,
            restarts: 4,
            node: Some("node-1".into()),
            created_ms: Some(0),
            unschedulable: None,
            containers: vec![ContainerInfo {
                name: "app".into(),
                ready: false,
                restarts: 4,
                state,
                last_termination: Some(Termination {
                    reason: "Error".into(),
                    exit_code: 1,
                    finished_ms: Some(finished_ms),
                }),
                digest: None,
            }],
        };
        let backing_off = || ContainerState::Waiting {
            reason: "CrashLoopBackOff".into(),
            message: None,
        };
        let mut w = workload(RolloutPhase::Complete, 3, 1);
        w.pods = vec![
            pod("a", backing_off(), 1_764_931_500_000),
            pod("b", backing_off(), 1_764_931_320_000),
            pod("c", ContainerState::Running { since_ms: None }, 0),
        ];
        let w = judged(w);
        let texts: Vec<String> = w.problems.iter().map(Problem::text).collect();
        assert_eq!(texts, ["2 of 3 pods crash-looping since 10:42 UTC: Error, exit code 1"]);
    }

    #[test]
    fn quantities_and_percentages_are_numbers() {
        assert_eq!(number("72%"), Some(72.0));
        assert_eq!(number("512Mi"), Some(536_870_912.0));
        assert_eq!(number("250m"), Some(0.25));
        assert_eq!(number("1.5k"), Some(1500.0));
        assert_eq!(number("130"), Some(130.0));
        assert_eq!(number("1e3"), Some(1000.0));
        assert_eq!(number("lots"), None);
        assert_eq!(number("12Q"), None);
    }
}
