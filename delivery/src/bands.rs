//! DORA's performance tiers as its State of DevOps reports published them, per report year, and
//! where a measured value falls among them. Pure data (compiles to wasm). A tier is never shown
//! without the year it comes from: the tiers are clusters of that year's survey answers and move
//! from year to year. 2022 had three clusters and no elite (not offered); 2025 dropped the tiers.
//!
//! Units: deployment frequency in deployments per day; lead time and recovery time in seconds;
//! change failure rate as a fraction (0.15 = 15%). Ranges are `[from, to)`: a value on a boundary
//! belongs to the range that starts there.
//!
//! Sources (the reports' "software delivery performance" tables):
//! - 2021 (Accelerate State of DevOps 2021): elite/high/medium/low, change failure rate as ranges.
//! - 2023 (Accelerate State of DevOps 2023): change failure rate as each cluster's typical rate.
//! - 2024 (Accelerate State of DevOps 2024): change failure rate as each cluster's typical rate;
//!   the medium cluster's rate (10%) is lower than the high cluster's (20%), as published.
//!
//! Checked against public restatements of the tables: 2021 and 2023 completely; 2024's deployment
//! frequency, lead time and the elite (5%) and high (20%) change failure rates. 2024's medium (10%)
//! and low (40%) change failure rates and its recovery times (elite < 1 hour, high and medium
//! < 1 day, low 1 week to 1 month) are as recalled from the report and could not be confirmed
//! against a second source here.

use serde::{Deserialize, Serialize};

const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;
const WEEK: f64 = 7.0 * DAY;
const MONTH: f64 = 30.0 * DAY;
const SIX_MONTHS: f64 = 182.5 * DAY;

/// A report year the page may compare against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Year {
    Y2021,
    Y2023,
    Y2024,
    /// The 2025 report has no tiers: raw values only.
    Y2025,
}

impl Year {
    pub const ALL: [Year; 4] = [Year::Y2021, Year::Y2023, Year::Y2024, Year::Y2025];
    /// What pages use when nothing is chosen: the latest report with tiers.
    pub const DEFAULT: Year = Year::Y2024;

    pub fn number(self) -> u16 {
        match self {
            Year::Y2021 => 2021,
            Year::Y2023 => 2023,
            Year::Y2024 => 2024,
            Year::Y2025 => 2025,
        }
    }

    pub fn parse(text: &str) -> Option<Year> {
        Year::ALL.into_iter().find(|y| y.number().to_string() == text)
    }

    /// The report's name, as it is cited next to every tier.
    pub fn report(self) -> String {
        format!("DORA State of DevOps {}", self.number())
    }

    pub fn has_tiers(self) -> bool {
        self != Year::Y2025
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tier {
    Elite,
    High,
    Medium,
    Low,
}

impl Tier {
    pub fn label(self) -> &'static str {
        match self {
            Tier::Elite => "Elite",
            Tier::High => "High",
            Tier::Medium => "Medium",
            Tier::Low => "Low",
        }
    }
}

/// The four metrics the reports tier (rework rate is new in 2024 and has no tiers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    /// Deployments per day; higher is better.
    DeploymentFrequency,
    /// Seconds; lower is better.
    LeadTime,
    /// A fraction; lower is better.
    ChangeFailureRate,
    /// Seconds; lower is better.
    RecoveryTime,
}

/// What a report says about one tier of one metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Figure {
    /// A range, `[from, to)`; None is open.
    Range { from: Option<f64>, to: Option<f64> },
    /// The cluster's typical value (the report gives no range).
    Typical(f64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    pub tier: Tier,
    pub figure: Figure,
    /// The report's words.
    pub wording: &'static str,
}

const fn range(tier: Tier, from: Option<f64>, to: Option<f64>, wording: &'static str) -> Band {
    Band {
        tier,
        figure: Figure::Range { from, to },
        wording,
    }
}

const fn typical(tier: Tier, value: f64, wording: &'static str) -> Band {
    Band {
        tier,
        figure: Figure::Typical(value),
        wording,
    }
}

use Tier::{Elite, High, Low, Medium};

const ON_DEMAND: &str = "on demand (multiple deploys per day)";
const DAILY_WEEKLY: &str = "between once per day and once per week";
const WEEKLY_MONTHLY: &str = "between once per week and once per month";
const MONTHLY_HALF_YEARLY: &str = "between once per month and once every six months";

const FREQUENCY_2021: [Band; 4] = [
    range(Elite, Some(1.0), None, ON_DEMAND),
    range(High, Some(1.0 / 30.0), Some(1.0 / 7.0), WEEKLY_MONTHLY),
    range(Medium, Some(1.0 / 182.5), Some(1.0 / 30.0), MONTHLY_HALF_YEARLY),
    range(Low, Some(0.0), Some(1.0 / 182.5), "fewer than once every six months"),
];
const LEAD_2021: [Band; 4] = [
    range(Elite, Some(0.0), Some(HOUR), "less than one hour"),
    range(High, Some(DAY), Some(WEEK), "between one day and one week"),
    range(
        Medium,
        Some(MONTH),
        Some(SIX_MONTHS),
        "between one month and six months",
    ),
    range(Low, Some(SIX_MONTHS), None, "more than six months"),
];
const FAILURE_2021: [Band; 4] = [
    range(Elite, Some(0.0), Some(0.16), "0–15%"),
    range(High, Some(0.16), Some(0.31), "16–30%"),
    range(Medium, Some(0.16), Some(0.31), "16–30%"),
    range(Low, Some(0.16), Some(0.31), "16–30%"),
];
const RECOVERY_2021: [Band; 4] = [
    range(Elite, Some(0.0), Some(HOUR), "less than one hour"),
    range(High, Some(HOUR), Some(DAY), "less than one day"),
    range(Medium, Some(DAY), Some(WEEK), "between one day and one week"),
    range(Low, Some(SIX_MONTHS), None, "more than six months"),
];

const FREQUENCY_2023: [Band; 4] = [
    range(Elite, Some(1.0), None, ON_DEMAND),
    range(High, Some(1.0 / 7.0), Some(1.0), DAILY_WEEKLY),
    range(Medium, Some(1.0 / 30.0), Some(1.0 / 7.0), WEEKLY_MONTHLY),
    range(Low, Some(1.0 / 30.0), Some(1.0 / 7.0), WEEKLY_MONTHLY),
];
const LEAD_2023: [Band; 4] = [
    range(Elite, Some(0.0), Some(DAY), "less than one day"),
    range(High, Some(DAY), Some(WEEK), "between one day and one week"),
    range(Medium, Some(WEEK), Some(MONTH), "between one week and one month"),
    range(Low, Some(WEEK), Some(MONTH), "between one week and one month"),
];
const FAILURE_2023: [Band; 4] = [
    typical(Elite, 0.05, "5%"),
    typical(High, 0.10, "10%"),
    typical(Medium, 0.15, "15%"),
    typical(Low, 0.64, "64%"),
];
const RECOVERY_2023: [Band; 4] = [
    range(Elite, Some(0.0), Some(HOUR), "less than one hour"),
    range(High, Some(HOUR), Some(DAY), "less than one day"),
    range(Medium, Some(DAY), Some(WEEK), "between one day and one week"),
    range(Low, Some(MONTH), Some(SIX_MONTHS), "between one month and six months"),
];

const FREQUENCY_2024: [Band; 4] = [
    range(Elite, Some(1.0), None, ON_DEMAND),
    range(High, Some(1.0 / 7.0), Some(1.0), DAILY_WEEKLY),
    range(Medium, Some(1.0 / 30.0), Some(1.0 / 7.0), WEEKLY_MONTHLY),
    range(Low, Some(1.0 / 182.5), Some(1.0 / 30.0), MONTHLY_HALF_YEARLY),
];
const LEAD_2024: [Band; 4] = [
    range(Elite, Some(0.0), Some(DAY), "less than one day"),
    range(High, Some(DAY), Some(WEEK), "between one day and one week"),
    range(Medium, Some(WEEK), Some(MONTH), "between one week and one month"),
    range(Low, Some(MONTH), Some(SIX_MONTHS), "between one month and six months"),
];
// Medium's and low's rates: as recalled from the report, not confirmed (see the module's doc).
const FAILURE_2024: [Band; 4] = [
    typical(Elite, 0.05, "5%"),
    typical(High, 0.20, "20%"),
    typical(Medium, 0.10, "10%"),
    typical(Low, 0.40, "40%"),
];
// As recalled from the report, not confirmed (see the module's doc).
const RECOVERY_2024: [Band; 4] = [
    range(Elite, Some(0.0), Some(HOUR), "less than one hour"),
    range(High, Some(HOUR), Some(DAY), "less than one day"),
    range(Medium, Some(HOUR), Some(DAY), "less than one day"),
    range(Low, Some(WEEK), Some(MONTH), "between one week and one month"),
];

/// The tiers `year` published for `metric`, best first (none for 2025).
pub fn bands(year: Year, metric: Metric) -> &'static [Band] {
    use Metric::*;
    match (year, metric) {
        (Year::Y2021, DeploymentFrequency) => &FREQUENCY_2021,
        (Year::Y2021, LeadTime) => &LEAD_2021,
        (Year::Y2021, ChangeFailureRate) => &FAILURE_2021,
        (Year::Y2021, RecoveryTime) => &RECOVERY_2021,
        (Year::Y2023, DeploymentFrequency) => &FREQUENCY_2023,
        (Year::Y2023, LeadTime) => &LEAD_2023,
        (Year::Y2023, ChangeFailureRate) => &FAILURE_2023,
        (Year::Y2023, RecoveryTime) => &RECOVERY_2023,
        (Year::Y2024, DeploymentFrequency) => &FREQUENCY_2024,
        (Year::Y2024, LeadTime) => &LEAD_2024,
        (Year::Y2024, ChangeFailureRate) => &FAILURE_2024,
        (Year::Y2024, RecoveryTime) => &RECOVERY_2024,
        (Year::Y2025, _) => &[],
    }
}

/// Where a value falls among a year's tiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Within these tiers' ranges (several where the report gives them the same range).
    Within(Vec<Tier>),
    /// In a gap the report leaves between two tiers' ranges (the better first).
    Between(Tier, Tier),
    /// Worse than the worst tier's range.
    Beyond(Tier),
    /// The report gives typical values: the tier whose value is nearest.
    NearestTypical(Tier),
    /// The year has no tiers, or there is no value.
    Untiered,
}

/// Where `value` (in the metric's unit) falls among `year`'s tiers for `metric`.
pub fn classify(year: Year, metric: Metric, value: Option<f64>) -> Placement {
    let list = bands(year, metric);
    let Some(value) = value.filter(|v| v.is_finite()) else {
        return Placement::Untiered;
    };
    if list.is_empty() {
        return Placement::Untiered;
    }
    if list.iter().all(|b| matches!(b.figure, Figure::Typical(_))) {
        let nearest = list.iter().min_by(|a, b| {
            distance(a, value)
                .partial_cmp(&distance(b, value))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        return nearest.map_or(Placement::Untiered, |b| Placement::NearestTypical(b.tier));
    }
    let within: Vec<Tier> = list.iter().filter(|b| contains(b, value)).map(|b| b.tier).collect();
    if !within.is_empty() {
        return Placement::Within(within);
    }
    // A gap: the last tier (best first) whose range lies on the better side, and the next one.
    let better_side = |b: &Band| match (b.figure, metric) {
        (Figure::Range { from, .. }, Metric::DeploymentFrequency) => from.is_some_and(|f| value < f),
        (Figure::Range { to, .. }, _) => to.is_some_and(|t| value >= t),
        (Figure::Typical(_), _) => false,
    };
    let split = list.iter().take_while(|b| better_side(b)).count();
    match (list.get(split.wrapping_sub(1)), list.get(split)) {
        (Some(better), Some(worse)) => Placement::Between(better.tier, worse.tier),
        (Some(worst), None) => Placement::Beyond(worst.tier),
        _ => Placement::Untiered,
    }
}

fn contains(band: &Band, value: f64) -> bool {
    match band.figure {
        Figure::Range { from, to } => from.is_none_or(|f| value >= f) && to.is_none_or(|t| value < t),
        Figure::Typical(_) => false,
    }
}

fn distance(band: &Band, value: f64) -> f64 {
    match band.figure {
        Figure::Typical(t) => (t - value).abs(),
        Figure::Range { .. } => f64::INFINITY,
    }
}

impl Placement {
    /// "Elite", "Medium or Low", "between Elite and High", "nearest High (20%)".
    pub fn text(&self, year: Year, metric: Metric) -> Option<String> {
        match self {
            Placement::Within(tiers) => Some(tiers.iter().map(|t| t.label()).collect::<Vec<_>>().join(" or ")),
            Placement::Between(a, b) => Some(format!("between {} and {}", a.label(), b.label())),
            Placement::Beyond(t) => Some(format!("worse than {}", t.label())),
            Placement::NearestTypical(t) => {
                let wording = bands(year, metric).iter().find(|b| b.tier == *t).map(|b| b.wording);
                Some(format!("nearest {} ({})", t.label(), wording.unwrap_or_default()))
            }
            Placement::Untiered => None,
        }
    }

    /// The best tier it is placed in or next to (for styling).
    pub fn tier(&self) -> Option<Tier> {
        match self {
            Placement::Within(t) => t.first().copied(),
            Placement::Between(a, _) => Some(*a),
            Placement::Beyond(t) => Some(*t),
            Placement::NearestTypical(t) => Some(*t),
            Placement::Untiered => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_year_with_tiers_has_four_per_metric_best_first_and_2025_none() {
        for year in Year::ALL {
            for metric in [
                Metric::DeploymentFrequency,
                Metric::LeadTime,
                Metric::ChangeFailureRate,
                Metric::RecoveryTime,
            ] {
                let tiers: Vec<Tier> = bands(year, metric).iter().map(|b| b.tier).collect();
                if year.has_tiers() {
                    assert_eq!(tiers, [Elite, High, Medium, Low], "{year:?} {metric:?}");
                } else {
                    assert!(tiers.is_empty());
                    assert_eq!(classify(year, metric, Some(1.0)), Placement::Untiered);
                }
            }
        }
    }

    #[test]
    fn deployment_frequency_by_year() {
        let f = |year, per_day| classify(year, Metric::DeploymentFrequency, Some(per_day));
        assert_eq!(f(Year::Y2024, 3.0), Placement::Within(vec![Elite]));
        assert_eq!(f(Year::Y2024, 0.5), Placement::Within(vec![High]));
        assert_eq!(f(Year::Y2024, 1.0 / 10.0), Placement::Within(vec![Medium]));
        assert_eq!(f(Year::Y2024, 1.0 / 60.0), Placement::Within(vec![Low]));
        // 2023 gave medium and low the same range.
        assert_eq!(f(Year::Y2023, 1.0 / 10.0), Placement::Within(vec![Medium, Low]));
        // 2021's high is weekly to monthly: daily deploys fall between elite and high.
        assert_eq!(f(Year::Y2021, 0.5), Placement::Between(Elite, High));
        assert_eq!(f(Year::Y2021, 0.0), Placement::Within(vec![Low]));
        assert_eq!(f(Year::Y2024, 0.0), Placement::Beyond(Low));
    }

    #[test]
    fn lead_and_recovery_times_with_the_reports_gaps() {
        let lead = |year, s| classify(year, Metric::LeadTime, Some(s));
        assert_eq!(lead(Year::Y2021, 1800.0), Placement::Within(vec![Elite]));
        assert_eq!(lead(Year::Y2021, 5.0 * HOUR), Placement::Between(Elite, High));
        assert_eq!(lead(Year::Y2021, 2.0 * WEEK), Placement::Between(High, Medium));
        assert_eq!(lead(Year::Y2021, 300.0 * DAY), Placement::Within(vec![Low]));
        assert_eq!(lead(Year::Y2024, 5.0 * HOUR), Placement::Within(vec![Elite]));
        assert_eq!(
            lead(Year::Y2024, DAY),
            Placement::Within(vec![High]),
            "a boundary starts the next range"
        );
        assert_eq!(lead(Year::Y2024, 300.0 * DAY), Placement::Beyond(Low));
        let recovery = |year, s| classify(year, Metric::RecoveryTime, Some(s));
        assert_eq!(recovery(Year::Y2024, 2.0 * HOUR), Placement::Within(vec![High, Medium]));
        assert_eq!(recovery(Year::Y2024, 3.0 * DAY), Placement::Between(Medium, Low));
        assert_eq!(recovery(Year::Y2023, 2.0 * WEEK), Placement::Between(Medium, Low));
    }

    #[test]
    fn change_failure_rate_ranges_in_2021_typical_values_later() {
        let cfr = |year, v| classify(year, Metric::ChangeFailureRate, Some(v));
        assert_eq!(cfr(Year::Y2021, 0.10), Placement::Within(vec![Elite]));
        assert_eq!(cfr(Year::Y2021, 0.174), Placement::Within(vec![High, Medium, Low]));
        assert_eq!(cfr(Year::Y2021, 0.5), Placement::Beyond(Low));
        assert_eq!(cfr(Year::Y2023, 0.174), Placement::NearestTypical(Medium));
        assert_eq!(cfr(Year::Y2024, 0.174), Placement::NearestTypical(High));
        assert_eq!(cfr(Year::Y2024, 0.12), Placement::NearestTypical(Medium));
        assert_eq!(
            cfr(Year::Y2024, 0.174)
                .text(Year::Y2024, Metric::ChangeFailureRate)
                .as_deref(),
            Some("nearest High (20%)")
        );
    }

    #[test]
    fn no_value_no_tier() {
        assert_eq!(classify(Year::Y2024, Metric::LeadTime, None), Placement::Untiered);
        assert_eq!(
            classify(Year::Y2024, Metric::LeadTime, Some(f64::NAN)),
            Placement::Untiered
        );
        assert_eq!(Year::parse("2023"), Some(Year::Y2023));
        assert_eq!(Year::parse("2022"), None);
        assert_eq!(Year::Y2021.report(), "DORA State of DevOps 2021");
    }
}
