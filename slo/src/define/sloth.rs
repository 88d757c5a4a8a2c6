//! Sloth's two forms: the `version: prometheus/v1` service file (snake_case keys) and the
//! `PrometheusServiceLevel` resource (`sloth.slok.dev/v1`, camelCase keys under `spec`). Sloth
//! has no window in the file (its generator's default period is 30 days, which is used here).

use std::collections::BTreeMap;

use super::fields::{Node, percent};
use super::{DefinitionError, check_common, entity_annotation};
use crate::model::{Alerting, Budgeting, Format, Indicator, Numerator, Slo, Window};
use crate::promql::counter_query;

/// Sloth's default SLO period.
const DEFAULT_WINDOW_SECONDS: i64 = 30 * 86_400;

/// Keys in the file form and the resource form.
struct Keys {
    camel: bool,
}

impl Keys {
    fn pick(&self, snake: &'static str, camel: &'static str) -> &'static str {
        if self.camel { camel } else { snake }
    }
}

/// A `prometheus/v1` service file.
pub fn read_file(root: &Node) -> Result<Vec<(String, Slo)>, DefinitionError> {
    let version = root.get("version");
    if version.str()? != Some("prometheus/v1") {
        return Err(version.error("Sloth files Cairn reads are `prometheus/v1`"));
    }
    read_spec(root, "", Format::Sloth, None, &Keys { camel: false })
}

/// A `PrometheusServiceLevel` resource.
pub fn read_kubernetes(root: &Node) -> Result<Vec<(String, Slo)>, DefinitionError> {
    let kind = root.get("kind");
    if kind.str()? != Some("PrometheusServiceLevel") {
        return Err(kind.error("sloth.slok.dev resources Cairn reads are of kind PrometheusServiceLevel"));
    }
    let metadata = root.get("metadata");
    metadata.get("name").required_str()?;
    let entity = entity_annotation(&metadata)?;
    let spec = root.get("spec");
    if !spec.is_present() {
        return Err(spec.error("is required"));
    }
    read_spec(&spec, "spec.", Format::SlothKubernetes, entity, &Keys { camel: true })
}

fn read_spec(
    spec: &Node,
    prefix: &str,
    format: Format,
    entity: Option<catalog::model::entity_ref::EntityRef>,
    keys: &Keys,
) -> Result<Vec<(String, Slo)>, DefinitionError> {
    let service = spec.get("service").required_str()?.to_string();
    let labels = spec.get("labels").string_map()?;
    let slos = spec.get("slos");
    let items = slos.items()?;
    if items.is_empty() {
        return Err(slos.error("lists no SLO"));
    }
    let mut out = Vec::new();
    for (i, value) in &items {
        let node = slos.child(i, value);
        let mut slo = read_slo(&node, &service, format, keys)?;
        slo.entity = entity.clone();
        let mut all = labels.clone();
        all.extend(slo.labels);
        slo.labels = all;
        out.push((format!("{prefix}slos.{i}"), slo));
    }
    Ok(out)
}

fn read_slo(node: &Node, service: &str, format: Format, keys: &Keys) -> Result<Slo, DefinitionError> {
    let name = node.get("name").required_str()?.to_string();
    let objective_node = node.get("objective");
    let objective = objective_node
        .number()?
        .ok_or_else(|| objective_node.error("is required"))?;
    let objective = percent(&objective_node, objective)?;
    let sli = node.get("sli");
    let indicator = read_sli(&sli, keys)?;
    let slo = Slo {
        id: format!("{service}/{name}"),
        name,
        display_name: None,
        description: node.get("description").str()?.map(str::to_string),
        format,
        service: Some(service.to_string()),
        entity: None,
        objective,
        window: Window::Rolling {
            seconds: DEFAULT_WINDOW_SECONDS,
        },
        budgeting: Budgeting::Occurrences,
        indicator,
        alerting: read_alerting(&node.get("alerting"), keys)?,
        labels: node.get("labels").string_map()?,
        data_source: None,
        origin: None,
    };
    check_common(node, &slo)?;
    Ok(slo)
}

fn read_sli(sli: &Node, keys: &Keys) -> Result<Indicator, DefinitionError> {
    if !sli.is_present() {
        return Err(sli.error("is required"));
    }
    let raw = sli.get("raw");
    if raw.is_present() {
        return Err(raw.error(
            "a raw error ratio cannot be weighted by events: give events with an error and a total query instead",
        ));
    }
    let plugin = sli.get("plugin");
    if plugin.is_present() {
        return Err(plugin.error("SLI plugins run inside Sloth; Cairn needs events with an error and a total query"));
    }
    let events = sli.get("events");
    if !events.is_present() {
        return Err(events.error("is required (Cairn reads event-based SLIs)"));
    }
    let error = events.get(keys.pick("error_query", "errorQuery"));
    let total = events.get(keys.pick("total_query", "totalQuery"));
    let error_query = counter_query(error.required_str()?).map_err(|m| error.error(m))?;
    let total_query = counter_query(total.required_str()?).map_err(|m| total.error(m))?;
    Ok(Indicator::Ratio {
        numerator: Numerator::Bad,
        events: error_query,
        total: total_query,
    })
}

fn read_alerting(alerting: &Node, keys: &Keys) -> Result<Alerting, DefinitionError> {
    let page = alerting.get(keys.pick("page_alert", "pageAlert"));
    let ticket = alerting.get(keys.pick("ticket_alert", "ticketAlert"));
    let labels = alerting.get("labels").string_map()?;
    let with = |node: &Node| -> Result<BTreeMap<String, String>, DefinitionError> {
        let mut all = labels.clone();
        all.extend(node.get("labels").string_map()?);
        Ok(all)
    };
    let page_disabled = page.get("disable").bool()?.unwrap_or(false);
    let ticket_disabled = ticket.get("disable").bool()?.unwrap_or(false);
    Ok(Alerting {
        name: alerting.get("name").str()?.map(str::to_string),
        enabled: !(page_disabled && ticket_disabled),
        page_labels: if page_disabled { BTreeMap::new() } else { with(&page)? },
        ticket_labels: if ticket_disabled {
            BTreeMap::new()
        } else {
            with(&ticket)?
        },
        annotations: alerting.get("annotations").string_map()?,
        conditions: Vec::new(),
    })
}
