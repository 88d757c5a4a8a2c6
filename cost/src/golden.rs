//! Golden figures: a small cluster computed by hand, every figure asserted to the cent (and to
//! the micro-unit where the arithmetic is exact). Prices are OpenCost's defaults except the GPU
//! node pool `node.kubernetes.io/instance-type=g4dn.xlarge` at 0.526 per GPU-hour.
//!
//! Window: 24 h. Rates: CPU 0.031611 /vCPU-hour, memory 0.004237 /GiB-hour, storage 0.04
//! /GiB-month ÷ 730 h.
//!
//! Nodes (capacity × 24 h × rate):
//!   cpu-1 (m5.xlarge, 4 vCPU, 16 GiB):  CPU 4 × 24 × 0.031611 = 3.034656; memory 16 × 24 ×
//!   0.004237 = 1.627008 → 4.661664
//!   gpu-1 (g4dn.xlarge, 4 vCPU, 16 GiB, 1 GPU): the same 4.661664 + GPU 1 × 24 × 0.526 =
//!   12.624 → 17.285664
//!   nodes: 21.947328
//! Volumes: pv-data 10 GiB × 24 h × 0.04 ÷ 730 = 0.013150685 → 0.013151 (bound to shop/web-data,
//!   mounted by web-1); pv-orphan 5 GiB × 24 × 0.04 ÷ 730 = 0.006575342 → 0.006575, no claim:
//!   unmounted. Assets: 21.947328 + 0.013151 + 0.006575 = 21.967054.
//!
//! Containers (max(request, usage) × 24 h × rate):
//!   shop/web-1 (Deployment web, cpu-1): request 1 vCPU / 2 GiB, usage 0.5 / 1 → basis request:
//!     CPU 1 × 24 × 0.031611 = 0.758664, memory 2 × 24 × 0.004237 = 0.203376, its volume
//!     0.013151 → own 0.975191
//!   shop/worker-1 (Deployment worker, cpu-1): request 0.5 vCPU / 1 GiB, usage 1.5 vCPU (over its
//!     request) / 0.5 GiB: CPU on usage 1.5 × 24 × 0.031611 = 1.137996, memory on request 1 × 24
//!     × 0.004237 = 0.101688 → own 1.239684
//!   shop/batch-1 (Job batch, cpu-1): no requests, no usage known → requests alone: 0
//!   shop/cron-1 (no owner, cpu-1): no requests, usage 0.25 vCPU / 0.25 GiB → on usage: CPU 0.25 ×
//!     24 × 0.031611 = 0.189666, memory 0.25 × 24 × 0.004237 = 0.025422 → own 0.215088
//!   ml/train-1 (Job train, gpu-1): request 2 vCPU / 8 GiB / 1 GPU, no usage: CPU 2 × 24 ×
//!     0.031611 = 1.517328, memory 8 × 24 × 0.004237 = 0.813504, GPU 1 × 24 × 0.526 = 12.624
//!     → own 14.954832
//!   kube-system/coredns-1 (shared namespace, gpu-1): request 0.1 vCPU / 0.125 GiB: CPU 0.1 × 24
//!     × 0.031611 = 0.0758664 → 0.075866, memory 0.125 × 24 × 0.004237 = 0.012711 → 0.088577
//!
//! Idle (kept as its own line): CPU 6.069312 − (0.758664 + 1.137996 + 0.189666 + 1.517328 +
//!   0.075866 = 3.679520) = 2.389792; memory 3.254016 − (0.203376 + 0.101688 + 0.025422 +
//!   0.813504 + 0.012711 = 1.156701) = 2.097315; GPU 12.624 − 12.624 = 0 → 4.487107.
//!
//! Shared (kube-system, weighted by own cost): 0.088577 over 17.384795 (0.975191 + 1.239684 + 0 +
//!   0.215088 + 14.954832), in micro-units: web 88577 × 975191 / 17384795 = 4968.68, worker
//!   6316.29, batch 0, cron 1095.89, train 76196.13; floors sum to 88575, the 2 left go to the
//!   largest remainders (cron .89, web .68): web 4969, worker 6316, cron 1096, train 76196.
//!
//! Totals: web 0.980160 → 0.98; worker 1.246000 → 1.25; batch 0; cron 0.216184 → 0.22; train
//!   15.031028 → 15.03; idle 4.49; unmounted 0.01. Sum 21.967054 = the assets.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};

use crate::allocation::{
    Aggregate, Basis, Capacity, Claim, Cluster, Container, IDLE, Node, Owner, Pod, Requests, UNMOUNTED, Usage, Volume,
};
use crate::idle::IdleShare;
use crate::model::{GIB, Money, RateSource, Window};
use crate::prices::{ClusterPrices, INSTANCE_TYPE_LABEL, NodePool, PriceSettings, RateOverrides};
use crate::report::{Policy, report};
use crate::shared::{SharedNamespaces, Split};

const MIB: u64 = 1 << 20;
const GIB_BYTES: u64 = 1 << 30;

pub(crate) fn day() -> Window {
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid time");
    Window::new(start, start + chrono::Duration::hours(24))
}

fn node(name: &str, instance_type: &str, gpus: u32) -> Node {
    Node {
        name: name.into(),
        labels: BTreeMap::from([(INSTANCE_TYPE_LABEL.to_string(), instance_type.to_string())]),
        capacity: Capacity {
            cpu_millis: 4000,
            memory_bytes: 16 * GIB_BYTES,
            gpus,
        },
        active: None,
    }
}

fn container(name: &str, cpu_millis: u64, memory_bytes: u64, gpus: u32, usage: Option<(f64, f64)>) -> Container {
    Container {
        name: name.into(),
        requests: Requests {
            cpu_millis,
            memory_bytes,
            gpus,
        },
        usage: usage.map(|(cpu_millis, memory_bytes)| Usage {
            cpu_millis,
            memory_bytes,
        }),
    }
}

fn pod(namespace: &str, name: &str, owner: Option<(&str, &str)>, node: &str, c: Container) -> Pod {
    Pod {
        namespace: namespace.into(),
        name: name.into(),
        labels: BTreeMap::from([("app".to_string(), name.trim_end_matches("-1").to_string())]),
        owner: owner.map(|(kind, name)| Owner {
            kind: kind.into(),
            name: name.into(),
        }),
        entity: None,
        team: None,
        node: Some(node.into()),
        containers: vec![c],
        claims: Vec::new(),
        active: None,
    }
}

pub(crate) fn cluster() -> Cluster {
    let g = GIB_BYTES as f64;
    let mut web = pod(
        "shop",
        "web-1",
        Some(("Deployment", "web")),
        "cpu-1",
        container("web", 1000, 2 * GIB_BYTES, 0, Some((500.0, g))),
    );
    web.claims.push("web-data".into());
    Cluster {
        name: "golden".into(),
        nodes: vec![node("cpu-1", "m5.xlarge", 0), node("gpu-1", "g4dn.xlarge", 1)],
        pods: vec![
            web,
            pod(
                "shop",
                "worker-1",
                Some(("Deployment", "worker")),
                "cpu-1",
                container("worker", 500, GIB_BYTES, 0, Some((1500.0, g / 2.0))),
            ),
            pod(
                "shop",
                "batch-1",
                Some(("Job", "batch")),
                "cpu-1",
                container("batch", 0, 0, 0, None),
            ),
            pod(
                "shop",
                "cron-1",
                None,
                "cpu-1",
                container("cron", 0, 0, 0, Some((250.0, g / 4.0))),
            ),
            pod(
                "ml",
                "train-1",
                Some(("Job", "train")),
                "gpu-1",
                container("train", 2000, 8 * GIB_BYTES, 1, None),
            ),
            pod(
                "kube-system",
                "coredns-1",
                Some(("Deployment", "coredns")),
                "gpu-1",
                container("coredns", 100, 128 * MIB, 0, Some((50.0, 64.0 * MIB as f64))),
            ),
        ],
        claims: vec![Claim {
            namespace: "shop".into(),
            name: "web-data".into(),
            volume: Some("pv-data".into()),
        }],
        volumes: vec![
            Volume {
                name: "pv-data".into(),
                capacity_bytes: 10 * GIB_BYTES,
                storage_class: Some("standard".into()),
                active: None,
            },
            Volume {
                name: "pv-orphan".into(),
                capacity_bytes: 5 * GIB_BYTES,
                storage_class: None,
                active: None,
            },
        ],
    }
}

pub(crate) fn prices() -> PriceSettings {
    let pool = NodePool {
        label: INSTANCE_TYPE_LABEL.into(),
        value: "g4dn.xlarge".into(),
        rates: RateOverrides {
            gpu: Some(0.526),
            ..Default::default()
        },
    };
    let cluster = ClusterPrices {
        node_pools: vec![pool],
        ..Default::default()
    };
    PriceSettings {
        clusters: BTreeMap::from([("golden".to_string(), cluster)]),
        ..Default::default()
    }
}

fn policy() -> Policy {
    Policy {
        idle: IdleShare::Separate,
        shared: SharedNamespaces {
            namespaces: vec!["kube-system".into()],
            split: Split::Weighted,
        },
    }
}

#[test]
fn nodes_and_volumes_cost_their_capacity() {
    let r = report(&cluster(), &day(), &prices(), &policy());
    let cpu_node = &r.nodes[0];
    assert_eq!(
        (cpu_node.cpu.cost, cpu_node.memory.cost, cpu_node.gpu.cost),
        (Money(3_034_656), Money(1_627_008), Money::ZERO)
    );
    let gpu_node = &r.nodes[1];
    assert_eq!(gpu_node.gpu.cost, Money(12_624_000));
    assert_eq!(gpu_node.total().to_string(), "17.29");
    assert!(matches!(&gpu_node.gpu.price.source, RateSource::NodePool { value, .. } if value == "g4dn.xlarge"));
    assert_eq!(gpu_node.cpu.price.source, RateSource::Default);
    assert_eq!(r.volumes[0].figure.cost, Money(13_151));
    assert_eq!(r.volumes[1].figure.cost, Money(6_575));
    assert_eq!(r.unmounted(), Money(6_575));
    assert_eq!(r.assets(), Money(21_967_054));
    assert_eq!(r.assets().to_string(), "21.97");
}

#[test]
fn every_container_figure_to_the_cent() {
    let r = report(&cluster(), &day(), &prices(), &policy());
    let by_pod: BTreeMap<&str, &crate::allocation::Allocation> =
        r.allocations.iter().map(|a| (a.pod.as_str(), a)).collect();
    let micros = |pod: &str| {
        let a = by_pod[pod];
        (
            a.cpu.cost.micros(),
            a.memory.cost.micros(),
            a.gpu.cost.micros(),
            a.pv_cost().micros(),
            a.shared.micros(),
        )
    };
    assert_eq!(micros("web-1"), (758_664, 203_376, 0, 13_151, 4_969));
    assert_eq!(micros("worker-1"), (1_137_996, 101_688, 0, 0, 6_316));
    assert_eq!(micros("batch-1"), (0, 0, 0, 0, 0));
    assert_eq!(micros("cron-1"), (189_666, 25_422, 0, 0, 1_096));
    assert_eq!(micros("train-1"), (1_517_328, 813_504, 12_624_000, 0, 76_196));
    let cents: Vec<(&str, String)> = r
        .allocations
        .iter()
        .map(|a| (a.pod.as_str(), a.total_cost().to_string()))
        .collect();
    assert_eq!(
        cents,
        vec![
            ("web-1", "0.98".into()),
            ("worker-1", "1.25".into()),
            ("batch-1", "0.00".into()),
            ("cron-1", "0.22".into()),
            ("train-1", "15.03".into())
        ]
    );

    let coredns = &r.shared_from[0];
    assert_eq!((coredns.cpu.cost, coredns.memory.cost), (Money(75_866), Money(12_711)));
    assert_eq!(r.shared_unassigned, Money::ZERO);
}

#[test]
fn bases_say_what_was_priced() {
    let r = report(&cluster(), &day(), &prices(), &policy());
    let basis = |pod: &str| {
        let a = r.allocations.iter().find(|a| a.pod == pod).expect("pod");
        (a.cpu_basis, a.memory_basis)
    };
    assert_eq!(basis("web-1"), (Basis::Request, Basis::Request));
    assert_eq!(basis("worker-1"), (Basis::Usage, Basis::Request));
    assert_eq!(basis("batch-1"), (Basis::Requests, Basis::Requests));
    assert_eq!(basis("cron-1"), (Basis::Usage, Basis::Usage));
    assert_eq!(basis("train-1"), (Basis::Requests, Basis::Requests));
    let worker = r.allocations.iter().find(|a| a.pod == "worker-1").expect("worker");
    assert_eq!(
        worker.cpu.expand("USD"),
        "1.5 vCPU × 24 h × USD 0.031611/vCPU-hour (default) = USD 1.14"
    );
    let web = r.allocations.iter().find(|a| a.pod == "web-1").expect("web");
    assert_eq!(
        web.volumes[0].figure.expand("USD"),
        "10 GiB × 24 h × USD 0.04/GiB-month ÷ 730 h (default) = USD 0.01"
    );
    assert_eq!(web.memory.quantity, 2.0);
    assert_eq!(web.memory_usage_bytes, Some(GIB));
}

#[test]
fn idle_is_its_own_line_and_everything_adds_up() {
    let r = report(&cluster(), &day(), &prices(), &policy());
    assert_eq!(
        (r.idle.cpu, r.idle.memory, r.idle.gpu),
        (Money(2_389_792), Money(2_097_315), Money::ZERO)
    );
    assert_eq!(r.idle_kept, Money(4_487_107));
    assert_eq!(r.idle_kept.to_string(), "4.49");
    assert_eq!(r.distributed(), r.assets());

    let lines = r.lines(|a| Aggregate::Namespace.key(a));
    let names: Vec<&str> = lines.keys().map(String::as_str).collect();
    assert_eq!(names, vec![IDLE, UNMOUNTED, "ml", "shop"]);
    assert_eq!(lines["shop"].total(), Money(980_160 + 1_246_000 + 216_184));
    assert_eq!(lines["ml"].total().to_string(), "15.03");
    assert_eq!(lines.values().map(|t| t.total()).sum::<Money>(), r.assets());
    let workloads = r.lines(|a| Aggregate::Workload.key(a));
    assert_eq!(workloads["__unallocated__"].total().to_string(), "0.22");
    assert_eq!(workloads["shop/Deployment/web"].cpu_efficiency(), Some(0.5));
}

#[test]
fn sharing_idle_moves_it_without_changing_the_total() {
    for idle in [IdleShare::Separate, IdleShare::Weighted, IdleShare::Even] {
        for split in [Split::Weighted, Split::Even] {
            let policy = Policy {
                idle,
                shared: SharedNamespaces {
                    namespaces: vec!["kube-system".into()],
                    split,
                },
            };
            let r = report(&cluster(), &day(), &prices(), &policy);
            assert_eq!(r.distributed(), Money(21_967_054), "{idle:?} {split:?}");
        }
    }
    // Weighted: CPU idle follows CPU cost. train-1 has 1.517328 of the 3.679520 CPU allocated.
    let policy = Policy {
        idle: IdleShare::Weighted,
        shared: SharedNamespaces::default(),
    };
    let r = report(&cluster(), &day(), &prices(), &policy);
    assert_eq!(r.idle_kept, Money::ZERO);
    let train = r.allocations.iter().find(|a| a.pod == "train-1").expect("train");
    // 2389792 × 1517328 / 3679520 = 985494.6… and 2097315 × 813504 / 1156701 = 1475027.4…
    let expected = 2_389_792.0 * 1_517_328.0 / 3_679_520.0 + 2_097_315.0 * 813_504.0 / 1_156_701.0;
    assert!(
        (train.idle.micros() as f64 - expected).abs() <= 2.0,
        "{} vs {expected}",
        train.idle.micros()
    );
}
