//! The helper workers a long CPU request is spread over: started on first use, each with its
//! own copy of the CPU models, joining in once those are loaded.

use std::cell::RefCell;
use std::rc::Rc;

use convlab_protocol::{Backend, Reply, Request};
use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};

use super::connection::Connection;
use super::{Answer, LOADS, MAX_WORKERS, call_on};

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
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
