//! What a person sees when a page fails: a plain message, never internal details, and HTTP 500.

use leptos::prelude::*;
use leptos_meta::Title;

/// Error page for an `ErrorBoundary`. During server rendering it sets the response status.
#[component]
pub fn ErrorPage(errors: ArcRwSignal<Errors>) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::INTERNAL_SERVER_ERROR);
    }
    let messages = move || errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>();
    view! {
        <Title text="Something went wrong" />
        <section class="panel error-page" role="alert">
            <h1>"Something went wrong"</h1>
            <p>"Cairn could not show this page. The error has been logged; try again in a moment."</p>
            <ul class="error-list">
                {move || messages().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
            </ul>
            <p><a href="/">"Back to the home page"</a></p>
        </section>
    }
}
