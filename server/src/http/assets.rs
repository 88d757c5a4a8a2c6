//! Static assets from the built site. Their names carry a content hash, so browsers may keep them
//! for a year; gzip copies made at build time are served to clients that accept them.

use axum::{Router, routing::MethodRouter};
use http::{HeaderValue, header};
use tower::ServiceBuilder;
use tower_http::{
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

use crate::site::Site;

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// `/pkg/*`: the hashed wasm, JS and CSS.
pub fn pkg_service(site: &Site) -> Router {
    let dir = ServeDir::new(site.root.join("pkg")).precompressed_gzip();
    Router::new().fallback_service(
        ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, IMMUTABLE))
            .service(dir),
    )
}

/// `/favicon.ico` for browsers that ask for it regardless of the page's `<link rel=icon>`.
pub fn favicon_service(site: &Site) -> MethodRouter {
    axum::routing::get_service(ServeFile::new(site.root.join(&site.manifest.favicon)))
}
