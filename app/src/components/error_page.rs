//! What a person sees when a page fails: a plain message, never internal details, and HTTP 500.

use crate::safe::title::PageTitle;
use leptos::prelude::*;

/// Error page for an `ErrorBoundary`. During server rendering it sets the response status.
#[component]
pub fn ErrorPage(errors: ArcRwSignal<Errors>) -> impl IntoView {
    // A denial (401/403) already set its status: keep it.
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let denied = response
            .0
            .read()
            .map(|p| p.status.is_some_and(|s| s.is_client_error()))
            .unwrap_or(false);
        if !denied {
            response.set_status(http::StatusCode::INTERNAL_SERVER_ERROR);
        }
    }
    let denied = errors
        .get_untracked()
        .into_iter()
        .any(|(_, e)| e.to_string().contains("Not allowed"));
    let messages = move || errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>();
    let (title, explanation) = if denied {
        (
            "Not allowed",
            "You may not see or do this here. Ask an admin if you need to.",
        )
    } else {
        (
            "Something went wrong",
            "Cairn could not show this page. The error has been logged; try again in a moment.",
        )
    };
    view! {
        <PageTitle text=title />
        <section class="panel error-page" role="alert">
            <h1>{title}</h1>
            <p>{explanation}</p>
            <ul class="error-list">
                {move || messages().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
            </ul>
            <p><a href="/">"Back to the home page"</a></p>
        </section>
    }
}
