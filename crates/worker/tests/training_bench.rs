//! The training benchmark in headless Chromium (not a test of speed: it asserts only that the
//! work was done), run in release mode by `cargo xtask bench`:
//! `cargo test --release --target wasm32-unknown-unknown -p convlab-worker --test training_bench -- --nocapture`
//!
//! - The training steps of LeNet-5 (batch 64) and of the reference VAE (batch 128)
//!   (`crates/learn/benches/shared/throughput.rs`, which the native bench runs too) on the CPU
//!   (`wasm`) and on WebGPU (`webgpu`; SwiftShader in headless Chromium, a CPU, so not a GPU's
//!   figure).
//! - The lab's over-training preset (30 synthetic digits, batch 10, 40 epochs, validation on
//!   1,000) through the worker's run, on the CPU: when its validation loss is lowest.
//! - One epoch of the VAE lab's default run on 10,000 synthetic digits, on the CPU: its time
//!   and how grouped by class the validation codes are before and after it.
//! - The worker's memory (wasm linear memory) after each of five runs one after another.
#![allow(clippy::unwrap_used)]

use convlab_digits::AugmentConfig;
use convlab_protocol::{
    Backend, StepSettings, TrainData, TrainModel, TrainOptimizer, TrainSetup, VaeKind, VaeSetup,
    VaeStepSettings,
};
use convlab_worker::Stop;
use convlab_worker::training::{self, Limits};
use wasm_bindgen_test::*;

mod common;

use common::{memory_bytes, now_ms};

#[path = "../../learn/benches/shared/throughput.rs"]
mod throughput;

wasm_bindgen_test_configure!(run_in_browser);

fn print(line: &str) {
    console_log!("{line}");
}

#[wasm_bindgen_test]
async fn training_in_the_browser() {
    throughput::run(&burn::tensor::Device::flex(), "wasm", &now_ms, &print).await;
    let gpu = convlab_worker::gpu::device().await.unwrap();
    throughput::run(&gpu, "webgpu", &now_ms, &print).await;
    over_training_preset().await;
    vae_epoch().await;
    memory_over_five_runs().await;
}

fn preset(train: u32, validation: u32) -> TrainSetup {
    TrainSetup {
        seed: 1,
        train,
        validation,
        test: 0,
        data: TrainData::Synthetic,
        model: TrainModel::LeNet5,
        optimizer: TrainOptimizer::Adam,
        augment: AugmentConfig::default(),
    }
}

fn settings(batch_size: u32) -> StepSettings {
    StepSettings {
        learning_rate: 0.002,
        batch_size,
        l1: 0.0,
        l2: 0.0,
    }
}

/// The preset's run as the page drives it: bursts of a quarter of a second until epoch 40.
async fn over_training_preset() {
    let start = now_ms();
    training::start(Backend::Cpu, preset(30, 1_000))
        .await
        .unwrap();
    let limits = Limits {
        max_steps: 10_000,
        budget_ms: 250,
        epochs: 40,
    };
    let mut epochs = Vec::new();
    while epochs.len() < 40 {
        let progress = training::steps(limits, settings(10), &Stop::default())
            .await
            .unwrap();
        assert!(progress.diverged.is_none());
        let at = (now_ms() - start) / 1000.0;
        epochs.extend(
            progress
                .epochs
                .iter()
                .map(|e| (e.epoch, e.validation_loss.unwrap(), at)),
        );
    }
    let (epoch, loss, seconds) = epochs
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let total = epochs.last().unwrap().2;
    print(&format!(
        "TRAINING over-training preset (wasm, CPU): lowest validation loss {loss:.3} at epoch \
         {epoch} of 40, reached after {seconds:.1} s; 40 epochs in {total:.1} s; last epoch's \
         validation loss {:.3}",
        epochs.last().unwrap().1
    ));
    training::reset();
}

/// One epoch of the VAE lab's default run (latent 2, β = 1, Adam at 0.002, batch 64) on
/// 10,000 synthetic digits, driven in bursts as the page drives it.
async fn vae_epoch() {
    let setup = VaeSetup {
        seed: 1,
        train: 10_000,
        validation: 1_000,
        data: TrainData::Synthetic,
        kind: VaeKind::Variational,
        latent: 2,
        optimizer: TrainOptimizer::Adam,
    };
    training::vae::start(Backend::Cpu, setup).await.unwrap();
    let before = training::vae::snapshot(0).await.unwrap();
    let settings = VaeStepSettings {
        learning_rate: 0.002,
        batch_size: 64,
        beta: 1.0,
    };
    let limits = Limits {
        max_steps: 10_000,
        budget_ms: 250,
        epochs: 1,
    };
    let start = now_ms();
    let mut epoch = None;
    while epoch.is_none() {
        let progress = training::vae::steps(limits, settings, &Stop::default())
            .await
            .unwrap();
        assert!(progress.diverged.is_none());
        epoch = progress.epochs.first().copied();
    }
    let seconds = (now_ms() - start) / 1000.0;
    let after = training::vae::snapshot(0).await.unwrap();
    let validation = epoch.unwrap().validation.unwrap();
    let grouping = |s: &convlab_protocol::LatentSnapshot| s.class_grouping().unwrap() * 100.0;
    print(&format!(
        "TRAINING VAE epoch (wasm, CPU): 10,000 synthetic digits at batch 64 in {seconds:.1} s; \
         validation BCE {:.1} + KL {:.2} nats; codes nearest their class's mean: {:.0} % before, \
         {:.0} % after (10 % for no grouping)",
        validation.bce,
        validation.kl,
        grouping(&before),
        grouping(&after)
    ));
    training::reset();
}

/// Five runs of 20 steps one after another on each backend, the wasm memory after each.
async fn memory_over_five_runs() {
    for backend in [Backend::Cpu, Backend::WebGpu] {
        let mut sizes = Vec::new();
        for _ in 0..5 {
            training::start(backend, preset(640, 200)).await.unwrap();
            let limits = Limits {
                max_steps: 20,
                budget_ms: 600_000,
                epochs: 0,
            };
            training::steps(limits, settings(32), &Stop::default())
                .await
                .unwrap();
            training::reset();
            sizes.push(memory_bytes());
        }
        let mib: Vec<String> = sizes
            .iter()
            .map(|b| format!("{:.1}", *b as f64 / (1024.0 * 1024.0)))
            .collect();
        print(&format!(
            "MEMORY {backend:?}: wasm memory after each of 5 runs (MiB): {}; run 5 / run 1 = {:.3}",
            mib.join(", "),
            sizes[4] as f64 / sizes[0] as f64
        ));
    }
}
