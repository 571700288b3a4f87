//! Built-in sample images, generated (no files, no network) and deterministic.

use crate::Grid;
use crate::rng::SplitMix64;

/// A generated test picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sample {
    /// A disc, a square and a triangle on a soft gradient: edges in every direction.
    Shapes,
    /// Concentric rings: Θ sweeps the whole colour wheel.
    Rings,
    /// A checkerboard: straight horizontal and vertical edges.
    Checkerboard,
    /// A house with a window and a sun, as a child would draw it.
    House,
    /// A blurred digit-like stroke "7" with noise: what the network pages start from.
    NoisySeven,
}

impl Sample {
    pub const ALL: [Sample; 5] = [
        Sample::Shapes,
        Sample::Rings,
        Sample::Checkerboard,
        Sample::House,
        Sample::NoisySeven,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Sample::Shapes => "Shapes",
            Sample::Rings => "Rings",
            Sample::Checkerboard => "Checkerboard",
            Sample::House => "House",
            Sample::NoisySeven => "Noisy 7",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Sample::Shapes => "shapes",
            Sample::Rings => "rings",
            Sample::Checkerboard => "checkerboard",
            Sample::House => "house",
            Sample::NoisySeven => "noisy-seven",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// The picture at `rows × cols`, values in `[0, 1]`.
    pub fn generate(self, rows: usize, cols: usize) -> Grid {
        let (h, w) = (rows.max(1) as f32, cols.max(1) as f32);
        match self {
            Sample::Shapes => Grid::from_fn(rows, cols, |r, c| {
                let (y, x) = ((r as f32 + 0.5) / h, (c as f32 + 0.5) / w);
                let mut v = 0.15 + 0.2 * x;
                if (x - 0.28).powi(2) + (y - 0.35).powi(2) < 0.17f32.powi(2) {
                    v = 0.95;
                }
                if (0.55..0.85).contains(&x) && (0.15..0.45).contains(&y) {
                    v = 0.65;
                }
                // Triangle: apex (0.5, 0.55), base from (0.25, 0.9) to (0.75, 0.9).
                if (0.55..0.9).contains(&y) && (x - 0.5).abs() < (y - 0.55) / 0.35 * 0.25 {
                    v = 0.8;
                }
                v
            }),
            Sample::Rings => Grid::from_fn(rows, cols, |r, c| {
                let (y, x) = ((r as f32 + 0.5) / h - 0.5, (c as f32 + 0.5) / w - 0.5);
                let d = (x * x + y * y).sqrt();
                if ((d * 12.0) as u32).is_multiple_of(2) {
                    0.9
                } else {
                    0.1
                }
            }),
            Sample::Checkerboard => Grid::from_fn(rows, cols, |r, c| {
                let (i, j) = ((r as f32 / h * 8.0) as u32, (c as f32 / w * 8.0) as u32);
                if (i + j).is_multiple_of(2) {
                    0.85
                } else {
                    0.15
                }
            }),
            Sample::House => Grid::from_fn(rows, cols, |r, c| {
                let (y, x) = ((r as f32 + 0.5) / h, (c as f32 + 0.5) / w);
                let mut v = if y > 0.85 { 0.35 } else { 0.75 - 0.3 * y };
                if (x - 0.82).powi(2) + (y - 0.15).powi(2) < 0.08f32.powi(2) {
                    v = 1.0;
                }
                let in_walls = (0.25..0.7).contains(&x) && (0.5..0.85).contains(&y);
                let in_roof =
                    (0.25..0.5).contains(&y) && (x - 0.475).abs() < (y - 0.25) / 0.25 * 0.27;
                if in_walls {
                    v = 0.3;
                }
                if in_roof {
                    v = 0.12;
                }
                if (0.33..0.45).contains(&x) && (0.58..0.7).contains(&y) {
                    v = 0.95;
                }
                if (0.53..0.63).contains(&x) && (0.65..0.85).contains(&y) {
                    v = 0.55;
                }
                v
            }),
            Sample::NoisySeven => {
                let mut rng = SplitMix64::new(7);
                Grid::from_fn(rows, cols, |r, c| {
                    let (y, x) = ((r as f32 + 0.5) / h, (c as f32 + 0.5) / w);
                    // The top bar and the diagonal of a 7, as distances to two segments.
                    let bar = segment_distance((x, y), (0.25, 0.22), (0.75, 0.22));
                    let leg = segment_distance((x, y), (0.75, 0.22), (0.42, 0.82));
                    let ink = (-(bar.min(leg) / 0.06).powi(2)).exp();
                    (ink + 0.15 * rng.next_gaussian()).clamp(0.0, 1.0)
                })
            }
        }
    }
}

fn segment_distance(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (abx, aby) = (b.0 - a.0, b.1 - a.1);
    let t = (((p.0 - a.0) * abx + (p.1 - a.1) * aby) / (abx * abx + aby * aby)).clamp(0.0, 1.0);
    let (dx, dy) = (p.0 - a.0 - t * abx, p.1 - a.1 - t * aby);
    (dx * dx + dy * dy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_in_range_and_deterministic() {
        for s in Sample::ALL {
            let a = s.generate(32, 48);
            assert_eq!(a.shape(), (32, 48));
            let (lo, hi) = a.min_max();
            assert!(lo >= 0.0 && hi <= 1.0 && hi > lo, "{}", s.label());
            assert_eq!(a, s.generate(32, 48));
            assert_eq!(Sample::from_slug(s.slug()), Some(s));
        }
    }
}
