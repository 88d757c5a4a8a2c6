//! One form field per schema property: the frame (label, help, the error under it, wired to the
//! input with `aria-describedby` and `aria-invalid`) and the plain inputs (text, text area,
//! password, number, checkbox, lists, nested objects). Choices and pickers have their own files.

use leptos::prelude::*;
use serde_json::Value;
use templates::model::schema::{Field, FieldKind, Picker};

use super::choices::{MultiSelect, RadioGroup, SelectInput};
use super::pickers::{EntityPickerInput, RepoUrlInput, TagsInput};
use super::state::{FormState, field_id};

/// The fields of a page (or a nested object). Keyed by their description, so typing (which only
/// changes values) never re-creates an input, while a field a condition changes is drawn anew.
#[component]
pub fn FieldList(#[prop(into)] fields: Signal<Vec<Field>>) -> impl IntoView {
    view! {
        <For each=move || fields.get() key=|f| serde_json::to_string(f).unwrap_or_else(|_| f.path.clone()) let:field>
            <FieldView field />
        </For>
    }
}

/// One field: its input inside its frame. `ui:widget: hidden` fields keep their value unseen.
#[component]
pub fn FieldView(field: Field) -> AnyView {
    if field.widget.as_deref() == Some("hidden") {
        return ().into_any();
    }
    let group = matches!(field.kind, FieldKind::Object(_) | FieldKind::MultiSelect { .. })
        || (matches!(field.kind, FieldKind::Select { .. }) && field.widget.as_deref() == Some("radio"))
        || matches!(field.picker, Some(Picker::RepoUrl { .. }));
    let input = input(&field);
    if group {
        view! { <fieldset class="form-field group"><legend><FieldTitle field=field.clone() /></legend>{input}<Notes field /></fieldset> }.into_any()
    } else if matches!(field.kind, FieldKind::Checkbox) {
        view! { <div class="form-field checkbox">{input}<label for=field_id(&field.path)><FieldTitle field=field.clone() /></label><Notes field /></div> }.into_any()
    } else {
        view! { <div class="form-field"><label for=field_id(&field.path)><FieldTitle field=field.clone() /></label>{input}<Notes field /></div> }.into_any()
    }
}

fn input(field: &Field) -> AnyView {
    let field = field.clone();
    match (&field.picker, &field.kind) {
        (Some(Picker::Owner { .. } | Picker::Entity { .. }), _) => view! { <EntityPickerInput field /> }.into_any(),
        (Some(Picker::RepoUrl { .. }), _) => view! { <RepoUrlInput field /> }.into_any(),
        (Some(Picker::EntityTags { .. }), _) => view! { <TagsInput field /> }.into_any(),
        (_, FieldKind::Select { options }) if field.widget.as_deref() == Some("radio") => {
            let options = options.clone();
            view! { <RadioGroup field options /> }.into_any()
        }
        (_, FieldKind::Select { options }) => {
            let options = options.clone();
            view! { <SelectInput field options /> }.into_any()
        }
        (_, FieldKind::MultiSelect { options }) => {
            let options = options.clone();
            view! { <MultiSelect field options /> }.into_any()
        }
        (_, FieldKind::Object(fields)) => {
            let fields = fields.clone();
            view! { <div class="nested"><FieldList fields=Signal::stored(fields) /></div> }.into_any()
        }
        (_, FieldKind::Checkbox) => view! { <CheckboxInput field /> }.into_any(),
        (_, FieldKind::TextArea) => view! { <TextInput field multiline=true /> }.into_any(),
        (_, FieldKind::List { .. }) => view! { <ListInput field /> }.into_any(),
        _ => view! { <TextInput field /> }.into_any(),
    }
}

#[component]
fn FieldTitle(field: Field) -> impl IntoView {
    view! {
        {field.title}
        {field.required.then(|| view! { <span class="required" aria-hidden="true">" *"</span><span class="visually-hidden">" (required)"</span> })}
    }
}

/// The description and `ui:help` under a field, then its error.
#[component]
fn Notes(field: Field) -> impl IntoView {
    let state = FormState::current();
    let id = field_id(&field.path);
    let notes: Vec<String> = field.description.into_iter().chain(field.help).collect();
    let path = field.path;
    let error = move || state.error(&path);
    view! {
        {(!notes.is_empty()).then(|| view! { <p id=format!("{id}-help") class="field-help muted small">{notes.join(" ")}</p> })}
        <p id=format!("{id}-error") class="field-error error small" aria-live="polite">{error}</p>
    }
}

/// `aria-describedby` and `aria-invalid` of a field's input.
pub fn aria(
    field: &Field,
) -> (
    String,
    impl Fn() -> Option<&'static str> + Clone + Send + Sync + 'static + use<>,
) {
    let id = field_id(&field.path);
    let mut described = Vec::new();
    if field.description.is_some() || field.help.is_some() {
        described.push(format!("{id}-help"));
    }
    described.push(format!("{id}-error"));
    let state = FormState::current();
    let path = field.path.clone();
    (described.join(" "), move || state.error(&path).map(|_| "true"))
}

/// A value as an input shows it.
pub fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Text, password and number inputs, and text areas. An emptied input removes the value (so
/// `required` catches it); a number that does not parse is kept as text for the check to name.
#[component]
fn TextInput(field: Field, #[prop(optional)] multiline: bool) -> impl IntoView {
    let state = FormState::current();
    let (described, invalid) = aria(&field);
    let kind = field.kind.clone();
    let (path, set_path, blur_path) = (field.path.clone(), field.path.clone(), field.path.clone());
    let value = move || state.get(&path).map(|v| shown(&v)).unwrap_or_default();
    let on_input = move |ev: leptos::ev::Event| state.set(&set_path, parse(&kind, event_target_value(&ev)));
    let on_blur = move |_| state.touch(&blur_path);
    let (input_type, step) = match field.kind {
        FieldKind::Password => ("password", None),
        FieldKind::Number => ("number", Some("any")),
        FieldKind::Integer => ("number", Some("1")),
        _ => ("text", None),
    };
    let id = field_id(&field.path);
    if multiline {
        let rows = field.options.get("rows").and_then(Value::as_u64).unwrap_or(4);
        return view! {
            <textarea id=id rows=rows.to_string() prop:value=value on:input=on_input on:blur=on_blur required=field.required
                placeholder=field.placeholder autofocus=field.autofocus readonly=field.readonly
                aria-describedby=described aria-invalid=invalid></textarea>
        }
        .into_any();
    }
    view! {
        <input id=id type=input_type step=step prop:value=value on:input=on_input on:blur=on_blur required=field.required
            placeholder=field.placeholder autofocus=field.autofocus readonly=field.readonly autocomplete="off"
            aria-describedby=described aria-invalid=invalid />
    }
    .into_any()
}

fn parse(kind: &FieldKind, text: String) -> Option<Value> {
    if text.is_empty() {
        return None;
    }
    let number = match kind {
        FieldKind::Integer => text.trim().parse::<i64>().ok().map(Value::from),
        FieldKind::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number)),
        _ => return Some(Value::String(text)),
    };
    Some(number.unwrap_or(Value::String(text)))
}

#[component]
fn CheckboxInput(field: Field) -> impl IntoView {
    let state = FormState::current();
    let (described, invalid) = aria(&field);
    let (path, set_path) = (field.path.clone(), field.path.clone());
    let checked = move || state.get(&path).and_then(|v| v.as_bool()).unwrap_or(false);
    let on_change = move |ev: leptos::ev::Event| state.set(&set_path, Some(Value::Bool(event_target_checked(&ev))));
    view! {
        <input id=field_id(&field.path) type="checkbox" prop:checked=checked on:change=on_change
            autofocus=field.autofocus disabled=field.readonly aria-describedby=described aria-invalid=invalid />
    }
}

/// A list of free values, one per line.
#[component]
fn ListInput(field: Field) -> impl IntoView {
    let state = FormState::current();
    let (described, invalid) = aria(&field);
    let FieldKind::List { item } = field.kind.clone() else {
        return ().into_any();
    };
    let (path, set_path) = (field.path.clone(), field.path.clone());
    let value = move || {
        let list = state.get(&path).and_then(|v| v.as_array().cloned()).unwrap_or_default();
        list.iter().map(shown).collect::<Vec<_>>().join("\n")
    };
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let items: Vec<Value> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|l| parse(&item.kind, l.to_string()))
            .collect();
        state.set(&set_path, (!items.is_empty()).then_some(Value::Array(items)));
    };
    view! {
        <textarea id=field_id(&field.path) rows="4" prop:value=value on:input=on_input placeholder="One per line"
            autofocus=field.autofocus readonly=field.readonly aria-describedby=described aria-invalid=invalid></textarea>
    }
    .into_any()
}
