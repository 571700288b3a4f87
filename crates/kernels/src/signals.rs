//! The 1D signals of the convolution page, sampled on a symmetric grid (see
//! [`crate::conv1d::SlidingView`]).

use crate::rng::SplitMix64;

/// A signal to sample. Widths and the like are in units of t.
#[derive(Clone, Debug, PartialEq)]
pub enum Signal {
    /// 1 on `|t| ≤ width / 2`, else 0.
    Box { width: f32 },
    /// A normalised bell curve `exp(−t² / 2σ²) / (σ√2π)` (area 1).
    Gaussian { sigma: f32 },
    /// 0 for `t < 0`, 1 from `t = 0` on.
    Step,
    /// `sin(2π·frequency·t)` plus Gaussian noise of standard deviation `noise`.
    NoisySine {
        frequency: f32,
        noise: f32,
        seed: u64,
    },
    /// One-sided exponential decay `exp(−t/τ)` for `t ≥ 0`.
    Decay { tau: f32 },
}

/// `len` sample times `τₖ = (k − c)·step`, `c = (len − 1) / 2`, symmetric around 0.
pub fn sample_times(len: usize, step: f32) -> Vec<f32> {
    let c = (len.saturating_sub(1) / 2) as f32;
    (0..len).map(|k| (k as f32 - c) * step).collect()
}

impl Signal {
    /// The signal at the given times.
    pub fn sample(&self, times: &[f32]) -> Vec<f32> {
        match *self {
            Signal::Box { width } => times
                .iter()
                .map(|&t| if t.abs() <= width / 2.0 { 1.0 } else { 0.0 })
                .collect(),
            Signal::Gaussian { sigma } => {
                let sigma = sigma.max(1e-3);
                let norm = 1.0 / (sigma * (std::f32::consts::TAU).sqrt());
                times
                    .iter()
                    .map(|&t| norm * (-t * t / (2.0 * sigma * sigma)).exp())
                    .collect()
            }
            Signal::Step => times
                .iter()
                .map(|&t| if t >= 0.0 { 1.0 } else { 0.0 })
                .collect(),
            Signal::NoisySine {
                frequency,
                noise,
                seed,
            } => {
                let mut rng = SplitMix64::new(seed);
                times
                    .iter()
                    .map(|&t| {
                        (std::f32::consts::TAU * frequency * t).sin() + noise * rng.next_gaussian()
                    })
                    .collect()
            }
            Signal::Decay { tau } => {
                let tau = tau.max(1e-3);
                times
                    .iter()
                    .map(|&t| if t >= 0.0 { (-t / tau).exp() } else { 0.0 })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_symmetric() {
        assert_eq!(sample_times(5, 0.5), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
    }

    #[test]
    fn gaussian_has_unit_area() {
        let t = sample_times(401, 0.05);
        let area: f32 = Signal::Gaussian { sigma: 1.0 }
            .sample(&t)
            .iter()
            .sum::<f32>()
            * 0.05;
        assert!((area - 1.0).abs() < 1e-3);
    }

    #[test]
    fn noise_is_deterministic_per_seed() {
        let t = sample_times(11, 0.1);
        let a = Signal::NoisySine {
            frequency: 1.0,
            noise: 0.3,
            seed: 7,
        }
        .sample(&t);
        let b = Signal::NoisySine {
            frequency: 1.0,
            noise: 0.3,
            seed: 7,
        }
        .sample(&t);
        let c = Signal::NoisySine {
            frequency: 1.0,
            noise: 0.3,
            seed: 8,
        }
        .sample(&t);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
