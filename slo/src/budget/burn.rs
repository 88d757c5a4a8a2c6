//! Burn rates (how many times faster than sustainable the budget is being spent) and the
//! multi-window multi-burn-rate alerts of the SRE workbook: a page when 1 h and 5 m both burn
//! above 14.4× (2% of a 30-day budget in an hour) or 6 h and 30 m above 6× (5% in 6 h); a ticket
//! when 1 d and 2 h burn above 3× (10% in a day) or 3 d and 6 h above 1×. The short window lets
//! an alert stop soon after the burn does. The factors are kept whatever the SLO's window, as
//! multiples of the sustainable rate.

use serde::{Deserialize, Serialize};

use super::buckets::Buckets;

/// The burn-rate windows reported, in seconds: 5 m, 30 m, 1 h, 2 h, 6 h, 1 d, 3 d.
pub const BURN_WINDOWS: [i64; 7] = [300, 1_800, 3_600, 7_200, 21_600, 86_400, 259_200];

/// Severity of a multi-window alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AlertLevel {
    Ticket,
    Page,
}

/// One multi-window rule: fires when both windows burn above `factor`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub level: AlertLevel,
    pub long_seconds: i64,
    pub short_seconds: i64,
    pub factor: f64,
}

/// The four rules, pages first.
pub const MULTI_WINDOW_RULES: [Rule; 4] = [
    Rule {
        level: AlertLevel::Page,
        long_seconds: 3_600,
        short_seconds: 300,
        factor: 14.4,
    },
    Rule {
        level: AlertLevel::Page,
        long_seconds: 21_600,
        short_seconds: 1_800,
        factor: 6.0,
    },
    Rule {
        level: AlertLevel::Ticket,
        long_seconds: 86_400,
        short_seconds: 7_200,
        factor: 3.0,
    },
    Rule {
        level: AlertLevel::Ticket,
        long_seconds: 259_200,
        short_seconds: 21_600,
        factor: 1.0,
    },
];

/// The burn rate over the last `seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BurnRate {
    pub seconds: i64,
    /// Bad events over total events, over the error budget's fraction; `None` without events.
    pub rate: Option<f64>,
    pub bad: f64,
    pub total: f64,
}

/// One rule's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleState {
    pub rule: Rule,
    pub long: Option<f64>,
    pub short: Option<f64>,
    pub firing: bool,
}

/// The alerts as they stand: the highest level firing, and each rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertState {
    pub firing: Option<AlertLevel>,
    pub rules: Vec<RuleState>,
}

/// The burn rate over `[end - seconds, end)`.
pub fn burn_rate(buckets: &Buckets, end: i64, seconds: i64, objective: f64) -> BurnRate {
    let sum = buckets.sum(end - seconds, end);
    let allowed = 1.0 - objective;
    BurnRate {
        seconds,
        rate: (sum.total > 0.0).then(|| sum.bad() / sum.total / allowed),
        bad: sum.bad(),
        total: sum.total,
    }
}

/// The multi-window rules evaluated at `end`.
pub fn alert_state(buckets: &Buckets, end: i64, objective: f64) -> AlertState {
    let rules: Vec<RuleState> = MULTI_WINDOW_RULES
        .iter()
        .map(|rule| {
            let long = burn_rate(buckets, end, rule.long_seconds, objective).rate;
            let short = burn_rate(buckets, end, rule.short_seconds, objective).rate;
            let above = |r: Option<f64>| r.is_some_and(|r| r > rule.factor);
            RuleState {
                rule: *rule,
                long,
                short,
                firing: above(long) && above(short),
            }
        })
        .collect();
    AlertState {
        firing: rules.iter().filter(|r| r.firing).map(|r| r.rule.level).max(),
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::buckets::Count;

    /// Three days of 5-minute steps with 1 000 events each; `bad(i)` bad events in step i.
    fn three_days(bad: impl Fn(usize) -> f64) -> Buckets {
        let steps = 3 * 288;
        let counts = (0..steps)
            .map(|i| {
                Some(Count {
                    good: 1_000.0 - bad(i),
                    total: 1_000.0,
                })
            })
            .collect();
        Buckets::new(0, 300, counts).expect("test data")
    }

    #[test]
    fn burn_rate_is_the_error_ratio_over_the_allowed_one() {
        let b = three_days(|_| 1.0);
        let r = burn_rate(&b, b.end(), 3_600, 0.999);
        assert_eq!((r.bad, r.total), (12.0, 12_000.0));
        assert!((r.rate.expect("test data") - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_sharp_recent_outage_pages_and_a_slow_leak_tickets() {
        // The last hour all bad at 2% errors: 20× in 1 h and 5 m → page (not 6 h: 20/6 < 6).
        let steps = 3 * 288;
        let b = three_days(|i| if i >= steps - 12 { 20.0 } else { 0.0 });
        let state = alert_state(&b, b.end(), 0.999);
        assert_eq!(state.firing, Some(AlertLevel::Page));
        assert!(state.rules[0].firing && !state.rules[1].firing);
        // 0.2% errors for three days: 2× everywhere → the 3 d / 6 h ticket only.
        let b = three_days(|_| 2.0);
        let state = alert_state(&b, b.end(), 0.999);
        assert_eq!(state.firing, Some(AlertLevel::Ticket));
        assert_eq!(state.rules.iter().filter(|r| r.firing).count(), 1);
        assert!(state.rules[3].firing);
    }

    #[test]
    fn an_outage_that_stopped_no_longer_pages() {
        // 100% errors 40 to 10 minutes ago, clean since: 1 h burns hot, 5 m does not.
        let steps = 3 * 288;
        let b = three_days(|i| {
            if (steps - 8..steps - 2).contains(&i) {
                1_000.0
            } else {
                0.0
            }
        });
        let state = alert_state(&b, b.end(), 0.999);
        assert!(state.rules[0].long.expect("test data") > 14.4);
        assert_eq!(state.rules[0].short, Some(0.0));
        assert!(!state.rules[0].firing);
    }

    #[test]
    fn no_traffic_has_no_burn_rate_and_fires_nothing() {
        let b = Buckets::new(0, 300, vec![None; 900]).expect("test data");
        let state = alert_state(&b, b.end(), 0.99);
        assert_eq!(state.firing, None);
        assert!(state.rules.iter().all(|r| r.long.is_none()));
    }
}
