//! The VAE lab's calls: one VAE (or autoencoder) run in the model worker, driven in short
//! bursts of steps, and snapshots of its latent space. A reset is the classifier lab's
//! ([`super::training::reset`]): the worker holds one run of either kind.
//!
//! A run's VAE can take the place of the shipped VAE of its latent size on every model page
//! ([`use_vae`]); the page-side client then sends that model's requests to the main worker
//! only (the helper workers have the shipped weights) and encodes its reference digits anew.

use std::cell::Cell;

use convlab_protocol::{Backend, Reply, Request, VaeChoice};
pub use convlab_protocol::{
    ExportedWeights, LatentSnapshot, MAX_BETA, Reparameterised, TrainStarted, VaeEpochPoint,
    VaeKind, VaeProgress, VaeSetup, VaeStepPoint, VaeStepSettings, VaeTerms,
};
use leptos::prelude::Set;

use super::client;
use super::{MlContext, unexpected};

/// The VAE lab's VAE answering in place of a shipped one, as the pages name it.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainedVae {
    /// The shipped VAE it stands in for.
    pub choice: VaeChoice,
    /// Its run and step, in words.
    pub label: String,
}

thread_local! {
    /// The shipped VAE a lab VAE stands in for, and that lab VAE's number.
    static IN_USE: Cell<Option<(VaeChoice, u32)>> = const { Cell::new(None) };
    static PUT_IN_USE: Cell<u32> = const { Cell::new(0) };
}

/// Which weights answer for `which`: 0 the shipped ones, `n` the `n`-th lab VAE put in use.
pub fn in_use(which: VaeChoice) -> u32 {
    match IN_USE.get() {
        Some((choice, n)) if choice == which => n,
        _ => 0,
    }
}

/// Puts the VAE run's current VAE in `trained.choice`'s place on every model page, or (with
/// `None`) the shipped VAEs back.
pub async fn use_vae(ctx: MlContext, trained: Option<TrainedVae>) -> Result<(), String> {
    let on = trained.is_some();
    match client::call(Request::VaeTrainUse { on }).await? {
        Reply::Done => {}
        other => return Err(unexpected(&other)),
    }
    IN_USE.set(trained.as_ref().map(|t| {
        let n = PUT_IN_USE.get() + 1;
        PUT_IN_USE.set(n);
        (t.choice, n)
    }));
    let _ = ctx.trained_vae.try_set(trained);
    Ok(())
}

/// The run's VAE (or autoencoder) as a weights pair named `name` in the shipped format;
/// `address` (the page's, with the run's settings) is recorded in it.
pub async fn export(name: &str, address: &str) -> Result<ExportedWeights, String> {
    let request = Request::VaeTrainExport {
        name: name.to_string(),
        address: address.to_string(),
    };
    match client::call(request).await? {
        Reply::Weights(weights) => Ok(weights),
        other => Err(unexpected(&other)),
    }
}

/// Starts a run of a fresh VAE on `backend`, replacing the worker's previous run.
pub async fn start(backend: Backend, setup: VaeSetup) -> Result<TrainStarted, String> {
    match client::call(Request::VaeTrainStart { backend, setup }).await? {
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
    match client::call(request).await? {
        Reply::VaeProgress(progress) => Ok(progress),
        other => Err(unexpected(&other)),
    }
}

/// The run's latent space now, with `samples` codes from the prior decoded.
pub async fn snapshot(samples: u32) -> Result<LatentSnapshot, String> {
    match client::call(Request::VaeTrainSnapshot { samples }).await? {
        Reply::LatentSnapshot(snapshot) => Ok(*snapshot),
        other => Err(unexpected(&other)),
    }
}
