//! The status page: version, database and schema, loaded through a server function.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::status::{StatusReport, fetch_status};

/// Status page; its data comes from the server on every visit.
#[component]
pub fn StatusPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| fetch_status());
    view! {
        <Title text="Status" />
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

/// "3 h 4 min", "12 s": coarse enough to read at a glance.
fn humanize_seconds(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::humanize_seconds;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(humanize_seconds(5), "5 s");
        assert_eq!(humanize_seconds(125), "2 min 5 s");
        assert_eq!(humanize_seconds(3 * 3600 + 240), "3 h 4 min");
        assert_eq!(humanize_seconds(2 * 86_400 + 3600), "2 d 1 h");
    }
}
