//! Pyrra's `ServiceLevelObjective` (`pyrra.dev/v1alpha1`): `ratio` (errors over total),
//! `latency` (requests under a bucket's `le` over all) and `bool_gauge` indicators, a `target`
//! in percent and a Prometheus-style `window`.

use super::fields::{Node, percent};
use super::{DefinitionError, check_common, entity_annotation};
use crate::duration;
use crate::model::{Alerting, Budgeting, Format, Indicator, Numerator, Query, QueryForm, Slo, Window};
use crate::promql::{BUCKET_SECONDS, is_selector};

/// Pyrra's label naming the service.
const SERVICE_LABEL: &str = "pyrra.dev/service";

pub fn read(root: &Node) -> Result<Vec<(String, Slo)>, DefinitionError> {
    let kind = root.get("kind");
    if kind.str()? != Some("ServiceLevelObjective") {
        return Err(kind.error("pyrra.dev resources Cairn reads are of kind ServiceLevelObjective"));
    }
    let metadata = root.get("metadata");
    let name = metadata.get("name").required_str()?.to_string();
    let namespace = metadata.get("namespace").str()?.unwrap_or("default").to_string();
    let labels = metadata.get("labels").string_map()?;
    let spec = root.get("spec");
    if !spec.is_present() {
        return Err(spec.error("is required"));
    }
    let target = spec.get("target");
    let objective = target.number()?.ok_or_else(|| target.error("is required"))?;
    let objective = percent(&target, objective)?;
    let window_node = spec.get("window");
    let seconds = duration::prometheus(window_node.required_str()?).map_err(|m| window_node.error(m))?;
    if seconds % BUCKET_SECONDS != 0 {
        return Err(window_node.error("the window must be whole 5-minute steps"));
    }
    let alerting = spec.get("alerting");
    let slo = Slo {
        id: format!("{namespace}/{name}"),
        display_name: None,
        description: spec
            .get("description")
            .str()?
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        format: Format::Pyrra,
        service: labels.get(SERVICE_LABEL).cloned(),
        entity: entity_annotation(&metadata)?,
        objective,
        window: Window::Rolling { seconds },
        budgeting: Budgeting::Occurrences,
        indicator: read_indicator(&spec.get("indicator"))?,
        alerting: Alerting {
            name: alerting.get("name").str()?.map(str::to_string),
            enabled: !alerting.get("disabled").bool()?.unwrap_or(false),
            ..Alerting::default()
        },
        labels,
        data_source: None,
        origin: None,
        name,
    };
    check_common(&metadata, &slo)?;
    Ok(vec![("metadata".to_string(), slo)])
}

fn read_indicator(indicator: &Node) -> Result<Indicator, DefinitionError> {
    let ratio = indicator.get("ratio");
    let latency = indicator.get("latency");
    let bool_gauge = indicator.get("bool_gauge");
    let native = indicator.get("latency_native");
    if native.is_present() {
        return Err(
            native.error("native histogram latency is not read yet: use a latency indicator with classic buckets")
        );
    }
    let chosen = [ratio.is_present(), latency.is_present(), bool_gauge.is_present()]
        .iter()
        .filter(|p| **p)
        .count();
    if chosen != 1 {
        return Err(indicator.error("needs exactly one of ratio, latency or bool_gauge"));
    }
    if ratio.is_present() {
        let errors = ratio.get("errors");
        let total = ratio.get("total");
        return Ok(Indicator::Ratio {
            numerator: Numerator::Bad,
            events: selector(&errors.get("metric"))?,
            total: selector(&total.get("metric"))?,
        });
    }
    if latency.is_present() {
        let success = latency.get("success");
        let total = latency.get("total");
        return Ok(Indicator::Ratio {
            numerator: Numerator::Good,
            events: selector(&success.get("metric"))?,
            total: selector(&total.get("metric"))?,
        });
    }
    let metric = bool_gauge.get("metric");
    let query = selector(&metric)?;
    Ok(Indicator::BoolGauge {
        query: Query {
            form: QueryForm::Gauge,
            ..query
        },
    })
}

fn selector(node: &Node) -> Result<Query, DefinitionError> {
    let text = node.required_str()?;
    if !is_selector(text) {
        return Err(node.error("must be a metric selector, as Pyrra requires (name{label=\"value\"})"));
    }
    Ok(Query {
        promql: text.trim().to_string(),
        form: QueryForm::Counter,
    })
}
