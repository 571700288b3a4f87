//! The training lab's calls: one run in the model worker, driven in short bursts of steps.
//! Unlike the other model calls these need no shipped weights: a run starts from fresh ones.

use convlab_protocol::{Backend, Reply, Request};
pub use convlab_protocol::{
    EpochPoint, Evaluation, ExportedWeights, LayerGradient, MlpActivation, Split, StepPoint,
    StepSettings, TrainData, TrainModel, TrainOptimizer, TrainProgress, TrainSetup, TrainStarted,
    WeightStats,
};

use super::client;
use super::unexpected;

/// Starts a run of a fresh LeNet-5 on `backend`, replacing the worker's previous run.
pub async fn start(backend: Backend, setup: TrainSetup) -> Result<TrainStarted, String> {
    match client::call(Request::TrainStart { backend, setup }).await? {
        Reply::TrainStarted(started) => Ok(started),
        other => Err(unexpected(&other)),
    }
}

/// Up to `max_steps` steps, for at most about `budget_ms` (a step is never cut short), and
/// none after epoch `epochs` has ended.
pub async fn steps(
    max_steps: u32,
    budget_ms: u32,
    epochs: u32,
    settings: StepSettings,
) -> Result<TrainProgress, String> {
    let request = Request::TrainSteps {
        max_steps,
        budget_ms,
        epochs,
        settings,
    };
    match client::call(request).await? {
        Reply::TrainProgress(progress) => Ok(progress),
        other => Err(unexpected(&other)),
    }
}

/// The run's current weights scored on `split`, with the confusion matrix.
pub async fn evaluate(split: Split) -> Result<Evaluation, String> {
    match client::call(Request::TrainEvaluate { split }).await? {
        Reply::Evaluation(evaluation) => Ok(evaluation),
        other => Err(unexpected(&other)),
    }
}

/// Back to the weights of the epoch with the lowest validation loss.
pub async fn restore_best() -> Result<(), String> {
    match client::call(Request::TrainRestoreBest).await? {
        Reply::Done => Ok(()),
        other => Err(unexpected(&other)),
    }
}

/// Makes the run's LeNet-5 answer the pages' classify requests (`on`), or the shipped one.
pub async fn use_classifier(on: bool) -> Result<(), String> {
    match client::call(Request::TrainUse { on }).await? {
        Reply::Done => Ok(()),
        other => Err(unexpected(&other)),
    }
}

/// Ends the run, freeing its memory in the worker.
pub async fn reset() -> Result<(), String> {
    match client::call(Request::TrainReset).await? {
        Reply::Done => Ok(()),
        other => Err(unexpected(&other)),
    }
}

/// The run's LeNet-5 as a weights pair named `name` in the shipped format; `address` (the
/// page's, with the run's settings) is recorded in it as the way to train it again.
pub async fn export(name: &str, address: &str) -> Result<ExportedWeights, String> {
    let request = Request::TrainExport {
        name: name.to_string(),
        address: address.to_string(),
    };
    match client::call(request).await? {
        Reply::Weights(weights) => Ok(weights),
        other => Err(unexpected(&other)),
    }
}
