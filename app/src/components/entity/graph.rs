//! The relations graph as SVG: the entity in the middle, neighbours on rings; every node links to
//! its entity page; the depth (1–3) is in the URL.

use leptos::prelude::*;

use crate::api::catalog::{Graph, entity_href, load_graph, node_width};

#[component]
pub fn RelationsGraph(entity_ref: String, depth: Memo<u8>) -> impl IntoView {
    let reference = entity_ref.clone();
    let graph = Resource::new(move || depth.get(), move |d| load_graph(reference.clone(), d));
    let here = crate::api::catalog::entity_href(&entity_ref);
    view! {
        <section class="panel graph" aria-labelledby="graph-title">
            <div class="graph-head">
                <h2 id="graph-title">"Relations graph"</h2>
                <nav class="depth" aria-label="Graph depth">
                    "Depth: "
                    {[1u8, 2, 3].into_iter().map(|d| {
                        let href = format!("{here}?depth={d}");
                        view! { <a href=href class:selected=move || depth.get() == d aria-current=move || (depth.get() == d).then_some("true")>{d}</a> }
                    }).collect_view()}
                </nav>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Drawing…"</p> }>
                {move || Suspend::new(async move { graph.await.map(|g| view! { <GraphSvg graph=g /> }) })}
            </Transition>
        </section>
    }
}

#[component]
fn GraphSvg(graph: Graph) -> impl IntoView {
    let nodes = graph.nodes.clone();
    let edges = graph
        .edges
        .iter()
        .filter_map(|e| {
            let (a, b) = (nodes.get(e.from)?, nodes.get(e.to)?);
            // End the line where it meets the target's box, so the arrow head stays visible.
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let (half_w, half_h) = (node_width(&b.label) / 2.0 + 3.0, 21.0);
            let t = (half_w / dx.abs().max(0.001))
                .min(half_h / dy.abs().max(0.001))
                .min(1.0);
            let (x2, y2) = (b.x - dx * t, b.y - dy * t);
            Some(view! {
                <g class="edge">
                    <line x1=a.x y1=a.y x2=x2 y2=y2 marker-end="url(#arrow)" />
                    <text x=(a.x + b.x) / 2.0 y=(a.y + b.y) / 2.0 - 4.0 class="edge-label">{e.label.clone()}</text>
                </g>
            })
        })
        .collect_view();
    let view_box = format!("0 0 {} {}", graph.width, graph.height);
    view! {
        {graph.truncated.then(|| view! { <p class="muted">"Only the nearest 60 entities are drawn."</p> })}
        <svg class="graph-svg" viewBox=view_box role="img" aria-label="Relations graph" data-testid="graph">
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" />
                </marker>
            </defs>
            {edges}
            {graph.nodes.into_iter().map(|n| {
                let class = format!("node kind-{}{}{}", n.kind, if n.root { " root" } else { "" }, if n.exists { "" } else { " dangling" });
                let width = node_width(&n.label);
                let label: String = if n.label.chars().count() > 28 { format!("{}…", n.label.chars().take(27).collect::<String>()) } else { n.label.clone() };
                view! {
                    <a href=entity_href(&n.entity_ref) class=class data-ref=n.entity_ref.clone()>
                        <title>{n.entity_ref.clone()}</title>
                        <rect x=n.x - width / 2.0 y=n.y - 18.0 width=width height="36" rx="8" />
                        <text x=n.x y=n.y - 3.0 class="node-kind">{n.kind.clone()}</text>
                        <text x=n.x y=n.y + 11.0 class="node-name">{label}</text>
                    </a>
                }
            }).collect_view()}
        </svg>
    }
}
