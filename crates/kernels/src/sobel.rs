//! The Sobel operators of the lecture and the edge magnitude and direction they give.
//!
//! ```text
//!      ⎡1 0 −1⎤        ⎡ 1  2  1⎤
//! Gx = ⎢2 0 −2⎥   Gy = ⎢ 0  0  0⎥   G = √(Gx² + Gy²)   Θ = atan2(Gy, Gx)
//!      ⎣1 0 −1⎦        ⎣−1 −2 −1⎦
//! ```
//!
//! As on the slide, `Gx ∗ Input` is a true convolution (the kernel is rotated by 180°), so `Gx`
//! is positive where the image gets brighter to the right and `Gy` where it gets brighter
//! downwards (row 0 is the top). Outputs have the input's size; the border is handled by
//! [`Border`].
//!
//! [`sobel`] is a fast single-pass version (separable kernels, a polynomial atan2, loops the
//! compiler vectorises, SIMD128 in the browser); [`sobel_reference`] computes the same with the
//! general [`crate::conv2d::convolve2d`] and `f32::atan2`, and the tests hold them together.

use crate::conv2d::convolve2d;
pub use crate::crop::Border;
use crate::crop::pad;
use crate::{Conv2dParams, Grid, KernelError};

/// The lecture's `Gx`.
pub const SOBEL_X: [[f32; 3]; 3] = [[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]];
/// The lecture's `Gy`.
pub const SOBEL_Y: [[f32; 3]; 3] = [[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]];

/// A 3×3 array as a [`Grid`].
pub fn grid3(k: [[f32; 3]; 3]) -> Grid {
    Grid::from_fn(3, 3, |r, c| k[r][c])
}

/// `Gx ∗ Input`, `Gy ∗ Input`, `G` and `Θ` (radians in `(−π, π]`), all of the input's shape.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SobelOutput {
    pub gx: Grid,
    pub gy: Grid,
    pub magnitude: Grid,
    pub angle: Grid,
}

/// Sobel on `input` in one pass.
pub fn sobel(input: &Grid, border: Border) -> Result<SobelOutput, KernelError> {
    let mut out = SobelOutput::default();
    sobel_into(input, border, &mut out)?;
    Ok(out)
}

/// Sobel into reused buffers (no allocation once `out` has the right size).
pub fn sobel_into(input: &Grid, border: Border, out: &mut SobelOutput) -> Result<(), KernelError> {
    if input.is_empty() {
        return Err(KernelError::Empty { what: "image" });
    }
    let (rows, cols) = input.shape();
    for g in [&mut out.gx, &mut out.gy, &mut out.magnitude, &mut out.angle] {
        if g.shape() != (rows, cols) {
            *g = Grid::zeros(rows, cols);
        }
    }
    let width = cols + 2;
    // Three padded rows at a time: above, current, below.
    let mut padded_rows = [
        vec![0.0f32; width],
        vec![0.0f32; width],
        vec![0.0f32; width],
    ];
    let mut vsum = vec![0.0f32; width];
    let mut vdiff = vec![0.0f32; width];
    for r in 0..rows {
        for (i, dr) in [-1isize, 0, 1].into_iter().enumerate() {
            fill_padded_row(input, r as isize + dr, border, &mut padded_rows[i]);
        }
        let [top, mid, bot] = &padded_rows;
        // Vertical passes of the separable kernels: [1 2 1]ᵀ and [−1 0 1]ᵀ.
        for (((s, d), (&t, &m)), &b) in vsum
            .iter_mut()
            .zip(vdiff.iter_mut())
            .zip(top.iter().zip(mid))
            .zip(bot)
        {
            *s = t + 2.0 * m + b;
            *d = b - t;
        }
        let start = r * cols;
        let gx = &mut out.gx.data_mut()[start..start + cols];
        // Horizontal passes: Gx = right − left of the smoothed column sums …
        for (c, v) in gx.iter_mut().enumerate() {
            *v = vsum[c + 2] - vsum[c];
        }
        let gy = &mut out.gy.data_mut()[start..start + cols];
        // … and Gy = [1 2 1] across the vertical differences.
        for (c, v) in gy.iter_mut().enumerate() {
            *v = vdiff[c] + 2.0 * vdiff[c + 1] + vdiff[c + 2];
        }
        let gx = &out.gx.data()[start..start + cols];
        let gy = &out.gy.data()[start..start + cols];
        let mag = &mut out.magnitude.data_mut()[start..start + cols];
        for ((m, &x), &y) in mag.iter_mut().zip(gx).zip(gy) {
            *m = (x * x + y * y).sqrt();
        }
        let ang = &mut out.angle.data_mut()[start..start + cols];
        for ((a, &x), &y) in ang.iter_mut().zip(gx).zip(gy) {
            *a = fast_atan2(y, x);
        }
    }
    Ok(())
}

fn fill_padded_row(input: &Grid, r: isize, border: Border, row: &mut [f32]) {
    let rows = input.rows() as isize;
    let source = match border {
        Border::Zero if r < 0 || r >= rows => None,
        Border::Zero => Some(r as usize),
        Border::Replicate => Some(r.clamp(0, rows - 1) as usize),
    };
    let Some(source) = source else {
        row.fill(0.0);
        return;
    };
    let src = input.row(source);
    let n = src.len();
    row[1..=n].copy_from_slice(src);
    let (left, right) = match border {
        Border::Zero => (0.0, 0.0),
        Border::Replicate => (src[0], src[n - 1]),
    };
    row[0] = left;
    row[n + 1] = right;
}

/// `atan2(y, x)` to within 2·10⁻⁵ rad, without branches, so loops over it vectorise.
/// A degree-11 odd minimax polynomial for atan on [0, 1], then octant fix-ups.
#[inline]
pub fn fast_atan2(y: f32, x: f32) -> f32 {
    use std::f32::consts::{FRAC_PI_2, PI};
    let (ax, ay) = (x.abs(), y.abs());
    let (hi, lo) = (ax.max(ay), ax.min(ay));
    let a = if hi > 0.0 { lo / hi } else { 0.0 };
    let s = a * a;
    let mut r = a
        * (0.999_977_26
            + s * (-0.332_623_47
                + s * (0.193_543_46
                    + s * (-0.116_432_87 + s * (0.052_653_32 + s * -0.011_721_2)))));
    r = if ay > ax { FRAC_PI_2 - r } else { r };
    r = if x < 0.0 { PI - r } else { r };
    r.copysign(y)
}

/// The same outputs through the general convolution and `f32::atan2`: slow, obviously right.
pub fn sobel_reference(input: &Grid, border: Border) -> Result<SobelOutput, KernelError> {
    let (rows, cols) = input.shape();
    let padded = pad(input, 1, 1, border)?;
    let gx = convolve2d(&padded, &grid3(SOBEL_X), Conv2dParams::new())?;
    let gy = convolve2d(&padded, &grid3(SOBEL_Y), Conv2dParams::new())?;
    let magnitude = Grid::from_fn(rows, cols, |r, c| gx[(r, c)].hypot(gy[(r, c)]));
    let angle = Grid::from_fn(rows, cols, |r, c| gy[(r, c)].atan2(gx[(r, c)]));
    Ok(SobelOutput {
        gx,
        gy,
        magnitude,
        angle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vertical_edge() -> Grid {
        // Dark left half, bright right half.
        Grid::from_fn(5, 6, |_, c| if c >= 3 { 1.0 } else { 0.0 })
    }

    #[test]
    fn brighter_to_the_right_gives_positive_gx() {
        let out = sobel(&vertical_edge(), Border::Replicate).unwrap();
        assert_eq!(out.gx[(2, 2)], 4.0);
        assert_eq!(out.gx[(2, 3)], 4.0);
        assert_eq!(out.gx[(2, 0)], 0.0);
        assert_eq!(out.gy[(2, 2)], 0.0);
        assert_eq!(out.magnitude[(2, 2)], 4.0);
        assert_eq!(out.angle[(2, 2)], 0.0);
    }

    #[test]
    fn brighter_downwards_gives_positive_gy_and_angle_pi_over_2() {
        let img = Grid::from_fn(6, 5, |r, _| if r >= 3 { 1.0 } else { 0.0 });
        let out = sobel(&img, Border::Replicate).unwrap();
        assert_eq!(out.gy[(2, 2)], 4.0);
        assert!((out.angle[(2, 2)] - std::f32::consts::FRAC_PI_2).abs() < 1e-6);
    }

    #[test]
    fn fast_matches_reference() {
        let img = Grid::from_fn(9, 13, |r, c| {
            ((r * 7 + c * 3) % 11) as f32 / 10.0 + (r as f32 * 0.3).sin()
        });
        for border in [Border::Zero, Border::Replicate] {
            let fast = sobel(&img, border).unwrap();
            let slow = sobel_reference(&img, border).unwrap();
            assert!(fast.gx.max_abs_diff(&slow.gx) < 1e-5);
            assert!(fast.gy.max_abs_diff(&slow.gy) < 1e-5);
            assert!(fast.magnitude.max_abs_diff(&slow.magnitude) < 1e-5);
            for i in 0..img.data().len() {
                if slow.magnitude.data()[i] > 1e-3 {
                    let d = (fast.angle.data()[i] - slow.angle.data()[i]).abs();
                    assert!(d < 2e-5, "angle differs by {d}");
                }
            }
        }
    }

    #[test]
    fn fast_atan2_is_close_everywhere() {
        let mut worst = 0.0f32;
        for i in 0..720 {
            let t = i as f32 / 720.0 * std::f32::consts::TAU;
            for radius in [1e-3f32, 1.0, 250.0] {
                let (y, x) = (radius * t.sin(), radius * t.cos());
                let d = (fast_atan2(y, x) - y.atan2(x)).abs();
                // ±π are the same direction.
                let d = d.min((d - std::f32::consts::TAU).abs());
                worst = worst.max(d);
            }
        }
        assert!(worst < 2e-5, "worst error {worst}");
        assert_eq!(fast_atan2(0.0, 0.0), 0.0);
    }

    #[test]
    fn zero_border_makes_a_frame() {
        let img = Grid::from_fn(4, 4, |_, _| 1.0);
        let zero = sobel(&img, Border::Zero).unwrap();
        let rep = sobel(&img, Border::Replicate).unwrap();
        assert!(zero.magnitude[(0, 0)] > 0.0);
        assert_eq!(rep.magnitude.sum(), 0.0);
    }

    #[test]
    fn one_pixel_image_works() {
        let out = sobel(&Grid::from_fn(1, 1, |_, _| 3.0), Border::Zero).unwrap();
        assert_eq!(out.gx.shape(), (1, 1));
        assert!(sobel(&Grid::zeros(0, 0), Border::Zero).is_err());
    }
}
