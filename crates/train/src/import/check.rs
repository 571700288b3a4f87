//! `--check`: the imported model against the outputs PyTorch computed.

use std::fs::{self};
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use burn::tensor::{Device, Tensor, TensorData};
use convlab_digits::{IMAGE_PIXELS, IMAGE_SIZE};
use convlab_model::{Noise, Vae};
use serde::Deserialize;

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
