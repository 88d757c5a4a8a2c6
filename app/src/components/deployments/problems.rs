//! The problems of every workload on the page, in plain words, worst first, each naming its
//! workload: what a person reads before anything else.

use deployments::model::{Workload, summarize};
use leptos::prelude::*;

use super::state::LiveDeployments;

/// One line of the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProblemLine {
    /// `Deployment checkout-service (dev/checkout)`.
    pub workload: String,
    pub text: String,
}

/// The lines for `workloads`, worst first.
pub fn problem_lines(workloads: &[Workload]) -> Vec<ProblemLine> {
    summarize(workloads)
        .into_iter()
        .map(|(w, p)| ProblemLine {
            workload: format!(
                "{} {} ({}/{})",
                w.key.kind.as_str(),
                w.key.name,
                w.key.cluster,
                w.key.namespace
            ),
            text: p.text(),
        })
        .collect()
}

/// The summary at the top of a Deployments view; recomputed only when a workload changes (its
/// problems come with it), never for a pod alone.
#[component]
pub fn ProblemSummary(state: LiveDeployments) -> impl IntoView {
    let lines = Memo::new(move |_| {
        let workloads: Vec<Workload> = state.workloads.with(|list| list.iter().map(|w| w.info.get()).collect());
        (workloads.len(), problem_lines(&workloads))
    });
    view! {
        <section class="problem-summary" data-testid="problem-summary" aria-live="polite">
            {move || {
                let (count, lines) = lines.get();
                if lines.is_empty() {
                    (count > 0).then(|| view! { <p class="ok">"No problems found."</p> }).into_any()
                } else {
                    view! {
                        <h3 class="visually-hidden">"Problems"</h3>
                        <ul class="problems-list">
                            {lines
                                .into_iter()
                                .map(|line| view! {
                                    <li data-testid="problem">
                                        <strong>{line.workload}</strong>": "{line.text}
                                    </li>
                                })
                                .collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use deployments::model::{Problem, ProblemKind};

    use super::*;

    #[test]
    fn lines_name_the_workload_and_come_worst_first() {
        let json = r#"{"key":{"cluster":"dev","namespace":"checkout","kind":"Deployment","name":"checkout-service"},
            "entity":null,"owner":null,"createdMs":null,"replicas":{"desired":5,"updated":5,"ready":3,"available":3},
            "revision":null,"revisionSinceMs":null,"images":[],
            "rollout":{"phase":"Complete","message":null,"sinceMs":null,"strategy":null},
            "pods":[],"autoscaler":null,"events":[],"argoCd":null,"argoRollout":null,"health":"Degraded",
            "problems":[],"staleSinceMs":null}"#;
        let mut workload: Workload = serde_json::from_str(json).expect("a workload");
        let problem = |kind, affected, detail: Option<&str>| Problem {
            kind,
            affected,
            total: if affected > 0 { 5 } else { 0 },
            since_ms: Some(1_764_931_320_000),
            detail: detail.map(Into::into),
        };
        workload.problems = vec![
            problem(ProblemKind::Unavailable, 0, None),
            problem(ProblemKind::CrashLooping, 2, Some("OOMKilled")),
        ];
        let lines = problem_lines(&[workload]);
        assert_eq!(
            lines,
            [
                ProblemLine {
                    workload: "Deployment checkout-service (dev/checkout)".into(),
                    text: "2 of 5 pods crash-looping since 10:42 UTC: OOMKilled".into(),
                },
                ProblemLine {
                    workload: "Deployment checkout-service (dev/checkout)".into(),
                    text: "Not available since 10:42 UTC".into(),
                },
            ]
        );
    }
}
