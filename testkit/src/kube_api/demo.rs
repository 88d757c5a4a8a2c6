//! The demo's simulated cluster (`kube-api --demo`, started by the portal when its configuration
//! has a `demo:` section): the Northwind services of `catalog/demo/northwind` as Deployments
//! labelled `backstage.io/kubernetes-id` so their entities claim them, on the wall clock, and
//! a live script (`script`) that deploys, fails and rolls back, crash-loops and autoscales, and
//! a Pyrra `ServiceLevelObjective` per service over the demo Prometheus' `http_requests_total`
//! (`prometheus-fixture --northwind`).
//!
//! Versions carry a stamp of the cluster's start, and revisions start from it, so a restarted
//! demo never brings back an image an earlier run ran (the rollout history would call that a
//! rollback) nor a revision number below one it recorded.

mod script;

use serde_json::{Value, json};

use super::scenarios::Outcome;
use super::{KubeApi, State, infrastructure};

pub use script::{Episode, Script, Step};

/// A Northwind service as the demo cluster runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    /// Its Deployment's name and `backstage.io/kubernetes-id` (the entity's annotation).
    pub name: &'static str,
    pub namespace: &'static str,
    pub replicas: usize,
    /// `(major, minor)` of its first version.
    pub version: (u32, u32),
    /// It has a HorizontalPodAutoscaler (`<name>`), which the script moves.
    pub autoscaled: bool,
}

const fn service(name: &'static str, namespace: &'static str, replicas: usize, version: (u32, u32)) -> Service {
    Service {
        name,
        namespace,
        replicas,
        version,
        autoscaled: false,
    }
}

const fn autoscaled(name: &'static str, namespace: &'static str, replicas: usize, version: (u32, u32)) -> Service {
    Service {
        autoscaled: true,
        ..service(name, namespace, replicas, version)
    }
}

/// Every Northwind component with a `backstage.io/kubernetes-id` (a test keeps the two in step).
pub const NORTHWIND: &[Service] = &[
    autoscaled("storefront-web", "commerce", 3, (4, 12)),
    service("reviews-service", "commerce", 1, (0, 9)),
    service("product-catalog-service", "commerce", 3, (3, 4)),
    service("search-service", "commerce", 2, (2, 17)),
    service("search-indexer", "commerce", 1, (2, 17)),
    service("catalog-admin-web", "commerce", 1, (1, 6)),
    service("cart-service", "commerce", 2, (5, 1)),
    autoscaled("checkout-service", "commerce", 3, (7, 3)),
    service("payments-service", "commerce", 3, (6, 8)),
    service("fraud-scoring-service", "commerce", 1, (0, 4)),
    service("fulfilment-orchestrator", "fulfilment", 2, (3, 2)),
    service("shipping-service", "fulfilment", 2, (2, 11)),
    service("customer-notifier", "fulfilment", 1, (1, 20)),
    service("returns-portal", "fulfilment", 1, (0, 7)),
    service("inventory-service", "fulfilment", 2, (4, 0)),
    service("warehouse-scanner-gateway", "fulfilment", 2, (1, 3)),
    service("stock-reconciler", "fulfilment", 1, (1, 14)),
    service("auth-service", "identity", 3, (9, 2)),
    service("customer-profile-service", "identity", 2, (3, 9)),
    service("login-web", "identity", 2, (2, 5)),
    service("developer-portal", "platform", 1, (1, 0)),
    service("feature-flag-service", "platform", 2, (2, 3)),
    autoscaled("api-gateway", "platform", 3, (5, 6)),
    service("telemetry-collector", "platform", 2, (0, 31)),
];

/// The nodes the demo's pods run on (the scenarios' `worker-1`…`worker-3`), 4 vCPU and 16 GiB
/// each: what the cluster costs.
const NODES: [&str; 3] = ["worker-1", "worker-2", "worker-3"];

/// Services keeping data in a claim of their own (`<name>-data`, `gp3`), of so many GiB.
const CLAIMS: &[(&str, &str, u32)] = &[
    ("commerce", "search-indexer", 50),
    ("fulfilment", "stock-reconciler", 10),
];

/// `registry.northwind.example/<name>:<major>.<minor>.<patch>-<run>`: `run` tells this start's
/// versions from an earlier one's.
pub fn image(service: &Service, (major, minor, patch): (u32, u32, u32), run: &str) -> String {
    format!(
        "registry.northwind.example/{}:{major}.{minor}.{patch}-{run}",
        service.name
    )
}

impl KubeApi {
    /// The Northwind services, running their first version; from now on the cluster stamps the
    /// wall clock's time. `run` (a few letters or digits) names this start in every version.
    pub fn load_demo(&self, run: &str, first_revision: u64) -> Result<(), String> {
        let mut state = self.state();
        state.live_clock = true;
        state.simulated_usage = true;
        for node in NODES {
            state.apply(infrastructure::node(node, "m5.xlarge", 4, 16, 0))?;
        }
        for (namespace, service, gib) in CLAIMS {
            let claim = format!("{service}-data");
            state.apply(infrastructure::volume(namespace, &claim, "gp3", *gib))?;
            state.apply(infrastructure::claim(namespace, &claim, "gp3", *gib))?;
        }
        for (i, service) in NORTHWIND.iter().enumerate() {
            state.add_service(service, run, first_revision)?;
            state.apply(objective(service, i))?;
        }
        Ok(())
    }
}

/// A stamp for this start (base 36 of the minutes since 1970) and the first revision (those
/// minutes): both grow from one start to the next.
pub fn run_stamp(now: std::time::SystemTime) -> (String, u64) {
    let minutes = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 60);
    let mut stamp = String::new();
    let mut rest = minutes;
    while rest > 0 || stamp.is_empty() {
        let digit = (rest % 36) as u32;
        stamp.insert(0, char::from_digit(digit, 36).unwrap_or('0'));
        rest /= 36;
    }
    (stamp, minutes.max(1))
}

impl State {
    fn add_service(&mut self, service: &Service, run: &str, first_revision: u64) -> Result<(), String> {
        let (name, namespace) = (service.name, service.namespace);
        let labels = json!({
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/part-of": "northwind",
            "backstage.io/kubernetes-id": name,
        });
        let created = self.seconds_ago(14 * 86_400);
        let mut template_spec = json!({ "containers": [{
            "name": "app", "image": "", "ports": [{ "containerPort": 8080, "protocol": "TCP" }],
            "resources": { "requests": { "cpu": "100m", "memory": "128Mi" } },
        }] });
        if CLAIMS.iter().any(|(ns, s, _)| *ns == namespace && *s == name) {
            infrastructure::mount_claim(&mut template_spec, &format!("{name}-data"));
        }
        self.apply(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": name, "namespace": namespace, "generation": 1, "labels": labels,
                "annotations": { "deployment.kubernetes.io/revision": "0" }, "creationTimestamp": created,
            },
            "spec": {
                "replicas": service.replicas,
                "selector": { "matchLabels": { "app.kubernetes.io/name": name } },
                "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": "25%", "maxUnavailable": "25%" } },
                "template": { "metadata": { "labels": labels }, "spec": template_spec },
            },
            "status": {},
        }))?;
        let (major, minor) = service.version;
        self.roll_out(
            namespace,
            name,
            &image(service, (major, minor, 0), run),
            Outcome::Complete,
        )?;
        // Revisions continue from the last start's, as they would on a real cluster.
        let revision = first_revision.to_string();
        let mut deployment = self.object("deployments.apps", namespace, name)?;
        let mut set = self.current_replica_set(&deployment)?;
        set["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = revision.clone().into();
        deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = revision.into();
        self.apply(set)?;
        self.apply(deployment)?;
        if service.autoscaled {
            self.apply(autoscaler(service, &labels))?;
        }
        Ok(())
    }
}

/// The service's availability SLO, as a team using Pyrra would keep it in the cluster: 99.9% of
/// requests over 7 days (99.5% for every third service), tied to the entity by its label.
fn objective(service: &Service, index: usize) -> Value {
    let name = service.name;
    let target = if index % 3 == 2 { "99.5" } else { "99.9" };
    json!({
        "apiVersion": "pyrra.dev/v1alpha1", "kind": "ServiceLevelObjective",
        "metadata": {
            "name": format!("{name}-availability"), "namespace": service.namespace,
            "labels": { "backstage.io/kubernetes-id": name, "pyrra.dev/service": name },
        },
        "spec": {
            "target": target, "window": "7d",
            "description": format!("Requests to {name} that do not fail with a server error."),
            "indicator": { "ratio": {
                "errors": { "metric": format!("http_requests_total{{service=\"{name}\",code=\"500\"}}") },
                "total": { "metric": format!("http_requests_total{{service=\"{name}\"}}") },
            } },
        },
    })
}

fn autoscaler(service: &Service, labels: &Value) -> Value {
    json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": { "name": service.name, "namespace": service.namespace, "labels": labels },
        "spec": {
            "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": service.name },
            "minReplicas": service.replicas, "maxReplicas": service.replicas * 3,
            "metrics": [{ "type": "Resource", "resource": {
                "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 70 },
            }}],
        },
        "status": {
            "currentReplicas": service.replicas, "desiredReplicas": service.replicas,
            "currentMetrics": [{ "type": "Resource", "resource": { "name": "cpu", "current": { "averageUtilization": 45 } } }],
        },
    })
}
