//! Following the cluster's changes in the browser: an `EventSource` on the live stream, opened
//! after hydration and closed when the page goes away. Each `update` message is one
//! `deployments::Update`; the first after every (re)connection is a snapshot. The server render
//! shows the state as loaded, so nothing depends on this.

use leptos::prelude::*;

use super::state::{Connection, LiveDeployments};

/// Keeps `state` up to date from the stream at `url` (in the browser only).
pub fn follow(url: String, state: LiveDeployments) {
    #[cfg(feature = "hydrate")]
    browser::follow(url, state);
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, state);
}

/// The browser's clock, ticking every 30 s once the page is interactive; `None` before (on the
/// server, and while hydrating), so relative ages never make the two renders disagree.
pub fn now() -> RwSignal<Option<i64>> {
    let now = RwSignal::new(None);
    #[cfg(feature = "hydrate")]
    browser::tick(now);
    now
}

/// Whether the page is following the clusters.
#[component]
pub fn LiveIndicator(connection: RwSignal<Connection>) -> impl IntoView {
    view! {
        <span class="live-indicator" data-testid="live" data-state=move || connection.get().as_str() role="status">
            <span class="live-dot" aria-hidden="true"></span>
            {move || connection.get().label()}
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::time::Duration;

    use deployments::model::Update;
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, closure::Closure, prelude::wasm_bindgen};
    use web_sys::{Event, EventSource, MessageEvent};

    use super::{Connection, LiveDeployments};

    /// After the browser gives up on a stream (an error answer), try again this much later.
    const RETRY: Duration = Duration::from_secs(5);

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = Date, js_name = now)]
        fn date_now() -> f64;
    }

    /// An open stream; dropping it closes it.
    struct Live {
        source: EventSource,
        _message: Closure<dyn FnMut(MessageEvent)>,
        _status: Closure<dyn FnMut(Event)>,
    }

    impl Drop for Live {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    type Slot = StoredValue<Option<Live>, LocalStorage>;

    pub fn follow(url: String, state: LiveDeployments) {
        // Owned by the page: disposed, and so closed, when it unmounts.
        let live: Slot = StoredValue::new_local(None);
        Effect::new(move |_| connect(url.clone(), state, live));
    }

    fn connect(url: String, state: LiveDeployments, live: Slot) {
        state.set_connection(Connection::Connecting);
        match open(&url, state, live) {
            Ok(stream) => live.set_value(Some(stream)),
            Err(err) => {
                leptos::logging::warn!("the live stream could not be opened: {err:?}");
                state.set_connection(Connection::Reconnecting);
            }
        }
    }

    fn open(url: &str, state: LiveDeployments, live: Slot) -> Result<Live, wasm_bindgen::JsValue> {
        let source = EventSource::new(url)?;
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let Some(data) = message.data().as_string() else { return };
            match serde_json::from_str::<Update>(&data) {
                Ok(update) => {
                    state.apply(update);
                    state.set_connection(Connection::Live);
                }
                Err(err) => leptos::logging::warn!("a live update could not be read: {err}"),
            }
        });
        source.add_event_listener_with_callback("update", message.as_ref().unchecked_ref())?;
        let watched = source.clone();
        let url = url.to_string();
        let status = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            if event.type_() == "open" {
                state.set_connection(Connection::Live);
                return;
            }
            state.set_connection(Connection::Reconnecting);
            // CONNECTING: the browser retries by itself. CLOSED: it gave up (an error answer);
            // open a new stream later, unless the page went away meanwhile.
            if watched.ready_state() == EventSource::CLOSED {
                let url = url.clone();
                set_timeout(
                    move || {
                        if live.try_with_value(|_| ()).is_some() {
                            connect(url, state, live);
                        }
                    },
                    RETRY,
                );
            }
        });
        source.add_event_listener_with_callback("open", status.as_ref().unchecked_ref())?;
        source.add_event_listener_with_callback("error", status.as_ref().unchecked_ref())?;
        Ok(Live {
            source,
            _message: message,
            _status: status,
        })
    }

    pub fn tick(now: RwSignal<Option<i64>>) {
        Effect::new(move |_| {
            now.set(Some(date_now() as i64));
            if let Ok(handle) = set_interval_with_handle(
                move || {
                    let _ = now.try_set(Some(date_now() as i64));
                },
                Duration::from_secs(30),
            ) {
                on_cleanup(move || handle.clear());
            }
        });
    }
}
