//! `/admin/audit`: security-relevant actions, newest first (sign-ins and refusals, tokens,
//! locations, template runs, CSRF refusals), and people's sessions, which an admin can end.

use crate::safe::title::PageTitle;
use leptos::prelude::*;

use crate::api::admin::{AuditEntry, RevokeSessions, SessionInfo, list_sessions, load_audit};
use crate::components::format_time;

#[component]
pub fn AuditPage() -> impl IntoView {
    let revoke = ServerAction::<RevokeSessions>::new();
    let events = Resource::new(|| (), |_| load_audit(None));
    let sessions = Resource::new(move || revoke.version().get(), |_| list_sessions());
    view! {
        <PageTitle text="Audit log" />
        <h1>"Audit log"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move { events.await.map(|list| view! { <AuditTable list /> }) })}
        </Suspense>
        <h2>"Signed-in people"</h2>
        {move || revoke.value().get().map(|r| match r {
            Ok(n) => view! { <p class="panel success" role="status">{format!("{n} sessions ended.")}</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move { sessions.await.map(|list| view! { <SessionTable list revoke /> }) })}
        </Suspense>
    }
}

#[component]
fn AuditTable(list: Vec<AuditEntry>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="panel">"Nothing has been recorded yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table data-testid="audit">
            <thead><tr>
                <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th>
                <th scope="col">"On"</th><th scope="col">"Outcome"</th><th scope="col">"Detail"</th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|e| { let class = format!("outcome-{}", e.outcome); view! {
                    <tr class=class>
                        <td>{format_time(e.at)}</td>
                        <td>{e.actor}</td>
                        <td>{e.action}</td>
                        <td>{e.target.unwrap_or_default()}</td>
                        <td>{e.outcome}</td>
                        <td>{e.detail.unwrap_or_default()}</td>
                    </tr>
                }}).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}

#[component]
fn SessionTable(list: Vec<SessionInfo>, revoke: ServerAction<RevokeSessions>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="panel">"Nobody is signed in."</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table data-testid="sessions">
            <thead><tr><th scope="col">"Person"</th><th scope="col">"Sessions"</th><th scope="col">"Until"</th><th scope="col"></th></tr></thead>
            <tbody>
                {list.into_iter().map(|s| view! {
                    <tr>
                        <td>{s.user_ref.clone()}</td>
                        <td>{s.sessions}</td>
                        <td>{format_time(s.expires_at)}</td>
                        <td>
                            <ActionForm action=revoke>
                                <input type="hidden" name="user_ref" value=s.user_ref.clone() />
                                <button type="submit" class="button danger small">"End sessions"</button>
                            </ActionForm>
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}
