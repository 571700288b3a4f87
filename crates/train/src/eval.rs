//! Scoring a trained model on the MNIST test set — the 10,000 images no training run has seen.
//!
//! - VAE: the negative ELBO, `BCE + KL` in nats per image, estimated with one sample of z per
//!   image (β = 1 whatever β the model was trained with: this is the bound on −log p(x)).
//! - AE: the reconstruction BCE alone; it has no KL term and no ELBO.
//! - LeNet-5: accuracy, mean cross-entropy and the 10×10 confusion matrix.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use burn::tensor::{Device, Int, Tensor};
use convlab_digits::{MnistDataset, MnistDir};
use convlab_model::Batches;
use convlab_model::{LeNet5, WeightsManifest, weights};
use serde::Serialize;

use crate::artifacts::{LoadedWeights, RunDir, kind_name};
use crate::training::score;

/// What `eval` prints, as JSON. Fields that do not apply to the model are left out.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EvalReport {
    /// "lenet", "vae" or "ae".
    pub model: &'static str,
    /// Always "test".
    pub split: &'static str,
    /// Images scored.
    pub images: usize,
    /// Epochs the weights were trained for.
    pub epochs_trained: usize,
    /// Units of the loss figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<&'static str>,
    /// Mean reconstruction BCE per image, summed over pixels (VAE, AE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bce: Option<f64>,
    /// Mean KL per image (VAE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kl: Option<f64>,
    /// BCE + KL (VAE): an upper bound on −log p(x), lower is better.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_elbo: Option<f64>,
    /// How z was drawn (VAE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<String>,
    /// Fraction classified right (LeNet-5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Mean cross-entropy in nats (LeNet-5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_entropy: Option<f64>,
    /// `confusion[true][predicted]`: how often digit `true` was called `predicted` (LeNet-5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confusion: Option<Vec<Vec<u64>>>,
}

/// Options of [`evaluate`].
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// Score only the first N test images.
    pub limit: Option<usize>,
    /// Images per forward pass.
    pub batch_size: usize,
    /// Seed of the VAE's noise.
    pub seed: u64,
}

/// Loads the run in `model_dir` and scores it on the test images in `mnist`.
pub fn evaluate(
    model_dir: &Path,
    mnist: &MnistDir,
    device: &Device,
    options: &EvalOptions,
) -> Result<EvalReport> {
    let run = RunDir::new(model_dir);
    let (config, model) = run.load_model(device)?;
    let epochs_trained = run.read_state().map(|s| s.epochs_completed).unwrap_or(0);
    let test = test_images(mnist, options)?;
    evaluate_model(&model, &test, device, options, epochs_trained).map(|report| EvalReport {
        model: kind_name(config.model.kind()),
        ..report
    })
}

/// Scores a weights pair (see [`load_pair`]) on the test images in `mnist`.
pub fn evaluate_weights(
    manifest_path: &Path,
    mnist: &MnistDir,
    device: &Device,
    options: &EvalOptions,
) -> Result<EvalReport> {
    let (manifest, model) = load_pair(manifest_path, device)?;
    let test = test_images(mnist, options)?;
    evaluate_model(&model, &test, device, options, manifest.epochs).map(|report| EvalReport {
        model: manifest.model.kind_name(),
        ..report
    })
}

/// Loads a weights pair — `NAME.json` at `manifest_path` and the `.bpk` it names beside it, as
/// `export` or the training lab's "Download weights" writes them — through the app's loader.
pub fn load_pair(
    manifest_path: &Path,
    device: &Device,
) -> Result<(WeightsManifest, LoadedWeights)> {
    let json = fs::read_to_string(manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let manifest = weights::parse_manifest(&json)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let file = Path::new(&manifest.weights_file);
    if file.file_name() != Some(file.as_os_str()) {
        bail!(
            "{} names its weights {:?}: a file name beside it is expected",
            manifest_path.display(),
            manifest.weights_file
        );
    }
    let bpk_path = manifest_path.with_file_name(file);
    let bpk = fs::read(&bpk_path).with_context(|| format!("cannot read {}", bpk_path.display()))?;
    let model = weights::load(&json, &bpk, device)
        .with_context(|| format!("loading {}", manifest_path.display()))?;
    Ok((manifest, model))
}

/// The MNIST test images, or the first `options.limit` of them.
fn test_images(mnist: &MnistDir, options: &EvalOptions) -> Result<MnistDataset> {
    let mut test = mnist.test().context("loading the MNIST test images")?;
    if let Some(limit) = options.limit.filter(|&n| n < test.len()) {
        test = test.select(&(0..limit).collect::<Vec<_>>());
    }
    Ok(test)
}

/// Scores a loaded model on `test`.
pub fn evaluate_model(
    model: &LoadedWeights,
    test: &MnistDataset,
    device: &Device,
    options: &EvalOptions,
    epochs_trained: usize,
) -> Result<EvalReport> {
    let mut report = EvalReport {
        model: "",
        split: "test",
        images: test.len(),
        epochs_trained,
        units: None,
        bce: None,
        kl: None,
        negative_elbo: None,
        noise: None,
        accuracy: None,
        cross_entropy: None,
        confusion: None,
    };
    device.seed(options.seed);
    match model {
        LoadedWeights::Vae(vae) => {
            report.model = "vae";
            let totals = score(vae, test, 1.0, options.batch_size, device)?;
            report.units = Some("nats per image");
            report.bce = totals.mean_bce();
            report.kl = totals.mean_kl();
            report.negative_elbo = Some(totals.mean_loss());
            report.noise = Some(format!("one sample of z per image, seed {}", options.seed));
        }
        LoadedWeights::Ae(ae) => {
            report.model = "ae";
            let totals = score(ae, test, 1.0, options.batch_size, device)?;
            report.units = Some("nats per image");
            report.bce = totals.mean_bce();
        }
        LoadedWeights::Lenet(net) => {
            report.model = "lenet";
            let totals = score(net, test, 1.0, options.batch_size, device)?;
            report.units = Some("nats per image");
            report.accuracy = totals.accuracy();
            report.cross_entropy = Some(totals.mean_loss());
            report.confusion = Some(confusion_matrix(net, test, options.batch_size, device)?);
        }
    }
    Ok(report)
}

/// `matrix[true][predicted]` over `data`.
pub fn confusion_matrix(
    net: &LeNet5,
    data: &MnistDataset,
    batch_size: usize,
    device: &Device,
) -> Result<Vec<Vec<u64>>> {
    let mut matrix = vec![vec![0u64; 10]; 10];
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(batch_size.max(1)) {
        let batch = data.batch(chunk, device);
        let logits = net.forward(batch.images); // [batch, 10]
        let predicted: Tensor<2, Int> = logits.argmax(1); // [batch, 1]
        let predicted = predicted
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .map_err(|err| anyhow!("cannot read predictions back: {err:?}"))?;
        for (&index, &guess) in chunk.iter().zip(&predicted) {
            let truth = data.label(index).map(usize::from);
            let guess = usize::try_from(guess).ok();
            if let (Some(truth), Some(guess)) = (truth, guess)
                && let Some(cell) = matrix.get_mut(truth).and_then(|row| row.get_mut(guess))
            {
                *cell += 1;
            }
        }
    }
    Ok(matrix)
}
