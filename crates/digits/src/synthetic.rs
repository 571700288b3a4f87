//! Synthetic handwritten digits: the offline data of the web app, deterministic per seed.
//!
//! Each digit has stroke templates in a few styles (an open and a closed 4, a plain and a
//! crossed 7, a plain and a serif 1, …) drawn in a unit box (x to the right, y down). A sample
//! picks a style, bends the strokes with a smooth random ("elastic") displacement, slants,
//! rotates and stretches them, draws them with a random pen thickness on a 64×64 canvas, and
//! then brings the result to MNIST's layout with the same [`preprocess_drawing`] the drawing
//! pad uses: the ink fitted into 20×20, the centre of mass at the centre of 28×28.

use convlab_kernels::rng::SplitMix64;

use crate::mnist::{IMAGE_PIXELS, MnistDataset, MnistError};
use crate::preprocess::{PreprocessError, preprocess_drawing};

/// Side of the canvas the strokes are drawn on before preprocessing.
pub const CANVAS: usize = 64;
/// The unit box maps to `[MARGIN, CANVAS − MARGIN]` on the canvas.
const MARGIN: f32 = 8.0;

type Point = (f32, f32);
type Stroke = Vec<Point>;

/// Points on an elliptic arc, angles in degrees, 0° = right, 90° = down (y grows downwards).
fn arc(cx: f32, cy: f32, rx: f32, ry: f32, from: f32, to: f32) -> Stroke {
    let steps = (((to - from).abs() / 8.0).ceil() as usize).max(2);
    (0..=steps)
        .map(|i| {
            let a = (from + (to - from) * i as f32 / steps as f32).to_radians();
            (cx + rx * a.cos(), cy + ry * a.sin())
        })
        .collect()
}

/// A quadratic Bézier curve from `a` to `c` pulled towards `b`.
fn bezier(a: Point, b: Point, c: Point) -> Stroke {
    (0..=16)
        .map(|i| {
            let t = i as f32 / 16.0;
            let u = 1.0 - t;
            (
                u * u * a.0 + 2.0 * u * t * b.0 + t * t * c.0,
                u * u * a.1 + 2.0 * u * t * b.1 + t * t * c.1,
            )
        })
        .collect()
}

/// How many drawing styles `digit` has.
pub fn style_count(digit: u8) -> usize {
    match digit {
        0 | 2 | 3 | 4 | 6 | 7 | 8 | 9 => 2,
        1 => 3,
        5 => 1,
        _ => 0,
    }
}

/// The strokes of `digit` in `style` (`style < style_count(digit)`).
fn template(digit: u8, style: usize) -> Vec<Stroke> {
    match (digit, style) {
        (0, 0) => vec![arc(0.5, 0.5, 0.3, 0.46, 0.0, 365.0)],
        (0, _) => vec![arc(0.5, 0.5, 0.22, 0.46, -80.0, 290.0)],
        (1, 0) => vec![vec![(0.5, 0.03), (0.5, 0.97)]],
        // Serif 1: a flag, the stem and a foot.
        (1, 1) => vec![
            vec![(0.3, 0.22), (0.52, 0.03), (0.52, 0.97)],
            vec![(0.3, 0.97), (0.74, 0.97)],
        ],
        (1, _) => vec![vec![(0.32, 0.2), (0.52, 0.03), (0.5, 0.97)]],
        (2, 0) => vec![
            arc(0.5, 0.3, 0.3, 0.26, 200.0, 380.0),
            vec![(0.78, 0.39), (0.18, 0.95), (0.85, 0.95)],
        ],
        (2, _) => {
            let mut s = arc(0.5, 0.3, 0.3, 0.26, 190.0, 370.0);
            s.extend(bezier((0.8, 0.35), (0.6, 0.75), (0.15, 0.95)));
            s.extend([(0.5, 0.9), (0.88, 0.95)]);
            vec![s]
        }
        (3, 0) => vec![
            arc(0.48, 0.27, 0.28, 0.23, 200.0, 450.0),
            arc(0.48, 0.73, 0.32, 0.25, 270.0, 520.0),
        ],
        // Flat-topped 3.
        (3, _) => {
            let mut s = vec![(0.2, 0.04), (0.8, 0.04), (0.42, 0.42)];
            s.extend(arc(0.48, 0.7, 0.32, 0.27, 250.0, 520.0));
            vec![s]
        }
        // Closed 4: a triangle on the stem.
        (4, 0) => vec![
            vec![(0.65, 0.03), (0.12, 0.66), (0.88, 0.66)],
            vec![(0.65, 0.03), (0.65, 0.98)],
        ],
        // Open 4: two separate strokes.
        (4, _) => vec![
            vec![(0.22, 0.03), (0.18, 0.58), (0.88, 0.58)],
            vec![(0.7, 0.08), (0.7, 0.98)],
        ],
        (5, _) => {
            let mut s = vec![(0.82, 0.04), (0.26, 0.04), (0.22, 0.46)];
            s.extend(arc(0.48, 0.69, 0.32, 0.27, 235.0, 505.0));
            vec![s]
        }
        (6, 0) => {
            let mut s = bezier((0.72, 0.03), (0.2, 0.25), (0.2, 0.72));
            s.extend(arc(0.5, 0.72, 0.3, 0.25, 180.0, 540.0));
            vec![s]
        }
        (6, _) => {
            let mut s = vec![(0.7, 0.03), (0.25, 0.6)];
            s.extend(arc(0.48, 0.74, 0.26, 0.23, 200.0, 560.0));
            vec![s]
        }
        (7, 0) => vec![vec![(0.14, 0.04), (0.86, 0.04), (0.4, 0.97)]],
        // Crossed 7.
        (7, _) => vec![
            vec![(0.14, 0.04), (0.86, 0.04), (0.42, 0.97)],
            vec![(0.36, 0.5), (0.82, 0.5)],
        ],
        (8, 0) => vec![
            arc(0.5, 0.26, 0.23, 0.22, 0.0, 365.0),
            arc(0.5, 0.72, 0.29, 0.25, 0.0, 365.0),
        ],
        // One stroke crossing itself at the waist.
        (8, _) => {
            let mut s = bezier((0.75, 0.12), (0.5, -0.08), (0.28, 0.2));
            s.extend(bezier((0.28, 0.2), (0.3, 0.38), (0.5, 0.48)));
            s.extend(bezier((0.5, 0.48), (0.85, 0.62), (0.72, 0.85)));
            s.extend(bezier((0.72, 0.85), (0.5, 1.05), (0.26, 0.85)));
            s.extend(bezier((0.26, 0.85), (0.2, 0.62), (0.5, 0.48)));
            s.extend(bezier((0.5, 0.48), (0.72, 0.36), (0.75, 0.12)));
            vec![s]
        }
        (9, 0) => vec![
            arc(0.48, 0.3, 0.28, 0.26, 0.0, 365.0),
            vec![(0.76, 0.3), (0.72, 0.98)],
        ],
        (9, _) => vec![
            arc(0.48, 0.3, 0.28, 0.26, 0.0, 365.0),
            bezier((0.76, 0.3), (0.8, 0.85), (0.42, 0.98)),
        ],
        _ => Vec::new(),
    }
}

/// Why a synthetic digit could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SyntheticError {
    #[error("there is no digit {0}: digits are 0 to 9")]
    NoSuchDigit(u8),
    #[error("the digit rendered without ink: {0}")]
    Render(#[from] PreprocessError),
    #[error(transparent)]
    Dataset(#[from] MnistError),
}

/// The random choices behind one sample, so a page can show or vary them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variation {
    pub style: usize,
    /// Horizontal shear: positive leans the top to the right.
    pub slant: f32,
    /// Rotation in degrees, clockwise on screen.
    pub rotation: f32,
    /// Width relative to height.
    pub aspect: f32,
    /// Pen thickness in canvas pixels (the canvas is 64×64, the digit about 48 high).
    pub thickness: f32,
    /// Amplitude of the elastic bending, in units of the digit's height.
    pub elastic: f32,
}

impl Variation {
    /// The choices for `digit` and `seed`.
    pub fn sample(digit: u8, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed ^ (u64::from(digit) << 56) ^ 0x5EED_D161_7000_0000);
        let mut uniform = |lo: f32, hi: f32| lo + (hi - lo) * rng.next_f32();
        let styles = style_count(digit).max(1);
        let style = ((uniform(0.0, 1.0) * styles as f32) as usize).min(styles - 1);
        Self {
            style,
            slant: uniform(-0.15, 0.4),
            rotation: uniform(-10.0, 10.0),
            aspect: uniform(0.75, 1.15),
            thickness: uniform(4.5, 8.0),
            elastic: uniform(0.0, 0.035),
        }
    }
}

/// One synthetic `digit` (0–9) for `seed`: 784 values, row-major 28×28, ink high.
pub fn synthetic_digit(digit: u8, seed: u64) -> Result<Vec<f32>, SyntheticError> {
    render(digit, Variation::sample(digit, seed), seed)
}

/// The pen strokes of one synthetic digit on the 64×64 canvas it is drawn on, before
/// preprocessing: what a test replays as pointer events on the drawing pad.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticStrokes {
    /// Side of the square canvas the points are on ([`CANVAS`] pixels).
    pub canvas: usize,
    /// Pen thickness in canvas pixels.
    pub thickness: f32,
    /// Each stroke's points, `(x, y)` in canvas pixels, x to the right, y down.
    pub strokes: Vec<Vec<(f32, f32)>>,
}

/// The strokes behind [`synthetic_digit`]`(digit, seed)`.
pub fn synthetic_strokes(digit: u8, seed: u64) -> Result<SyntheticStrokes, SyntheticError> {
    strokes(digit, Variation::sample(digit, seed), seed)
}

/// `digit`'s strokes bent, slanted, rotated and stretched by `v`; `seed` drives the bending.
pub fn strokes(digit: u8, v: Variation, seed: u64) -> Result<SyntheticStrokes, SyntheticError> {
    if digit > 9 {
        return Err(SyntheticError::NoSuchDigit(digit));
    }
    let mut rng = SplitMix64::new(seed.rotate_left(17) ^ u64::from(digit));
    // A smooth displacement field: two low-frequency waves per axis with random phases.
    let waves: Vec<(f32, f32, f32)> = (0..4)
        .map(|_| {
            let f = 0.6 + 1.2 * rng.next_f32();
            let g = 0.6 + 1.2 * rng.next_f32();
            (f, g, std::f32::consts::TAU * rng.next_f32())
        })
        .collect();
    let bend = |x: f32, y: f32, k: usize| {
        let (f, g, phase) = waves[k];
        (std::f32::consts::TAU * (f * x + g * y) + phase).sin()
    };
    let (sin, cos) = v.rotation.to_radians().sin_cos();
    let transform = |(x, y): Point| -> Point {
        let dx = v.elastic * (bend(x, y, 0) + bend(x, y, 1)) / 2.0;
        let dy = v.elastic * (bend(x, y, 2) + bend(x, y, 3)) / 2.0;
        let (x, y) = (x + dx - 0.5, y + dy - 0.5);
        let x = x * v.aspect + v.slant * -y;
        (x * cos - y * sin + 0.5, x * sin + y * cos + 0.5)
    };
    let scale = CANVAS as f32 - 2.0 * MARGIN;
    let strokes = template(digit, v.style)
        .into_iter()
        .map(|stroke| {
            stroke
                .into_iter()
                .map(transform)
                .map(|(x, y)| (MARGIN + x * scale, MARGIN + y * scale))
                .collect()
        })
        .collect();
    Ok(SyntheticStrokes {
        canvas: CANVAS,
        thickness: v.thickness,
        strokes,
    })
}

/// `digit` drawn with the given choices; `seed` only drives the elastic bending.
pub fn render(digit: u8, v: Variation, seed: u64) -> Result<Vec<f32>, SyntheticError> {
    let drawn = strokes(digit, v, seed)?;
    let mut canvas = vec![0.0f32; CANVAS * CANVAS];
    for points in &drawn.strokes {
        for pair in points.windows(2) {
            draw_segment(&mut canvas, pair[0], pair[1], drawn.thickness);
        }
    }
    Ok(preprocess_drawing(&canvas, CANVAS, CANVAS)?.pixels)
}

/// Ink along the segment `a`–`b` with a soft edge one pixel wide; overlapping strokes keep
/// the darker value.
fn draw_segment(canvas: &mut [f32], a: Point, b: Point, thickness: f32) {
    let r = thickness / 2.0;
    let lo = |u: f32, v: f32| ((u.min(v) - r - 1.0).floor().max(0.0)) as usize;
    let hi = |u: f32, v: f32| ((u.max(v) + r + 1.0).ceil().max(0.0) as usize).min(CANVAS - 1);
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = (dx * dx + dy * dy).max(1e-9);
    for row in lo(a.1, b.1)..=hi(a.1, b.1) {
        for col in lo(a.0, b.0)..=hi(a.0, b.0) {
            let (px, py) = (col as f32 + 0.5, row as f32 + 0.5);
            let t = (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0);
            let d = ((px - a.0 - t * dx).powi(2) + (py - a.1 - t * dy).powi(2)).sqrt();
            let ink = (r + 0.5 - d).clamp(0.0, 1.0);
            let cell = &mut canvas[row * CANVAS + col];
            *cell = cell.max(ink);
        }
    }
}

/// Seed of the example digits the web pages offer ("the example 4"): chosen so that the
/// shipped LeNet-5 labels every one of the ten right (`tests/shipped_weights.rs` checks it).
pub const EXAMPLE_SEED: u64 = 3;

/// The example `digit` the pages show: [`synthetic_digit`] at [`EXAMPLE_SEED`].
pub fn example_digit(digit: u8) -> Result<Vec<f32>, SyntheticError> {
    synthetic_digit(digit, EXAMPLE_SEED)
}

/// `count` synthetic digits, labels cycling 0, 1, …, 9, as a dataset like MNIST's.
pub fn synthetic_dataset(count: usize, seed: u64) -> Result<MnistDataset, SyntheticError> {
    let mut images = Vec::with_capacity(count * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(count);
    for i in 0..count {
        let digit = (i % 10) as u8;
        images.extend(synthetic_digit(digit, seed.wrapping_add(i as u64))?);
        labels.push(digit);
    }
    Ok(MnistDataset::from_parts(images, labels)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::centre_of_mass;

    #[test]
    fn every_digit_and_style_renders_centred_ink() {
        for digit in 0..10u8 {
            for style in 0..style_count(digit) {
                let v = Variation {
                    style,
                    slant: 0.0,
                    rotation: 0.0,
                    aspect: 1.0,
                    thickness: 6.0,
                    elastic: 0.0,
                };
                let px = render(digit, v, 1).unwrap();
                assert_eq!(px.len(), 784);
                let ink: f32 = px.iter().sum();
                assert!(
                    ink > 30.0 && ink < 300.0,
                    "digit {digit} style {style}: ink {ink}"
                );
                let (r, c) = centre_of_mass(&px, 28).unwrap();
                assert!(
                    (r - 14.0).abs() < 1.0 && (c - 14.0).abs() < 1.0,
                    "digit {digit}: centre ({r}, {c})"
                );
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_digit() {
        assert_eq!(
            synthetic_digit(4, 99).unwrap(),
            synthetic_digit(4, 99).unwrap()
        );
        assert_ne!(
            synthetic_digit(4, 99).unwrap(),
            synthetic_digit(4, 100).unwrap()
        );
    }

    #[test]
    fn digits_differ_from_one_another() {
        // Mean images over a few seeds: every pair of digits is clearly apart.
        let mean = |d: u8| {
            let mut m = vec![0.0f32; 784];
            for s in 0..20 {
                for (a, b) in m.iter_mut().zip(synthetic_digit(d, s).unwrap()) {
                    *a += b / 20.0;
                }
            }
            m
        };
        let means: Vec<Vec<f32>> = (0..10).map(mean).collect();
        for a in 0..10 {
            for b in a + 1..10 {
                let d: f32 = means[a]
                    .iter()
                    .zip(&means[b])
                    .map(|(x, y)| (x - y).powi(2))
                    .sum();
                assert!(d > 5.0, "digits {a} and {b} are too alike ({d})");
            }
        }
    }

    #[test]
    fn dataset_cycles_the_labels() {
        let ds = synthetic_dataset(30, 5).unwrap();
        assert_eq!(ds.len(), 30);
        assert_eq!(ds.class_counts(), [3; 10]);
        assert_eq!(ds.label(13), Some(3));
        assert!(synthetic_digit(10, 0).is_err());
    }
}
