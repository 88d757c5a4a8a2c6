//! The button that cycles System → Light → Dark. It needs the wasm: before hydration it does nothing.

use leptos::prelude::*;

use crate::theme::Theme;

/// Theme switch bound to the theme signal in context.
#[component]
pub fn ThemeSwitch() -> impl IntoView {
    let theme = expect_context::<RwSignal<Theme>>();
    view! {
        <button
            type="button"
            class="theme-switch"
            data-testid="theme-switch"
            title="Switch between the system's theme, light and dark"
            aria-label=move || format!("Theme: {}. Switch to {}.", theme.get().label(), theme.get().next().label())
            on:click=move |_| theme.update(|t| *t = t.next())
        >
            <span aria-hidden="true" class="theme-icon">
                {move || match theme.get() {
                    Theme::System => "◐",
                    Theme::Light => "☀",
                    Theme::Dark => "☾",
                }}
            </span>
            <span class="theme-label">{move || theme.get().label()}</span>
        </button>
    }
}
