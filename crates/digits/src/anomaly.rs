//! Noise to put on a digit, and how unusual a digit looks to a trained autoencoder: the
//! lecture's "noise reduction" and "anomaly detection" uses, in plain Rust on 28×28 images.
//!
//! The anomaly score of an image x is the VAE's negative ELBO estimate with z = μ:
//! `BCE(x, x̂) + KL(N(μ, σ²) ‖ N(0, I))`, in nats. A digit like the training digits is
//! reconstructed well and encoded near the prior; a letter or a scribble is not, and scores
//! higher than nearly every typical digit.

use convlab_kernels::rng::SplitMix64;

/// The kinds of damage the denoising page can do to a digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Corruption {
    /// Gaussian noise of standard deviation `level`, clamped to `[0, 1]`.
    #[default]
    Gaussian,
    /// A fraction `level` of the pixels set to black or white at random.
    SaltAndPepper,
    /// A black square covering a fraction `level` of the image, at a seeded place.
    Occlusion,
    /// A fraction `level` of the pixels dropped to black (a "dead pixel" mask).
    Dropout,
}

impl Corruption {
    /// Every kind, in menu order.
    pub const ALL: [Corruption; 4] = [
        Corruption::Gaussian,
        Corruption::SaltAndPepper,
        Corruption::Occlusion,
        Corruption::Dropout,
    ];

    /// The name in URLs.
    pub fn slug(self) -> &'static str {
        match self {
            Corruption::Gaussian => "gaussian",
            Corruption::SaltAndPepper => "salt-pepper",
            Corruption::Occlusion => "occlusion",
            Corruption::Dropout => "dropout",
        }
    }

    /// What a menu shows.
    pub fn label(self) -> &'static str {
        match self {
            Corruption::Gaussian => "Gaussian noise (σ = level)",
            Corruption::SaltAndPepper => "Salt and pepper (fraction = level)",
            Corruption::Occlusion => "Occluding square (area = level)",
            Corruption::Dropout => "Dropped pixels (fraction = level)",
        }
    }

    /// The kind with this [`slug`](Self::slug).
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.slug() == slug)
    }

    /// `image` (row-major, 28×28 or any square) with this damage at `level ∈ [0, 1]`
    /// (clamped; NaN counts as 0), deterministic per `seed`.
    pub fn apply(self, image: &[f32], level: f32, seed: u64) -> Vec<f32> {
        let level = if level.is_nan() {
            0.0
        } else {
            level.clamp(0.0, 1.0)
        };
        let mut rng = SplitMix64::new(seed ^ 0xD15E_A5ED);
        let mut out = image.to_vec();
        match self {
            Corruption::Gaussian => {
                for v in &mut out {
                    *v = (*v + level * rng.next_gaussian()).clamp(0.0, 1.0);
                }
            }
            Corruption::SaltAndPepper => {
                for v in &mut out {
                    if rng.next_f32() < level {
                        *v = if rng.next_f32() < 0.5 { 0.0 } else { 1.0 };
                    }
                }
            }
            Corruption::Dropout => {
                for v in &mut out {
                    if rng.next_f32() < level {
                        *v = 0.0;
                    }
                }
            }
            Corruption::Occlusion => {
                let side = (image.len() as f64).sqrt() as usize;
                let block = ((level as f64).sqrt() * side as f64).round() as usize;
                if block > 0 && side > 0 {
                    let room = side - block.min(side);
                    let top = (rng.next_f32() * (room + 1) as f32) as usize;
                    let left = (rng.next_f32() * (room + 1) as f32) as usize;
                    for r in top..(top + block).min(side) {
                        for c in left..(left + block).min(side) {
                            out[r * side + c] = 0.0;
                        }
                    }
                }
            }
        }
        out
    }
}

/// Binary cross-entropy of the probabilities `reconstruction` against the targets `image`,
/// summed over the pixels, in nats (the same term the VAE is trained on). Probabilities are
/// clamped to `[1e-7, 1 − 1e-7]` so a confident wrong pixel costs about 16 nats, not ∞.
pub fn reconstruction_bce(image: &[f32], reconstruction: &[f32]) -> f32 {
    image
        .iter()
        .zip(reconstruction)
        .map(|(&x, &p)| {
            let p = f64::from(p).clamp(1e-7, 1.0 - 1e-7);
            let x = f64::from(x);
            -(x * p.ln() + (1.0 - x) * (1.0 - p).ln())
        })
        .sum::<f64>() as f32
}

/// `KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − σ² − μ²)`, the lecture's `Loss_KL` with the
/// sign that makes it a distance (≥ 0).
pub fn kl_to_prior(mu: &[f32], log_var: &[f32]) -> f32 {
    -0.5 * mu
        .iter()
        .zip(log_var)
        .map(|(&m, &lv)| 1.0 + lv - lv.exp() - m * m)
        .sum::<f32>()
}

/// One image's anomaly score and its two parts.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct AnomalyScore {
    /// Reconstruction BCE, nats.
    pub bce: f32,
    /// KL of the posterior to the prior, nats.
    pub kl: f32,
}

impl AnomalyScore {
    /// The score of `image` given its reconstruction and posterior.
    pub fn of(image: &[f32], reconstruction: &[f32], mu: &[f32], log_var: &[f32]) -> Self {
        Self {
            bce: reconstruction_bce(image, reconstruction),
            kl: kl_to_prior(mu, log_var),
        }
    }

    /// BCE + KL.
    pub fn total(&self) -> f32 {
        self.bce + self.kl
    }
}

/// The `q`-quantile (`q ∈ [0, 1]`) of `values` by linear interpolation between order
/// statistics; NaNs are ignored; `None` when nothing is left.
pub fn quantile(values: &[f32], q: f32) -> Option<f32> {
    let mut sorted: Vec<f32> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f32::total_cmp);
    let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
    let pos = q * (sorted.len() - 1) as f32;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let frac = pos - lo as f32;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// A histogram: `counts[i]` values fell in `[lo + i·width, lo + (i + 1)·width)`; the last bin
/// also holds `hi`. Values outside `[lo, hi]` and NaNs are not counted.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub lo: f32,
    pub width: f32,
    pub counts: Vec<usize>,
}

impl Histogram {
    /// `bins` equal bins spanning `[lo, hi]` (`hi > lo`; otherwise one bin of width 1).
    pub fn new(values: &[f32], lo: f32, hi: f32, bins: usize) -> Self {
        let bins = bins.max(1);
        let width = if hi > lo && (hi - lo).is_finite() {
            (hi - lo) / bins as f32
        } else {
            1.0
        };
        let mut counts = vec![0; bins];
        for &v in values {
            if v.is_nan() || v < lo || v > lo + width * bins as f32 {
                continue;
            }
            let i = (((v - lo) / width) as usize).min(bins - 1);
            counts[i] += 1;
        }
        Self { lo, width, counts }
    }

    /// The upper edge of the last bin.
    pub fn hi(&self) -> f32 {
        self.lo + self.width * self.counts.len() as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digit() -> Vec<f32> {
        (0..784)
            .map(|i| if (i / 28) % 5 == 0 { 1.0 } else { 0.0 })
            .collect()
    }

    #[test]
    fn corruptions_are_seeded_and_do_what_they_say() {
        let x = digit();
        for kind in Corruption::ALL {
            assert_eq!(Corruption::from_slug(kind.slug()), Some(kind));
            assert_eq!(kind.apply(&x, 0.0, 1), x, "{kind:?} at level 0");
            assert_eq!(kind.apply(&x, 0.3, 7), kind.apply(&x, 0.3, 7));
            assert_ne!(kind.apply(&x, 0.3, 7), x, "{kind:?} changes something");
            assert!(
                kind.apply(&x, 0.3, 7)
                    .iter()
                    .all(|v| (0.0..=1.0).contains(v))
            );
        }
        // A quarter of the area occluded: a 14×14 black square.
        let white = vec![1.0; 784];
        let occluded = Corruption::Occlusion.apply(&white, 0.25, 3);
        assert_eq!(occluded.iter().filter(|&&v| v == 0.0).count(), 196);
        // Dropping half the pixels of a white image leaves about half.
        let kept = Corruption::Dropout.apply(&white, 0.5, 3);
        let ones = kept.iter().filter(|&&v| v == 1.0).count();
        assert!((340..440).contains(&ones), "{ones}");
        assert_eq!(Corruption::Gaussian.apply(&x, f32::NAN, 1), x);
    }

    #[test]
    fn bce_and_kl_on_hand_computed_cases() {
        // One pixel x = 1 reconstructed at p = 0.5: ln 2.
        assert!((reconstruction_bce(&[1.0], &[0.5]) - std::f32::consts::LN_2).abs() < 1e-6);
        // x = 0 at p = 0.25: −ln 0.75.
        assert!((reconstruction_bce(&[0.0], &[0.25]) + 0.75f32.ln()).abs() < 1e-6);
        // A certain, wrong pixel is large but finite.
        let wrong = reconstruction_bce(&[1.0], &[0.0]);
        assert!(wrong.is_finite() && wrong > 15.0);
        // The prior itself is at distance 0; μ = (1, 2), σ = 1 at ½(1 + 4).
        assert_eq!(kl_to_prior(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
        assert!((kl_to_prior(&[1.0, 2.0], &[0.0, 0.0]) - 2.5).abs() < 1e-6);
        // σ² = e: ½(e − 1 − 1).
        let e = std::f32::consts::E;
        assert!((kl_to_prior(&[0.0], &[1.0]) - 0.5 * (e - 2.0)).abs() < 1e-6);
        let s = AnomalyScore::of(&[1.0], &[0.5], &[1.0, 2.0], &[0.0, 0.0]);
        assert!((s.total() - (std::f32::consts::LN_2 + 2.5)).abs() < 1e-5);
    }

    #[test]
    fn quantiles_and_histograms() {
        let v: Vec<f32> = (1..=101).map(|i| i as f32).collect();
        assert_eq!(quantile(&v, 0.5), Some(51.0));
        assert_eq!(quantile(&v, 0.99), Some(100.0));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&[f32::NAN], 0.5), None);
        assert_eq!(quantile(&[1.0, 2.0], 0.5), Some(1.5));
        let h = Histogram::new(&[0.0, 0.5, 1.0, 9.99, 10.0, 11.0, f32::NAN], 0.0, 10.0, 10);
        assert_eq!(h.counts, vec![2, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(h.hi(), 10.0);
    }
}
