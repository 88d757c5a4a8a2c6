//! The demo's banner: while the server's `demo:` setting is on, every page says plainly that the
//! cluster is simulated and the delivery and cost histories and the SLO traffic generated.

use leptos::prelude::*;

use crate::api::features::Features;

/// "Demo: …", on every page while the demo is on; nothing otherwise.
#[component]
pub fn DemoBanner() -> impl IntoView {
    Features::current().demo.then(|| {
        view! {
            <div class="demo-banner" role="note" data-testid="demo-banner">
                <strong>"Demo: "</strong>
                "the cluster is simulated, and the delivery and cost histories and the SLO traffic are generated. "
                "Nothing here describes real systems; the "<code>"demo"</code>
                " setting (in "<code>"cairn.dev.yaml"</code>") turns it off."
            </div>
        }
    })
}
