//! `/catalog/{namespace}/{kind}/{name}/cost`: the entity's cost over 7, 30 or 90 days: per day
//! by resource type (chart and table), the change against the days before, efficiency, every
//! figure as quantity × hours × rate, and what each rollout changed. On a Group it is the team
//! view: a row per entity the group owns, with its shares of idle and shared costs as their
//! own lines.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::catalog::{EntityDetails, entity_href, load_entity};
use crate::api::cost::{EntityCost, TeamCost, load_entity_cost, load_team_cost, range_days};
use crate::components::cost::controls::RangeLinks;
use crate::components::cost::daily_chart::DailyChart;
use crate::components::cost::figures::Figures;
use crate::components::cost::lines_table::{LinesTable, Link};
use crate::components::cost::{change, day, efficiency, money};
use crate::pages::entity::{EntityHeading, EntityTab, EntityTabs, entity_key};
use crate::pages::not_found::NotFound;
use crate::safe::title::PageTitle;

/// The entity's (or team's) Cost tab.
#[component]
pub fn EntityCostPage() -> impl IntoView {
    let key = entity_key();
    let query = use_query_map();
    let days = Memo::new(move |_| query.with(|q| range_days(q.get("days").and_then(|d| d.parse().ok()))));
    let entity = Resource::new(
        move || key.get(),
        |(kind, namespace, name)| load_entity(kind, namespace, name),
    );
    let data = Resource::new(
        move || (key.get(), days.get()),
        |((kind, namespace, name), days)| async move {
            if kind.eq_ignore_ascii_case("group") {
                load_team_cost(namespace, name, Some(days))
                    .await
                    .map(|t| t.map(Loaded::Team))
            } else {
                load_entity_cost(kind, namespace, name, Some(days))
                    .await
                    .map(|e| e.map(Loaded::Entity))
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let entity = entity.await?;
                let data = data.await?;
                Ok::<_, ServerFnError>(match (entity, data) {
                    (Some(details), Some(data)) => view! { <CostTab details data /> }.into_any(),
                    _ => view! { <NotFound /> }.into_any(),
                })
            })}
        </Transition>
    }
    .into_any()
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
enum Loaded {
    Entity(EntityCost),
    Team(TeamCost),
}

#[component]
fn CostTab(details: EntityDetails, data: Loaded) -> impl IntoView {
    let row = details.row;
    view! {
        <PageTitle text=format!("{} · Cost", row.label()) />
        <EntityHeading row=row.clone() />
        <EntityTabs entity_ref=row.entity_ref.clone() kind=row.kind.clone() current=EntityTab::Cost />
        {match data {
            Loaded::Entity(cost) => view! { <EntityCostView cost /> }.into_any(),
            Loaded::Team(team) => view! { <TeamCostView team /> }.into_any(),
        }}
    }
    .into_any()
}

#[component]
fn EntityCostView(cost: EntityCost) -> impl IntoView {
    let currency = cost.currency.clone();
    let (period, previous) = (cost.period, cost.previous);
    let export = format!(
        "/api/cost/export.csv?window={}d&aggregate=entity&accumulate=false&entity={}",
        cost.days + 1,
        urlencoding(&cost.entity)
    );
    view! {
        <div class="deployments-head"><h2>"Cost"</h2></div>
        <p class="muted" data-testid="scope">{format!(
            "What this entity's containers cost over the last {} whole days (UTC) and today so far, priced at the configured rates ({}).",
            cost.days, currency
        )}</p>
        <RangeLinks days=cost.days query="" />
        <p class="cost-usage" data-testid="usage-source">{cost.usage.sentence(&cost.meters)}</p>
        <dl class="cost-summary" data-testid="cost-summary">
            <div><dt>{format!("Last {} days", cost.days)}</dt><dd>{money(period.total(), &currency)}</dd></div>
            <div><dt>{format!("The {} days before", cost.days)}</dt><dd>{money(previous.total(), &currency)}</dd></div>
            <div><dt>"Change"</dt><dd data-testid="change">{change(cost.change)}</dd></div>
            <div><dt>"Today so far"</dt><dd>{money(cost.today.total(), &currency)}</dd></div>
            <div><dt>"CPU efficiency (usage ÷ request)"</dt><dd>{efficiency(cost.cpu_efficiency)}</dd></div>
            <div><dt>"Memory efficiency (usage ÷ request)"</dt><dd>{efficiency(cost.ram_efficiency)}</dd></div>
        </dl>
        <Figures figures=cost.figures.clone() currency=currency.clone() summary=format!("How the {} days shown add up ({}): quantity × hours × rate", cost.days + 1, money(period.total() + cost.today.total(), &currency)) />
        <DailyChart days=cost.daily.clone() rollouts=cost.rollouts.clone() currency=currency.clone() />
        <p class="exports small"><a href=export rel="external" download="">"Download these days as CSV"</a></p>
        <Rollouts cost />
    }
    .into_any()
}

#[component]
fn Rollouts(cost: EntityCost) -> impl IntoView {
    let currency = cost.currency;
    view! {
        <section data-testid="cost-rollouts">
            <h2>"Rollouts and what they changed"<span class="count">{cost.rollouts.len()}</span></h2>
            {if cost.rollouts.is_empty() {
                view! { <p class="empty">"No rollout of this entity in the range."</p> }.into_any()
            } else {
                view! {
                    <ul class="cost-rollouts">
                        {cost.rollouts.into_iter().rev().map(|r| view! {
                            <li data-seq=r.rollout.seq>
                                <strong>{format!("{} ", day(r.day_ms))}</strong>
                                {r.sentence(&currency)}
                                <span class="muted small">{format!(" · {} · {}", r.rollout.outcome, r.rollout.version)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn TeamCostView(team: TeamCost) -> impl IntoView {
    let currency = team.lines.currency.clone();
    let (idle, shared): (cost::model::Money, cost::model::Money) = team
        .lines
        .lines
        .iter()
        .fold(Default::default(), |(i, s), l| (i + l.idle, s + l.shared));
    let link: Link = Arc::new(|line| (!line.reserved()).then(|| format!("{}/cost", entity_href(&line.key))));
    let export = format!(
        "/api/cost/export.csv?window={}d&aggregate=entity&accumulate=true&owner={}",
        team.days + 1,
        urlencoding(&team.team)
    );
    view! {
        <div class="deployments-head"><h2>"Team cost"</h2></div>
        <p class="muted" data-testid="scope">{format!(
            "Team view: every entity this group owns, over the last {} days and today so far. Idle capacity is shared out by what each entity costs of each resource; its share and the shared namespaces' share are lines of their own.",
            team.days
        )}</p>
        <RangeLinks days=team.days query="" />
        <LinesTable lines=team.lines.clone() name_header="Entity" testid="team-lines" link shares=true />
        <dl class="cost-summary" data-testid="team-shares">
            <div><dt>"Its share of idle capacity"</dt><dd>{money(idle, &currency)}</dd></div>
            <div><dt>"Its share of shared namespaces"</dt><dd>{money(shared, &currency)}</dd></div>
            <div><dt>"Everything it owns, with both"</dt><dd>{money(team.lines.total(), &currency)}</dd></div>
        </dl>
        <p class="exports small"><a href=export rel="external" download="">"Download as CSV"</a></p>
    }
    .into_any()
}

/// A query parameter's value, percent-encoded.
pub fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
