//! A table of entities; with a query its column headers sort (and say how).

use leptos::prelude::*;

use super::entity_link::EntityLink;
use super::marked::Marked;
use crate::api::catalog::{CatalogQuery, EntityRow, RefLink};

/// Sortable columns: URL value and header.
const COLUMNS: [(&str, &str); 5] = [
    ("name", "Name"),
    ("system", "System"),
    ("owner", "Owner"),
    ("type", "Type"),
    ("lifecycle", "Lifecycle"),
];

#[component]
pub fn EntityTable(rows: Vec<EntityRow>, query: Option<CatalogQuery>, show_kind: bool) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No entities match."</p> }.into_any();
    }
    // A search's term, marked where the rows show it.
    let term = query.as_ref().map(|q| q.q.clone()).filter(|q| !q.trim().is_empty());
    let headers = COLUMNS
        .iter()
        .map(|(key, label)| {
            let header = match &query {
                Some(q) => {
                    let current = if q.sort.is_empty() { "name" } else { q.sort.as_str() };
                    let active = current == *key;
                    let descending = active && q.desc;
                    let href = q
                        .with("sort", key)
                        .with("desc", if active && !q.desc { "true" } else { "" })
                        .href();
                    let sort = if !active {
                        "none"
                    } else if descending {
                        "descending"
                    } else {
                        "ascending"
                    };
                    let arrow = if !active {
                        ""
                    } else if descending {
                        " ↓"
                    } else {
                        " ↑"
                    };
                    view! { <th aria-sort=sort><a href=href>{*label}{arrow}</a></th> }.into_any()
                }
                None => view! { <th>{*label}</th> }.into_any(),
            };
            header
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="entities" data-testid="entity-table">
                <thead>
                    <tr>
                        {show_kind.then(|| view! { <th>"Kind"</th> })}
                        {headers}
                        <th>"Description"</th>
                        <th>"Tags"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! { <Row row show_kind term=term.clone() /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn Row(row: EntityRow, show_kind: bool, term: Option<String>) -> impl IntoView {
    let reference = |r: &Option<String>| {
        r.clone()
            .map(|r| view! { <EntityLink link=RefLink { entity_ref: r, exists: true } short=true /> })
    };
    view! {
        <tr>
            {show_kind.then(|| view! { <td>{super::kind_label(&row.kind)}</td> })}
            <td>
                <a href=row.href() class="entity-name"><Marked text=row.label() term=term.clone() /></a>
                {row.orphan.then(|| view! { " " <span class="badge warn" title="No longer in its source; removed after the grace period">"orphan"</span> })}
            </td>
            <td>{reference(&row.system)}</td>
            <td>{reference(&row.owner)}</td>
            <td>{row.entity_type.clone()}</td>
            <td>{row.lifecycle.clone()}</td>
            <td class="description"><Marked text=row.description.clone().unwrap_or_default() term=term.clone() /></td>
            <td>{row.tags.iter().map(|t| view! { <span class="chip"><Marked text=t.clone() term=term.clone() /></span> }).collect_view()}</td>
        </tr>
    }
}
