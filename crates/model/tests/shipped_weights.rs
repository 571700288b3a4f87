//! Every shipped weights file still fits the model it claims to be, and still works.
//!
//! For each `weights/NAME.json` of the workspace (or of the folder `CONVLAB_WEIGHTS_DIR`
//! names), `NAME.bpk` is loaded from bytes through [`convlab_model::weights`], exactly as the
//! web app loads what it fetched, into the model the JSON describes. A change to a model that
//! the shipped weights no longer fit fails here, naming the file, not in a browser. Then:
//!
//! - every model gives finite outputs of the right shape on a few synthetic digits;
//! - LeNet-5 labels at least 90% of 200 synthetic digits (20 of each) as the digit they were
//!   drawn as: the bar the synthetic generator has to clear for the web app's offline demos.
//!   Short of it, the per-digit accuracy is printed and the test fails;
//! - a VAE or autoencoder reconstructs synthetic digits with a BCE well below that of untrained
//!   weights;
//! - its decoder prepared for the CPU ([`convlab_model::CpuDecoder`], what the browser decodes
//!   with on the CPU backend) decodes what Burn's module decodes, within 1e-4, over codes
//!   spread across the prior and over the latent map's manifold; and each code decoded alone
//!   gives the image it gave decoded with its neighbours.
//!
//! Without any `weights/*.json` there is nothing to check, and the test says so and passes.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor};
use convlab_digits::latent::manifold_grid;
use convlab_digits::{
    EXAMPLE_SEED, IMAGE_PIXELS, IMAGE_SIZE, MnistDataset, example_digit, synthetic_dataset,
};
use convlab_model::Batches;
use convlab_model::weights::{self, LoadedWeights};
use convlab_model::{ConvDecoder, CpuDecoder, Noise, bce_with_logits};

/// The share of synthetic digits LeNet-5 must label right.
const SYNTHETIC_ACCURACY: f64 = 0.9;
/// Synthetic digits scored per LeNet-5 file (labels cycle 0–9: 20 of each).
const SYNTHETIC_DIGITS: usize = 200;
/// Seed of those digits (any fixed seed; these are not the digits of any other test).
const SYNTHETIC_SEED: u64 = 0;
/// Digits run through every model for the shape and finiteness checks.
const SMOKE_DIGITS: usize = 4;
/// Synthetic digits an autoencoder reconstructs for the reconstruction check.
const RECONSTRUCTED_DIGITS: usize = 50;
/// The largest mean reconstruction BCE (nats per image) a shipped autoencoder may have on
/// synthetic digits. Untrained weights give about 784·ln 2 ≈ 543; weights trained on MNIST
/// reconstruct these MNIST-like digits far better. A `.bpk` that loads but holds the wrong
/// or scrambled numbers fails here.
const MAX_RECONSTRUCTION_BCE: f32 = 300.0;

/// `CONVLAB_WEIGHTS_DIR`, else `<workspace>/weights`.
fn weights_dir() -> PathBuf {
    match std::env::var_os("CONVLAB_WEIGHTS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../weights"),
    }
}

/// The `*.json` files in `dir`, sorted; none when the folder does not exist.
fn manifests(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    found.sort();
    found
}

/// The first `n` images of `data` as a `[n, 1, 28, 28]` tensor.
fn images(data: &MnistDataset, n: usize, device: &Device) -> Tensor<4> {
    data.batch(&(0..n.min(data.len())).collect::<Vec<_>>(), device)
        .images
}

/// All values of `tensor`, checked to be finite and of shape `dims`.
fn check_output<const D: usize>(
    what: &str,
    tensor: Tensor<D>,
    dims: [usize; D],
) -> Result<Vec<f32>, String> {
    if tensor.dims() != dims {
        return Err(format!(
            "{what} has shape {:?}, expected {dims:?}",
            tensor.dims()
        ));
    }
    let values = tensor
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|err| format!("{what} cannot be read back: {err:?}"))?;
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(format!("{what} holds {} at index {i}", values[i])),
        None => Ok(values),
    }
}

/// The mean reconstruction BCE of `reconstruct` on synthetic digits, checked against
/// [`MAX_RECONSTRUCTION_BCE`].
fn reconstruction_bce(
    device: &Device,
    reconstruct: impl Fn(Tensor<4>) -> Tensor<4>,
) -> Result<f32, String> {
    let digits =
        synthetic_dataset(RECONSTRUCTED_DIGITS, SYNTHETIC_SEED).map_err(|e| e.to_string())?;
    let x = images(&digits, RECONSTRUCTED_DIGITS, device);
    let bce = check_output(
        "the reconstruction BCE",
        bce_with_logits(reconstruct(x.clone()), x),
        [1],
    )?[0];
    if bce > MAX_RECONSTRUCTION_BCE {
        return Err(format!(
            "it reconstructs synthetic digits with a BCE of {bce:.1} nats per image, above \
             {MAX_RECONSTRUCTION_BCE}: these weights do not do what trained weights do"
        ));
    }
    Ok(bce)
}

/// Loads one `NAME.json` with its `NAME.bpk` and runs the checks; a sentence on failure.
/// The largest difference between [`CpuDecoder`]'s images and Burn's decoder's, over codes
/// spread across the prior (a 7×7 grid over ±3 in the first two dimensions, more seeded values
/// in the others) and the latent map's 20×20 manifold (in the first two dimensions, the
/// others zero), whose neighbouring codes the CPU decoder decodes two at a time. Decoded one
/// at a time, each code must give the same image.
fn cpu_decoder_difference(decoder: &ConvDecoder, device: &Device) -> Result<f32, String> {
    let prepared = CpuDecoder::new(decoder)
        .ok_or("the decoder could not be prepared for the CPU (is its activation the ReLU?)")?;
    let dim = decoder.latent_dim();
    let spread = (0..49usize).flat_map(|i| {
        (0..dim).map(move |d| match d {
            0 => (i % 7) as f32 - 3.0,
            1 => (i / 7) as f32 - 3.0,
            _ => ((i * 31 + d * 17) % 13) as f32 / 4.0 - 1.5,
        })
    });
    let manifold = manifold_grid(20, 0.05).into_iter().flat_map(|[x, y]| {
        (0..dim).map(move |d| match d {
            0 => x,
            1 => y,
            _ => 0.0,
        })
    });
    let codes: Vec<f32> = spread.chain(manifold).collect();
    let n = codes.len() / dim;
    let ours = prepared
        .decode(&codes)
        .ok_or("the CPU decoder refused whole codes")?;
    for (i, (z, image)) in codes.chunks(dim).zip(ours.chunks(IMAGE_PIXELS)).enumerate() {
        if prepared.decode(z).as_deref() != Some(image) {
            return Err(format!(
                "the CPU decoder's image of code {i} differs when it is decoded alone"
            ));
        }
    }
    let z = Tensor::<2>::from_data(burn::tensor::TensorData::new(codes, [n, dim]), device);
    let burns = decoder
        .decode(z)
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?;
    Ok(ours
        .iter()
        .zip(&burns)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max))
}

fn check_file(json_path: &Path, device: &Device) -> Result<String, String> {
    let stem = json_path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| "the file name is not UTF-8".to_string())?;
    let bpk_path = json_path.with_extension("bpk");
    let json = fs::read_to_string(json_path).map_err(|err| format!("cannot read it: {err}"))?;
    let bpk = fs::read(&bpk_path).map_err(|err| {
        format!(
            "cannot read its weights {}: {err} (export writes NAME.json and NAME.bpk together)",
            bpk_path.display()
        )
    })?;
    let manifest = weights::parse_manifest(&json).map_err(|err| err.to_string())?;
    if manifest.name != stem || manifest.weights_file != format!("{stem}.bpk") {
        return Err(format!(
            "it names itself {:?} with weights {:?}, but the files are {stem}.json and \
             {stem}.bpk: rename them together or export again",
            manifest.name, manifest.weights_file
        ));
    }
    let model = weights::load(&json, &bpk, device).map_err(|err| err.to_string())?;

    let smoke = synthetic_dataset(SMOKE_DIGITS, 1).map_err(|err| err.to_string())?;
    let x = images(&smoke, SMOKE_DIGITS, device);
    let n = SMOKE_DIGITS;
    let image = [n, 1, IMAGE_SIZE, IMAGE_SIZE];
    match model {
        LoadedWeights::Lenet(net) => {
            check_output("the class logits", net.forward(x), [n, 10])?;
            let digits = synthetic_dataset(SYNTHETIC_DIGITS, SYNTHETIC_SEED)
                .map_err(|err| err.to_string())?;
            let logits = check_output(
                "the logits of the synthetic digits",
                net.forward(images(&digits, SYNTHETIC_DIGITS, device)),
                [SYNTHETIC_DIGITS, 10],
            )?;
            let mut right = [0usize; 10];
            let mut total = [0usize; 10];
            for (row, &label) in logits.chunks_exact(10).zip(digits.labels()) {
                let guess = row
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(i, _)| i);
                total[usize::from(label)] += 1;
                if guess == Some(usize::from(label)) {
                    right[usize::from(label)] += 1;
                }
            }
            let accuracy = right.iter().sum::<usize>() as f64 / SYNTHETIC_DIGITS as f64;
            let per_digit: Vec<String> = (0..10)
                .map(|d| format!("{d}: {}/{}", right[d], total[d]))
                .collect();
            let summary = format!(
                "LeNet-5 labels {:.1}% of {SYNTHETIC_DIGITS} synthetic digits right (per digit \
                 {})",
                accuracy * 100.0,
                per_digit.join(", ")
            );
            // The example digits the pages offer must be labelled right, every one.
            let examples: Vec<f32> = (0..10u8)
                .map(example_digit)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| err.to_string())?
                .concat();
            let examples = MnistDataset::from_parts(examples, (0..10).collect())
                .map_err(|err| err.to_string())?;
            let logits = check_output(
                "the logits of the example digits",
                net.forward(images(&examples, 10, device)),
                [10, 10],
            )?;
            for (digit, row) in logits.chunks_exact(10).enumerate() {
                let guess = (0..10).max_by(|&a, &b| row[a].total_cmp(&row[b]));
                if guess != Some(digit) {
                    return Err(format!(
                        "the example {digit} (seed {EXAMPLE_SEED}) is labelled {guess:?}: pick \
                         another EXAMPLE_SEED"
                    ));
                }
            }
            if accuracy < SYNTHETIC_ACCURACY {
                return Err(format!(
                    "{summary}: below the {:.0}% bar",
                    SYNTHETIC_ACCURACY * 100.0
                ));
            }
            Ok(summary)
        }
        LoadedWeights::Vae(vae) => {
            let latent = vae.latent_dim();
            let output = vae.forward_with(x, Noise::Zero);
            check_output("the reconstruction logits", output.logits, image)?;
            check_output("μ", output.mu, [n, latent])?;
            check_output("log σ²", output.log_var, [n, latent])?;
            let decoded = vae.decode(Tensor::zeros([n, latent], device));
            let values = check_output("the decoded origin", decoded, image)?;
            if values.iter().any(|v| !(0.0..=1.0).contains(v)) {
                return Err("decoded pixels outside [0, 1]".to_string());
            }
            let bce = reconstruction_bce(device, |x| vae.forward_with(x, Noise::Zero).logits)?;
            let off = cpu_decoder_difference(&vae.decoder, device)?;
            if off >= 1e-4 {
                return Err(format!("the CPU decoder differs from Burn's by {off}"));
            }
            Ok(format!(
                "VAE, latent size {latent}: outputs finite; reconstruction BCE of synthetic \
                 digits {bce:.1} nats per image; the CPU decoder within {off:.1e} of Burn's"
            ))
        }
        LoadedWeights::Ae(ae) => {
            let latent = ae.latent_dim();
            let output = ae.forward(x);
            check_output("the reconstruction logits", output.logits, image)?;
            check_output("the latent code", output.z, [n, latent])?;
            let bce = reconstruction_bce(device, |x| ae.forward(x).logits)?;
            let off = cpu_decoder_difference(&ae.decoder, device)?;
            if off >= 1e-4 {
                return Err(format!("the CPU decoder differs from Burn's by {off}"));
            }
            Ok(format!(
                "autoencoder, latent size {latent}: outputs finite; reconstruction BCE of \
                 synthetic digits {bce:.1} nats per image; the CPU decoder within {off:.1e} of \
                 Burn's"
            ))
        }
    }
}

#[test]
fn every_shipped_weights_file_loads_and_works() {
    let dir = weights_dir();
    let files = manifests(&dir);
    if files.is_empty() {
        println!(
            "nothing to check: no *.json in {} (`convlab-train export` writes them)",
            dir.display()
        );
        return;
    }
    let device = Device::flex();
    let mut failures = Vec::new();
    for path in &files {
        match check_file(path, &device) {
            Ok(summary) => println!("{}: {summary}", path.display()),
            Err(why) => {
                println!("{}: FAILED: {why}", path.display());
                failures.push(format!("{}: {why}", path.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} shipped weights files fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
