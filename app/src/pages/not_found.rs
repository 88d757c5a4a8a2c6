//! The 404 page, with the right status code when rendered on the server.

use crate::safe::title::PageTitle;
use leptos::prelude::*;

/// Shown for any path no route matches.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageTitle text="Page not found" />
        <section class="panel not-found">
            <h1>"Page not found"</h1>
            <p>"Nothing lives at this address. It may have moved, or the link may be mistyped."</p>
            <p><a href="/">"Back to the home page"</a></p>
        </section>
    }
}
