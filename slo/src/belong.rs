//! Which catalog entity an SLO belongs to, in Backstage's annotation style. In order:
//!
//! 1. the SLO's own `metadata.annotations."cairn.dev/entity"` (OpenSLO, Sloth's
//!    `PrometheusServiceLevel`, Pyrra): `component:default/payments`, or `payments` (kind
//!    `component`, namespace `default`);
//! 2. an entity whose `cairn.dev/slo-files` annotation lists the file (paths relative to the
//!    entity's own file, separated by commas or new lines: `slo/availability.yaml, slo/latency.yaml`);
//! 3. for an SLO defined in a watched cluster (Pyrra's `ServiceLevelObjective`), its label
//!    `backstage.io/kubernetes-id`, as for workloads: the Component with that
//!    `backstage.io/kubernetes-id` annotation, else the one of that name;
//! 4. the service the SLO names (Sloth's `service`, OpenSLO's `spec.service`, Pyrra's
//!    `pyrra.dev/service` label) when exactly one Component has that name;
//! 5. the one entity described in the same repository (or location) as the SLO file.
//!
//! Sloth's `prometheus/v1` files have no metadata (their labels become Prometheus labels, which
//! cannot hold `/`), so they belong through 2, 4 and 5.

use catalog::model::entity_ref::EntityRef;
use serde::{Deserialize, Serialize};

use crate::model::Slo;

/// The entity annotation listing its SLO files.
pub const SLO_FILES_ANNOTATION: &str = "cairn.dev/slo-files";

/// The most files one `cairn.dev/slo-files` annotation may list.
pub const MAX_LISTED_FILES: usize = 100;

/// How an SLO was tied to its entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BelongsBy {
    Annotation,
    Listed,
    KubernetesId,
    Service,
    Repository,
}

/// The entity an SLO belongs to and the rule that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Belonging {
    pub entity: EntityRef,
    pub by: BelongsBy,
}

/// What the catalog knows around one SLO file, gathered by the caller.
#[derive(Clone, Debug, Default)]
pub struct Around {
    /// Entities whose `cairn.dev/slo-files` lists the file.
    pub listed_by: Vec<EntityRef>,
    /// For an object of a cluster labelled `backstage.io/kubernetes-id`: the Components it names.
    pub kubernetes_id: Vec<EntityRef>,
    /// Components named like the SLO's service (any namespace).
    pub components_named: Vec<EntityRef>,
    /// Entities described in the same repository or location as the file.
    pub in_repository: Vec<EntityRef>,
}

/// Decides which entity `slo` belongs to, or says why none (or which ones compete).
pub fn belonging(slo: &Slo, around: &Around) -> Result<Belonging, String> {
    if let Some(entity) = &slo.entity {
        return Ok(Belonging {
            entity: entity.clone(),
            by: BelongsBy::Annotation,
        });
    }
    let one = |list: &[EntityRef], by: BelongsBy, what: &str| -> Result<Option<Belonging>, String> {
        match list {
            [] => Ok(None),
            [entity] => Ok(Some(Belonging {
                entity: entity.clone(),
                by,
            })),
            many => Err(format!(
                "{what}: {}; add the annotation {} to the SLO to choose",
                many.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                crate::define::ENTITY_ANNOTATION
            )),
        }
    };
    if let Some(b) = one(&around.listed_by, BelongsBy::Listed, "several entities list this file")? {
        return Ok(b);
    }
    if let Some(b) = one(
        &around.kubernetes_id,
        BelongsBy::KubernetesId,
        "several components have this backstage.io/kubernetes-id",
    )? {
        return Ok(b);
    }
    if slo.service.is_some()
        && let [entity] = around.components_named.as_slice()
    {
        return Ok(Belonging {
            entity: entity.clone(),
            by: BelongsBy::Service,
        });
    }
    if let Some(b) = one(
        &around.in_repository,
        BelongsBy::Repository,
        "several entities are described beside this file",
    )? {
        return Ok(b);
    }
    Err(format!(
        "no entity found for SLO `{}`: add the annotation {} to it, or list its file in an entity's {}",
        slo.id,
        crate::define::ENTITY_ANNOTATION,
        SLO_FILES_ANNOTATION
    ))
}

/// The files a `cairn.dev/slo-files` annotation lists, as paths joined to `base` (the directory
/// of the entity's own file, `/`-separated, may be empty). Refuses absolute paths and any that
/// leave the base's root.
pub fn listed_files(annotation: &str, base: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for item in annotation.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        if item.starts_with('/') || item.contains("://") || item.contains('\\') {
            return Err(format!("`{item}`: list paths relative to the entity's file"));
        }
        let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
        for part in item.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(format!("`{item}` leaves the repository"));
                    }
                }
                p => parts.push(p),
            }
        }
        if parts.is_empty() {
            return Err(format!("`{item}` is not a file"));
        }
        out.push(parts.join("/"));
        if out.len() > MAX_LISTED_FILES {
            return Err(format!("lists more than {MAX_LISTED_FILES} files"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Alerting, Budgeting, Format, Indicator, Query, QueryForm, Window};

    fn slo(entity: Option<EntityRef>, service: Option<&str>) -> Slo {
        Slo {
            id: "svc/availability".into(),
            name: "availability".into(),
            display_name: None,
            description: None,
            format: Format::Sloth,
            service: service.map(str::to_string),
            entity,
            objective: 0.999,
            window: Window::Rolling { seconds: 2_592_000 },
            budgeting: Budgeting::Occurrences,
            indicator: Indicator::BoolGauge {
                query: Query {
                    promql: "up".into(),
                    form: QueryForm::Gauge,
                },
            },
            alerting: Alerting::default(),
            labels: Default::default(),
            data_source: None,
            origin: None,
        }
    }

    fn r(text: &str) -> EntityRef {
        EntityRef::parse_full(text).expect("test data")
    }

    #[test]
    fn the_rules_apply_in_order() {
        let around = Around {
            listed_by: vec![r("component:default/listed")],
            kubernetes_id: vec![r("component:default/labelled")],
            components_named: vec![r("component:default/svc")],
            in_repository: vec![r("component:default/beside")],
        };
        let by = |slo: &Slo, around: &Around| belonging(slo, around).map(|b| (b.entity.to_string(), b.by));
        assert_eq!(
            by(&slo(Some(r("component:team/pay")), Some("svc")), &around),
            Ok(("component:team/pay".into(), BelongsBy::Annotation))
        );
        assert_eq!(
            by(&slo(None, Some("svc")), &around),
            Ok(("component:default/listed".into(), BelongsBy::Listed))
        );
        let around = Around {
            listed_by: vec![],
            ..around
        };
        assert_eq!(
            by(&slo(None, Some("svc")), &around),
            Ok(("component:default/labelled".into(), BelongsBy::KubernetesId))
        );
        let around = Around {
            kubernetes_id: vec![],
            ..around
        };
        assert_eq!(
            by(&slo(None, Some("svc")), &around),
            Ok(("component:default/svc".into(), BelongsBy::Service))
        );
        assert_eq!(
            by(&slo(None, None), &around),
            Ok(("component:default/beside".into(), BelongsBy::Repository))
        );
    }

    #[test]
    fn ambiguity_and_absence_are_explained() {
        let around = Around {
            listed_by: vec![r("component:default/a"), r("component:default/b")],
            ..Around::default()
        };
        let err = belonging(&slo(None, None), &around).expect_err("refused");
        assert!(err.contains("component:default/a, component:default/b"), "{err}");
        let err = belonging(&slo(None, None), &Around::default()).expect_err("refused");
        assert!(
            err.contains("cairn.dev/entity") && err.contains("cairn.dev/slo-files"),
            "{err}"
        );
        // Two components of the service's name decide nothing; the repository's entity does.
        let around = Around {
            components_named: vec![r("component:a/svc"), r("component:b/svc")],
            in_repository: vec![r("component:a/svc")],
            ..Around::default()
        };
        assert_eq!(
            belonging(&slo(None, Some("svc")), &around).expect("test data").by,
            BelongsBy::Repository
        );
    }

    #[test]
    fn listed_files_are_relative_to_the_entity() {
        assert_eq!(
            listed_files("slo/a.yaml, ./slo/b.yaml\n../shared/c.yaml", "services/pay"),
            Ok(vec![
                "services/pay/slo/a.yaml".to_string(),
                "services/pay/slo/b.yaml".to_string(),
                "services/shared/c.yaml".to_string()
            ])
        );
        assert_eq!(listed_files("slo.yaml", ""), Ok(vec!["slo.yaml".to_string()]));
        assert!(listed_files("../../x.yaml", "a").is_err());
        assert!(listed_files("/etc/passwd", "a").is_err());
        assert!(listed_files("https://x/y.yaml", "a").is_err());
    }
}
