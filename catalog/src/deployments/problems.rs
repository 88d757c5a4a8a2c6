//! Problems found in a workload, said in plain words: "2 of 5 pods crash-looping since 10:42 UTC:
//! OOMKilled". Structured so the Deployments page can filter and count them; `text` is the one
//! wording, the same on the server and in the browser.

use serde::{Deserialize, Serialize};

use super::Workload;
use crate::time::UtcTime;

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
pub struct Problem {
    pub kind: ProblemKind,
    /// Pods affected, of `total` (zero when the problem is not about pods).
    pub affected: u32,
    pub total: u32,
    /// When it began, as far as the cluster tells.
    pub since_ms: Option<i64>,
    /// The cluster's reason or message: `OOMKilled`, `0/3 nodes are available: …`.
    pub detail: Option<String>,
}

impl Problem {
    /// The sentence pages show.
    pub fn text(&self) -> String {
        let what = match self.kind {
            ProblemKind::CrashLooping => "crash-looping",
            ProblemKind::ImagePull => "cannot pull their image",
            ProblemKind::OutOfMemory => "killed for running out of memory",
            ProblemKind::Unschedulable => "waiting to be scheduled",
            ProblemKind::RolloutFailed => "rollout failed",
            ProblemKind::Unavailable => "not available",
            ProblemKind::AutoscalerAtMax => "autoscaler at its maximum",
            ProblemKind::ArgoCd => "Argo CD reports a problem",
        };
        let mut text = if self.total > 0 {
            let noun = if self.total == 1 { "pod" } else { "pods" };
            format!("{} of {} {noun} {what}", self.affected, self.total)
        } else {
            let mut chars = what.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
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
    let mut all: Vec<(&Workload, &Problem)> =
        workloads.iter().flat_map(|w| w.problems.iter().map(move |p| (w, p))).collect();
    all.sort_by(|a, b| a.1.kind.cmp(&b.1.kind).then_with(|| a.0.key.cmp(&b.0.key)));
    all
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
        assert_eq!(rollout.text(), "Rollout failed: ReplicaSet \"web-5d\" has timed out progressing.");
    }
}
