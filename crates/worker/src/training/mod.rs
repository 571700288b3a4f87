//! The worker's training run: one classifier (LeNet-5 or an MLP) trained by `convlab-learn`'s [`Session`] on the
//! backend the page chose, in bursts of steps that each last at most the page's time budget,
//! so the page can pause, step once, change a setting or stop between any two.
//!
//! At most one run lives here; starting another or resetting drops the old one, and with it
//! every tensor it held. After each step only its few numbers are read back, asynchronously.

use std::cell::RefCell;
use std::thread::LocalKey;

use burn::module::Module;
use burn::tensor::Device;
use convlab_digits::{MnistDataset, synthetic_dataset};
use convlab_learn::{
    Hyper, OptimizerChoice, Regularization, Session, Totals, WeightSummary, confusion, read_values,
    score,
};
use convlab_model::{Activation, Classifier, LeNet5Config, MlpConfig};
use convlab_protocol::{
    Backend, EpochPoint, Evaluation, IMAGE_PIXELS, LayerGradient, MlpActivation, Split, StepPoint,
    StepSettings, TrainData, TrainModel, TrainOptimizer, TrainProgress, TrainSetup, TrainStarted,
    WeightStats,
};

use crate::models::{Failure, Stop};

mod export;
pub mod in_use;
mod stats;
mod step;
pub mod vae;

use export::LabRecord;
pub use export::export;
use stats::weight_stats;
use step::{backend_device, check_device, checked_step};

/// Most images a run may hold, all splits together (MNIST's training and test sets).
pub const MAX_IMAGES: u32 = 70_000;
/// Most synthetic digits a run may ask the worker to draw.
pub const MAX_SYNTHETIC: u32 = 20_000;
/// Largest batch a step may take.
pub const MAX_BATCH: u32 = 1_024;
/// Images scored at a time in a validation or test pass.
const SCORE_BATCH: usize = 250;

struct Run {
    session: Session<Classifier>,
    /// The weight layers' names, input side first.
    layers: Vec<String>,
    backend: Backend,
    /// The device without autodiff, for scoring.
    plain: Device,
    optimizer: OptimizerChoice,
    validation: MnistDataset,
    test: MnistDataset,
    /// The lowest validation loss so far and the weights that had it.
    best: Option<(f32, Classifier)>,
    /// The current epoch's training sums.
    epoch_totals: Totals,
    /// How the run was set up, for an exported manifest.
    record: LabRecord,
}

/// Where a run lives between requests.
enum Slot<R> {
    Empty,
    Idle(Box<R>),
    Busy,
}

type RunSlot<R> = LocalKey<RefCell<Slot<R>>>;

thread_local! {
    static RUN: RefCell<Slot<Run>> = const { RefCell::new(Slot::Empty) };
}

/// Puts the run's current LeNet-5 in use (`on`), or the shipped one back.
pub fn use_classifier(on: bool) -> Result<(), String> {
    if !on {
        in_use::set_classifier(None);
        return Ok(());
    }
    let run = take()?;
    let result = match run.session.model().valid() {
        Classifier::LeNet5(net) => {
            in_use::set_classifier(Some((run.backend, net)));
            Ok(())
        }
        Classifier::Mlp(_) => {
            Err("only a LeNet-5 run can take the place of the shipped LeNet-5".to_string())
        }
    };
    put(run);
    result
}

/// The run in `key`, taken out of its slot while a request works on it.
fn take_from<R: 'static>(key: &'static RunSlot<R>) -> Result<Box<R>, String> {
    let slot = key.with(|slot| std::mem::replace(&mut *slot.borrow_mut(), Slot::Busy));
    match slot {
        Slot::Idle(run) => Ok(run),
        Slot::Busy => Err("the training run is busy with another request".to_string()),
        Slot::Empty => {
            key.with(|slot| *slot.borrow_mut() = Slot::Empty);
            Err("no training run: start one first".to_string())
        }
    }
}

fn put_into<R: 'static>(key: &'static RunSlot<R>, run: Box<R>) {
    key.with(|slot| *slot.borrow_mut() = Slot::Idle(run));
}

fn empty<R: 'static>(key: &'static RunSlot<R>) {
    key.with(|slot| *slot.borrow_mut() = Slot::Empty);
}

fn take() -> Result<Box<Run>, String> {
    take_from(&RUN)
}

fn put(run: Box<Run>) {
    put_into(&RUN, run);
}

/// Ends the run (a classifier's or a VAE's), freeing its tensors.
pub fn reset() {
    empty(&RUN);
    vae::reset();
}

fn optimizer(choice: TrainOptimizer) -> Result<OptimizerChoice, String> {
    match choice {
        TrainOptimizer::Adam => Ok(OptimizerChoice::Adam),
        TrainOptimizer::Sgd { momentum } if (0.0..1.0).contains(&momentum) => {
            Ok(OptimizerChoice::Sgd {
                momentum: f64::from(momentum),
            })
        }
        TrainOptimizer::Sgd { momentum } => Err(format!(
            "momentum must be at least 0 and below 1, not {momentum}"
        )),
    }
}

/// A fresh network as `model` describes it, on `device`.
fn network(model: TrainModel, device: &Device) -> Result<Classifier, String> {
    Ok(match model {
        TrainModel::LeNet5 => Classifier::LeNet5(LeNet5Config::new().init(device)),
        TrainModel::Mlp {
            depth,
            width,
            activation,
            bias,
            layer_norm,
        } => {
            let config = MlpConfig::new()
                .with_depth(depth as usize)
                .with_width(width as usize)
                .with_activation(match activation {
                    MlpActivation::Sigmoid => Activation::Sigmoid,
                    MlpActivation::Tanh => Activation::Tanh,
                    MlpActivation::Relu => Activation::Relu,
                })
                .with_bias(bias)
                .with_layer_norm(layer_norm);
            config.check()?;
            Classifier::Mlp(config.init(device))
        }
    })
}

/// The three splits of a run's data (`[train, validation, test]` images, in that order),
/// checked.
fn splits(data: &TrainData, seed: u64, sizes: [u32; 3]) -> Result<[MnistDataset; 3], String> {
    let [train, validation, test] = sizes;
    let total = u64::from(train) + u64::from(validation) + u64::from(test);
    if train == 0 {
        return Err("a run needs at least one training image".to_string());
    }
    if total > u64::from(MAX_IMAGES) {
        return Err(format!(
            "{total} images asked for; a run holds at most {MAX_IMAGES}"
        ));
    }
    let total = total as usize;
    let all = match data {
        TrainData::Synthetic => {
            if total > MAX_SYNTHETIC as usize {
                return Err(format!(
                    "{total} synthetic digits asked for; at most {MAX_SYNTHETIC} are drawn"
                ));
            }
            synthetic_dataset(total, seed).map_err(|e| e.to_string())?
        }
        TrainData::Images { images, labels } => {
            if labels.len() < total || images.len() != labels.len() * IMAGE_PIXELS {
                return Err(format!(
                    "{} images with {} labels sent, {total} needed",
                    images.len() / IMAGE_PIXELS,
                    labels.len()
                ));
            }
            if let Some(bad) = labels.iter().find(|&&l| l > 9) {
                return Err(format!("a label is {bad}, not a digit 0–9"));
            }
            MnistDataset::from_parts(images.clone(), labels.clone()).map_err(|e| e.to_string())?
        }
    };
    let range = |from: usize, len: u32| -> Vec<usize> { (from..from + len as usize).collect() };
    let (t, v) = (train as usize, validation as usize);
    Ok([
        all.select(&range(0, train)),
        all.select(&range(t, validation)),
        all.select(&range(t + v, test)),
    ])
}

/// Starts a run (dropping the one there was).
pub async fn start(backend: Backend, setup: TrainSetup) -> Result<TrainStarted, String> {
    reset();
    setup
        .augment
        .check()
        .map_err(|e| format!("augmentation: {e}"))?;
    let optimizer = optimizer(setup.optimizer)?;
    let sizes = [setup.train, setup.validation, setup.test];
    let [train, validation, test] = splits(&setup.data, setup.seed, sizes)?;
    let plain = backend_device(backend).await?;
    let device = plain.clone().autodiff();
    // The initial weights are drawn on the CPU, so a seed gives the same network on every
    // backend, then forked onto the run's device.
    let cpu = Device::flex().autodiff();
    cpu.seed(setup.seed);
    let model = network(setup.model, &cpu)?.fork(&device);
    device.seed(setup.seed);
    let layers = model.weight_layers().into_iter().map(|(n, ..)| n).collect();
    let started = TrainStarted {
        parameters: model.num_params() as u64,
        train: setup.train,
        validation: setup.validation,
        test: setup.test,
    };
    let record = LabRecord::new(backend, &setup);
    let session = Session::new(
        model,
        optimizer.init(),
        train,
        setup.augment,
        setup.seed,
        device,
        1,
    );
    put(Box::new(Run {
        session,
        layers,
        backend,
        plain,
        optimizer,
        validation,
        test,
        best: None,
        epoch_totals: Totals::default(),
        record,
    }));
    Ok(started)
}

fn hyper(settings: &StepSettings) -> Result<Hyper, String> {
    let StepSettings {
        learning_rate,
        batch_size,
        l1,
        l2,
    } = *settings;
    if !(learning_rate.is_finite() && learning_rate > 0.0) {
        return Err(format!(
            "the learning rate must be a number above 0, not {learning_rate}"
        ));
    }
    if batch_size == 0 || batch_size > MAX_BATCH {
        return Err(format!(
            "the batch size must be 1–{MAX_BATCH}, not {batch_size}"
        ));
    }
    for (name, value) in [("L1", l1), ("L2", l2)] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(format!(
                "the {name} strength must be 0 or more, not {value}"
            ));
        }
    }
    Ok(Hyper {
        learning_rate: f64::from(learning_rate),
        batch_size: batch_size as usize,
        beta: 1.0,
        regularization: Regularization {
            l1: f64::from(l1),
            l2: f64::from(l2),
        },
    })
}

/// Where a burst of steps ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Steps at most.
    pub max_steps: u32,
    /// No step starts after this many milliseconds.
    pub budget_ms: u32,
    /// No step starts once this epoch has ended (0: no limit).
    pub epochs: u32,
}

/// A burst of steps.
pub async fn steps(
    limits: Limits,
    settings: StepSettings,
    stop: &Stop,
) -> Result<TrainProgress, Failure> {
    let hyper = hyper(&settings)?;
    let mut run = take()?;
    run.record.settings = Some(settings);
    let result = burst(&mut run, limits, &hyper, stop).await;
    put(run);
    result
}

async fn burst(
    run: &mut Run,
    limits: Limits,
    hyper: &Hyper,
    stop: &Stop,
) -> Result<TrainProgress, Failure> {
    let started = js_sys::Date::now();
    let mut progress = TrainProgress {
        steps: Vec::new(),
        epochs: Vec::new(),
        diverged: None,
        images_per_second: 0.0,
        weights: WeightStats::default(),
        gradients: Vec::new(),
    };
    let mut images = 0usize;
    let mut last_norms = None;
    for _ in 0..limits.max_steps {
        if limits.epochs > 0 && run.session.epoch() > limits.epochs as usize {
            break;
        }
        let stepped = checked_step(
            &mut run.session,
            run.optimizer,
            &mut run.epoch_totals,
            run.backend,
            hyper,
            stop,
            &mut progress.diverged,
        )
        .await?;
        let Some((step, values, number)) = stepped else {
            break;
        };
        images += step.images;
        last_norms = step.gradient_norms.clone();
        run.epoch_totals.add(step.images, values);
        progress.steps.push(StepPoint {
            step: number,
            epoch: step.epoch as u32,
            loss: values.loss as f32,
            penalty: values.penalty.unwrap_or(0.0) as f32,
            accuracy: (values.correct.unwrap_or(0.0) / step.images.max(1) as f64) as f32,
        });
        if step.ends_epoch {
            progress
                .epochs
                .push(end_epoch(run, step.epoch as u32, number).await?);
        }
        if js_sys::Date::now() - started >= f64::from(limits.budget_ms) {
            break;
        }
    }
    let seconds = (js_sys::Date::now() - started) / 1000.0;
    progress.images_per_second = (images as f64 / seconds.max(1e-3)) as f32;
    progress.weights = weight_stats(&WeightSummary::read(run.session.model()).await?);
    if let Some(norms) = last_norms {
        let norms: Vec<f32> = read_values(norms, "the gradients").await?;
        progress.gradients = run
            .layers
            .iter()
            .zip(norms)
            .map(|(layer, norm)| LayerGradient {
                layer: layer.clone(),
                norm,
            })
            .collect();
    }
    Ok(progress)
}

/// The epoch's numbers, with a validation pass; the best weights are kept.
async fn end_epoch(run: &mut Run, epoch: u32, step: u32) -> Result<EpochPoint, String> {
    let totals = std::mem::take(&mut run.epoch_totals);
    let mut point = EpochPoint {
        epoch,
        step,
        train_loss: totals.mean_loss() as f32,
        train_accuracy: totals.accuracy().unwrap_or(0.0) as f32,
        validation_loss: None,
        validation_accuracy: None,
    };
    if run.validation.is_empty() {
        return Ok(point);
    }
    let model = run.session.model().valid();
    let scored = score(&model, &run.validation, 1.0, SCORE_BATCH, &run.plain, false).await?;
    let loss = scored.totals.mean_loss() as f32;
    point.validation_loss = Some(loss);
    point.validation_accuracy = scored.totals.accuracy().map(|a| a as f32);
    if loss.is_finite() && run.best.as_ref().is_none_or(|(best, _)| loss < *best) {
        run.best = Some((loss, run.session.model().clone()));
    }
    Ok(point)
}

/// The run's current weights scored on a split.
pub async fn evaluate(split: Split) -> Result<Evaluation, String> {
    let run = take()?;
    let result = evaluate_run(&run, split).await;
    put(run);
    result
}

async fn evaluate_run(run: &Run, split: Split) -> Result<Evaluation, String> {
    check_device(run.backend)?;
    let data = match split {
        Split::Validation => &run.validation,
        Split::Test => &run.test,
    };
    if data.is_empty() {
        return Err("this run has no images in that split".to_string());
    }
    let model = run.session.model().valid();
    let scored = score(&model, data, 1.0, SCORE_BATCH, &run.plain, true).await?;
    Ok(Evaluation {
        split,
        loss: scored.totals.mean_loss() as f32,
        accuracy: scored.totals.accuracy().unwrap_or(0.0) as f32,
        confusion: confusion(data.labels(), &scored.predicted, 10),
        predicted: scored.predicted,
        labels: data.labels().to_vec(),
    })
}

/// Back to the weights of the epoch with the lowest validation loss.
pub fn restore_best() -> Result<(), String> {
    let mut run = take()?;
    let result = match run.best.clone() {
        Some((_, model)) => {
            run.session.set_model(model);
            Ok(())
        }
        None => Err("no epoch with a validation score has ended yet".to_string()),
    };
    put(run);
    result
}
