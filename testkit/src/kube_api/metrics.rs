//! `metrics.k8s.io/v1beta1` as metrics-server serves it: `PodMetrics` (per container `usage` of
//! `cpu` in nanocores, `memory` in Ki) and `NodeMetrics`, each with the `timestamp` and `window`
//! of its measurement; list and get only (a watch is `405 MethodNotAllowed`), no
//! `resourceVersion`, no paging. Objects a test applies are served as they are; on a cluster with
//! `State::simulated_usage` (the demo, benchmarks) every running pod and every node without one
//! gets a measurement derived from its requests, steady per pod so costs are reproducible.

use serde_json::{Map, Value, json};

use super::{ResourceType, State, str_at};

impl State {
    /// The metrics of `kind` the server answers with now: applied ones, then simulated ones.
    pub(super) fn metrics_items(&self, kind: ResourceType) -> Vec<Value> {
        let now = self.now();
        let mut items: Vec<Value> = self
            .objects
            .iter()
            .filter(|((t, _, _), _)| *t == kind.name())
            .map(|(_, object)| measured(object.clone(), &now))
            .collect();
        if self.simulated_usage {
            let simulated = match kind.plural {
                "pods" => self.simulated_pods(&now),
                _ => self.simulated_nodes(&now),
            };
            let known = |o: &Value| {
                items.iter().any(|i| {
                    str_at(i, "/metadata/name") == str_at(o, "/metadata/name")
                        && str_at(i, "/metadata/namespace") == str_at(o, "/metadata/namespace")
                })
            };
            let simulated: Vec<Value> = simulated.into_iter().filter(|o| !known(o)).collect();
            items.extend(simulated);
        }
        items
    }

    fn running_pods(&self) -> impl Iterator<Item = &Value> {
        self.objects
            .iter()
            .filter(|((t, _, _), o)| {
                t == "pods" && o["status"]["phase"] == "Running" && !str_at(o, "/spec/nodeName").is_empty()
            })
            .map(|(_, o)| o)
    }

    fn simulated_pods(&self, now: &str) -> Vec<Value> {
        self.running_pods()
            .map(|pod| {
                let containers: Vec<Value> = containers_usage(pod)
                    .into_iter()
                    .map(|(name, cpu, memory)| json!({ "name": name, "usage": usage(cpu, memory) }))
                    .collect();
                json!({
                    "metadata": {
                        "name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"],
                        "creationTimestamp": now, "labels": pod["metadata"]["labels"],
                    },
                    "timestamp": now, "window": "15s", "containers": containers,
                })
            })
            .collect()
    }

    fn simulated_nodes(&self, now: &str) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((t, _, _), _)| t == "nodes")
            .map(|((_, _, node), object)| {
                // The kubelet, the runtime and the system daemons use some of every node.
                let (mut cpu, mut memory) = (150_000_000.0, 600.0 * 1024.0 * 1024.0);
                for pod in self.running_pods().filter(|p| str_at(p, "/spec/nodeName") == node) {
                    for (_, c, m) in containers_usage(pod) {
                        cpu += c;
                        memory += m;
                    }
                }
                json!({
                    "metadata": {
                        "name": node, "creationTimestamp": now, "labels": object["metadata"]["labels"],
                    },
                    "timestamp": now, "window": "20s", "usage": usage(cpu, memory),
                })
            })
            .collect()
    }
}

/// An applied measurement as served: no identity of its own, stamped now unless it says when.
fn measured(mut object: Value, now: &str) -> Value {
    if let Some(fields) = object.as_object_mut() {
        fields.remove("apiVersion");
        fields.remove("kind");
        fields.entry("timestamp").or_insert_with(|| now.into());
        fields.entry("window").or_insert_with(|| "15s".into());
    }
    if let Some(metadata) = object["metadata"].as_object_mut() {
        metadata.remove("resourceVersion");
        metadata.remove("uid");
        metadata.insert("creationTimestamp".into(), now.into());
    }
    object
}

/// `{"cpu": "123456789n", "memory": "24528Ki"}`: metrics-server's units.
fn usage(cpu_nanocores: f64, memory_bytes: f64) -> Value {
    json!({
        "cpu": format!("{}n", cpu_nanocores.round() as u64),
        "memory": format!("{}Ki", (memory_bytes / 1024.0).round() as u64),
    })
}

/// Each container's simulated usage (nanocores, bytes): 30–130 % of its request, steady per pod
/// and container; a container without requests uses 20 m and 64 MiB give or take.
fn containers_usage(pod: &Value) -> Vec<(String, f64, f64)> {
    let name = str_at(pod, "/metadata/name");
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let container = str_at(c, "/name").to_owned();
            let requests = c["resources"]["requests"].as_object();
            let request = |key: &str, fallback: f64| {
                requests
                    .and_then(|r: &Map<String, Value>| r.get(key))
                    .and_then(Value::as_str)
                    .and_then(quantity)
                    .unwrap_or(fallback)
            };
            let share = 0.3 + (fnv(&format!("{name}/{container}")) % 1000) as f64 / 1000.0;
            let cpu = request("cpu", 0.02) * share * 1e9;
            let memory = request("memory", 64.0 * 1024.0 * 1024.0) * share;
            (container, cpu, memory)
        })
        .collect()
}

/// A quantity's value (`100m` → 0.1, `128Mi` → 134217728, `2` → 2).
pub(super) fn quantity(text: &str) -> Option<f64> {
    let suffixes: [(&str, f64); 13] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    for (suffix, factor) in suffixes {
        if let Some(number) = text.strip_suffix(suffix) {
            return number.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    text.parse().ok()
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_as_kubernetes_writes_them() {
        assert_eq!(quantity("100m"), Some(0.1));
        assert_eq!(quantity("128Mi"), Some(134_217_728.0));
        assert_eq!(quantity("2"), Some(2.0));
        assert_eq!(quantity("1500000n"), Some(0.0015));
        assert_eq!(quantity("lots"), None);
    }
}
