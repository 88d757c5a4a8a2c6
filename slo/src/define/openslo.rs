//! OpenSLO v1: an `SLO` with its indicator inline or named (`indicatorRef` → an `SLI` document),
//! Prometheus metric sources given inline or through a `DataSource`, rolling or calendar time
//! windows, the three budgeting methods, and alert policies with their burn-rate conditions
//! (inline or named). An SLO with several objectives becomes one [`Slo`] per objective.

use std::collections::HashMap;

use serde_json::Value;

use super::fields::{Node, percent};
use super::{DefinitionError, check_common, entity_annotation};
use crate::duration::{self, Span};
use crate::model::{
    Alerting, Budgeting, BurnCondition, CalendarUnit, Comparison, Format, Indicator, Numerator, Query, QueryForm, Slo,
    Window,
};
use crate::promql::{BUCKET_SECONDS, counter_query};

/// The named OpenSLO objects of a set of documents, by kind and name.
#[derive(Default)]
pub struct Index<'a> {
    named: HashMap<(&'a str, &'a str), (usize, &'a Value)>,
}

impl<'a> Index<'a> {
    pub fn build(documents: &[(usize, &'a Value)]) -> Index<'a> {
        let mut named = HashMap::new();
        for &(document, value) in documents {
            if !value
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|a| a.starts_with("openslo/"))
            {
                continue;
            }
            let kind = value.get("kind").and_then(Value::as_str).unwrap_or_default();
            let name = value
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !name.is_empty() {
                named.entry((kind, name)).or_insert((document, value));
            }
        }
        Index { named }
    }

    fn find(&self, node: &Node, kind: &str, name: &str) -> Result<(usize, &'a Value), DefinitionError> {
        self.named
            .get(&(kind, name))
            .copied()
            .ok_or_else(|| node.error(format!("no {kind} named `{name}` in this file")))
    }
}

pub fn read(root: &Node, index: &Index) -> Result<Vec<(String, Slo)>, DefinitionError> {
    let api = root.get("apiVersion");
    if api.str()? != Some("openslo/v1") {
        return Err(api.error("Cairn reads OpenSLO `openslo/v1` (v1alpha and v2alpha differ in shape)"));
    }
    let kind = root.get("kind");
    match kind.required_str()? {
        "SLO" => {}
        "SLI" | "DataSource" | "AlertPolicy" | "AlertCondition" | "AlertNotificationTarget" | "Service" => {
            return Ok(Vec::new());
        }
        other => return Err(kind.error(format!("`{other}` is not an OpenSLO v1 kind"))),
    }
    let metadata = root.get("metadata");
    let name = metadata.get("name").required_str()?.to_string();
    let spec = root.get("spec");
    if !spec.is_present() {
        return Err(spec.error("is required"));
    }
    let service = spec.get("service").str()?.map(str::to_string);
    let window = read_window(&spec.get("timeWindow"))?;
    let method = spec.get("budgetingMethod");
    let method_name = method.required_str()?;
    let shared_indicator = read_indicator_of(&spec, index)?;
    let alerting = read_policies(&spec.get("alertPolicies"), index)?;
    let objectives = spec.get("objectives");
    let items = objectives.items()?;
    if items.is_empty() {
        return Err(objectives.error("needs at least one objective"));
    }
    let mut out = Vec::new();
    for (i, value) in &items {
        let objective = objectives.child(i, value);
        let indicator = match read_indicator_of(&objective, index)? {
            Some(own) => own,
            None => shared_indicator
                .clone()
                .ok_or_else(|| spec.error("needs an indicator or indicatorRef (here or in each objective)"))?,
        };
        let (indicator, data_source) = thresholded(&objective, indicator)?;
        let target = read_target(&objective)?;
        let budgeting = read_budgeting(&method, method_name, &objective)?;
        let label = objective.get("displayName").str()?;
        let id_base = format!("{}/{name}", service.as_deref().unwrap_or("openslo"));
        let slo = Slo {
            id: if items.len() == 1 {
                id_base
            } else {
                format!("{id_base}/{}", label.map_or_else(|| i.clone(), str::to_string))
            },
            name: name.clone(),
            display_name: label.or(metadata.get("displayName").str()?).map(str::to_string),
            description: spec.get("description").str()?.map(str::to_string),
            format: Format::OpenSlo,
            service: service.clone(),
            entity: entity_annotation(&metadata)?,
            objective: target,
            window: window.clone(),
            budgeting,
            indicator,
            alerting: alerting.clone(),
            labels: metadata.get("labels").string_map()?,
            data_source,
            origin: None,
        };
        check_common(&objective, &slo)?;
        out.push((format!("spec.objectives.{i}"), slo));
    }
    Ok(out)
}

/// An indicator as read before the objective decides a threshold: ratio, or a threshold query.
#[derive(Clone)]
enum Read {
    Ratio(Indicator, Option<String>),
    Threshold(Query, Option<String>),
}

fn read_indicator_of(node: &Node, index: &Index) -> Result<Option<Read>, DefinitionError> {
    let inline = node.get("indicator");
    let reference = node.get("indicatorRef");
    match (inline.is_present(), reference.is_present()) {
        (true, true) => Err(node.error("give indicator or indicatorRef, not both")),
        (true, false) => read_sli(&inline.get("spec"), index).map(Some),
        (false, true) => {
            let name = reference.required_str()?;
            let (document, value) = index.find(&reference, "SLI", name)?;
            let root = Node::root(value);
            read_sli(&root.get("spec"), index)
                .map(Some)
                .map_err(|e| reference.error(format!("SLI `{name}` (document {document}): {e}")))
        }
        (false, false) => Ok(None),
    }
}

fn read_sli(spec: &Node, index: &Index) -> Result<Read, DefinitionError> {
    let ratio = spec.get("ratioMetric");
    let threshold = spec.get("thresholdMetric");
    match (ratio.is_present(), threshold.is_present()) {
        (true, false) => {}
        (false, true) => {
            let (query, source) = metric_source(&threshold.get("metricSource"), index)?;
            return Ok(Read::Threshold(
                Query {
                    promql: query,
                    form: QueryForm::Gauge,
                },
                source,
            ));
        }
        _ => return Err(spec.error("needs exactly one of ratioMetric or thresholdMetric")),
    }
    let counter = ratio.get("counter");
    if counter.bool()? == Some(false) {
        return Err(counter.error("Cairn sums counters over time: a ratioMetric must be counters (counter: true)"));
    }
    let raw = ratio.get("raw");
    if raw.is_present() {
        return Err(raw.error("a precomputed ratio cannot be weighted by events: give good (or bad) and total"));
    }
    let good = ratio.get("good");
    let bad = ratio.get("bad");
    let (numerator, events) = match (good.is_present(), bad.is_present()) {
        (true, false) => (Numerator::Good, good),
        (false, true) => (Numerator::Bad, bad),
        _ => return Err(ratio.error("needs exactly one of good or bad, with total")),
    };
    let events_source = events.get("metricSource");
    let (events_query, source) = metric_source(&events_source, index)?;
    let total_node = ratio.get("total");
    let total = total_node.get("metricSource");
    let (total_query, _) = metric_source(&total, index)?;
    let counted = |node: &Node, q: String| counter_query(&q).map_err(|m| node.error(m));
    Ok(Read::Ratio(
        Indicator::Ratio {
            numerator,
            events: counted(&events_source, events_query)?,
            total: counted(&total, total_query)?,
        },
        source,
    ))
}

/// A metric source's PromQL and its DataSource's name; only Prometheus sources are read.
fn metric_source(source: &Node, index: &Index) -> Result<(String, Option<String>), DefinitionError> {
    if !source.is_present() {
        return Err(source.error("is required"));
    }
    let reference = source.get("metricSourceRef");
    let mut kind = source.get("type").str()?.map(str::to_string);
    let data_source = reference.str()?.map(str::to_string);
    if let Some(name) = &data_source {
        let (_, value) = index.find(&reference, "DataSource", name)?;
        if kind.is_none() {
            kind = value.pointer("/spec/type").and_then(Value::as_str).map(str::to_string);
        }
    }
    match kind.as_deref() {
        Some(k) if k.eq_ignore_ascii_case("prometheus") => {}
        Some(k) => {
            return Err(source
                .get("type")
                .error(format!("`{k}` sources are not read; Cairn reads Prometheus")));
        }
        None => return Err(source.error("needs a type (Prometheus) or a metricSourceRef to a DataSource")),
    }
    let spec = source.get("spec");
    let query = match spec.get("query").str()? {
        Some(q) => q,
        None => spec
            .get("promql")
            .required_str()
            .map_err(|_| spec.error("needs a query"))?,
    };
    if query.trim().is_empty() {
        return Err(spec.get("query").error("is empty"));
    }
    Ok((query.trim().to_string(), data_source))
}

/// Turns the read indicator into the SLO's, a threshold taking `op` and `value` from the objective.
fn thresholded(objective: &Node, read: Read) -> Result<(Indicator, Option<String>), DefinitionError> {
    match read {
        Read::Ratio(indicator, source) => Ok((indicator, source)),
        Read::Threshold(query, source) => {
            let op_node = objective.get("op");
            let op = match op_node.required_str()? {
                "lt" => Comparison::Lt,
                "lte" => Comparison::Lte,
                "gt" => Comparison::Gt,
                "gte" => Comparison::Gte,
                other => return Err(op_node.error(format!("`{other}` is not one of lt, lte, gt, gte"))),
            };
            let value = objective.get("value");
            let threshold = value
                .number()?
                .ok_or_else(|| value.error("is required with a thresholdMetric"))?;
            Ok((Indicator::Threshold { query, op, threshold }, source))
        }
    }
}

fn read_target(objective: &Node) -> Result<f64, DefinitionError> {
    let target = objective.get("target");
    let target_percent = objective.get("targetPercent");
    match (target.number()?, target_percent.number()?) {
        (Some(_), Some(_)) => Err(objective.error("give target or targetPercent, not both")),
        (Some(t), None) if t > 0.0 && t < 1.0 => Ok(t),
        (Some(t), None) => Err(target.error(format!("{t} is not a fraction between 0 and 1 (exclusive)"))),
        (None, Some(p)) => percent(&target_percent, p),
        (None, None) => Err(objective.error("needs target or targetPercent")),
    }
}

fn read_budgeting(method: &Node, name: &str, objective: &Node) -> Result<Budgeting, DefinitionError> {
    let slice = || -> Result<i64, DefinitionError> {
        let node = objective.get("timeSliceWindow");
        let seconds = match node.value {
            None => return Err(node.error("is required with this budgeting method")),
            Some(Value::Number(n)) => n.as_i64().filter(|m| *m > 0).map(|m| m * 60),
            Some(Value::String(s)) => match duration::shorthand(s) {
                Ok(Span::Seconds(s)) => Some(s),
                _ => None,
            },
            Some(_) => None,
        }
        .ok_or_else(|| node.error("must be a duration such as 5m or 1h (or a number of minutes)"))?;
        if seconds % BUCKET_SECONDS != 0 {
            return Err(node.error("time slices must be whole 5-minute steps (5m, 10m, 1h…)"));
        }
        Ok(seconds)
    };
    match name {
        "Occurrences" => Ok(Budgeting::Occurrences),
        "Timeslices" => {
            let node = objective.get("timeSliceTarget");
            let slice_target = node
                .number()?
                .ok_or_else(|| node.error("is required with Timeslices"))?;
            if !(slice_target > 0.0 && slice_target <= 1.0) {
                return Err(node.error("must be above 0 and at most 1"));
            }
            Ok(Budgeting::Timeslices {
                slice_seconds: slice()?,
                slice_target,
            })
        }
        "RatioTimeslices" => Ok(Budgeting::RatioTimeslices {
            slice_seconds: slice()?,
        }),
        other => Err(method.error(format!("`{other}` is not Occurrences, Timeslices or RatioTimeslices"))),
    }
}

fn read_window(list: &Node) -> Result<Window, DefinitionError> {
    let items = list.items()?;
    let [(i, value)] = items.as_slice() else {
        return Err(list.error("needs exactly one time window"));
    };
    let window = list.child(i, value);
    let duration_node = window.get("duration");
    let span = duration::shorthand(duration_node.required_str()?).map_err(|m| duration_node.error(m))?;
    let calendar = window.get("calendar");
    let rolling = window.get("isRolling").bool()?.unwrap_or(!calendar.is_present());
    if rolling {
        return match span {
            Span::Seconds(seconds) if seconds % BUCKET_SECONDS == 0 => Ok(Window::Rolling { seconds }),
            Span::Seconds(_) => Err(duration_node.error("a rolling window must be whole 5-minute steps")),
            Span::Calendar(..) => Err(duration_node.error("a rolling window needs a fixed length (28d, 4w)")),
        };
    }
    let (unit, count) = match span {
        Span::Calendar(unit, count) => (unit, count),
        Span::Seconds(s) if s % (7 * 86_400) == 0 => (CalendarUnit::Week, (s / (7 * 86_400)) as u32),
        Span::Seconds(s) if s % 86_400 == 0 => (CalendarUnit::Day, (s / 86_400) as u32),
        Span::Seconds(_) => {
            return Err(duration_node.error(
                "a calendar window is days, weeks, months, quarters or years (`m` is minutes: did you mean 1M?)",
            ));
        }
    };
    let start = calendar.get("startTime");
    let anchor_text = start.required_str()?;
    let anchor = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(anchor_text.trim(), f).ok())
        .ok_or_else(|| start.error("must be a date and time, `2024-01-01 00:00:00`"))?;
    let zone_node = calendar.get("timeZone");
    let zone = zone_node.str()?.unwrap_or("UTC").to_string();
    if zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(zone_node.error(format!("`{zone}` is not a time zone of the IANA database")));
    }
    Ok(Window::Calendar {
        unit,
        count,
        anchor,
        zone,
    })
}

fn read_policies(list: &Node, index: &Index) -> Result<Alerting, DefinitionError> {
    let mut alerting = Alerting {
        enabled: list.is_present(),
        ..Alerting::default()
    };
    for (i, value) in list.items()? {
        let item = list.child(&i, value);
        let reference = item.get("alertPolicyRef");
        let conditions = if let Some(name) = reference.str()? {
            let (document, policy) = index.find(&reference, "AlertPolicy", name)?;
            let root = Node::root(policy);
            read_conditions(&root.get("spec").get("conditions"), index)
                .map_err(|e| reference.error(format!("AlertPolicy `{name}` (document {document}): {e}")))?
        } else {
            read_conditions(&item.get("spec").get("conditions"), index)?
        };
        alerting.conditions.extend(conditions);
    }
    Ok(alerting)
}

fn read_conditions(list: &Node, index: &Index) -> Result<Vec<BurnCondition>, DefinitionError> {
    let mut out = Vec::new();
    for (i, value) in list.items()? {
        let item = list.child(&i, value);
        let reference = item.get("conditionRef");
        let condition = if let Some(name) = reference.str()? {
            let (_, found) = index.find(&reference, "AlertCondition", name)?;
            let root = Node::root(found);
            read_condition(&root, Some(name)).map_err(|e| reference.error(format!("AlertCondition `{name}`: {e}")))?
        } else {
            let metadata = item.get("metadata");
            let name = metadata.get("name").str()?;
            read_condition(&item, name)?
        };
        out.push(condition);
    }
    Ok(out)
}

fn read_condition(root: &Node, name: Option<&str>) -> Result<BurnCondition, DefinitionError> {
    let spec = root.get("spec");
    let condition = spec.get("condition");
    let kind = condition.get("kind");
    if kind.str()?.is_some_and(|k| k != "burnrate") {
        return Err(kind.error("only burnrate conditions are read"));
    }
    let op_node = condition.get("op");
    let op = match op_node.required_str()? {
        "lt" => Comparison::Lt,
        "lte" => Comparison::Lte,
        "gt" => Comparison::Gt,
        "gte" => Comparison::Gte,
        other => return Err(op_node.error(format!("`{other}` is not one of lt, lte, gt, gte"))),
    };
    let threshold = condition.get("threshold");
    let lookback = condition.get("lookbackWindow");
    let after = condition.get("alertAfter");
    let fixed = |node: &Node, text: &str| {
        let zero = text.len() > 1 && text[..text.len() - 1].bytes().all(|b| b == b'0');
        match duration::shorthand(text) {
            _ if zero => Ok(0),
            Ok(Span::Seconds(s)) => Ok(s),
            _ => Err(node.error("must be a duration such as 5m or 1h")),
        }
    };
    Ok(BurnCondition {
        name: name.map(str::to_string),
        severity: spec.get("severity").required_str()?.to_string(),
        op,
        threshold: threshold.number()?.ok_or_else(|| threshold.error("is required"))?,
        lookback_seconds: fixed(&lookback, lookback.required_str()?)?,
        alert_after_seconds: match after.str()? {
            Some(text) => fixed(&after, text)?,
            None => 0,
        },
    })
}
