//! A training run on disk: mini-batch Adam over the training images (the steps are
//! `convlab-learn`'s [`Session`], the loop the browser runs too), a validation pass on the
//! unchanged validation images and a checkpoint after every epoch, and a clean stop when the
//! loss stops being a number.
//!
//! One loop serves the three models through [`Objective`], which says what each minimises.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use burn::tensor::Device;
use convlab_digits::{AugmentConfig, MnistDataset};
use convlab_learn::{Hyper, Objective, Session, Totals};
use futures::executor::block_on;

use crate::artifacts::{
    Divergence, EpochMetrics, ModelConfig, RunDir, TrainState, TrainingConfig, kind_name,
};
use crate::checkpoint::Fault;
use crate::cli::TrainArgs;
use crate::data::{self, Splits};

/// Scores `model` on all of `data`, `batch_size` images at a time, without gradients.
/// The VAE draws its noise from `device`'s generator: seed it first for a repeatable score.
pub fn score<M: Objective>(
    model: &M,
    data: &MnistDataset,
    beta: f64,
    batch_size: usize,
    device: &Device,
) -> Result<Totals> {
    let score = convlab_learn::score(model, data, beta, batch_size, device, false);
    Ok(block_on(score).map_err(|e| anyhow!(e))?.totals)
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
        /// The epoch whose weights the run keeps (0: the initial weights).
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
    /// A simulated crash while saving (tests of `--resume`); `None` in real runs.
    pub fault: Option<Fault>,
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

fn fit<M: Objective + Clone>(
    model: M,
    config: &TrainingConfig,
    splits: &Splits,
    run: &RunDir,
    options: &TrainOptions,
) -> Result<TrainOutcome> {
    if config.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    if splits.train.is_empty() {
        bail!("no training images");
    }
    config.augment.check()?;
    let (model, optimizer, start) = open_run(model, config, run, options)?;
    let mut session = Session::new(
        model,
        optimizer,
        splits.train.clone(),
        config.augment,
        config.seed,
        options.device.clone().autodiff(),
        start + 1,
    );
    if start >= config.epochs {
        say(
            options,
            format!(
                "{} already has {start} epochs (asked for {}): nothing to do",
                run.path().display(),
                config.epochs
            ),
        );
    }
    let mut last = None;
    for epoch in start + 1..=config.epochs {
        let started = Instant::now();
        let totals = match train_epoch(&mut session, config, options)? {
            Ok(totals) => totals,
            Err(divergence) => return stop_diverged(run, epoch - 1, divergence),
        };
        let validation = match validate(session.model(), config, splits, options, epoch)? {
            Ok(validation) => validation,
            Err(divergence) => return stop_diverged(run, epoch - 1, divergence),
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
        checkpoint(run, &session, &row, options.fault)?;
        say(options, epoch_line(config, &row));
        last = Some(row);
    }
    Ok(TrainOutcome::Finished {
        epochs_completed: config.epochs.max(start),
        last,
    })
}

fn say(options: &TrainOptions, line: String) {
    if options.verbose {
        println!("{line}");
        let _ = std::io::stdout().flush();
    }
}

/// The weights, the optimizer and the number of epochs already done: a fresh run's (written
/// out as epoch 0, so a run that diverges at once still leaves weights to inspect), or with
/// `options.resume` those saved in `run`.
fn open_run<M: Objective>(
    model: M,
    config: &TrainingConfig,
    run: &RunDir,
    options: &TrainOptions,
) -> Result<(M, burn::optim::ModuleOptimizer, usize)> {
    if !options.resume {
        run.create()?;
        run.write_config(config)?;
        run.start_metrics()?;
        run.commit(&model, None, TrainState::default(), options.fault)?;
        return Ok((model, TrainingConfig::adam().init(), 0));
    }
    let state = run.read_state()?;
    let model = run.load_weights(model)?;
    let optimizer = run
        .load_optimizer(TrainingConfig::adam().init())?
        .unwrap_or_else(|| TrainingConfig::adam().init());
    run.truncate_metrics(state.epochs_completed)?;
    if let Some(d) = &state.diverged {
        say(
            options,
            format!(
                "note: this run diverged before (epoch {}, loss {}); resuming from epoch {}",
                d.epoch, d.loss, state.epochs_completed
            ),
        );
    }
    // The number of epochs is the one thing a resumed run may change.
    run.write_config(config)?;
    Ok((model, optimizer, state.epochs_completed))
}

/// One epoch of mini-batch steps: the training totals, or where the loss stopped being a
/// number.
fn train_epoch<M: Objective + Clone>(
    session: &mut Session<M>,
    config: &TrainingConfig,
    options: &TrainOptions,
) -> Result<Result<Totals, Divergence>> {
    let epoch = session.epoch();
    let hyper = Hyper {
        learning_rate: config.learning_rate_at(epoch),
        batch_size: config.batch_size,
        beta: config.beta,
        ..Hyper::default()
    };
    let batches_per_epoch = session.batches_per_epoch(config.batch_size);
    let mut totals = Totals::default();
    let mut window = (Instant::now(), 0usize);
    loop {
        let step = session.step(&hyper);
        let values = block_on(step.losses.read(step.penalty.as_ref())).map_err(|e| anyhow!(e))?;
        if !values.is_finite() {
            return Ok(Err(Divergence {
                epoch,
                batch: Some(step.batch),
                loss: format!("{}", values.loss),
            }));
        }
        totals.add(step.images, values);
        window.1 += step.images;
        if options.verbose && options.log_every > 0 && step.batch.is_multiple_of(options.log_every)
        {
            let rate = window.1 as f64 / window.0.elapsed().as_secs_f64().max(1e-9);
            eprintln!(
                "epoch {epoch}/{} · batch {}/{batches_per_epoch} · loss {:.4} · {rate:.0} images/s",
                config.epochs,
                step.batch,
                totals.mean_loss()
            );
            window = (Instant::now(), 0);
        }
        if step.ends_epoch {
            return Ok(Ok(totals));
        }
    }
}

/// The validation totals after `epoch` (none without validation images), or a divergence
/// when their loss is not a number.
fn validate<M: Objective>(
    model: &M,
    config: &TrainingConfig,
    splits: &Splits,
    options: &TrainOptions,
    epoch: usize,
) -> Result<Result<Option<Totals>, Divergence>> {
    if splits.validation.is_empty() {
        return Ok(Ok(None));
    }
    let plain = options.device.clone();
    plain.seed(config.seed.wrapping_add(1_000_003));
    let batch_size = config.batch_size.max(256);
    let totals = score(
        &model.valid(),
        &splits.validation,
        config.beta,
        batch_size,
        &plain,
    )?;
    if !totals.mean_loss().is_finite() {
        return Ok(Err(Divergence {
            epoch,
            batch: None,
            loss: format!("{}", totals.mean_loss()),
        }));
    }
    Ok(Ok(Some(totals)))
}

/// Saves an epoch: its metrics row (a resume cuts rows past the committed epoch), then the
/// weights, the optimizer and the state, committed together.
fn checkpoint<M: Objective + Clone>(
    run: &RunDir,
    session: &Session<M>,
    row: &EpochMetrics,
    fault: Option<Fault>,
) -> Result<()> {
    run.append_metrics(row)?;
    let state = TrainState {
        epochs_completed: row.epoch,
        ..TrainState::default()
    };
    run.commit(session.model(), Some(session.optimizer()), state, fault)
}

/// Records the divergence and leaves the last completed epoch's checkpoint in place.
fn stop_diverged(run: &RunDir, kept_epoch: usize, divergence: Divergence) -> Result<TrainOutcome> {
    let mut state = run.read_state()?;
    debug_assert_eq!(state.epochs_completed, kept_epoch);
    state.diverged = Some(divergence.clone());
    run.write_state(&state)?;
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
            fault: None,
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
            flip_vertical: false,
            noise: args.noise,
        },
        imported: None,
    }
}
