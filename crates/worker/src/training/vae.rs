//! The worker's VAE training run: the reference VAE (or the plain autoencoder with the same
//! layers) trained on BCE + β·KL by `convlab-learn`'s [`Session`], in bursts of steps as the
//! classifier run is, and snapshots of its latent space over the validation images.
//!
//! It shares the classifier run's rules: one run at a time (starting either kind drops the
//! other), only a few numbers read back per step, asynchronously.

use std::cell::RefCell;

use burn::module::Module;
use burn::tensor::Device;
use convlab_digits::AugmentConfig;
use convlab_digits::MnistDataset;
use convlab_learn::copy_to_cpu;
use convlab_learn::{
    Hyper, LatentCodes, OptimizerChoice, Regularization, Session, Totals, decode_all, encode_all,
    grid_codes, prior_codes, score,
};
use convlab_model::{
    AutoencoderConfig, ModelSpec, Reconstructor, VaeConfig, load_autoencoder, load_vae,
};
use convlab_protocol::{
    Backend, ExportedWeights, IMAGE_PIXELS, LatentSnapshot, MAX_BETA, MAX_LATENT, Reparameterised,
    TrainStarted, VaeEpochPoint, VaeKind, VaeProgress, VaeSetup, VaeStepPoint, VaeStepSettings,
    VaeTerms,
};

use super::export::{Pair, VaeLabRecord, check_name, record_bytes};
use super::in_use;
use super::step::{backend_device, check_device, checked_step};
use super::{
    Limits, MAX_BATCH, RunSlot, SCORE_BATCH, Slot, empty, optimizer, put_into, splits, take_from,
};
use crate::models::{Failure, Stop};

/// Validation images a snapshot encodes at most.
const SNAPSHOT_CODES: usize = 2_000;
/// Prior draws a snapshot decodes at most.
const MAX_SAMPLES: u32 = 64;
/// The decoded grid of a latent-2 run: `GRID_SIDE²` codes over `[−GRID_REACH, GRID_REACH]²`.
const GRID_SIDE: usize = 10;
const GRID_REACH: f32 = 2.5;

struct VaeRun {
    session: Session<Reconstructor>,
    backend: Backend,
    /// The device without autodiff, for scoring and snapshots.
    plain: Device,
    optimizer: OptimizerChoice,
    validation: MnistDataset,
    epoch_totals: Totals,
    seed: u64,
    /// How the run was set up, for an exported manifest.
    record: VaeLabRecord,
}

thread_local! {
    static RUN: RefCell<Slot<VaeRun>> = const { RefCell::new(Slot::Empty) };
}

fn slot() -> &'static RunSlot<VaeRun> {
    &RUN
}

/// Ends the VAE run, freeing its tensors.
pub fn reset() {
    empty(slot());
}

/// A fresh model as `setup` describes it, on `device`.
fn model(setup: &VaeSetup, device: &Device) -> Result<Reconstructor, String> {
    if !(1..=MAX_LATENT).contains(&setup.latent) {
        return Err(format!(
            "the latent size must be 1–{MAX_LATENT}, not {}",
            setup.latent
        ));
    }
    let latent = setup.latent as usize;
    Ok(match setup.kind {
        VaeKind::Variational => {
            Reconstructor::Vae(VaeConfig::new().with_latent_dim(latent).init(device))
        }
        VaeKind::Plain => Reconstructor::Autoencoder(
            AutoencoderConfig::new()
                .with_latent_dim(latent)
                .init(device),
        ),
    })
}

/// Starts a VAE run (dropping any run there was).
pub async fn start(backend: Backend, setup: VaeSetup) -> Result<TrainStarted, String> {
    super::reset();
    let optimizer = optimizer(setup.optimizer)?;
    let sizes = [setup.train, setup.validation, 0];
    let [train, validation, _] = splits(&setup.data, setup.seed, sizes)?;
    let plain = backend_device(backend).await?;
    let device = plain.clone().autodiff();
    // Drawn on the CPU, so a seed gives the same network on every backend.
    let cpu = Device::flex().autodiff();
    cpu.seed(setup.seed);
    let model = model(&setup, &cpu)?.fork(&device);
    let started = TrainStarted {
        parameters: model.num_params() as u64,
        train: setup.train,
        validation: setup.validation,
        test: 0,
    };
    let session = Session::new(
        model,
        optimizer.init(),
        train,
        AugmentConfig::default(),
        setup.seed,
        device,
        1,
    );
    put_into(
        slot(),
        Box::new(VaeRun {
            session,
            backend,
            plain,
            optimizer,
            validation,
            epoch_totals: Totals::default(),
            seed: setup.seed,
            record: VaeLabRecord::new(backend, &setup),
        }),
    );
    Ok(started)
}

fn hyper(settings: &VaeStepSettings) -> Result<Hyper, String> {
    let VaeStepSettings {
        learning_rate,
        batch_size,
        beta,
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
    if !(beta.is_finite() && (0.0..=MAX_BETA).contains(&beta)) {
        return Err(format!("β must be 0–{MAX_BETA}, not {beta}"));
    }
    Ok(Hyper {
        learning_rate: f64::from(learning_rate),
        batch_size: batch_size as usize,
        beta: f64::from(beta),
        regularization: Regularization::default(),
    })
}

/// A burst of VAE steps.
pub async fn steps(
    limits: Limits,
    settings: VaeStepSettings,
    stop: &Stop,
) -> Result<VaeProgress, Failure> {
    let hyper = hyper(&settings)?;
    let mut run = take_from(slot())?;
    run.record.settings = Some(settings);
    let result = burst(&mut run, limits, &hyper, stop).await;
    put_into(slot(), run);
    result
}

fn terms(totals: &Totals) -> VaeTerms {
    VaeTerms {
        bce: totals.mean_bce().unwrap_or(totals.mean_loss()) as f32,
        kl: totals.mean_kl().unwrap_or(0.0) as f32,
    }
}

async fn burst(
    run: &mut VaeRun,
    limits: Limits,
    hyper: &Hyper,
    stop: &Stop,
) -> Result<VaeProgress, Failure> {
    let started = js_sys::Date::now();
    let mut progress = VaeProgress {
        steps: Vec::new(),
        epochs: Vec::new(),
        diverged: None,
        images_per_second: 0.0,
    };
    let mut images = 0usize;
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
        run.epoch_totals.add(step.images, values);
        progress.steps.push(VaeStepPoint {
            step: number,
            epoch: step.epoch as u32,
            terms: VaeTerms {
                bce: values.bce.unwrap_or(values.loss) as f32,
                kl: values.kl.unwrap_or(0.0) as f32,
            },
            objective: values.loss as f32,
            beta: hyper.beta as f32,
        });
        if step.ends_epoch {
            let point = end_epoch(run, step.epoch as u32, number, hyper.beta).await?;
            progress.epochs.push(point);
        }
        if js_sys::Date::now() - started >= f64::from(limits.budget_ms) {
            break;
        }
    }
    let seconds = (js_sys::Date::now() - started) / 1000.0;
    progress.images_per_second = (images as f64 / seconds.max(1e-3)) as f32;
    Ok(progress)
}

/// The epoch's numbers, with a validation pass.
async fn end_epoch(
    run: &mut VaeRun,
    epoch: u32,
    step: u32,
    beta: f64,
) -> Result<VaeEpochPoint, String> {
    let totals = std::mem::take(&mut run.epoch_totals);
    let mut point = VaeEpochPoint {
        epoch,
        step,
        train: terms(&totals),
        validation: None,
    };
    if !run.validation.is_empty() {
        let model = run.session.model().valid();
        let scored = score(
            &model,
            &run.validation,
            beta,
            SCORE_BATCH,
            &run.plain,
            false,
        )
        .await?;
        point.validation = Some(terms(&scored.totals));
    }
    Ok(point)
}

/// The run's latent space now, with `samples` prior draws decoded.
pub async fn snapshot(samples: u32) -> Result<LatentSnapshot, String> {
    let run = take_from(slot())?;
    let result = snapshot_of(&run, samples.min(MAX_SAMPLES) as usize).await;
    put_into(slot(), run);
    result
}

async fn snapshot_of(run: &VaeRun, samples: usize) -> Result<LatentSnapshot, String> {
    check_device(run.backend)?;
    let model = run.session.model().valid();
    let latent = model.latent_dim();
    let codes = encode_all(
        &model,
        &run.validation,
        SNAPSHOT_CODES,
        SCORE_BATCH,
        &run.plain,
    )
    .await?;
    // The same draws in every snapshot of a run, so the samples change only with the weights.
    let prior = prior_codes(samples, latent, run.seed ^ 0x5A3F_1E00);
    let prior_samples = decode_all(&model, &prior, &run.plain).await?;
    let grid = if latent == 2 {
        decode_all(&model, &grid_codes(GRID_SIDE, GRID_REACH), &run.plain).await?
    } else {
        Vec::new()
    };
    let reparameterised = reparameterise(&model, &codes, run.seed, &run.plain).await?;
    let n = codes.len();
    Ok(LatentSnapshot {
        step: run.session.steps() as u32,
        epoch: run.session.epoch().saturating_sub(1) as u32,
        latent: latent as u32,
        kl_per_unit: codes.kl_per_unit(),
        mean_code_norm: codes.mean_norm(),
        labels: run.validation.labels()[..n].to_vec(),
        codes: codes.mu,
        prior_samples,
        grid_side: if latent == 2 { GRID_SIDE as u32 } else { 0 },
        grid_reach: GRID_REACH,
        grid,
        reparameterised,
    })
}

/// Puts the run's current VAE in the place of the shipped VAE of its latent size (`on`), or
/// the shipped ones back.
pub fn use_vae(on: bool) -> Result<(), String> {
    if !on {
        return in_use::set_vae(None);
    }
    let run = take_from(slot())?;
    let result = match run.session.model().valid() {
        Reconstructor::Vae(vae) => in_use::set_vae(Some((run.backend, vae))),
        Reconstructor::Autoencoder(_) => Err(
            "a plain autoencoder cannot take a VAE's place: it has no posterior to sample"
                .to_string(),
        ),
    };
    put_into(slot(), run);
    result
}

/// The run's current VAE (or autoencoder) as a weights pair named `name`; `address` (the
/// lab's address with the run's settings) is recorded as the way to train it again.
pub async fn export(name: &str, address: &str) -> Result<ExportedWeights, String> {
    check_name(name)?;
    let run = take_from(slot())?;
    let result = export_run(&run, name, address).await;
    put_into(slot(), run);
    result
}

async fn export_run(run: &VaeRun, name: &str, address: &str) -> Result<ExportedWeights, String> {
    check_device(run.backend)?;
    let mut record = run.record.clone();
    record.steps = run.session.steps();
    let training = serde_json::to_value(&record).map_err(|err| err.to_string())?;
    let (model, parameters, bpk) = match run.session.model().valid() {
        Reconstructor::Vae(vae) => {
            let cpu = copy_to_cpu(&vae).await?;
            let config = VaeConfig::new().with_latent_dim(cpu.latent_dim());
            (ModelSpec::Vae(config), cpu.num_params(), record_bytes(cpu)?)
        }
        Reconstructor::Autoencoder(ae) => {
            let cpu = copy_to_cpu(&ae).await?;
            let config = AutoencoderConfig::new().with_latent_dim(cpu.latent_dim());
            (ModelSpec::Ae(config), cpu.num_params(), record_bytes(cpu)?)
        }
    };
    let variational = matches!(model, ModelSpec::Vae(_));
    let weights = Pair {
        name,
        model,
        parameters,
        bpk,
        epochs: run.session.epoch().saturating_sub(1),
        steps: record.steps,
        training,
        address,
        lab: "VAE lab",
    }
    .write()?;
    // The pair must load as the app loads shipped weights, or it is not handed out.
    let cpu = Device::flex();
    let loaded = if variational {
        load_vae(&weights.json, &weights.bpk, &cpu).map(drop)
    } else {
        load_autoencoder(&weights.json, &weights.bpk, &cpu).map(drop)
    };
    loaded.map_err(|err| format!("the saved weights do not load back: {err}"))?;
    Ok(weights)
}

/// `z = μ + σ·ε` for the first code, with ε drawn from the run's seed (the VAE only).
async fn reparameterise(
    model: &Reconstructor,
    codes: &LatentCodes,
    seed: u64,
    device: &Device,
) -> Result<Option<Reparameterised>, String> {
    let (latent, Some(log_var)) = (codes.latent, codes.log_var.as_ref()) else {
        return Ok(None);
    };
    if codes.is_empty() {
        return Ok(None);
    }
    let mu = codes.mu[..latent].to_vec();
    let sigma: Vec<f32> = log_var[..latent]
        .iter()
        .map(|lv| (lv / 2.0).exp())
        .collect();
    let epsilon = prior_codes(1, latent, seed ^ 0xE95);
    let z: Vec<f32> = (0..latent).map(|j| mu[j] + sigma[j] * epsilon[j]).collect();
    let decoded = decode_all(model, &z, device).await?;
    debug_assert_eq!(decoded.len(), IMAGE_PIXELS);
    Ok(Some(Reparameterised {
        mu,
        sigma,
        epsilon,
        z,
        decoded,
    }))
}
