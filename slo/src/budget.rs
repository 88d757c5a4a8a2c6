//! The error-budget math, exact and pure, over 5-minute good/total buckets.
//!
//! - `buckets`: the event counts per step, and sums over any stretch of them;
//! - `window`: the stretch a rolling or calendar window covers at a given time;
//! - `report`: the SLI (event-weighted: increases summed, never ratios averaged), remaining
//!   budget, bad events left, burn rates, alert state, time to exhaustion, the burn-down series;
//! - `slices`: Timeslices and RatioTimeslices budgeting;
//! - `timeline`: the burn rate along the window, step by step.

pub mod buckets;
pub mod burn;
pub mod report;
pub mod slices;
pub mod timeline;
pub mod window;

pub use buckets::Buckets;
pub use burn::{AlertLevel, AlertState, BURN_WINDOWS, BurnRate, MULTI_WINDOW_RULES};
pub use report::{Report, report};
pub use timeline::{RatePoint, timeline};
pub use window::{Span, span_at};
