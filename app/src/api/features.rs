//! Which optional features this portal can offer, so pages show only what works here.

#[cfg(not(feature = "ssr"))]
use leptos::prelude::document;
#[cfg(feature = "ssr")]
use leptos::prelude::use_context;
use serde::{Deserialize, Serialize};

/// Features that depend on the server's configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Features {
    /// Locations may be registered from the portal: an allowed location type can be read.
    pub register_locations: bool,
    /// Kubernetes clusters are configured: the Deployments page and entity tab work.
    pub deployments: bool,
    /// The demo is on (the server's `demo:` setting): the cluster is simulated, the delivery
    /// history generated, and every page says so.
    pub demo: bool,
}

impl Features {
    /// The features of this page: on the server from context (the server provides them), in the
    /// browser from the `<body>` attributes the server rendered, so both render the same thing
    /// without a request or a suspense boundary.
    pub fn current() -> Features {
        #[cfg(feature = "ssr")]
        {
            use_context::<Features>().unwrap_or_default()
        }
        #[cfg(not(feature = "ssr"))]
        {
            let body = document().body();
            let flag = |name: &str| body.as_ref().and_then(|b| b.get_attribute(name)).as_deref() == Some("true");
            Features {
                register_locations: flag("data-register-locations"),
                deployments: flag("data-deployments"),
                demo: flag("data-demo"),
            }
        }
    }
}
