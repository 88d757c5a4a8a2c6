//! The range (7, 30, 90 days) as links keeping the page's other parameters: they work before
//! (and without) the page's script.

use leptos::prelude::*;

use crate::api::cost::RANGES;

/// `query` is the rest of the page's query (`by=team&key=…`), already encoded.
#[component]
pub fn RangeLinks(days: u32, #[prop(into)] query: String) -> impl IntoView {
    let mut ranges = RANGES.to_vec();
    ranges.sort_unstable();
    view! {
        <nav class="depth" aria-label="Range" data-testid="range">
            <span class="muted">"Last "</span>
            {ranges.into_iter().map(|d| {
                let here = d == days;
                let href = if query.is_empty() { format!("?days={d}") } else { format!("?{query}&days={d}") };
                view! { <a href=href class:selected=here aria-current=here.then_some("true")>{format!("{d} days")}</a> }
            }).collect_view()}
        </nav>
    }
    .into_any()
}
