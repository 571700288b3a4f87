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
//!   Two crashes within a minute of a worker with WebGPU models count as a lost GPU: the pages
//!   move to the CPU, and the new worker loads only the CPU models.
//! - On the CPU, long encodes and decodes (the 20×20 manifold) are spread over more workers
//!   ([`helpers`]): one per core the browser reports, up to [`MAX_WORKERS`], each with its own
//!   copy of the CPU models. They start the first time they are asked for, and only join in
//!   once their models are loaded; one that fails is not restarted.

mod connection;
mod pool;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use convlab_protocol::{LOAD_TIMEOUT_MS, Reply, Request, ToWorker};
use futures::channel::oneshot;

pub use self::connection::WORKER_BUILDS;
use self::connection::{Connection, message};
pub use self::pool::{Helper, helpers, helpers_ready, set_workers, start_helpers, workers};

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
    /// When workers that had the models on WebGPU crashed (milliseconds since the epoch).
    static GPU_CRASHES: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
    static TIMEOUT_MS: Cell<u32> = const { Cell::new(LOAD_TIMEOUT_MS) };
    static PRELUDE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// JavaScript that every model worker started from now on runs before its own code: the
/// browser tests use it to give the worker a browser's faults (a GPU with no adapter).
pub fn set_worker_prelude(js: &str) {
    PRELUDE.with(|p| *p.borrow_mut() = js.to_string());
}

/// How long a worker may take to start, and the worker each weights file to arrive, before
/// the request fails with a message ([`LOAD_TIMEOUT_MS`]; the tests of a stalled server
/// shorten it).
pub fn timeout_ms() -> u32 {
    TIMEOUT_MS.with(Cell::get)
}

/// Sets [`timeout_ms`] for the workers started and the loads asked for from now on.
pub fn set_timeout_ms(ms: u32) {
    TIMEOUT_MS.with(|t| t.set(ms));
}

/// Crashes on WebGPU within [`CRASH_WINDOW_MS`] that move the pages to the CPU: a driver or
/// an adapter that keeps failing should not leave the page restarting a worker for good.
const CRASHES_BEFORE_CPU: usize = 2;
const CRASH_WINDOW_MS: f64 = 60_000.0;

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

fn next_id() -> u32 {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    })
}

/// Notes a dead worker; the second crash of a worker with WebGPU models within a minute
/// gives up the GPU (as a lost device does) and drops the WebGPU loads from the replay.
fn count_crash(why: &str) {
    let on_gpu = LOADS.with(|l| l.borrow().iter().any(is_webgpu_load));
    if !why.contains("crashed") || !on_gpu || gpu_lost().is_some() {
        return;
    }
    let now = js_sys::Date::now();
    let recent = GPU_CRASHES.with(|c| {
        let mut crashes = c.borrow_mut();
        crashes.retain(|t| now - t < CRASH_WINDOW_MS);
        crashes.push(now);
        crashes.len()
    });
    if recent < CRASHES_BEFORE_CPU {
        return;
    }
    let reason = format!("the model worker crashed {recent} times within a minute on WebGPU");
    LOADS.with(|l| l.borrow_mut().retain(|load| !is_webgpu_load(load)));
    GPU_LOST.with(|l| *l.borrow_mut() = Some(reason.clone()));
    ON_GPU_LOST.with(|h| {
        if let Some(hook) = h.borrow().as_ref() {
            hook(reason);
        }
    });
}

fn is_webgpu_load(request: &Request) -> bool {
    matches!(
        request,
        Request::Load {
            backend: convlab_protocol::Backend::WebGpu,
            ..
        }
    )
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
    if let Some(c) = WORKER.with(|w| w.borrow().clone()) {
        let died = c.dead.borrow().clone();
        match died {
            None => return Ok(c),
            Some(why) => count_crash(&why),
        }
    }
    let connection = Connection::start(true)?;
    WORKER.with(|w| *w.borrow_mut() = Some(connection.clone()));
    Ok(connection)
}
