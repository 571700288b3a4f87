//! `import-torch` against the PyTorch fixture in `crates/train/fixtures/` (made by
//! `make_torch_fixture.py` from `bench/torch_vae.py`): the reference VAE's `state_dict` at
//! latent 2 as `.pt` and `.safetensors`, and PyTorch's outputs for three images. Broken files
//! are made here from the fixture: cut short, or with their safetensors header edited.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use burn::tensor::{Device, Tensor, TensorData};
use convlab_digits::{IMAGE_PIXELS, MnistDataset};
use convlab_model::Vae;
use convlab_train::artifacts::{LoadedWeights, RunDir};
use convlab_train::eval::EvalOptions;
use convlab_train::export::{ExportOptions, export};
use convlab_train::import::{ExpectedOutputs, ImportOptions, Imported, compare, import};
use serde_json::Value;

const TOLERANCE: f64 = 1e-4;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn expected() -> PathBuf {
    fixture("vae_latent2_expected.json")
}

fn options(input: &Path, out: &Path, check: bool) -> ImportOptions {
    ImportOptions {
        input: input.to_path_buf(),
        latent: Some(2),
        out: out.to_path_buf(),
        check: check.then(expected),
        tolerance: TOLERANCE,
        force: false,
    }
}

fn import_fixture(name: &str, out: &Path) -> Imported {
    let imported = import(&options(&fixture(name), out, true), &Device::flex())
        .unwrap_or_else(|err| panic!("{name}: {err:#}"));
    let report = imported.check.clone().unwrap();
    assert_eq!(report.images, 3);
    assert!(report.max() <= TOLERANCE, "{name}: {}", report.summary());
    imported
}

/// The decoder's logits for a few latent codes, to compare two models.
fn logits(vae: &Vae) -> Vec<f32> {
    let z = Tensor::<2>::from_data(
        TensorData::new(vec![-1.5f32, 0.5, 0.0, 0.0, 2.0, -0.7], [3, 2]),
        &Device::flex(),
    );
    vae.decode_logits(z)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
}

/// The fixture's safetensors file with its JSON header changed by `edit` (the data untouched).
fn edited_safetensors(
    dir: &Path,
    name: &str,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> PathBuf {
    let bytes = fs::read(fixture("vae_latent2.safetensors")).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: Value = serde_json::from_slice(&bytes[8..8 + len]).unwrap();
    edit(header.as_object_mut().unwrap());
    let mut text = serde_json::to_vec(&header).unwrap();
    while !text.len().is_multiple_of(8) {
        text.push(b' ');
    }
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&text);
    out.extend_from_slice(&bytes[8 + len..]);
    let path = dir.join(name);
    fs::write(&path, out).unwrap();
    path
}

fn import_error(input: &Path, out: &Path, check: bool) -> String {
    let err = import(&options(input, out, check), &Device::flex()).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains(&input.display().to_string()),
        "the error names the file: {text}"
    );
    assert!(!out.exists(), "nothing is written on an error: {text}");
    text
}

#[test]
fn the_pt_fixture_matches_pytorch_and_makes_a_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("torch-vae");
    let imported = import_fixture("vae_latent2.pt", &out);
    assert_eq!(imported.vae.tensors.len(), 20);

    // A run folder like a trained one: eval and export load it the same way.
    let run = RunDir::new(&out);
    assert_eq!(run.read_state().unwrap().epochs_completed, 0);
    let (config, model) = run.load_model(&Device::flex()).unwrap();
    let from = config.imported.unwrap();
    assert_eq!(from.format, "pytorch");
    assert!(from.check.unwrap().max_abs_diff <= TOLERANCE);
    let LoadedWeights::Vae(reloaded) = model else {
        panic!("not a VAE")
    };
    let expected = ExpectedOutputs::read(&expected()).unwrap();
    let report = compare(&reloaded, &expected, &Device::flex()).unwrap();
    assert!(report.max() <= TOLERANCE, "{}", report.summary());
}

#[test]
fn the_safetensors_fixture_matches_pytorch_and_the_pt() {
    let dir = tempfile::tempdir().unwrap();
    let from_safetensors = import_fixture("vae_latent2.safetensors", &dir.path().join("st"));
    assert_eq!(from_safetensors.vae.format.name(), "safetensors");
    let from_pt = import_fixture("vae_latent2.pt", &dir.path().join("pt"));
    assert_eq!(
        logits(&from_safetensors.vae.vae),
        logits(&from_pt.vae.vae),
        "the two files hold the same weights"
    );
}

#[test]
fn truncated_and_foreign_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    for name in ["vae_latent2.pt", "vae_latent2.safetensors"] {
        let bytes = fs::read(fixture(name)).unwrap();
        let cut = dir.path().join(format!("cut-{name}"));
        fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
        let err = import_error(&cut, &out, false);
        assert!(err.contains("truncated or corrupt"), "{err}");
    }
    let text = dir.path().join("notes.pt");
    fs::write(&text, "not weights\n").unwrap();
    let err = import_error(&text, &out, false);
    assert!(
        err.contains("neither a PyTorch torch.save file") && err.contains("nor a safetensors"),
        "{err}"
    );
    // A valid safetensors file with no tensors: the header `{}` padded to 8 bytes.
    let empty = dir.path().join("empty.safetensors");
    fs::write(&empty, [&8u64.to_le_bytes()[..], b"{}      "].concat()).unwrap();
    let err = import_error(&empty, &out, false);
    assert!(err.contains("holds no tensors: not a state_dict"), "{err}");
}

#[test]
fn a_wrong_shape_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // Same number of values, so the file itself stays valid; only the shape is wrong.
    let path = edited_safetensors(dir.path(), "reshaped.safetensors", |header| {
        header["enc_fc.weight"]["shape"] = serde_json::json!([32, 1568]);
    });
    let err = import_error(&path, &dir.path().join("run"), false);
    assert!(
        err.contains("enc_fc.weight has shape [32, 1568]") && err.contains("needs [16, 3136]"),
        "{err}"
    );
}

#[test]
fn missing_unexpected_and_latent_mismatches_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let path = edited_safetensors(dir.path(), "renamed.safetensors", |header| {
        let ln = header.remove("enc_ln.weight").unwrap();
        header.insert("enc_norm.weight".into(), ln);
    });
    let err = import_error(&path, &out, false);
    assert!(err.contains("missing tensor(s): enc_ln.weight"), "{err}");
    assert!(
        err.contains("not in the reference VAE: enc_norm.weight"),
        "{err}"
    );

    let mut wrong_latent = options(&fixture("vae_latent2.pt"), &out, false);
    wrong_latent.latent = Some(16);
    let err = format!("{:#}", import(&wrong_latent, &Device::flex()).unwrap_err());
    assert!(
        err.contains("latent size 2") && err.contains("use --latent 2"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn swapped_layer_norm_parameters_fail_the_check() {
    // gamma ↔ beta have the same shape: only the outputs can tell, so the check must.
    let dir = tempfile::tempdir().unwrap();
    let path = edited_safetensors(dir.path(), "swapped.safetensors", |header| {
        let weight = header.remove("enc_ln.weight").unwrap();
        let bias = header.remove("enc_ln.bias").unwrap();
        header.insert("enc_ln.weight".into(), bias);
        header.insert("enc_ln.bias".into(), weight);
    });
    let err = import_error(&path, &dir.path().join("run"), true);
    assert!(
        err.contains("its outputs differ from PyTorch's") && err.contains("nothing was written"),
        "{err}"
    );
}

#[test]
fn an_imported_run_exports_with_the_import_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("torch-vae");
    import_fixture("vae_latent2.safetensors", &out);
    // Eight blank images stand in for the MNIST test set: the figures do not matter here.
    let test = MnistDataset::from_parts(vec![0.0; 8 * IMAGE_PIXELS], vec![0; 8]).unwrap();
    let exported = export(
        &RunDir::new(&out),
        &test,
        &Device::flex(),
        &ExportOptions {
            name: "torch-vae".into(),
            to: dir.path().join("weights"),
            force: false,
            eval: EvalOptions {
                limit: None,
                batch_size: 8,
                seed: 0,
            },
        },
    )
    .unwrap();
    let manifest = exported.manifest;
    assert!(
        manifest
            .command
            .starts_with("convlab-train import-torch --input ")
            && manifest.command.ends_with("--out runs/torch-vae"),
        "{}",
        manifest.command
    );
    let note = manifest.note.unwrap();
    assert!(
        note.contains("imported from") && note.contains("placeholders"),
        "{note}"
    );
    assert_eq!(manifest.epochs, 0);
}

#[test]
fn the_command_line_imports_checks_and_keeps_an_existing_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("torch-vae");
    let run = |extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_convlab-train"));
        command.args(["import-torch", "--input"]);
        command.arg(fixture("vae_latent2.pt"));
        command
            .arg("--out")
            .arg(&out)
            .arg("--check")
            .arg(expected());
        command.args(extra);
        command.output().unwrap()
    };
    let first = run(&["--latent", "2"]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains("the reference VAE at latent 2"), "{stdout}");
    assert!(stdout.contains("3 images: max |Δ| μ"), "{stdout}");

    let again = run(&[]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success() && stderr.contains("add --force"),
        "{stderr}"
    );
    assert!(run(&["--force"]).status.success());
}
