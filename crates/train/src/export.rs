//! `convlab-train export`: a trained run packaged for the web app as two files,
//! `NAME.bpk` (the weights, written by Burn's `save_file`) and `NAME.json` (a
//! [`WeightsManifest`]: model, configuration, training settings, test-set figures and the
//! command that repeats the training run). `weights/README.md` documents the layout.
//!
//! Before the JSON is written the `.bpk` is read back from bytes through the model crate's
//! loader, the very path the browser takes, and must give the same outputs as the model that
//! was scored; an export that the web app could not load is never published.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use convlab_digits::{IMAGE_SIZE, MnistDataset, synthetic_digit};
use convlab_model::Noise;
use convlab_model::weights::{
    self, FORMAT, FORMAT_VERSION, LoadedWeights, TestScores, WeightsManifest,
};

use crate::artifacts::{
    ImportedFrom, ModelConfig, RunDir, TrainingConfig, kind_name, write_atomically,
};
use crate::checkpoint::sync_file;
use crate::cli::{ExportArgs, ModelKind};
use crate::data;
use crate::eval::{EvalOptions, EvalReport, evaluate_model};
use crate::import::import_command_line;

/// What to export, and where.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// NAME: the files are `NAME.bpk` and `NAME.json`.
    pub name: String,
    /// The folder to write into (created if needed).
    pub to: PathBuf,
    /// Replace existing files of that name.
    pub force: bool,
    /// How to score the test set.
    pub eval: EvalOptions,
}

/// What [`export`] wrote.
#[derive(Clone, Debug)]
pub struct Exported {
    /// `NAME.bpk`.
    pub weights: PathBuf,
    /// `NAME.json`.
    pub manifest_path: PathBuf,
    /// The contents of `NAME.json`.
    pub manifest: WeightsManifest<TrainingConfig>,
}

/// Checks that `name` makes plain file names: ASCII letters, digits, `-`, `_`, `.`, not
/// starting with `.` (no paths, nothing a URL would need to escape).
pub fn check_name(name: &str) -> Result<()> {
    if !weights::is_weights_name(name) {
        bail!(
            "--name {name:?} cannot name the exported files: use up to 64 letters, digits, '-', \
             '_' and '.', not starting with '.' (e.g. lenet, vae-l2)"
        );
    }
    Ok(())
}

/// `NAME.bpk` and `NAME.json` in the target folder; an error when they exist and `force` is
/// not set.
fn destination(options: &ExportOptions) -> Result<(PathBuf, PathBuf)> {
    let weights_path = options.to.join(format!("{}.bpk", options.name));
    let manifest_path = options.to.join(format!("{}.json", options.name));
    if !options.force {
        for path in [&weights_path, &manifest_path] {
            if path.exists() {
                bail!(
                    "{} already exists: add --force to replace it, or choose another --name",
                    path.display()
                );
            }
        }
    }
    Ok((weights_path, manifest_path))
}

/// `convlab-train export`: checks the name, the run and the destination before loading the
/// MNIST test set, then [`export`]s.
pub fn export_command(args: &ExportArgs, device: &Device) -> Result<Exported> {
    let options = ExportOptions {
        name: args.name.clone(),
        to: args.to.clone(),
        force: args.force,
        eval: EvalOptions {
            limit: None,
            batch_size: 500,
            seed: 0,
        },
    };
    check_name(&options.name)?;
    let run = RunDir::new(&args.model);
    run.read_config()?;
    destination(&options)?;
    let test = data::mnist_dir(args.mnist_dir.clone())
        .test()
        .context("loading the MNIST test images")?;
    export(&run, &test, device, &options)
}

/// Scores the run in `run` on `test`, then writes `NAME.bpk` and `NAME.json` into
/// `options.to`.
pub fn export(
    run: &RunDir,
    test: &MnistDataset,
    device: &Device,
    options: &ExportOptions,
) -> Result<Exported> {
    check_name(&options.name)?;
    let (config, model) = run.load_model(device)?;
    let state = run.read_state().with_context(|| {
        format!(
            "{} has no state.json, so how many epochs its weights had is unknown",
            run.path().display()
        )
    })?;
    if state.epochs_completed == 0 && config.imported.is_none() {
        bail!(
            "{} holds only the initial weights (no completed epoch): train it first",
            run.path().display()
        );
    }

    let (weights_path, manifest_path) = destination(options)?;

    let report = evaluate_model(&model, test, device, &options.eval, state.epochs_completed)?;

    fs::create_dir_all(&options.to)
        .with_context(|| format!("cannot create {}", options.to.display()))?;
    // Saved beside the destination and renamed into place only once the bytes are known to
    // load: a failed export leaves the previous files as they were.
    let scratch = options.to.join(format!("{}.bpk.partial", options.name));
    let saved = match &model {
        LoadedWeights::Lenet(m) => m.clone().save_file(&scratch),
        LoadedWeights::Vae(m) => m.clone().save_file(&scratch),
        LoadedWeights::Ae(m) => m.clone().save_file(&scratch),
    };
    saved.map_err(|err| anyhow!("cannot save {}: {err}", scratch.display()))?;
    let bytes =
        fs::read(&scratch).with_context(|| format!("cannot read back {}", scratch.display()))?;

    let mut note = match &config.imported {
        Some(from) => Some(imported_note(from, state.epochs_completed)),
        None => command_note(&config),
    };
    if let Some(divergence) = &state.diverged {
        let diverged = format!(
            "the run diverged in epoch {} (loss {}); these are the weights of epoch {}",
            divergence.epoch, divergence.loss, state.epochs_completed
        );
        note = Some(match note {
            Some(first) => format!("{first}; {diverged}"),
            None => diverged,
        });
    }
    let manifest = WeightsManifest {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        name: options.name.clone(),
        model: config.model.spec(),
        parameters: match &model {
            LoadedWeights::Lenet(m) => m.num_params(),
            LoadedWeights::Vae(m) => m.num_params(),
            LoadedWeights::Ae(m) => m.num_params(),
        },
        weights_file: format!("{}.bpk", options.name),
        weights_bytes: bytes.len() as u64,
        weights_fnv1a: Some(weights::weights_checksum(&bytes)),
        epochs: state.epochs_completed,
        command: match &config.imported {
            Some(from) => {
                let latent = match &config.model {
                    ModelConfig::Vae(c) => c.latent_dim,
                    _ => bail!(
                        "{} is marked as imported but is not a VAE",
                        run.path().display()
                    ),
                };
                import_command_line(from, latent, &options.name)
            }
            None => reproduce_command(&config, state.epochs_completed, &options.name),
        },
        training: config,
        note,
        test: test_scores(&report),
        exported_by: format!("convlab-train {}", env!("CARGO_PKG_VERSION")),
    };
    let json = serde_json::to_string_pretty(&manifest)?;

    let check = check_round_trip(&model, &json, &bytes, device);
    if let Err(err) = check {
        let _ = fs::remove_file(&scratch);
        return Err(err.context(format!(
            "the exported weights do not load back from bytes; nothing was written to {}",
            options.to.display()
        )));
    }
    // Two renames, each atomic; the manifest's checksum catches a crash between them (the
    // new weights beside the old manifest are refused, not loaded as the old model).
    sync_file(&scratch)?;
    fs::rename(&scratch, &weights_path)
        .with_context(|| format!("cannot write {}", weights_path.display()))?;
    write_atomically(&manifest_path, &format!("{json}\n"))?;
    Ok(Exported {
        weights: weights_path,
        manifest_path,
        manifest,
    })
}

/// Loads `bpk` and `json` as the web app will (from bytes) and checks that the model gives
/// exactly the outputs of `model` on a few synthetic digits.
fn check_round_trip(model: &LoadedWeights, json: &str, bpk: &[u8], device: &Device) -> Result<()> {
    let loaded = weights::load(json, bpk, device)?;
    let mut pixels = Vec::new();
    for digit in [0u8, 3, 7] {
        pixels.extend(synthetic_digit(digit, 1)?);
    }
    let images: Tensor<4> = Tensor::from_data(
        TensorData::new(pixels, [3, 1, IMAGE_SIZE, IMAGE_SIZE]),
        device,
    );
    let (before, after) = match (model, &loaded) {
        (LoadedWeights::Lenet(a), LoadedWeights::Lenet(b)) => {
            (a.forward(images.clone()), b.forward(images))
        }
        (LoadedWeights::Vae(a), LoadedWeights::Vae(b)) => (
            a.forward_with(images.clone(), Noise::Zero)
                .logits
                .flatten(1, 3),
            b.forward_with(images, Noise::Zero).logits.flatten(1, 3),
        ),
        (LoadedWeights::Ae(a), LoadedWeights::Ae(b)) => (
            a.forward(images.clone()).logits.flatten(1, 3),
            b.forward(images).logits.flatten(1, 3),
        ),
        _ => bail!("the JSON names another kind of model than the run holds"),
    };
    if before.into_data() != after.into_data() {
        bail!("the reloaded model computes other outputs than the trained one");
    }
    Ok(())
}

/// The test-set figures of `eval`, as the manifest stores them.
pub fn test_scores(report: &EvalReport) -> TestScores {
    TestScores {
        images: report.images,
        units: report.units.map(str::to_string),
        accuracy: report.accuracy,
        cross_entropy: report.cross_entropy,
        confusion: report.confusion.clone(),
        bce: report.bce,
        kl: report.kl,
        negative_elbo: report.negative_elbo,
        noise: report.noise.clone(),
    }
}

/// The test-set figures in one line: "accuracy 98.91%, cross-entropy 0.0391 nats per image
/// (10000 test images)".
pub fn summary(scores: &TestScores) -> String {
    let mut parts = Vec::new();
    if let Some(accuracy) = scores.accuracy {
        parts.push(format!("accuracy {:.2}%", accuracy * 100.0));
    }
    let units = scores.units.as_deref().unwrap_or("");
    for (name, value) in [
        ("cross-entropy", scores.cross_entropy),
        ("negative ELBO", scores.negative_elbo),
        ("BCE", scores.bce),
        ("KL", scores.kl),
    ] {
        if let Some(value) = value {
            parts.push(format!("{name} {value:.4}"));
        }
    }
    format!(
        "{} {units} ({} test images)",
        parts.join(", "),
        scores.images
    )
}

/// The `convlab-train train` command line that repeats the run `config` describes for
/// `epochs` epochs, into `runs/NAME`. Every setting that config.json records is spelled out
/// (the validation size too, whose default depends on --train-limit), except those the model
/// ignores and that are at their defaults (--latent and --beta for LeNet-5, --beta for the AE).
/// Where the data lives and which device computes are not part of the run's configuration.
pub fn reproduce_command(config: &TrainingConfig, epochs: usize, name: &str) -> String {
    let kind = config.model.kind();
    let latent = match &config.model {
        ModelConfig::Lenet(_) => None,
        ModelConfig::Vae(c) => Some(c.latent_dim),
        ModelConfig::Ae(c) => Some(c.latent_dim),
    };
    let mut args = vec![
        "convlab-train".to_string(),
        "train".to_string(),
        kind_name(kind).to_string(),
        format!("--epochs {epochs}"),
        format!("--batch-size {}", config.batch_size),
        format!("--lr {}", config.learning_rate),
    ];
    if let Some(last) = config.final_learning_rate {
        args.push(format!("--lr-final {last}"));
    }
    if let Some(latent) = latent {
        args.push(format!("--latent {latent}"));
    }
    if kind == ModelKind::Vae || config.beta != 1.0 {
        args.push(format!("--beta {}", config.beta));
    }
    args.push(format!("--seed {}", config.seed));
    if let Some(limit) = config.train_limit {
        args.push(format!("--train-limit {limit}"));
    }
    args.push(format!("--validation {}", config.validation));
    let augment = &config.augment;
    for (flag, value) in [
        ("--translate", augment.translate),
        ("--rotate", augment.rotate),
        ("--scale", augment.scale),
        ("--noise", augment.noise),
    ] {
        if value > 0.0 {
            args.push(format!("{flag} {value}"));
        }
    }
    if augment.flip {
        args.push("--flip".to_string());
    }
    args.push(format!("--out runs/{name}"));
    args.join(" ")
}

/// The note of an imported run: where the weights came from, and that the training settings
/// in its configuration are placeholders (or describe the epochs trained here afterwards).
fn imported_note(from: &ImportedFrom, epochs_here: usize) -> String {
    let mut note = format!(
        "trained in PyTorch and imported from {} ({}) with `convlab-train import-torch`",
        from.file, from.format
    );
    if let Some(check) = &from.check {
        note.push_str(&format!(
            ", matching PyTorch's outputs on {} images within {:.1e}",
            check.images, check.max_abs_diff
        ));
    }
    if epochs_here == 0 {
        note.push_str("; the training settings are placeholders");
    } else {
        note.push_str(&format!(
            "; then trained {epochs_here} more epoch(s) here with the training settings, which              the command above does not repeat"
        ));
    }
    note
}

/// A sentence when the command line cannot express the run's model configuration (a
/// configuration written by hand, e.g. with tanh activations), else `None`.
fn command_note(config: &TrainingConfig) -> Option<String> {
    let latent = match &config.model {
        ModelConfig::Lenet(_) => 2,
        ModelConfig::Vae(c) => c.latent_dim,
        ModelConfig::Ae(c) => c.latent_dim,
    };
    let from_flags = ModelConfig::new(config.model.kind(), latent);
    let same = serde_json::to_value(&from_flags).ok() == serde_json::to_value(&config.model).ok();
    (!same).then(|| {
        "the model configuration differs from the one the command line builds; \
         edit config.json as in training.model before training"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::training::config_from_args;
    use clap::Parser;
    use convlab_digits::AugmentConfig;

    #[test]
    fn names_are_plain_file_names() {
        for good in ["lenet", "vae-l2", "ae_16.v1"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", ".hidden", "a/b", "../x", "with space", "ü"] {
            let err = check_name(bad).unwrap_err().to_string();
            assert!(
                err.contains("cannot name the exported files"),
                "{bad}: {err}"
            );
        }
    }

    /// Parses `command` as `convlab-train` would and builds the configuration of the run.
    fn parse(command: &str) -> TrainingConfig {
        let cli = Cli::try_parse_from(command.split_whitespace()).unwrap();
        let Command::Train(args) = cli.command else {
            panic!("not train: {command}")
        };
        config_from_args(&args)
    }

    #[test]
    fn the_command_line_rebuilds_the_configuration() {
        let mut lenet = parse("convlab-train train lenet");
        lenet.validation = 5000;
        lenet.augment = AugmentConfig {
            translate: 2.0,
            rotate: 12.5,
            scale: 0.1,
            flip: true,
            flip_vertical: false,
            noise: 0.0,
        };
        lenet.learning_rate = 3e-4;
        let mut vae = lenet.clone();
        vae.model = ModelConfig::new(ModelKind::Vae, 16);
        vae.beta = 0.5;
        vae.train_limit = Some(2000);
        vae.validation = 166;
        vae.augment = AugmentConfig {
            noise: 0.3,
            ..AugmentConfig::default()
        };

        for (config, epochs) in [(lenet, 15), (vae, 40)] {
            let command = reproduce_command(&config, epochs, "x");
            let mut rebuilt = parse(&command);
            assert_eq!(rebuilt.epochs, epochs, "{command}");
            assert!(command.ends_with("--out runs/x"), "{command}");
            let mut expected = config.clone();
            expected.epochs = epochs;
            // The validation size is decided by the split: check the flag carries it.
            assert!(
                command.contains(&format!("--validation {}", config.validation)),
                "{command}"
            );
            rebuilt.validation = config.validation;
            assert_eq!(
                serde_json::to_value(&rebuilt).unwrap(),
                serde_json::to_value(&expected).unwrap(),
                "{command}"
            );
            assert!(command_note(&config).is_none());
        }
    }

    #[test]
    fn a_hand_edited_model_is_noted() {
        let mut config = parse("convlab-train train ae --latent 4");
        if let ModelConfig::Ae(c) = &mut config.model {
            c.layer_norm = false;
        }
        assert!(command_note(&config).is_some());
    }
}
