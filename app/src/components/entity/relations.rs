//! Relations grouped by type; references to missing entities stay visible, marked as missing.

use leptos::prelude::*;

use crate::api::catalog::RelationGroup;
use crate::components::entity_link::EntityLink;

#[component]
pub fn Relations(groups: Vec<RelationGroup>) -> impl IntoView {
    view! {
        <section class="panel relations" aria-labelledby="relations-title">
            <h2 id="relations-title">"Relations"</h2>
            {if groups.is_empty() {
                view! { <p class="muted">"No relations."</p> }.into_any()
            } else {
                view! {
                    <dl class="relation-groups">
                        {groups
                            .into_iter()
                            .map(|g| view! {
                                <dt data-relation=g.relation_type.clone()>{g.label.clone()}</dt>
                                <dd>
                                    <ul>{g.targets.into_iter().map(|t| view! { <li><EntityLink link=t /></li> }).collect_view()}</ul>
                                </dd>
                            })
                            .collect_view()}
                    </dl>
                }
                .into_any()
            }}
        </section>
    }
}
