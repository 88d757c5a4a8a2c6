//! A HorizontalPodAutoscaler as the views show it: its bounds, its replicas, and each metric's
//! current value against its target in the units people read (`72%` of `80%`, `300Mi`, `130`).

use k8s_openapi::api::autoscaling::v2::{
    HorizontalPodAutoscaler, MetricSpec, MetricStatus, MetricTarget, MetricValueStatus,
};

use crate::model::{Autoscaler, AutoscalerMetric};

pub fn autoscaler(hpa: &HorizontalPodAutoscaler) -> Autoscaler {
    let spec = hpa.spec.as_ref();
    let status = hpa.status.as_ref();
    let current_metrics = status.and_then(|s| s.current_metrics.as_deref()).unwrap_or_default();
    let metrics = spec
        .and_then(|s| s.metrics.as_deref())
        .unwrap_or_default()
        .iter()
        .filter_map(|m| {
            let (name, target) = described(m)?;
            let current = current_metrics
                .iter()
                .find_map(|c| current_of(c, m))
                .and_then(value_of_status);
            Some(AutoscalerMetric {
                name,
                current,
                target: value_of_target(target)?,
            })
        })
        .collect();
    let count = |n: Option<i32>| u32::try_from(n.unwrap_or(0)).unwrap_or(0);
    Autoscaler {
        name: hpa.metadata.name.clone().unwrap_or_default(),
        min: count(Some(spec.and_then(|s| s.min_replicas).unwrap_or(1))),
        max: count(spec.map(|s| s.max_replicas)),
        current: count(status.and_then(|s| s.current_replicas)),
        desired: count(status.map(|s| s.desired_replicas)),
        metrics,
    }
}

/// A metric's name and target.
fn described(m: &MetricSpec) -> Option<(String, &MetricTarget)> {
    Some(match m.type_.as_str() {
        "Resource" => {
            let r = m.resource.as_ref()?;
            (r.name.clone(), &r.target)
        }
        "ContainerResource" => {
            let r = m.container_resource.as_ref()?;
            (format!("{} of {}", r.name, r.container), &r.target)
        }
        "Pods" => {
            let p = m.pods.as_ref()?;
            (p.metric.name.clone(), &p.target)
        }
        "Object" => {
            let o = m.object.as_ref()?;
            (
                format!(
                    "{} of {}/{}",
                    o.metric.name, o.described_object.kind, o.described_object.name
                ),
                &o.target,
            )
        }
        "External" => {
            let e = m.external.as_ref()?;
            (e.metric.name.clone(), &e.target)
        }
        _ => return None,
    })
}

/// The status entry that reports the metric `spec` describes.
fn current_of<'a>(c: &'a MetricStatus, spec: &MetricSpec) -> Option<&'a MetricValueStatus> {
    if c.type_ != spec.type_ {
        return None;
    }
    match c.type_.as_str() {
        "Resource" => c
            .resource
            .as_ref()
            .filter(|r| Some(&r.name) == spec.resource.as_ref().map(|s| &s.name))
            .map(|r| &r.current),
        "ContainerResource" => {
            let want = spec.container_resource.as_ref()?;
            let r = c.container_resource.as_ref()?;
            (r.name == want.name && r.container == want.container).then_some(&r.current)
        }
        "Pods" => c
            .pods
            .as_ref()
            .filter(|p| Some(&p.metric.name) == spec.pods.as_ref().map(|s| &s.metric.name))
            .map(|p| &p.current),
        "Object" => {
            let want = spec.object.as_ref()?;
            let o = c.object.as_ref()?;
            (o.metric.name == want.metric.name && o.described_object.name == want.described_object.name)
                .then_some(&o.current)
        }
        "External" => {
            let e = c.external.as_ref()?;
            (Some(&e.metric.name) == spec.external.as_ref().map(|s| &s.metric.name)).then_some(&e.current)
        }
        _ => None,
    }
}

fn value_of_target(t: &MetricTarget) -> Option<String> {
    match t.type_.as_str() {
        "Utilization" => t.average_utilization.map(|u| format!("{u}%")),
        "AverageValue" => t.average_value.as_ref().map(|q| q.0.clone()),
        _ => t.value.as_ref().map(|q| q.0.clone()),
    }
    .or_else(|| t.average_utilization.map(|u| format!("{u}%")))
    .or_else(|| t.average_value.as_ref().or(t.value.as_ref()).map(|q| q.0.clone()))
}

fn value_of_status(v: &MetricValueStatus) -> Option<String> {
    v.average_utilization
        .map(|u| format!("{u}%"))
        .or_else(|| v.average_value.as_ref().or(v.value.as_ref()).map(|q| q.0.clone()))
}
