//! The models of convlab's autoencoder lecture, in Burn 0.22, shared by the web app and the
//! native trainer.
//!
//! - [`Vae`]: the reference convolutional variational autoencoder for 28×28 MNIST digits
//!   (134,197 parameters at latent size 2), the same network as `bench/torch_vae.py`.
//! - [`Autoencoder`]: the same encoder and decoder without sampling and KL, for the
//!   AE-versus-VAE comparison.
//! - [`LeNet5`]: LeCun's digit classifier (61,706 parameters).
//! - [`loss`]: BCE-with-logits summed over pixels and the KL term, both reported.
//! - [`idx`] and [`mnist`]: the MNIST files (IDX, gzipped or raw), checked against their length.
//! - [`preprocess`]: a drawn image to an MNIST-like 28×28 digit.
//! - [`synthetic`]: handwritten-looking digits generated offline, deterministic per seed.
//! - [`latent`]: paths between latent codes (linear, spherical), the prior's quantiles for the
//!   decoded manifold, a 2-D projection of larger latent spaces.
//! - [`anomaly`]: noise to put on a digit, and its anomaly score (BCE + KL) with histograms.
//! - [`augment`]: random shifts, rotations, zooms, mirror images and input noise for training
//!   (plain Rust on `&[f32]`, deterministic per seed).
//! - [`weights`]: shipped weights (`NAME.bpk` + `NAME.json`) loaded from bytes, as the web app
//!   fetches them.
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
pub mod anomaly;
pub mod augment;
pub mod autoencoder;
pub mod decoder;
pub mod encoder;
pub mod idx;
pub mod latent;
pub mod lenet;
pub mod loss;
pub mod mnist;
pub mod preprocess;
pub mod synthetic;
pub mod vae;
pub mod weights;

pub use activation::Activation;
pub use augment::{AugmentConfig, AugmentError, augment, augment_pair};
pub use autoencoder::{Autoencoder, AutoencoderConfig, AutoencoderOutput};
pub use decoder::{ConvDecoder, ConvDecoderConfig};
pub use encoder::{ConvEncoder, ConvEncoderConfig};
pub use idx::{IdxArray, IdxError};
pub use lenet::{LeNet5, LeNet5Config};
pub use loss::{VaeLoss, bce_with_logits, kl_divergence, vae_loss};
pub use mnist::{IMAGE_PIXELS, IMAGE_SIZE, MnistDataset, MnistDir, MnistError};
pub use preprocess::{PreprocessError, Preprocessed, preprocess_drawing};
pub use synthetic::{
    EXAMPLE_SEED, SyntheticError, SyntheticStrokes, example_digit, synthetic_dataset,
    synthetic_digit, synthetic_strokes,
};
pub use vae::{LatentGaussian, Noise, Vae, VaeConfig, VaeOutput};
pub use weights::{
    ModelSpec, WeightsError, WeightsManifest, load_autoencoder, load_lenet, load_vae,
};
