//! A link to an entity; a reference to an entity that does not exist is shown as such, not hidden.

use leptos::prelude::*;

use crate::api::catalog::RefLink;

#[component]
pub fn EntityLink(link: RefLink, #[prop(optional)] short: bool) -> impl IntoView {
    let label = if short { link.short_label() } else { link.label() };
    if link.exists {
        view! { <a class="entity-link" href=link.href()>{label}</a> }.into_any()
    } else {
        view! {
            <span class="entity-link dangling" title="No entity with this reference is in the catalog" data-dangling="true">
                {label} <span class="badge warn">"missing"</span>
            </span>
        }
        .into_any()
    }
}
