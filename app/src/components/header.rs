//! The top bar: the portal's name, the navigation of what exists (and what this person may use),
//! who is signed in, and the theme switch. In guest mode and in the demo a banner says so.

use leptos::prelude::*;
use leptos_router::components::A;

use super::demo_banner::DemoBanner;
use super::theme_switch::ThemeSwitch;
use crate::api::access::Viewer;
use crate::api::features::Features;
use access::Permission;

/// Header with the main navigation. Only features that work end to end are listed.
#[component]
pub fn Header() -> impl IntoView {
    let viewer = Viewer::current();
    let admin = viewer.is_admin() && !viewer.guest();
    view! {
        <DemoBanner />
        <GuestBanner viewer=viewer.clone() />
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"▲"</span>
                <span>"Cairn"</span>
            </a>
            <nav class="site-nav" aria-label="Main">
                <A href="/" exact=true>"Home"</A>
                <A href="/catalog">"Catalog"</A>
                {Features::current().deployments.then(|| view! { <A href="/deployments">"Deployments"</A> })}
                <A href="/delivery">"Delivery"</A>
                <A href="/cost">"Cost"</A>
                <A href="/reliability">"Reliability"</A>
                <A href="/create">"Create"</A>
                <RegisterLink viewer=viewer.clone() />
                <A href="/admin/locations">"Locations"</A>
                {admin.then(|| view! {
                    <A href="/admin/tokens">"Tokens"</A>
                    <A href="/admin/audit">"Audit"</A>
                })}
                <A href="/status">"Status"</A>
            </nav>
            <Account viewer />
            <ThemeSwitch />
        </header>
    }
}

/// "Register", only where registering can work and this person may.
#[component]
fn RegisterLink(viewer: Viewer) -> impl IntoView {
    (Features::current().register_locations && viewer.can(Permission::LocationCreate, &[]))
        .then(|| view! { <A href="/catalog-import">"Register"</A> })
}

/// The signed-in person and "Sign out" (a plain form: it works before the wasm loads), or
/// "Sign in" for nobody.
#[component]
fn Account(viewer: Viewer) -> impl IntoView {
    if let Some(name) = viewer.display_name() {
        let user_ref = viewer.user_ref().unwrap_or_default().to_string();
        let href = entity_href(&user_ref);
        view! {
            <div class="account">
                <a href=href class="account-name" data-testid="signed-in-user" title=user_ref>{name.to_string()}</a>
                <form method="post" action="/api/auth/logout" class="inline">
                    <button type="submit" class="button secondary small">"Sign out"</button>
                </form>
            </div>
        }
        .into_any()
    } else if viewer.settings.sign_in && !viewer.guest() {
        view! { <a class="button small" href="/signin" rel="external">"Sign in"</a> }.into_any()
    } else {
        ().into_any()
    }
}

/// Guest mode is said on every page: everyone can do everything.
#[component]
fn GuestBanner(viewer: Viewer) -> impl IntoView {
    viewer.guest().then(|| {
        view! {
            <div class="guest-banner" role="note" data-testid="guest-banner">
                "Guest mode: no sign-in is configured, so everyone acts as the guest and may do everything. "
                "Configure "<code>"auth.oidc"</code>" before sharing this portal."
            </div>
        }
    })
}

/// `user:default/jane` → `/catalog/default/user/jane`.
fn entity_href(user_ref: &str) -> String {
    let (kind, rest) = user_ref.split_once(':').unwrap_or(("user", user_ref));
    let (namespace, name) = rest.split_once('/').unwrap_or(("default", rest));
    format!("/catalog/{namespace}/{kind}/{name}")
}
