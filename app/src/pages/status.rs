//! The status page: version, database and schema, loaded through a server function.

use crate::safe::title::PageTitle;
use leptos::prelude::*;

use crate::api::status::{StatusReport, fetch_status};
use crate::components::humanize_seconds;

/// Status page; its data comes from the server on every visit.
#[component]
pub fn StatusPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| fetch_status());
    view! {
        <PageTitle text="Status" />
        <h1>"Status"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move { status.await.map(|s| view! { <StatusTable status=s /> }) })}
        </Suspense>
    }
}

#[component]
fn StatusTable(status: StatusReport) -> impl IntoView {
    let schema = if status.pending_migrations == 0 {
        format!("up to date (version {})", status.schema_version)
    } else {
        format!(
            "{} migration(s) pending (at version {})",
            status.pending_migrations, status.schema_version
        )
    };
    view! {
        <dl class="panel facts" data-testid="status">
            <dt>"Version"</dt>
            <dd>{status.version}</dd>
            <dt>"Database"</dt>
            <dd data-testid="database">{status.database}</dd>
            <dt>"Schema"</dt>
            <dd>{schema}</dd>
            <dt>"Up for"</dt>
            <dd>{humanize_seconds(status.uptime_seconds)}</dd>
        </dl>
    }
}
