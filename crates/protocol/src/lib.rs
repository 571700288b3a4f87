//! The messages between convlab's page and its model worker.
//!
//! The page (the `convlab-web` app) never runs a model itself: Burn, the shipped weights and
//! the WebGPU device live in a dedicated Web Worker (`convlab-worker`), a second WebAssembly
//! module that is fetched only when a model page is first opened. The two talk with
//! `postMessage`, each message one [`ToWorker`] or [`FromWorker`] encoded by [`encode`] as
//! bytes (postcard) and decoded by [`decode`].
//!
//! - The page numbers its requests; the worker answers each with the same number, in any
//!   order. A request the page no longer needs can be [cancelled](Request::Cancel): the worker
//!   stops it between two slices of work.
//! - Every model request names its [`Backend`], so switching backends is just asking the other
//!   one; the worker keeps the models of each backend it has loaded.
//! - Images travel as flat `f32` lists, 784 values (28×28, row-major, `[0, 1]`) per image;
//!   latent codes as `dim` values per code. Each list is one block of its bytes (`floats`).
//!
//! This crate is plain data: it knows nothing of Burn, the DOM or the worker's event loop.

use serde::{Deserialize, Serialize};

mod networks;
mod training;
mod vae_training;
pub use networks::{FeatureMap, KernelBank, NamedLayer, Network, Networks};
pub use training::{
    EpochPoint, Evaluation, ExportedWeights, LayerGradient, MlpActivation, Split, StepPoint,
    StepSettings, TrainData, TrainModel, TrainOptimizer, TrainProgress, TrainSetup, TrainStarted,
    WeightStats,
};
pub use vae_training::{
    LatentSnapshot, MAX_BETA, MAX_LATENT, Reparameterised, VaeEpochPoint, VaeKind, VaeProgress,
    VaeSetup, VaeStepPoint, VaeStepSettings, VaeTerms,
};

/// Values in one 28×28 image.
pub use convlab_digits::IMAGE_PIXELS;

/// How long the page waits for the model worker to start, and the worker for each weights
/// file, before it says so (and offers to try again) rather than waiting for good.
pub const LOAD_TIMEOUT_MS: u32 = 30_000;

/// Images the worker runs at a time: small enough that one slice takes a few milliseconds on
/// the CPU backend (8 decodes ≈ 90 MFLOP), large enough to keep the per-call overhead low.
/// Between two slices a cancel is noticed; a request spread over several workers is cut into
/// whole slices.
pub const SLICE: usize = 8;

/// Synthetic reference digits per class that [`Request::References`] encodes (300 in all).
pub const REFERENCE_PER_CLASS: usize = 30;

/// Where the worker runs the models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VaeChoice {
    /// Latent size 2: the map is the latent space itself.
    Vae2,
    /// Latent size 16: sharper digits, shown on a map through a 2-D projection.
    Vae16,
    /// Latent size 2 with freshly initialised weights (seeded): "random before training".
    Untrained2,
}

impl VaeChoice {
    /// Every choice, in the order pages list them.
    pub const ALL: [VaeChoice; 3] = [VaeChoice::Vae2, VaeChoice::Vae16, VaeChoice::Untrained2];

    /// Name in URLs.
    pub fn slug(self) -> &'static str {
        match self {
            VaeChoice::Vae2 => "vae2",
            VaeChoice::Vae16 => "vae16",
            VaeChoice::Untrained2 => "untrained",
        }
    }

    /// Name in sentences: "VAE-2", "VAE-16", "the untrained VAE-2".
    pub fn title(self) -> &'static str {
        match self {
            VaeChoice::Vae2 => "VAE-2",
            VaeChoice::Vae16 => "VAE-16",
            VaeChoice::Untrained2 => "the untrained VAE-2",
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

/// A request from the page, with the number its answer will carry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToWorker {
    pub id: u32,
    pub request: Request,
}

/// What the page asks of the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Load the models on `backend` (once; later loads answer at once). The weights are
    /// fetched from `weights_url` (absolute, ending in `/`): `NAME.json` and `NAME.bpk` for
    /// `vae2`, `vae16`, `lenet5` and, optionally, `ae2`; a file that has not arrived within
    /// `timeout_ms` fails the load. Answered with [`Reply::Loaded`].
    Load {
        backend: Backend,
        weights_url: String,
        timeout_ms: u32,
    },
    /// The posterior of each image (`n × 784` values) under a VAE: [`Reply::Posteriors`].
    Encode {
        backend: Backend,
        model: VaeChoice,
        #[serde(with = "floats")]
        images: Vec<f32>,
    },
    /// Each latent code (`n × dim` values) decoded to an image: [`Reply::Images`].
    Decode {
        backend: Backend,
        model: VaeChoice,
        #[serde(with = "floats")]
        codes: Vec<f32>,
    },
    /// LeNet-5's class probabilities for each image: [`Reply::Probabilities`].
    Classify {
        backend: Backend,
        #[serde(with = "floats")]
        images: Vec<f32>,
    },
    /// The plain autoencoder's code and reconstruction of each image: [`Reply::Autoencoded`].
    Autoencode {
        backend: Backend,
        #[serde(with = "floats")]
        images: Vec<f32>,
    },
    /// The synthetic reference digits ([`REFERENCE_PER_CLASS`] of each class) encoded by a VAE:
    /// [`Reply::References`].
    References { backend: Backend, model: VaeChoice },
    /// What every layer of LeNet-5 makes of one image (784 values): [`Reply::FeatureMaps`].
    FeatureMaps {
        backend: Backend,
        #[serde(with = "floats")]
        image: Vec<f32>,
    },
    /// LeNet-5's and AlexNet's layers and LeNet-5's convolution kernels: [`Reply::Networks`].
    Networks { backend: Backend },
    /// Start a training run of a fresh network on `backend` (replacing the run there was):
    /// [`Reply::TrainStarted`].
    TrainStart { backend: Backend, setup: TrainSetup },
    /// Up to `max_steps` optimizer steps of the run, stopping early once `budget_ms` have
    /// passed, epoch `epochs` has ended (0: no such limit) or the run diverges:
    /// [`Reply::TrainProgress`]. The run's epochs end with a validation pass.
    TrainSteps {
        max_steps: u32,
        budget_ms: u32,
        epochs: u32,
        settings: StepSettings,
    },
    /// The run's current weights scored on a split: [`Reply::Evaluation`].
    TrainEvaluate { split: Split },
    /// Go back to the weights of the epoch with the lowest validation loss (early stopping):
    /// [`Reply::Done`], or an error before any epoch has ended.
    TrainRestoreBest,
    /// End the run (a classifier's or a VAE's) and free its memory: [`Reply::Done`]. A
    /// classifier put in use stays.
    TrainReset,
    /// Start a VAE training run on `backend`, replacing the run there was (of either kind):
    /// [`Reply::TrainStarted`] (its `test` is 0).
    VaeTrainStart { backend: Backend, setup: VaeSetup },
    /// Steps of the VAE run, limited as [`Request::TrainSteps`]' are: [`Reply::VaeProgress`].
    /// The run's epochs end with a validation pass.
    VaeTrainSteps {
        max_steps: u32,
        budget_ms: u32,
        epochs: u32,
        settings: VaeStepSettings,
    },
    /// The VAE run's latent space now: [`Reply::LatentSnapshot`], with `samples` codes from
    /// the prior decoded (at most 64).
    VaeTrainSnapshot { samples: u32 },
    /// With `on`, LeNet-5's answers on `backend` ([`Request::Classify`]) come from the run's
    /// current weights (a copy, kept after the run ends) instead of the shipped ones; without,
    /// from the shipped ones again: [`Reply::Done`], or an error for a run of another network
    /// or on another backend.
    TrainUse { on: bool },
    /// The run's LeNet-5 as a weights pair named `name` ([`Reply::Weights`]); `address` is the
    /// page's address with the run's settings, recorded as the way to repeat the run.
    TrainExport { name: String, address: String },
    /// With `on`, the VAE run's current VAE answers every request naming the shipped VAE of its
    /// latent size (VAE-2 or VAE-16) on the run's backend (a copy, kept after the run ends);
    /// without, the shipped VAEs answer again: [`Reply::Done`], or an error for an autoencoder
    /// run or another latent size.
    VaeTrainUse { on: bool },
    /// The VAE run's network as a weights pair named `name` ([`Reply::Weights`]), as
    /// [`Request::TrainExport`] for the classifier run.
    VaeTrainExport { name: String, address: String },
    /// Stop the request with this number, if it is still running; it is answered with
    /// [`Reply::Cancelled`]. Not answered itself.
    Cancel { id: u32 },
    /// Destroy the WebGPU device, as a driver reset would (for tests). Answered with
    /// [`Reply::Done`]; the loss itself arrives as [`FromWorker::GpuLost`].
    LoseGpu,
    /// Panic inside the worker (for tests), as a bug would: the page must see the crash, and
    /// its next request must start a new worker.
    Crash,
}

/// What the worker sends the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker has started and takes requests.
    Ready,
    /// The answer to request `id`: a reply, or why there is none.
    Answer {
        id: u32,
        result: Result<Reply, String>,
    },
    /// The GPU device was lost (driver reset, GPU taken away): WebGPU requests now fail.
    GpuLost(String),
    /// The worker panicked and is gone; requests in flight will not be answered.
    Panicked(String),
}

/// An answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// The models are loaded.
    Loaded(Loaded),
    /// `n × dim` means and log-variances.
    Posteriors {
        dim: u32,
        #[serde(with = "floats")]
        mu: Vec<f32>,
        #[serde(with = "floats")]
        log_var: Vec<f32>,
    },
    /// `n × 784` values in `[0, 1]`.
    Images(#[serde(with = "floats")] Vec<f32>),
    /// `n × 10` class probabilities.
    Probabilities(#[serde(with = "floats")] Vec<f32>),
    /// The autoencoder's `n × dim` codes and `n × 784` reconstructions, or `None` when this
    /// build ships no autoencoder (see [`Loaded::autoencoder_missing`]).
    Autoencoded(Option<Autoencoded>),
    /// Reference digits: `n × 784` images, their labels and their posteriors.
    References {
        #[serde(with = "floats")]
        images: Vec<f32>,
        labels: Vec<u8>,
        dim: u32,
        #[serde(with = "floats")]
        mu: Vec<f32>,
        #[serde(with = "floats")]
        log_var: Vec<f32>,
    },
    /// LeNet-5's layers' outputs, in the network's order.
    FeatureMaps(Vec<FeatureMap>),
    /// The networks' layers and kernels.
    Networks(Box<Networks>),
    /// A training run has started.
    TrainStarted(TrainStarted),
    /// What a burst of training steps did.
    TrainProgress(TrainProgress),
    /// What a burst of VAE training steps did.
    VaeProgress(VaeProgress),
    /// A VAE run's latent space.
    LatentSnapshot(Box<LatentSnapshot>),
    /// A training run's score on a split.
    Evaluation(Evaluation),
    /// A run's weights as files.
    Weights(ExportedWeights),
    /// The request was cancelled before it finished.
    Cancelled,
    /// Done; nothing to return.
    Done,
}

/// What a page needs to know about the loaded models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Loaded {
    pub backend: Backend,
    /// The latent size of each VAE choice.
    pub latent_dims: Vec<(VaeChoice, u32)>,
    /// Why the latent-2 autoencoder is not there, when it is not.
    pub autoencoder_missing: Option<String>,
    /// Whether the CPU decoder runs with fused multiply-adds (relaxed SIMD: the worker build
    /// `convlab-worker-fma`, which the page starts where the browser has relaxed SIMD).
    pub fused_multiply_add: bool,
}

impl Loaded {
    /// The latent size of `model` (2 when it is not listed, as every model but VAE-16 has).
    pub fn latent_dim(&self, model: VaeChoice) -> usize {
        self.latent_dims
            .iter()
            .find(|(m, _)| *m == model)
            .map_or(2, |(_, d)| *d as usize)
    }
}

/// The autoencoder's answer for a batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Autoencoded {
    pub dim: u32,
    #[serde(with = "floats")]
    pub codes: Vec<f32>,
    #[serde(with = "floats")]
    pub images: Vec<f32>,
}

/// A list of floats as one block of bytes: postcard writes its length and copies the block,
/// where a plain `Vec<f32>` is written and read value by value through serde (the manifold's
/// 313,600 floats: ≈ 2 ms each way natively). The bytes are the floats' own, in the machine's
/// order: both ends of a message run in the same browser.
pub(crate) mod floats {
    use serde::de::{Error, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(values: &[f32], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytemuck::cast_slice(values))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f32>, D::Error> {
        deserializer.deserialize_bytes(Bytes)
    }

    struct Bytes;

    impl Visitor<'_> for Bytes {
        type Value = Vec<f32>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of f32 as bytes (a multiple of 4)")
        }

        fn visit_bytes<E: Error>(self, bytes: &[u8]) -> Result<Vec<f32>, E> {
            if !bytes.len().is_multiple_of(4) {
                return Err(E::invalid_length(bytes.len(), &self));
            }
            // A copy into an aligned list: the message's bytes need not be aligned.
            Ok(bytemuck::pod_collect_to_vec(bytes))
        }
    }
}

/// A message as bytes.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(message).map_err(|e| format!("could not encode a message: {e}"))
}

/// A message from bytes; garbage gives an error, never a panic.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    postcard::from_bytes(bytes).map_err(|e| format!("could not decode a message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let request = ToWorker {
            id: 7,
            request: Request::Decode {
                backend: Backend::Cpu,
                model: VaeChoice::Vae16,
                codes: vec![0.5; 32],
            },
        };
        let bytes = encode(&request).unwrap();
        // 32 floats of 4 bytes, and a few bytes of framing.
        assert!(bytes.len() < 32 * 4 + 16, "{}", bytes.len());
        assert_eq!(decode::<ToWorker>(&bytes).unwrap(), request);

        let answer = FromWorker::Answer {
            id: 7,
            result: Err("no such model".into()),
        };
        assert_eq!(
            decode::<FromWorker>(&encode(&answer).unwrap()).unwrap(),
            answer
        );
    }

    #[test]
    fn float_lists_travel_as_their_bytes_unchanged() {
        let odd = [
            0.0,
            -0.0,
            1.5e-42, // subnormal
            f32::MAX,
            f32::INFINITY,
            f32::from_bits(0x7fc0_1234), // a NaN with a payload
        ];
        let images: Vec<f32> = (0..784 * 3)
            .map(|i| (i as f32 * 0.37).sin())
            .chain(odd)
            .collect();
        let answer = FromWorker::Answer {
            id: 3,
            result: Ok(Reply::Images(images.clone())),
        };
        let bytes = encode(&answer).unwrap();
        // The floats' bytes and a few bytes of framing.
        assert!(bytes.len() <= images.len() * 4 + 16, "{}", bytes.len());
        let bits_of = |bytes: &[u8]| match decode::<FromWorker>(bytes) {
            Ok(FromWorker::Answer {
                result: Ok(Reply::Images(back)),
                ..
            }) => back.iter().map(|f| f.to_bits()).collect::<Vec<_>>(),
            other => panic!("not an answer with images: {other:?}"),
        };
        let sent: Vec<u32> = images.iter().map(|f| f.to_bits()).collect();
        assert_eq!(bits_of(&bytes), sent);
        // From bytes at an odd address (a message's bytes need not be aligned).
        let mut shifted = vec![0u8];
        shifted.extend(&bytes);
        assert_eq!(bits_of(&shifted[1..]), sent);
    }

    #[test]
    fn a_float_list_that_is_not_whole_floats_is_an_error() {
        let request = ToWorker {
            id: 1,
            request: Request::Classify {
                backend: Backend::Cpu,
                images: vec![0.25; 4],
            },
        };
        let mut bytes = encode(&request).unwrap();
        // The list's length is the byte before its 16 bytes: say 15 instead, and drop one.
        let at = bytes.len() - 17;
        assert_eq!(bytes[at], 16);
        bytes[at] = 15;
        bytes.pop();
        let err = decode::<ToWorker>(&bytes).unwrap_err();
        assert!(err.contains("could not decode"), "{err}");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode::<ToWorker>(&[0xff; 3]).is_err());
        assert!(decode::<FromWorker>(&[]).is_err());
        let bytes = encode(&FromWorker::Ready).unwrap();
        assert!(decode::<ToWorker>(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn slugs_round_trip_and_latent_sizes_default_to_two() {
        for m in VaeChoice::ALL {
            assert_eq!(VaeChoice::from_slug(m.slug()), m);
        }
        assert_eq!(VaeChoice::from_slug("nonsense"), VaeChoice::Vae2);
        let loaded = Loaded {
            backend: Backend::Cpu,
            latent_dims: vec![(VaeChoice::Vae16, 16)],
            autoencoder_missing: None,
            fused_multiply_add: false,
        };
        assert_eq!(loaded.latent_dim(VaeChoice::Vae16), 16);
        assert_eq!(loaded.latent_dim(VaeChoice::Vae2), 2);
    }
}
