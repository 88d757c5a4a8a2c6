//! An API's definition: OpenAPI as operations one can open, anything else as highlighted text.

use leptos::prelude::*;

use crate::api::catalog::{ApiDefinition, OpenApiView, Operation};

#[component]
pub fn Definition(definition: ApiDefinition) -> impl IntoView {
    view! {
        <section class="panel definition" aria-labelledby="definition-title">
            <h2 id="definition-title">"Definition"</h2>
            {match definition {
                ApiDefinition::OpenApi(view) => view! { <OpenApi view /> }.into_any(),
                ApiDefinition::Text { language, lines } => view! {
                    <pre class="code" data-language=language><code>
                        {lines.into_iter().map(|line| view! {
                            <span class="line">{line.into_iter().map(|(class, text)| view! { <span class=class>{text}</span> }).collect_view()}"\n"</span>
                        }).collect_view()}
                    </code></pre>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn OpenApi(view: OpenApiView) -> impl IntoView {
    view! {
        <p class="api-title"><strong>{view.title.clone()}</strong> " " <span class="muted">{view.version.clone()}</span></p>
        {(!view.description.is_empty()).then(|| view! { <p>{view.description.clone()}</p> })}
        {(!view.servers.is_empty()).then(|| view! { <p class="muted">"Servers: " <span class="mono">{view.servers.join(", ")}</span></p> })}
        <ul class="operations" data-testid="operations">
            {view.operations.into_iter().map(|op| view! { <OperationItem op /> }).collect_view()}
        </ul>
    }
}

#[component]
fn OperationItem(op: Operation) -> impl IntoView {
    let method_class = format!("method method-{}", op.method.to_lowercase());
    view! {
        <li>
            <details>
                <summary>
                    <span class=method_class>{op.method.clone()}</span>
                    <span class="mono">{op.path.clone()}</span>
                    <span class="muted">{op.summary.clone()}</span>
                </summary>
                <div class="operation">
                    {(!op.description.is_empty()).then(|| view! { <p>{op.description.clone()}</p> })}
                    {(!op.parameters.is_empty()).then(|| view! {
                        <h4>"Parameters"</h4>
                        <table class="params">
                            <thead><tr><th>"Name"</th><th>"In"</th><th>"Type"</th><th>"Required"</th></tr></thead>
                            <tbody>
                                {op.parameters.iter().map(|p| view! {
                                    <tr><td class="mono">{p.name.clone()}</td><td>{p.location.clone()}</td><td class="mono">{p.schema.clone()}</td><td>{if p.required { "yes" } else { "no" }}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                    {op.request_body.clone().map(|b| view! { <h4>"Request body"</h4><p class="mono">{b}</p> })}
                    <h4>"Responses"</h4>
                    <ul class="responses">
                        {op.responses.iter().map(|(code, text)| view! { <li><span class="mono">{code.clone()}</span> " " {text.clone()}</li> }).collect_view()}
                    </ul>
                </div>
            </details>
        </li>
    }
}
