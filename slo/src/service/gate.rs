//! The error-budget policy as an answer CI can ask for before a production deploy: denied while
//! an SLO of the entity has spent its budget (remaining at or below `min_remaining`) or a
//! page-level burn alert fires; rollbacks and fixes go through when the policy lets them.

use serde::Serialize;

use super::{ListFilter, SloError, Slos};
use crate::budget::AlertLevel;

/// `slo.gate`: when a deploy is blocked.
#[derive(Clone, Debug, PartialEq)]
pub struct GatePolicy {
    /// Blocks while an SLO's remaining budget (a fraction) is at or below this.
    pub min_remaining: f64,
    /// Blocks while a page-level multi-window burn alert fires.
    pub block_on_page: bool,
    /// Lets rollbacks and changes marked as fixes through whatever the budget.
    pub allow_fixes: bool,
}

impl Default for GatePolicy {
    fn default() -> Self {
        GatePolicy {
            min_remaining: 0.0,
            block_on_page: true,
            allow_fixes: true,
        }
    }
}

/// One SLO's part in the answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GateSlo {
    pub id: String,
    pub name: String,
    pub remaining: Option<f64>,
    pub alert: Option<AlertLevel>,
    pub blocking: bool,
}

/// The answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gate {
    pub allowed: bool,
    pub reasons: Vec<String>,
    pub slos: Vec<GateSlo>,
}

impl Slos {
    /// May a production deploy of `entity` go ahead at `now`? `change` is `rollback`, `fix` or
    /// anything else (a feature).
    pub async fn gate(&self, entity: &str, change: Option<&str>, now: i64) -> Result<Gate, SloError> {
        let entity = catalog::model::entity_ref::EntityRef::parse(entity, Some("component"), "default")
            .map_err(|e| SloError::Input(format!("entity: {e}")))?
            .to_string();
        let filter = ListFilter {
            entity: Some(entity.clone()),
            owner: None,
            system: None,
        };
        let summaries = self.list(&filter, now).await?;
        let policy = &self.settings.gate;
        let mut reasons = Vec::new();
        let mut slos = Vec::with_capacity(summaries.len());
        for s in summaries {
            let spent = s.figures.remaining.is_some_and(|r| r <= policy.min_remaining);
            let paging = policy.block_on_page && s.figures.alert == Some(AlertLevel::Page);
            if spent {
                reasons.push(format!(
                    "SLO `{}`: {:.2}% of the error budget remains (the policy blocks at {:.2}%)",
                    s.name,
                    s.figures.remaining.unwrap_or_default() * 100.0,
                    policy.min_remaining * 100.0
                ));
            }
            if paging {
                reasons.push(format!("SLO `{}`: a page-level burn-rate alert is firing", s.name));
            }
            slos.push(GateSlo {
                id: s.id,
                name: s.name,
                remaining: s.figures.remaining,
                alert: s.figures.alert,
                blocking: spent || paging,
            });
        }
        let blocked = slos.iter().any(|s| s.blocking);
        let fix = matches!(change, Some("rollback" | "fix"));
        let allowed = !blocked || (fix && policy.allow_fixes);
        if slos.is_empty() {
            reasons.push(format!("{entity} has no SLO: nothing blocks"));
        } else if !blocked {
            reasons.push("every SLO is within its error budget".into());
        } else if allowed {
            reasons.push(format!(
                "a {} goes through whatever the budget (slo.gate.allowFixes)",
                change.unwrap_or_default()
            ));
        }
        Ok(Gate { allowed, reasons, slos })
    }
}
