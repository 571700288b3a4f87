//! 1D convolution: the lecture's `(f ∗ g)(t) = ∫ f(τ) g(t − τ) dτ`, sampled.
//!
//! For sampled signals the integral becomes a sum. [`convolve1d`] is the discrete convolution
//! with NumPy's three output modes; [`SlidingView`] is the picture on the 1D slide: `g` flipped
//! and shifted to `t`, its product with `f`, and the running value of `(f ∗ g)(t)`.

use crate::KernelError;

/// How much of the full convolution to keep (NumPy's `mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode1d {
    /// Every shift where the signals overlap at all: length `n + m − 1`.
    Full,
    /// The centre of `Full`, as long as the longer input: `max(n, m)`.
    Same,
    /// Only shifts where one signal lies wholly inside the other: `max(n, m) − min(n, m) + 1`.
    Valid,
}

/// Discrete convolution `(f ∗ g)[n] = Σₖ f[k] · g[n − k]`, cut to `mode`.
pub fn convolve1d(f: &[f32], g: &[f32], mode: Mode1d) -> Result<Vec<f32>, KernelError> {
    if f.is_empty() {
        return Err(KernelError::Empty { what: "signal f" });
    }
    if g.is_empty() {
        return Err(KernelError::Empty { what: "signal g" });
    }
    let (n, m) = (f.len(), g.len());
    let mut full = vec![0.0f32; n + m - 1];
    for (k, &fk) in f.iter().enumerate() {
        for (j, &gj) in g.iter().enumerate() {
            full[k + j] += fk * gj;
        }
    }
    let (long, short) = (n.max(m), n.min(m));
    let (start, len) = match mode {
        Mode1d::Full => (0, full.len()),
        Mode1d::Same => ((short - 1) / 2, long),
        Mode1d::Valid => (short - 1, long - short + 1),
    };
    Ok(full[start..start + len].to_vec())
}

/// Two signals sampled on the same symmetric grid `τₖ = (k − c)·h`, `k = 0..len`, where
/// `c = (len − 1) / 2` is the sample at τ = 0. Then `g(tⱼ − τₖ)` is again a sample of `g`
/// (index `j − k + c`), so the slide's picture can be drawn exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct SlidingView {
    /// `f(τₖ)`.
    pub f: Vec<f32>,
    /// `g(tⱼ − τₖ)`: `g` flipped and shifted to `tⱼ`, zero where it runs off the grid.
    pub g_flipped_shifted: Vec<f32>,
    /// `f(τₖ) · g(tⱼ − τₖ)`: the area under this is `(f ∗ g)(tⱼ)`.
    pub product: Vec<f32>,
    /// `(f ∗ g)(tᵢ)` for every `i` (the whole curve; the page reveals it up to `j`).
    pub result: Vec<f32>,
    /// `(f ∗ g)(tⱼ)`.
    pub value: f32,
}

impl SlidingView {
    /// The view at shift index `j` for samples `f`, `g` of equal odd length and spacing `step`.
    pub fn new(f: &[f32], g: &[f32], step: f32, j: usize) -> Result<Self, KernelError> {
        if f.len() != g.len() {
            return Err(KernelError::ChannelMismatch {
                what: "samples of g (same grid as f)",
                expected: f.len(),
                found: g.len(),
            });
        }
        if f.is_empty() {
            return Err(KernelError::Empty { what: "signal f" });
        }
        let len = f.len();
        let c = (len - 1) / 2;
        let j = j.min(len - 1);
        let g_flipped_shifted: Vec<f32> = (0..len)
            .map(|k| {
                let idx = j as isize - k as isize + c as isize;
                if (0..len as isize).contains(&idx) {
                    g[idx as usize]
                } else {
                    0.0
                }
            })
            .collect();
        let product: Vec<f32> = f
            .iter()
            .zip(&g_flipped_shifted)
            .map(|(a, b)| a * b)
            .collect();
        let result: Vec<f32> = convolve1d(f, g, Mode1d::Same)?
            .into_iter()
            .map(|v| v * step)
            .collect();
        let value = result[j];
        Ok(Self {
            f: f.to_vec(),
            g_flipped_shifted,
            product,
            result,
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_match_numpy() {
        // numpy.convolve([1, 2, 3], [0, 1, 0.5], mode) for each mode.
        let f = [1.0, 2.0, 3.0];
        let g = [0.0, 1.0, 0.5];
        assert_eq!(
            convolve1d(&f, &g, Mode1d::Full).unwrap(),
            vec![0.0, 1.0, 2.5, 4.0, 1.5]
        );
        assert_eq!(
            convolve1d(&f, &g, Mode1d::Same).unwrap(),
            vec![1.0, 2.5, 4.0]
        );
        assert_eq!(convolve1d(&f, &g, Mode1d::Valid).unwrap(), vec![2.5]);
        let long = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(
            convolve1d(&long, &[1.0, 1.0], Mode1d::Same).unwrap(),
            vec![1.0, 3.0, 5.0, 7.0]
        );
        assert_eq!(
            convolve1d(&long, &[1.0, 1.0], Mode1d::Valid).unwrap(),
            vec![3.0, 5.0, 7.0]
        );
    }

    #[test]
    fn convolution_commutes() {
        let f = [1.0, -2.0, 0.5, 4.0];
        let g = [3.0, 1.0];
        assert_eq!(
            convolve1d(&f, &g, Mode1d::Full).unwrap(),
            convolve1d(&g, &f, Mode1d::Full).unwrap()
        );
    }

    #[test]
    fn sliding_product_integrates_to_the_curve() {
        let f: Vec<f32> = (0..21)
            .map(|k| if (7..14).contains(&k) { 1.0 } else { 0.0 })
            .collect();
        let g = f.clone();
        for j in 0..21 {
            let view = SlidingView::new(&f, &g, 0.5, j).unwrap();
            let area: f32 = view.product.iter().sum::<f32>() * 0.5;
            assert!((area - view.value).abs() < 1e-5, "shift {j}");
        }
        // Two boxes of width 7 samples make a triangle peaking at the centre: 7 × h.
        let centre = SlidingView::new(&f, &g, 0.5, 10).unwrap();
        assert_eq!(centre.value, 3.5);
    }

    #[test]
    fn empty_signals_are_errors() {
        assert!(convolve1d(&[], &[1.0], Mode1d::Full).is_err());
        assert!(SlidingView::new(&[1.0], &[1.0, 2.0], 1.0, 0).is_err());
    }
}
