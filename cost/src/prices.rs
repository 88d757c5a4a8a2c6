//! Prices you can explain: OpenCost's on-prem defaults, replaced per cluster, per node pool (nodes
//! whose label, `node.kubernetes.io/instance-type` unless said otherwise, has a value) and per
//! storage class. Each resource is resolved on its own, so a pool that prices only GPUs keeps the
//! cluster's CPU price, and every price says where it came from. A container's rate is its node's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Price, Rate, RateSource, Resource};

/// The label node pools are told apart by unless a pool names another.
pub const INSTANCE_TYPE_LABEL: &str = "node.kubernetes.io/instance-type";

/// A full set of rates, each per its resource's rate unit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rates {
    /// Per vCPU-hour.
    pub cpu: f64,
    /// Per GiB-hour of memory.
    pub memory: f64,
    /// Per GPU-hour.
    pub gpu: f64,
    /// Per GiB-month of persistent volume capacity.
    pub storage: f64,
}

/// OpenCost's on-prem defaults (`configs/default.json`, "based on GCP us-central1"), in USD:
/// CPU 0.031611 per vCPU-hour, RAM 0.004237 per GiB-hour, GPU 0.95 per GPU-hour, storage
/// 0.00005479452 per GiB-hour, which is 0.04 per GiB-month of 730 hours.
pub const OPENCOST_DEFAULTS: Rates = Rates {
    cpu: 0.031611,
    memory: 0.004237,
    gpu: 0.95,
    storage: 0.04,
};

impl Default for Rates {
    fn default() -> Self {
        OPENCOST_DEFAULTS
    }
}

impl Rates {
    pub fn get(&self, resource: Resource) -> f64 {
        match resource {
            Resource::Cpu => self.cpu,
            Resource::Memory => self.memory,
            Resource::Gpu => self.gpu,
            Resource::Storage => self.storage,
        }
    }
}

/// Some rates replaced, the rest inherited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateOverrides {
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
    pub gpu: Option<f64>,
    pub storage: Option<f64>,
}

impl RateOverrides {
    pub fn get(&self, resource: Resource) -> Option<f64> {
        match resource {
            Resource::Cpu => self.cpu,
            Resource::Memory => self.memory,
            Resource::Gpu => self.gpu,
            Resource::Storage => self.storage,
        }
    }
}

/// A node pool's prices: nodes whose `label` is `value`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePool {
    #[serde(default = "instance_type_label")]
    pub label: String,
    pub value: String,
    #[serde(flatten)]
    pub rates: RateOverrides,
}

fn instance_type_label() -> String {
    INSTANCE_TYPE_LABEL.to_string()
}

/// One cluster's prices.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPrices {
    #[serde(flatten)]
    pub rates: RateOverrides,
    /// Tried in order; the first pool a node matches prices it.
    #[serde(default)]
    pub node_pools: Vec<NodePool>,
    /// Per GiB-month, by storage class name.
    #[serde(default)]
    pub storage_classes: BTreeMap<String, f64>,
}

/// Every price Cairn uses: the currency, the defaults and each cluster's overrides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceSettings {
    /// ISO 4217 code the rates are in and every figure is shown in.
    #[serde(default = "usd")]
    pub currency: String,
    #[serde(default)]
    pub defaults: Rates,
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterPrices>,
}

fn usd() -> String {
    "USD".to_string()
}

impl Default for PriceSettings {
    fn default() -> Self {
        PriceSettings {
            currency: usd(),
            defaults: OPENCOST_DEFAULTS,
            clusters: BTreeMap::new(),
        }
    }
}

/// A node's prices for what it offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePrices {
    pub cpu: Price,
    pub memory: Price,
    pub gpu: Price,
}

/// Settings that cannot price anything.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriceError {
    #[error("currency '{0}' is not an ISO 4217 code (three capital letters, such as USD or EUR)")]
    Currency(String),
    #[error("{place}: the {resource} rate {value} must be a number of at least 0")]
    Rate {
        place: String,
        resource: &'static str,
        value: f64,
    },
}

impl PriceSettings {
    /// Checks the currency and that every rate is a finite number ≥ 0.
    pub fn validate(&self) -> Result<(), PriceError> {
        let c = &self.currency;
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(PriceError::Currency(c.clone()));
        }
        let all = [Resource::Cpu, Resource::Memory, Resource::Gpu, Resource::Storage];
        for r in all {
            check("defaults", r, Some(self.defaults.get(r)))?;
        }
        for (name, cluster) in &self.clusters {
            for r in all {
                check(&format!("cluster {name}"), r, cluster.rates.get(r))?;
            }
            for pool in &cluster.node_pools {
                for r in all {
                    check(
                        &format!("cluster {name}, node pool {}={}", pool.label, pool.value),
                        r,
                        pool.rates.get(r),
                    )?;
                }
            }
            for (class, rate) in &cluster.storage_classes {
                check(
                    &format!("cluster {name}, storage class {class}"),
                    Resource::Storage,
                    Some(*rate),
                )?;
            }
        }
        Ok(())
    }

    /// The prices of a node of `cluster` with `labels`: its pool's, else the cluster's, else the
    /// defaults, resource by resource.
    pub fn node_prices(&self, cluster: &str, labels: &BTreeMap<String, String>) -> NodePrices {
        let settings = self.clusters.get(cluster);
        let pool = settings.and_then(|s| s.node_pools.iter().find(|p| labels.get(&p.label) == Some(&p.value)));
        let price = |resource: Resource| {
            if let Some(p) = pool
                && let Some(amount) = p.rates.get(resource)
            {
                let source = RateSource::NodePool {
                    cluster: cluster.to_string(),
                    label: p.label.clone(),
                    value: p.value.clone(),
                };
                return Price {
                    rate: Rate::new(resource, amount),
                    source,
                };
            }
            self.cluster_price(cluster, resource)
        };
        NodePrices {
            cpu: price(Resource::Cpu),
            memory: price(Resource::Memory),
            gpu: price(Resource::Gpu),
        }
    }

    /// The price of a GiB-month of a volume of `class` in `cluster`.
    pub fn storage_price(&self, cluster: &str, class: Option<&str>) -> Price {
        let by_class = class.and_then(|c| self.clusters.get(cluster)?.storage_classes.get(c).map(|r| (c, *r)));
        match by_class {
            Some((class, amount)) => Price {
                rate: Rate::new(Resource::Storage, amount),
                source: RateSource::StorageClass {
                    cluster: cluster.to_string(),
                    class: class.to_string(),
                },
            },
            None => self.cluster_price(cluster, Resource::Storage),
        }
    }

    fn cluster_price(&self, cluster: &str, resource: Resource) -> Price {
        match self.clusters.get(cluster).and_then(|s| s.rates.get(resource)) {
            Some(amount) => Price {
                rate: Rate::new(resource, amount),
                source: RateSource::Cluster {
                    cluster: cluster.to_string(),
                },
            },
            None => Price {
                rate: Rate::new(resource, self.defaults.get(resource)),
                source: RateSource::Default,
            },
        }
    }
}

fn check(place: &str, resource: Resource, value: Option<f64>) -> Result<(), PriceError> {
    match value {
        Some(v) if !v.is_finite() || v < 0.0 => Err(PriceError::Rate {
            place: place.to_string(),
            resource: resource.label(),
            value: v,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> PriceSettings {
        serde_json::from_value(serde_json::json!({
            "currency": "EUR",
            "clusters": {
                "prod": {
                    "cpu": 0.02,
                    "nodePools": [
                        { "value": "g5.xlarge", "gpu": 1.006 },
                        { "label": "cloud.google.com/gke-nodepool", "value": "big", "cpu": 0.025, "memory": 0.003 }
                    ],
                    "storageClasses": { "fast": 0.17 }
                }
            }
        }))
        .expect("settings")
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_opencosts() {
        let p = PriceSettings::default();
        assert_eq!(p.currency, "USD");
        let node = p.node_prices("any", &BTreeMap::new());
        assert_eq!(node.cpu.rate.amount, 0.031611);
        assert_eq!(node.memory.rate.amount, 0.004237);
        assert_eq!(node.gpu.rate.amount, 0.95);
        assert_eq!(node.cpu.source, RateSource::Default);
        assert_eq!(p.storage_price("any", None).rate.amount, 0.04);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn each_resource_comes_from_the_nearest_override() {
        let p = settings();
        let gpu_node = p.node_prices("prod", &labels(&[(INSTANCE_TYPE_LABEL, "g5.xlarge")]));
        assert_eq!(gpu_node.gpu.rate.amount, 1.006);
        assert!(matches!(&gpu_node.gpu.source, RateSource::NodePool { value, .. } if value == "g5.xlarge"));
        assert_eq!(gpu_node.cpu.rate.amount, 0.02);
        assert_eq!(gpu_node.cpu.source, RateSource::Cluster { cluster: "prod".into() });
        assert_eq!(gpu_node.memory.source, RateSource::Default);

        let big = p.node_prices("prod", &labels(&[("cloud.google.com/gke-nodepool", "big")]));
        assert_eq!((big.cpu.rate.amount, big.memory.rate.amount), (0.025, 0.003));
        // Another cluster's pools and prices do not apply.
        let other = p.node_prices("staging", &labels(&[(INSTANCE_TYPE_LABEL, "g5.xlarge")]));
        assert_eq!(other.gpu.source, RateSource::Default);
    }

    #[test]
    fn storage_by_class_then_cluster_then_default() {
        let p = settings();
        let fast = p.storage_price("prod", Some("fast"));
        assert_eq!(fast.rate.amount, 0.17);
        assert_eq!(
            fast.source,
            RateSource::StorageClass {
                cluster: "prod".into(),
                class: "fast".into()
            }
        );
        assert_eq!(p.storage_price("prod", Some("slow")).source, RateSource::Default);
    }

    #[test]
    fn bad_settings_are_named() {
        let mut p = settings();
        assert!(p.validate().is_ok());
        p.currency = "euro".into();
        assert!(matches!(p.validate(), Err(PriceError::Currency(_))));
        p.currency = "EUR".into();
        p.clusters.get_mut("prod").expect("prod").node_pools[0].rates.gpu = Some(-1.0);
        let err = p.validate().expect_err("negative");
        assert_eq!(
            err.to_string(),
            "cluster prod, node pool node.kubernetes.io/instance-type=g5.xlarge: the GPU rate -1 must be a number of at least 0"
        );
        let unknown = serde_json::from_value::<PriceSettings>(
            serde_json::json!({ "defaults": { "cpu": 1, "memory": 1, "gpu": 1, "storage": 1, "ram": 2 } }),
        );
        assert!(unknown.is_err());
    }
}
