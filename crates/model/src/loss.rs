//! The VAE loss: reconstruction (BCE with logits, summed over pixels) plus β times the KL
//! divergence from the prior, each averaged over the batch and reported separately so the
//! pages can plot the two forces against each other.
//!
//! Both are written in forms that cannot overflow, as PyTorch writes them:
//! - BCE with logits `x` and targets `t` in `[0, 1]`, per pixel:
//!   `−t·log σ(x) − (1 − t)·log(1 − σ(x)) = max(x, 0) − x·t + log(1 + e^{−|x|})`.
//!   The exponent is never positive, so large logits of either sign stay finite.
//! - KL of `N(μ, σ²)` from `N(0, 1)`, per image: `−½ Σ_j (1 + log σ²_j − μ²_j − σ²_j)`.

use burn::tensor::Tensor;

use crate::vae::VaeOutput;

/// The VAE loss and its two parts, each a one-element tensor averaged over the batch.
#[derive(Clone, Debug)]
pub struct VaeLoss {
    /// `reconstruction + β·kl`: what training minimises.
    pub total: Tensor<1>,
    /// BCE-with-logits summed over the pixels of an image.
    pub reconstruction: Tensor<1>,
    /// KL divergence of the posterior from the N(0, I) prior, summed over latent units.
    pub kl: Tensor<1>,
}

/// Binary cross-entropy between `sigmoid(logits)` and `targets`, summed over every element of
/// an item and averaged over the batch (the first axis). Also the autoencoder's loss.
///
/// # Shapes
/// - `logits`, `targets`: `[batch, ...]`, the same shape; targets in `[0, 1]`
/// - output: `[1]`
pub fn bce_with_logits<const D: usize>(logits: Tensor<D>, targets: Tensor<D>) -> Tensor<1> {
    let batch = logits.dims()[0];
    let positive_part = logits.clone().clamp_min(0.0); // max(x, 0)
    let log_term = logits.clone().abs().neg().exp().log1p(); // log(1 + e^{−|x|})
    let per_element = positive_part - logits * targets + log_term; // [batch, ...]
    per_element.sum().div_scalar(batch as f64) // [1]
}

/// KL divergence `D_KL(N(μ, σ²) ‖ N(0, I))`, summed over latent units and averaged over the
/// batch: `−½ Σ (1 + log σ² − μ² − σ²)`.
///
/// # Shapes
/// - `mu`, `log_var`: `[batch, latent_dim]`
/// - output: `[1]`
pub fn kl_divergence(mu: Tensor<2>, log_var: Tensor<2>) -> Tensor<1> {
    let [batch, _] = mu.dims();
    let variance = log_var.clone().exp(); // σ², [batch, L]
    let per_unit = log_var.add_scalar(1.0) - mu.square() - variance; // [batch, L]
    per_unit.sum().mul_scalar(-0.5).div_scalar(batch as f64) // [1]
}

/// The VAE loss for a forward pass over `targets`: BCE + β·KL. β = 1 is the standard VAE;
/// β < 1 trades a less regular latent space for sharper reconstructions.
///
/// # Shapes
/// - `output.logits`, `targets`: `[batch, 1, 28, 28]`
/// - every part of the result: `[1]`
pub fn vae_loss(output: &VaeOutput, targets: Tensor<4>, beta: f64) -> VaeLoss {
    let reconstruction = bce_with_logits(output.logits.clone(), targets);
    let kl = kl_divergence(output.mu.clone(), output.log_var.clone());
    VaeLoss {
        total: reconstruction.clone() + kl.clone().mul_scalar(beta),
        reconstruction,
        kl,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};
    use std::f32::consts::LN_2;

    fn device() -> Device {
        Device::flex()
    }

    fn scalar(t: Tensor<1>) -> f32 {
        t.into_scalar::<f32>()
    }

    fn tensor4(values: &[f32], shape: [usize; 4]) -> Tensor<4> {
        Tensor::from_data(TensorData::new(values.to_vec(), shape), &device())
    }

    fn tensor2(values: &[f32], shape: [usize; 2]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(values.to_vec(), shape), &device())
    }

    #[test]
    fn zero_logits_cost_ln_2_per_pixel_whatever_the_target() {
        // σ(0) = ½, so every pixel costs −log ½ = ln 2; 784 pixels, averaged over 3 images.
        let logits = Tensor::<4>::zeros([3, 1, 28, 28], &device());
        let targets = Tensor::<4>::random(
            [3, 1, 28, 28],
            burn::tensor::Distribution::Default,
            &device(),
        );
        let bce = scalar(bce_with_logits(logits, targets));
        assert!((bce - 784.0 * LN_2).abs() < 1e-2, "{bce}");
    }

    #[test]
    fn bce_matches_the_naive_formula_on_small_values() {
        let logits = [-2.0f32, -0.5, 0.0, 0.7, 3.0, 1.5];
        let targets = [0.0f32, 1.0, 0.3, 1.0, 0.0, 0.8];
        let naive: f32 = logits
            .iter()
            .zip(&targets)
            .map(|(x, t)| {
                let p = 1.0 / (1.0 + (-x).exp());
                -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
            })
            .sum::<f32>()
            / 2.0;
        let bce = scalar(bce_with_logits(
            tensor4(&logits, [2, 1, 1, 3]),
            tensor4(&targets, [2, 1, 1, 3]),
        ));
        assert!((bce - naive).abs() < 1e-5, "{bce} vs {naive}");
    }

    #[test]
    fn bce_stays_finite_for_huge_logits() {
        // The naive formula gives log(0) = −∞ here; the stable one gives the exact costs.
        let logits = tensor4(&[200.0, -200.0, 200.0, -200.0], [1, 1, 2, 2]);
        let targets = tensor4(&[1.0, 0.0, 0.0, 1.0], [1, 1, 2, 2]);
        let bce = scalar(bce_with_logits(logits, targets));
        assert!((bce - 400.0).abs() < 1e-3, "{bce}");
    }

    #[test]
    fn kl_is_zero_at_the_prior() {
        let kl = scalar(kl_divergence(
            Tensor::zeros([5, 2], &device()),
            Tensor::zeros([5, 2], &device()),
        ));
        assert_eq!(kl, 0.0);
    }

    #[test]
    fn kl_is_half_per_unit_mean_of_one() {
        // μ = 1, σ = 1: −½(1 + 0 − 1 − 1) = ½ per latent unit; 3 units, same for each image.
        let mu = Tensor::<2>::ones([4, 3], &device());
        let kl = scalar(kl_divergence(mu, Tensor::zeros([4, 3], &device())));
        assert!((kl - 1.5).abs() < 1e-6, "{kl}");
    }

    #[test]
    fn kl_of_a_narrow_posterior_and_the_batch_average() {
        // Image 1: μ = 0, log σ² = ln ¼ → −½(1 + ln ¼ − ¼) = (ln 4 − ¾)/2 per unit.
        // Image 2: μ = 2, log σ² = 0 → 2 per unit. Average over the two images.
        let quarter = 0.25f32.ln();
        let mu = tensor2(&[0.0, 2.0], [2, 1]);
        let log_var = tensor2(&[quarter, 0.0], [2, 1]);
        let expected = ((4.0f32.ln() - 0.75) / 2.0 + 2.0) / 2.0;
        let kl = scalar(kl_divergence(mu, log_var));
        assert!((kl - expected).abs() < 1e-6, "{kl} vs {expected}");
    }

    #[test]
    fn vae_loss_reports_both_terms_and_weights_kl_by_beta() {
        let output = VaeOutput {
            logits: Tensor::zeros([2, 1, 28, 28], &device()),
            mu: Tensor::ones([2, 2], &device()),
            log_var: Tensor::zeros([2, 2], &device()),
            z: Tensor::zeros([2, 2], &device()),
        };
        let targets = Tensor::<4>::ones([2, 1, 28, 28], &device());
        let loss = vae_loss(&output, targets, 0.5);
        let (total, reconstruction, kl) = (
            scalar(loss.total),
            scalar(loss.reconstruction),
            scalar(loss.kl),
        );
        assert!((reconstruction - 784.0 * LN_2).abs() < 1e-2);
        assert!((kl - 1.0).abs() < 1e-6);
        assert!((total - (reconstruction + 0.5 * kl)).abs() < 1e-3);
    }
}
