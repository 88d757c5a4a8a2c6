//! `/admin/tokens`: API tokens for machines. Admins create one (name, scopes, expiry) and see its
//! secret once; the list shows scopes, creator, last use; revoking takes effect at once.

use crate::safe::title::PageTitle;
use access::Scope;
use leptos::prelude::*;

use crate::api::admin::{CreateToken, RevokeToken, TokenInfo, list_tokens};
use crate::components::format_time;

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let name = RwSignal::new(String::new());
    let expires = RwSignal::new(String::from("90"));
    let chosen = RwSignal::new(vec![Scope::CatalogRead.as_str().to_string()]);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateToken {
            name: name.get_untracked(),
            scopes: chosen.get_untracked(),
            expires_in_days: expires.get_untracked(),
        });
    };
    view! {
        <PageTitle text="API tokens" />
        <h1>"API tokens"</h1>
        <p class="muted">"Tokens let machines (CI pipelines, scripts) call the API with "<code>"Authorization: Bearer …"</code>". Only a hash is stored: the secret is shown once."</p>
        <form class="panel" on:submit=submit data-testid="new-token">
            <h2>"New token"</h2>
            <label>"Name "<input required maxlength="100" prop:value=name on:input=move |e| name.set(event_target_value(&e)) name="name" /></label>
            <fieldset>
                <legend>"Scopes"</legend>
                {Scope::ALL.into_iter().map(|scope| {
                    let value = scope.as_str().to_string();
                    let checked_value = value.clone();
                    view! {
                        <label class="choice">
                            <input type="checkbox" value=value.clone()
                                prop:checked=move || chosen.read().contains(&checked_value)
                                on:change=move |e| {
                                    let on = event_target_checked(&e);
                                    chosen.update(|c| { c.retain(|s| *s != value); if on { c.push(value.clone()); } });
                                } />
                            <code>{scope.as_str()}</code>" — "{scope.description()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <label>"Expires in (days, empty for never) "<input inputmode="numeric" prop:value=expires on:input=move |e| expires.set(event_target_value(&e)) name="expires_in_days" /></label>
            <button type="submit" class="button" disabled=move || create.pending().get()>"Create token"</button>
        </form>
        {move || create.value().get().map(|r| match r {
            Ok(t) => view! {
                <div class="panel success" role="status" data-testid="token-secret">
                    <p>"Token "<strong>{t.name}</strong>" created. Copy it now: it is not shown again."</p>
                    <p class="secret">{t.secret}</p>
                </div>
            }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        {move || revoke.value().get().map(|r| match r {
            Ok(name) => view! { <p class="panel success" role="status">{format!("Token {name} revoked.")}</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move { tokens.await.map(|list| view! { <TokenTable list revoke /> }) })}
        </Suspense>
    }
}

#[component]
fn TokenTable(list: Vec<TokenInfo>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="panel">"No token has been created yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table data-testid="tokens">
            <thead><tr>
                <th scope="col">"Name"</th><th scope="col">"Scopes"</th><th scope="col">"Created"</th>
                <th scope="col">"Last used"</th><th scope="col">"Expires"</th><th scope="col">"State"</th>
                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|t| {
                    let live = t.revoked_at.is_none();
                    let id = t.id.clone();
                    view! {
                        <tr>
                            <td>{t.name.clone()}</td>
                            <td>{t.scopes.join(", ")}</td>
                            <td>{format_time(t.created_at)}" by "{t.created_by.clone()}</td>
                            <td>{t.last_used_at.map(format_time).unwrap_or_else(|| "never".into())}</td>
                            <td>{t.expires_at.map(format_time).unwrap_or_else(|| "never".into())}</td>
                            <td>{if live { "active".to_string() } else { format!("revoked {}", t.revoked_at.map(format_time).unwrap_or_default()) }}</td>
                            <td>{live.then(|| view! {
                                <ActionForm action=revoke>
                                    <input type="hidden" name="id" value=id.clone() />
                                    <button type="submit" class="button danger small">"Revoke"</button>
                                </ActionForm>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}
