//! `convlab-train import-torch`: the reference VAE trained in PyTorch (the lecture's workshop,
//! `bench/torch_vae.py`), read from its `state_dict` into [`Vae`] and written as a run folder
//! that `eval` and `export` take like any other.
//!
//! Two file formats, told apart by their first bytes rather than their names:
//! - `.pt` / `.pth`: `torch.save(model.state_dict(), path)` (a zip archive; the pre-1.6 pickle
//!   format is read too), through burn-store's `PytorchStore`;
//! - `.safetensors`: `safetensors.torch.save_file(model.state_dict(), path)`, through
//!   `SafetensorsStore` with the `PyTorchToBurnAdapter`.
//!
//! The reader also takes a whole pickled model (`torch.save(model)`) and the pre-1.6 format
//! (checked by hand against PyTorch's outputs; the tests use a zip `state_dict`). A training
//! checkpoint that nests the `state_dict` under a key is refused with a hint.
//!
//! Before anything is loaded, the file's tensor list is compared with the reference VAE's
//! `state_dict` ([`reference_state_dict`]), so every problem is reported in PyTorch's names and
//! shapes: a missing or unexpected tensor, a wrong shape, a dtype other than float32, a latent
//! size other than `--latent`. Only then do the stores load it, renaming the keys
//! ([`TORCH_TO_BURN`]); the adapter transposes each `Linear` weight (PyTorch `[out, in]`, Burn
//! `[in, out]`) and maps LayerNorm's `weight`/`bias` to `gamma`/`beta`. Conv2d and
//! ConvTranspose2d weights have the same layout in both (`[out, in, k, k]` and
//! `[in, out, k, k]`).
//!
//! `--check` compares the loaded model with outputs PyTorch computed ([`ExpectedOutputs`],
//! written by `crates/train/fixtures/make_torch_fixture.py`): μ and log σ² of a few images and
//! the decoder's logits for z = μ.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use burn::store::{ApplyResult, ModuleSnapshot, ModuleStore, PyTorchToBurnAdapter};
use burn::store::{PytorchStore, PytorchStoreError, SafetensorsStore};
use burn::tensor::{DType, Device, Tensor, TensorData};
use convlab_model::encoder::{CONV1_CHANNELS, CONV2_CHANNELS, FEATURES};
use convlab_model::{IMAGE_PIXELS, IMAGE_SIZE, Noise, Vae, VaeConfig};
use serde::Deserialize;

use crate::artifacts::{
    ImportCheck, ImportedFrom, LoadedWeights, ModelConfig, RunDir, TrainState, TrainingConfig,
};

/// Width of the encoder's dense bottleneck in the reference model.
const HIDDEN: usize = 16;

/// PyTorch module names of the reference VAE and the Burn paths they load into.
pub const TORCH_TO_BURN: [(&str, &str); 10] = [
    ("enc_conv1", "encoder.conv1"),
    ("enc_conv2", "encoder.conv2"),
    ("enc_fc", "encoder.fc"),
    ("enc_ln", "encoder.ln"),
    ("enc_mu", "mu"),
    ("enc_logvar", "log_var"),
    ("dec_fc", "decoder.fc"),
    ("dec_deconv1", "decoder.deconv1"),
    ("dec_deconv2", "decoder.deconv2"),
    ("dec_deconv3", "decoder.deconv3"),
];

/// The `state_dict` of `bench/torch_vae.py`'s `VAE(latent)`: each key with its PyTorch shape,
/// in the model's order (20 tensors, 134,197 numbers at latent 2).
pub fn reference_state_dict(latent: usize) -> Vec<(String, Vec<usize>)> {
    let layers: [(&str, Vec<usize>, usize); 10] = [
        ("enc_conv1", vec![CONV1_CHANNELS, 1, 3, 3], CONV1_CHANNELS),
        (
            "enc_conv2",
            vec![CONV2_CHANNELS, CONV1_CHANNELS, 3, 3],
            CONV2_CHANNELS,
        ),
        ("enc_fc", vec![HIDDEN, FEATURES], HIDDEN),
        ("enc_ln", vec![HIDDEN], HIDDEN),
        ("enc_mu", vec![latent, HIDDEN], latent),
        ("enc_logvar", vec![latent, HIDDEN], latent),
        ("dec_fc", vec![FEATURES, latent], FEATURES),
        // ConvTranspose2d weights are [in, out, k, k] in PyTorch (and in Burn).
        (
            "dec_deconv1",
            vec![CONV2_CHANNELS, CONV2_CHANNELS, 3, 3],
            CONV2_CHANNELS,
        ),
        (
            "dec_deconv2",
            vec![CONV2_CHANNELS, CONV1_CHANNELS, 3, 3],
            CONV1_CHANNELS,
        ),
        ("dec_deconv3", vec![CONV1_CHANNELS, 1, 3, 3], 1),
    ];
    layers
        .into_iter()
        .flat_map(|(layer, weight, bias)| {
            [
                (format!("{layer}.weight"), weight),
                (format!("{layer}.bias"), vec![bias]),
            ]
        })
        .collect()
}

/// The two file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TorchFormat {
    /// `torch.save`: a zip archive (PyTorch ≥ 1.6) or a bare pickle (older).
    Pytorch,
    /// safetensors: an 8-byte header length, then a JSON header, then the data.
    Safetensors,
}

impl TorchFormat {
    /// `"pytorch"` or `"safetensors"`, as `config.json` records it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pytorch => "pytorch",
            Self::Safetensors => "safetensors",
        }
    }

    /// For messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Pytorch => "a PyTorch torch.save file",
            Self::Safetensors => "a safetensors file",
        }
    }
}

/// Tells the format from the first bytes of `path`.
pub fn detect_format(path: &Path) -> Result<TorchFormat> {
    let mut head = Vec::with_capacity(16);
    File::open(path)
        .and_then(|file| file.take(16).read_to_end(&mut head))
        .with_context(|| format!("cannot read {}", path.display()))?;
    // safetensors first: its first byte is the low byte of the header length, which may be
    // 0x80, a pickle's first byte; the ninth byte of what torch.save writes is not `{`.
    if head.len() > 8 && head[8] == b'{' {
        return Ok(TorchFormat::Safetensors);
    }
    if head.starts_with(b"PK\x03\x04") || head.first() == Some(&0x80) {
        // A zip archive (torch.save since 1.6) or a pickle (protocol 2+, older torch.save).
        return Ok(TorchFormat::Pytorch);
    }
    if head.is_empty() {
        bail!("{} is empty: not a PyTorch state_dict", path.display());
    }
    bail!(
        "{} is neither a PyTorch torch.save file (a zip archive or a pickle) nor a safetensors \
         file (a length and a JSON header): its first bytes are {:02x?}",
        path.display(),
        &head[..head.len().min(8)]
    )
}

/// One tensor of the file as PyTorch names it.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorInfo {
    /// The `state_dict` key, e.g. `enc_fc.weight`.
    pub name: String,
    /// PyTorch's shape.
    pub shape: Vec<usize>,
    /// Its element type.
    pub dtype: DType,
}

/// A state_dict read into the reference VAE.
#[derive(Debug)]
pub struct ImportedVae {
    /// The model, on the device it was loaded to.
    pub vae: Vae,
    /// Its configuration (the reference VAE at the file's latent size).
    pub config: VaeConfig,
    /// The file's format.
    pub format: TorchFormat,
    /// The file's tensors, in the reference order.
    pub tensors: Vec<TensorInfo>,
    /// The file's size in bytes.
    pub bytes: u64,
}

/// Reads the file's tensor list (names, shapes, dtypes; no data yet).
fn list_tensors(path: &Path, format: TorchFormat) -> Result<Vec<TensorInfo>> {
    let infos = |map: &std::collections::BTreeMap<String, burn::store::burn_pack::Tensor>| {
        map.values()
            .map(|t| TensorInfo {
                name: t.name.clone(),
                shape: t.shape.to_vec(),
                dtype: t.dtype,
            })
            .collect::<Vec<_>>()
    };
    match format {
        TorchFormat::Pytorch => {
            let mut store = PytorchStore::from_file(path).map_indices_contiguous(false);
            match store.get_all_tensors() {
                Ok(map) => Ok(infos(map)),
                Err(err) => Err(pytorch_error(path, &err)),
            }
        }
        TorchFormat::Safetensors => {
            let mut store = SafetensorsStore::from_file(path).map_indices_contiguous(false);
            store.get_all_tensors().map(infos).map_err(|err| {
                anyhow!(
                    "cannot read {} as a safetensors file (truncated or corrupt?): {err}",
                    path.display()
                )
            })
        }
    }
}

/// A reader failure in the user's terms: a damaged archive, or a pickle that is not a dict of
/// tensors (a whole pickled `nn.Module`, a list, ...).
fn pytorch_error(path: &Path, err: &PytorchStoreError) -> anyhow::Error {
    use burn::store::pytorch_reader::PytorchError;
    let what = match err {
        PytorchStoreError::Reader(PytorchError::InvalidFormat(_) | PytorchError::Pickle(_)) => {
            "it holds no state_dict (a dict of tensors) that this reader understands; save the \
             weights with torch.save(model.state_dict(), PATH)"
        }
        PytorchStoreError::Reader(PytorchError::Zip(_) | PytorchError::Io(_)) => {
            "the file is truncated or corrupt"
        }
        _ => "it could not be read",
    };
    anyhow!(
        "cannot read {} as a PyTorch torch.save file: {what} ({err})",
        path.display()
    )
}

/// Compares the file's tensors with the reference VAE's `state_dict` and returns the latent
/// size, or one error listing every problem. `latent`: the size asked for (`--latent`), or
/// `None` to take it from `enc_mu.weight`.
pub fn check_state_dict(
    path: &Path,
    tensors: &[TensorInfo],
    latent: Option<usize>,
) -> Result<usize> {
    let file = path.display();
    if tensors.is_empty() {
        bail!(
            "{file} holds no tensors: not a state_dict. Save the weights with \
             torch.save(model.state_dict(), PATH)"
        );
    }
    let find = |name: &str| tensors.iter().find(|t| t.name == name);
    let reference = reference_state_dict(1);
    let known = |name: &str| reference.iter().any(|(n, _)| n == name);
    if !tensors.iter().any(|t| known(&t.name)) {
        // Keys like `model.enc_conv1.weight`: a checkpoint dict, or a model wrapped in another.
        let nested = tensors
            .iter()
            .find_map(|t| t.name.strip_suffix(".enc_conv1.weight"));
        if let Some(prefix) = nested {
            bail!(
                "{file}: the VAE's tensors are nested under '{prefix}.' (e.g. \
                 '{prefix}.enc_conv1.weight'): this is a checkpoint, not the model's state_dict. \
                 Save the state_dict on its own (torch.save(checkpoint[...], PATH), or \
                 torch.save(model.state_dict(), PATH))"
            );
        }
        bail!(
            "{file} is not a state_dict of the reference VAE (bench/torch_vae.py): none of its \
             {} tensors has a name of that model (first: {})",
            tensors.len(),
            tensors[0].name
        );
    }

    // The latent size: enc_mu.weight is [L, 16].
    let found_latent = find("enc_mu.weight")
        .filter(|t| t.shape.len() == 2 && t.shape[0] > 0)
        .map(|t| t.shape[0]);
    let latent = match (latent, found_latent) {
        (Some(asked), Some(found)) if asked != found => bail!(
            "{file} holds a VAE with latent size {found} (enc_mu.weight is {:?}), not {asked}: \
             use --latent {found}",
            find("enc_mu.weight")
                .map(|t| &t.shape)
                .unwrap_or(&Vec::new())
        ),
        (Some(asked), _) => asked,
        (None, Some(found)) => found,
        (None, None) => {
            bail!("{file}: cannot tell the latent size (no usable enc_mu.weight); give --latent")
        }
    };

    let reference = reference_state_dict(latent);
    let mut problems = Vec::new();
    let missing: Vec<&str> = reference
        .iter()
        .filter(|(name, _)| find(name).is_none())
        .map(|(name, _)| name.as_str())
        .collect();
    if !missing.is_empty() {
        problems.push(format!("missing tensor(s): {}", missing.join(", ")));
    }
    let unexpected: Vec<&str> = tensors
        .iter()
        .filter(|t| !known(&t.name))
        .map(|t| t.name.as_str())
        .collect();
    if !unexpected.is_empty() {
        problems.push(format!(
            "unexpected tensor(s), not in the reference VAE: {}",
            unexpected.join(", ")
        ));
    }
    let mut not_f32 = Vec::new();
    for (name, shape) in &reference {
        let Some(found) = find(name) else { continue };
        if &found.shape != shape {
            problems.push(format!(
                "{name} has shape {:?}; the reference VAE at latent {latent} needs {shape:?}",
                found.shape
            ));
        } else if found.dtype != DType::F32 {
            not_f32.push(format!("{name} is {:?}", found.dtype));
        }
    }
    if !not_f32.is_empty() {
        problems.push(format!(
            "{}: import-torch reads float32 weights (save model.float().state_dict())",
            not_f32.join(", ")
        ));
    }
    if problems.is_empty() {
        Ok(latent)
    } else {
        bail!(
            "{file} does not match the reference VAE (bench/torch_vae.py, latent {latent}):\n  \
             {}",
            problems.join("\n  ")
        )
    }
}

/// Reads `path` (format told by its content) into the reference VAE on `device`. `latent`:
/// `--latent`, or `None` to take it from the file.
pub fn read_vae(path: &Path, latent: Option<usize>, device: &Device) -> Result<ImportedVae> {
    let format = detect_format(path)?;
    let bytes = fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let mut tensors = list_tensors(path, format)?;
    let latent = check_state_dict(path, &tensors, latent)?;
    let order = reference_state_dict(latent);
    tensors.sort_by_key(|t| order.iter().position(|(name, _)| *name == t.name));

    let config = VaeConfig::new().with_latent_dim(latent);
    let mut vae = config.init(device);
    let loaded = match format {
        TorchFormat::Pytorch => {
            let mut store = TORCH_TO_BURN.iter().fold(
                PytorchStore::from_file(path).map_indices_contiguous(false),
                |store, (torch, burn)| {
                    store.with_key_remapping(format!("^{torch}\\."), format!("{burn}."))
                },
            );
            vae.load_from(&mut store).map_err(|err| err.to_string())
        }
        TorchFormat::Safetensors => {
            let mut store = TORCH_TO_BURN.iter().fold(
                SafetensorsStore::from_file(path)
                    .map_indices_contiguous(false)
                    .with_from_adapter(PyTorchToBurnAdapter),
                |store, (torch, burn)| {
                    store.with_key_remapping(format!("^{torch}\\."), format!("{burn}."))
                },
            );
            vae.load_from(&mut store).map_err(|err| err.to_string())
        }
    };
    let result = loaded.map_err(|err| {
        anyhow!(
            "cannot load {} into the reference VAE: {err}",
            path.display()
        )
    })?;
    check_applied(path, &result, order.len())?;
    Ok(ImportedVae {
        vae,
        config,
        format,
        tensors,
        bytes,
    })
}

/// Every tensor applied, none left over: what [`check_state_dict`] established, confirmed on
/// the Burn side (a renaming slip would show here).
fn check_applied(path: &Path, result: &ApplyResult, expected: usize) -> Result<()> {
    if result.errors.is_empty()
        && result.missing.is_empty()
        && result.unused.is_empty()
        && result.applied.len() == expected
    {
        Ok(())
    } else {
        bail!(
            "{}: loading into the Burn model did not use exactly the {expected} tensors of the \
             reference VAE:\n{result}",
            path.display()
        )
    }
}

/// What PyTorch computed for a few images: the JSON that
/// `crates/train/fixtures/make_torch_fixture.py` writes.
#[derive(Clone, Debug, Deserialize)]
pub struct ExpectedOutputs {
    /// Latent size of the model that computed them.
    pub latent: usize,
    /// The PyTorch version, when recorded.
    #[serde(default)]
    pub torch: Option<String>,
    /// `[N][784]`: each image's 28×28 pixels, row by row, in `[0, 1]`.
    pub images: Vec<Vec<f32>>,
    /// `[N][latent]`: μ from `model.encode(images)`.
    pub mu: Vec<Vec<f32>>,
    /// `[N][latent]`: log σ² from `model.encode(images)`.
    pub logvar: Vec<Vec<f32>>,
    /// `[N][784]`: `model.decode_logits(mu)`, z = μ without sampling.
    pub logits: Vec<Vec<f32>>,
}

impl ExpectedOutputs {
    /// Reads and checks the JSON at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let text =
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let expected: Self = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not an expected-outputs JSON (fields latent, images, mu, logvar, logits)",
                path.display()
            )
        })?;
        let n = expected.images.len();
        let rows_ok = |rows: &[Vec<f32>], len: usize| {
            rows.len() == n && rows.iter().all(|row| row.len() == len)
        };
        if n == 0
            || !rows_ok(&expected.images, IMAGE_PIXELS)
            || !rows_ok(&expected.logits, IMAGE_PIXELS)
            || !rows_ok(&expected.mu, expected.latent)
            || !rows_ok(&expected.logvar, expected.latent)
        {
            bail!(
                "{}: expected at least one image, and for each image {IMAGE_PIXELS} pixels, \
                 {IMAGE_PIXELS} logits and {} values of mu and of logvar",
                path.display(),
                expected.latent
            );
        }
        Ok(expected)
    }
}

/// How far the Burn model is from PyTorch's outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport {
    /// Images compared.
    pub images: usize,
    /// Largest |Δ| over μ.
    pub mu: f64,
    /// Largest |Δ| over log σ².
    pub log_var: f64,
    /// Largest |Δ| over the logits.
    pub logits: f64,
}

impl CheckReport {
    /// The largest of the three.
    pub fn max(&self) -> f64 {
        self.mu.max(self.log_var).max(self.logits)
    }

    /// One line: "3 images: max |Δ| μ 1.2e-7, log σ² 3.0e-8, logits 4.5e-7".
    pub fn summary(&self) -> String {
        format!(
            "{} images: max |Δ| μ {:.1e}, log σ² {:.1e}, logits {:.1e}",
            self.images, self.mu, self.log_var, self.logits
        )
    }
}

/// Runs `vae` on the expected images (z = μ) and measures the differences.
pub fn compare(vae: &Vae, expected: &ExpectedOutputs, device: &Device) -> Result<CheckReport> {
    if expected.latent != vae.latent_dim() {
        bail!(
            "the expected outputs are for latent size {}, the model has {}",
            expected.latent,
            vae.latent_dim()
        );
    }
    let n = expected.images.len();
    let pixels: Vec<f32> = expected.images.concat();
    let images: Tensor<4> = Tensor::from_data(
        TensorData::new(pixels, [n, 1, IMAGE_SIZE, IMAGE_SIZE]),
        device,
    );
    let out = vae.forward_with(images, Noise::Zero);
    let values = |t: Tensor<2>| -> Result<Vec<f32>> {
        t.into_data()
            .try_to_vec::<f32>()
            .map_err(|err| anyhow!("cannot read the model's outputs: {err:?}"))
    };
    // NaN compares as an infinite difference.
    let max_diff = |ours: &[f32], theirs: &[Vec<f32>]| {
        ours.iter()
            .zip(theirs.iter().flatten())
            .map(|(a, b)| f64::from((a - b).abs()))
            .fold(0.0f64, |acc, d| {
                if d.is_nan() {
                    f64::INFINITY
                } else {
                    acc.max(d)
                }
            })
    };
    Ok(CheckReport {
        images: n,
        mu: max_diff(&values(out.mu)?, &expected.mu),
        log_var: max_diff(&values(out.log_var)?, &expected.logvar),
        logits: max_diff(&values(out.logits.flatten(1, 3))?, &expected.logits),
    })
}

/// What `import-torch` does.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The `.pt` / `.safetensors` file.
    pub input: PathBuf,
    /// `--latent`, or `None` to read it from the file.
    pub latent: Option<usize>,
    /// The run folder to write.
    pub out: PathBuf,
    /// Expected outputs to compare with.
    pub check: Option<PathBuf>,
    /// Largest accepted |Δ| of the check.
    pub tolerance: f64,
    /// Replace a run already in `out`.
    pub force: bool,
}

/// What [`import`] did.
#[derive(Debug)]
pub struct Imported {
    /// The model as loaded.
    pub vae: ImportedVae,
    /// The check, when one was asked for (it passed).
    pub check: Option<CheckReport>,
    /// The run folder written.
    pub run: RunDir,
}

/// `import-torch`: reads the file, checks it against the expected outputs when asked (and
/// writes nothing if that fails), then writes `config.json`, `model.bpk`, `state.json` (0
/// epochs) and an empty `metrics.csv` into `options.out`, and reads the folder back.
pub fn import(options: &ImportOptions, device: &Device) -> Result<Imported> {
    let run = RunDir::new(&options.out);
    if !options.force {
        for existing in [run.config_path(), run.weights_path(), run.state_path()] {
            if existing.exists() {
                bail!(
                    "{} already exists: add --force to replace the run in {}, or choose another \
                     --out",
                    existing.display(),
                    run.path().display()
                );
            }
        }
    }
    // Read before the (slower) load, so a wrong JSON fails first.
    let expected = options
        .check
        .as_deref()
        .map(ExpectedOutputs::read)
        .transpose()?;
    let imported = read_vae(&options.input, options.latent, device)?;

    let mut check = None;
    if let (Some(expected), Some(path)) = (&expected, &options.check) {
        let report = compare(&imported.vae, expected, device)?;
        let tolerance = options.tolerance;
        if report.max().is_nan() || report.max() > tolerance {
            bail!(
                "{} loaded, but its outputs differ from PyTorch's in {}: {} (tolerance {tolerance:e}); \
                 nothing was written",
                options.input.display(),
                path.display(),
                report.summary()
            );
        }
        check = Some((report, path, expected.torch.clone()));
    }

    let config = TrainingConfig {
        model: ModelConfig::Vae(imported.config.clone()),
        optimizer: TrainingConfig::adam(),
        learning_rate: 1e-3,
        final_learning_rate: None,
        epochs: 0,
        batch_size: 128,
        beta: 1.0,
        seed: 42,
        train_limit: None,
        validation: 0,
        augment: Default::default(),
        imported: Some(ImportedFrom {
            file: options.input.display().to_string(),
            format: imported.format.name().to_string(),
            bytes: imported.bytes,
            check: check.as_ref().map(|(report, path, torch)| ImportCheck {
                file: path.display().to_string(),
                images: report.images,
                max_abs_diff: report.max(),
                torch: torch.clone(),
            }),
        }),
    };
    run.create()?;
    // A replaced run's Adam state must not be resumed with these weights.
    let stale = run.optimizer_path();
    if stale.exists() {
        fs::remove_file(&stale).with_context(|| format!("cannot remove {}", stale.display()))?;
    }
    run.write_config(&config)?;
    run.save_weights(&imported.vae)?;
    run.start_metrics()?;
    run.write_state(&TrainState::default())?;

    // The folder must give back the same model, as `eval` and `export` will load it.
    let (_, reloaded) = run.load_model(device)?;
    let LoadedWeights::Vae(reloaded) = reloaded else {
        bail!("{} does not read back as a VAE", run.path().display());
    };
    let probe = Tensor::<2>::from_data(
        TensorData::new(
            vec![0.5f32; 2 * imported.vae.latent_dim()],
            [2, imported.vae.latent_dim()],
        ),
        device,
    );
    if imported.vae.decode_logits(probe.clone()).into_data()
        != reloaded.decode_logits(probe).into_data()
    {
        bail!(
            "{} does not read back as the model just imported",
            run.weights_path().display()
        );
    }
    Ok(Imported {
        vae: imported,
        check: check.map(|(report, _, _)| report),
        run,
    })
}

/// The command line that repeats an import into `runs/NAME`.
pub fn import_command_line(from: &ImportedFrom, latent: usize, name: &str) -> String {
    let mut args = vec![
        "convlab-train import-torch".to_string(),
        format!("--input {}", from.file),
        format!("--latent {latent}"),
    ];
    if let Some(check) = &from.check {
        args.push(format!("--check {}", check.file));
    }
    args.push(format!("--out runs/{name}"));
    args.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Module;

    #[test]
    fn the_reference_state_dict_counts_the_reference_parameters() {
        let sd = reference_state_dict(2);
        assert_eq!(sd.len(), 20);
        let numbers: usize = sd.iter().map(|(_, s)| s.iter().product::<usize>()).sum();
        assert_eq!(numbers, 134_197);
        assert_eq!(numbers, VaeConfig::new().init(&Device::flex()).num_params());
        let sd16 = reference_state_dict(16);
        let numbers16: usize = sd16.iter().map(|(_, s)| s.iter().product::<usize>()).sum();
        assert_eq!(
            numbers16,
            VaeConfig::new()
                .with_latent_dim(16)
                .init(&Device::flex())
                .num_params()
        );
    }

    #[test]
    fn every_layer_is_renamed() {
        for (name, _) in reference_state_dict(2) {
            let layer = name.split('.').next().unwrap_or_default();
            assert!(
                TORCH_TO_BURN.iter().any(|(torch, _)| *torch == layer),
                "{name}"
            );
        }
    }

    fn listing(latent: usize) -> Vec<TensorInfo> {
        reference_state_dict(latent)
            .into_iter()
            .map(|(name, shape)| TensorInfo {
                name,
                shape,
                dtype: DType::F32,
            })
            .collect()
    }

    #[test]
    fn the_listing_check_names_each_problem() {
        let path = Path::new("vae.pt");
        assert_eq!(check_state_dict(path, &listing(2), None).unwrap(), 2);
        assert_eq!(check_state_dict(path, &listing(16), Some(16)).unwrap(), 16);

        let err = check_state_dict(path, &listing(16), Some(2))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("latent size 16") && err.contains("--latent 16"),
            "{err}"
        );

        let mut tensors = listing(2);
        tensors.retain(|t| t.name != "enc_ln.weight");
        tensors[0].dtype = DType::F64;
        tensors.push(TensorInfo {
            name: "extra.weight".into(),
            shape: vec![1],
            dtype: DType::F32,
        });
        let err = check_state_dict(path, &tensors, Some(2))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("vae.pt"), "{err}");
        assert!(err.contains("missing tensor(s): enc_ln.weight"), "{err}");
        assert!(
            err.contains("unexpected tensor(s), not in the reference VAE: extra.weight"),
            "{err}"
        );
        assert!(err.contains("enc_conv1.weight is F64"), "{err}");

        let nested: Vec<TensorInfo> = listing(2)
            .into_iter()
            .map(|t| TensorInfo {
                name: format!("model_state_dict.{}", t.name),
                ..t
            })
            .collect();
        let err = check_state_dict(path, &nested, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("nested under 'model_state_dict.'"), "{err}");

        let err = check_state_dict(path, &[], None).unwrap_err().to_string();
        assert!(err.contains("holds no tensors: not a state_dict"), "{err}");
    }

    #[test]
    fn the_format_is_told_by_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            fs::write(&path, bytes).unwrap();
            path
        };
        // A header of 128 bytes: the file starts with 0x80 like a pickle.
        let mut header = b"{}".to_vec();
        header.resize(128, b' ');
        let safetensors = [&128u64.to_le_bytes()[..], &header].concat();
        assert_eq!(safetensors[0], 0x80);
        let named_pt = file("weights.pt", &safetensors);
        assert_eq!(detect_format(&named_pt).unwrap(), TorchFormat::Safetensors);
        let zip = file("a.safetensors", b"PK\x03\x04rest of an archive");
        assert_eq!(detect_format(&zip).unwrap(), TorchFormat::Pytorch);
        let pickle = file("old.pt", b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8");
        assert_eq!(detect_format(&pickle).unwrap(), TorchFormat::Pytorch);
        let err = detect_format(&file("empty.pt", b""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty.pt is empty"), "{err}");
        let err = detect_format(&dir.path().join("absent.pt"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot read") && err.contains("absent.pt"),
            "{err}"
        );
    }

    #[test]
    fn the_command_line_repeats_the_import() {
        let from = ImportedFrom {
            file: "vae.pt".into(),
            format: "pytorch".into(),
            bytes: 1,
            check: None,
        };
        assert_eq!(
            import_command_line(&from, 2, "torch-vae"),
            "convlab-train import-torch --input vae.pt --latent 2 --out runs/torch-vae"
        );
    }
}
