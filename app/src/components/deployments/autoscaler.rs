//! A workload's HorizontalPodAutoscaler: replicas now and wanted within its bounds, and the metrics
//! it scales on against their targets.

use deployments::model::Autoscaler;
use leptos::prelude::*;

#[component]
pub fn AutoscalerFacts(autoscaler: Autoscaler) -> impl IntoView {
    let at_max = autoscaler.desired >= autoscaler.max && autoscaler.max > 0;
    view! {
        <div class="autoscaler" data-testid="autoscaler">
            <span class="label">"Autoscaler "<span class="mono">{autoscaler.name.clone()}</span></span>
            <span>{format!(
                "{} current, {} desired (min {}, max {})",
                autoscaler.current, autoscaler.desired, autoscaler.min, autoscaler.max
            )}</span>
            {at_max.then(|| view! { <span class="badge warn">"at maximum"</span> })}
            <ul class="metrics">
                {autoscaler
                    .metrics
                    .into_iter()
                    .map(|m| {
                        let current = m.current.unwrap_or_else(|| "unknown".into());
                        view! { <li><span class="mono">{m.name}</span>{format!(": {current} (target {})", m.target)}</li> }
                    })
                    .collect_view()}
            </ul>
        </div>
    }
}
