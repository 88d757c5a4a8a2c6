//! Prometheus metrics: request counts and latency per route, plus what the server knows of itself.

use std::sync::Arc;

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// Labels of an HTTP request: the route template (never the raw path, which would be unbounded),
/// the method and the status code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

/// Labels of a catalog location: few (one per registered location), so fine as labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LocationLabels {
    pub r#type: String,
    pub target: String,
}

/// Per-location gauges, read from the database at each scrape: every replica reports the same.
#[derive(Clone, Default)]
struct LocationGauges {
    up: Family<LocationLabels, Gauge>,
    entities: Family<LocationLabels, Gauge>,
    problems: Family<LocationLabels, Gauge>,
    failures: Family<LocationLabels, Gauge>,
    last_success: Family<LocationLabels, Gauge>,
    duration: Family<LocationLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InfoLabels {
    version: String,
    database: String,
}

/// The process's metrics registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    locations: LocationGauges,
}

impl Metrics {
    /// Creates the registry; `database` names the dialect in `cairn_build_info`.
    pub fn new(database: &str) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("cairn_http_requests", "HTTP requests handled", requests.clone());
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        registry.register(
            "cairn_http_request_duration_seconds",
            "Time to produce a response",
            latency.clone(),
        );
        let info = Family::<InfoLabels, Gauge>::default();
        info.get_or_create(&InfoLabels {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database: database.to_string(),
        })
        .set(1);
        registry.register("cairn_build", "Version and database of this process", info);
        let locations = LocationGauges::default();
        registry.register(
            "cairn_catalog_location_up",
            "1 when the location's last refresh succeeded, 0 when it failed",
            locations.up.clone(),
        );
        registry.register(
            "cairn_catalog_location_entities",
            "Entities the location provides",
            locations.entities.clone(),
        );
        registry.register(
            "cairn_catalog_location_problems",
            "Documents of the location that did not become entities",
            locations.problems.clone(),
        );
        registry.register(
            "cairn_catalog_location_consecutive_failures",
            "Failed refreshes of the location since its last success",
            locations.failures.clone(),
        );
        registry.register(
            "cairn_catalog_location_last_success_timestamp_seconds",
            "When the location was last refreshed successfully (Unix time)",
            locations.last_success.clone(),
        );
        registry.register(
            "cairn_catalog_location_refresh_duration_seconds",
            "How long the location's last refresh took",
            locations.duration.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            requests,
            latency,
            locations,
        }
    }

    /// Records one finished request.
    pub fn observe_request(&self, labels: RequestLabels, seconds: f64) {
        self.latency.get_or_create(&labels).observe(seconds);
        self.requests.get_or_create(&labels).inc();
    }

    /// Replaces the per-location gauges with the current statuses (locations gone disappear).
    pub fn set_locations(&self, statuses: &[catalog::store::LocationStatus]) {
        let g = &self.locations;
        g.up.clear();
        g.entities.clear();
        g.problems.clear();
        g.failures.clear();
        g.last_success.clear();
        g.duration.clear();
        for s in statuses {
            let labels = LocationLabels {
                r#type: s.location.location_type.clone(),
                target: s.location.target.clone(),
            };
            g.up.get_or_create(&labels)
                .set(i64::from(s.last_error.is_none() && s.last_attempt_at.is_some()));
            g.entities.get_or_create(&labels).set(s.entity_count);
            g.problems.get_or_create(&labels).set(s.problem_count);
            g.failures.get_or_create(&labels).set(s.failures);
            if let Some(at) = s.last_success_at {
                g.last_success.get_or_create(&labels).set(at / 1000);
            }
            if let Some(ms) = s.last_duration_ms {
                g.duration.get_or_create(&labels).set(ms as f64 / 1000.0);
            }
        }
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
