//! `helm lint --strict` and `helm template` on a generated chart with each environment's values,
//! and what the rendered manifests must contain for the variant.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::tools::{helm, succeed};
use super::variants::Service;

/// The image tag CI passes (`--set image.tag=$GITHUB_SHA`).
const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// Lints and renders `dir/chart` with no values file, then staging's, then production's.
pub fn check(dir: &Path, service: &Service) {
    for values in [None, Some("values-staging.yaml"), Some("values-production.yaml")] {
        let mut lint = Command::new(helm());
        lint.current_dir(dir).args(["lint", "--strict", "chart"]);
        let mut template = Command::new(helm());
        template
            .current_dir(dir)
            .args(["template", &service.name, "chart", "--set"])
            .arg(format!("image.tag={SHA}"));
        if let Some(file) = values {
            lint.args(["--values", &format!("chart/{file}")]);
            template.args(["--values", &format!("chart/{file}")]);
        }
        let shown = format!("{} {}", service.label(), values.unwrap_or("values.yaml"));
        succeed(&mut lint, Duration::from_secs(60), &format!("helm lint ({shown})"));
        let rendered = succeed(
            &mut template,
            Duration::from_secs(60),
            &format!("helm template ({shown})"),
        );
        let manifests = parse(&rendered.stdout());
        expect(&manifests, service, values, &shown);
    }
}

fn parse(text: &str) -> Vec<Value> {
    let limits = catalog::read::ReadLimits::default();
    catalog::read::read_documents(text.as_bytes(), &limits)
        .expect("helm's output is YAML")
        .into_iter()
        .filter_map(|d| d.value.expect("each manifest is YAML"))
        .collect()
}

fn find<'a>(manifests: &'a [Value], kind: &str) -> Vec<&'a Value> {
    manifests.iter().filter(|m| m["kind"] == kind).collect()
}

fn expect(manifests: &[Value], service: &Service, values: Option<&str>, shown: &str) {
    let count = |kind: &str| find(manifests, kind).len();
    let staging = values == Some("values-staging.yaml");
    assert_eq!(
        count("Service"),
        if service.strategy == "blue-green" { 2 } else { 1 },
        "{shown}: Services"
    );
    assert_eq!(count("ServiceAccount"), 1, "{shown}");
    assert_eq!(count("Ingress"), usize::from(service.ingress), "{shown}: Ingress");
    assert_eq!(
        count("PodDisruptionBudget"),
        usize::from(!staging),
        "{shown}: PodDisruptionBudget"
    );
    let hpa = find(manifests, "HorizontalPodAutoscaler");
    assert_eq!(hpa.len(), 1, "{shown}: HPA");
    assert_eq!(hpa[0]["apiVersion"], "autoscaling/v2", "{shown}");
    let workload_kind = if service.strategy == "rolling" {
        "Deployment"
    } else {
        "Rollout"
    };
    assert_eq!(hpa[0]["spec"]["scaleTargetRef"]["kind"], workload_kind, "{shown}");
    assert_eq!(count("Deployment") + count("Rollout"), 1, "{shown}: one workload");
    let workload = find(manifests, workload_kind)[0];
    strategy(workload, manifests, service, shown);
    pod(&workload["spec"]["template"], service, shown);
    if service.ingress {
        let ingress = find(manifests, "Ingress")[0];
        let host = ingress["spec"]["rules"][0]["host"].as_str().unwrap_or_default();
        let expected = if staging {
            "staging-payments.example.com"
        } else {
            "payments.example.com"
        };
        assert_eq!(host, expected, "{shown}: ingress host");
    }
}

fn strategy(workload: &Value, manifests: &[Value], service: &Service, shown: &str) {
    let spec = &workload["spec"];
    match service.strategy {
        "rolling" => {
            assert_eq!(workload["apiVersion"], "apps/v1", "{shown}");
            assert_eq!(spec["strategy"]["type"], "RollingUpdate", "{shown}");
            assert_eq!(spec["strategy"]["rollingUpdate"]["maxUnavailable"], 0, "{shown}");
        }
        "canary" => {
            assert_eq!(workload["apiVersion"], "argoproj.io/v1alpha1", "{shown}");
            let steps = spec["strategy"]["canary"]["steps"].as_array().expect("canary steps");
            assert!(
                steps.iter().any(|s| s.get("setWeight").is_some()),
                "{shown}: setWeight step"
            );
            assert!(steps.iter().any(|s| s.get("pause").is_some()), "{shown}: pause step");
        }
        "blue-green" => {
            assert_eq!(workload["apiVersion"], "argoproj.io/v1alpha1", "{shown}");
            let blue_green = &spec["strategy"]["blueGreen"];
            let names: Vec<&str> = find(manifests, "Service")
                .iter()
                .filter_map(|s| s["metadata"]["name"].as_str())
                .collect();
            for key in ["activeService", "previewService"] {
                let name = blue_green[key].as_str().expect("service name");
                assert!(names.contains(&name), "{shown}: {key} {name} is one of {names:?}");
            }
        }
        other => panic!("unknown strategy {other}"),
    }
}

fn pod(template: &Value, service: &Service, shown: &str) {
    let annotations = &template["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/scrape"], "true", "{shown}");
    assert_eq!(annotations["prometheus.io/port"], service.port.to_string(), "{shown}");
    assert_eq!(
        template["metadata"]["labels"]["backstage.io/kubernetes-id"], service.name,
        "{shown}"
    );
    let container = &template["spec"]["containers"][0];
    let image = format!("ghcr.io/acme/{}:{SHA}", service.name);
    assert_eq!(container["image"], image, "{shown}");
    assert_eq!(container["ports"][0]["containerPort"], service.port, "{shown}");
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(container[probe]["httpGet"]["path"], "/health", "{shown}: {probe}");
    }
    for bound in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                container["resources"][bound][resource].is_string(),
                "{shown}: {bound}.{resource}"
            );
        }
    }
    assert_eq!(template["spec"]["securityContext"]["runAsNonRoot"], true, "{shown}");
    let env: Vec<&str> = container["env"]
        .as_array()
        .map(|e| e.iter().filter_map(|v| v["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        env.contains(&"DATABASE_URL"),
        service.database,
        "{shown}: DATABASE_URL in {env:?}"
    );
}
