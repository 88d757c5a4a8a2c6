//! The wizard's answers each variant is generated with.

use serde_json::{Map, Value, json};

/// One service variant: a deployment strategy, with or without a database, on one cloud.
#[derive(Clone, Debug)]
pub struct Service {
    pub template: &'static str,
    pub name: String,
    pub strategy: &'static str,
    pub database: bool,
    pub cloud: &'static str,
    pub ingress: bool,
    pub system: bool,
    pub port: u16,
    /// The error-budget gate before production (the template's default is on).
    pub gate: bool,
}

impl Service {
    pub fn label(&self) -> String {
        format!(
            "{} [{}, database {}, {}]",
            self.template, self.strategy, self.database, self.cloud
        )
    }

    /// The values as the wizard sends them.
    pub fn values(&self) -> Map<String, Value> {
        let mut values = json!({
            "name": self.name,
            "description": "Takes payments: cards and \"instant\" transfers.",
            "owner": "group:default/payments",
            "lifecycle": "production",
            "strategy": self.strategy,
            "database": self.database,
            "cloud": self.cloud,
            "port": self.port,
            "replicas": 3,
            "errorBudgetGate": self.gate,
            "repoUrl": format!("github.com?owner=Acme&repo={}", self.name),
        });
        if self.ingress {
            values["ingressHost"] = json!("payments.example.com");
        }
        if self.system {
            values["system"] = json!("system:default/checkout");
        }
        values.as_object().cloned().unwrap_or_default()
    }
}

/// Every strategy with and without a database; each cloud meets both database choices, and the
/// optional ingress and system come and go.
pub fn services(template: &'static str) -> Vec<Service> {
    let mut all = Vec::new();
    for (s, strategy) in ["rolling", "blue-green", "canary"].into_iter().enumerate() {
        for database in [false, true] {
            let odd = (s + usize::from(database)) % 2 == 1;
            all.push(Service {
                template,
                name: "payments-api".into(),
                strategy,
                database,
                cloud: if odd { "gcp" } else { "aws" },
                ingress: !odd,
                system: s != 1,
                port: if database { 9000 } else { 8080 },
                // One variant turns the gate off.
                gate: !(strategy == "canary" && database),
            });
        }
    }
    all
}

/// The Terraform module's answers for a provider.
pub fn module_values(provider: &str, versioning: bool) -> Map<String, Value> {
    json!({
        "name": "storage-bucket",
        "description": "A bucket for the team's exports.",
        "owner": "group:default/platform",
        "lifecycle": "experimental",
        "provider": provider,
        "terraformVersion": "1.6",
        "versioning": versioning,
        "repoUrl": format!("github.com?owner=Acme&repo=terraform-{provider}-storage-bucket"),
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}
