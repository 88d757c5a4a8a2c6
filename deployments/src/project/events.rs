//! Warning events as the views show them: newest first, at most `MAX_EVENTS` per workload.

use k8s_openapi::api::core::v1::Event;

use super::{ms, time_ms};
use crate::model::WarningEvent;

/// Events listed per workload; older ones are left out.
pub const MAX_EVENTS: usize = 20;

/// The newest `MAX_EVENTS` of `events`, newest first.
pub fn recent(mut events: Vec<&Event>) -> Vec<WarningEvent> {
    // Ties by name, so the order the watch listed them in does not show.
    events.sort_by_cached_key(|e| (std::cmp::Reverse(last_seen_ms(e)), e.metadata.name.clone()));
    events.into_iter().take(MAX_EVENTS).map(warning).collect()
}

fn warning(event: &Event) -> WarningEvent {
    let object = &event.involved_object;
    let count = event
        .count
        .or_else(|| event.series.as_ref().and_then(|s| s.count))
        .unwrap_or(1);
    WarningEvent {
        object: format!(
            "{}/{}",
            object.kind.as_deref().unwrap_or("Object"),
            object.name.as_deref().unwrap_or_default()
        ),
        reason: event.reason.clone().unwrap_or_default(),
        message: event.message.clone().unwrap_or_default().trim_end().to_string(),
        count: u32::try_from(count).unwrap_or(1),
        last_seen_ms: last_seen_ms(event),
    }
}

/// Old-style events say `lastTimestamp`; new-style ones `series.lastObservedTime` or `eventTime`.
fn last_seen_ms(event: &Event) -> Option<i64> {
    time_ms(event.last_timestamp.as_ref())
        .or_else(|| {
            event
                .series
                .as_ref()
                .and_then(|s| s.last_observed_time.as_ref())
                .map(|t| t.0.as_millisecond())
        })
        .or_else(|| event.event_time.as_ref().map(|t| t.0.as_millisecond()))
        .or_else(|| event.first_timestamp.as_ref().map(ms))
        .or_else(|| time_ms(event.metadata.creation_timestamp.as_ref()))
}
