//! Logging: readable lines in a terminal, JSON lines with `CAIRN_LOG_FORMAT=json`. Filter with
//! `CAIRN_LOG` (or `RUST_LOG`), e.g. `CAIRN_LOG=debug,sqlx=warn`.

use std::str::FromStr;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Output format of the logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "text" | "" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("`{other}` is not a log format; use `text` or `json`")),
        }
    }
}

/// Installs the global subscriber. Span fields (such as each request's `request_id`) are printed
/// on every line logged inside the span.
pub fn init(format: LogFormat) {
    let chosen = std::env::var("CAIRN_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok());
    let mut filter = chosen
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    // kube's client logs every failed request of every watch (an error line per type per retry
    // while a cluster is down); Cairn reports reachability itself. Named explicitly, they show.
    if !chosen.as_deref().is_some_and(|f| f.contains("kube_client")) {
        filter = filter.add_directive("kube_client=off".parse().expect("a valid directive"));
    }
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Text => registry
            .with(fmt::layer().with_target(false).with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .with_current_span(true)
                    .with_span_list(false)
                    .flatten_event(true),
            )
            .try_init(),
    };
    // A second init (tests starting several servers in one process) keeps the first subscriber.
    drop(result);
}
