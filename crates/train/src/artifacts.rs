//! The files of a training run, written and read in pairs, all in one folder:
//!
//! | file | what | written |
//! |---|---|---|
//! | `config.json` | [`TrainingConfig`]: the model's configuration and the training settings | at the start |
//! | `model-E.bpk` | the weights (Burn's burnpack record) after epoch E, the last completed | each epoch |
//! | `optimizer-E.bpk` | Adam's moment estimates of the same epoch, for `--resume` | each epoch |
//! | `state.json` | [`TrainState`]: epochs completed, the two files above, whether the loss diverged | each epoch |
//! | `metrics.csv` | one [`EpochMetrics`] row per epoch | each epoch |
//!
//! Every file is replaced atomically (written beside it, flushed, then renamed), so a run
//! killed mid-save leaves the previous version. An epoch's checkpoint is committed whole by
//! [`RunDir::commit`](crate::checkpoint): `state.json`, written last, names the weights and
//! optimizer files of its epoch. (A `state.json` that names none means `model.bpk` and
//! `optimizer.bpk`.)

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::optim::AdamConfig;
use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use convlab_digits::AugmentConfig;
use convlab_model::{AutoencoderConfig, LeNet5Config, ModelSpec, VaeConfig};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{sync_dir, sync_file};
use crate::cli::ModelKind;

/// Which model, with its configuration (what `init` needs to rebuild it before loading the
/// weights).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", content = "config", rename_all = "lowercase")]
pub enum ModelConfig {
    /// LeNet-5.
    Lenet(LeNet5Config),
    /// The variational autoencoder.
    Vae(VaeConfig),
    /// The plain autoencoder.
    Ae(AutoencoderConfig),
}

impl ModelConfig {
    /// The reference configuration of `kind`, with latent size `latent` for the autoencoders.
    pub fn new(kind: ModelKind, latent: usize) -> Self {
        match kind {
            ModelKind::Lenet => Self::Lenet(LeNet5Config::new()),
            ModelKind::Vae => Self::Vae(VaeConfig::new().with_latent_dim(latent)),
            ModelKind::Ae => Self::Ae(AutoencoderConfig::new().with_latent_dim(latent)),
        }
    }

    /// Which model this configures.
    pub fn kind(&self) -> ModelKind {
        match self {
            Self::Lenet(_) => ModelKind::Lenet,
            Self::Vae(_) => ModelKind::Vae,
            Self::Ae(_) => ModelKind::Ae,
        }
    }

    /// The same, as the model crate describes shipped weights (the same JSON).
    pub fn spec(&self) -> ModelSpec {
        match self {
            Self::Lenet(c) => ModelSpec::Lenet(c.clone()),
            Self::Vae(c) => ModelSpec::Vae(c.clone()),
            Self::Ae(c) => ModelSpec::Ae(c.clone()),
        }
    }
}

/// The name of a model kind on the command line and in files.
pub fn kind_name(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Lenet => "lenet",
        ModelKind::Vae => "vae",
        ModelKind::Ae => "ae",
    }
}

/// A model rebuilt from a run folder, on a plain (inference) device: the same three kinds the
/// shipped weights' loader gives.
pub use convlab_model::weights::LoadedWeights;

/// Everything `config.json` holds: enough to rebuild the model and to repeat the run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainingConfig {
    /// The model and its configuration.
    pub model: ModelConfig,
    /// Adam's settings (ε = 1e-8 as in PyTorch, not Burn's default 1e-5).
    pub optimizer: AdamConfig,
    /// Adam's learning rate (in the first epoch).
    pub learning_rate: f64,
    /// The learning rate of the last epoch: the rate falls from `learning_rate` to this along
    /// a half cosine, epoch by epoch. Absent (constant rate) in runs from before it existed.
    #[serde(default)]
    pub final_learning_rate: Option<f64>,
    /// Total number of epochs asked for.
    pub epochs: usize,
    /// Images per mini-batch.
    pub batch_size: usize,
    /// Weight of the KL term in the VAE loss (ignored by the other models).
    pub beta: f64,
    /// Seed of initialisation, split, batch order and sampling noise.
    pub seed: u64,
    /// Only the first N training images were used, when set.
    pub train_limit: Option<usize>,
    /// Images held out of the training set for validation.
    pub validation: usize,
    /// Random changes to the training images (never to the validation or test images).
    /// Absent in runs from before augmentation existed: those had none.
    #[serde(default)]
    pub augment: AugmentConfig,
    /// Set when the weights were not trained here but imported from PyTorch by
    /// `convlab-train import-torch`: the training settings above are then placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<ImportedFrom>,
}

/// Where imported weights came from (`import-torch`), kept in `config.json` and the export's
/// `training` field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportedFrom {
    /// The file, as named on the command line.
    pub file: String,
    /// `"pytorch"` (`torch.save`) or `"safetensors"`.
    pub format: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The comparison with PyTorch's own outputs (`--check`), when one was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<ImportCheck>,
}

/// A passed `import-torch --check`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportCheck {
    /// The expected-outputs JSON, as named on the command line.
    pub file: String,
    /// Images compared.
    pub images: usize,
    /// Largest absolute difference over μ, log σ² and the logits.
    pub max_abs_diff: f64,
    /// The PyTorch version that computed the expected outputs, when the file says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torch: Option<String>,
}

impl TrainingConfig {
    /// The learning rate of `epoch` (1-based): `learning_rate` in the first epoch, falling
    /// along a half cosine to `final_learning_rate` in the last; constant when that is unset.
    pub fn learning_rate_at(&self, epoch: usize) -> f64 {
        let Some(last) = self.final_learning_rate else {
            return self.learning_rate;
        };
        if self.epochs <= 1 {
            return self.learning_rate;
        }
        let progress = (epoch.clamp(1, self.epochs) - 1) as f64 / (self.epochs - 1) as f64;
        let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
        last + (self.learning_rate - last) * cosine
    }

    /// Adam as the run uses it: PyTorch's ε = 1e-8 rather than Burn's default 1e-5, so runs
    /// compare with the PyTorch reference.
    pub fn adam() -> AdamConfig {
        AdamConfig::new().with_epsilon(1e-8)
    }
}

/// `state.json`: how far the run got.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Epochs whose weights are in [`TrainState::weights`] (0: the initial weights).
    pub epochs_completed: usize,
    /// The weights' file in the run folder (`model-E.bpk`); none: `model.bpk`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
    /// The optimizer's file (`optimizer-E.bpk`); none: `optimizer.bpk` when `weights` is none
    /// too, and no optimizer state otherwise (an imported model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimizer: Option<String>,
    /// Set when training stopped because the loss became NaN or infinite.
    pub diverged: Option<Divergence>,
}

/// Where the loss stopped being a finite number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    /// The epoch (1-based) in which it happened.
    pub epoch: usize,
    /// The mini-batch (1-based) within that epoch, or `None` for the validation pass.
    pub batch: Option<usize>,
    /// The offending value, as text ("NaN", "inf").
    pub loss: String,
}

/// One row of `metrics.csv`. Columns that do not apply to a model are left empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochMetrics {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss per image over the epoch (what was minimised).
    pub train_loss: f64,
    /// Mean reconstruction BCE per image (VAE, AE).
    pub train_bce: Option<f64>,
    /// Mean KL per image (VAE).
    pub train_kl: Option<f64>,
    /// Fraction of training images classified right (LeNet-5).
    pub train_accuracy: Option<f64>,
    /// The same on the validation images (`None` without a validation set).
    pub val_loss: Option<f64>,
    /// Validation BCE.
    pub val_bce: Option<f64>,
    /// Validation KL.
    pub val_kl: Option<f64>,
    /// Validation accuracy.
    pub val_accuracy: Option<f64>,
    /// Wall-clock seconds for the epoch, validation included.
    pub seconds: f64,
}

impl EpochMetrics {
    /// The CSV header line.
    pub const HEADER: &'static str = "epoch,train_loss,train_bce,train_kl,train_accuracy,\
                                      val_loss,val_bce,val_kl,val_accuracy,seconds";

    /// This row as CSV.
    pub fn to_csv(&self) -> String {
        let opt = |v: Option<f64>| v.map(|v| format!("{v:.6}")).unwrap_or_default();
        let mut line = String::new();
        let _ = write!(
            line,
            "{},{:.6},{},{},{},{},{},{},{},{:.3}",
            self.epoch,
            self.train_loss,
            opt(self.train_bce),
            opt(self.train_kl),
            opt(self.train_accuracy),
            opt(self.val_loss),
            opt(self.val_bce),
            opt(self.val_kl),
            opt(self.val_accuracy),
            self.seconds
        );
        line
    }
}

/// A run folder.
#[derive(Clone, Debug)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// The folder at `path` (nothing is created or checked yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `config.json`.
    pub fn config_path(&self) -> PathBuf {
        self.path.join("config.json")
    }

    /// The weights `state.json` names (`model-E.bpk`), or `model.bpk`.
    pub fn weights_path(&self) -> PathBuf {
        let state = self.read_state().ok();
        let named = state.and_then(|s| s.weights).filter(|n| is_plain_name(n));
        self.path.join(named.as_deref().unwrap_or("model.bpk"))
    }

    /// The optimizer state `state.json` names (`optimizer-E.bpk`), `optimizer.bpk` for a
    /// state that names no files, or `None` when the checkpoint has no optimizer state.
    pub fn optimizer_path(&self) -> Option<PathBuf> {
        match self.read_state() {
            Ok(TrainState {
                weights: Some(_),
                optimizer,
                ..
            }) => optimizer
                .filter(|n| is_plain_name(n))
                .map(|n| self.path.join(n)),
            _ => Some(self.path.join("optimizer.bpk")),
        }
    }

    /// `state.json`.
    pub fn state_path(&self) -> PathBuf {
        self.path.join("state.json")
    }

    /// `metrics.csv`.
    pub fn metrics_path(&self) -> PathBuf {
        self.path.join("metrics.csv")
    }

    /// Creates the folder if needed.
    pub fn create(&self) -> Result<()> {
        fs::create_dir_all(&self.path)
            .with_context(|| format!("cannot create the run folder {}", self.path.display()))
    }

    /// Writes `config.json`.
    pub fn write_config(&self, config: &TrainingConfig) -> Result<()> {
        let json = serde_json::to_string_pretty(config)?;
        write_atomically(&self.config_path(), &json)
    }

    /// Reads `config.json`, saying what to run when it is not there.
    pub fn read_config(&self) -> Result<TrainingConfig> {
        let path = self.config_path();
        if !path.is_file() {
            bail!(
                "no {}, so {} is not a training run: run `convlab-train train vae --out {}` \
                 (or lenet / ae) first",
                path.display(),
                self.path.display(),
                self.path.display()
            );
        }
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a convlab-train config", path.display()))
    }

    /// Writes `state.json`.
    pub fn write_state(&self, state: &TrainState) -> Result<()> {
        write_atomically(&self.state_path(), &serde_json::to_string_pretty(state)?)
    }

    /// Reads `state.json`.
    pub fn read_state(&self) -> Result<TrainState> {
        let path = self.state_path();
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {}: no checkpoint to resume from; train without --resume first",
                path.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("{} is corrupt", path.display()))
    }

    /// Loads the checkpoint's weights ([`RunDir::weights_path`]) into `model` (built from the
    /// same configuration).
    pub fn load_weights<M: Module>(&self, model: M) -> Result<M> {
        let path = self.weights_path();
        if !path.is_file() {
            bail!(
                "no weights at {}: run `convlab-train train <model> --out {}` first (a run that \
                 diverged before its first epoch saves none)",
                path.display(),
                self.path.display()
            );
        }
        model.try_load_file(&path).map_err(|err| {
            anyhow::anyhow!(
                "cannot load {} into the model config.json describes: {err}",
                path.display()
            )
        })
    }

    /// Loads the checkpoint's optimizer state into `optimizer`; `None` when it has none.
    pub fn load_optimizer(&self, optimizer: ModuleOptimizer) -> Result<Option<ModuleOptimizer>> {
        let Some(path) = self.optimizer_path().filter(|p| p.is_file()) else {
            return Ok(None);
        };
        optimizer
            .load(&path)
            .map(Some)
            .map_err(|err| anyhow::anyhow!("cannot load {}: {err}", path.display()))
    }

    /// Starts `metrics.csv` afresh (header only).
    pub fn start_metrics(&self) -> Result<()> {
        write_atomically(&self.metrics_path(), &format!("{}\n", EpochMetrics::HEADER))
    }

    /// Keeps the header and the rows of epochs `1..=epochs`, dropping any later ones (from a
    /// run killed between writing its metrics and its checkpoint).
    pub fn truncate_metrics(&self, epochs: usize) -> Result<()> {
        let path = self.metrics_path();
        let text = fs::read_to_string(&path).unwrap_or_default();
        let mut kept = format!("{}\n", EpochMetrics::HEADER);
        for line in text.lines().skip(1) {
            let epoch = line.split(',').next().and_then(|e| e.parse::<usize>().ok());
            if epoch.is_some_and(|e| e <= epochs) {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        write_atomically(&path, &kept)
    }

    /// Appends one row to `metrics.csv`.
    pub fn append_metrics(&self, row: &EpochMetrics) -> Result<()> {
        let path = self.metrics_path();
        let mut text =
            fs::read_to_string(&path).unwrap_or_else(|_| format!("{}\n", EpochMetrics::HEADER));
        text.push_str(&row.to_csv());
        text.push('\n');
        write_atomically(&path, &text)
    }

    /// Rebuilds the trained model from `config.json` and `model.bpk` on `device` (a plain,
    /// inference device).
    pub fn load_model(&self, device: &Device) -> Result<(TrainingConfig, LoadedWeights)> {
        let config = self.read_config()?;
        let model = match &config.model {
            ModelConfig::Lenet(c) => LoadedWeights::Lenet(self.load_weights(c.init(device))?),
            ModelConfig::Vae(c) => LoadedWeights::Vae(self.load_weights(c.init(device))?),
            ModelConfig::Ae(c) => LoadedWeights::Ae(self.load_weights(c.init(device))?),
        };
        Ok((config, model))
    }
}

/// Writes `text` beside `path` (under a name no other writer uses), flushes it to the disk and
/// renames it into place, so `path` is never half-written, even after a power cut.
pub(crate) fn write_atomically(path: &Path, text: &str) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut scratch = path.as_os_str().to_owned();
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    scratch.push(format!(".{}-{unique}.tmp", std::process::id()));
    let scratch = PathBuf::from(scratch);
    fs::write(&scratch, text).with_context(|| format!("cannot write {}", scratch.display()))?;
    sync_file(&scratch)?;
    fs::rename(&scratch, path).with_context(|| format!("cannot write {}", path.display()))?;
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(())
}

/// A file name with no folder in it (what `state.json` may name).
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != ".."
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_learning_rate_falls_along_a_half_cosine() {
        let mut config = TrainingConfig {
            epochs: 9,
            ..config()
        };
        assert_eq!(config.learning_rate_at(1), 1e-3);
        assert_eq!(
            config.learning_rate_at(9),
            1e-3,
            "constant without a final rate"
        );
        config.final_learning_rate = Some(1e-5);
        assert_eq!(config.learning_rate_at(1), 1e-3);
        assert!((config.learning_rate_at(9) - 1e-5).abs() < 1e-12);
        let middle = config.learning_rate_at(5);
        assert!((middle - (1e-3 + 1e-5) / 2.0).abs() < 1e-12, "{middle}");
    }

    fn config() -> TrainingConfig {
        TrainingConfig {
            model: ModelConfig::new(ModelKind::Vae, 16),
            optimizer: TrainingConfig::adam(),
            learning_rate: 1e-3,
            final_learning_rate: None,
            epochs: 3,
            batch_size: 64,
            beta: 0.5,
            seed: 7,
            train_limit: Some(100),
            validation: 10,
            augment: AugmentConfig {
                translate: 2.0,
                noise: 0.25,
                ..AugmentConfig::default()
            },
            imported: None,
        }
    }

    #[test]
    fn config_round_trips_and_names_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::new(dir.path());
        run.write_config(&config()).unwrap();
        let text = fs::read_to_string(run.config_path()).unwrap();
        assert!(text.contains("\"kind\": \"vae\""), "{text}");
        assert!(text.contains("\"epsilon\": 1e-8"), "{text}");
        let back = run.read_config().unwrap();
        let ModelConfig::Vae(vae) = back.model else {
            panic!("not a VAE")
        };
        assert_eq!((vae.latent_dim, back.beta, back.seed), (16, 0.5, 7));
        assert_eq!(back.augment, config().augment);
        assert!(text.contains("\"translate\": 2.0"), "{text}");
    }

    #[test]
    fn a_config_from_before_augmentation_reads_as_none() {
        // runs/lenet5/config.json as the first version of the trainer wrote it.
        let old = r#"{"model": {"kind": "lenet", "config": {"num_classes": 10, "activation": "Relu"}},
            "optimizer": {"weight_decay": null, "grad_clipping": null, "beta_1": 0.9,
                          "beta_2": 0.999, "epsilon": 1e-8, "amsgrad": false},
            "learning_rate": 0.001, "epochs": 15, "batch_size": 128, "beta": 1.0, "seed": 42,
            "train_limit": null, "validation": 5000}"#;
        let config: TrainingConfig = serde_json::from_str(old).unwrap();
        assert!(config.augment.is_identity());
    }

    #[test]
    fn model_config_and_spec_write_the_same_json() {
        for kind in [ModelKind::Lenet, ModelKind::Vae, ModelKind::Ae] {
            let config = ModelConfig::new(kind, 3);
            assert_eq!(
                serde_json::to_value(&config).unwrap(),
                serde_json::to_value(config.spec()).unwrap()
            );
        }
    }

    #[test]
    fn a_missing_config_says_what_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let err = RunDir::new(dir.path())
            .read_config()
            .unwrap_err()
            .to_string();
        assert!(err.contains("run `convlab-train train vae"), "{err}");
        let err = RunDir::new(dir.path())
            .load_model(&Device::flex())
            .unwrap_err()
            .to_string();
        assert!(err.contains("convlab-train train"), "{err}");
    }

    #[test]
    fn missing_weights_say_what_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::new(dir.path());
        run.write_config(&config()).unwrap();
        let err = run.load_model(&Device::flex()).unwrap_err().to_string();
        assert!(
            err.contains("no weights") && err.contains("convlab-train train"),
            "{err}"
        );
    }

    #[test]
    fn vae_weights_round_trip_to_the_same_outputs() {
        use burn::tensor::{Distribution, Tensor};
        use convlab_model::Noise;

        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::new(dir.path());
        run.write_config(&config()).unwrap();
        let device = Device::flex();
        let ModelConfig::Vae(vae_config) = config().model else {
            panic!("not a VAE")
        };
        let vae = vae_config.init(&device);
        run.commit(&vae, None, TrainState::default(), None).unwrap();

        let (_, loaded) = run.load_model(&device).unwrap();
        let LoadedWeights::Vae(loaded) = loaded else {
            panic!("not a VAE")
        };
        let x = Tensor::<4>::random([2, 1, 28, 28], Distribution::Default, &device);
        let a = vae.forward_with(x.clone(), Noise::Zero).logits.into_data();
        let b = loaded.forward_with(x, Noise::Zero).logits.into_data();
        assert_eq!(a, b);
    }

    #[test]
    fn metrics_rows_append_and_truncate() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::new(dir.path());
        run.start_metrics().unwrap();
        for epoch in 1..=3 {
            let row = EpochMetrics {
                epoch,
                train_loss: 1.0,
                train_accuracy: Some(0.5),
                ..Default::default()
            };
            run.append_metrics(&row).unwrap();
        }
        run.truncate_metrics(2).unwrap();
        let text = fs::read_to_string(run.metrics_path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0], EpochMetrics::HEADER);
        assert!(lines[2].starts_with("2,1.000000,,,0.500000,,,,,"), "{text}");
    }
}
