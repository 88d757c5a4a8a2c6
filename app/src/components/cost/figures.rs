//! Figures expanded: each cost as quantity × hours × rate, the rate's unit and where it came
//! from, in a disclosure (`<details>`: no script needed).

use cost::model::Figure;
use leptos::prelude::*;

/// "How it adds up": one line per figure (`0.5 vCPU × 48 h × USD 0.031611/vCPU-hour (default)
/// = USD 0.76`). Hours are container-hours: the time each container ran, summed.
#[component]
pub fn Figures(figures: Vec<Figure>, #[prop(into)] currency: String, #[prop(into)] summary: String) -> impl IntoView {
    if figures.is_empty() {
        return view! { <span class="muted small">"no figures"</span> }.into_any();
    }
    view! {
        <details class="cost-figures" data-testid="figures">
            <summary>{summary}</summary>
            <ul class="small mono">
                {figures.iter().map(|f| view! { <li>{f.expand(&currency)}</li> }).collect_view()}
            </ul>
            <p class="muted small">"Quantities are averages per container; hours are the hours each container ran, summed (container-hours). Rates are per the unit named, from the cost.prices settings."</p>
        </details>
    }
    .into_any()
}
