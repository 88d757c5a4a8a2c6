//! Following a task live in the browser: an `EventSource` on the task's event stream, opened
//! after hydration from the last event the page already has, closed when the task ends or the
//! page goes away. The server render already shows the events so far, so nothing depends on it.

use leptos::prelude::*;

use crate::api::scaffolder::TaskEvent;

/// Appends the task's new events to `events` as they happen (in the browser only).
pub fn follow_events(task_id: String, events: RwSignal<Vec<TaskEvent>>) {
    #[cfg(feature = "hydrate")]
    browser::follow(task_id, events);
    #[cfg(not(feature = "hydrate"))]
    let _ = (task_id, events);
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, closure::Closure};
    use web_sys::{EventSource, MessageEvent};

    use crate::api::scaffolder::TaskEvent;

    /// The stream's event types (Backstage's).
    const TYPES: [&str; 4] = ["log", "completion", "cancelled", "recovered"];

    /// An open stream; dropping it closes it (the page went away).
    struct Live {
        source: EventSource,
        _handler: Closure<dyn FnMut(MessageEvent)>,
    }

    impl Drop for Live {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    pub fn follow(task_id: String, events: RwSignal<Vec<TaskEvent>>) {
        // Owned by the component: disposed, and so closed, when it unmounts.
        let live = StoredValue::new_local(None::<Live>);
        Effect::new(move |_| {
            let (ended, last) =
                events.with_untracked(|e| (e.iter().any(TaskEvent::is_final), e.last().map_or(0, |e| e.id)));
            if ended {
                return;
            }
            let url = format!(
                "/api/scaffolder/v2/tasks/{}/eventstream?after={last}",
                crate::api::catalog::encode(&task_id)
            );
            match open(&url, events) {
                Ok(stream) => live.set_value(Some(stream)),
                Err(err) => leptos::logging::warn!("the task's event stream could not be opened: {err:?}"),
            }
        });
    }

    fn open(url: &str, events: RwSignal<Vec<TaskEvent>>) -> Result<Live, wasm_bindgen::JsValue> {
        let source = EventSource::new(url)?;
        let closer = source.clone();
        let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let Some(event) = message.data().as_string().and_then(|d| TaskEvent::from_stream(&d)) else {
                return;
            };
            let ended = event.is_final();
            events.update(|list| {
                if list.last().is_none_or(|l| l.id < event.id) {
                    list.push(event);
                }
            });
            // The stream ends with the task; without closing, the browser would reconnect.
            if ended {
                closer.close();
            }
        });
        for kind in TYPES {
            source.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref())?;
        }
        Ok(Live {
            source,
            _handler: handler,
        })
    }
}
