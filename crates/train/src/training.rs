//! The training loop: mini-batch Adam over the training images (augmented, when the run asks
//! for it, batch by batch with seeds derived from the run's seed and the epoch), a validation
//! pass on the unchanged validation images and a checkpoint after every epoch, and a clean
//! stop when the loss stops being a number.
//!
//! One loop serves the three models through [`Objective`], which says what each minimises.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor};
use convlab_model::Batches;
use convlab_model::{
    AugmentConfig, Autoencoder, LeNet5, MnistDataset, Vae, bce_with_logits, vae_loss,
};

use crate::artifacts::{
    Divergence, EpochMetrics, ModelConfig, RunDir, TrainState, TrainingConfig, kind_name,
};
use crate::cli::TrainArgs;
use crate::data::{self, Splits};

/// What one forward pass costs, each part averaged over the batch (a `[1]` tensor).
#[derive(Clone, Debug)]
pub struct Losses {
    /// What the optimiser minimises: cross-entropy (LeNet-5), BCE + β·KL (VAE), BCE (AE).
    pub total: Tensor<1>,
    /// Reconstruction BCE summed over the pixels (VAE, AE).
    pub bce: Option<Tensor<1>>,
    /// KL divergence of the posterior from the prior (VAE).
    pub kl: Option<Tensor<1>>,
    /// How many images of the batch were classified right (LeNet-5), a `[1]` tensor.
    pub correct: Option<Tensor<1, Int>>,
}

/// A model the loop can train: how it scores a batch.
pub trait Objective: Module {
    /// The losses on one batch whose inputs are `inputs` and whose reconstruction target is
    /// `targets`: for a denoising autoencoder the inputs are noisy and the targets clean.
    /// LeNet-5 has no reconstruction and ignores `targets`.
    ///
    /// # Shapes
    /// - `inputs`, `targets`: `[batch, 1, 28, 28]`; `labels`: `[batch]`
    fn losses_with_targets(
        &self,
        inputs: Tensor<4>,
        targets: Tensor<4>,
        labels: Tensor<1, Int>,
        beta: f64,
    ) -> Losses;

    /// The losses on one batch, each image its own reconstruction target.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`; `labels`: `[batch]`
    fn losses(&self, images: Tensor<4>, labels: Tensor<1, Int>, beta: f64) -> Losses {
        self.losses_with_targets(images.clone(), images, labels, beta)
    }
}

impl Objective for LeNet5 {
    fn losses_with_targets(
        &self,
        inputs: Tensor<4>,
        _targets: Tensor<4>,
        labels: Tensor<1, Int>,
        _beta: f64,
    ) -> Losses {
        let logits = self.forward(inputs); // [batch, 10]
        let [batch, _] = logits.dims();
        let predicted: Tensor<1, Int> = logits.clone().argmax(1).reshape([batch]); // [batch]
        let correct = predicted.equal(labels.clone()).int().sum(); // [1]
        let total = CrossEntropyLossConfig::new()
            .init(&logits.device())
            .forward(logits, labels); // [1]
        Losses {
            total,
            bce: None,
            kl: None,
            correct: Some(correct),
        }
    }
}

impl Objective for Vae {
    fn losses_with_targets(
        &self,
        inputs: Tensor<4>,
        targets: Tensor<4>,
        _labels: Tensor<1, Int>,
        beta: f64,
    ) -> Losses {
        let output = self.forward(inputs);
        let loss = vae_loss(&output, targets, beta);
        Losses {
            total: loss.total,
            bce: Some(loss.reconstruction),
            kl: Some(loss.kl),
            correct: None,
        }
    }
}

impl Objective for Autoencoder {
    fn losses_with_targets(
        &self,
        inputs: Tensor<4>,
        targets: Tensor<4>,
        _labels: Tensor<1, Int>,
        _beta: f64,
    ) -> Losses {
        let output = self.forward(inputs);
        let bce = bce_with_logits(output.logits, targets);
        Losses {
            total: bce.clone(),
            bce: Some(bce),
            kl: None,
            correct: None,
        }
    }
}

/// Sums over the images seen so far, to report per-image means.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    /// Images seen.
    pub images: usize,
    /// Sum of the per-image total loss.
    pub loss: f64,
    /// Sum of the per-image BCE, when the model has one.
    pub bce: Option<f64>,
    /// Sum of the per-image KL, when the model has one.
    pub kl: Option<f64>,
    /// Images classified right, when the model classifies.
    pub correct: Option<f64>,
}

/// One batch's losses read back from the device: per-image means, and the count right.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchValues {
    /// Mean total loss.
    pub loss: f64,
    /// Mean BCE.
    pub bce: Option<f64>,
    /// Mean KL.
    pub kl: Option<f64>,
    /// Images classified right.
    pub correct: Option<f64>,
}

impl Losses {
    /// Reads the values back with one transfer (they are one `[k]` tensor on the way).
    pub fn read(&self) -> Result<BatchValues> {
        let mut parts = vec![self.total.clone().inner()];
        parts.extend(self.bce.clone().map(Tensor::inner));
        parts.extend(self.kl.clone().map(Tensor::inner));
        parts.extend(self.correct.clone().map(|c| c.inner().float()));
        let values = Tensor::cat(parts, 0)
            .into_data()
            .convert::<f64>()
            .try_to_vec::<f64>()
            .map_err(|err| anyhow!("cannot read the loss back from the device: {err:?}"))?;
        let mut values = values.into_iter();
        let loss = values.next().unwrap_or(f64::NAN);
        let mut next = |present: bool| present.then(|| values.next().unwrap_or(f64::NAN));
        let bce = next(self.bce.is_some());
        let kl = next(self.kl.is_some());
        let correct = next(self.correct.is_some());
        Ok(BatchValues {
            loss,
            bce,
            kl,
            correct,
        })
    }
}

impl Totals {
    /// Adds a batch of `n` images.
    pub fn add(&mut self, n: usize, values: BatchValues) {
        let add = |sum: Option<f64>, mean: Option<f64>, weight: f64| {
            mean.map(|m| sum.unwrap_or(0.0) + m * weight)
        };
        let weight = n as f64;
        self.images += n;
        self.loss += values.loss * weight;
        self.bce = add(self.bce, values.bce, weight);
        self.kl = add(self.kl, values.kl, weight);
        self.correct = add(self.correct, values.correct, 1.0);
    }

    fn mean(&self, sum: f64) -> f64 {
        sum / self.images.max(1) as f64
    }

    /// Mean total loss per image.
    pub fn mean_loss(&self) -> f64 {
        self.mean(self.loss)
    }

    /// Mean BCE per image.
    pub fn mean_bce(&self) -> Option<f64> {
        self.bce.map(|s| self.mean(s))
    }

    /// Mean KL per image.
    pub fn mean_kl(&self) -> Option<f64> {
        self.kl.map(|s| self.mean(s))
    }

    /// Fraction classified right.
    pub fn accuracy(&self) -> Option<f64> {
        self.correct.map(|s| self.mean(s))
    }
}

/// Scores `model` on all of `data`, `batch_size` images at a time, without gradients.
/// The VAE draws its noise from `device`'s generator: seed it first for a repeatable score.
pub fn score<M: Objective>(
    model: &M,
    data: &MnistDataset,
    beta: f64,
    batch_size: usize,
    device: &Device,
) -> Result<Totals> {
    let mut totals = Totals::default();
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(batch_size.max(1)) {
        let batch = data.batch(chunk, device);
        let values = model.losses(batch.images, batch.labels, beta).read()?;
        totals.add(chunk.len(), values);
    }
    Ok(totals)
}

/// How a call to [`train`] ended.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainOutcome {
    /// All the epochs asked for are done; the metrics of the last one (none when there was
    /// nothing left to do).
    Finished {
        /// Epochs in the saved weights.
        epochs_completed: usize,
        /// The last epoch's row of `metrics.csv`.
        last: Option<EpochMetrics>,
    },
    /// The loss became NaN or infinite; the weights of the last completed epoch were kept.
    Diverged {
        /// Where it happened.
        divergence: Divergence,
        /// The epoch whose weights `model.bpk` holds (0: the initial weights).
        kept_epoch: usize,
    },
}

/// How to run, beyond the configuration.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// The plain device; training uses `device.autodiff()`.
    pub device: Device,
    /// Continue from the checkpoint in the run folder.
    pub resume: bool,
    /// A progress line every this many batches (0: none).
    pub log_every: usize,
    /// Print progress and epoch lines at all (tests turn it off).
    pub verbose: bool,
}

/// Trains the model `config` describes on `splits`, writing the run into `run`.
///
/// A fresh run writes `config.json`, starts `metrics.csv` and saves the initial weights as
/// epoch 0, so a run that diverges at once still leaves weights to inspect. With
/// `options.resume`, it reloads the weights and Adam's state and continues after the last
/// completed epoch, up to `config.epochs`.
pub fn train(
    config: &TrainingConfig,
    splits: &Splits,
    run: &RunDir,
    options: &TrainOptions,
) -> Result<TrainOutcome> {
    let device = options.device.clone().autodiff();
    // Seed before building the model: the initial weights come from this generator.
    device.seed(config.seed);
    match &config.model {
        ModelConfig::Lenet(c) => fit(c.init(&device), config, splits, run, options),
        ModelConfig::Vae(c) => fit(c.init(&device), config, splits, run, options),
        ModelConfig::Ae(c) => fit(c.init(&device), config, splits, run, options),
    }
}

fn fit<M: Objective>(
    model: M,
    config: &TrainingConfig,
    splits: &Splits,
    run: &RunDir,
    options: &TrainOptions,
) -> Result<TrainOutcome> {
    let device = options.device.clone().autodiff();
    let say = |line: String| {
        if options.verbose {
            println!("{line}");
            let _ = std::io::stdout().flush();
        }
    };
    if config.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    if splits.train.is_empty() {
        bail!("no training images");
    }
    config.augment.check()?;

    let (mut model, mut optimizer, start) = if options.resume {
        let state = run.read_state()?;
        let model = run.load_weights(model)?;
        let optimizer = if run.optimizer_path().is_file() {
            run.load_optimizer(TrainingConfig::adam().init())?
        } else {
            TrainingConfig::adam().init()
        };
        run.truncate_metrics(state.epochs_completed)?;
        if let Some(d) = &state.diverged {
            say(format!(
                "note: this run diverged before (epoch {}, loss {}); resuming from epoch {}",
                d.epoch, d.loss, state.epochs_completed
            ));
        }
        (model, optimizer, state.epochs_completed)
    } else {
        run.create()?;
        run.write_config(config)?;
        run.start_metrics()?;
        run.save_weights(&model)?;
        run.write_state(&TrainState::default())?;
        (model, TrainingConfig::adam().init(), 0)
    };
    if options.resume {
        // The number of epochs is the one thing a resumed run may change.
        run.write_config(config)?;
    }

    let batches_per_epoch = splits.train.len().div_ceil(config.batch_size);
    let mut last = None;
    if start >= config.epochs {
        say(format!(
            "{} already has {start} epochs (asked for {}): nothing to do",
            run.path().display(),
            config.epochs
        ));
    }
    for epoch in start + 1..=config.epochs {
        let started = Instant::now();
        // Per-epoch seed: the VAE's noise in a resumed epoch is the same as uninterrupted.
        device.seed(config.seed.wrapping_add(epoch as u64));
        let order = data::epoch_order(splits.train.len(), config.seed, epoch);
        let learning_rate = config.learning_rate_at(epoch);
        let mut totals = Totals::default();
        let mut window = (Instant::now(), 0usize);

        for (index, chunk) in order.chunks(config.batch_size).enumerate() {
            // Augmentation touches the training batches only: validation and test images
            // are scored as they are.
            let batch = data::training_batch(
                &splits.train,
                chunk,
                &config.augment,
                data::augment_seed(config.seed, epoch, index),
                &device,
            );
            let losses =
                model.losses_with_targets(batch.inputs, batch.targets, batch.labels, config.beta);
            let values = losses.read()?;
            if !values.loss.is_finite() {
                let divergence = Divergence {
                    epoch,
                    batch: Some(index + 1),
                    loss: format!("{}", values.loss),
                };
                return stop_diverged(run, epoch - 1, divergence);
            }
            let grads = GradientsParams::from_grads(losses.total.backward(), &model);
            model = optimizer.step(learning_rate, model, grads);
            totals.add(chunk.len(), values);
            window.1 += chunk.len();

            let done = index + 1;
            if options.verbose && options.log_every > 0 && done % options.log_every == 0 {
                let rate = window.1 as f64 / window.0.elapsed().as_secs_f64().max(1e-9);
                eprintln!(
                    "epoch {epoch}/{} · batch {done}/{batches_per_epoch} · loss {:.4} · {rate:.0} images/s",
                    config.epochs,
                    totals.mean_loss()
                );
                window = (Instant::now(), 0);
            }
        }

        let validation = if splits.validation.is_empty() {
            None
        } else {
            let plain = options.device.clone();
            plain.seed(config.seed.wrapping_add(1_000_003));
            let totals = score(
                &model.valid(),
                &splits.validation,
                config.beta,
                config.batch_size.max(256),
                &plain,
            )?;
            if !totals.mean_loss().is_finite() {
                let divergence = Divergence {
                    epoch,
                    batch: None,
                    loss: format!("{}", totals.mean_loss()),
                };
                return stop_diverged(run, epoch - 1, divergence);
            }
            Some(totals)
        };

        let row = EpochMetrics {
            epoch,
            train_loss: totals.mean_loss(),
            train_bce: totals.mean_bce(),
            train_kl: totals.mean_kl(),
            train_accuracy: totals.accuracy(),
            val_loss: validation.map(|v| v.mean_loss()),
            val_bce: validation.and_then(|v| v.mean_bce()),
            val_kl: validation.and_then(|v| v.mean_kl()),
            val_accuracy: validation.and_then(|v| v.accuracy()),
            seconds: started.elapsed().as_secs_f64(),
        };
        run.append_metrics(&row)?;
        run.save_weights(&model)?;
        run.save_optimizer(&optimizer)?;
        run.write_state(&TrainState {
            epochs_completed: epoch,
            diverged: None,
        })?;
        say(epoch_line(config, &row));
        last = Some(row);
    }
    Ok(TrainOutcome::Finished {
        epochs_completed: config.epochs.max(start),
        last,
    })
}

/// Records the divergence and leaves the last completed epoch's weights in place.
fn stop_diverged(run: &RunDir, kept_epoch: usize, divergence: Divergence) -> Result<TrainOutcome> {
    run.write_state(&TrainState {
        epochs_completed: kept_epoch,
        diverged: Some(divergence.clone()),
    })?;
    Ok(TrainOutcome::Diverged {
        divergence,
        kept_epoch,
    })
}

/// "epoch 3/10 · train loss 151.2 (BCE 145.0, KL 6.2) · val loss 152.0 … · 41.2 s".
fn epoch_line(config: &TrainingConfig, row: &EpochMetrics) -> String {
    let part = |name: &str, v: Option<f64>, pct: bool| match v {
        Some(v) if pct => format!(", {name} {:.2}%", v * 100.0),
        Some(v) => format!(", {name} {v:.3}"),
        None => String::new(),
    };
    let mut line = format!(
        "epoch {}/{} · train loss {:.4}{}{}{}",
        row.epoch,
        config.epochs,
        row.train_loss,
        part("BCE", row.train_bce, false),
        part("KL", row.train_kl, false),
        part("accuracy", row.train_accuracy, true),
    );
    if let Some(val) = row.val_loss {
        line.push_str(&format!(
            " · validation loss {val:.4}{}{}{}",
            part("BCE", row.val_bce, false),
            part("KL", row.val_kl, false),
            part("accuracy", row.val_accuracy, true),
        ));
    }
    line.push_str(&format!(" · {:.1} s", row.seconds));
    line
}

/// `convlab-train train`: builds (or, with `--resume`, reads) the configuration, loads MNIST,
/// trains, and says where everything went.
pub fn train_command(args: &TrainArgs, device: &Device, verbose: bool) -> Result<TrainOutcome> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| format!("runs/{}", kind_name(args.model)).into());
    let run = RunDir::new(out);

    let mut config = if args.resume {
        let mut saved = run.read_config()?;
        if saved.model.kind() != args.model {
            bail!(
                "{} holds a {} run, not {}",
                run.path().display(),
                kind_name(saved.model.kind()),
                kind_name(args.model)
            );
        }
        saved.epochs = args.epochs;
        saved
    } else {
        if run.state_path().exists() {
            bail!(
                "{} already holds a training run: add --resume to continue it, or choose \
                 another --out",
                run.path().display()
            );
        }
        config_from_args(args)
    };

    let mnist = data::mnist_dir(args.mnist_dir.clone());
    let all = mnist.train().context("loading the MNIST training images")?;
    let validation = if args.resume {
        Some(config.validation)
    } else {
        args.validation
    };
    let splits = data::split(&all, config.train_limit, validation, config.seed)?;
    config.validation = splits.validation.len();
    if verbose {
        println!(
            "training {} on {} images (validation {}), {} epochs, batch {}, lr {}, into {}",
            kind_name(args.model),
            splits.train.len(),
            splits.validation.len(),
            config.epochs,
            config.batch_size,
            config.learning_rate,
            run.path().display()
        );
        println!("augmentation: {}", config.augment.describe());
    }
    train(
        &config,
        &splits,
        &run,
        &TrainOptions {
            device: device.clone(),
            resume: args.resume,
            log_every: args.log_every,
            verbose,
        },
    )
}

/// The configuration of a fresh run from the `train` command line. The validation size is
/// filled in once the data is split.
pub fn config_from_args(args: &TrainArgs) -> TrainingConfig {
    TrainingConfig {
        model: ModelConfig::new(args.model, args.latent),
        optimizer: TrainingConfig::adam(),
        learning_rate: args.lr,
        final_learning_rate: args.lr_final,
        epochs: args.epochs,
        batch_size: args.batch_size,
        beta: args.beta,
        seed: args.seed,
        train_limit: args.train_limit,
        validation: 0,
        augment: AugmentConfig {
            translate: args.translate,
            rotate: args.rotate,
            scale: args.scale,
            flip: args.flip,
            noise: args.noise,
        },
        imported: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_weight_batches_by_their_size() {
        let mut totals = Totals::default();
        let values = |loss, correct| BatchValues {
            loss,
            bce: None,
            kl: None,
            correct: Some(correct),
        };
        totals.add(3, values(1.0, 3.0));
        totals.add(1, values(5.0, 0.0));
        assert_eq!(totals.images, 4);
        assert!((totals.mean_loss() - 2.0).abs() < 1e-12);
        assert_eq!(totals.accuracy(), Some(0.75));
        assert_eq!(totals.mean_bce(), None);
    }

    #[test]
    fn lenet_losses_count_the_right_answers() {
        let device = Device::flex();
        let net = convlab_model::LeNet5Config::new().init(&device);
        let images = Tensor::<4>::zeros([4, 1, 28, 28], &device);
        let logits = net.forward(images.clone());
        let predicted: Vec<i64> = logits
            .argmax(1)
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .unwrap();
        // All-zero images give the same prediction p for all four; label two of them p.
        let p = predicted[0];
        let labels = Tensor::<1, Int>::from_data([p, p, (p + 1) % 10, (p + 2) % 10], &device);
        let values = net.losses(images, labels, 1.0).read().unwrap();
        assert_eq!(values.correct, Some(2.0));
        assert!(values.loss.is_finite() && values.loss > 0.0);
    }
}
