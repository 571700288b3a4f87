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

mod check;
mod state_dict;

pub use check::{CheckReport, ExpectedOutputs, compare};
pub use state_dict::{
    ImportedVae, TORCH_TO_BURN, TensorInfo, TorchFormat, check_state_dict, detect_format, read_vae,
    reference_state_dict,
};

use std::path::PathBuf;

use anyhow::{Result, bail};
use burn::tensor::{Device, Tensor, TensorData};

use crate::artifacts::{
    ImportCheck, ImportedFrom, LoadedWeights, ModelConfig, RunDir, TrainState, TrainingConfig,
};

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
/// writes nothing if that fails), then writes `config.json`, `model-0.bpk`, `state.json` (0
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
    run.write_config(&config)?;
    run.start_metrics()?;
    // No optimizer state: a replaced run's Adam state is removed with its weights.
    run.commit(&imported.vae, None, TrainState::default(), None)?;

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
    use std::fs;
    use std::path::Path;

    use burn::module::Module;
    use burn::tensor::DType;
    use convlab_model::VaeConfig;

    use super::*;

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
