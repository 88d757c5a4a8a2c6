//! A small deterministic generator of clusters (SplitMix64, no dependency) and the conservation
//! property over them: for every generated cluster and every policy, allocations, idle, shared
//! and unmounted volumes add up to what the nodes and volumes cost (within 0.5%, in fact to the
//! micro-unit), and the policy never changes the total (kubecost#2359).

use std::collections::BTreeMap;

use chrono::Duration;

use crate::allocation::{Aggregate, Capacity, Claim, Cluster, Container, Node, Owner, Pod, Requests, Usage, Volume};
use crate::idle::IdleShare;
use crate::model::{Money, Window};
use crate::prices::{ClusterPrices, INSTANCE_TYPE_LABEL, NodePool, PriceSettings, RateOverrides};
use crate::report::{Policy, report};
use crate::shared::{SharedNamespaces, Split};

const NAMESPACES: [&str; 4] = ["shop", "ml", "kube-system", "monitoring"];
const TYPES: [&str; 3] = ["m5.large", "c5.xlarge", "g4dn.xlarge"];

/// SplitMix64: a fixed seed always gives the same cluster.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `[0, n)`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// Some part of `window`, or the whole of it.
    fn lifetime(&mut self, window: &Window, percent_partial: u64) -> Option<Window> {
        if !self.chance(percent_partial) {
            return None;
        }
        let minutes = (window.end - window.start).num_minutes();
        let from = self.below(minutes as u64) as i64 - minutes / 4;
        let length = 1 + self.below(minutes as u64) as i64;
        Some(Window::new(
            window.start + Duration::minutes(from),
            window.start + Duration::minutes(from + length),
        ))
    }
}

pub(crate) fn cluster(rng: &mut Rng, window: &Window) -> Cluster {
    let nodes: Vec<Node> = (0..1 + rng.below(5))
        .map(|i| {
            let kind = rng.pick(&TYPES);
            Node {
                name: format!("node-{i}"),
                labels: BTreeMap::from([(INSTANCE_TYPE_LABEL.to_string(), kind.to_string())]),
                capacity: Capacity {
                    cpu_millis: 1000 * (1 + rng.below(16)),
                    memory_bytes: (1 + rng.below(64)) << 30,
                    gpus: if kind == "g4dn.xlarge" {
                        1 + rng.below(4) as u32
                    } else {
                        0
                    },
                },
                active: rng.lifetime(window, 30),
            }
        })
        .collect();
    let mut pods = Vec::new();
    for i in 0..rng.below(40) {
        pods.push(pod(rng, i, &nodes, window));
    }
    let mut claims = Vec::new();
    let mut volumes = Vec::new();
    for i in 0..rng.below(6) {
        let name = format!("pv-{i}");
        volumes.push(Volume {
            name: name.clone(),
            capacity_bytes: (1 + rng.below(500)) << 30,
            storage_class: rng.chance(50).then(|| "fast".to_string()),
            active: rng.lifetime(window, 30),
        });
        if rng.chance(80) {
            let namespace = rng.pick(&NAMESPACES).to_string();
            let claim = format!("claim-{i}");
            for pod in pods.iter_mut().filter(|p| p.namespace == namespace) {
                if rng.chance(40) {
                    pod.claims.push(claim.clone());
                }
            }
            claims.push(Claim {
                namespace,
                name: claim,
                volume: Some(name),
            });
        }
    }
    Cluster {
        name: "generated".into(),
        nodes,
        pods,
        claims,
        volumes,
    }
}

fn pod(rng: &mut Rng, i: u64, nodes: &[Node], window: &Window) -> Pod {
    let node = match rng.below(10) {
        0 => None,
        1 => Some("node-unknown".to_string()),
        _ => Some(nodes[rng.below(nodes.len() as u64) as usize].name.clone()),
    };
    let containers = (0..1 + rng.below(3))
        .map(|c| Container {
            name: format!("c{c}"),
            requests: Requests {
                cpu_millis: if rng.chance(20) { 0 } else { 10 * rng.below(200) },
                memory_bytes: if rng.chance(20) { 0 } else { rng.below(4096) << 20 },
                gpus: u32::from(rng.chance(5)),
            },
            usage: rng.chance(60).then(|| Usage {
                cpu_millis: rng.below(3000) as f64 * 0.7,
                memory_bytes: (rng.below(4096) << 20) as f64 * 1.3,
            }),
        })
        .collect();
    let owner = rng.chance(80).then(|| Owner {
        kind: "Deployment".into(),
        name: format!("app-{}", rng.below(5)),
    });
    Pod {
        namespace: rng.pick(&NAMESPACES).to_string(),
        name: format!("pod-{i}"),
        labels: BTreeMap::from([("team".to_string(), format!("team-{}", rng.below(3)))]),
        owner,
        entity: None,
        team: None,
        node,
        containers,
        claims: Vec::new(),
        active: rng.lifetime(window, 40),
    }
}

pub(crate) fn prices(rng: &mut Rng) -> PriceSettings {
    let mut cluster = ClusterPrices::default();
    if rng.chance(50) {
        cluster.rates.cpu = Some(0.01 + rng.below(100) as f64 / 1000.0);
    }
    if rng.chance(50) {
        let rates = RateOverrides {
            gpu: Some(0.3 + rng.below(300) as f64 / 100.0),
            memory: Some(0.002),
            ..Default::default()
        };
        cluster.node_pools.push(NodePool {
            label: INSTANCE_TYPE_LABEL.into(),
            value: "g4dn.xlarge".into(),
            rates,
        });
    }
    cluster.storage_classes.insert("fast".into(), 0.17);
    PriceSettings {
        clusters: BTreeMap::from([("generated".to_string(), cluster)]),
        ..Default::default()
    }
}

fn policies() -> Vec<Policy> {
    let shared_sets: [&[&str]; 4] = [&[], &["kube-system"], &["kube-system", "monitoring"], &NAMESPACES];
    let mut out = Vec::new();
    for idle in [IdleShare::Separate, IdleShare::Weighted, IdleShare::Even] {
        for split in [Split::Weighted, Split::Even] {
            for set in shared_sets {
                let namespaces = set.iter().map(|s| s.to_string()).collect();
                out.push(Policy {
                    idle,
                    shared: SharedNamespaces { namespaces, split },
                });
            }
        }
    }
    out
}

#[test]
fn conservation_holds_over_generated_clusters_and_every_policy() {
    let window = crate::golden::day();
    let (mut negative_idle, mut unmounted, mut unassigned) = (0, 0, 0);
    for seed in 0..300 {
        let mut rng = Rng::new(seed);
        let cluster = cluster(&mut rng, &window);
        let prices = prices(&mut rng);
        let mut totals = Vec::new();
        for policy in policies() {
            let r = report(&cluster, &window, &prices, &policy);
            let assets = r.assets();
            let distributed = r.distributed();
            let tolerance = (assets.micros().abs() as f64 * 0.005).max(1.0);
            assert!(
                ((distributed - assets).micros() as f64).abs() <= tolerance,
                "seed {seed} {policy:?}: {distributed:?} vs {assets:?}"
            );
            assert_eq!(
                distributed, assets,
                "seed {seed} {policy:?}: not exact to the micro-unit"
            );
            let lines: Money = r
                .lines(|a| Aggregate::Label("team".into()).key(a))
                .values()
                .map(|t| t.total())
                .sum();
            assert_eq!(lines, assets, "seed {seed} {policy:?}: lines");
            if policy.idle == IdleShare::Separate {
                assert_eq!(r.idle_kept, r.idle.total(), "seed {seed}");
            }
            assert!(
                r.allocations
                    .iter()
                    .chain(&r.shared_from)
                    .all(|a| a.own_cost() >= Money::ZERO),
                "seed {seed}"
            );
            negative_idle += usize::from(r.idle.total() < Money::ZERO);
            unmounted += usize::from(r.unmounted() > Money::ZERO);
            unassigned += usize::from(r.shared_unassigned != Money::ZERO);
            totals.push(distributed);
        }
        assert!(
            totals.windows(2).all(|w| w[0] == w[1]),
            "seed {seed}: the policy changed the total: {totals:?}"
        );
    }
    // The hard cases were generated: usage outgrowing nodes, volumes no one mounts, shared
    // namespaces with no one to share to.
    assert!(
        negative_idle > 0 && unmounted > 0 && unassigned > 0,
        "{negative_idle} {unmounted} {unassigned}"
    );
}

#[test]
fn the_generator_is_deterministic_and_varied() {
    let window = crate::golden::day();
    let a = cluster(&mut Rng::new(7), &window);
    assert_eq!(a, cluster(&mut Rng::new(7), &window));
    let clusters: Vec<Cluster> = (0..50).map(|s| cluster(&mut Rng::new(s), &window)).collect();
    assert!(clusters.iter().any(|c| c.pods.iter().any(|p| p.node.is_none())));
    assert!(clusters.iter().any(|c| c.nodes.iter().any(|n| n.capacity.gpus > 0)));
    assert!(clusters.iter().any(|c| c.pods.iter().any(|p| !p.claims.is_empty())));
    assert!(clusters.iter().any(|c| c.nodes.iter().any(|n| n.active.is_some())));
}
