//! Windows that may reach past the image edge, and same-size filtering with any 3×3 (or other
//! odd-sided) kernel.
//!
//! A filter that keeps the image size needs values beyond the edge. [`crop`] reads any window,
//! filling cells outside the image as a [`Border`] says (zeros, or the nearest edge pixel);
//! [`filter_same`] pads by half the kernel that way and then slides the kernel, either as
//! written ([`Operation::CrossCorrelation`], PyTorch's and Burn's "convolution") or rotated by
//! 180° first ([`Operation::Convolution`], the lecture's `Gx ∗ Input`).

use crate::conv2d::cross_correlate2d;
use crate::{Conv2dParams, Grid, KernelError};

/// What lies beyond the image edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Border {
    /// Zeros (the padding of a CNN layer): draws a frame of false edges around bright images.
    Zero,
    /// The nearest edge pixel repeated: no false edges at the border.
    #[default]
    Replicate,
}

/// Whether the kernel is rotated by 180° before it slides over the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Operation {
    /// True convolution, `(K ∗ I)[i, j] = Σ I[i − m, j − n] · K[m, n]`: the kernel is rotated
    /// by 180°. What the lecture writes as `Gx ∗ Input`.
    #[default]
    Convolution,
    /// Cross-correlation, `(K ⋆ I)[i, j] = Σ I[i + m, j + n] · K[m, n]`: the kernel as written.
    /// What `torch.nn.Conv2d` and Burn's `conv2d` compute under the name "convolution".
    CrossCorrelation,
}

impl Operation {
    /// The kernel as it lies on the image while sliding: rotated by 180° for convolution.
    pub fn kernel_as_applied(self, kernel: &Grid) -> Grid {
        match self {
            Operation::Convolution => kernel.flipped(),
            Operation::CrossCorrelation => kernel.clone(),
        }
    }
}

/// The `rows × cols` window of `input` whose top-left cell is `(top, left)` in image
/// coordinates. The window may start above or left of the image (negative) or run past its
/// bottom and right; those cells are 0 for [`Border::Zero`] and the nearest edge pixel for
/// [`Border::Replicate`].
pub fn crop(
    input: &Grid,
    (top, left): (isize, isize),
    rows: usize,
    cols: usize,
    border: Border,
) -> Result<Grid, KernelError> {
    if input.is_empty() {
        return Err(KernelError::Empty { what: "image" });
    }
    let (in_rows, in_cols) = (input.rows() as isize, input.cols() as isize);
    Ok(Grid::from_fn(rows, cols, |r, c| {
        let (y, x) = (top + r as isize, left + c as isize);
        match border {
            Border::Zero => {
                if (0..in_rows).contains(&y) && (0..in_cols).contains(&x) {
                    input[(y as usize, x as usize)]
                } else {
                    0.0
                }
            }
            Border::Replicate => {
                input[(
                    y.clamp(0, in_rows - 1) as usize,
                    x.clamp(0, in_cols - 1) as usize,
                )]
            }
        }
    }))
}

/// `input` with `pad_rows` cells added above and below and `pad_cols` left and right, filled
/// as `border` says.
pub fn pad(
    input: &Grid,
    pad_rows: usize,
    pad_cols: usize,
    border: Border,
) -> Result<Grid, KernelError> {
    crop(
        input,
        (-(pad_rows as isize), -(pad_cols as isize)),
        input.rows() + 2 * pad_rows,
        input.cols() + 2 * pad_cols,
        border,
    )
}

/// Filters `input` with `kernel` (odd number of rows and columns) and keeps the image size:
/// the output pixel `(i, j)` is the kernel centred on input pixel `(i, j)`.
///
/// # Shapes
/// input `[H, W]`, kernel `[kh, kw]` with odd `kh`, `kw` → output `[H, W]`.
pub fn filter_same(
    input: &Grid,
    kernel: &Grid,
    border: Border,
    operation: Operation,
) -> Result<Grid, KernelError> {
    if kernel.is_empty() {
        return Err(KernelError::Empty { what: "kernel" });
    }
    if kernel.rows().is_multiple_of(2) || kernel.cols().is_multiple_of(2) {
        return Err(KernelError::ShapeMismatch {
            what: "kernel with a centre cell (odd rows and columns)",
            expected: (kernel.rows() | 1, kernel.cols() | 1),
            found: kernel.shape(),
        });
    }
    let padded = pad(input, kernel.rows() / 2, kernel.cols() / 2, border)?;
    cross_correlate2d(
        &padded,
        &operation.kernel_as_applied(kernel),
        Conv2dParams::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv2d::multiply_adds;
    use crate::lecture_input;
    use crate::sobel::{SOBEL_X, SOBEL_Y, grid3, sobel};

    #[test]
    fn crop_inside_is_a_plain_slice() {
        let w = crop(&lecture_input(), (1, 1), 2, 3, Border::Zero).unwrap();
        assert_eq!(w.to_rows(), vec![vec![6.0, 7.0, 8.0], vec![2.0, 1.0, 0.0]]);
    }

    #[test]
    fn crop_past_the_edge_follows_the_border() {
        let x = lecture_input();
        let zero = crop(&x, (-1, -1), 2, 2, Border::Zero).unwrap();
        assert_eq!(zero.to_rows(), vec![vec![0.0, 0.0], vec![0.0, 0.0]]);
        let rep = crop(&x, (-1, 2), 2, 3, Border::Replicate).unwrap();
        assert_eq!(
            rep.to_rows(),
            vec![vec![2.0, 3.0, 3.0], vec![2.0, 3.0, 3.0]]
        );
        assert!(crop(&Grid::zeros(0, 0), (0, 0), 1, 1, Border::Zero).is_err());
    }

    #[test]
    fn zero_pad_matches_grid_zero_padded() {
        let x = lecture_input();
        assert_eq!(pad(&x, 1, 2, Border::Zero).unwrap(), x.zero_padded(1, 2));
        let rep = pad(&x, 1, 1, Border::Replicate).unwrap();
        assert_eq!(rep.shape(), (6, 6));
        assert_eq!(rep[(0, 0)], 0.0);
        assert_eq!(rep[(5, 5)], 4.0);
        assert_eq!(rep[(0, 3)], 2.0);
    }

    #[test]
    fn convolution_with_sobel_matches_the_sobel_module() {
        let img = Grid::from_fn(7, 9, |r, c| ((r * 5 + c * 3) % 7) as f32 / 6.0);
        for border in [Border::Zero, Border::Replicate] {
            let out = sobel(&img, border).unwrap();
            let gx = filter_same(&img, &grid3(SOBEL_X), border, Operation::Convolution).unwrap();
            let gy = filter_same(&img, &grid3(SOBEL_Y), border, Operation::Convolution).unwrap();
            assert!(gx.max_abs_diff(&out.gx) < 1e-5);
            assert!(gy.max_abs_diff(&out.gy) < 1e-5);
        }
    }

    #[test]
    fn cross_correlation_flips_the_sign_of_sobel() {
        let edge = Grid::from_fn(5, 6, |_, c| if c >= 3 { 1.0 } else { 0.0 });
        let k = grid3(SOBEL_X);
        let conv = filter_same(&edge, &k, Border::Replicate, Operation::Convolution).unwrap();
        let corr = filter_same(&edge, &k, Border::Replicate, Operation::CrossCorrelation).unwrap();
        assert_eq!(conv[(2, 3)], 4.0);
        assert_eq!(corr[(2, 3)], -4.0);
        assert_eq!(conv, corr.map(|v| -v));
    }

    #[test]
    fn multiply_adds_of_a_cropped_window_give_the_output_pixel() {
        let img = Grid::from_fn(6, 6, |r, c| (r * 6 + c) as f32);
        let k = Grid::from_fn(3, 3, |r, c| (r * 3 + c) as f32 - 4.0);
        for border in [Border::Zero, Border::Replicate] {
            let out = filter_same(&img, &k, border, Operation::Convolution).unwrap();
            for (r, c) in [(0, 0), (2, 3), (5, 5)] {
                let window = crop(&img, (r as isize - 1, c as isize - 1), 3, 3, border).unwrap();
                let applied = Operation::Convolution.kernel_as_applied(&k);
                let terms = multiply_adds(&window, &applied, Conv2dParams::new(), (0, 0)).unwrap();
                assert_eq!(terms.len(), 9);
                let sum: f32 = terms.iter().map(|t| t.product).sum();
                assert_eq!(sum, out[(r, c)]);
            }
        }
    }

    #[test]
    fn even_kernels_are_an_error() {
        let err = filter_same(
            &lecture_input(),
            &Grid::zeros(2, 3),
            Border::Zero,
            Operation::Convolution,
        );
        assert!(matches!(err, Err(KernelError::ShapeMismatch { .. })));
    }
}
