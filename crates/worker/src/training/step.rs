//! What the classifier run and the VAE run share step by step: the backend's device, and one
//! optimizer step checked for a loss that stopped being a number.

use burn::tensor::Device;
use convlab_learn::{BatchValues, Hyper, Objective, OptimizerChoice, Session, Step, Totals};
use convlab_protocol::Backend;

use crate::gpu;
use crate::models::{Failure, Stop};

/// An error once the WebGPU device of a WebGPU run is lost.
pub(super) fn check_device(backend: Backend) -> Result<(), String> {
    match (backend, gpu::lost()) {
        (Backend::WebGpu, Some(why)) => Err(why),
        _ => Ok(()),
    }
}

/// The device of `backend`, without autodiff (a run trains on its `autodiff()`).
pub(super) async fn backend_device(backend: Backend) -> Result<Device, String> {
    match backend {
        Backend::Cpu => Ok(Device::flex()),
        Backend::WebGpu => gpu::device().await,
    }
}

/// One step of a burst, with its numbers read back and its number in the run; `None` when the
/// loss was not finite, with `diverged` saying so. The session then keeps the last weights
/// that scored a finite loss and goes on with a fresh optimizer (Adam's moments may hold the
/// overflow too), and the epoch's sums start again.
pub(super) async fn checked_step<M: Objective + Clone>(
    session: &mut Session<M>,
    fresh: OptimizerChoice,
    epoch_totals: &mut Totals,
    backend: Backend,
    hyper: &Hyper,
    stop: &Stop,
    diverged: &mut Option<String>,
) -> Result<Option<(Step, BatchValues, u32)>, Failure> {
    stop.check()?;
    check_device(backend)?;
    let step = session.step(hyper);
    let values = step.losses.read(step.penalty.as_ref()).await?;
    let finite = values.is_finite();
    session.accept(finite);
    let number = session.steps() as u32;
    if finite {
        return Ok(Some((step, values, number)));
    }
    session.set_optimizer(fresh.init());
    *epoch_totals = Totals::default();
    *diverged = Some(format!(
        "the loss became {} at step {number} (learning rate {}): the run is paused with the \
         last weights that scored a finite loss; lower the learning rate and go on",
        values.loss, hyper.learning_rate
    ));
    Ok(None)
}
