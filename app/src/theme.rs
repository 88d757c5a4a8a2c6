//! Light/dark theme: follows the system until the person picks one, then remembers the choice
//! in a cookie so the server renders the right theme on the next visit (no flash of the wrong one).

use leptos::prelude::*;

/// Name of the cookie that remembers an explicit choice.
pub const COOKIE: &str = "cairn-theme";

/// The person's theme choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    /// Value of `<html data-theme>`; `system` lets the CSS follow `prefers-color-scheme`.
    pub fn attribute(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    fn parse(value: &str) -> Theme {
        match value {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }

    /// The next choice when the switch is pressed.
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }

    /// Human label shown on the switch.
    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    /// Reads the choice from a `Cookie` request header.
    pub fn from_cookie_header(header: Option<&str>) -> Theme {
        header
            .into_iter()
            .flat_map(|h| h.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .map_or(Theme::System, |(_, value)| Theme::parse(value))
    }

    /// Puts the current theme in context as a signal. On the server it comes from the request's
    /// cookie; in the browser from the `<html data-theme>` the server rendered, so both agree.
    pub fn provide() -> RwSignal<Theme> {
        let theme = RwSignal::new(Self::initial());
        provide_context(theme);
        Effect::new(move |previous: Option<Theme>| {
            let current = theme.get();
            // The first run only observes what the server rendered; write only real changes.
            if previous.is_some_and(|p| p != current) {
                persist(current);
            }
            current
        });
        theme
    }

    #[cfg(feature = "ssr")]
    fn initial() -> Theme {
        let parts = use_context::<http::request::Parts>();
        Theme::from_cookie_header(
            parts
                .as_ref()
                .and_then(|p| p.headers.get(http::header::COOKIE))
                .and_then(|v| v.to_str().ok()),
        )
    }

    #[cfg(not(feature = "ssr"))]
    fn initial() -> Theme {
        document()
            .document_element()
            .and_then(|html| html.get_attribute("data-theme"))
            .map_or(Theme::System, |value| Theme::parse(&value))
    }
}

/// Applies the theme to the page and stores it for a year (or forgets it for `System`).
fn persist(theme: Theme) {
    use wasm_bindgen::JsCast;
    let doc = document();
    if let Some(html) = doc.document_element() {
        let _ = html.set_attribute("data-theme", theme.attribute());
    }
    let cookie = match theme {
        Theme::System => format!("{COOKIE}=; Path=/; Max-Age=0; SameSite=Lax"),
        other => format!("{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", other.attribute()),
    };
    if let Ok(html_doc) = doc.dyn_into::<web_sys::HtmlDocument>() {
        let _ = html_doc.set_cookie(&cookie);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_header_selects_the_theme() {
        assert_eq!(Theme::from_cookie_header(Some("a=b; cairn-theme=dark")), Theme::Dark);
        assert_eq!(Theme::from_cookie_header(Some("cairn-theme=light")), Theme::Light);
        assert_eq!(Theme::from_cookie_header(Some("cairn-theme=purple")), Theme::System);
        assert_eq!(Theme::from_cookie_header(Some("xcairn-theme=dark")), Theme::System);
        assert_eq!(Theme::from_cookie_header(None), Theme::System);
    }

    #[test]
    fn the_switch_cycles_through_every_choice() {
        let order: Vec<_> = std::iter::successors(Some(Theme::System), |t| Some(t.next()))
            .take(4)
            .collect();
        assert_eq!(order, [Theme::System, Theme::Light, Theme::Dark, Theme::System]);
    }
}
