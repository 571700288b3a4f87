//! The trained models, as the pages see them. The models themselves run in the model worker
//! (`convlab-worker`, see [`client`]); this module is its page-side face:
//!
//! - [`MlContext`] (provided by the app shell) holds the chosen [`Backend`], the backends the
//!   browser offers and why the GPU is not in use; [`use_models`] gives a page the models of
//!   the current backend as a `LocalResource`, so a page re-renders when they arrive or the
//!   backend changes. The first model page starts the worker and asks it to load the shipped
//!   weights (`weights/` beside the page); the convolution pages never do.
//! - [`Models`] has the calls a page makes (`encode`, `decode`, `classify`, `autoencode`,
//!   `references`) on lists of images and codes. Each is one request to the worker, which
//!   slices the work; a call whose future is dropped (the page moved on) is cancelled there.
//!   On the CPU, long encodes and decodes are cut into one request per model worker
//!   ([`client::helpers`]), which run at the same time on different cores.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub use convlab_protocol::{Backend, REFERENCE_PER_CLASS, VaeChoice};
use convlab_protocol::{IMAGE_PIXELS, Reply, Request};
use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};
use leptos::prelude::*;

use crate::storage;

pub mod client;
mod models;
mod networks;
pub mod training;
pub mod vae_training;
pub use convlab_protocol::{FeatureMap, KernelBank, Networks};
pub use models::{Models, Posterior, ReferenceSet};

type LoadedModels = Result<Rc<Models>, String>;

thread_local! {
    static LOADED: RefCell<HashMap<Backend, Shared<LocalBoxFuture<'static, LoadedModels>>>> =
        RefCell::new(HashMap::new());
}

/// The app-wide model state, provided by the shell.
#[derive(Clone, Copy)]
pub struct MlContext {
    /// The backend pages use.
    pub backend: RwSignal<Backend>,
    /// The backends this browser has (the CPU always).
    pub available: RwSignal<Vec<Backend>>,
    /// Why the GPU is not in use, when it is not (no adapter, lost device, ...).
    pub gpu_note: RwSignal<Option<String>>,
    /// The training lab's LeNet-5 answering in place of the shipped one: its settings.
    pub trained_classifier: RwSignal<Option<String>>,
    /// The VAE lab's VAE answering in place of a shipped one.
    pub trained_vae: RwSignal<Option<vae_training::TrainedVae>>,
}

/// Where the user's choice of backend is kept between visits.
const BACKEND_KEY: &str = "convlab.backend";

impl MlContext {
    /// Starts on WebGPU when this build has it and the browser offers `navigator.gpu`
    /// (unless the user chose the CPU before), on the CPU otherwise. Nothing is initialised
    /// here: the device comes up when the first model page asks for the models.
    pub fn new() -> Self {
        let mut available = vec![Backend::Cpu];
        if webgpu_offered() {
            available.insert(0, Backend::WebGpu);
        }
        let preferred = match storage::load(BACKEND_KEY).as_deref() {
            Some("cpu") => Backend::Cpu,
            _ => available[0],
        };
        let backend = if available.contains(&preferred) {
            preferred
        } else {
            Backend::Cpu
        };
        let gpu_note = (!available.contains(&Backend::WebGpu))
            .then(|| "this browser offers no WebGPU".to_string());
        Self {
            backend: RwSignal::new(backend),
            available: RwSignal::new(available),
            gpu_note: RwSignal::new(gpu_note),
            trained_classifier: RwSignal::new(None),
            trained_vae: RwSignal::new(None),
        }
    }

    /// Moves the pages to `backend` and remembers the choice.
    pub fn choose(&self, backend: Backend) {
        storage::save(BACKEND_KEY, backend.name());
        self.backend.set(backend);
    }

    /// The GPU failed (no adapter, a lost device): go on on the CPU and say why. Drawings and
    /// settings live in the pages' signals and the URL, so nothing is lost.
    fn fall_back(&self, why: String) {
        self.gpu_note.set(Some(why));
        self.available.set(vec![Backend::Cpu]);
        self.backend.set(Backend::Cpu);
    }
}

/// Whether the browser exposes `navigator.gpu` (the worker then tries to get a device, and
/// the pages fall back to the CPU if it cannot) and the device has not been lost.
fn webgpu_offered() -> bool {
    client::gpu_lost().is_none()
        && web_sys::window().is_some_and(|w| {
            js_sys::Reflect::get(&w.navigator(), &"gpu".into())
                .is_ok_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
        })
}

impl Default for MlContext {
    fn default() -> Self {
        Self::new()
    }
}

/// The models on the context's backend, loading them on first use. When the GPU cannot be
/// had, the context falls back to the CPU and the resource loads again there.
pub fn use_models() -> LocalResource<LoadedModels> {
    let ctx = use_context::<MlContext>().unwrap_or_default();
    client::on_gpu_lost(move |why| ctx.fall_back(format!("{why}; the CPU runs the models now")));
    LocalResource::new(move || {
        let backend = ctx.backend.get();
        // A VAE put in use by the VAE lab (or taken back): every page asks anew.
        ctx.trained_vae.track();
        let loading = models(backend);
        async move {
            let loaded = loading.await;
            if let (Backend::WebGpu, Err(why)) = (backend, &loaded) {
                // wgpu's messages list every API it tried; the first clause says enough.
                let short = why.split(" { ").next().unwrap_or(why);
                ctx.fall_back(format!(
                    "WebGPU failed ({short}), so the CPU runs the models"
                ));
            }
            loaded
        }
    })
}

/// For pages that make long requests (the manifold, a grid of samples, the typical digits'
/// decodes): once the CPU models are loaded, starts the helper workers those requests are
/// spread over, so that they are ready, or nearly, when the requests come.
pub fn use_helpers(models: LocalResource<LoadedModels>) {
    Effect::new(move || {
        if let Some(Ok(m)) = models.get()
            && m.backend == Backend::Cpu
        {
            client::start_helpers();
        }
    });
}

/// The synthetic reference digits on the latent plane of `which`, as a scatter draws them;
/// empty until they are encoded, and for models whose latent space is not a plane.
pub fn use_reference_scatter(
    models: LocalResource<LoadedModels>,
    which: Signal<VaeChoice>,
) -> Signal<Vec<([f32; 2], u8)>> {
    let references = LocalResource::new(move || {
        let (models, which) = (models.get(), which.get());
        async move {
            match models {
                Some(Ok(m)) if m.latent_dim(which) == 2 => m.references(which).await.ok(),
                _ => None,
            }
        }
    });
    Signal::derive(move || {
        references
            .get()
            .flatten()
            .map(|r| r.scatter())
            .unwrap_or_default()
    })
}

/// The models on `backend`, loaded once per backend and shared. A load that failed is not
/// kept: the next call (the status line's "Try again") loads anew.
pub fn models(backend: Backend) -> Shared<LocalBoxFuture<'static, LoadedModels>> {
    LOADED.with(|cell| {
        let mut loaded = cell.borrow_mut();
        if loaded
            .get(&backend)
            .is_some_and(|l| matches!(l.peek(), Some(Err(_))))
        {
            loaded.remove(&backend);
        }
        loaded
            .entry(backend)
            .or_insert_with(|| load(backend).boxed_local().shared())
            .clone()
    })
}

thread_local! {
    /// Where the weights are fetched from instead of `<base>weights/` (tests).
    static WEIGHTS_URL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Fetches the weights from `url` (absolute, ending in `/`) instead of the app's
/// `weights/`; `None` goes back to those (for tests of a failed download).
pub fn set_weights_url(url: Option<String>) {
    WEIGHTS_URL.with(|w| *w.borrow_mut() = url);
}

async fn load(backend: Backend) -> LoadedModels {
    let weights_url = match WEIGHTS_URL.with(|w| w.borrow().clone()) {
        Some(url) => url,
        None => format!("{}weights/", client::base()?),
    };
    match client::call(Request::Load {
        backend,
        weights_url,
        timeout_ms: client::timeout_ms(),
    })
    .await?
    {
        Reply::Loaded(info) => Ok(Rc::new(Models::new(backend, info))),
        other => Err(unexpected(&other)),
    }
}

/// Destroys the worker's GPU device, as a driver reset would (for tests).
pub async fn lose_gpu() -> Result<(), String> {
    client::call(Request::LoseGpu).await.map(drop)
}

/// Makes the worker panic, as a bug would (for tests): the answer is the crash, and the next
/// request starts a new worker.
pub async fn crash_worker() -> Result<(), String> {
    client::call(Request::Crash).await.map(drop)
}

fn unexpected(reply: &Reply) -> String {
    format!("the model worker gave an unexpected answer: {reply:?}")
}

/// The index and value of the largest probability.
pub fn top_class(probs: &[f32; 10]) -> (usize, f32) {
    probs.iter().copied().enumerate().fold(
        (0, f32::MIN),
        |best, (i, p)| if p > best.1 { (i, p) } else { best },
    )
}

/// The example `digit` (see [`convlab_digits::example_digit`]), or a blank image for a digit
/// above 9.
pub fn example_digit(digit: u8) -> Vec<f32> {
    convlab_digits::example_digit(digit).unwrap_or_else(|_| vec![0.0; IMAGE_PIXELS])
}
