//! Fields with fixed choices (`enum` with `enumNames`, `oneOf` consts): a select, radio buttons
//! (`ui:widget: radio`), or checkboxes for an array of choices. Options are addressed by index so
//! any JSON value (numbers, booleans) round-trips exactly.

use leptos::prelude::*;
use serde_json::Value;
use templates::model::schema::Field;

use super::fields::aria;
use super::state::{FormState, field_id};

/// A `<select>`; "Choose…" while nothing is chosen.
#[component]
pub fn SelectInput(field: Field, options: Vec<(Value, String)>) -> impl IntoView {
    let state = FormState::current();
    let (described, invalid) = aria(&field);
    let values: Vec<Value> = options.iter().map(|(v, _)| v.clone()).collect();
    let (path, set_path) = (field.path.clone(), field.path.clone());
    let chosen = {
        let values = values.clone();
        move || {
            let current = state.get(&path);
            values
                .iter()
                .position(|v| Some(v) == current.as_ref())
                .map_or_else(String::new, |i| i.to_string())
        }
    };
    let unchosen = chosen.clone();
    let on_change = move |ev: leptos::ev::Event| {
        let index = event_target_value(&ev).parse::<usize>().ok();
        state.set(&set_path, index.and_then(|i| values.get(i).cloned()));
    };
    view! {
        <select id=field_id(&field.path) prop:value=chosen on:change=on_change required=field.required
            autofocus=field.autofocus disabled=field.readonly aria-describedby=described aria-invalid=invalid>
            <option value="" selected=move || unchosen().is_empty()>"Choose…"</option>
            {options.into_iter().enumerate().map(|(i, (_, label))| view! { <option value=i.to_string()>{label}</option> }).collect_view()}
        </select>
    }
}

/// Radio buttons in the field's fieldset.
#[component]
pub fn RadioGroup(field: Field, options: Vec<(Value, String)>) -> impl IntoView {
    let state = FormState::current();
    let (described, invalid) = aria(&field);
    let id = field_id(&field.path);
    options
        .into_iter()
        .enumerate()
        .map(|(i, (value, label))| {
            let option_id = format!("{id}-{i}");
            let (path, set_path, chosen) = (field.path.clone(), field.path.clone(), value.clone());
            let checked = move || state.get(&path).as_ref() == Some(&chosen);
            let on_change = move |_| state.set(&set_path, Some(value.clone()));
            view! {
                <div class="choice">
                    <input type="radio" id=option_id.clone() name=id.clone() prop:checked=checked on:change=on_change
                        autofocus=field.autofocus && i == 0 disabled=field.readonly
                        aria-describedby=described.clone() aria-invalid=invalid.clone() />
                    <label for=option_id>{label}</label>
                </div>
            }
        })
        .collect_view()
}

/// Checkboxes for an array whose items are choices; the value keeps the options' order.
#[component]
pub fn MultiSelect(field: Field, options: Vec<(Value, String)>) -> impl IntoView {
    let state = FormState::current();
    let (described, invalid) = aria(&field);
    let id = field_id(&field.path);
    let all: Vec<Value> = options.iter().map(|(v, _)| v.clone()).collect();
    options
        .into_iter()
        .enumerate()
        .map(|(i, (value, label))| {
            let option_id = format!("{id}-{i}");
            let (path, set_path, all) = (field.path.clone(), field.path.clone(), all.clone());
            let current = move |path: &str| state.get(path).and_then(|v| v.as_array().cloned()).unwrap_or_default();
            let checked = {
                let value = value.clone();
                move || current(&path).contains(&value)
            };
            let on_change = move |ev: leptos::ev::Event| {
                let mut list = current(&set_path);
                list.retain(|v| *v != value);
                if event_target_checked(&ev) {
                    list.push(value.clone());
                }
                list.sort_by_key(|v| all.iter().position(|a| a == v));
                state.set(&set_path, (!list.is_empty()).then_some(Value::Array(list)));
            };
            view! {
                <div class="choice">
                    <input type="checkbox" id=option_id.clone() prop:checked=checked on:change=on_change
                        disabled=field.readonly aria-describedby=described.clone() aria-invalid=invalid.clone() />
                    <label for=option_id>{label}</label>
                </div>
            }
        })
        .collect_view()
}
