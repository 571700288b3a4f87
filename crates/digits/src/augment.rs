//! Data augmentation for 28×28 digits: random shifts, rotations, zooms, mirror images and
//! input noise, drawn afresh for every training image.
//!
//! The lecture's "CNN – Model Training" slides: a model with many free weights learns best
//! from as much data as possible, and when the task does not care where (or at what slight
//! angle, or at what size) a digit is drawn, moving the training images around makes more
//! data out of the same images and keeps the model from learning the position by heart. The
//! same slides warn that not every change is harmless: 6 ≠ 9, and a mirrored 2, 3, 4, 5 or 7
//! is no digit at all, so the horizontal [`flip`](AugmentConfig::flip) is off unless asked for.
//!
//! Additive Gaussian noise is the other kind: for an autoencoder trained to give back the
//! clean image from a noisy one (a denoising autoencoder, the lecture's "AutoEncoder – Noise
//! Reduction"), [`augment_pair`] returns both the noisy input and the clean target.
//!
//! Plain Rust on `&[f32]`, no Burn, deterministic for a given [`SplitMix64`] state, so the
//! trainer and the web app draw the same images from the same seed.
//!
//! Geometry: pixel `(row, col)` covers `[row, row + 1) × [col, col + 1)`, so the frame's centre
//! is `(14, 14)`. The transform is one affine map about that centre (mirror, then rotate and
//! scale, then shift); each output pixel samples the input bilinearly at the inverse-mapped
//! position, and whatever falls outside the input is background (0).

use convlab_kernels::rng::SplitMix64;
use serde::{Deserialize, Serialize};

use crate::mnist::{IMAGE_PIXELS, IMAGE_SIZE};

/// Which random changes to make, and how large at most. [`Default`] changes nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AugmentConfig {
    /// Largest shift in pixels, horizontally and vertically (each drawn uniformly from
    /// `[-translate, translate]` and rounded to whole pixels, as torchvision's `RandomAffine`
    /// does, so a pure shift keeps the strokes sharp).
    pub translate: f32,
    /// Largest rotation in degrees, either way (drawn uniformly from `[-rotate, rotate]`).
    pub rotate: f32,
    /// Largest relative change of size: the zoom factor is drawn uniformly from
    /// `[1 - scale, 1 + scale]` (0.1: from 90% to 110%). Must stay below 1.
    pub scale: f32,
    /// Mirror left–right, half of the time. Off by default: a mirrored digit is not a digit
    /// (the lecture's 6 ≠ 9 warning), though a mirrored person waving is still a person.
    pub flip: bool,
    /// Turn upside down (mirror top–bottom), half of the time. Off by default: it makes a 6 of
    /// a 9 and a 9 of a 6 (the lecture's warning).
    pub flip_vertical: bool,
    /// Standard deviation of Gaussian noise added to every pixel (then clamped to `[0, 1]`).
    pub noise: f32,
}

/// Why an [`AugmentConfig`] cannot be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AugmentError {
    /// A maximum that is negative, infinite or not a number.
    #[error("augmentation {field} must be a finite number ≥ 0, got {value}")]
    Negative { field: &'static str, value: f32 },
    /// A zoom range that would shrink a digit to nothing or turn it inside out.
    #[error("augmentation scale must be below 1 (a zoom between 1 − scale and 1 + scale), got {0}")]
    ScaleTooLarge(f32),
}

impl AugmentConfig {
    /// Checks that every maximum is a finite number ≥ 0 and the scale below 1.
    pub fn check(&self) -> Result<(), AugmentError> {
        for (field, value) in [
            ("translate", self.translate),
            ("rotate", self.rotate),
            ("scale", self.scale),
            ("noise", self.noise),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(AugmentError::Negative { field, value });
            }
        }
        if self.scale >= 1.0 {
            return Err(AugmentError::ScaleTooLarge(self.scale));
        }
        Ok(())
    }

    /// Whether any geometric change is on (shift, rotation, zoom or mirror).
    pub fn moves_pixels(&self) -> bool {
        self.translate > 0.0
            || self.rotate > 0.0
            || self.scale > 0.0
            || self.flip
            || self.flip_vertical
    }

    /// Whether the images are left exactly as they are.
    pub fn is_identity(&self) -> bool {
        !self.moves_pixels() && self.noise <= 0.0
    }

    /// A short description, "shift ±2 px, rotate ±10°" or "none".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.translate > 0.0 {
            parts.push(format!("shift ±{} px", self.translate));
        }
        if self.rotate > 0.0 {
            parts.push(format!("rotate ±{}°", self.rotate));
        }
        if self.scale > 0.0 {
            parts.push(format!("zoom ±{}%", self.scale * 100.0));
        }
        if self.flip {
            parts.push("mirror half of the images".to_string());
        }
        if self.flip_vertical {
            parts.push("turn half of the images upside down".to_string());
        }
        if self.noise > 0.0 {
            parts.push(format!("Gaussian noise σ = {}", self.noise));
        }
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// One concrete geometric change, as drawn by [`Transform::sample`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transform {
    /// Shift to the right, in pixels.
    pub dx: f32,
    /// Shift downwards, in pixels.
    pub dy: f32,
    /// Rotation in degrees, clockwise on screen.
    pub degrees: f32,
    /// Zoom factor (1: unchanged).
    pub zoom: f32,
    /// Mirror left–right first.
    pub flip: bool,
    /// Mirror top–bottom first.
    pub flip_vertical: bool,
}

impl Default for Transform {
    fn default() -> Self {
        Self {
            dx: 0.0,
            dy: 0.0,
            degrees: 0.0,
            zoom: 1.0,
            flip: false,
            flip_vertical: false,
        }
    }
}

impl Transform {
    /// Draws a transform within `config`'s limits. Only the changes that are on use the
    /// generator, in a fixed order (shift, rotation, zoom, mirror).
    pub fn sample(config: &AugmentConfig, rng: &mut SplitMix64) -> Self {
        let mut t = Self::default();
        let mut symmetric = |max: f32| max * (2.0 * rng.next_f32() - 1.0);
        if config.translate > 0.0 {
            t.dx = symmetric(config.translate).round();
            t.dy = symmetric(config.translate).round();
        }
        if config.rotate > 0.0 {
            t.degrees = symmetric(config.rotate);
        }
        if config.scale > 0.0 {
            // Never below 5%: a config that skipped `check` still gives an image.
            t.zoom = (1.0 + symmetric(config.scale)).max(0.05);
        }
        if config.flip {
            t.flip = rng.next_f32() < 0.5;
        }
        if config.flip_vertical {
            t.flip_vertical = rng.next_f32() < 0.5;
        }
        t
    }

    /// Whether this transform leaves every pixel where it is.
    pub fn is_identity(&self) -> bool {
        *self == Self::default()
    }

    /// `image` (28×28, row-major) under this transform; values stay in `[0, 1]` when the
    /// input's do. An image of the wrong length is returned unchanged.
    pub fn apply(&self, image: &[f32]) -> Vec<f32> {
        if self.is_identity() || image.len() != IMAGE_PIXELS {
            return image.to_vec();
        }
        let centre = IMAGE_SIZE as f32 / 2.0;
        let (sin, cos) = self.degrees.to_radians().sin_cos();
        let mirror = if self.flip { -1.0 } else { 1.0 };
        let upside_down = if self.flip_vertical { -1.0 } else { 1.0 };
        let mut out = vec![0.0f32; IMAGE_PIXELS];
        for (row, line) in out.chunks_exact_mut(IMAGE_SIZE).enumerate() {
            for (col, value) in line.iter_mut().enumerate() {
                // Undo the shift, then the zoom and rotation (the inverse rotation is the
                // transpose), then the mirror: the point of the input that lands here.
                let x = (col as f32 + 0.5 - centre - self.dx) / self.zoom;
                let y = (row as f32 + 0.5 - centre - self.dy) / self.zoom;
                let (x, y) = (cos * x + sin * y, -sin * x + cos * y);
                let (x, y) = (mirror * x + centre, upside_down * y + centre);
                *value = bilinear(image, x - 0.5, y - 0.5).clamp(0.0, 1.0);
            }
        }
        out
    }
}

/// The input at `(u, v)` in pixel-centre coordinates (pixel `(r, c)` sits at `u = c, v = r`),
/// interpolated between the four nearest pixels; pixels outside the frame count as 0.
fn bilinear(image: &[f32], u: f32, v: f32) -> f32 {
    let (c0, r0) = (u.floor(), v.floor());
    let (fu, fv) = (u - c0, v - r0);
    let pixel = |r: f32, c: f32| {
        let inside = (0.0..IMAGE_SIZE as f32).contains(&r) && (0.0..IMAGE_SIZE as f32).contains(&c);
        if inside {
            image[r as usize * IMAGE_SIZE + c as usize]
        } else {
            0.0
        }
    };
    let mut sum = 0.0;
    for (dr, wr) in [(0.0, 1.0 - fv), (1.0, fv)] {
        for (dc, wc) in [(0.0, 1.0 - fu), (1.0, fu)] {
            let weight = wr * wc;
            if weight > 0.0 {
                sum += weight * pixel(r0 + dr, c0 + dc);
            }
        }
    }
    sum
}

/// Adds Gaussian noise of standard deviation `std` to every value and clamps to `[0, 1]`.
pub fn add_noise(image: &mut [f32], std: f32, rng: &mut SplitMix64) {
    if std <= 0.0 {
        return;
    }
    for value in image {
        *value = (*value + std * rng.next_gaussian()).clamp(0.0, 1.0);
    }
}

/// An augmented training image: what the model sees, and what an autoencoder should give back.
#[derive(Clone, Debug, PartialEq)]
pub struct Augmented {
    /// The moved image with the noise added: the model's input.
    pub input: Vec<f32>,
    /// The moved image without noise: the reconstruction target of a denoising autoencoder.
    pub target: Vec<f32>,
}

/// One random transform of `image` (28×28, row-major, values in `[0, 1]`), then noise.
pub fn augment(image: &[f32], config: &AugmentConfig, rng: &mut SplitMix64) -> Vec<f32> {
    augment_pair(image, config, rng).input
}

/// Like [`augment`], and also the clean (moved but noise-free) image. Both draw the same
/// numbers from `rng`, so `augment_pair(..).input == augment(..)` for the same state.
pub fn augment_pair(image: &[f32], config: &AugmentConfig, rng: &mut SplitMix64) -> Augmented {
    let target = Transform::sample(config, rng).apply(image);
    let mut input = target.clone();
    add_noise(&mut input, config.noise, rng);
    Augmented { input, target }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::centre_of_mass;
    use crate::synthetic::synthetic_digit;

    fn digit() -> Vec<f32> {
        synthetic_digit(7, 3).expect("a synthetic 7")
    }

    #[test]
    fn everything_off_is_the_identity() {
        let image = digit();
        let mut rng = SplitMix64::new(1);
        let config = AugmentConfig::default();
        assert!(config.is_identity());
        assert_eq!(augment(&image, &config, &mut rng), image);
        // A transform that happens to be the identity reproduces the image exactly too.
        let zero = AugmentConfig {
            translate: 0.4,
            ..AugmentConfig::default()
        };
        assert_eq!(Transform::sample(&zero, &mut rng).apply(&image), image);
        assert_eq!(config.describe(), "none");
    }

    /// Random grey values in the central 14×14 pixels, so shifts of up to 7 lose no ink.
    fn blob() -> Vec<f32> {
        let mut rng = SplitMix64::new(21);
        let mut image = vec![0.0f32; IMAGE_PIXELS];
        for row in 7..21 {
            for col in 7..21 {
                image[row * IMAGE_SIZE + col] = rng.next_f32();
            }
        }
        image
    }

    #[test]
    fn an_integer_shift_moves_the_centre_of_mass_by_as_much() {
        let image = blob();
        let (r0, c0) = centre_of_mass(&image, IMAGE_SIZE).expect("ink");
        for (dx, dy) in [(3.0, 0.0), (0.0, -2.0), (-3.0, 2.0), (7.0, -7.0)] {
            let moved = Transform {
                dx,
                dy,
                ..Transform::default()
            }
            .apply(&image);
            let (r, c) = centre_of_mass(&moved, IMAGE_SIZE).expect("ink");
            assert!(
                (c - c0 - dx).abs() < 1e-4 && (r - r0 - dy).abs() < 1e-4,
                "shift ({dx}, {dy}) moved the centre from ({r0}, {c0}) to ({r}, {c})"
            );
            let ink = |px: &[f32]| px.iter().sum::<f32>();
            assert!((ink(&moved) - ink(&image)).abs() < 1e-3, "no ink is lost");
        }
        // A sampled shift is a whole number of pixels within the limit.
        let config = AugmentConfig {
            translate: 2.0,
            ..AugmentConfig::default()
        };
        let mut rng = SplitMix64::new(9);
        for _ in 0..50 {
            let t = Transform::sample(&config, &mut rng);
            assert!(t.dx.fract() == 0.0 && t.dx.abs() <= 2.0, "{t:?}");
            assert!(t.dy.fract() == 0.0 && t.dy.abs() <= 2.0, "{t:?}");
        }
    }

    #[test]
    fn flip_mirrors_left_and_right() {
        let image = digit();
        let flipped = Transform {
            flip: true,
            ..Transform::default()
        }
        .apply(&image);
        for row in 0..IMAGE_SIZE {
            for col in 0..IMAGE_SIZE {
                assert_eq!(
                    flipped[row * IMAGE_SIZE + col],
                    image[row * IMAGE_SIZE + IMAGE_SIZE - 1 - col]
                );
            }
        }
        // Drawn flips happen about half of the time, and only when asked for.
        let config = AugmentConfig {
            flip: true,
            ..AugmentConfig::default()
        };
        let mut rng = SplitMix64::new(4);
        let flips = (0..200)
            .filter(|_| Transform::sample(&config, &mut rng).flip)
            .count();
        assert!((70..130).contains(&flips), "{flips} of 200 flipped");
        assert!(!AugmentConfig::default().flip);
    }

    #[test]
    fn a_vertical_flip_turns_rows_upside_down() {
        let image = digit();
        let turned = Transform {
            flip_vertical: true,
            ..Transform::default()
        }
        .apply(&image);
        for row in 0..IMAGE_SIZE {
            for col in 0..IMAGE_SIZE {
                assert_eq!(
                    turned[row * IMAGE_SIZE + col],
                    image[(IMAGE_SIZE - 1 - row) * IMAGE_SIZE + col]
                );
            }
        }
        let config = AugmentConfig {
            flip_vertical: true,
            ..AugmentConfig::default()
        };
        assert!(config.moves_pixels());
        assert!(config.describe().contains("upside down"));
        // Configurations written before the field existed still read, with it off.
        let old: AugmentConfig =
            serde_json::from_str(r#"{"translate": 1.0, "flip": true}"#).unwrap();
        assert!(old.flip && !old.flip_vertical);
    }

    #[test]
    fn a_quarter_turn_turns_rows_into_columns() {
        // A bar along row 10 turned by 90° clockwise becomes a bar along column 17
        // (28 − 1 − 10 = 17: the row's mirror image across the centre).
        let mut image = vec![0.0f32; IMAGE_PIXELS];
        image[10 * IMAGE_SIZE + 4..10 * IMAGE_SIZE + 24].fill(1.0);
        let turned = Transform {
            degrees: 90.0,
            ..Transform::default()
        }
        .apply(&image);
        let column: f32 = (4..24).map(|r| turned[r * IMAGE_SIZE + 17]).sum();
        assert!(column > 19.9, "column 17 holds {column} of 20");
    }

    #[test]
    fn outputs_stay_in_the_unit_interval() {
        let image = digit();
        let config = AugmentConfig {
            translate: 3.0,
            rotate: 30.0,
            scale: 0.3,
            flip: true,
            flip_vertical: true,
            noise: 0.5,
        };
        config.check().expect("a valid config");
        let mut rng = SplitMix64::new(11);
        for _ in 0..20 {
            let pair = augment_pair(&image, &config, &mut rng);
            assert_eq!(pair.input.len(), IMAGE_PIXELS);
            assert!(pair.input.iter().all(|v| (0.0..=1.0).contains(v)));
            assert!(pair.target.iter().all(|v| (0.0..=1.0).contains(v)));
            assert_ne!(pair.input, pair.target, "the noise is in the input only");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_images() {
        let image = digit();
        let config = AugmentConfig {
            translate: 2.0,
            rotate: 10.0,
            scale: 0.1,
            flip: false,
            flip_vertical: false,
            noise: 0.2,
        };
        let run = |seed| {
            let mut rng = SplitMix64::new(seed);
            (0..3)
                .map(|_| augment(&image, &config, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(5), run(5));
        assert_ne!(run(5), run(6));
        let mut a = SplitMix64::new(5);
        let mut b = SplitMix64::new(5);
        assert_eq!(
            augment_pair(&image, &config, &mut a).input,
            augment(&image, &config, &mut b)
        );
    }

    #[test]
    fn bad_limits_are_refused_with_their_name() {
        let negative = AugmentConfig {
            rotate: -1.0,
            ..AugmentConfig::default()
        };
        assert!(negative.check().unwrap_err().to_string().contains("rotate"));
        let too_large = AugmentConfig {
            scale: 1.0,
            ..AugmentConfig::default()
        };
        assert_eq!(too_large.check(), Err(AugmentError::ScaleTooLarge(1.0)));
        let nan = AugmentConfig {
            noise: f32::NAN,
            ..AugmentConfig::default()
        };
        assert!(nan.check().is_err());
    }
}
