//! The worker's training run in headless Chromium, on the CPU backend and on WebGPU
//! (SwiftShader): `convlab-learn`'s loop lowers the loss, epochs end with a validation score,
//! the confusion matrix counts every image, a learning rate too high pauses the run with
//! finite weights that go on training, and a reset frees the run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use convlab_digits::AugmentConfig;
use convlab_protocol::{
    Backend, MlpActivation, Split, StepSettings, TrainData, TrainModel, TrainOptimizer, TrainSetup,
};
mod common;

use common::{example_digits, max_diff, shipped_weights};
use convlab_worker::training::{self, Limits};
use convlab_worker::{Models, Stop};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The worker's wasm memory in bytes (64 KiB pages); natively, where these tests do not run, 0.
fn memory_bytes() -> usize {
    #[cfg(target_arch = "wasm32")]
    return core::arch::wasm32::memory_size(0) * 64 * 1024;
    #[cfg(not(target_arch = "wasm32"))]
    0
}

fn setup(train: u32, optimizer: TrainOptimizer) -> TrainSetup {
    TrainSetup {
        seed: 4,
        train,
        validation: 40,
        test: 20,
        data: TrainData::Synthetic,
        model: TrainModel::LeNet5,
        optimizer,
        augment: AugmentConfig::default(),
    }
}

fn settings(learning_rate: f32, batch_size: u32) -> StepSettings {
    StepSettings {
        learning_rate,
        batch_size,
        l1: 0.0,
        l2: 1e-4,
    }
}

/// Up to `max_steps` steps, with no time or epoch limit.
fn steps(max_steps: u32) -> Limits {
    Limits {
        max_steps,
        budget_ms: 600_000,
        epochs: 0,
    }
}

async fn losses(max_steps: u32, settings: StepSettings) -> Vec<f32> {
    let progress = training::steps(steps(max_steps), settings, &Stop::default())
        .await
        .unwrap();
    assert!(progress.diverged.is_none(), "{:?}", progress.diverged);
    progress.steps.iter().map(|s| s.loss).collect()
}

fn mean(values: &[f32]) -> f32 {
    values.iter().sum::<f32>() / values.len() as f32
}

async fn training_lowers_the_loss_on(backend: Backend, steps: u32) {
    let started = training::start(backend, setup(64, TrainOptimizer::Adam))
        .await
        .unwrap();
    assert_eq!(started.parameters, 61_706);
    let curve = losses(steps, settings(0.003, 16)).await;
    assert_eq!(curve.len(), steps as usize);
    let third = curve.len() / 3;
    let (first, last) = (mean(&curve[..third]), mean(&curve[curve.len() - third..]));
    assert!(last < first, "{backend:?}: {curve:?}");
    assert!(curve.iter().all(|l| l.is_finite()));

    let evaluation = training::evaluate(Split::Validation).await.unwrap();
    assert_eq!(evaluation.confusion.iter().sum::<u32>(), 40);
    assert_eq!(evaluation.predicted.len(), 40);
    let right: u32 = (0..10).map(|c| evaluation.confusion[c * 11]).sum();
    assert!((evaluation.accuracy - right as f32 / 40.0).abs() < 1e-6);
    training::reset();
    assert!(
        training::evaluate(Split::Test).await.is_err(),
        "reset ends the run"
    );
}

/// One test: the worker holds one run, so its parts run one after another.
#[wasm_bindgen_test]
async fn the_training_run() {
    webgpu_and_the_cpu_agree_on_the_first_step().await;
    training_lowers_the_loss_on(Backend::Cpu, 24).await;
    training_lowers_the_loss_on(Backend::WebGpu, 12).await;
    epochs_end_with_a_validation_score_and_the_best_can_be_restored().await;
    a_learning_rate_too_high_pauses_the_run_with_finite_weights().await;
    a_deep_sigmoid_mlp_reports_vanishing_gradients().await;
    l1_raises_the_share_of_tiny_weights().await;
    a_trained_lenet_answers_for_the_shipped_one_until_taken_back().await;
    downloaded_weights_load_back_through_the_shipped_loader().await;
    five_runs_leave_the_memory_where_one_left_it().await;
}

/// Each reset frees its run: after a first run (the allocator's warm-up), four more one after
/// another grow the worker's memory by less than 5 %.
async fn five_runs_leave_the_memory_where_one_left_it() {
    let mut sizes = Vec::new();
    for _ in 0..5 {
        training::start(Backend::Cpu, setup(64, TrainOptimizer::Adam))
            .await
            .unwrap();
        losses(8, settings(0.003, 16)).await;
        training::evaluate(Split::Validation).await.unwrap();
        training::reset();
        sizes.push(memory_bytes());
    }
    assert!(
        sizes[4] as f64 <= sizes[0] as f64 * 1.05,
        "wasm memory in bytes after each run: {sizes:?}"
    );
}

/// Trained on WebGPU (whose tensors are never read synchronously), the exported pair loads
/// through the app's loader on the CPU and classifies the validation images as the run does.
async fn downloaded_weights_load_back_through_the_shipped_loader() {
    use burn::tensor::{Device, Tensor, TensorData};

    training::start(Backend::WebGpu, setup(64, TrainOptimizer::Adam))
        .await
        .unwrap();
    losses(4, settings(0.003, 16)).await;
    let exported = training::export("lab-lenet5", "/train?seed=4")
        .await
        .unwrap();
    let manifest = convlab_model::weights::parse_manifest(&exported.json).unwrap();
    assert_eq!(manifest.name, "lab-lenet5");
    assert_eq!(manifest.parameters, 61_706);
    assert_eq!(manifest.weights_bytes, exported.bpk.len() as u64);
    assert_eq!(manifest.command, "/train?seed=4");
    assert_eq!(manifest.training["steps"], 4);

    let cpu = Device::flex();
    let net = convlab_model::load_lenet(&exported.json, &exported.bpk, &cpu).unwrap();
    let run = training::evaluate(Split::Validation).await.unwrap();
    // The run's images: synthetic digits 64..104 of its seed.
    let all = convlab_digits::synthetic_dataset(124, 4).unwrap();
    let validation = all.select(&(64..104).collect::<Vec<_>>());
    let images = Tensor::<4>::from_data(
        TensorData::new(validation.images().to_vec(), [40, 1, 28, 28]),
        &cpu,
    );
    let given: Vec<i64> = net
        .forward(images)
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .try_to_vec()
        .unwrap();
    let differ = given
        .iter()
        .zip(&run.predicted)
        .filter(|(a, b)| **a != i64::from(**b))
        .count();
    assert!(
        differ <= 1,
        "{differ} of 40 classes differ: {given:?} vs {:?}",
        run.predicted
    );
    assert_eq!(validation.labels(), run.labels.as_slice());
    training::reset();
    assert!(
        training::export("lab-lenet5", "/train").await.is_err(),
        "no run, nothing to save"
    );
}

async fn a_trained_lenet_answers_for_the_shipped_one_until_taken_back() {
    let models = Models::load(Backend::Cpu, &shipped_weights())
        .await
        .unwrap();
    let (stop, images) = (Stop::default(), example_digits());
    let shipped = models.classify(&images, &stop).await.unwrap();
    training::start(Backend::Cpu, setup(32, TrainOptimizer::Adam))
        .await
        .unwrap();
    losses(2, settings(0.003, 16)).await;
    training::use_classifier(true).unwrap();
    let trained = models.classify(&images, &stop).await.unwrap();
    assert!(
        max_diff(&shipped, &trained) > 0.01,
        "the trained weights answer"
    );
    // Ending the run keeps the classifier in use; taking it back restores the shipped one.
    training::reset();
    assert_eq!(models.classify(&images, &stop).await.unwrap(), trained);
    training::use_classifier(false).unwrap();
    assert_eq!(models.classify(&images, &stop).await.unwrap(), shipped);
    // Another backend's classifier is not touched, and an MLP cannot take LeNet-5's place.
    training::start(
        Backend::Cpu,
        TrainSetup {
            model: TrainModel::Mlp {
                depth: 2,
                width: 8,
                activation: MlpActivation::Relu,
                bias: true,
                layer_norm: false,
            },
            ..setup(32, TrainOptimizer::Adam)
        },
    )
    .await
    .unwrap();
    assert!(training::use_classifier(true).is_err());
    training::reset();
}

async fn a_deep_sigmoid_mlp_reports_vanishing_gradients() {
    let mlp = TrainModel::Mlp {
        depth: 10,
        width: 32,
        activation: MlpActivation::Sigmoid,
        bias: true,
        layer_norm: false,
    };
    let started = training::start(
        Backend::Cpu,
        TrainSetup {
            model: mlp,
            ..setup(32, TrainOptimizer::Sgd { momentum: 0.0 })
        },
    )
    .await
    .unwrap();
    assert_eq!(
        started.parameters,
        784 * 32 + 32 + 9 * (32 * 32 + 32) + 32 * 10 + 10
    );
    let progress = training::steps(steps(1), settings(0.1, 32), &Stop::default())
        .await
        .unwrap();
    let names: Vec<&str> = progress
        .gradients
        .iter()
        .map(|g| g.layer.as_str())
        .collect();
    assert_eq!(names.len(), 11);
    assert_eq!((names[0], names[10]), ("hidden 1", "output"));
    let norms: Vec<f32> = progress.gradients.iter().map(|g| g.norm).collect();
    assert!(norms[0] * 100.0 < norms[10], "sigmoid: {norms:?}");
    training::reset();
    training::start(
        Backend::Cpu,
        TrainSetup {
            model: TrainModel::Mlp {
                depth: 10,
                width: 32,
                activation: MlpActivation::Relu,
                bias: true,
                layer_norm: true,
            },
            ..setup(32, TrainOptimizer::Sgd { momentum: 0.0 })
        },
    )
    .await
    .unwrap();
    let progress = training::steps(steps(1), settings(0.1, 32), &Stop::default())
        .await
        .unwrap();
    let norms: Vec<f32> = progress.gradients.iter().map(|g| g.norm).collect();
    assert!(norms[0] * 10.0 > norms[10], "ReLU + LayerNorm: {norms:?}");
    training::reset();
}

async fn first_step_loss(backend: Backend) -> f32 {
    training::start(backend, setup(64, TrainOptimizer::Adam))
        .await
        .unwrap();
    let loss = losses(1, settings(0.003, 32)).await[0];
    training::reset();
    loss
}

async fn webgpu_and_the_cpu_agree_on_the_first_step() {
    let (cpu, gpu) = (
        first_step_loss(Backend::Cpu).await,
        first_step_loss(Backend::WebGpu).await,
    );
    assert!((cpu - gpu).abs() < 1e-3, "cpu {cpu}, webgpu {gpu}");
}

async fn epochs_end_with_a_validation_score_and_the_best_can_be_restored() {
    training::start(Backend::Cpu, setup(32, TrainOptimizer::Adam))
        .await
        .unwrap();
    assert!(training::restore_best().is_err(), "no epoch yet");
    // 32 images in batches of 16: two steps an epoch; three epochs of the ten steps asked.
    let limits = Limits {
        epochs: 3,
        ..steps(10)
    };
    let progress = training::steps(limits, settings(0.003, 16), &Stop::default())
        .await
        .unwrap();
    assert_eq!(progress.steps.len(), 6);
    let epochs: Vec<u32> = progress.epochs.iter().map(|e| e.epoch).collect();
    assert_eq!(epochs, [1, 2, 3]);
    assert!(progress.epochs.iter().all(|e| e.validation_loss.is_some()));
    assert_eq!(progress.weights.count, 61_706 - 236);
    assert_eq!(progress.weights.bins.iter().sum::<u32>(), 61_706 - 236);
    // "Restore best" brings back the weights of the epoch with the lowest validation loss.
    let best = progress
        .epochs
        .iter()
        .filter_map(|e| e.validation_loss)
        .fold(f32::INFINITY, f32::min);
    training::restore_best().unwrap();
    let restored = training::evaluate(Split::Validation).await.unwrap();
    assert!(
        (restored.loss - best).abs() < 1e-4,
        "{} vs {best}",
        restored.loss
    );
    training::reset();
}

async fn l1_raises_the_share_of_tiny_weights() {
    let tiny = |l1: f32| async move {
        training::start(
            Backend::Cpu,
            setup(64, TrainOptimizer::Sgd { momentum: 0.0 }),
        )
        .await
        .unwrap();
        let progress = training::steps(
            steps(20),
            StepSettings {
                l1,
                ..settings(0.1, 16)
            },
            &Stop::default(),
        )
        .await
        .unwrap();
        training::reset();
        progress.weights.tiny
    };
    let (without, with) = (tiny(0.0).await, tiny(1e-3).await);
    assert!(with > without, "{with} ≤ {without} weights within ±0.001");
}

async fn a_learning_rate_too_high_pauses_the_run_with_finite_weights() {
    training::start(
        Backend::Cpu,
        setup(64, TrainOptimizer::Sgd { momentum: 0.0 }),
    )
    .await
    .unwrap();
    let wild = training::steps(steps(20), settings(1e3, 16), &Stop::default())
        .await
        .unwrap();
    let why = wild.diverged.expect("a learning rate of 1000 diverges");
    assert!(why.contains("learning rate"), "{why}");
    assert!(wild.steps.len() < 20);
    // The kept weights are numbers, and a sane learning rate goes on from them.
    let calm = losses(2, settings(0.01, 16)).await;
    assert!(calm.iter().all(|l| l.is_finite()), "{calm:?}");
    // Settings out of range are refused, not run.
    let bad = training::steps(steps(1), settings(f32::NAN, 16), &Stop::default()).await;
    assert!(bad.is_err());
    training::reset();
}
