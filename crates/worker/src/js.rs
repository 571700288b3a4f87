//! The few browser calls the worker needs, written against the global object so they work the
//! same in a Web Worker (where the models run) and on a page (where the tests run them).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// GETs `url` and returns the body, or an error once `timeout_ms` have passed without all of
/// it (the request is aborted then: a stalled server does not hold the load for good). A
/// development server answers unknown paths with the app's own page (status 200,
/// `text/html`): that counts as "not on the server".
pub async fn fetch_bytes(url: &str, timeout_ms: u32) -> Result<Vec<u8>, String> {
    let deadline = Deadline::start(timeout_ms)?;
    let late = |e: JsValue| match deadline.passed() {
        true => format!(
            "{url} did not arrive within {} s",
            f64::from(timeout_ms) / 1000.0
        ),
        false => format!("could not fetch {url}: {}", message(&e)),
    };
    let global = js_sys::global();
    let fetch = global_function("fetch")?;
    let init = js_sys::Object::new();
    js_sys::Reflect::set(&init, &"signal".into(), &deadline.controller.signal())
        .map_err(|e| message(&e))?;
    let promise: js_sys::Promise = fetch
        .call2(&global, &JsValue::from_str(url), &init)
        .map_err(late)?
        .dyn_into()
        .map_err(|_| format!("fetch({url}) gave no promise"))?;
    let response: web_sys::Response = JsFuture::from(promise)
        .await
        .map_err(late)?
        .dyn_into()
        .map_err(|_| format!("fetching {url} gave no response"))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let content_type = response
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    if content_type.starts_with("text/html") {
        return Err(format!("{url} is not on the server"));
    }
    let buffer = response.array_buffer().map_err(late)?;
    let buffer = JsFuture::from(buffer).await.map_err(late)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// A timer that aborts a fetch when it fires; dropping it clears the timer.
struct Deadline {
    controller: web_sys::AbortController,
    passed: Rc<std::cell::Cell<bool>>,
    timer: JsValue,
    _on_time: Closure<dyn FnMut()>,
}

impl Deadline {
    fn start(timeout_ms: u32) -> Result<Self, String> {
        let controller = web_sys::AbortController::new().map_err(|e| message(&e))?;
        let passed = Rc::new(std::cell::Cell::new(false));
        let on_time = {
            let (controller, passed) = (controller.clone(), passed.clone());
            Closure::<dyn FnMut()>::new(move || {
                passed.set(true);
                controller.abort();
            })
        };
        let timer = global_function("setTimeout")?
            .call2(
                &JsValue::NULL,
                on_time.as_ref(),
                &JsValue::from(timeout_ms.min(i32::MAX as u32)),
            )
            .map_err(|e| message(&e))?;
        Ok(Self {
            controller,
            passed,
            timer,
            _on_time: on_time,
        })
    }

    fn passed(&self) -> bool {
        self.passed.get()
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Ok(clear) = global_function("clearTimeout") {
            let _ = clear.call1(&JsValue::NULL, &self.timer);
        }
    }
}

/// A function of the global object (a window's or a worker's).
fn global_function(name: &str) -> Result<js_sys::Function, String> {
    js_sys::Reflect::get(&js_sys::global(), &name.into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| format!("this browser context has no {name}()"))
}

/// The text of a thrown JavaScript value.
pub fn message(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// Lets the event loop run (so a cancel message can arrive) before the next slice of work.
/// A message to ourselves through a `MessageChannel` is a task without `setTimeout`'s 4 ms
/// clamp on nested timers, which would add up over the 50 slices of a manifold. One channel
/// is kept for the thread, with the callers waiting on it in order.
pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let queued = TICKER.with(|t| {
            let mut t = t.borrow_mut();
            if t.is_none() {
                *t = Ticker::new();
            }
            t.as_ref().is_some_and(|t| t.queue(resolve.clone()))
        });
        if !queued {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
}

thread_local! {
    static TICKER: RefCell<Option<Ticker>> = const { RefCell::new(None) };
}

/// A `MessageChannel` whose every message resolves the oldest waiting promise.
struct Ticker {
    channel: web_sys::MessageChannel,
    waiting: Rc<RefCell<VecDeque<js_sys::Function>>>,
    _on_message: Closure<dyn FnMut()>,
}

impl Ticker {
    fn new() -> Option<Self> {
        let channel = web_sys::MessageChannel::new().ok()?;
        let waiting: Rc<RefCell<VecDeque<js_sys::Function>>> = Rc::default();
        let queue = waiting.clone();
        let on_message = Closure::<dyn FnMut()>::new(move || {
            let next = queue.borrow_mut().pop_front();
            if let Some(resolve) = next {
                let _ = resolve.call0(&JsValue::NULL);
            }
        });
        channel
            .port1()
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self {
            channel,
            waiting,
            _on_message: on_message,
        })
    }

    /// Queues `resolve` behind the others; false when the message could not be sent.
    fn queue(&self, resolve: js_sys::Function) -> bool {
        self.waiting.borrow_mut().push_back(resolve);
        if self.channel.port2().post_message(&JsValue::NULL).is_ok() {
            true
        } else {
            self.waiting.borrow_mut().pop_back();
            false
        }
    }
}
