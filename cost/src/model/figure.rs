//! A cost that explains itself: quantity × hours × rate, the rate's unit and where it came from.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Money, Resource, plain};

/// A price per unit of a resource: `0.031611` per `vCPU-hour`, `0.04` per `GiB-month`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rate {
    pub resource: Resource,
    /// In the currency, per `resource.rate_unit()`.
    pub amount: f64,
}

impl Rate {
    pub fn new(resource: Resource, amount: f64) -> Rate {
        Rate { resource, amount }
    }

    /// Per hour of one unit held (a GiB-month's rate over 730 hours).
    pub fn per_hour(&self) -> f64 {
        self.amount / self.resource.hours_per_rate_period()
    }
}

/// Where a rate came from, so every figure can say why it is what it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum RateSource {
    /// OpenCost's on-prem defaults (or the configured defaults that replace them).
    Default,
    /// The cluster's own price.
    Cluster { cluster: String },
    /// A node pool's price: nodes whose `label` is `value`.
    NodePool {
        cluster: String,
        label: String,
        value: String,
    },
    /// A storage class's price in a cluster.
    StorageClass { cluster: String, class: String },
}

impl fmt::Display for RateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateSource::Default => write!(f, "default"),
            RateSource::Cluster { cluster } => write!(f, "cluster {cluster}"),
            RateSource::NodePool { cluster, label, value } => write!(f, "node pool {label}={value} in {cluster}"),
            RateSource::StorageClass { cluster, class } => write!(f, "storage class {class} in {cluster}"),
        }
    }
}

/// A rate and where it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub rate: Rate,
    pub source: RateSource,
}

/// One cost: `quantity` (in `resource.quantity_unit()`) held for `hours` at `price`. `cost` is
/// quantity × hours × rate per hour, rounded to the micro-unit once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Figure {
    pub resource: Resource,
    pub quantity: f64,
    pub hours: f64,
    pub price: Price,
    pub cost: Money,
}

impl Figure {
    pub fn new(resource: Resource, quantity: f64, hours: f64, price: &Price) -> Figure {
        let cost = Money::from_units(quantity * hours * price.rate.per_hour());
        Figure {
            resource,
            quantity,
            hours,
            price: price.clone(),
            cost,
        }
    }

    /// Nothing held: a zero figure at `price`, so its rate still shows.
    pub fn zero(resource: Resource, price: &Price) -> Figure {
        Figure::new(resource, 0.0, 0.0, price)
    }

    /// Quantity × hours in the rate's unit: vCPU-hours, GiB-hours, GPU-hours or GiB-months.
    pub fn units(&self) -> f64 {
        self.quantity * self.hours / self.resource.hours_per_rate_period()
    }

    /// `0.5 vCPU × 24 h × USD 0.031611/vCPU-hour (default) = USD 0.38`; storage's month is spelt
    /// out: `10 GiB × 24 h × USD 0.04/GiB-month ÷ 730 h (cluster prod) = USD 0.01`.
    pub fn expand(&self, currency: &str) -> String {
        let r = self.resource;
        let month = if r.hours_per_rate_period() == 1.0 {
            String::new()
        } else {
            format!(" ÷ {} h", plain(r.hours_per_rate_period(), 0))
        };
        format!(
            "{} {} × {} h × {currency} {}/{}{month} ({}) = {}",
            plain(self.quantity, 6),
            r.quantity_unit(),
            plain(self.hours, 4),
            plain(self.price.rate.amount, 8),
            r.rate_unit(),
            self.price.source,
            self.cost.display(currency),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(resource: Resource, amount: f64, source: RateSource) -> Price {
        Price {
            rate: Rate::new(resource, amount),
            source,
        }
    }

    #[test]
    fn a_figure_expands_to_quantity_hours_and_rate() {
        let f = Figure::new(
            Resource::Cpu,
            0.5,
            24.0,
            &price(Resource::Cpu, 0.031611, RateSource::Default),
        );
        // 0.5 × 24 × 0.031611 = 0.379332
        assert_eq!(f.cost, Money(379_332));
        assert_eq!(f.units(), 12.0);
        assert_eq!(
            f.expand("USD"),
            "0.5 vCPU × 24 h × USD 0.031611/vCPU-hour (default) = USD 0.38"
        );
    }

    #[test]
    fn storage_is_priced_per_month_of_730_hours() {
        let source = RateSource::Cluster { cluster: "prod".into() };
        let f = Figure::new(Resource::Storage, 10.0, 730.0, &price(Resource::Storage, 0.04, source));
        assert_eq!(f.cost, Money(400_000));
        assert_eq!(f.units(), 10.0);
        assert_eq!(
            f.expand("USD"),
            "10 GiB × 730 h × USD 0.04/GiB-month ÷ 730 h (cluster prod) = USD 0.40"
        );
        // OpenCost's default.json writes the same price per GiB-hour: 0.00005479452.
        assert!((Rate::new(Resource::Storage, 0.04).per_hour() - 0.000_054_794_52).abs() < 1e-12);
    }

    #[test]
    fn sources_say_where_the_rate_came_from() {
        let pool = RateSource::NodePool {
            cluster: "prod".into(),
            label: "node.kubernetes.io/instance-type".into(),
            value: "g5.xlarge".into(),
        };
        assert_eq!(
            pool.to_string(),
            "node pool node.kubernetes.io/instance-type=g5.xlarge in prod"
        );
        let json = serde_json::to_value(&pool).expect("json");
        assert_eq!(json["kind"], "nodePool");
        assert_eq!(json["value"], "g5.xlarge");
    }
}
