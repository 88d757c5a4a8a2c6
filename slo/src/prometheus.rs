//! Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`, `/api/v1/status/runtimeinfo`)
//! through `outbound`'s rule: the URL is administrator configuration, so any host may be
//! reached, but never a cloud metadata address, and a private one only with
//! `backend.reading.allowPrivateNetworks` or this Prometheus' own `privateNetwork` setting.
//! Responses are bounded in bytes, series and points; every error names the query.

pub mod buckets;

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// How to reach one Prometheus (`prometheus:` settings).
#[derive(Clone)]
pub struct PrometheusSettings {
    /// Base URL, e.g. `http://prometheus.monitoring:9090` (a path prefix is kept).
    pub url: String,
    pub auth: Auth,
    /// The Prometheus sits on a private network (in the cluster): allow private addresses for it.
    pub private_network: bool,
    pub timeout: Duration,
    /// The largest response body read.
    pub max_response_bytes: usize,
    /// The most series one answer may hold.
    pub max_series: usize,
    /// The most samples one answer may hold, all series together.
    pub max_points: usize,
}

impl Default for PrometheusSettings {
    fn default() -> Self {
        PrometheusSettings {
            url: String::new(),
            auth: Auth::None,
            private_network: false,
            timeout: Duration::from_secs(30),
            max_response_bytes: 16 * 1024 * 1024,
            max_series: 500,
            max_points: 200_000,
        }
    }
}

impl fmt::Debug for PrometheusSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrometheusSettings")
            .field("url", &outbound::without_credentials(&self.url))
            .field("auth", &self.auth)
            .field("private_network", &self.private_network)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Credentials sent with every request.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    Bearer(String),
    Basic {
        user: String,
        password: String,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Auth::None => "None",
            Auth::Bearer(_) => "Bearer(…)",
            Auth::Basic { .. } => "Basic(…)",
        })
    }
}

/// Why a query failed. Each names the query (or request) it is about.
#[derive(Debug, thiserror::Error)]
pub enum PrometheusError {
    #[error("prometheus.url: {0}")]
    Settings(String),
    #[error("{0}")]
    Refused(#[from] outbound::Refused),
    #[error("query `{query}`: Prometheus could not be reached: {message}")]
    Unreachable { query: String, message: String },
    #[error("query `{query}`: Prometheus answered {status}: {message}")]
    Server {
        query: String,
        status: u16,
        message: String,
    },
    #[error("query `{query}`: the answer is larger than {limit} bytes")]
    TooLarge { query: String, limit: usize },
    #[error("query `{query}`: the answer holds more than {limit} {what}")]
    TooMany {
        query: String,
        what: &'static str,
        limit: usize,
    },
    #[error("query `{query}`: the answer cannot be read: {message}")]
    Invalid { query: String, message: String },
}

/// One series of an answer: its labels and (unix seconds, value) samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: std::collections::BTreeMap<String, String>,
    pub samples: Vec<(f64, f64)>,
}

/// A Prometheus server.
#[derive(Clone, Debug)]
pub struct Prometheus {
    settings: PrometheusSettings,
    base: url::Url,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    value: Option<(f64, String)>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

impl Prometheus {
    /// Checks the URL by the reading policy (no DNS yet) and builds the client.
    pub fn new(settings: PrometheusSettings, reading: &outbound::ReadingPolicy) -> Result<Prometheus, PrometheusError> {
        let mut base = url::Url::parse(&settings.url).map_err(|e| PrometheusError::Settings(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(PrometheusError::Settings("the URL must be http or https".into()));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let policy = outbound::ReadingPolicy {
            allow: Vec::new(),
            allow_private_networks: reading.allow_private_networks || settings.private_network,
        };
        policy.check_without_dns(base.as_str(), outbound::Hosts::Any)?;
        let http = outbound::client::guarded(reqwest::Client::builder(), &policy, outbound::Hosts::Any)
            // The API never redirects; following one would let an answer point the server elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .build()
            .map_err(|e| PrometheusError::Settings(format!("cannot build the HTTP client: {e}")))?;
        Ok(Prometheus { settings, base, http })
    }

    pub fn settings(&self) -> &PrometheusSettings {
        &self.settings
    }

    /// An instant query at `at` (unix seconds): a vector's series, or a scalar as one series.
    pub async fn query(&self, promql: &str, at: i64) -> Result<Vec<Series>, PrometheusError> {
        let params = [("query", promql.to_string()), ("time", at.to_string())];
        self.get("api/v1/query", promql, &params).await
    }

    /// A range query from `start` to `end` every `step` seconds. At most 11 000 steps, as
    /// Prometheus allows: longer ranges are the caller's to split ([`buckets`] does).
    pub async fn query_range(
        &self,
        promql: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Vec<Series>, PrometheusError> {
        let params = [
            ("query", promql.to_string()),
            ("start", start.to_string()),
            ("end", end.to_string()),
            ("step", step.to_string()),
        ];
        self.get("api/v1/query_range", promql, &params).await
    }

    /// How long Prometheus keeps data, as it says (`15d`, `15d or 512MiB`), from its runtime
    /// information; `None` when it does not say.
    pub async fn retention(&self) -> Result<Option<String>, PrometheusError> {
        let what = "runtime information";
        let data = self.envelope("api/v1/status/runtimeinfo", what, &[]).await?;
        Ok(data
            .get("storageRetention")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string))
    }

    /// The API's base address.
    pub fn base(&self) -> &str {
        self.base.as_str()
    }

    /// The oldest sample Prometheus holds (unix seconds), from its own
    /// `prometheus_tsdb_lowest_timestamp_seconds` where it scrapes itself (asked at Prometheus'
    /// own present, where that gauge lives); `None` otherwise.
    pub async fn oldest_sample(&self) -> Result<Option<i64>, PrometheusError> {
        let promql = "min(prometheus_tsdb_lowest_timestamp_seconds)";
        let series = self
            .get("api/v1/query", promql, &[("query", promql.to_string())])
            .await?;
        Ok(series
            .first()
            .and_then(|s| s.samples.first())
            .map(|&(_, v)| v)
            .filter(|v| v.is_finite())
            .map(|v| v.floor() as i64))
    }

    async fn get(&self, path: &str, query: &str, params: &[(&str, String)]) -> Result<Vec<Series>, PrometheusError> {
        let data = self.envelope(path, query, params).await?;
        let invalid = |message: String| PrometheusError::Invalid {
            query: query.to_string(),
            message,
        };
        let data: Data = serde_json::from_value(data).map_err(|e| invalid(e.to_string()))?;
        match data.result_type.as_str() {
            "scalar" => {
                let (t, v): (f64, String) = serde_json::from_value(data.result).map_err(|e| invalid(e.to_string()))?;
                Ok(vec![Series {
                    labels: Default::default(),
                    samples: vec![(t, number(&v).map_err(invalid)?)],
                }])
            }
            "vector" | "matrix" => {
                let raw: Vec<RawSeries> = serde_json::from_value(data.result).map_err(|e| invalid(e.to_string()))?;
                self.series(query, raw)
            }
            other => Err(invalid(format!(
                "a {other} result where a vector or matrix was expected"
            ))),
        }
    }

    fn series(&self, query: &str, raw: Vec<RawSeries>) -> Result<Vec<Series>, PrometheusError> {
        let too_many = |what, limit| PrometheusError::TooMany {
            query: query.to_string(),
            what,
            limit,
        };
        if raw.len() > self.settings.max_series {
            return Err(too_many("series", self.settings.max_series));
        }
        let mut points = 0usize;
        let mut out = Vec::with_capacity(raw.len());
        for s in raw {
            let values = s.value.into_iter().chain(s.values);
            let mut samples = Vec::new();
            for (t, v) in values {
                points += 1;
                if points > self.settings.max_points {
                    return Err(too_many("points", self.settings.max_points));
                }
                let v = number(&v).map_err(|message| PrometheusError::Invalid {
                    query: query.to_string(),
                    message,
                })?;
                samples.push((t, v));
            }
            out.push(Series {
                labels: s.metric,
                samples,
            });
        }
        Ok(out)
    }

    /// Sends a GET, reads at most `max_response_bytes`, and returns the answer's `data`.
    async fn envelope(
        &self,
        path: &str,
        query: &str,
        params: &[(&str, String)],
    ) -> Result<serde_json::Value, PrometheusError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| PrometheusError::Settings(e.to_string()))?;
        let mut request = self.http.get(url).query(params);
        request = match &self.settings.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Basic { user, password } => request.basic_auth(user, Some(password)),
        };
        let unreachable = |e: reqwest::Error| PrometheusError::Unreachable {
            query: query.to_string(),
            message: error_chain(&e),
        };
        let mut response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let limit = self.settings.max_response_bytes;
        if response.content_length().is_some_and(|l| l > limit as u64) {
            return Err(PrometheusError::TooLarge {
                query: query.to_string(),
                limit,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > limit {
                return Err(PrometheusError::TooLarge {
                    query: query.to_string(),
                    limit,
                });
            }
            body.extend_from_slice(&chunk);
        }
        let envelope: Result<Envelope, _> = serde_json::from_slice(&body);
        match envelope {
            Ok(e) if e.status == "success" && status.is_success() => e.data.ok_or_else(|| PrometheusError::Invalid {
                query: query.to_string(),
                message: "a successful answer without data".into(),
            }),
            Ok(e) => Err(PrometheusError::Server {
                query: query.to_string(),
                status: status.as_u16(),
                message: match (e.error_type, e.error) {
                    (Some(t), Some(m)) => format!("{t}: {m}"),
                    (_, Some(m)) => m,
                    _ => format!("status {}", e.status),
                },
            }),
            Err(_) => Err(PrometheusError::Server {
                query: query.to_string(),
                status: status.as_u16(),
                message: String::from_utf8_lossy(&body[..body.len().min(200)]).trim().to_string(),
            }),
        }
    }
}

/// A sample value as Prometheus writes it (`"1.5"`, `"NaN"`, `"+Inf"`).
fn number(text: &str) -> Result<f64, String> {
    match text {
        "NaN" => Ok(f64::NAN),
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ => text.parse().map_err(|_| format!("`{text}` is not a sample value")),
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}
