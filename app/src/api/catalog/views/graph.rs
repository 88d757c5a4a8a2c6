//! The relations graph: a breadth-first walk from one entity, then a radial layout (the entity in
//! the middle, each further step on a wider ring) that SVG can draw as is.

use std::collections::HashMap;
use std::sync::Arc;

use catalog::model::EntityRef;
// Arrows follow the first type of each pair; the reverse type is drawn as its twin.
use catalog::model::relation::RELATION_PAIRS;
use catalog::service::Catalog;
use catalog::store::StoreError;

use super::super::types::{Graph, GraphEdge, GraphNode, node_width};

/// Most entities drawn: beyond this a graph stops being readable.
const MAX_NODES: usize = 60;
const RING: f64 = 190.0;

pub async fn graph(service: &Arc<Catalog>, entity_ref: &str, depth: u8) -> Result<Graph, StoreError> {
    let root = EntityRef::parse_full(entity_ref)
        .map(|r| r.to_string())
        .unwrap_or_else(|_| entity_ref.to_lowercase());
    let mut order: Vec<(String, usize)> = vec![(root.clone(), 0)];
    let mut index: HashMap<String, usize> = HashMap::from([(root.clone(), 0)]);
    let mut edges: Vec<GraphEdge> = Vec::new();
    let mut frontier = vec![root.clone()];
    let mut truncated = false;
    for step in 1..=usize::from(depth) {
        let relations = service.store.relations_of(&frontier).await?;
        let mut next = Vec::new();
        for source in &frontier {
            for (relation_type, target) in relations.get(source).into_iter().flatten() {
                let Some((from, to, label)) = direction(source, relation_type, target) else {
                    continue;
                };
                if !index.contains_key(target) {
                    if order.len() >= MAX_NODES {
                        truncated = true;
                        continue;
                    }
                    index.insert(target.clone(), order.len());
                    order.push((target.clone(), step));
                    next.push(target.clone());
                }
                let edge = GraphEdge {
                    from: index[&from],
                    to: index[&to],
                    label: label.to_string(),
                };
                if !edges
                    .iter()
                    .any(|e| e.from == edge.from && e.to == edge.to && e.label == edge.label)
                {
                    edges.push(edge);
                }
            }
        }
        frontier = next;
        if frontier.is_empty() {
            break;
        }
    }
    let refs: Vec<String> = order.iter().map(|(r, _)| r.clone()).collect();
    let existing = service.store.existing_refs(&refs).await?;
    Ok(layout(order, edges, &existing, truncated))
}

/// (from, to, forward label) of a relation seen from `source`.
fn direction(source: &str, relation_type: &str, target: &str) -> Option<(String, String, &'static str)> {
    RELATION_PAIRS.iter().find_map(|(forward, reverse)| {
        if relation_type == *forward {
            Some((source.to_string(), target.to_string(), *forward))
        } else if relation_type == *reverse {
            Some((target.to_string(), source.to_string(), *forward))
        } else {
            None
        }
    })
}

fn layout(
    order: Vec<(String, usize)>,
    edges: Vec<GraphEdge>,
    existing: &std::collections::HashSet<String>,
    truncated: bool,
) -> Graph {
    let mut per_ring: HashMap<usize, usize> = HashMap::new();
    for (_, d) in &order {
        *per_ring.entry(*d).or_default() += 1;
    }
    // Each ring is wide enough for its boxes (about 130 px of circumference each) and clear of the last.
    let mut radius: HashMap<usize, f64> = HashMap::from([(0, 0.0)]);
    let rings = order.iter().map(|(_, d)| *d).max().unwrap_or(0);
    for d in 1..=rings {
        let needed = per_ring.get(&d).copied().unwrap_or(0) as f64 * 130.0 / std::f64::consts::TAU;
        radius.insert(d, needed.max(radius[&(d - 1)] + RING));
    }
    let mut placed: HashMap<usize, usize> = HashMap::new();
    let mut nodes: Vec<GraphNode> = order
        .into_iter()
        .map(|(entity_ref, d)| {
            let i = placed.entry(d).or_default();
            let count = per_ring[&d].max(1) as f64;
            // Offset alternate rings so labels of neighbouring rings do not line up.
            let angle = (*i as f64 / count) * std::f64::consts::TAU + d as f64 * 0.35 - std::f64::consts::FRAC_PI_2;
            *i += 1;
            let (kind, rest) = entity_ref.split_once(':').unwrap_or(("", &entity_ref));
            let label = rest.strip_prefix("default/").unwrap_or(rest).to_string();
            GraphNode {
                exists: existing.contains(&entity_ref),
                kind: kind.to_string(),
                label,
                x: radius[&d] * angle.cos(),
                y: radius[&d] * angle.sin(),
                root: d == 0,
                entity_ref,
            }
        })
        .collect();
    // Shift everything into a tight, padded box.
    let min_x = nodes
        .iter()
        .map(|n| n.x - node_width(&n.label) / 2.0)
        .fold(f64::MAX, f64::min);
    let max_x = nodes
        .iter()
        .map(|n| n.x + node_width(&n.label) / 2.0)
        .fold(f64::MIN, f64::max);
    let min_y = nodes.iter().map(|n| n.y - 18.0).fold(f64::MAX, f64::min);
    let max_y = nodes.iter().map(|n| n.y + 18.0).fold(f64::MIN, f64::max);
    const PAD: f64 = 16.0;
    for n in &mut nodes {
        n.x = (n.x - min_x + PAD).round();
        n.y = (n.y - min_y + PAD).round();
    }
    Graph {
        nodes,
        edges,
        width: (max_x - min_x + 2.0 * PAD).ceil(),
        height: (max_y - min_y + 2.0 * PAD).ceil(),
        truncated,
    }
}
