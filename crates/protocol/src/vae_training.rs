//! The messages of a VAE training run in the worker: the VAE (or the plain autoencoder) trained
//! on BCE + β·KL in bursts of steps, as the classifier run is, and snapshots of its latent space.
//! The worker holds at most one run of either kind; starting one drops the other.

use serde::{Deserialize, Serialize};

use crate::floats;
use crate::training::{TrainData, TrainOptimizer};

/// Largest latent size a VAE run may have.
pub const MAX_LATENT: u32 = 16;
/// Largest β a VAE run may weight its KL term with.
pub const MAX_BETA: f32 = 100.0;

/// What a VAE run trains, freshly initialised with the reference layers (LayerNorm on the
/// bottleneck, ReLU).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VaeKind {
    /// The variational autoencoder: a posterior per image, sampled, and the KL term.
    Variational,
    /// The plain autoencoder: one code per image, no sampling, no KL.
    Plain,
}

/// How a VAE run is set up; changing any of these needs a new run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaeSetup {
    /// Seeds the initial weights, the batches' order and the sampling noise.
    pub seed: u64,
    /// Images in each split, in this order from the data: training, then validation.
    pub train: u32,
    pub validation: u32,
    pub data: TrainData,
    pub kind: VaeKind,
    /// Size of the latent code (1–[`MAX_LATENT`]).
    pub latent: u32,
    pub optimizer: TrainOptimizer,
}

/// What the next steps use; each may change between two bursts without a reset.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaeStepSettings {
    pub learning_rate: f32,
    pub batch_size: u32,
    /// The weight of the KL term (1: the lecture's loss). The autoencoder has no KL term.
    pub beta: f32,
}

/// The two terms of the loss, per image (nats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VaeTerms {
    /// Reconstruction: BCE summed over the 784 pixels.
    pub bce: f32,
    /// `D_KL(q(z|x) ‖ N(0, I))` summed over the latent units (0 for the autoencoder).
    pub kl: f32,
}

impl VaeTerms {
    /// The negative ELBO, `BCE + KL` (what β = 1 minimises).
    pub fn negative_elbo(&self) -> f32 {
        self.bce + self.kl
    }
}

/// One step's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaeStepPoint {
    pub step: u32,
    pub epoch: u32,
    /// The batch's terms.
    pub terms: VaeTerms,
    /// What the step minimised: `BCE + β·KL`.
    pub objective: f32,
    /// The β it used.
    pub beta: f32,
}

/// One finished epoch's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaeEpochPoint {
    pub epoch: u32,
    pub step: u32,
    /// The epoch's training batches' mean terms.
    pub train: VaeTerms,
    /// The validation images' terms, `None` without validation images.
    pub validation: Option<VaeTerms>,
}

/// What a burst of VAE steps did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaeProgress {
    pub steps: Vec<VaeStepPoint>,
    pub epochs: Vec<VaeEpochPoint>,
    /// Why the run stopped itself: the loss stopped being a number. The run's weights are then
    /// the last ones that scored a finite loss.
    pub diverged: Option<String>,
    pub images_per_second: f32,
}

/// The reparameterisation `z = μ + σ·ε` of one image, with its values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reparameterised {
    pub mu: Vec<f32>,
    pub sigma: Vec<f32>,
    pub epsilon: Vec<f32>,
    pub z: Vec<f32>,
    /// The image decoded from `z`: 784 values.
    #[serde(with = "floats")]
    pub decoded: Vec<f32>,
}

/// The latent space of a run's current weights, over its validation images.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatentSnapshot {
    /// Steps of the run when it was taken, and the epochs ended by then.
    pub step: u32,
    pub epoch: u32,
    pub latent: u32,
    /// Each validation image's code (the posterior mean for the VAE): `n × latent`.
    #[serde(with = "floats")]
    pub codes: Vec<f32>,
    pub labels: Vec<u8>,
    /// The mean KL of each latent unit over the validation images (nats; zeros for the
    /// autoencoder).
    pub kl_per_unit: Vec<f32>,
    /// The mean length of the codes, `mean ‖μ‖`.
    pub mean_code_norm: f32,
    /// Codes drawn from the prior N(0, I) (the same draws in every snapshot of a run) decoded:
    /// `n × 784` values.
    #[serde(with = "floats")]
    pub prior_samples: Vec<f32>,
    /// For a latent size of 2, the decoded grid over `[−grid_reach, grid_reach]²`: `side²`
    /// images of 784 values, row by row from the top (largest z₂) left (smallest z₁);
    /// empty otherwise.
    #[serde(with = "floats")]
    pub grid: Vec<f32>,
    pub grid_side: u32,
    pub grid_reach: f32,
    /// The first validation image's reparameterisation (the VAE only).
    pub reparameterised: Option<Reparameterised>,
}

impl LatentSnapshot {
    /// Latent units whose mean KL is above `threshold` nats (the lecture's 0.01: *active*).
    pub fn active_units(&self, threshold: f32) -> usize {
        self.kl_per_unit
            .iter()
            .filter(|&&kl| kl > threshold)
            .count()
    }

    /// How grouped by class the codes are: the share of codes nearer their own class's mean
    /// code than any other class's (near 1 / classes for a cloud that ignores the class, 1
    /// for classes in separate clumps); `None` without codes.
    pub fn class_grouping(&self) -> Option<f32> {
        let latent = self.latent as usize;
        let n = self.labels.len().min(self.codes.len() / latent.max(1));
        if n == 0 || latent == 0 {
            return None;
        }
        let code = |i: usize| &self.codes[i * latent..(i + 1) * latent];
        let classes = self.labels[..n].iter().map(|&l| l as usize + 1).max()?;
        let mut sums = vec![0.0f64; classes * latent];
        let mut counts = vec![0usize; classes];
        for i in 0..n {
            let class = self.labels[i] as usize;
            counts[class] += 1;
            for (sum, &value) in sums[class * latent..].iter_mut().zip(code(i)) {
                *sum += f64::from(value);
            }
        }
        let centres: Vec<(usize, Vec<f64>)> = (0..classes)
            .filter(|&c| counts[c] > 0)
            .map(|c| {
                let centre = sums[c * latent..(c + 1) * latent]
                    .iter()
                    .map(|s| s / counts[c] as f64)
                    .collect();
                (c, centre)
            })
            .collect();
        let distance = |a: &[f32], b: &[f64]| -> f64 {
            a.iter()
                .zip(b)
                .map(|(&x, y)| (f64::from(x) - y).powi(2))
                .sum()
        };
        let nearest_own = (0..n)
            .filter(|&i| {
                let nearest = centres
                    .iter()
                    .min_by(|a, b| distance(code(i), &a.1).total_cmp(&distance(code(i), &b.1)))
                    .map(|(c, _)| *c);
                nearest == Some(self.labels[i] as usize)
            })
            .count();
        Some(nearest_own as f32 / n as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(codes: Vec<f32>, labels: Vec<u8>) -> LatentSnapshot {
        LatentSnapshot {
            step: 0,
            epoch: 0,
            latent: 2,
            codes,
            labels,
            kl_per_unit: vec![0.0; 2],
            mean_code_norm: 0.0,
            prior_samples: Vec::new(),
            grid: Vec::new(),
            grid_side: 0,
            grid_reach: 0.0,
            reparameterised: None,
        }
    }

    #[test]
    fn separate_clumps_are_fully_grouped_and_a_mixed_cloud_is_not() {
        // Class 0 around (−1, 0), class 1 around (1, 0).
        let clumps = snapshot(
            vec![-1.1, 0.0, -0.9, 0.1, 1.0, 0.0, 1.2, -0.1],
            vec![0, 0, 1, 1],
        );
        assert_eq!(clumps.class_grouping(), Some(1.0));
        // Classes spread over one another: the means are (0, 0) and (0.55, 0), and (2, 0) and
        // (−1.9, 0) lie nearer the other class's.
        let mixed = snapshot(
            vec![-2.0, 0.0, 2.0, 0.0, -1.9, 0.0, 3.0, 0.0],
            vec![0, 0, 1, 1],
        );
        assert_eq!(mixed.class_grouping(), Some(0.5));
        assert_eq!(snapshot(Vec::new(), Vec::new()).class_grouping(), None);
    }
}
