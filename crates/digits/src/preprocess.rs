//! A drawn digit to MNIST's format, as LeCun et al. prepared the original images:
//!
//! 1. crop to the bounding box of the ink,
//! 2. scale it so its longer side is 20 pixels, keeping the aspect ratio (area averaging
//!    when shrinking, so thin strokes become grey rather than vanish),
//! 3. place it in a 28×28 frame so that its centre of mass is at the frame's centre.
//!
//! A model trained on MNIST sees digits only in that form, so a drawing must be brought to it.
//! Plain Rust on `&[f32]`, no Burn: the web app shows each step, and tests check them.
//!
//! Coordinates: pixel `(row, col)` covers the square `[row, row + 1) × [col, col + 1)`, so its
//! centre is `(row + ½, col + ½)` and the 28×28 frame's centre is `(14, 14)`.

use convlab_kernels::Grid;
use convlab_kernels::image::resize;

use crate::mnist::{IMAGE_PIXELS, IMAGE_SIZE};

/// Longer side of the digit after scaling (MNIST's 20-pixel box).
pub const DIGIT_BOX: usize = 20;
/// Values above this count as ink for the bounding box; fainter pixels (anti-aliasing, a
/// smudge) are not allowed to stretch it. Every value still counts for the centre of mass.
pub const INK_THRESHOLD: f32 = 0.1;

/// Why a drawing could not be preprocessed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PreprocessError {
    /// `width × height` does not match the number of values.
    #[error("a {width}×{height} image needs {} values, got {len}", width * height)]
    WrongLength {
        width: usize,
        height: usize,
        len: usize,
    },
    /// The image has no pixels.
    #[error("the image is empty ({width}×{height})")]
    Empty { width: usize, height: usize },
    /// Nothing is drawn (no value above the ink threshold).
    #[error("nothing is drawn: no pixel is darker than the ink threshold")]
    NoInk,
}

/// The rows and columns the ink occupies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InkBox {
    /// First row with ink.
    pub top: usize,
    /// First column with ink.
    pub left: usize,
    /// Rows from the first to the last with ink.
    pub rows: usize,
    /// Columns from the first to the last with ink.
    pub cols: usize,
}

/// A preprocessed drawing and the intermediate results, for a page that explains the steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Preprocessed {
    /// The 28×28 MNIST-like image, row-major, values in `[0, 1]`, ink high.
    pub pixels: Vec<f32>,
    /// Step 1: where the ink was in the drawing.
    pub ink_box: InkBox,
    /// Step 2: the size of the scaled digit, `(rows, cols)`, longer side 20.
    pub scaled_size: (usize, usize),
    /// Step 3: where the scaled digit's top-left corner lies in the frame, `(row, col)`.
    pub offset: (usize, usize),
    /// The centre of mass of `pixels`, `(row, col)`; within ½ pixel of `(14, 14)` unless
    /// centring would have pushed ink off the frame.
    pub centre_of_mass: (f32, f32),
}

/// Brings a drawing to MNIST's format.
///
/// `pixels` is `height` rows of `width` values, ink high (1 = ink, 0 = paper, as in MNIST;
/// invert a dark-on-white canvas first). Values are clamped to `[0, 1]`; NaN counts as paper.
pub fn preprocess_drawing(
    pixels: &[f32],
    width: usize,
    height: usize,
) -> Result<Preprocessed, PreprocessError> {
    if width == 0 || height == 0 {
        return Err(PreprocessError::Empty { width, height });
    }
    if pixels.len() != width * height {
        return Err(PreprocessError::WrongLength {
            width,
            height,
            len: pixels.len(),
        });
    }
    let clean: Vec<f32> = pixels
        .iter()
        .map(|&v| if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) })
        .collect();
    let ink_box = ink_bounding_box(&clean, width, INK_THRESHOLD).ok_or(PreprocessError::NoInk)?;

    // Step 1: crop.
    let cropped = Grid::from_fn(ink_box.rows, ink_box.cols, |r, c| {
        clean[(ink_box.top + r) * width + ink_box.left + c]
    });

    // Step 2: scale the longer side to 20.
    let scale = DIGIT_BOX as f64 / ink_box.rows.max(ink_box.cols) as f64;
    let fit = |n: usize| ((n as f64 * scale).round() as usize).clamp(1, DIGIT_BOX);
    let (rows, cols) = (fit(ink_box.rows), fit(ink_box.cols));
    // Resizing fails only for an empty crop or a zero target, and neither can happen here.
    let scaled =
        resize(&cropped, rows, cols).map_err(|_| PreprocessError::Empty { width, height })?;
    let scaled_values: Vec<f32> = scaled.data().iter().map(|v| v.clamp(0.0, 1.0)).collect();
    let (rows, cols) = scaled.shape();

    // Step 3: shift so the centre of mass lands on the frame's centre, by whole pixels, and
    // no further than keeps the digit inside the frame.
    let centre = IMAGE_SIZE as f32 / 2.0;
    let (com_row, com_col) =
        centre_of_mass(&scaled_values, cols).unwrap_or((rows as f32 / 2.0, cols as f32 / 2.0));
    let place =
        |com: f32, len: usize| ((centre - com).round().max(0.0) as usize).min(IMAGE_SIZE - len);
    let offset = (place(com_row, rows), place(com_col, cols));

    let mut out = vec![0.0; IMAGE_PIXELS];
    for r in 0..rows {
        let dst = (offset.0 + r) * IMAGE_SIZE + offset.1;
        out[dst..dst + cols].copy_from_slice(&scaled_values[r * cols..(r + 1) * cols]);
    }
    let centre_of_mass = centre_of_mass(&out, IMAGE_SIZE).unwrap_or((centre, centre));
    Ok(Preprocessed {
        pixels: out,
        ink_box,
        scaled_size: (rows, cols),
        offset,
        centre_of_mass,
    })
}

/// The smallest box holding every value above `threshold`, or `None` when there is none.
/// `pixels` is row-major with `width` values per row.
pub fn ink_bounding_box(pixels: &[f32], width: usize, threshold: f32) -> Option<InkBox> {
    if width == 0 {
        return None;
    }
    let (mut top, mut bottom, mut left, mut right) = (usize::MAX, 0, usize::MAX, 0);
    for (i, _) in pixels.iter().enumerate().filter(|(_, v)| **v > threshold) {
        let (r, c) = (i / width, i % width);
        top = top.min(r);
        bottom = bottom.max(r);
        left = left.min(c);
        right = right.max(c);
    }
    (top != usize::MAX).then(|| InkBox {
        top,
        left,
        rows: bottom - top + 1,
        cols: right - left + 1,
    })
}

/// The intensity-weighted mean position `(row, col)`, pixel centres at `(r + ½, c + ½)`, or
/// `None` when the image holds no positive value. `pixels` is row-major, `width` per row.
pub fn centre_of_mass(pixels: &[f32], width: usize) -> Option<(f32, f32)> {
    if width == 0 {
        return None;
    }
    let (mut mass, mut row_moment, mut col_moment) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &v) in pixels.iter().enumerate().filter(|(_, v)| **v > 0.0) {
        let (r, c) = ((i / width) as f64 + 0.5, (i % width) as f64 + 0.5);
        let v = f64::from(v);
        mass += v;
        row_moment += v * r;
        col_moment += v * c;
    }
    (mass > 0.0).then(|| ((row_moment / mass) as f32, (col_moment / mass) as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `width × height` canvas with the given strokes drawn as filled discs of `radius`.
    fn canvas(width: usize, height: usize, strokes: &[(f32, f32)], radius: f32) -> Vec<f32> {
        let mut pixels = vec![0.0; width * height];
        for (i, p) in pixels.iter_mut().enumerate() {
            let (y, x) = ((i / width) as f32 + 0.5, (i % width) as f32 + 0.5);
            if strokes
                .iter()
                .any(|(sy, sx)| (y - sy).hypot(x - sx) <= radius)
            {
                *p = 1.0;
            }
        }
        pixels
    }

    /// Points along a polyline, every `step` pixels.
    fn polyline(points: &[(f32, f32)], step: f32) -> Vec<(f32, f32)> {
        let mut out = Vec::new();
        for pair in points.windows(2) {
            let ((y0, x0), (y1, x1)) = (pair[0], pair[1]);
            let n = ((y1 - y0).hypot(x1 - x0) / step).ceil().max(1.0) as usize;
            out.extend((0..=n).map(|k| {
                let t = k as f32 / n as f32;
                (y0 + t * (y1 - y0), x0 + t * (x1 - x0))
            }));
        }
        out
    }

    /// Checks the MNIST layout: centre of mass near (14, 14), ink within a 20×20 box.
    fn assert_mnist_like(result: &Preprocessed) {
        let (r, c) = centre_of_mass(&result.pixels, IMAGE_SIZE).unwrap();
        assert!(
            (r - 14.0).abs() <= 0.5 && (c - 14.0).abs() <= 0.5,
            "centre of mass ({r}, {c})"
        );
        assert_eq!(result.centre_of_mass, (r, c));
        let ink = ink_bounding_box(&result.pixels, IMAGE_SIZE, 0.0).unwrap();
        assert!(ink.rows <= DIGIT_BOX && ink.cols <= DIGIT_BOX, "{ink:?}");
        assert_eq!(
            ink.rows.max(ink.cols),
            DIGIT_BOX,
            "the longer side fills the box: {ink:?}"
        );
        assert!(result.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
        assert_eq!(result.pixels.len(), IMAGE_PIXELS);
    }

    #[test]
    fn a_seven_drawn_off_centre_is_cropped_scaled_and_centred() {
        // A "7" in the top-left corner of a 300×200 canvas: heavy top bar, thin diagonal, so
        // its centre of mass is far from its box's centre.
        let strokes = polyline(&[(20.0, 20.0), (20.0, 110.0), (150.0, 50.0)], 1.0);
        let drawing = canvas(300, 200, &strokes, 6.0);
        let result = preprocess_drawing(&drawing, 300, 200).unwrap();
        assert_eq!(result.ink_box.top, 14);
        assert_eq!(result.scaled_size.0, 20);
        assert_mnist_like(&result);
    }

    #[test]
    fn a_wide_zero_keeps_its_aspect_ratio() {
        // An ellipse ring twice as wide as tall: scaled to 20 wide, about 10 tall.
        let ring: Vec<(f32, f32)> = (0..360)
            .map(|d| {
                let a = (d as f32).to_radians();
                (100.0 + 40.0 * a.sin(), 150.0 + 80.0 * a.cos())
            })
            .collect();
        let drawing = canvas(300, 200, &ring, 5.0);
        let result = preprocess_drawing(&drawing, 300, 200).unwrap();
        assert_eq!(result.scaled_size.1, 20);
        let ratio = result.ink_box.cols as f32 / result.ink_box.rows as f32;
        let scaled_ratio = result.scaled_size.1 as f32 / result.scaled_size.0 as f32;
        assert!(
            (ratio - scaled_ratio).abs() < 0.15,
            "{ratio} vs {scaled_ratio}"
        );
        assert_mnist_like(&result);
    }

    #[test]
    fn a_tiny_one_is_scaled_up() {
        // A vertical stroke 8 pixels tall in a 28×28 canvas: grows to 20 tall.
        let mut drawing = vec![0.0; 28 * 28];
        for r in 3..11 {
            drawing[r * 28 + 25] = 1.0;
            drawing[r * 28 + 26] = 0.8;
        }
        let result = preprocess_drawing(&drawing, 28, 28).unwrap();
        assert_eq!(
            result.ink_box,
            InkBox {
                top: 3,
                left: 25,
                rows: 8,
                cols: 2
            }
        );
        assert_eq!(result.scaled_size, (20, 5));
        assert_mnist_like(&result);
    }

    #[test]
    fn faint_smudges_do_not_stretch_the_box() {
        let strokes = polyline(&[(50.0, 100.0), (150.0, 100.0)], 1.0);
        let mut drawing = canvas(200, 200, &strokes, 8.0);
        drawing[5] = 0.05; // below the ink threshold
        let result = preprocess_drawing(&drawing, 200, 200).unwrap();
        assert!(result.ink_box.top >= 40, "{:?}", result.ink_box);
    }

    #[test]
    fn centre_of_mass_of_known_images() {
        // One pixel at (2, 3): its centre is (2.5, 3.5).
        let mut img = vec![0.0; 5 * 5];
        img[2 * 5 + 3] = 1.0;
        assert_eq!(centre_of_mass(&img, 5), Some((2.5, 3.5)));
        // Weights 1 and 3 at columns 0 and 4 of row 0: column (0.5 + 3·4.5)/4 = 3.5.
        let img = [1.0, 0.0, 0.0, 0.0, 3.0];
        assert_eq!(centre_of_mass(&img, 5), Some((0.5, 3.5)));
        assert_eq!(centre_of_mass(&[0.0; 4], 2), None);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert_eq!(
            preprocess_drawing(&[0.0; 5], 2, 3),
            Err(PreprocessError::WrongLength {
                width: 2,
                height: 3,
                len: 5
            })
        );
        assert_eq!(
            preprocess_drawing(&[], 0, 3),
            Err(PreprocessError::Empty {
                width: 0,
                height: 3
            })
        );
        assert_eq!(
            preprocess_drawing(&[0.0; 9], 3, 3),
            Err(PreprocessError::NoInk)
        );
        assert_eq!(
            preprocess_drawing(&[f32::NAN; 9], 3, 3),
            Err(PreprocessError::NoInk)
        );
        // Out-of-range values are clamped, a single dot still works.
        let mut dot = vec![0.0; 9];
        dot[4] = 7.0;
        let result = preprocess_drawing(&dot, 3, 3).unwrap();
        assert!(result.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
