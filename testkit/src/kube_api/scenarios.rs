//! What a cluster's controllers would do, done at once so tests can drive the scenarios:
//! scaling, a rollout of a new image (progressing, complete or failed; the same image again takes
//! the rollout further under its revision), a rollback (a rollout back
//! to an image an older ReplicaSet runs: that ReplicaSet is reused with a new revision, as
//! `kubectl rollout undo` does), a crash loop, an autoscaler scaling, an Argo Rollouts canary
//! step. Each keeps Deployment → ReplicaSet → Pod names, uids, labels and counts consistent and
//! writes the objects as the API server would (each write a revision, reaching open watches).

use serde_json::Value;

use super::State;

mod argo;
mod deployments;
mod pods;

/// Every time written here, unless the cluster runs on the wall clock (`State::live_clock`, the
/// demo): a fixed clock keeps fixtures and scenarios comparable.
const NOW: &str = "2026-12-05T11:00:00Z";
const NODES: [&str; 3] = ["worker-1", "worker-2", "worker-3"];

/// How far a [`State::roll_out`] gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// One new pod started, not ready yet; the old pods still serve.
    Progressing,
    /// Every pod replaced and ready; the old ReplicaSets scaled to 0.
    Complete,
    /// The new pod cannot pull its image; the deadline passed (`ProgressDeadlineExceeded`).
    Failed,
}

impl Outcome {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "progressing" => Ok(Self::Progressing),
            "complete" => Ok(Self::Complete),
            "failed" => Ok(Self::Failed),
            other => Err(format!("outcome {other:?}: expected progressing, complete or failed")),
        }
    }
}

impl State {
    /// The time a controller would write now: [`NOW`], or the wall clock's on a live cluster.
    pub(super) fn now(&self) -> String {
        self.seconds_ago(0)
    }

    pub(super) fn seconds_ago(&self, seconds: i64) -> String {
        let now = if self.live_clock {
            chrono::Utc::now()
        } else {
            chrono::DateTime::parse_from_rfc3339(NOW)
                .expect("a valid time")
                .to_utc()
        };
        (now - chrono::TimeDelta::seconds(seconds)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    pub(super) fn object(&self, type_name: &str, namespace: &str, name: &str) -> Result<Value, String> {
        self.objects
            .get(&(type_name.to_owned(), namespace.to_owned(), name.to_owned()))
            .cloned()
            .ok_or_else(|| format!("no {type_name} {namespace}/{name}"))
    }

    /// Objects of a type in a namespace whose controller is `owner_uid`.
    pub(super) fn owned(&self, type_name: &str, namespace: &str, owner_uid: &Value) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((t, ns, _), o)| {
                t == type_name
                    && ns == namespace
                    && o["metadata"]["ownerReferences"]
                        .as_array()
                        .is_some_and(|refs| refs.iter().any(|r| r["uid"] == *owner_uid))
            })
            .map(|(_, o)| o.clone())
            .collect()
    }
}

pub(super) fn str_of(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}
