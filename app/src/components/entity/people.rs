//! Groups and users: members, e-mail, and what they own.

use leptos::prelude::*;

use crate::api::catalog::EntityDetails;
use crate::components::entity_table::EntityTable;

#[component]
pub fn People(details: EntityDetails) -> impl IntoView {
    let is_group = details.row.kind.eq_ignore_ascii_case("group");
    view! {
        {details.email.clone().map(|email| view! {
            <p class="contact">"E-mail: " <a href=format!("mailto:{email}")>{email.clone()}</a></p>
        })}
        {is_group.then(|| view! {
            <section class="panel" aria-labelledby="members-title">
                <h2 id="members-title">{format!("Members ({})", details.members.len())}</h2>
                {if details.members.is_empty() {
                    view! { <p class="muted">"No members."</p> }.into_any()
                } else {
                    view! {
                        <ul class="members" data-testid="members">
                            {details.members.iter().map(|m| view! { <li><a href=m.href()>{m.label()}</a></li> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        })}
        <section class="panel" aria-labelledby="owned-title">
            <h2 id="owned-title">{format!("Ownership ({})", details.owned.len())}</h2>
            <EntityTable rows=details.owned.clone() query=None show_kind=true />
        </section>
    }
}
