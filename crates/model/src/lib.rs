//! The models of convlab's autoencoder lecture, in Burn 0.22, shared by the web app and the
//! native trainer.
//!
//! - [`Vae`]: the reference convolutional variational autoencoder for 28×28 MNIST digits
//!   (134,197 parameters at latent size 2), the same network as `bench/torch_vae.py`.
//! - [`Autoencoder`]: the same encoder and decoder without sampling and KL, for the
//!   AE-versus-VAE comparison; [`Reconstructor`] is either, for a training run.
//! - [`LeNet5`]: LeCun's digit classifier (61,706 parameters), and every layer's feature maps.
//! - [`Mlp`]: a perceptron of configurable depth, activation, biases and LayerNorm (the
//!   vanishing-gradient slides); [`Classifier`] is either, for a training run.
//! - [`AlexNet`]: the 2012 ImageNet classifier (62,378,344 parameters), for its architecture
//!   card only; [`architecture`] reads any of the models' layers from the modules.
//! - [`loss`]: BCE-with-logits summed over pixels and the KL term, both reported.
//! - [`batch`]: MNIST images and labels as tensor batches.
//! - [`weights`]: shipped weights (`NAME.bpk` + `NAME.json`) loaded from bytes, as the web app
//!   fetches them.
//!
//! The digits themselves (the MNIST files, synthetic digits, preprocessing, augmentation,
//! latent-space and anomaly maths) are plain Rust in `convlab-digits`, which the crates that
//! need them import themselves.
//!
//! It is *not* a trainer: no optimizer, no training loop and no GPU backend live here, so the
//! crate builds for wasm32 with Burn's `flex` CPU backend alone. Library code takes a
//! [`Device`](burn::tensor::Device); only binaries choose one. It knows nothing of the DOM.
//!
//! # Conventions
//! - Images are NCHW `[batch, 1, 28, 28]`, `f32` in `[0, 1]`, ink high (MNIST's convention).
//! - Models return logits; `decode` / `predict` apply the sigmoid or softmax for inference.
//! - Errors are values that name the file and the problem; user data never panics.

pub mod activation;
pub mod alexnet;
pub mod architecture;
pub mod autoencoder;
pub mod batch;
pub mod classifier;
pub mod conv;
pub mod cpu;
pub mod decoder;
pub mod encoder;
pub mod lenet;
pub mod loss;
pub mod mlp;
pub mod reconstructor;
pub mod vae;
pub mod weights;

pub use activation::Activation;
pub use alexnet::{AlexNet, AlexNetConfig};
pub use architecture::Architecture;
pub use autoencoder::{Autoencoder, AutoencoderConfig, AutoencoderOutput};
pub use batch::{Batches, MnistBatch};
pub use classifier::Classifier;
pub use cpu::CpuDecoder;
pub use decoder::{ConvDecoder, ConvDecoderConfig};
pub use encoder::{ConvEncoder, ConvEncoderConfig};
pub use lenet::{FEATURE_MAP_LAYERS, LeNet5, LeNet5Config};
pub use loss::{VaeLoss, bce_with_logits, kl_divergence, vae_loss};
pub use mlp::{Mlp, MlpConfig};
pub use reconstructor::Reconstructor;
pub use vae::{LatentGaussian, Noise, Vae, VaeConfig, VaeOutput};
pub use weights::{
    ModelSpec, WeightsError, WeightsManifest, load_autoencoder, load_lenet, load_vae,
};
