//! One model worker: started from a script that picks its build, sent requests, and read
//! answers from, until it dies.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use convlab_protocol::{FromWorker, ToWorker, decode, encode};
use futures::channel::oneshot;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::{Answer, GPU_LOST, LOADS, ON_GPU_LOST, PRELUDE, base, next_id, timeout_ms};

/// The two builds of the worker, by file name: the one with relaxed SIMD's fused multiply-add
/// first, then the plain one.
pub const WORKER_BUILDS: [&str; 2] = ["convlab-worker-fma", "convlab-worker"];

/// A module whose one function is an `f32x4.relaxed_madd` of its three `v128` parameters: it
/// validates only where the browser has relaxed SIMD.
const RELAXED_SIMD_PROBE: [u8; 37] = [
    0, 97, 115, 109, 1, 0, 0, 0, // "\0asm", version 1
    1, 8, 1, 96, 3, 123, 123, 123, 1, 123, // types: (v128, v128, v128) -> v128
    3, 2, 1, 0, // one function of type 0
    10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11, // local.get 0 1 2, relaxed_madd
];

/// The worker's start-up script: where the browser validates [`RELAXED_SIMD_PROBE`], the build
/// with fused multiply-adds, which a browser without relaxed SIMD would refuse whole, else (or
/// when that build is not on the server, as in a debug build's tests) the plain one. Failures
/// to fetch or start it are posted as a plain string message. (Not `name`: a worker's global
/// scope has one already.) `prelude` runs first.
fn start_script(base: &str, prelude: &str) -> String {
    let [fma, plain] = WORKER_BUILDS.map(|name| format!("{base}{name}"));
    let probe = RELAXED_SIMD_PROBE.map(|b| b.to_string()).join(",");
    format!(
        "{prelude}\nvar convlabBuild = null;\n\
         if (WebAssembly.validate(new Uint8Array([{probe}]))) {{ \
           try {{ importScripts({fma_js:?}); convlabBuild = {fma:?}; }} catch (e) {{}} }}\n\
         if (convlabBuild === null) {{ \
           try {{ importScripts({plain_js:?}); convlabBuild = {plain:?}; }} catch (e) {{ \
             postMessage('could not load the model worker from {plain_js}: ' + e); throw e; }} }}\n\
         wasm_bindgen({{ module_or_path: convlabBuild + '_bg.wasm' }}).catch(function (e) {{ \
           postMessage('could not start the model worker (' + convlabBuild + '_bg.wasm): ' + e); }});\n",
        fma_js = format!("{fma}.js"),
        plain_js = format!("{plain}.js"),
    )
}

/// Whether the worker has said `Ready`, and who is waiting for it.
enum Start {
    Starting(Vec<oneshot::Sender<Result<(), String>>>),
    Ready,
}

/// One running worker.
pub(super) struct Connection {
    worker: web_sys::Worker,
    start: RefCell<Start>,
    pub(super) pending: RefCell<HashMap<u32, oneshot::Sender<Answer>>>,
    /// Why the worker is gone, once it is.
    pub(super) dead: RefCell<Option<String>>,
    /// The `Blob` URL of the start-up script, revoked once the worker runs.
    script_url: String,
    /// Whether a (re)started worker first loads the models asked for so far (the main worker;
    /// helpers load the CPU models themselves).
    replay_loads: bool,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
    /// Stops a worker that has not said `Ready` within [`timeout_ms`] (a stalled download of
    /// its files, a module the browser never finishes compiling).
    _on_start_timeout: Closure<dyn FnMut()>,
}

impl Connection {
    pub(super) fn start(replay_loads: bool) -> Result<Rc<Self>, String> {
        let parts = js_sys::Array::of1(&JsValue::from_str(&start_script(
            &base()?,
            &PRELUDE.with(|p| p.borrow().clone()),
        )));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("text/javascript");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
            .map_err(|e| message(&e))?;
        let script_url =
            web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| message(&e))?;
        let worker = web_sys::Worker::new(&script_url)
            .map_err(|e| format!("could not start the model worker: {}", message(&e)))?;
        Ok(Rc::new_cyclic(|weak: &std::rc::Weak<Self>| {
            let me = weak.clone();
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |event: web_sys::MessageEvent| {
                    if let Some(c) = me.upgrade() {
                        c.receive(event.data());
                    }
                },
            );
            let me = weak.clone();
            let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(
                move |event: web_sys::ErrorEvent| {
                    event.prevent_default();
                    if let Some(c) = me.upgrade() {
                        c.die(format!("the model worker failed: {}", event.message()));
                    }
                },
            );
            let (me, limit_ms) = (weak.clone(), timeout_ms());
            let on_start_timeout = Closure::<dyn FnMut()>::new(move || {
                if let Some(c) = me.upgrade()
                    && matches!(*c.start.borrow(), Start::Starting(_))
                {
                    c.die(format!(
                        "the model worker did not start within {} s",
                        f64::from(limit_ms) / 1000.0
                    ));
                }
            });
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                    on_start_timeout.as_ref().unchecked_ref(),
                    i32::try_from(limit_ms).unwrap_or(i32::MAX),
                );
            }
            Self {
                worker,
                start: RefCell::new(Start::Starting(Vec::new())),
                pending: RefCell::new(HashMap::new()),
                dead: RefCell::new(None),
                script_url,
                replay_loads,
                _on_message: on_message,
                _on_error: on_error,
                _on_start_timeout: on_start_timeout,
            }
        }))
    }

    /// Waits for `Ready`.
    pub(super) async fn ready(&self) -> Result<(), String> {
        if let Some(why) = self.dead.borrow().clone() {
            return Err(why);
        }
        let receiver = match &mut *self.start.borrow_mut() {
            Start::Ready => return Ok(()),
            Start::Starting(waiting) => {
                let (sender, receiver) = oneshot::channel();
                waiting.push(sender);
                receiver
            }
        };
        receiver
            .await
            .unwrap_or_else(|_| Err("the model worker stopped while starting".to_string()))
    }

    pub(super) fn send(&self, outgoing: &ToWorker) -> Result<(), String> {
        if let Some(why) = self.dead.borrow().clone() {
            return Err(why);
        }
        let bytes = encode(outgoing)?;
        let array = js_sys::Uint8Array::from(bytes.as_slice());
        let transfer = js_sys::Array::of1(&array.buffer());
        self.worker
            .post_message_with_transfer(&array, &transfer)
            .map_err(|e| format!("could not send to the model worker: {}", message(&e)))
    }

    fn receive(&self, data: JsValue) {
        // A string is the start-up script saying the worker could not start.
        if let Some(text) = data.as_string() {
            self.die(text);
            return;
        }
        let bytes = js_sys::Uint8Array::new(&data).to_vec();
        match decode::<FromWorker>(&bytes) {
            Ok(FromWorker::Ready) => {
                let _ = web_sys::Url::revoke_object_url(&self.script_url);
                // A restarted worker first loads what the old one had: the worker takes
                // requests in the order they arrive, and a model request waits for its load.
                let loads = match self.replay_loads {
                    true => LOADS.with(|l| l.borrow().clone()),
                    false => Vec::new(),
                };
                for load in loads {
                    let _ = self.send(&ToWorker {
                        id: next_id(),
                        request: load,
                    });
                }
                let waiting = std::mem::replace(&mut *self.start.borrow_mut(), Start::Ready);
                if let Start::Starting(waiting) = waiting {
                    for w in waiting {
                        let _ = w.send(Ok(()));
                    }
                }
            }
            Ok(FromWorker::Answer { id, result }) => {
                let sender = self.pending.borrow_mut().remove(&id);
                if let Some(sender) = sender {
                    let _ = sender.send(result);
                }
            }
            Ok(FromWorker::GpuLost(why)) => {
                GPU_LOST.with(|l| *l.borrow_mut() = Some(why.clone()));
                ON_GPU_LOST.with(|h| {
                    if let Some(hook) = h.borrow().as_ref() {
                        hook(why);
                    }
                });
            }
            Ok(FromWorker::Panicked(why)) => self.die(format!("the model worker crashed: {why}")),
            Err(e) => self.die(format!("the model worker sent a message that {e}")),
        }
    }

    /// Marks the worker gone, fails everything waiting on it and stops it.
    pub(super) fn die(&self, why: String) {
        if self.dead.borrow().is_some() {
            return;
        }
        web_sys::console::error_1(&why.clone().into());
        *self.dead.borrow_mut() = Some(why.clone());
        self.worker.terminate();
        let waiting = std::mem::replace(&mut *self.start.borrow_mut(), Start::Starting(Vec::new()));
        if let Start::Starting(waiting) = waiting {
            for w in waiting {
                let _ = w.send(Err(why.clone()));
            }
        }
        for (_, sender) in self.pending.borrow_mut().drain() {
            let _ = sender.send(Err(why.clone()));
        }
    }
}

/// The text of a thrown JavaScript value.
pub(super) fn message(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
