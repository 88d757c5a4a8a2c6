//! Before a service exists: what it will request each month, from its Helm chart's values
//! (`resources.requests` × `replicaCount`, per environment: `values.yaml` alone and under each
//! `values-<environment>.yaml`) × the rates of the cluster it will run in (the defaults when
//! that is not known), every figure as quantity × 730 hours × rate with the rate's source. An
//! estimate of requests, not a measurement: usage above them, idle capacity and volumes are not
//! in it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Figure, GIB, HOURS_PER_MONTH, Money, Resource};
use crate::prices::PriceSettings;

/// Charts whose values are read at most (a skeleton holds one or two).
const MAX_CHARTS: usize = 10;

/// One environment's month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentEstimate {
    /// `production`, `staging`… (from `values-<environment>.yaml`), or `default` (`values.yaml`
    /// alone, when the chart has no environment files).
    pub environment: String,
    /// The values files it is read from, in order.
    pub files: Vec<String>,
    pub replicas: u32,
    /// Autoscaling's most, when it may scale beyond `replicas`.
    pub max_replicas: Option<u32>,
    /// Per replica: every container's requests summed.
    pub cpu_cores: f64,
    pub memory_bytes: f64,
    pub gpus: f64,
    /// Replicas × per replica × 730 h × rate, one per resource requested.
    pub figures: Vec<Figure>,
    pub monthly: Money,
    /// The same at `max_replicas`.
    pub monthly_at_max: Option<Money>,
}

/// What a chart's service will request per month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    /// The chart's directory (`chart`).
    pub chart: String,
    pub currency: String,
    /// The cluster whose rates apply, when known.
    pub cluster: Option<String>,
    pub environments: Vec<EnvironmentEstimate>,
    /// Every environment's month together.
    pub monthly: Money,
}

/// A generated file: its path and, for text, its content parsed (YAML or JSON → JSON values).
pub struct ValuesFile<'a> {
    pub path: &'a str,
    pub values: &'a Value,
}

/// Estimates every chart among `files` (a directory holding `Chart.yaml` and `values.yaml`):
/// `chart_dirs` are the directories with a `Chart.yaml`; `files` the parsed values files.
pub fn estimate(
    chart_dirs: &[&str],
    files: &[ValuesFile<'_>],
    cluster: Option<&str>,
    prices: &PriceSettings,
) -> Vec<Estimate> {
    let mut out = Vec::new();
    for dir in chart_dirs.iter().take(MAX_CHARTS) {
        let in_dir = |name: &str| join(dir, name);
        let Some(base) = files.iter().find(|f| f.path == in_dir("values.yaml")) else {
            continue;
        };
        let mut overlays: Vec<(String, &ValuesFile)> = files
            .iter()
            .filter_map(|f| {
                let name = f.path.strip_prefix(&in_dir(""))?;
                let environment = name.strip_prefix("values-")?.strip_suffix(".yaml")?;
                (!environment.is_empty() && !environment.contains('/')).then(|| (environment.to_string(), f))
            })
            .collect();
        overlays.sort_by(|a, b| {
            environment_order(&a.0)
                .cmp(&environment_order(&b.0))
                .then(a.0.cmp(&b.0))
        });
        let environments: Vec<EnvironmentEstimate> = if overlays.is_empty() {
            vec![environment("default", &[base], cluster, prices)]
        } else {
            overlays
                .iter()
                .map(|(name, overlay)| environment(name, &[base, overlay], cluster, prices))
                .collect()
        };
        out.push(Estimate {
            chart: dir.to_string(),
            currency: prices.currency.clone(),
            cluster: cluster.map(str::to_string),
            monthly: environments.iter().map(|e| e.monthly).sum(),
            environments,
        });
    }
    out
}

/// Estimates the charts among generated files (`(path, text)`; a chart is a directory with a
/// `Chart.yaml`), their values files read as YAML (the catalog's bounded reader; a file that
/// does not read is left out).
#[cfg(feature = "store")]
pub fn from_files(files: &[(&str, &str)], cluster: Option<&str>, prices: &PriceSettings) -> Vec<Estimate> {
    use catalog::read::documents::{ReadLimits, read_documents};
    let dir_of = |path: &str| path.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_string());
    let name_of = |path: &str| {
        path.rsplit_once('/')
            .map_or(path.to_string(), |(_, name)| name.to_string())
    };
    let mut charts: Vec<String> = files
        .iter()
        .filter(|(path, _)| name_of(path) == "Chart.yaml")
        .map(|(path, _)| dir_of(path))
        .collect();
    charts.sort();
    charts.truncate(MAX_CHARTS);
    let parsed: Vec<(&str, Value)> = files
        .iter()
        .filter(|(path, _)| {
            let name = name_of(path);
            charts.contains(&dir_of(path))
                && (name == "values.yaml" || name.starts_with("values-") && name.ends_with(".yaml"))
        })
        .filter_map(|(path, text)| {
            let first = read_documents(text.as_bytes(), &ReadLimits::default())
                .ok()?
                .into_iter()
                .next()?;
            Some((*path, first.value.ok()??))
        })
        .collect();
    let values: Vec<ValuesFile> = parsed
        .iter()
        .map(|(path, values)| ValuesFile { path, values })
        .collect();
    let dirs: Vec<&str> = charts.iter().map(String::as_str).collect();
    estimate(&dirs, &values, cluster, prices)
}

/// Production first, then staging, then the rest by name.
fn environment_order(name: &str) -> u8 {
    match name {
        "production" | "prod" => 0,
        "staging" | "stage" => 1,
        _ => 2,
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_string()
    } else {
        format!("{}/{name}", dir.trim_end_matches('/'))
    }
}

fn environment(
    name: &str,
    layers: &[&ValuesFile<'_>],
    cluster: Option<&str>,
    prices: &PriceSettings,
) -> EnvironmentEstimate {
    let mut merged = Value::Null;
    for layer in layers {
        merge(&mut merged, layer.values);
    }
    let replicas = count(merged.get("replicaCount")).unwrap_or(1);
    let autoscaling = merged
        .get("autoscaling")
        .filter(|a| a.get("enabled").and_then(Value::as_bool) == Some(true));
    let max_replicas = autoscaling
        .and_then(|a| count(a.get("maxReplicas")))
        .filter(|max| *max > replicas);
    let (cpu_cores, memory_bytes, gpus) = requests(&merged);
    let node = prices.node_prices(cluster.unwrap_or(""), &Default::default());
    let at = |replicas: u32| -> Vec<Figure> {
        let r = f64::from(replicas);
        [
            (Resource::Cpu, cpu_cores, &node.cpu),
            (Resource::Memory, memory_bytes / GIB, &node.memory),
            (Resource::Gpu, gpus, &node.gpu),
        ]
        .into_iter()
        .filter(|(_, quantity, _)| *quantity > 0.0)
        .map(|(resource, quantity, price)| Figure::new(resource, r * quantity, HOURS_PER_MONTH, price))
        .collect()
    };
    let figures = at(replicas);
    EnvironmentEstimate {
        environment: name.to_string(),
        files: layers.iter().map(|l| l.path.to_string()).collect(),
        replicas,
        max_replicas,
        cpu_cores,
        memory_bytes,
        gpus,
        monthly: figures.iter().map(|f| f.cost).sum(),
        monthly_at_max: max_replicas.map(|max| at(max).iter().map(|f| f.cost).sum()),
        figures,
    }
}

/// Helm's merge of values files: mappings merge key by key, anything else is replaced.
fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                merge(into.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (into, from) => *into = from.clone(),
    }
}

/// A replica count: a whole number (or its text) from 0 to 10 000.
fn count(value: Option<&Value>) -> Option<u32> {
    let n = match value? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (n.fract() == 0.0 && (0.0..=10_000.0).contains(&n)).then_some(n as u32)
}

/// Requests per replica: the chart's `resources.requests`, plus each of `sidecars`' or
/// `containers`' own `resources.requests` where a chart lists more containers that way.
fn requests(values: &Value) -> (f64, f64, f64) {
    let mut sums = (0.0, 0.0, 0.0);
    let mut add = |resources: Option<&Value>| {
        let Some(requests) = resources.and_then(|r| r.get("requests")) else {
            return;
        };
        sums.0 += requests.get("cpu").and_then(quantity).unwrap_or(0.0);
        sums.1 += requests.get("memory").and_then(quantity).unwrap_or(0.0);
        sums.2 += requests.get("nvidia.com/gpu").and_then(quantity).unwrap_or(0.0);
    };
    add(values.get("resources"));
    for list in ["sidecars", "containers"] {
        for c in values.get(list).and_then(Value::as_array).into_iter().flatten() {
            add(c.get("resources"));
        }
    }
    sums
}

/// A Kubernetes quantity (`100m`, `0.5`, `128Mi`, `1G`, `2e3`) as a plain number.
pub fn quantity(value: &Value) -> Option<f64> {
    let text = match value {
        Value::Number(n) => return n.as_f64().filter(|v| v.is_finite() && *v >= 0.0),
        Value::String(s) => s.trim(),
        _ => return None,
    };
    const SUFFIXES: [(&str, f64); 13] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    let (number, factor) = SUFFIXES
        .iter()
        .find_map(|(suffix, factor)| text.strip_suffix(suffix).map(|n| (n, *factor)))
        .unwrap_or((text, 1.0));
    let n: f64 = number.parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some(n * factor)
}

#[cfg(test)]
mod tests;
