//! The shipped models on one backend, with inference on flat `f32` lists in slices of
//! [`CHUNK`] images: between two slices the worker's event loop runs, so a cancel message is
//! seen and a long job (a 400-image manifold) stops early when the page no longer needs it.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use burn::tensor::{Device, Tensor, TensorData};
use convlab_digits::{IMAGE_PIXELS, synthetic_digit};
use convlab_model::{
    AlexNetConfig, Architecture, Autoencoder, CpuDecoder, FEATURE_MAP_LAYERS, LeNet5, Vae,
    VaeConfig, load_autoencoder, load_lenet, load_vae,
};
use convlab_protocol::{
    Autoencoded, Backend, FeatureMap, KernelBank, Loaded, NamedLayer, Network, Networks,
    REFERENCE_PER_CLASS, VaeChoice,
};

use crate::training::in_use;
use crate::{gpu, js};

/// Images per slice ([`SLICE`](convlab_protocol::SLICE)).
pub const CHUNK: usize = convlab_protocol::SLICE;

/// Seed of the "before training" VAE, so its picture is the same on every visit.
const UNTRAINED_SEED: u64 = 2024;

/// Why a job gave no result.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The page cancelled it.
    Cancelled,
    /// Something went wrong; the sentence says what.
    Error(String),
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Failure::Error(e)
    }
}

/// Set by a cancel message, read between slices.
#[derive(Clone, Debug, Default)]
pub struct Stop(Rc<Cell<bool>>);

impl Stop {
    /// Asks the job to stop.
    pub fn set(&self) {
        self.0.set(true);
    }

    /// `Err(Cancelled)` once asked to stop.
    pub fn check(&self) -> Result<(), Failure> {
        if self.0.get() {
            Err(Failure::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// The shipped files of one model.
#[derive(Clone, Debug)]
pub struct WeightFiles {
    pub json: String,
    pub bpk: Vec<u8>,
}

/// Where the weights come from.
#[derive(Clone, Debug)]
pub enum WeightSource {
    /// `NAME.json` and `NAME.bpk` under `base` (ending in `/`), each within `timeout_ms`.
    Url { base: String, timeout_ms: u32 },
    /// Files already in memory, by NAME (the tests, which embed the shipped files).
    Files(HashMap<String, WeightFiles>),
}

impl WeightSource {
    async fn get(&self, name: &str) -> Result<WeightFiles, String> {
        match self {
            WeightSource::Files(files) => files
                .get(name)
                .cloned()
                .ok_or_else(|| format!("no weights named {name}")),
            WeightSource::Url { base, timeout_ms } => {
                let json = js::fetch_bytes(&format!("{base}{name}.json"), *timeout_ms).await?;
                let json = String::from_utf8(json)
                    .map_err(|_| format!("{base}{name}.json is not text"))?;
                let bpk = js::fetch_bytes(&format!("{base}{name}.bpk"), *timeout_ms).await?;
                Ok(WeightFiles { json, bpk })
            }
        }
    }
}

/// VAE-2, VAE-16, an untrained VAE-2, LeNet-5 and (when shipped) AE-2 on one device.
#[derive(Debug)]
pub struct Models {
    backend: Backend,
    device: Device,
    vae2: Vae,
    vae16: Vae,
    untrained2: Vae,
    lenet: LeNet5,
    /// AE-2, or why it is not there (not shipped, or its files do not load).
    ae2: Result<Autoencoder, String>,
    /// On the CPU backend, the VAEs' decoders as [`CpuDecoder`]s, which decode ≈ 3× faster
    /// than Burn's `flex` operations (what a VAE without one uses).
    cpu_decoders: HashMap<VaeChoice, Rc<CpuDecoder>>,
}

/// Reference digits and their posteriors under one VAE.
#[derive(Clone, Debug, PartialEq)]
pub struct References {
    pub images: Vec<f32>,
    pub labels: Vec<u8>,
    pub mu: Vec<f32>,
    pub log_var: Vec<f32>,
}

impl Models {
    /// Fetches the weights and builds the models on `backend`.
    pub async fn load(backend: Backend, source: &WeightSource) -> Result<Self, String> {
        let device = match backend {
            Backend::Cpu => Device::flex(),
            Backend::WebGpu => gpu::device().await?,
        };
        let vae2 = source.get("vae2").await?;
        let vae16 = source.get("vae16").await?;
        let lenet = source.get("lenet5").await?;
        // AE-2 is optional: without it (or with files that do not load) the pages show the
        // VAE alone and say why.
        let ae2 = source.get("ae2").await;

        let named = |name: &str, e: convlab_model::WeightsError| format!("{name}: {e}");
        let vae2 = load_vae(&vae2.json, &vae2.bpk, &device).map_err(|e| named("vae2", e))?;
        let vae16 = load_vae(&vae16.json, &vae16.bpk, &device).map_err(|e| named("vae16", e))?;
        let lenet = load_lenet(&lenet.json, &lenet.bpk, &device).map_err(|e| named("lenet5", e))?;
        let ae2 = match ae2 {
            Ok(f) => load_autoencoder(&f.json, &f.bpk, &device).map_err(|e| named("ae2", e)),
            Err(e) => Err(format!(
                "the latent-2 autoencoder is not shipped in this build ({e})"
            )),
        };
        let untrained2 = VaeConfig::new()
            .with_latent_dim(2)
            .init_seeded(UNTRAINED_SEED, &device);
        let mut models = Self {
            backend,
            device,
            vae2,
            vae16,
            untrained2,
            lenet,
            ae2,
            cpu_decoders: HashMap::new(),
        };
        if backend == Backend::Cpu {
            for which in VaeChoice::ALL {
                if let Some(decoder) = CpuDecoder::new(&models.vae(which).decoder) {
                    models.cpu_decoders.insert(which, Rc::new(decoder));
                }
            }
        }
        Ok(models)
    }

    /// What the page needs to know about these models.
    pub fn info(&self) -> Loaded {
        Loaded {
            backend: self.backend,
            latent_dims: VaeChoice::ALL
                .iter()
                .map(|&m| (m, self.vae(m).latent_dim() as u32))
                .collect(),
            autoencoder_missing: self.ae2.as_ref().err().cloned(),
            fused_multiply_add: cfg!(feature = "relaxed-simd") && !self.cpu_decoders.is_empty(),
        }
    }

    /// The latent size of a VAE.
    pub fn latent_dim(&self, which: VaeChoice) -> usize {
        self.vae(which).latent_dim()
    }

    /// The shipped VAE `which`, or the VAE lab's when one is in its place on this backend.
    fn vae(&self, which: VaeChoice) -> Cow<'_, Vae> {
        if let Some(trained) = in_use::vae(self.backend, which) {
            return Cow::Owned(trained.vae);
        }
        Cow::Borrowed(match which {
            VaeChoice::Vae2 => &self.vae2,
            VaeChoice::Vae16 => &self.vae16,
            VaeChoice::Untrained2 => &self.untrained2,
        })
    }

    /// The CPU decoder of `which` (the VAE lab's when its VAE is in use), on the CPU backend.
    fn cpu_decoder(&self, which: VaeChoice) -> Option<Rc<CpuDecoder>> {
        match in_use::vae(self.backend, which) {
            Some(trained) => trained.cpu_decoder,
            None => self.cpu_decoders.get(&which).cloned(),
        }
    }

    /// An error instead of work on a device that is gone.
    fn check_device(&self) -> Result<(), String> {
        match (self.backend, gpu::lost()) {
            (Backend::WebGpu, Some(why)) => Err(why),
            _ => Ok(()),
        }
    }

    /// `n` images of 784 values as a `[n, 1, 28, 28]` tensor.
    fn images(&self, values: &[f32]) -> Result<Tensor<4>, String> {
        self.check_device()?;
        let n = values.len() / IMAGE_PIXELS;
        Ok(Tensor::from_data(
            TensorData::new(values.to_vec(), [n, 1, 28, 28]),
            &self.device,
        ))
    }

    /// `n` codes of `dim` values as a `[n, dim]` tensor.
    fn codes(&self, values: &[f32], dim: usize) -> Result<Tensor<2>, String> {
        self.check_device()?;
        Ok(Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len() / dim, dim]),
            &self.device,
        ))
    }

    /// The means and log-variances (`n × dim` each) of the posterior of each image.
    pub async fn encode(
        &self,
        which: VaeChoice,
        images: &[f32],
        stop: &Stop,
    ) -> Result<(Vec<f32>, Vec<f32>), Failure> {
        let (mut mu, mut log_var) = (Vec::new(), Vec::new());
        for chunk in slices(images, IMAGE_PIXELS, "image")? {
            stop.check()?;
            let latent = self.vae(which).encode(self.images(chunk)?);
            mu.extend(read(latent.mu).await?);
            log_var.extend(read(latent.log_var).await?);
            js::yield_now().await;
        }
        Ok((mu, log_var))
    }

    /// Each latent code (`dim` values) decoded to 784 values in `[0, 1]`.
    pub async fn decode(
        &self,
        which: VaeChoice,
        codes: &[f32],
        stop: &Stop,
    ) -> Result<Vec<f32>, Failure> {
        let dim = self.vae(which).latent_dim();
        let mut out = Vec::with_capacity(codes.len() / dim.max(1) * IMAGE_PIXELS);
        for chunk in slices(codes, dim, "latent code")? {
            stop.check()?;
            let images = match self.cpu_decoder(which) {
                Some(decoder) => finite(
                    decoder
                        .decode(chunk)
                        .ok_or_else(|| "the latent codes do not fit the decoder".to_string())?,
                )?,
                None => read(self.vae(which).decode(self.codes(chunk, dim)?)).await?,
            };
            out.extend(images);
            js::yield_now().await;
        }
        Ok(out)
    }

    /// LeNet-5's ten class probabilities for each image (from the training lab's LeNet-5 when
    /// one is in use on this backend).
    pub async fn classify(&self, images: &[f32], stop: &Stop) -> Result<Vec<f32>, Failure> {
        let mut out = Vec::with_capacity(images.len() / IMAGE_PIXELS * 10);
        for chunk in slices(images, IMAGE_PIXELS, "image")? {
            stop.check()?;
            let net = in_use::classifier(self.backend);
            let net = net.as_ref().unwrap_or(&self.lenet);
            out.extend(read(net.predict(self.images(chunk)?)).await?);
            js::yield_now().await;
        }
        Ok(out)
    }

    /// The plain autoencoder's code and reconstruction of each image, when AE-2 is shipped.
    pub async fn autoencode(
        &self,
        images: &[f32],
        stop: &Stop,
    ) -> Result<Option<Autoencoded>, Failure> {
        let Ok(ae) = &self.ae2 else {
            return Ok(None);
        };
        let (mut codes, mut reconstructions) = (Vec::new(), Vec::new());
        for chunk in slices(images, IMAGE_PIXELS, "image")? {
            stop.check()?;
            let z = ae.encode(self.images(chunk)?);
            reconstructions.extend(read(ae.decode(z.clone())).await?);
            codes.extend(read(z).await?);
            js::yield_now().await;
        }
        Ok(Some(Autoencoded {
            dim: ae.latent_dim() as u32,
            codes,
            images: reconstructions,
        }))
    }

    /// What every layer of LeNet-5 makes of one image, read back from the device at once.
    pub async fn feature_maps(&self, image: &[f32]) -> Result<Vec<FeatureMap>, Failure> {
        if image.len() != IMAGE_PIXELS {
            return Err(Failure::Error(format!(
                "an image has {} values instead of {IMAGE_PIXELS}",
                image.len()
            )));
        }
        let maps = self.lenet.feature_maps(self.images(image)?);
        let shapes: Vec<[usize; 4]> = maps.iter().map(|m| m.dims()).collect();
        // One tensor, so one readback, for all the layers.
        let flat: Vec<Tensor<1>> = maps.into_iter().map(|m| m.flatten(0, 3)).collect();
        let mut values = read(Tensor::cat(flat, 0)).await?.into_iter();
        Ok(FEATURE_MAP_LAYERS
            .iter()
            .zip(shapes)
            .map(|(name, [_, c, h, w])| FeatureMap {
                layer: name.to_string(),
                shape: [c as u32, h as u32, w as u32],
                values: values.by_ref().take(c * h * w).collect(),
            })
            .collect())
    }

    /// LeNet-5's and AlexNet's layers (AlexNet's module is built with lazy weights, so none
    /// of its 62 M parameters is allocated) and LeNet-5's convolution kernels.
    pub async fn networks(&self) -> Result<Networks, Failure> {
        self.check_device()?;
        let alexnet = AlexNetConfig::new().init(&self.device).architecture();
        let bank = |conv: &burn::nn::conv::Conv2d| {
            let shape = conv.weight.lazy_shape().dims::<4>().map(|d| d as u32);
            let weight = read(conv.weight.val());
            let bias = conv.bias.as_ref().map(|b| read(b.val()));
            async move {
                let bias = match bias {
                    Some(b) => b.await?,
                    None => vec![0.0; shape[0] as usize],
                };
                Ok::<_, String>(KernelBank {
                    shape,
                    weights: weight.await?,
                    bias,
                })
            }
        };
        Ok(Networks {
            lenet5: network(self.lenet.architecture()),
            alexnet: network(alexnet),
            conv1: bank(&self.lenet.conv1).await?,
            conv2: bank(&self.lenet.conv2).await?,
        })
    }

    /// [`REFERENCE_PER_CLASS`] synthetic digits of each class and their posteriors under
    /// `which`.
    pub async fn references(&self, which: VaeChoice, stop: &Stop) -> Result<References, Failure> {
        let digits = reference_digits(stop).await?;
        let (mu, log_var) = self.encode(which, &digits.0, stop).await?;
        Ok(References {
            images: digits.0.clone(),
            labels: digits.1.clone(),
            mu,
            log_var,
        })
    }
}

/// An architecture as it travels to the page.
fn network(architecture: Architecture) -> Network {
    Network {
        name: architecture.name.to_string(),
        input: architecture.input,
        layers: architecture
            .layers
            .into_iter()
            .map(|(name, layer)| NamedLayer {
                name: name.to_string(),
                layer,
            })
            .collect(),
    }
}

/// `values` cut into slices of [`CHUNK`] items of `width` values; an error when the length is
/// not a whole number of items.
fn slices<'a>(
    values: &'a [f32],
    width: usize,
    item: &str,
) -> Result<std::slice::Chunks<'a, f32>, Failure> {
    if width == 0 || !values.len().is_multiple_of(width) {
        return Err(Failure::Error(format!(
            "{} values are not a whole number of {item}s of {width} values",
            values.len()
        )));
    }
    Ok(values.chunks(CHUNK * width))
}

/// Reference digit images (`n × 784` values) and their labels.
type Digits = Rc<(Vec<f32>, Vec<u8>)>;

thread_local! {
    /// The synthetic reference digits: the same for every model, so made once.
    static REFERENCE_DIGITS: RefCell<Option<Digits>> = const { RefCell::new(None) };
}

/// [`REFERENCE_PER_CLASS`] synthetic digits of each class (0, 1, …, 9, 0, 1, …), made once.
async fn reference_digits(stop: &Stop) -> Result<Digits, Failure> {
    if let Some(made) = REFERENCE_DIGITS.with(|r| r.borrow().clone()) {
        return Ok(made);
    }
    let n = REFERENCE_PER_CLASS * 10;
    let mut images = Vec::with_capacity(n * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        if i % (4 * CHUNK) == 0 {
            stop.check()?;
            js::yield_now().await;
        }
        let digit = (i % 10) as u8;
        let image = synthetic_digit(digit, 10_000 + i as u64).map_err(|e| e.to_string())?;
        images.extend(image);
        labels.push(digit);
    }
    let made = Rc::new((images, labels));
    REFERENCE_DIGITS.with(|r| *r.borrow_mut() = Some(made.clone()));
    Ok(made)
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
    finite(values)
}

/// `values`, or an error when one is not finite.
fn finite(values: Vec<f32>) -> Result<Vec<f32>, String> {
    if values.iter().any(|v| !v.is_finite()) {
        return Err("the model produced a non-finite value".to_string());
    }
    Ok(values)
}
