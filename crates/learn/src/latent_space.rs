//! What a VAE run's latent space looks like: every image's code, the KL of each latent unit
//! (which units are *active*), how far the codes spread, and codes to decode — draws from the
//! prior and a grid over it. The maths is plain Rust over numbers read back asynchronously.

use burn::tensor::{Device, Tensor, TensorData};
use convlab_digits::MnistDataset;
use convlab_kernels::rng::SplitMix64;
use convlab_model::{Batches, Reconstructor};

use crate::readback::read_values;

/// The codes of a set of images.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LatentCodes {
    /// Size of each code.
    pub latent: usize,
    /// `n × latent`: the posterior means (the VAE), or the codes (the autoencoder).
    pub mu: Vec<f32>,
    /// `n × latent` posterior log-variances; `None` for the autoencoder.
    pub log_var: Option<Vec<f32>>,
}

impl LatentCodes {
    /// Number of codes.
    pub fn len(&self) -> usize {
        self.mu.len() / self.latent.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.mu.is_empty()
    }

    /// The mean KL divergence of each unit `j` from N(0, 1) over the images,
    /// `−½ (1 + log σ²_j − μ²_j − σ²_j)`; the units' values sum to the loss's KL term. All
    /// zeros without log-variances (the autoencoder has no KL term).
    pub fn kl_per_unit(&self) -> Vec<f32> {
        let mut sums = vec![0f64; self.latent];
        let Some(log_var) = &self.log_var else {
            return vec![0.0; self.latent];
        };
        for (i, (&mu, &lv)) in self.mu.iter().zip(log_var).enumerate() {
            let (mu, lv) = (f64::from(mu), f64::from(lv));
            sums[i % self.latent.max(1)] += -0.5 * (1.0 + lv - mu * mu - lv.exp());
        }
        let n = self.len().max(1) as f64;
        sums.into_iter().map(|s| (s / n) as f32).collect()
    }

    /// The mean length `‖μ‖` of the codes.
    pub fn mean_norm(&self) -> f32 {
        let latent = self.latent.max(1);
        let total: f64 = self
            .mu
            .chunks(latent)
            .map(|code| {
                code.iter()
                    .map(|&v| f64::from(v).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .sum();
        (total / self.len().max(1) as f64) as f32
    }
}

/// Encodes the first `limit` images of `data`, `batch_size` at a time, with `model` on `device`
/// (a module without autodiff), reading each batch back asynchronously.
pub async fn encode_all(
    model: &Reconstructor,
    data: &MnistDataset,
    limit: usize,
    batch_size: usize,
    device: &Device,
) -> Result<LatentCodes, String> {
    let mut codes = LatentCodes {
        latent: model.latent_dim(),
        mu: Vec::new(),
        log_var: model.is_variational().then(Vec::new),
    };
    let indices: Vec<usize> = (0..data.len().min(limit)).collect();
    for chunk in indices.chunks(batch_size.max(1)) {
        let batch = data.batch(chunk, device);
        let (mu, log_var) = model.encode(batch.images); // [batch, latent] each
        codes
            .mu
            .extend(read_values::<f32, _, 2>(mu, "the codes").await?);
        if let (Some(all), Some(log_var)) = (codes.log_var.as_mut(), log_var) {
            all.extend(read_values::<f32, _, 2>(log_var, "the variances").await?);
        }
    }
    Ok(codes)
}

/// `codes` (`n × latent_dim` values) decoded by `model` on `device`: `n × 784` values in
/// `[0, 1]`, read back asynchronously.
pub async fn decode_all(
    model: &Reconstructor,
    codes: &[f32],
    device: &Device,
) -> Result<Vec<f32>, String> {
    let latent = model.latent_dim().max(1);
    let n = codes.len() / latent;
    if n == 0 {
        return Ok(Vec::new());
    }
    let z = Tensor::<2>::from_data(
        TensorData::new(codes[..n * latent].to_vec(), [n, latent]),
        device,
    );
    read_values::<f32, _, 4>(model.decode(z), "the decoded images").await
}

/// `n` codes of size `latent` drawn from N(0, I) by a generator seeded with `seed`.
pub fn prior_codes(n: usize, latent: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..n * latent).map(|_| rng.next_gaussian()).collect()
}

/// The codes of a `side × side` grid over `[−reach, reach]²`, row by row from the top (the
/// largest z₂) and left to right (the smallest z₁ first), as the lecture plots its manifold.
pub fn grid_codes(side: usize, reach: f32) -> Vec<f32> {
    let at = |i: usize| {
        if side <= 1 {
            0.0
        } else {
            -reach + 2.0 * reach * i as f32 / (side - 1) as f32
        }
    };
    (0..side)
        .flat_map(|row| (0..side).flat_map(move |col| [at(col), -at(row)]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use convlab_digits::synthetic_dataset;
    use convlab_model::{VaeConfig, kl_divergence};
    use futures::executor::block_on;

    #[test]
    fn the_units_kl_sum_to_the_losss_kl_term() {
        let _serial = crate::test_support::serial();
        let device = Device::flex();
        device.seed(4);
        let model = Reconstructor::Vae(VaeConfig::new().with_latent_dim(3).init(&device));
        let data = synthetic_dataset(12, 4).unwrap();
        let codes = block_on(encode_all(&model, &data, 12, 5, &device)).unwrap();
        assert_eq!((codes.len(), codes.latent), (12, 3));
        let shape = [12, 3];
        let mu = Tensor::<2>::from_data(TensorData::new(codes.mu.clone(), shape), &device);
        let log_var = codes.log_var.clone().unwrap();
        let log_var = Tensor::<2>::from_data(TensorData::new(log_var, shape), &device);
        let term = kl_divergence(mu, log_var).into_scalar::<f32>();
        let units: f32 = codes.kl_per_unit().iter().sum();
        assert!(
            (units - term).abs() < 1e-4 * term.abs().max(1.0),
            "{units} vs {term}"
        );
    }

    #[test]
    fn kl_per_unit_is_the_lectures_formula_with_its_sign() {
        // μ = 1, σ² = 1 on unit 0 (KL ½), the prior itself on unit 1 (KL 0), and
        // μ = 0, log σ² = −2 on unit 2: −½ (1 − 2 − e⁻²) = ½ (1 + e⁻²).
        let codes = LatentCodes {
            latent: 3,
            mu: vec![1.0, 0.0, 0.0],
            log_var: Some(vec![0.0, 0.0, -2.0]),
        };
        let kl = codes.kl_per_unit();
        assert!((kl[0] - 0.5).abs() < 1e-6 && kl[1].abs() < 1e-6, "{kl:?}");
        assert!((kl[2] - 0.5 * (1.0 + (-2f32).exp())).abs() < 1e-6, "{kl:?}");
        assert!(kl.iter().all(|&k| k >= 0.0));
        let plain = LatentCodes {
            log_var: None,
            ..codes
        };
        assert_eq!(plain.kl_per_unit(), vec![0.0; 3]);
        assert!((plain.mean_norm() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn grids_run_from_the_top_left_and_prior_draws_are_seeded() {
        let grid = grid_codes(3, 2.0);
        assert_eq!(&grid[..2], &[-2.0, 2.0]);
        assert_eq!(&grid[8..10], &[0.0, 0.0]);
        assert_eq!(&grid[16..], &[2.0, -2.0]);
        assert_eq!(prior_codes(4, 2, 9), prior_codes(4, 2, 9));
        assert_ne!(prior_codes(4, 2, 9), prior_codes(4, 2, 10));
        let many = prior_codes(4000, 1, 1);
        let mean = many.iter().sum::<f32>() / 4000.0;
        assert!(mean.abs() < 0.1, "{mean}");
    }
}
