//! The landing page: what Cairn is and where to go next.

use crate::safe::title::PageTitle;
use leptos::prelude::*;

/// Home page.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <PageTitle text="" />
        <section class="hero">
            <h1>"Cairn"</h1>
            <p class="lede">
                "Your organisation's developer portal: every service, who owns it and how it runs, "
                "and a paved road for starting new ones."
            </p>
        </section>
        <section class="panel">
            <h2>"This portal"</h2>
            <p>
                "The portal is running. Its "<a href="/status">"status page"</a>
                " shows the version, the database it uses and the state of its schema."
            </p>
        </section>
    }
}
