//! Rows of cost (a team's entities, the organisation by team, system, domain, namespace or
//! cluster, the workloads behind unallocated cost): own cost per resource, shares of idle and
//! shared costs, total, efficiency, where usage came from, and the figures behind each row.
//! A row links to where it drills down to.

use cost::view::lines::{Line, Lines, reserved_label};
use leptos::prelude::*;

use super::{efficiency, money};

/// Where a row's name leads: an entity's Cost tab, a drill-down, or nowhere.
pub type Link = std::sync::Arc<dyn Fn(&Line) -> Option<String> + Send + Sync>;

#[component]
pub fn LinesTable(
    lines: Lines,
    #[prop(into)] name_header: String,
    #[prop(into)] testid: String,
    link: Link,
    /// Show the idle and shared shares' columns (a team's view).
    #[prop(optional)]
    shares: bool,
) -> impl IntoView {
    let currency = lines.currency.clone();
    let total = lines.total();
    let meters = lines.meters.clone();
    if lines.lines.is_empty() {
        return view! { <p class="empty" data-testid=testid>"No cost recorded in this range."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="entities cost-lines" data-testid=testid>
                <thead><tr>
                    <th scope="col">{name_header}</th>
                    <th scope="col">{format!("CPU ({currency})")}</th>
                    <th scope="col">{format!("Memory ({currency})")}</th>
                    <th scope="col">{format!("GPU ({currency})")}</th>
                    <th scope="col">{format!("Storage ({currency})")}</th>
                    {shares.then(|| view! {
                        <th scope="col">{format!("Idle share ({currency})")}</th>
                        <th scope="col">{format!("Shared share ({currency})")}</th>
                    })}
                    <th scope="col">{format!("Total ({currency})")}</th>
                    <th scope="col">"CPU / memory efficiency (usage ÷ request)"</th>
                    <th scope="col">"How it adds up"</th>
                </tr></thead>
                <tbody>
                    {lines.lines.into_iter().map(|line| view! { <Row line=line link=link.clone() shares currency=currency.clone() /> }).collect_view()}
                </tbody>
                <tfoot><tr>
                    <th scope="row">"Total"</th>
                    <td colspan=if shares { "6" } else { "4" }></td>
                    <td class="num" data-testid="lines-total">{format!("{:.2}", total.units())}</td>
                    <td colspan="2"></td>
                </tr></tfoot>
            </table>
            {(!meters.is_empty()).then(|| view! {
                <p class="muted small" data-testid="lines-usage-source">
                    {format!("Usage measured by {}; a row marked (requests only) had none, and is priced on requests alone.", cost::view::Meter::names(&meters))}
                </p>
            })}
        </div>
    }
    .into_any()
}

#[component]
fn Row(line: Line, link: Link, shares: bool, currency: String) -> impl IntoView {
    let href = link(&line);
    let name = reserved_label(&line.key)
        .map(str::to_string)
        .unwrap_or_else(|| line.key.clone());
    let name = match href {
        Some(href) => view! { <a href=href>{name}</a> }.into_any(),
        None => view! { <span>{name}</span> }.into_any(),
    };
    let cell = |m: cost::model::Money| format!("{:.2}", m.units());
    let usage = line.usage;
    let (reserved, key, summary) = (line.reserved(), line.key.clone(), money(line.cost.total(), &currency));
    let efficiencies = if reserved {
        String::new()
    } else {
        format!(
            "{} / {}",
            efficiency(line.cpu_efficiency),
            efficiency(line.ram_efficiency)
        )
    };
    view! {
        <tr class:reserved=reserved data-key=key>
            <th scope="row">{name}</th>
            <td class="num">{cell(line.cost.cpu)}</td>
            <td class="num">{cell(line.cost.memory)}</td>
            <td class="num">{cell(line.cost.gpu)}</td>
            <td class="num">{cell(line.cost.storage)}</td>
            {shares.then(|| view! {
                <td class="num">{cell(line.idle)}</td>
                <td class="num">{cell(line.shared)}</td>
            })}
            <td class="num">{cell(line.total())}</td>
            <td class="small">
                {efficiencies}
                {(usage == cost::view::UsageSource::RequestsOnly).then(|| view! { <span class="muted">" (requests only)"</span> })}
            </td>
            <td><super::figures::Figures figures=line.figures currency=currency.clone() summary=summary /></td>
        </tr>
    }
    .into_any()
}
