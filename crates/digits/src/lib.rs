//! Handwritten digits as plain numbers, for the trainer, the model worker and the pages alike.
//!
//! - [`idx`] and [`mnist`]: the MNIST files (IDX, gzipped or raw), checked against their
//!   length, as `f32` images in `[0, 1]` with their labels.
//! - [`preprocess`]: a drawn image to an MNIST-like 28×28 digit.
//! - [`synthetic`]: handwritten-looking digits generated offline, deterministic per seed.
//! - [`augment`]: random shifts, rotations, zooms, mirror images and input noise for training.
//! - [`latent`]: paths between latent codes (linear, spherical), the prior's quantiles for the
//!   decoded manifold, a 2-D projection of larger latent spaces.
//! - [`anomaly`]: noise to put on a digit, and its anomaly score (BCE + KL) with histograms.
//!
//! It is *not* a model crate: it knows nothing of Burn, tensors, devices or the DOM, so the
//! web app's page code uses it without pulling in a tensor library (the models live in
//! `convlab-model`, which re-exports this crate's modules).
//!
//! # Conventions
//! - Images are row-major 28×28 `f32` in `[0, 1]`, ink high (MNIST's convention).
//! - Errors are values that name the file and the problem; user data never panics.

pub mod anomaly;
pub mod augment;
pub mod idx;
pub mod latent;
pub mod mnist;
pub mod preprocess;
pub mod synthetic;

pub use augment::{AugmentConfig, AugmentError, augment, augment_pair};
pub use idx::{IdxArray, IdxError};
pub use mnist::{IMAGE_PIXELS, IMAGE_SIZE, MnistDataset, MnistDir, MnistError};
pub use preprocess::{PreprocessError, Preprocessed, preprocess_drawing};
pub use synthetic::{
    EXAMPLE_SEED, SyntheticError, SyntheticStrokes, example_digit, synthetic_dataset,
    synthetic_digit, synthetic_strokes,
};
