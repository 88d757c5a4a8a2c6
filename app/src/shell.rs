//! The HTML document around the app, rendered only on the server.

use leptos::{nonce::Nonce, prelude::*};
use leptos_meta::MetaTags;

use crate::{App, theme::Theme};

/// Hashed URLs of the site's static assets, provided as context by the server.
#[derive(Clone, Debug)]
pub struct SiteAssets {
    /// URL of the stylesheet.
    pub stylesheet: String,
    /// URL of the favicon.
    pub favicon: String,
}

/// The document shell. The CSP nonce chosen by the server's security layer travels in the request's
/// extensions and is handed to Leptos here, so every inline script it writes carries it.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let parts = use_context::<http::request::Parts>();
    if let Some(nonce) = parts.as_ref().and_then(|p| p.extensions.get::<Nonce>()) {
        provide_context(nonce.clone());
    }
    let theme = Theme::from_cookie_header(
        parts
            .as_ref()
            .and_then(|p| p.headers.get(http::header::COOKIE))
            .and_then(|v| v.to_str().ok()),
    );
    let assets = use_context::<SiteAssets>().expect("the server provides SiteAssets");
    let features = crate::api::features::Features::current();
    // Read back by the wasm (`Viewer::current`); attribute values are escaped by the renderer.
    let viewer = serde_json::to_string(&crate::api::access::Viewer::current()).unwrap_or_default();

    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.attribute()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="stylesheet" href=assets.stylesheet />
                <link rel="icon" type="image/svg+xml" href=assets.favicon />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body data-register-locations=features.register_locations.to_string() data-deployments=features.deployments.to_string() data-demo=features.demo.to_string() data-viewer=viewer>
                <App />
            </body>
        </html>
    }
}
