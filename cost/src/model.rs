//! The units every cost is written in: money (`money`), resources and their quantity and rate
//! units, windows of time, and `Figure`, a cost that always expands to quantity × hours × rate.

mod figure;
mod money;
mod window;

pub use figure::{Figure, Price, Rate, RateSource};
pub use money::{Money, split};
pub use window::Window;

use serde::{Deserialize, Serialize};

/// Hours in a month, as OpenCost and the clouds count them (8 760 / 12): a GiB-month of storage
/// costs `rate / 730` per GiB-hour.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Bytes in a GiB: memory and storage are priced per GiB (2^30 bytes), as OpenCost does.
pub const GIB: f64 = 1_073_741_824.0;

/// What a cost is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Resource {
    Cpu,
    Memory,
    Gpu,
    Storage,
}

impl Resource {
    /// The unit of a quantity held: `vCPU`, `GiB`, `GPU`.
    pub fn quantity_unit(self) -> &'static str {
        match self {
            Resource::Cpu => "vCPU",
            Resource::Memory | Resource::Storage => "GiB",
            Resource::Gpu => "GPU",
        }
    }

    /// The unit a rate is quoted per: `vCPU-hour`, `GiB-hour`, `GPU-hour`, `GiB-month`.
    pub fn rate_unit(self) -> &'static str {
        match self {
            Resource::Cpu => "vCPU-hour",
            Resource::Memory => "GiB-hour",
            Resource::Gpu => "GPU-hour",
            Resource::Storage => "GiB-month",
        }
    }

    /// Hours in one rate unit's period: 1, or 730 for storage's months.
    pub fn hours_per_rate_period(self) -> f64 {
        match self {
            Resource::Storage => HOURS_PER_MONTH,
            _ => 1.0,
        }
    }

    /// The words a page shows: `CPU`, `memory`, `GPU`, `storage`.
    pub fn label(self) -> &'static str {
        match self {
            Resource::Cpu => "CPU",
            Resource::Memory => "memory",
            Resource::Gpu => "GPU",
            Resource::Storage => "storage",
        }
    }
}

/// A number as people write it: up to `decimals` places, trailing zeros dropped (`0.031611`, `24`).
pub fn plain(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if !text.contains('.') {
        return text;
    }
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_written_out() {
        assert_eq!(Resource::Cpu.rate_unit(), "vCPU-hour");
        assert_eq!(Resource::Memory.rate_unit(), "GiB-hour");
        assert_eq!(Resource::Gpu.rate_unit(), "GPU-hour");
        assert_eq!(Resource::Storage.rate_unit(), "GiB-month");
        assert_eq!(Resource::Storage.quantity_unit(), "GiB");
    }

    #[test]
    fn plain_numbers_drop_trailing_zeros() {
        assert_eq!(plain(0.031611, 8), "0.031611");
        assert_eq!(plain(24.0, 4), "24");
        assert_eq!(plain(0.5, 4), "0.5");
        assert_eq!(plain(-0.00001, 2), "0");
    }
}
