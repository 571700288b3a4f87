//! Maths on latent codes for the browser pages, in plain Rust on `&[f32]` (no Burn, no DOM):
//! paths between two codes, the prior's quantiles for the decoded manifold, and a 2-D
//! projection for latent spaces of more than two dimensions.
//!
//! A latent code is a `&[f32]` of length L (2 for VAE-2, 16 for VAE-16). The prior of the VAE
//! is `N(0, I)`.

/// How to travel from one latent code to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Path {
    /// The straight line `(1 − t)·a + t·b`.
    #[default]
    Linear,
    /// Spherical interpolation: along the great circle between the directions of `a` and `b`,
    /// with the length interpolated linearly. Under a Gaussian prior most mass lies near a
    /// sphere, and the straight line's middle falls inside it, where few codes ever were.
    Spherical,
}

impl Path {
    /// Both paths, in menu order.
    pub const ALL: [Path; 2] = [Path::Linear, Path::Spherical];

    /// The name in URLs: `linear`, `slerp`.
    pub fn slug(self) -> &'static str {
        match self {
            Path::Linear => "linear",
            Path::Spherical => "slerp",
        }
    }

    /// The path with this [`slug`](Self::slug).
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.slug() == slug)
    }

    /// The point at `t ∈ [0, 1]` on the way from `a` to `b` (`t` is clamped). Codes of
    /// different lengths are cut to the shorter one.
    pub fn at(self, a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        match self {
            Path::Linear => lerp(a, b, t),
            Path::Spherical => slerp(a, b, t),
        }
    }

    /// `steps` evenly spaced points from `a` (first) to `b` (last); one step gives `a`.
    pub fn points(self, a: &[f32], b: &[f32], steps: usize) -> Vec<Vec<f32>> {
        let last = steps.saturating_sub(1).max(1) as f32;
        (0..steps).map(|i| self.at(a, b, i as f32 / last)).collect()
    }
}

/// `(1 − t)·a + t·b`.
pub fn lerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (1.0 - t) * x + t * y)
        .collect()
}

/// Spherical interpolation of the directions of `a` and `b`, with the norm interpolated
/// linearly. Falls back to [`lerp`] when either code is (nearly) zero or the two point the
/// same way, where the great circle is not defined.
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    let (na, nb) = (norm(a), norm(b));
    if na < 1e-6 || nb < 1e-6 {
        return lerp(a, b, t);
    }
    let cos = (dot(a, b) / (na * nb)).clamp(-1.0, 1.0);
    let omega = cos.acos();
    if omega.sin().abs() < 1e-4 {
        return lerp(a, b, t);
    }
    let (wa, wb) = (
        ((1.0 - t) * omega).sin() / omega.sin(),
        (t * omega).sin() / omega.sin(),
    );
    let length = (1.0 - t) * na + t * nb;
    let direction: Vec<f32> = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| wa * x / na + wb * y / nb)
        .collect();
    let n = norm(&direction).max(1e-12);
    direction.into_iter().map(|v| v * length / n).collect()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f32]) -> f32 {
    dot(a, a).sqrt()
}

/// Euclidean distance between two images or codes.
pub fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

/// The standard normal quantile Φ⁻¹(p) for `p ∈ (0, 1)` (Acklam's rational approximation,
/// relative error below 1.2·10⁻⁹, refined here in f64). `p` outside `(0, 1)` gives ±∞, NaN
/// gives NaN.
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    const LOW: f64 = 0.02425;
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The 2-D codes of the decoded manifold, Keras-style: an `n × n` grid at the prior's
/// quantiles `Φ⁻¹(p)` for `p` evenly spaced in `[margin, 1 − margin]`, so each cell holds the
/// same prior mass. Row-major, the first row at the largest z₂ (the top of a plot), each row
/// from the smallest z₁ to the largest.
pub fn manifold_grid(n: usize, margin: f64) -> Vec<[f32; 2]> {
    let margin = if margin.is_finite() {
        margin.clamp(1e-4, 0.49)
    } else {
        0.05
    };
    let q: Vec<f32> = (0..n)
        .map(|i| {
            let p = if n == 1 {
                0.5
            } else {
                margin + (1.0 - 2.0 * margin) * i as f64 / (n - 1) as f64
            };
            normal_quantile(p) as f32
        })
        .collect();
    q.iter()
        .rev()
        .flat_map(|&y| q.iter().map(move |&x| [x, y]))
        .collect()
}

/// A linear map from L dimensions to 2 (principal components), to show a latent space of more
/// than two dimensions on a plane.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// The mean the codes are centred on.
    pub mean: Vec<f32>,
    /// Two orthonormal directions, the largest variance first.
    pub axes: [Vec<f32>; 2],
}

impl Projection {
    /// The principal components of `codes` (each of length `dim`), by power iteration on
    /// the covariance matrix with deflation. With fewer than two codes, or codes of two
    /// dimensions, the axes are the first two coordinates.
    pub fn fit(codes: &[Vec<f32>], dim: usize) -> Self {
        let n = codes.iter().filter(|c| c.len() == dim).count();
        let mut mean = vec![0.0f64; dim];
        for code in codes.iter().filter(|c| c.len() == dim) {
            for (m, &v) in mean.iter_mut().zip(code) {
                *m += f64::from(v) / n.max(1) as f64;
            }
        }
        let unit = |k: usize| (0..dim).map(|i| if i == k { 1.0 } else { 0.0 }).collect();
        if n < 2 || dim <= 2 {
            return Self {
                mean: mean.iter().map(|&m| m as f32).collect(),
                axes: [unit(0), unit(1.min(dim.saturating_sub(1)))],
            };
        }
        let mut cov = vec![0.0f64; dim * dim];
        for code in codes.iter().filter(|c| c.len() == dim) {
            for i in 0..dim {
                let di = f64::from(code[i]) - mean[i];
                for j in 0..dim {
                    cov[i * dim + j] += di * (f64::from(code[j]) - mean[j]);
                }
            }
        }
        let first = power_iteration(&cov, dim, None);
        let second = power_iteration(&cov, dim, Some(&first));
        let to_f32 = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect();
        Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            axes: [to_f32(first), to_f32(second)],
        }
    }

    /// The 2-D coordinates of `code`.
    pub fn project(&self, code: &[f32]) -> [f32; 2] {
        let centred: Vec<f32> = code.iter().zip(&self.mean).map(|(v, m)| v - m).collect();
        [dot(&centred, &self.axes[0]), dot(&centred, &self.axes[1])]
    }

    /// The code at 2-D coordinates `p`: the mean moved along the two axes (the other
    /// directions left at the mean), so clicking the plane decodes something typical.
    pub fn unproject(&self, p: [f32; 2]) -> Vec<f32> {
        self.mean
            .iter()
            .zip(self.axes[0].iter().zip(&self.axes[1]))
            .map(|(m, (a, b))| m + p[0] * a + p[1] * b)
            .collect()
    }
}

/// The dominant eigenvector of the symmetric `dim × dim` matrix `m`, orthogonal to
/// `orthogonal_to` when given. Deterministic start, 200 iterations.
fn power_iteration(m: &[f64], dim: usize, orthogonal_to: Option<&[f64]>) -> Vec<f64> {
    let mut v: Vec<f64> = (0..dim).map(|i| 1.0 + 0.1 * i as f64).collect();
    let remove = |v: &mut Vec<f64>| {
        if let Some(u) = orthogonal_to {
            let p: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            for (a, b) in v.iter_mut().zip(u) {
                *a -= p * b;
            }
        }
    };
    let normalise = |v: &mut Vec<f64>| {
        let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if n > 1e-300 {
            v.iter_mut().for_each(|x| *x /= n);
        }
    };
    remove(&mut v);
    normalise(&mut v);
    for _ in 0..200 {
        let mut next: Vec<f64> = (0..dim)
            .map(|i| (0..dim).map(|j| m[i * dim + j] * v[j]).sum())
            .collect();
        remove(&mut next);
        normalise(&mut next);
        if next.iter().all(|x| *x == 0.0) {
            break;
        }
        v = next;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_the_normal_table() {
        assert!(normal_quantile(0.5).abs() < 1e-9);
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-6);
        assert!((normal_quantile(0.05) + 1.644_853_627).abs() < 1e-6);
        assert!((normal_quantile(0.001) + 3.090_232_306).abs() < 1e-6);
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(f64::NAN).is_nan());
    }

    #[test]
    fn the_manifold_grid_is_symmetric_with_the_top_row_first() {
        let grid = manifold_grid(20, 0.05);
        assert_eq!(grid.len(), 400);
        assert!((grid[0][0] + 1.644_853_6).abs() < 1e-4, "{:?}", grid[0]);
        assert!((grid[0][1] - 1.644_853_6).abs() < 1e-4);
        assert!((grid[399][0] - 1.644_853_6).abs() < 1e-4);
        assert!((grid[399][1] + 1.644_853_6).abs() < 1e-4);
        for (cell, mirror) in grid.iter().zip(grid.iter().rev()) {
            assert!((cell[0] + mirror[0]).abs() < 1e-5 && (cell[1] + mirror[1]).abs() < 1e-5);
        }
        assert_eq!(manifold_grid(1, 0.05), vec![[0.0, 0.0]]);
    }

    #[test]
    fn paths_start_at_a_and_end_at_b() {
        let (a, b) = ([1.0, 0.0], [0.0, 3.0]);
        for path in Path::ALL {
            assert_eq!(path.at(&a, &b, 0.0), a.to_vec());
            let end = path.at(&a, &b, 1.0);
            assert!(distance(&end, &b) < 1e-5, "{path:?}: {end:?}");
            assert_eq!(path.points(&a, &b, 5).len(), 5);
            assert_eq!(Path::from_slug(path.slug()), Some(path));
        }
        assert_eq!(lerp(&a, &b, 0.5), vec![0.5, 1.5]);
        // Halfway round a quarter circle, with the length halfway between 1 and 3.
        let mid = slerp(&a, &b, 0.5);
        assert!((norm(&mid) - 2.0).abs() < 1e-5, "{mid:?}");
        assert!((mid[0] - mid[1]).abs() < 1e-5, "{mid:?}");
        // Degenerate cases fall back to the straight line.
        assert_eq!(slerp(&[0.0, 0.0], &b, 0.5), lerp(&[0.0, 0.0], &b, 0.5));
        assert_eq!(slerp(&a, &[2.0, 0.0], 0.5), vec![1.5, 0.0]);
    }

    #[test]
    fn the_projection_finds_the_direction_of_largest_spread() {
        // Points spread along (1, 1, 0) a lot and along (0, 0, 1) a little.
        let codes: Vec<Vec<f32>> = (0..50)
            .map(|i| {
                let s = i as f32 - 25.0;
                vec![s + 5.0, s + 5.0, 0.1 * (i % 7) as f32]
            })
            .collect();
        let p = Projection::fit(&codes, 3);
        let axis = &p.axes[0];
        let h = std::f32::consts::FRAC_1_SQRT_2;
        assert!(
            (axis[0].abs() - h).abs() < 1e-3 && (axis[1].abs() - h).abs() < 1e-3,
            "{axis:?}"
        );
        assert!(dot(&p.axes[0], &p.axes[1]).abs() < 1e-4);
        // The mean projects to the origin, and unproject inverts project on the plane.
        let origin = p.project(&p.mean);
        assert!(origin[0].abs() < 1e-4 && origin[1].abs() < 1e-4);
        let back = p.project(&p.unproject([2.0, -1.0]));
        assert!(
            (back[0] - 2.0).abs() < 1e-4 && (back[1] + 1.0).abs() < 1e-4,
            "{back:?}"
        );
        // Two dimensions: the identity.
        let flat = Projection::fit(&[vec![1.0, 2.0], vec![3.0, 4.0]], 2);
        assert_eq!(flat.axes, [vec![1.0, 0.0], vec![0.0, 1.0]]);
    }
}
