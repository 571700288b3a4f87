//! The VAE lab's calls: one VAE (or autoencoder) run in the model worker, driven in short
//! bursts of steps, and snapshots of its latent space. A reset is the classifier lab's
//! ([`super::training::reset`]): the worker holds one run of either kind.

use convlab_protocol::{Backend, Reply, Request};
pub use convlab_protocol::{
    LatentSnapshot, MAX_BETA, Reparameterised, TrainStarted, VaeEpochPoint, VaeKind, VaeProgress,
    VaeSetup, VaeStepPoint, VaeStepSettings, VaeTerms,
};

use super::unexpected;
use crate::worker;

/// Starts a run of a fresh VAE on `backend`, replacing the worker's previous run.
pub async fn start(backend: Backend, setup: VaeSetup) -> Result<TrainStarted, String> {
    match worker::call(Request::VaeTrainStart { backend, setup }).await? {
        Reply::TrainStarted(started) => Ok(started),
        other => Err(unexpected(&other)),
    }
}

/// Up to `max_steps` steps, for at most about `budget_ms`, none after epoch `epochs` ended.
pub async fn steps(
    max_steps: u32,
    budget_ms: u32,
    epochs: u32,
    settings: VaeStepSettings,
) -> Result<VaeProgress, String> {
    let request = Request::VaeTrainSteps {
        max_steps,
        budget_ms,
        epochs,
        settings,
    };
    match worker::call(request).await? {
        Reply::VaeProgress(progress) => Ok(progress),
        other => Err(unexpected(&other)),
    }
}

/// The run's latent space now, with `samples` codes from the prior decoded.
pub async fn snapshot(samples: u32) -> Result<LatentSnapshot, String> {
    match worker::call(Request::VaeTrainSnapshot { samples }).await? {
        Reply::LatentSnapshot(snapshot) => Ok(*snapshot),
        other => Err(unexpected(&other)),
    }
}
