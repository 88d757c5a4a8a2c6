//! The top bar: the portal's name, the navigation of what exists, and the theme switch.

use leptos::prelude::*;
use leptos_router::components::A;

use super::theme_switch::ThemeSwitch;
use crate::api::features::Features;

/// Header with the main navigation. Only features that work end to end are listed.
#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"▲"</span>
                <span>"Cairn"</span>
            </a>
            <nav class="site-nav" aria-label="Main">
                <A href="/" exact=true>"Home"</A>
                <A href="/catalog">"Catalog"</A>
                <A href="/create">"Create"</A>
                <RegisterLink />
                <A href="/admin/locations">"Locations"</A>
                <A href="/status">"Status"</A>
            </nav>
            <ThemeSwitch />
        </header>
    }
}

/// "Register", only where registering can work (an allowed location type that can be read).
#[component]
fn RegisterLink() -> impl IntoView {
    Features::current()
        .register_locations
        .then(|| view! { <A href="/catalog-import">"Register"</A> })
}
