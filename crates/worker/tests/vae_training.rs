//! The worker's VAE training run in headless Chromium, on the CPU backend and on WebGPU
//! (SwiftShader): training lowers the negative ELBO with both terms reported, β decides how
//! many latent units stay active (β = 8 collapses the posterior), β = 0 spreads the codes,
//! and a snapshot holds the latent space, the decoded grid and one reparameterisation. A
//! trained VAE stands in for the shipped one of its latent size until taken back, saves as a
//! weights pair the app's loader reads, and a learning rate of 1000 pauses the run with its
//! last finite weights.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use convlab_model::{ModelSpec, load_autoencoder, load_vae};
use convlab_protocol::{
    Backend, LatentSnapshot, TrainData, TrainOptimizer, VaeChoice, VaeKind, VaeSetup,
    VaeStepSettings,
};
use convlab_worker::training::{self, Limits, vae};
use convlab_worker::{Models, Stop};
use wasm_bindgen_test::*;

mod common;

use common::shipped_weights;

wasm_bindgen_test_configure!(run_in_browser);

const ACTIVE_KL: f32 = 0.01;

fn setup(kind: VaeKind, latent: u32) -> VaeSetup {
    VaeSetup {
        seed: 5,
        train: 1_000,
        validation: 200,
        data: TrainData::Synthetic,
        kind,
        latent,
        optimizer: TrainOptimizer::Adam,
    }
}

fn settings(beta: f32) -> VaeStepSettings {
    VaeStepSettings {
        learning_rate: 0.002,
        batch_size: 32,
        beta,
    }
}

fn steps(max_steps: u32) -> Limits {
    Limits {
        max_steps,
        budget_ms: 600_000,
        epochs: 0,
    }
}

fn mean(values: &[f32]) -> f32 {
    values.iter().sum::<f32>() / values.len() as f32
}

/// A latent-2 VAE trained with `beta` for `n` steps on `backend`: the first and last tenth of
/// the steps' negative ELBO, and the snapshot after them.
async fn train(backend: Backend, beta: f32, n: u32) -> (f32, f32, LatentSnapshot) {
    let started = vae::start(backend, setup(VaeKind::Variational, 2))
        .await
        .unwrap();
    assert_eq!(
        (started.train, started.validation, started.test),
        (1_000, 200, 0)
    );
    // Bursts of 10 steps, yielding between them as the page's bursts do: a test runs on the
    // page's main thread, and a renderer busy for half a minute loses the test runner.
    let mut points = Vec::new();
    while points.len() < n as usize {
        let burst = (n - points.len() as u32).min(10);
        let progress = vae::steps(steps(burst), settings(beta), &Stop::default())
            .await
            .unwrap();
        assert!(progress.diverged.is_none(), "{:?}", progress.diverged);
        points.extend(progress.steps);
        convlab_worker::js::yield_now().await;
    }
    assert_eq!(points.len(), n as usize);
    for s in &points {
        let weighted = s.terms.bce + beta * s.terms.kl;
        assert!(
            (s.objective - weighted).abs() <= 1e-3 * s.objective.abs(),
            "{s:?}"
        );
        assert!(s.terms.kl >= 0.0 && s.beta == beta, "{s:?}");
    }
    let elbo: Vec<f32> = points.iter().map(|s| s.terms.negative_elbo()).collect();
    let tenth = (n as usize / 10).max(1);
    let snapshot = vae::snapshot(8).await.unwrap();
    (
        mean(&elbo[..tenth]),
        mean(&elbo[elbo.len() - tenth..]),
        snapshot,
    )
}

/// One test: the worker holds one run, so its parts run one after another.
#[wasm_bindgen_test]
async fn the_vae_training_run() {
    beta_decides_the_active_units_and_the_spread().await;
    training_lowers_the_negative_elbo_on_webgpu().await;
    an_epoch_ends_with_validation_terms_and_an_autoencoder_has_no_kl().await;
    a_latent_16_snapshot_has_no_grid_and_a_reset_ends_the_run().await;
    a_trained_vae_stands_in_for_the_shipped_one_and_saves_as_weights().await;
    a_learning_rate_of_1000_pauses_with_finite_weights().await;
}

async fn beta_decides_the_active_units_and_the_spread() {
    let (first, last, lecture) = train(Backend::Cpu, 1.0, 120).await;
    assert!(last < first * 0.8, "negative ELBO {first} → {last}");
    assert!(
        lecture.active_units(ACTIVE_KL) >= 2,
        "{:?}",
        lecture.kl_per_unit
    );
    assert_eq!(lecture.codes.len(), 200 * 2);
    assert_eq!(lecture.labels.len(), 200);
    assert_eq!(lecture.prior_samples.len(), 8 * 784);
    assert_eq!(
        lecture.grid.len(),
        (lecture.grid_side * lecture.grid_side) as usize * 784
    );
    let r = lecture.reparameterised.as_ref().unwrap();
    for j in 0..2 {
        assert!(
            (r.z[j] - (r.mu[j] + r.sigma[j] * r.epsilon[j])).abs() < 1e-5,
            "{r:?}"
        );
        assert!((r.mu[j] - lecture.codes[j]).abs() < 1e-6);
    }
    assert_eq!(r.decoded.len(), 784);

    let (_, _, collapsed) = train(Backend::Cpu, 8.0, 120).await;
    let kl: f32 = collapsed.kl_per_unit.iter().sum();
    assert!(kl < 1.0, "{:?}", collapsed.kl_per_unit);
    assert!(
        collapsed.active_units(ACTIVE_KL) <= 1,
        "{:?}",
        collapsed.kl_per_unit
    );

    let (_, _, free) = train(Backend::Cpu, 0.0, 120).await;
    assert!(
        free.mean_code_norm > lecture.mean_code_norm,
        "β = 0: {}, β = 1: {}",
        free.mean_code_norm,
        lecture.mean_code_norm
    );
}

async fn training_lowers_the_negative_elbo_on_webgpu() {
    let (first, last, snapshot) = train(Backend::WebGpu, 1.0, 30).await;
    assert!(last < first, "negative ELBO {first} → {last}");
    assert!(snapshot.codes.iter().all(|v| v.is_finite()));
}

async fn an_epoch_ends_with_validation_terms_and_an_autoencoder_has_no_kl() {
    let small = VaeSetup {
        train: 64,
        validation: 32,
        ..setup(VaeKind::Plain, 2)
    };
    vae::start(Backend::Cpu, small).await.unwrap();
    let progress = vae::steps(steps(2), settings(1.0), &Stop::default())
        .await
        .unwrap();
    let epoch = progress
        .epochs
        .first()
        .expect("an epoch of 2 batches ended");
    assert_eq!((epoch.epoch, epoch.step), (1, 2));
    let validation = epoch.validation.unwrap();
    assert!(
        validation.bce > 0.0 && validation.kl == 0.0,
        "{validation:?}"
    );
    assert!(progress.steps.iter().all(|s| s.terms.kl == 0.0));
    let snapshot = vae::snapshot(4).await.unwrap();
    assert!(snapshot.reparameterised.is_none());
    assert_eq!(snapshot.active_units(ACTIVE_KL), 0);
}

async fn a_latent_16_snapshot_has_no_grid_and_a_reset_ends_the_run() {
    vae::start(Backend::Cpu, setup(VaeKind::Variational, 16))
        .await
        .unwrap();
    let snapshot = vae::snapshot(100).await.unwrap();
    assert_eq!((snapshot.latent, snapshot.grid_side), (16, 0));
    assert!(snapshot.grid.is_empty());
    assert_eq!(snapshot.kl_per_unit.len(), 16);
    assert_eq!(snapshot.prior_samples.len(), 64 * 784, "at most 64 samples");
    let too_big = VaeSetup {
        latent: 17,
        ..setup(VaeKind::Variational, 2)
    };
    assert!(vae::start(Backend::Cpu, too_big).await.is_err());
    assert!(
        vae::steps(steps(1), settings(f32::NAN), &Stop::default())
            .await
            .is_err()
    );
    training::reset();
    assert!(vae::snapshot(1).await.is_err(), "reset ends the run");
}

async fn a_trained_vae_stands_in_for_the_shipped_one_and_saves_as_weights() {
    let models = Models::load(Backend::Cpu, &shipped_weights())
        .await
        .unwrap();
    let stop = Stop::default();
    let code = [0.5f32, -0.5];
    let shipped = models.decode(VaeChoice::Vae2, &code, &stop).await.unwrap();
    let (_, _, snapshot) = train(Backend::Cpu, 1.0, 20).await;
    let r = snapshot.reparameterised.unwrap();
    vae::use_vae(true).unwrap();
    // The model pages' VAE-2 is now the run's: its decoding of z is the snapshot's.
    let trained = models.decode(VaeChoice::Vae2, &r.z, &stop).await.unwrap();
    let worst = trained
        .iter()
        .zip(&r.decoded)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-4,
        "the CPU decoder and the run differ by {worst}"
    );
    let (mu, _) = models
        .encode(VaeChoice::Vae2, &r.decoded, &stop)
        .await
        .unwrap();
    assert_eq!(mu.len(), 2);
    // It outlives the run, and VAE-16 is untouched.
    training::reset();
    let kept = models.decode(VaeChoice::Vae2, &code, &stop).await.unwrap();
    assert_ne!(kept, shipped);
    assert!(vae::use_vae(true).is_err(), "no run to take a VAE from");
    vae::use_vae(false).unwrap();
    let back = models.decode(VaeChoice::Vae2, &code, &stop).await.unwrap();
    assert_eq!(back, shipped);

    // Saved as the shipped weights' pair, it loads and decodes as the run did.
    train(Backend::Cpu, 1.0, 4).await;
    let snapshot = vae::snapshot(0).await.unwrap();
    let r = snapshot.reparameterised.unwrap();
    let pair = vae::export("lab-vae", "http://localhost/train-vae?bs=32")
        .await
        .unwrap();
    assert!(pair.json.contains("\"kind\": \"vae\""), "{}", pair.json);
    assert!(pair.json.contains("VAE lab"), "{}", pair.json);
    let device = burn::tensor::Device::flex();
    let loaded = load_vae(&pair.json, &pair.bpk, &device).unwrap();
    assert_eq!(loaded.latent_dim(), 2);
    let z = burn::tensor::Tensor::<2>::from_data(
        burn::tensor::TensorData::new(r.z.clone(), [1, 2]),
        &device,
    );
    let decoded: Vec<f32> = loaded.decode(z).into_data().try_to_vec::<f32>().unwrap();
    let worst = decoded
        .iter()
        .zip(&r.decoded)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "the saved VAE decodes {worst} away");
    assert!(vae::export("../x", "").await.is_err(), "not a file name");

    // An autoencoder saves as one, and cannot stand in for a VAE.
    let small = VaeSetup {
        train: 64,
        validation: 32,
        ..setup(VaeKind::Plain, 2)
    };
    vae::start(Backend::Cpu, small).await.unwrap();
    vae::steps(steps(1), settings(1.0), &Stop::default())
        .await
        .unwrap();
    assert!(vae::use_vae(true).is_err());
    let pair = vae::export("lab-ae", "").await.unwrap();
    let manifest: convlab_model::WeightsManifest = serde_json::from_str(&pair.json).unwrap();
    assert!(matches!(manifest.model, ModelSpec::Ae(_)));
    load_autoencoder(&pair.json, &pair.bpk, &device).unwrap();
    training::reset();
}

async fn a_learning_rate_of_1000_pauses_with_finite_weights() {
    vae::start(Backend::Cpu, setup(VaeKind::Variational, 2))
        .await
        .unwrap();
    let wild = VaeStepSettings {
        learning_rate: 1e3,
        ..settings(1.0)
    };
    let progress = vae::steps(steps(20), wild, &Stop::default()).await.unwrap();
    let why = progress.diverged.expect("a learning rate of 1000 diverges");
    assert!(why.contains("learning rate"), "{why}");
    assert!(progress.steps.len() < 20);
    // The kept weights are numbers, and a sane learning rate goes on from them.
    let snapshot = vae::snapshot(4).await.unwrap();
    assert!(snapshot.codes.iter().all(|v| v.is_finite()));
    assert!(snapshot.prior_samples.iter().all(|v| v.is_finite()));
    let calm = vae::steps(steps(2), settings(1.0), &Stop::default())
        .await
        .unwrap();
    assert!(calm.diverged.is_none(), "{:?}", calm.diverged);
    assert!(calm.steps.iter().all(|s| s.objective.is_finite()));
    training::reset();
}
