//! Shown when no Prometheus is configured: what to add to the configuration so SLOs get figures.

use leptos::prelude::*;

#[component]
pub fn ConnectPrometheus() -> impl IntoView {
    view! {
        <section class="panel" role="note" data-testid="connect-prometheus">
            <h3>"Connect Prometheus to see error budgets"</h3>
            <p>"Cairn reads each SLO's good and total events from Prometheus every five minutes and keeps them, so budgets, burn rates and alerts are computed here. No Prometheus is configured yet: add its address to Cairn's configuration file and restart."</p>
            <pre class="mono small">"prometheus:\n  url: http://prometheus.monitoring:9090\n  bearerToken: ${PROMETHEUS_TOKEN}   # optional\n  privateNetwork: true               # when it has a private address"</pre>
            <p class="muted small">"Entities list their SLO files (OpenSLO, Sloth or Pyrra) with the "<code>"cairn.dev/slo-files"</code>" annotation; the README's “SLOs and error budgets” section has every setting."</p>
        </section>
    }
}
