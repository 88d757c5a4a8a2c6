//! `/signin`: why you are here (signed out, a refused sign-in, a page that needs someone) and the
//! way to the identity provider, keeping the page you asked for.

use crate::safe::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::access::Viewer;

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let viewer = Viewer::current();
    let error = move || query.read().get("error");
    let signed_out = move || query.read().get("signedOut").is_some();
    let return_to = query.read_untracked().get("returnTo").unwrap_or_else(|| "/".into());
    let login = format!("/api/auth/login?returnTo={}", js_encode(&return_to));
    let body = if viewer.guest() {
        view! {
            <p>"This portal runs in guest mode: no sign-in is configured, so there is nobody to sign in as."</p>
            <a class="button" href="/">"Go to the portal"</a>
        }
        .into_any()
    } else if let Some(name) = viewer.display_name() {
        view! {
            <p>"You are signed in as "<strong>{name.to_string()}</strong>"."</p>
            <a class="button" href="/">"Go to the portal"</a>
        }
        .into_any()
    } else {
        view! {
            <p class="muted">"Sign in with your company account to use the portal."</p>
            // External: the router must not handle it, the server sends the browser to the provider.
            <a class="button" href=login rel="external" data-testid="sign-in">"Sign in"</a>
        }
        .into_any()
    };
    view! {
        <PageTitle text="Sign in" />
        <section class="signin">
            <h1>"Sign in to Cairn"</h1>
            {move || signed_out().then(|| view! { <p class="panel success" role="status">"You are signed out."</p> })}
            {move || error().map(|e| view! { <p class="panel alert" role="alert" data-testid="sign-in-error">"Sign-in failed: "{e}</p> })}
            {body}
        </section>
    }
}

/// Percent-encodes a query value (the same on server and in the browser).
fn js_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
