//! Backstage's field extensions: OwnerPicker and EntityPicker (entities of the catalog, by the
//! picker's kinds and `catalogFilter`), RepoUrlPicker (host, owner, repository) and
//! EntityTagsPicker.

use leptos::prelude::*;
use serde_json::Value;
use templates::model::schema::{Field, Picker, RepoUrl};

use super::fields::{aria, shown};
use super::state::{FormState, field_id, get_path};
use crate::api::catalog::encode;
use crate::api::scaffolder::{PickerOption, picker_options};

/// What a picker asks the catalog for, and how it writes its value.
struct Query {
    kinds: String,
    filter: String,
    arbitrary: bool,
    multiple: bool,
    default_kind: Option<String>,
    default_namespace: Option<String>,
}

fn query(picker: Option<&Picker>) -> Query {
    let json = |f: &Option<Value>| f.as_ref().map(Value::to_string).unwrap_or_default();
    match picker {
        Some(Picker::Owner {
            allowed_kinds,
            catalog_filter,
            allow_arbitrary_values,
            ..
        }) => Query {
            kinds: allowed_kinds.join(","),
            filter: json(catalog_filter),
            arbitrary: *allow_arbitrary_values,
            multiple: false,
            default_kind: None,
            default_namespace: None,
        },
        Some(Picker::Entity {
            allowed_kinds,
            catalog_filter,
            default_kind,
            default_namespace,
            allow_arbitrary_values,
            multiple,
            ..
        }) => Query {
            kinds: allowed_kinds.join(","),
            filter: json(catalog_filter),
            arbitrary: *allow_arbitrary_values,
            multiple: *multiple,
            default_kind: default_kind.clone(),
            default_namespace: default_namespace.clone(),
        },
        _ => Query {
            kinds: String::new(),
            filter: String::new(),
            arbitrary: true,
            multiple: false,
            default_kind: None,
            default_namespace: None,
        },
    }
}

/// `group:default/team-a` written as the picker's defaults allow (`team-a` when both match).
pub fn short_ref(entity_ref: &str, default_kind: Option<&str>, default_namespace: Option<&str>) -> String {
    let Some((kind, rest)) = entity_ref.split_once(':') else {
        return entity_ref.to_string();
    };
    let (namespace, name) = rest.split_once('/').unwrap_or(("default", rest));
    let same = |given: Option<&str>, actual: &str| given.is_some_and(|g| g.eq_ignore_ascii_case(actual));
    match (same(default_kind, kind), same(default_namespace, namespace)) {
        (true, true) => name.to_string(),
        (true, false) => format!("{namespace}/{name}"),
        _ => entity_ref.to_string(),
    }
}

/// An entity from the catalog: free text with suggestions, or a closed list when the template
/// allows no other value (several values for MultiEntityPicker).
#[component]
pub fn EntityPickerInput(field: Field) -> impl IntoView {
    let q = query(field.picker.as_ref());
    let (kinds, filter) = (q.kinds.clone(), q.filter.clone());
    let found = Resource::new(|| (), move |()| picker_options(kinds.clone(), filter.clone()));
    let (kind, namespace) = (q.default_kind.clone(), q.default_namespace.clone());
    let options = Signal::derive(move || {
        let found = found.get().and_then(Result::ok).unwrap_or_default();
        let written = |o: &PickerOption| short_ref(&o.entity_ref, kind.as_deref(), namespace.as_deref());
        found.iter().map(|o| (written(o), o.label.clone())).collect::<Vec<_>>()
    });
    let failed = move || {
        let error = found.get().and_then(Result::err)?;
        Some(view! { <p class="error small">{format!("The catalog could not be read: {error}")}</p> })
    };
    let input = if q.arbitrary && !q.multiple {
        view! { <SuggestInput field options /> }.into_any()
    } else {
        view! { <EntitySelect field options multiple=q.multiple /> }.into_any()
    };
    view! { {input} <Transition>{failed}</Transition> }
}

/// Free text with the catalog's entities as suggestions (`(value, label)` options).
#[component]
fn SuggestInput(field: Field, options: Signal<Vec<(String, String)>>) -> impl IntoView {
    let state = FormState::current();
    let (described, invalid) = aria(&field);
    let id = field_id(&field.path);
    let list_id = format!("{id}-options");
    let (path, set_path) = (field.path.clone(), field.path.clone());
    let current = move || state.get(&path).map(|v| shown(&v)).unwrap_or_default();
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        state.set(&set_path, (!text.is_empty()).then_some(Value::String(text)));
    };
    view! {
        <input id=id type="text" list=list_id.clone() prop:value=current on:input=on_input required=field.required autocomplete="off"
            placeholder=field.placeholder autofocus=field.autofocus readonly=field.readonly aria-describedby=described aria-invalid=invalid />
        <datalist id=list_id>
            <Transition>{move || options.get().into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}</Transition>
        </datalist>
    }
}

/// A closed list of the catalog's entities; several may be chosen for MultiEntityPicker.
#[component]
fn EntitySelect(field: Field, options: Signal<Vec<(String, String)>>, multiple: bool) -> impl IntoView {
    let state = FormState::current();
    let (described, invalid) = aria(&field);
    let (path, set_path) = (field.path.clone(), field.path.clone());
    let chosen = move |v: &str| {
        state.get(&path).is_some_and(|c| {
            c.as_str() == Some(v) || c.as_array().is_some_and(|a| a.iter().any(|x| x.as_str() == Some(v)))
        })
    };
    let on_change = move |ev: leptos::ev::Event| {
        let select: web_sys::HtmlSelectElement = event_target(&ev);
        let picked = selected(&select);
        let value = if multiple {
            (!picked.is_empty()).then(|| Value::from(picked))
        } else {
            picked.into_iter().next().map(Value::String)
        };
        state.set(&set_path, value);
    };
    view! {
        <select id=field_id(&field.path) multiple=multiple on:change=on_change required=field.required autofocus=field.autofocus
            disabled=field.readonly aria-describedby=described aria-invalid=invalid>
            {(!multiple).then(|| view! { <option value="">"Choose…"</option> })}
            <Transition>{move || options.get().into_iter().map(|(value, label)| {
                let selected = chosen(&value);
                view! { <option value=value selected=selected>{label}</option> }
            }).collect_view()}</Transition>
        </select>
    }
}

/// The values of a select's chosen options.
fn selected(select: &web_sys::HtmlSelectElement) -> Vec<String> {
    let options = select.selected_options();
    (0..options.length())
        .filter_map(|i| options.item(i))
        .filter_map(|o| o.get_attribute("value"))
        .filter(|v| !v.is_empty())
        .collect()
}

/// Host, owner and repository, written as `host?owner=o&repo=r`.
#[component]
pub fn RepoUrlInput(field: Field) -> impl IntoView {
    let state = FormState::current();
    let (described, invalid) = aria(&field);
    let Some(Picker::RepoUrl {
        allowed_hosts,
        allowed_owners,
        ..
    }) = field.picker.clone()
    else {
        return ().into_any();
    };
    let parsed = state.values.with_untracked(|v| {
        get_path(v, &field.path)
            .and_then(Value::as_str)
            .and_then(RepoUrl::parse)
    });
    let host = RwSignal::new(
        parsed
            .as_ref()
            .map(|p| p.host.clone())
            .or_else(|| allowed_hosts.first().cloned())
            .unwrap_or_default(),
    );
    let owner = RwSignal::new(parsed.as_ref().and_then(|p| p.owner.clone()).unwrap_or_default());
    let repo = RwSignal::new(parsed.map(|p| p.repo).unwrap_or_default());
    let path = field.path.clone();
    let write = move || {
        let (h, o, r) = (host.get_untracked(), owner.get_untracked(), repo.get_untracked());
        let owner_part = if o.is_empty() {
            String::new()
        } else {
            format!("owner={}&", encode(&o))
        };
        let value =
            (!h.is_empty() && !r.is_empty()).then(|| Value::String(format!("{h}?{owner_part}repo={}", encode(&r))));
        state.set(&path, value);
    };
    let id = field_id(&field.path);
    let part = move |signal: RwSignal<String>, write: Box<dyn Fn() + Send + Sync>| {
        move |ev: leptos::ev::Event| {
            signal.set(event_target_value(&ev));
            write();
        }
    };
    let w = write.clone();
    let host_input = if allowed_hosts.is_empty() {
        view! { <input id=format!("{id}-host") type="text" prop:value=host on:input=part(host, Box::new(w)) required=field.required aria-describedby=described.clone() aria-invalid=invalid.clone() /> }.into_any()
    } else {
        view! {
            <select id=format!("{id}-host") prop:value=host on:change=part(host, Box::new(w)) aria-describedby=described.clone() aria-invalid=invalid.clone()>
                {allowed_hosts.iter().map(|h| view! { <option value=h.clone()>{h.clone()}</option> }).collect_view()}
            </select>
        }
        .into_any()
    };
    let owners_list = format!("{id}-owners");
    view! {
        <div class="repo-url">
            <div><label for=format!("{id}-host")>"Host"</label>{host_input}</div>
            <div><label for=format!("{id}-owner")>"Owner"</label>
                <input id=format!("{id}-owner") type="text" list=owners_list.clone() prop:value=owner on:input=part(owner, Box::new(write.clone())) autocomplete="off" aria-describedby=described.clone() aria-invalid=invalid.clone() />
                <datalist id=owners_list>{allowed_owners.iter().map(|o| view! { <option value=o.clone()></option> }).collect_view()}</datalist>
            </div>
            <div><label for=id.clone()>"Repository"</label>
                <input id=id type="text" prop:value=repo on:input=part(repo, Box::new(write)) required=field.required autofocus=field.autofocus autocomplete="off" aria-describedby=described aria-invalid=invalid />
            </div>
        </div>
    }
    .into_any()
}

/// Tags, comma-separated, kept as a list.
#[component]
pub fn TagsInput(field: Field) -> impl IntoView {
    let state = FormState::current();
    let (described, invalid) = aria(&field);
    let (path, set_path) = (field.path.clone(), field.path.clone());
    let value = move || {
        state
            .get(&path)
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(shown)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let on_input = move |ev: leptos::ev::Event| {
        let tags: Vec<Value> = event_target_value(&ev)
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(Value::from)
            .collect();
        state.set(&set_path, (!tags.is_empty()).then_some(Value::Array(tags)));
    };
    view! {
        <input id=field_id(&field.path) type="text" prop:value=value on:input=on_input placeholder="tag-one, tag-two" autocomplete="off"
            autofocus=field.autofocus readonly=field.readonly aria-describedby=described aria-invalid=invalid />
    }
}

#[cfg(test)]
mod tests {
    use super::short_ref;

    #[test]
    fn references_shorten_to_the_pickers_defaults() {
        assert_eq!(short_ref("group:default/team-a", None, None), "group:default/team-a");
        assert_eq!(
            short_ref("group:default/team-a", Some("Group"), Some("default")),
            "team-a"
        );
        assert_eq!(
            short_ref("group:ops/team-a", Some("group"), Some("default")),
            "ops/team-a"
        );
        assert_eq!(
            short_ref("user:default/ann", Some("group"), Some("default")),
            "user:default/ann"
        );
    }
}
