//! The Reliability views' parts: one SLO's panel (objective, window, SLI, remaining budget, alert
//! state, its charts and deploys), the timeline chart (burn-down and burn rate with deploy
//! markers and incidents), the SLO list shared by the overview and a team's tab, and the notice
//! that says how to connect Prometheus. Shared by an entity's tab, a group's and `/reliability`.

pub mod connect;
pub mod format;
pub mod list;
pub mod panel;
pub mod timeline;
