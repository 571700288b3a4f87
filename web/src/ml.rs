//! The trained models in the page: fetched and loaded once, lazily, on the first visit to a
//! page that needs them (the convolution pages never wait for them), and shared by every
//! model page.
//!
//! - [`MlContext`] (provided by the app shell) holds the chosen [`Backend`] and a
//!   generation counter; [`use_models`] gives a page the models of the current backend as a
//!   `LocalResource`, so a page re-renders when they arrive or the backend changes.
//! - [`Models`] wraps the Burn models with async, sliced inference on plain `Vec<f32>`s:
//!   batches are cut into [`CHUNK`]-image pieces with a yield to the browser between them,
//!   so a 400-image manifold never freezes the page. Results are read back with
//!   `into_data_async`, which WebGPU needs.
//! - The weights come from `weights/NAME.json` + `NAME.bpk` beside the page (Trunk copies the
//!   repository's `weights/` into `dist/`), or from bytes given to [`provide_weight_files`]
//!   (the browser tests, whose server has no `weights/`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use burn::tensor::{Device, Tensor, TensorData};
use convlab_model::latent::Projection;
use convlab_model::weights::{WeightsManifest, parse_manifest};
use convlab_model::{
    Autoencoder, IMAGE_PIXELS, LeNet5, Vae, VaeConfig, load_autoencoder, load_lenet, load_vae,
    synthetic_digit,
};
use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::storage;

/// Images per piece of a sliced batch: small enough that one piece takes a few
/// milliseconds on the CPU backend (8 decodes ≈ 90 MFLOP), large enough to keep the
/// per-call overhead low.
pub const CHUNK: usize = 8;

/// Synthetic reference digits per class on the latent maps (300 in all).
pub const REFERENCE_PER_CLASS: usize = 30;

/// Where tensors live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The browser's WebGPU device.
    WebGpu,
    /// Burn's `flex` CPU backend, in wasm.
    Cpu,
}

impl Backend {
    /// `webgpu` or `cpu`, as the page shows it.
    pub fn name(self) -> &'static str {
        match self {
            Backend::WebGpu => "webgpu",
            Backend::Cpu => "cpu",
        }
    }
}

/// The VAEs a page can pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VaeChoice {
    /// Latent size 2: the map is the latent space itself.
    Vae2,
    /// Latent size 16: sharper digits, shown on a map through a 2-D projection.
    Vae16,
    /// Latent size 2 with freshly initialised weights (seeded): "random before training".
    Untrained2,
}

impl VaeChoice {
    /// Name in URLs.
    pub fn slug(self) -> &'static str {
        match self {
            VaeChoice::Vae2 => "vae2",
            VaeChoice::Vae16 => "vae16",
            VaeChoice::Untrained2 => "untrained",
        }
    }

    /// The choice with this slug; unknown slugs give VAE-2.
    pub fn from_slug(slug: &str) -> Self {
        match slug {
            "vae16" => VaeChoice::Vae16,
            "untrained" => VaeChoice::Untrained2,
            _ => VaeChoice::Vae2,
        }
    }
}

/// The encoder's answer for one image: `N(μ, σ²)` per latent dimension.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Posterior {
    pub mu: Vec<f32>,
    pub log_var: Vec<f32>,
}

impl Posterior {
    /// σ per dimension.
    pub fn sigma(&self) -> Vec<f32> {
        self.log_var.iter().map(|lv| (0.5 * lv).exp()).collect()
    }
}

/// Synthetic digits encoded by one VAE: the scatter of a latent map.
#[derive(Debug)]
pub struct ReferenceSet {
    /// 784 values per digit.
    pub images: Vec<Vec<f32>>,
    pub labels: Vec<u8>,
    pub posteriors: Vec<Posterior>,
    /// From the latent space to the plane (the identity for a 2-D latent space).
    pub projection: Projection,
}

impl ReferenceSet {
    /// The plane coordinates of every digit's μ.
    pub fn points(&self) -> Vec<[f32; 2]> {
        self.posteriors
            .iter()
            .map(|p| self.projection.project(&p.mu))
            .collect()
    }

    /// The points with their classes, as a scatter draws them.
    pub fn scatter(&self) -> Vec<([f32; 2], u8)> {
        self.points()
            .into_iter()
            .zip(self.labels.iter().copied())
            .collect()
    }
}

/// The shipped files of one model.
#[derive(Clone, Debug)]
pub struct WeightFiles {
    pub json: String,
    pub bpk: Vec<u8>,
}

/// What the model pages share.
#[derive(Debug)]
pub struct Models {
    pub backend: Backend,
    device: Device,
    vae2: Vae,
    vae16: Vae,
    untrained2: Vae,
    lenet: LeNet5,
    /// AE-2, or why it is not there (not shipped, or its files do not load).
    ae2: Result<Autoencoder, String>,
    /// The manifests of the shipped weights, by name, for the figures a page shows.
    pub manifests: HashMap<String, WeightsManifest>,
    references: RefCell<HashMap<VaeChoice, Rc<ReferenceSet>>>,
}

type Loaded = Result<Rc<Models>, String>;

thread_local! {
    static EMBEDDED: RefCell<Option<HashMap<String, WeightFiles>>> = const { RefCell::new(None) };
    static LOADED: RefCell<HashMap<&'static str, Shared<LocalBoxFuture<'static, Loaded>>>> =
        RefCell::new(HashMap::new());
}

/// Makes the loader use these files (by NAME: `vae2`, `vae16`, `lenet5`, `ae2`) instead of
/// fetching them, and forgets models loaded from other files. For the browser tests, whose
/// server has no `weights/` to fetch.
pub fn provide_weight_files(files: HashMap<String, WeightFiles>) {
    let same = EMBEDDED.with(|e| {
        e.borrow().as_ref().is_some_and(|old| {
            old.len() == files.len()
                && old.iter().all(|(k, v)| {
                    files
                        .get(k)
                        .is_some_and(|f| f.json == v.json && f.bpk == v.bpk)
                })
        })
    });
    if !same {
        LOADED.with(|l| l.borrow_mut().clear());
        EMBEDDED.with(|e| *e.borrow_mut() = Some(files));
    }
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
        let gpu_note = (!available.contains(&Backend::WebGpu)).then(|| {
            if cfg!(feature = "webgpu") {
                "this browser offers no WebGPU".to_string()
            } else {
                "this build has no WebGPU".to_string()
            }
        });
        Self {
            backend: RwSignal::new(backend),
            available: RwSignal::new(available),
            gpu_note: RwSignal::new(gpu_note),
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

/// Whether this build has WebGPU and the browser exposes `navigator.gpu`.
fn webgpu_offered() -> bool {
    cfg!(feature = "webgpu")
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
pub fn use_models() -> LocalResource<Loaded> {
    let ctx = use_context::<MlContext>().unwrap_or_default();
    gpu::on_lost(move |why| ctx.fall_back(format!("{why}; the CPU runs the models now")));
    LocalResource::new(move || {
        let backend = ctx.backend.get();
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

/// The synthetic reference digits on the latent plane of `which`, as a scatter draws them;
/// empty until they are encoded, and for models whose latent space is not a plane.
pub fn use_reference_scatter(
    models: LocalResource<Loaded>,
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

/// The models on `backend`, loaded once per backend and shared.
pub fn models(backend: Backend) -> Shared<LocalBoxFuture<'static, Loaded>> {
    LOADED.with(|cell| {
        cell.borrow_mut()
            .entry(backend.name())
            .or_insert_with(|| load(backend).boxed_local().shared())
            .clone()
    })
}

async fn load(backend: Backend) -> Loaded {
    let device = match backend {
        Backend::Cpu => Device::flex(),
        Backend::WebGpu => gpu::device().await?,
    };
    let vae2_files = weight_files("vae2").await?;
    let vae16_files = weight_files("vae16").await?;
    let lenet_files = weight_files("lenet5").await?;
    // AE-2 is optional: without it (or with files that do not load) the pages show the
    // VAE alone and say why.
    let ae2_files = weight_files("ae2").await;

    let vae2 = load_vae(&vae2_files.json, &vae2_files.bpk, &device).map_err(|e| e.to_string())?;
    let vae16 =
        load_vae(&vae16_files.json, &vae16_files.bpk, &device).map_err(|e| e.to_string())?;
    let lenet =
        load_lenet(&lenet_files.json, &lenet_files.bpk, &device).map_err(|e| e.to_string())?;
    let ae2 = match &ae2_files {
        Ok(f) => load_autoencoder(&f.json, &f.bpk, &device).map_err(|e| e.to_string()),
        Err(e) => Err(format!(
            "the latent-2 autoencoder is not shipped in this build ({e})"
        )),
    };
    // "Before training": the same architecture, seeded, so the picture is the same each time.
    device.seed(2024);
    let untrained2 = VaeConfig::new().with_latent_dim(2).init(&device);

    let mut manifests = HashMap::new();
    for (name, files) in [
        ("vae2", Some(&vae2_files)),
        ("vae16", Some(&vae16_files)),
        ("lenet5", Some(&lenet_files)),
        ("ae2", ae2_files.as_ref().ok()),
    ] {
        if let Some(Ok(m)) = files.map(|f| parse_manifest(&f.json)) {
            manifests.insert(name.to_string(), m);
        }
    }
    Ok(Rc::new(Models {
        backend,
        device,
        vae2,
        vae16,
        untrained2,
        lenet,
        ae2,
        manifests,
        references: RefCell::new(HashMap::new()),
    }))
}

async fn weight_files(name: &str) -> Result<WeightFiles, String> {
    if let Some(files) = EMBEDDED.with(|e| e.borrow().as_ref().map(|m| m.get(name).cloned())) {
        return files.ok_or_else(|| format!("no weights named {name}"));
    }
    let json = fetch_bytes(&format!("weights/{name}.json")).await?;
    let json = String::from_utf8(json).map_err(|_| format!("weights/{name}.json is not text"))?;
    let bpk = fetch_bytes(&format!("weights/{name}.bpk")).await?;
    Ok(WeightFiles { json, bpk })
}

/// The browser's WebGPU device, initialised once per page: a second initialisation of the
/// same runtime fails ("Service already created"), so every load shares this one.
#[cfg(feature = "webgpu")]
pub mod gpu {
    use std::cell::RefCell;

    use burn::tensor::Device;
    use burn::tensor::wgpu::{WgpuBackend, WgpuSetup};
    use futures::FutureExt;
    use futures::future::{LocalBoxFuture, Shared};

    type Init = Shared<LocalBoxFuture<'static, Result<Device, String>>>;
    type Hook = Box<dyn Fn(String)>;

    thread_local! {
        static DEVICE: RefCell<Option<Init>> = const { RefCell::new(None) };
        static SETUP: RefCell<Option<WgpuSetup>> = const { RefCell::new(None) };
        static LOST: RefCell<Option<String>> = const { RefCell::new(None) };
        static ON_LOST: RefCell<Option<Hook>> = const { RefCell::new(None) };
    }

    /// Runs `f` with the reason when the device is lost (replacing an earlier hook).
    pub fn on_lost(f: impl Fn(String) + 'static) {
        ON_LOST.with(|h| *h.borrow_mut() = Some(Box::new(f)));
    }

    /// The device, initialising it on first use.
    pub async fn device() -> Result<Device, String> {
        if let Some(why) = lost() {
            return Err(why);
        }
        let init = DEVICE.with(|d| {
            d.borrow_mut()
                .get_or_insert_with(|| init().boxed_local().shared())
                .clone()
        });
        init.await
    }

    async fn init() -> Result<Device, String> {
        let (device, setup) = Device::wgpu_options()
            .graphics_api(WgpuBackend::WebGpu)
            .init_with_setup_async()
            .await
            .map_err(|e| format!("no WebGPU device: {e}"))?;
        // The browser is single-threaded: the callback runs on the page's thread, where the
        // hook lives.
        setup.device.set_device_lost_callback(|reason, message| {
            let why = format!("the GPU device was lost ({reason:?}: {message})");
            LOST.with(|l| *l.borrow_mut() = Some(why.clone()));
            ON_LOST.with(|h| {
                if let Some(hook) = h.borrow().as_ref() {
                    hook(why);
                }
            });
        });
        SETUP.with(|s| *s.borrow_mut() = Some(setup));
        Ok(device)
    }

    /// Why the device is gone, once it is.
    pub fn lost() -> Option<String> {
        LOST.with(|l| l.borrow().clone())
    }

    /// Destroys the device, as a driver reset or a GPU taken away would (for tests).
    pub fn destroy() {
        SETUP.with(|s| {
            if let Some(setup) = s.borrow().as_ref() {
                setup.device.destroy();
            }
        });
    }
}

#[cfg(not(feature = "webgpu"))]
mod gpu {
    pub async fn device() -> Result<burn::tensor::Device, String> {
        Err("this build has no WebGPU".to_string())
    }

    pub fn lost() -> Option<String> {
        None
    }

    pub fn on_lost(_: impl Fn(String) + 'static) {}
}

/// GETs `url` (relative to the page) and returns the body.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("could not fetch {url}: {}", js_message(&e)))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| format!("fetching {url} gave no response"))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    // A development server answers unknown paths with the app's own page (status 200).
    let content_type = response
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    if content_type.starts_with("text/html") {
        return Err(format!("{url} is not on the server"));
    }
    let buffer = response
        .array_buffer()
        .map_err(|e| format!("{url}: {}", js_message(&e)))?;
    let buffer = JsFuture::from(buffer)
        .await
        .map_err(|e| format!("{url}: {}", js_message(&e)))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

fn js_message(value: &wasm_bindgen::JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// Lets the browser run (paint, handle input) before the next slice of work.
pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        } else {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
}

impl Models {
    fn vae(&self, which: VaeChoice) -> &Vae {
        match which {
            VaeChoice::Vae2 => &self.vae2,
            VaeChoice::Vae16 => &self.vae16,
            VaeChoice::Untrained2 => &self.untrained2,
        }
    }

    /// Latent size of a VAE.
    pub fn latent_dim(&self, which: VaeChoice) -> usize {
        self.vae(which).latent_dim()
    }

    /// Why AE-2 is missing, when it is.
    pub fn autoencoder_missing(&self) -> Option<&str> {
        self.ae2.as_ref().err().map(String::as_str)
    }

    /// An error instead of work on a device that is gone.
    fn check_device(&self) -> Result<(), String> {
        match (self.backend, gpu::lost()) {
            (Backend::WebGpu, Some(why)) => Err(why),
            _ => Ok(()),
        }
    }

    fn images(&self, images: &[Vec<f32>]) -> Result<Tensor<4>, String> {
        self.check_device()?;
        if let Some(bad) = images.iter().find(|i| i.len() != IMAGE_PIXELS) {
            return Err(format!(
                "an image has {} values; a 28×28 digit has {IMAGE_PIXELS}",
                bad.len()
            ));
        }
        let flat: Vec<f32> = images.iter().flatten().copied().collect();
        Ok(Tensor::from_data(
            TensorData::new(flat, [images.len(), 1, 28, 28]),
            &self.device,
        ))
    }

    fn codes(&self, codes: &[Vec<f32>], dim: usize) -> Result<Tensor<2>, String> {
        self.check_device()?;
        if let Some(bad) = codes.iter().find(|c| c.len() != dim) {
            return Err(format!(
                "a latent code has {} values; this model's has {dim}",
                bad.len()
            ));
        }
        let flat: Vec<f32> = codes.iter().flatten().copied().collect();
        Ok(Tensor::from_data(
            TensorData::new(flat, [codes.len(), dim]),
            &self.device,
        ))
    }

    /// The posterior of each image under a VAE.
    pub async fn encode(
        &self,
        which: VaeChoice,
        images: &[Vec<f32>],
    ) -> Result<Vec<Posterior>, String> {
        let dim = self.latent_dim(which);
        let mut out = Vec::with_capacity(images.len());
        for (i, chunk) in images.chunks(CHUNK).enumerate() {
            if i > 0 {
                yield_now().await;
            }
            let latent = self.vae(which).encode(self.images(chunk)?);
            let mu = read(latent.mu).await?;
            let log_var = read(latent.log_var).await?;
            out.extend(
                mu.chunks(dim)
                    .zip(log_var.chunks(dim))
                    .map(|(m, l)| Posterior {
                        mu: m.to_vec(),
                        log_var: l.to_vec(),
                    }),
            );
        }
        Ok(out)
    }

    /// Each latent code decoded to a 784-value image in `[0, 1]`.
    pub async fn decode(
        &self,
        which: VaeChoice,
        codes: &[Vec<f32>],
    ) -> Result<Vec<Vec<f32>>, String> {
        let dim = self.latent_dim(which);
        let mut out = Vec::with_capacity(codes.len());
        for (i, chunk) in codes.chunks(CHUNK).enumerate() {
            if i > 0 {
                yield_now().await;
            }
            let images = read(self.vae(which).decode(self.codes(chunk, dim)?)).await?;
            out.extend(images.chunks(IMAGE_PIXELS).map(<[f32]>::to_vec));
        }
        Ok(out)
    }

    /// LeNet-5's class probabilities for each image.
    pub async fn classify(&self, images: &[Vec<f32>]) -> Result<Vec<[f32; 10]>, String> {
        let mut out = Vec::with_capacity(images.len());
        for (i, chunk) in images.chunks(CHUNK).enumerate() {
            if i > 0 {
                yield_now().await;
            }
            let probs = read(self.lenet.predict(self.images(chunk)?)).await?;
            out.extend(probs.chunks(10).map(|p| {
                let mut row = [0.0; 10];
                row.copy_from_slice(p);
                row
            }));
        }
        Ok(out)
    }

    /// The plain autoencoder's code and reconstruction of each image, when AE-2 is shipped.
    pub async fn autoencode(
        &self,
        images: &[Vec<f32>],
    ) -> Result<Option<Vec<(Vec<f32>, Vec<f32>)>>, String> {
        let Ok(ae) = &self.ae2 else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(images.len());
        for chunk in images.chunks(CHUNK) {
            let z = ae.encode(self.images(chunk)?);
            let recon = read(ae.decode(z.clone())).await?;
            let z = read(z).await?;
            let dim = ae.latent_dim();
            out.extend(
                z.chunks(dim)
                    .zip(recon.chunks(IMAGE_PIXELS))
                    .map(|(z, r)| (z.to_vec(), r.to_vec())),
            );
            yield_now().await;
        }
        Ok(Some(out))
    }

    /// [`REFERENCE_PER_CLASS`] synthetic digits of each class encoded by `which`, computed
    /// once per model and kept.
    pub async fn references(&self, which: VaeChoice) -> Result<Rc<ReferenceSet>, String> {
        if let Some(set) = self.references.borrow().get(&which) {
            return Ok(set.clone());
        }
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for i in 0..REFERENCE_PER_CLASS * 10 {
            if i % CHUNK == CHUNK - 1 {
                yield_now().await;
            }
            let digit = (i % 10) as u8;
            images.push(synthetic_digit(digit, 10_000 + i as u64).map_err(|e| e.to_string())?);
            labels.push(digit);
        }
        let posteriors = self.encode(which, &images).await?;
        let mus: Vec<Vec<f32>> = posteriors.iter().map(|p| p.mu.clone()).collect();
        let projection = Projection::fit(&mus, self.latent_dim(which));
        let set = Rc::new(ReferenceSet {
            images,
            labels,
            posteriors,
            projection,
        });
        self.references.borrow_mut().insert(which, set.clone());
        Ok(set)
    }
}

/// A float tensor's values, read back asynchronously (as WebGPU requires).
async fn read<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, String> {
    let data = tensor
        .into_data_async()
        .await
        .map_err(|e| format!("reading a result from the device failed: {e:?}"))?;
    let values: Vec<f32> = data
        .try_into_vec::<f32>()
        .map_err(|e| format!("a result had an unexpected type: {e:?}"))?;
    if values.iter().any(|v| !v.is_finite()) {
        return Err("the model produced a non-finite value".to_string());
    }
    Ok(values)
}

/// The index and value of the largest probability.
pub fn top_class(probs: &[f32; 10]) -> (usize, f32) {
    probs.iter().copied().enumerate().fold(
        (0, f32::MIN),
        |best, (i, p)| if p > best.1 { (i, p) } else { best },
    )
}

/// The example `digit` (see [`convlab_model::example_digit`]), or a blank image for a digit
/// above 9.
pub fn example_digit(digit: u8) -> Vec<f32> {
    convlab_model::example_digit(digit).unwrap_or_else(|_| vec![0.0; IMAGE_PIXELS])
}
