//! How the Deployments views say things: times in UTC (the same on the server and in the browser),
//! versions, digests, container states, durations.

use catalog::time::UtcTime;
use deployments::model::{ContainerImage, ContainerState, Replicas, Termination};

use crate::components::humanize_seconds;

/// `10:42 UTC`.
pub fn clock(ms: i64) -> String {
    let t = UtcTime::from_unix_ms(ms);
    format!("{:02}:{:02} UTC", t.hour, t.minute)
}

/// `2026-12-06 09:41 UTC`.
pub fn when(ms: i64) -> String {
    crate::components::format_time(ms)
}

/// The attribute value of `<time datetime>`.
pub fn datetime(ms: i64) -> String {
    UtcTime::from_unix_ms(ms).rfc3339()
}

/// `3 min 5 s` between two moments; nothing for a negative span (clocks disagree).
pub fn duration(from_ms: i64, to_ms: i64) -> Option<String> {
    u64::try_from(to_ms - from_ms)
        .ok()
        .map(|ms| humanize_seconds(ms / 1000))
}

/// `sha256:0123456789abcdef…` → `0123456789ab`: enough to tell versions apart.
pub fn short_digest(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.chars().take(12).collect()
}

/// The running version in a few characters: every distinct image tag, `1.4.2, 2.0.1`.
pub fn version(images: &[ContainerImage]) -> String {
    let mut tags: Vec<&str> = Vec::new();
    for image in images {
        let tag = image.tag.as_deref().unwrap_or("latest");
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags.join(", ")
}

/// The share of desired replicas already on the current revision, 0–100.
pub fn progress(replicas: &Replicas) -> u32 {
    match replicas.desired {
        0 => 100,
        desired => (replicas.updated.min(desired) * 100) / desired,
    }
}

/// A container's state as a short word and a class for its colour: `Running`, `CrashLoopBackOff`,
/// `Terminated: OOMKilled (exit 137)`.
pub fn container_state(state: &ContainerState) -> (&'static str, String) {
    match state {
        ContainerState::Running { .. } => ("ok", "Running".into()),
        ContainerState::Waiting { reason, .. } => {
            let class = if matches!(reason.as_str(), "ContainerCreating" | "PodInitializing") {
                "pending"
            } else {
                "bad"
            };
            (class, reason.clone())
        }
        ContainerState::Terminated(t) => {
            let class = if t.exit_code == 0 { "pending" } else { "bad" };
            (class, format!("Terminated: {}", termination(t)))
        }
        ContainerState::Unknown => ("pending", "Unknown".into()),
    }
}

/// `OOMKilled (exit 137) at 2026-12-06 09:41 UTC`.
pub fn termination(t: &Termination) -> String {
    let mut text = format!("{} (exit {})", t.reason, t.exit_code);
    if let Some(at) = t.finished_ms {
        text.push_str(" at ");
        text.push_str(&when(at));
    }
    text
}

/// `3 h 4 min` old at `now_ms`.
pub fn age(created_ms: i64, now_ms: i64) -> String {
    duration(created_ms, now_ms).unwrap_or_else(|| "0 s".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(tag: Option<&str>) -> ContainerImage {
        ContainerImage {
            container: "app".into(),
            image: "ghcr.io/acme/app".into(),
            tag: tag.map(Into::into),
            digest: None,
        }
    }

    #[test]
    fn times_are_utc() {
        assert_eq!(clock(1_764_931_320_000), "10:42 UTC");
        assert_eq!(when(1_764_931_320_000), "2025-12-05 10:42 UTC");
        assert_eq!(datetime(1_764_931_320_000), "2025-12-05T10:42:00Z");
        assert_eq!(duration(1_000, 126_000).as_deref(), Some("2 min 5 s"));
        assert_eq!(duration(2_000, 1_000), None);
        assert_eq!(age(0, 3 * 3_600_000 + 240_000), "3 h 4 min");
    }

    #[test]
    fn versions_are_tags_and_short_digests() {
        assert_eq!(short_digest("sha256:0123456789abcdef0123"), "0123456789ab");
        assert_eq!(short_digest("abc"), "abc");
        assert_eq!(
            version(&[image(Some("1.4.2")), image(Some("1.4.2")), image(None)]),
            "1.4.2, latest"
        );
        assert_eq!(version(&[]), "");
    }

    #[test]
    fn progress_is_updated_of_desired() {
        let replicas = |desired, updated| Replicas {
            desired,
            updated,
            ready: 0,
            available: 0,
        };
        assert_eq!(progress(&replicas(4, 1)), 25);
        assert_eq!(progress(&replicas(0, 0)), 100);
        assert_eq!(progress(&replicas(2, 5)), 100);
    }

    #[test]
    fn container_states_name_their_reason() {
        let oom = Termination {
            reason: "OOMKilled".into(),
            exit_code: 137,
            finished_ms: Some(1_764_931_320_000),
        };
        assert_eq!(termination(&oom), "OOMKilled (exit 137) at 2025-12-05 10:42 UTC");
        assert_eq!(
            container_state(&ContainerState::Terminated(oom)),
            ("bad", "Terminated: OOMKilled (exit 137) at 2025-12-05 10:42 UTC".into())
        );
        let waiting = ContainerState::Waiting {
            reason: "CrashLoopBackOff".into(),
            message: None,
        };
        assert_eq!(container_state(&waiting), ("bad", "CrashLoopBackOff".into()));
        let creating = ContainerState::Waiting {
            reason: "ContainerCreating".into(),
            message: None,
        };
        assert_eq!(container_state(&creating).0, "pending");
        assert_eq!(container_state(&ContainerState::Running { since_ms: None }).0, "ok");
    }
}
