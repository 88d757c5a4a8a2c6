//! Recent warning events about a workload, its ReplicaSets and its pods, newest first.

use deployments::model::WarningEvent;
use leptos::prelude::*;

use super::format;

/// At most this many; the rest are counted.
const SHOWN: usize = 10;

#[component]
pub fn WarningEvents(events: Vec<WarningEvent>) -> impl IntoView {
    let more = events.len().saturating_sub(SHOWN);
    (!events.is_empty()).then(|| {
        view! {
            <details class="events" data-testid="events" open>
                <summary>{format!("Warning events ({})", events.len())}</summary>
                <ul>
                    {events
                        .into_iter()
                        .take(SHOWN)
                        .map(|e| {
                            let times = (e.count > 1).then(|| format!(" ×{}", e.count));
                            let seen = e.last_seen_ms.map(|t| {
                                view! { <time class="muted small" datetime=format::datetime(t)>{format::when(t)}</time> }
                            });
                            view! {
                                <li>
                                    <strong>{e.reason}</strong>{times}" "
                                    <span class="mono small">{e.object}</span>": "{e.message}" "{seen}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
                {(more > 0).then(|| view! { <p class="muted small">{format!("and {more} older")}</p> })}
            </details>
        }
    })
}
