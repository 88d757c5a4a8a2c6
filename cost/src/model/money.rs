//! Money as whole micro-units (millionths) of the configured currency: sums and splits are exact
//! integers, so what is shared out adds up to what was shared, to the micro-unit. Figures are
//! rounded once, from quantity × hours × rate, to the nearest micro-unit.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use serde::{Deserialize, Serialize};

const MICROS_PER_UNIT: f64 = 1_000_000.0;

/// An amount in micro-units of the report's currency (may be negative: idle is when usage above
/// requests outgrows a node).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// The nearest micro-unit to an amount in currency units (`0.379332` → 379 332).
    pub fn from_units(units: f64) -> Money {
        if !units.is_finite() {
            return Money::ZERO;
        }
        Money((units * MICROS_PER_UNIT).round() as i64)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// In currency units, for JSON numbers and charts.
    pub fn units(self) -> f64 {
        self.0 as f64 / MICROS_PER_UNIT
    }

    /// Rounded to whole cents, half away from zero (379 332 micros → 38).
    pub fn cents(self) -> i64 {
        let micros = self.0;
        let cents = micros / 10_000;
        let rest = micros % 10_000;
        if rest >= 5_000 {
            cents + 1
        } else if rest <= -5_000 {
            cents - 1
        } else {
            cents
        }
    }

    /// `USD 12.34`: the amount to the cent with its currency.
    pub fn display(self, currency: &str) -> String {
        format!("{currency} {self}")
    }
}

/// To the cent: `12.34`, `-0.05`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cents = self.cents();
        let sign = if cents < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        self.0 += other.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0 - other.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, other: Money) {
        self.0 -= other.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

/// Splits `total` in proportion to `weights` (negative weights count as 0; all zero: evenly) so
/// that the parts add up to `total` exactly: each part is rounded down, and the micro-units left
/// go to the largest remainders (ties to the earliest). Empty `weights`: nothing to give, `[]`.
pub fn split(total: Money, weights: &[f64]) -> Vec<Money> {
    if weights.is_empty() {
        return Vec::new();
    }
    let clean: Vec<f64> = weights
        .iter()
        .map(|w| if w.is_finite() && *w > 0.0 { *w } else { 0.0 })
        .collect();
    let sum: f64 = clean.iter().sum();
    let even = sum <= 0.0;
    let shares: Vec<f64> = clean
        .iter()
        .map(|w| if even { 1.0 / clean.len() as f64 } else { w / sum })
        .collect();
    let magnitude = total.0.unsigned_abs() as f64;
    let exact: Vec<f64> = shares.iter().map(|s| s * magnitude).collect();
    let mut parts: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let given: i64 = parts.iter().sum();
    let mut left = total.0.abs() - given;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    // Floating error can leave the floors a little over or under: walk the remainders until even.
    let mut i = 0;
    while left != 0 {
        let index = order[i % order.len()];
        if left > 0 {
            parts[index] += 1;
            left -= 1;
        } else if parts[index] > 0 {
            parts[index] -= 1;
            left += 1;
        }
        i += 1;
    }
    let sign = if total.0 < 0 { -1 } else { 1 };
    parts.into_iter().map(|p| Money(p * sign)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_micros_and_cents() {
        let m = Money::from_units(0.379_332_4);
        assert_eq!(m.micros(), 379_332);
        assert_eq!(m.cents(), 38);
        assert_eq!(m.to_string(), "0.38");
        assert_eq!(Money(-5_000).cents(), -1);
        assert_eq!(Money(-4_999).to_string(), "0.00");
        assert_eq!(Money(-125_000).to_string(), "-0.13");
        assert_eq!(Money(12_345_678).display("EUR"), "EUR 12.35");
    }

    #[test]
    fn splits_add_up_exactly() {
        let parts = split(Money(100), &[1.0, 1.0, 1.0]);
        assert_eq!(parts, vec![Money(34), Money(33), Money(33)]);
        let parts = split(Money(-100), &[1.0, 2.0]);
        assert_eq!(parts.iter().sum::<Money>(), Money(-100));
        assert_eq!(parts, vec![Money(-33), Money(-67)]);
        let parts = split(Money(7), &[0.0, 0.0]);
        assert_eq!(parts, vec![Money(4), Money(3)]);
        assert!(split(Money(7), &[]).is_empty());
        let weights: Vec<f64> = (1..=97).map(|w| w as f64 * 0.37).collect();
        let parts = split(Money(123_456_789), &weights);
        assert_eq!(parts.iter().sum::<Money>(), Money(123_456_789));
    }
}
