//! convlab's one training loop, shared by the native trainer (`convlab-train`) and the
//! browser's model worker (`convlab-worker`), so both run the same maths and the native tests
//! cover the browser's.
//!
//! - [`objective`]: what each model minimises ([`Objective`]), its [`Losses`] on a batch and
//!   the per-image [`Totals`] of a run.
//! - [`batches`]: the seeded order of an epoch's images and its augmented mini-batches.
//! - [`latent_space`]: a VAE's codes, each latent unit's KL, prior draws and grids to decode.
//! - [`penalty`]: the L1/L2 [`Regularization`] of the weights and a [`WeightSummary`].
//! - [`session`]: a run in progress ([`Session`]); [`Session::step`] is one optimizer step.
//! - [`score`]: a model's score on a dataset and a classifier's [`confusion`] matrix.
//! - [`optimizer`]: Adam or SGD with momentum, as one [`OptimizerChoice`].
//! - [`readback`]: numbers read back asynchronously, and a model copied to the CPU to be saved.
//!
//! Reading numbers back is asynchronous (`into_data_async`), the only way that works on
//! WebGPU in a browser; native callers `block_on` it. Nothing here touches files, clocks or
//! the DOM: the callers report progress, save checkpoints and time steps.

pub mod batches;
pub mod latent_space;
pub mod objective;
pub mod optimizer;
pub mod penalty;
pub mod readback;
pub mod score;
pub mod session;

#[cfg(test)]
mod test_support;

pub use batches::{TrainingBatch, augment_seed, epoch_order, training_batch};
pub use latent_space::{LatentCodes, decode_all, encode_all, grid_codes, prior_codes};
pub use objective::{BatchValues, Losses, Objective, Totals, classification_losses};
pub use optimizer::OptimizerChoice;
pub use penalty::{Regularization, WeightSummary};
pub use readback::{copy_to_cpu, read_values};
pub use score::{Score, confusion, score};
pub use session::{Hyper, Session, Step};
