//! The page's end of the model worker: starts it on the first request, numbers the requests,
//! matches the answers, cancels what is no longer wanted, and notices when the worker dies.
//!
//! The worker is `convlab-worker` (built by Trunk as `convlab-worker.js` +
//! `convlab-worker_bg.wasm` beside the page), or, where the browser has relaxed SIMD, the same
//! worker built with fused multiply-adds, `convlab-worker-fma` ([`WORKER_BUILDS`]). It is
//! started from a tiny script in a `Blob` that picks the build and imports its two files by
//! absolute URL, so the same code starts it from the app's own folder or, in the browser
//! tests, from the test server ([`set_base`]).
//!
//! - A request waits until the worker has said `Ready` (messages sent before its handler is
//!   installed would be lost).
//! - Dropping a request's future before its answer sends `Cancel`, so a page that moved on
//!   does not keep the worker busy with a stale manifold.
//! - If the worker panics or fails to start, every request in flight fails with the reason;
//!   the next request starts a new worker and first replays the `Load`s the old one had.
//! - On the CPU, long encodes and decodes (the 20×20 manifold) are spread over more workers
//!   ([`helpers`]): one per core the browser reports, up to [`MAX_WORKERS`], each with its own
//!   copy of the CPU models. They start the first time they are asked for, and only join in
//!   once their models are loaded; one that fails is not restarted.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use convlab_protocol::{Backend, FromWorker, Reply, Request, ToWorker, decode, encode};
use futures::FutureExt;
use futures::channel::oneshot;
use futures::future::{LocalBoxFuture, Shared};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

type Answer = Result<Reply, String>;
type Hook = Box<dyn Fn(String)>;

thread_local! {
    static WORKER: RefCell<Option<Rc<Connection>>> = const { RefCell::new(None) };
    static BASE: RefCell<Option<String>> = const { RefCell::new(None) };
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
    /// The loads asked for so far, replayed into a restarted worker.
    static LOADS: RefCell<Vec<Request>> = const { RefCell::new(Vec::new()) };
    static ON_GPU_LOST: RefCell<Option<Hook>> = const { RefCell::new(None) };
    static GPU_LOST: RefCell<Option<String>> = const { RefCell::new(None) };
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

/// The most workers (the main one and its helpers) a page runs: each holds its own models
/// (a few MB), and past a handful of cores the spread's messages cost more than they save.
pub const MAX_WORKERS: usize = 8;

/// Where the worker's files are (an absolute URL ending in `/`); by default the folder of the
/// page. The browser tests point it at their file server.
pub fn set_base(url: &str) {
    let url = if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    };
    BASE.with(|b| *b.borrow_mut() = Some(url));
}

/// The folder of the worker's files (and of `weights/`), as an absolute URL ending in `/`.
pub fn base() -> Result<String, String> {
    if let Some(base) = BASE.with(|b| b.borrow().clone()) {
        return Ok(base);
    }
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let page = document
        .base_uri()
        .map_err(|e| message(&e))?
        .ok_or("the page has no base URL")?;
    web_sys::Url::new_with_base("./", &page)
        .map(|u| u.href())
        .map_err(|e| message(&e))
}

/// Runs `f` with the reason when the worker's GPU device is lost (replacing an earlier hook).
pub fn on_gpu_lost(f: impl Fn(String) + 'static) {
    ON_GPU_LOST.with(|h| *h.borrow_mut() = Some(Box::new(f)));
}

/// Why the worker's GPU device is gone, once it is.
pub fn gpu_lost() -> Option<String> {
    GPU_LOST.with(|l| l.borrow().clone())
}

/// Sends `request` to the worker (starting it if needed) and waits for the answer.
pub async fn call(request: Request) -> Answer {
    let load = matches!(request, Request::Load { .. }).then(|| request.clone());
    let answer = call_on(&connection()?, request).await;
    if let (Some(load), Ok(_)) = (load, &answer) {
        LOADS.with(|loads| {
            let mut loads = loads.borrow_mut();
            if !loads.contains(&load) {
                loads.push(load);
            }
        });
    }
    answer
}

/// Sends `request` to one worker, once it is ready, and waits for the answer.
async fn call_on(connection: &Rc<Connection>, request: Request) -> Answer {
    connection.ready().await?;
    let id = next_id();
    let (sender, receiver) = oneshot::channel();
    connection.pending.borrow_mut().insert(id, sender);
    let mut guard = CancelOnDrop {
        connection: connection.clone(),
        id,
        armed: true,
    };
    connection.send(&ToWorker { id, request })?;
    let answer = receiver
        .await
        .unwrap_or_else(|_| Err("the model worker stopped before answering".to_string()));
    guard.armed = false;
    answer
}

/// A second model worker with the CPU models loaded, which long CPU requests are spread over.
#[derive(Clone)]
pub struct Helper(Rc<Connection>);

impl Helper {
    /// Sends `request` to this helper and waits for the answer.
    pub async fn call(&self, request: Request) -> Answer {
        call_on(&self.0, request).await
    }
}

/// The helper workers, started on first use.
#[derive(Default)]
struct Pool {
    /// Workers in all, the main one included; `None` until set (then from the core count).
    size: Option<usize>,
    started: Vec<StartedHelper>,
}

struct StartedHelper {
    connection: Rc<Connection>,
    /// Resolves to whether its CPU models loaded.
    loaded: Shared<LocalBoxFuture<'static, bool>>,
}

/// How many workers spread a long CPU request: [`set_workers`]'s number, or one per core
/// the browser reports (`navigator.hardwareConcurrency`), at most [`MAX_WORKERS`].
pub fn workers() -> usize {
    POOL.with(|p| p.borrow().size).unwrap_or_else(|| {
        let cores = web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency());
        (cores as usize).clamp(1, MAX_WORKERS)
    })
}

/// Spreads long CPU requests over `workers` workers in all (1: the main one alone). Helpers
/// beyond that are stopped. For tests and the benchmark.
pub fn set_workers(workers: usize) {
    let workers = workers.clamp(1, MAX_WORKERS);
    let extra = POOL.with(|p| {
        let mut pool = p.borrow_mut();
        pool.size = Some(workers);
        let keep = pool.started.len().min(workers - 1);
        pool.started.split_off(keep)
    });
    for helper in extra {
        helper
            .connection
            .die("the page needs fewer model workers".to_string());
    }
}

/// The helpers whose CPU models are loaded. The first call starts them (once the main worker
/// has loaded the CPU models, whose `Load` they repeat); they are not waited for: a request
/// made before they are ready runs on the main worker alone. Dead helpers are left out.
pub fn helpers() -> Vec<Helper> {
    start_helpers();
    POOL.with(|p| {
        p.borrow()
            .started
            .iter()
            .filter(|h| h.loaded.peek() == Some(&true) && h.connection.dead.borrow().is_none())
            .map(|h| Helper(h.connection.clone()))
            .collect()
    })
}

/// Starts the missing helpers and waits until each has loaded its models or failed; the
/// number ready. For tests and the benchmark.
pub async fn helpers_ready() -> usize {
    start_helpers();
    let loading: Vec<_> = POOL.with(|p| {
        p.borrow()
            .started
            .iter()
            .map(|h| h.loaded.clone())
            .collect()
    });
    futures::future::join_all(loading).await;
    helpers().len()
}

/// Starts the missing helpers (once the main worker has loaded the CPU models), without
/// waiting for them.
pub fn start_helpers() {
    let Some(load) = LOADS.with(|loads| {
        loads
            .borrow()
            .iter()
            .find(|l| {
                matches!(
                    l,
                    Request::Load {
                        backend: Backend::Cpu,
                        ..
                    }
                )
            })
            .cloned()
    }) else {
        return; // The CPU models were never loaded: nothing to spread.
    };
    let wanted = workers() - 1;
    while POOL.with(|p| p.borrow().started.len()) < wanted {
        let connection = match Connection::start(false) {
            Ok(c) => c,
            Err(why) => {
                web_sys::console::warn_1(&format!("no helper model worker: {why}").into());
                // Do not try again on every request: the pool stays as it is.
                POOL.with(|p| {
                    let mut pool = p.borrow_mut();
                    pool.size = Some(pool.started.len() + 1);
                });
                return;
            }
        };
        let loaded = {
            let (connection, load) = (connection.clone(), load.clone());
            async move {
                let why = match call_on(&connection, load).await {
                    Ok(Reply::Loaded(_)) => return true,
                    Ok(other) => format!("a helper model worker answered {other:?}"),
                    Err(why) => format!("a helper model worker failed: {why}"),
                };
                connection.die(why);
                false
            }
            .boxed_local()
            .shared()
        };
        wasm_bindgen_futures::spawn_local(loaded.clone().map(drop));
        POOL.with(|p| {
            p.borrow_mut()
                .started
                .push(StartedHelper { connection, loaded })
        });
    }
}

fn next_id() -> u32 {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    })
}

/// Cancels request `id` in the worker if its future is dropped before the answer.
struct CancelOnDrop {
    connection: Rc<Connection>,
    id: u32,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed
            && self
                .connection
                .pending
                .borrow_mut()
                .remove(&self.id)
                .is_some()
        {
            let _ = self.connection.send(&ToWorker {
                id: 0,
                request: Request::Cancel { id: self.id },
            });
        }
    }
}

/// The running worker, or a new one if there is none (or it died).
fn connection() -> Result<Rc<Connection>, String> {
    if let Some(c) = WORKER.with(|w| w.borrow().clone())
        && c.dead.borrow().is_none()
    {
        return Ok(c);
    }
    let connection = Connection::start(true)?;
    WORKER.with(|w| *w.borrow_mut() = Some(connection.clone()));
    Ok(connection)
}

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
/// scope has one already.)
fn start_script(base: &str) -> String {
    let [fma, plain] = WORKER_BUILDS.map(|name| format!("{base}{name}"));
    let probe = RELAXED_SIMD_PROBE.map(|b| b.to_string()).join(",");
    format!(
        "var convlabBuild = null;\n\
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
struct Connection {
    worker: web_sys::Worker,
    start: RefCell<Start>,
    pending: RefCell<HashMap<u32, oneshot::Sender<Answer>>>,
    /// Why the worker is gone, once it is.
    dead: RefCell<Option<String>>,
    /// The `Blob` URL of the start-up script, revoked once the worker runs.
    script_url: String,
    /// Whether a (re)started worker first loads the models asked for so far (the main worker;
    /// helpers load the CPU models themselves).
    replay_loads: bool,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

impl Connection {
    fn start(replay_loads: bool) -> Result<Rc<Self>, String> {
        let parts = js_sys::Array::of1(&JsValue::from_str(&start_script(&base()?)));
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
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            Self {
                worker,
                start: RefCell::new(Start::Starting(Vec::new())),
                pending: RefCell::new(HashMap::new()),
                dead: RefCell::new(None),
                script_url,
                replay_loads,
                _on_message: on_message,
                _on_error: on_error,
            }
        }))
    }

    /// Waits for `Ready`.
    async fn ready(&self) -> Result<(), String> {
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

    fn send(&self, outgoing: &ToWorker) -> Result<(), String> {
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
    fn die(&self, why: String) {
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
fn message(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
