//! The range (30, 90, 180 days) and the report year the tiers come from, as links with query
//! parameters: they work before (and without) the page's script.

use delivery::bands::Year;
use leptos::prelude::*;

use crate::api::delivery::RANGES;

/// `?days=…&year=…` for the choices shown.
fn href(days: u32, year: Year) -> String {
    format!("?days={days}&year={}", year.number())
}

/// The year from `?year=`, or the default.
pub fn year_param(text: Option<String>) -> Year {
    text.as_deref().and_then(Year::parse).unwrap_or(Year::DEFAULT)
}

#[component]
pub fn Controls(days: u32, year: Year) -> impl IntoView {
    let mut ranges = RANGES.to_vec();
    ranges.sort_unstable();
    view! {
        <div class="delivery-controls">
            <nav class="depth" aria-label="Range" data-testid="range">
                <span class="muted">"Last "</span>
                {ranges.into_iter().map(|d| {
                    let here = d == days;
                    view! { <a href=href(d, year) class:selected=here aria-current=here.then_some("true")>{format!("{d} days")}</a> }
                }).collect_view()}
            </nav>
            <nav class="depth" aria-label="Performance tiers from" data-testid="band-year">
                <span class="muted">"Tiers from DORA's report of "</span>
                {Year::ALL.into_iter().map(|y| {
                    let here = y == year;
                    view! { <a href=href(days, y) class:selected=here aria-current=here.then_some("true")>{y.number().to_string()}</a> }
                }).collect_view()}
            </nav>
        </div>
        {(!year.has_tiers()).then(|| view! {
            <p class="muted small" data-testid="no-tiers">"The 2025 report published no performance tiers: raw values only."</p>
        })}
    }
    .into_any()
}
