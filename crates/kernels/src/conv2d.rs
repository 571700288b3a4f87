//! 2D cross-correlation and convolution with stride, zero padding, dilation, several input
//! channels and several filters.
//!
//! **Cross-correlation** slides the kernel over the input as it is:
//! `out[i][j] = Σₘ Σₙ in[i·s + m·d − p][j·s + n·d − p] · k[m][n]`.
//! **Convolution** in the mathematical sense (the lecture's `(f ∗ g)`) first rotates the kernel
//! by 180°. Deep-learning libraries (PyTorch, Burn) compute cross-correlation and call it
//! convolution; for a learned kernel the difference is only which way round it is stored, but
//! for Sobel it flips the sign of the edges.

use crate::{Conv2dParams, Grid, KernelError};

/// Cross-correlation of one channel with one kernel (what `torch.nn.functional.conv2d` does).
///
/// # Shapes
/// input `[H, W]`, kernel `[kh, kw]` → output `[Ho, Wo]` with the sizes of
/// [`Conv2dParams::output_shape`].
pub fn cross_correlate2d(
    input: &Grid,
    kernel: &Grid,
    params: Conv2dParams,
) -> Result<Grid, KernelError> {
    check_input(input, kernel)?;
    let (out_rows, out_cols) = params.output_shape(input.shape(), kernel.shape())?;
    let mut out = Grid::zeros(out_rows, out_cols);
    accumulate(input, kernel, params, &mut out);
    Ok(out)
}

/// True convolution: cross-correlation with the kernel rotated by 180°.
pub fn convolve2d(input: &Grid, kernel: &Grid, params: Conv2dParams) -> Result<Grid, KernelError> {
    cross_correlate2d(input, &kernel.flipped(), params)
}

/// Adds the cross-correlation of `input` with `kernel` into `out` (whose shape is already the
/// output shape).
fn accumulate(input: &Grid, kernel: &Grid, params: Conv2dParams, out: &mut Grid) {
    let [sr, sc] = params.stride;
    let [pr, pc] = params.padding;
    let [dr, dc] = params.dilation;
    let (rows, cols) = (input.rows() as isize, input.cols() as isize);
    let (out_rows, out_cols) = out.shape();
    for i in 0..out_rows {
        for j in 0..out_cols {
            let mut acc = 0.0;
            for m in 0..kernel.rows() {
                let r = (i * sr + m * dr) as isize - pr as isize;
                if r < 0 || r >= rows {
                    continue;
                }
                for n in 0..kernel.cols() {
                    let c = (j * sc + n * dc) as isize - pc as isize;
                    if c < 0 || c >= cols {
                        continue;
                    }
                    acc += input[(r as usize, c as usize)] * kernel[(m, n)];
                }
            }
            out[(i, j)] += acc;
        }
    }
}

fn check_input(input: &Grid, kernel: &Grid) -> Result<(), KernelError> {
    if input.is_empty() {
        return Err(KernelError::Empty { what: "input" });
    }
    if kernel.is_empty() {
        return Err(KernelError::Empty { what: "kernel" });
    }
    Ok(())
}

/// One term of the sum that makes one output cell: what the step-through view shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MultiplyAdd {
    /// Kernel cell (row, col) as stored.
    pub kernel_pos: (usize, usize),
    /// Input cell (row, col) in input coordinates; negative or past the edge means padding.
    pub input_pos: (isize, isize),
    /// The input value, 0 for padding.
    pub input_value: f32,
    pub weight: f32,
    pub product: f32,
}

/// The terms of output cell `(row, col)` of a cross-correlation, in kernel order. Their
/// products add up to that cell. Pass `kernel.flipped()` to step through a true convolution.
pub fn multiply_adds(
    input: &Grid,
    kernel: &Grid,
    params: Conv2dParams,
    (row, col): (usize, usize),
) -> Result<Vec<MultiplyAdd>, KernelError> {
    check_input(input, kernel)?;
    let (out_rows, out_cols) = params.output_shape(input.shape(), kernel.shape())?;
    if row >= out_rows || col >= out_cols {
        return Err(KernelError::ShapeMismatch {
            what: "output cell outside the output",
            expected: (out_rows, out_cols),
            found: (row + 1, col + 1),
        });
    }
    let mut terms = Vec::with_capacity(kernel.rows() * kernel.cols());
    for m in 0..kernel.rows() {
        for n in 0..kernel.cols() {
            let r = (row * params.stride[0] + m * params.dilation[0]) as isize
                - params.padding[0] as isize;
            let c = (col * params.stride[1] + n * params.dilation[1]) as isize
                - params.padding[1] as isize;
            let input_value = if r >= 0 && c >= 0 {
                input.get(r as usize, c as usize).unwrap_or(0.0)
            } else {
                0.0
            };
            let weight = kernel[(m, n)];
            terms.push(MultiplyAdd {
                kernel_pos: (m, n),
                input_pos: (r, c),
                input_value,
                weight,
                product: input_value * weight,
            });
        }
    }
    Ok(terms)
}

/// A convolution layer without the learning: `C_in` input channels, `C_out` filters of
/// `C_in` kernels each, and an optional bias per filter. Cross-correlation, as in PyTorch.
///
/// # Shapes
/// input `[C_in, H, W]`, weights `[C_out][C_in]` of `[kh, kw]`, bias `[C_out]`
/// → output `[C_out, Ho, Wo]`.
pub fn conv2d(
    input: &[Grid],
    weights: &[Vec<Grid>],
    bias: Option<&[f32]>,
    params: Conv2dParams,
) -> Result<Vec<Grid>, KernelError> {
    let first = input.first().ok_or(KernelError::Empty {
        what: "input channel list",
    })?;
    let kernel_shape = weights
        .first()
        .and_then(|f| f.first())
        .map(Grid::shape)
        .ok_or(KernelError::Empty {
            what: "filter list",
        })?;
    check_same_shapes("input channel", input, first.shape())?;
    for filter in weights {
        if filter.len() != input.len() {
            return Err(KernelError::ChannelMismatch {
                what: "kernels per filter (one per input channel)",
                expected: input.len(),
                found: filter.len(),
            });
        }
        check_same_shapes("kernel", filter, kernel_shape)?;
    }
    if let Some(b) = bias
        && b.len() != weights.len()
    {
        return Err(KernelError::ChannelMismatch {
            what: "biases (one per filter)",
            expected: weights.len(),
            found: b.len(),
        });
    }
    check_input(first, &weights[0][0])?;
    let (out_rows, out_cols) = params.output_shape(first.shape(), kernel_shape)?;
    let mut outputs = Vec::with_capacity(weights.len());
    for (f, filter) in weights.iter().enumerate() {
        let b = bias.map_or(0.0, |b| b[f]);
        let mut out = Grid::from_fn(out_rows, out_cols, |_, _| b);
        for (channel, kernel) in input.iter().zip(filter) {
            accumulate(channel, kernel, params, &mut out);
        }
        outputs.push(out);
    }
    Ok(outputs)
}

pub(crate) fn check_same_shapes(
    what: &'static str,
    grids: &[Grid],
    shape: (usize, usize),
) -> Result<(), KernelError> {
    for g in grids {
        if g.shape() != shape {
            return Err(KernelError::ShapeMismatch {
                what,
                expected: shape,
                found: g.shape(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{lecture_input, lecture_kernel};

    #[test]
    fn lecture_cross_correlation() {
        let out =
            cross_correlate2d(&lecture_input(), &lecture_kernel(), Conv2dParams::new()).unwrap();
        assert_eq!(
            out.to_rows(),
            vec![
                vec![27.0, 39.0, 51.0],
                vec![55.0, 59.0, 63.0],
                vec![25.0, 21.0, 17.0]
            ]
        );
    }

    #[test]
    fn true_convolution_flips_the_kernel() {
        // With the kernel rotated: top-left = 0·2 + 1·2 + 5·5 + 6·3 = 45.
        let out = convolve2d(&lecture_input(), &lecture_kernel(), Conv2dParams::new()).unwrap();
        assert_eq!(out[(0, 0)], 45.0);
    }

    #[test]
    fn multiply_adds_sum_to_the_output_cell() {
        let params = Conv2dParams::new().with_padding(1).with_stride(2);
        let out = cross_correlate2d(&lecture_input(), &lecture_kernel(), params).unwrap();
        for r in 0..out.rows() {
            for c in 0..out.cols() {
                let terms =
                    multiply_adds(&lecture_input(), &lecture_kernel(), params, (r, c)).unwrap();
                assert_eq!(terms.len(), 4);
                assert_eq!(terms.iter().map(|t| t.product).sum::<f32>(), out[(r, c)]);
            }
        }
        // The top-left window with padding 1 sees three padding cells and input (0, 0).
        let terms = multiply_adds(&lecture_input(), &lecture_kernel(), params, (0, 0)).unwrap();
        assert_eq!(terms[0].input_pos, (-1, -1));
        assert_eq!(terms[3].input_pos, (0, 0));
    }

    #[test]
    fn channels_add_up_and_bias_is_added() {
        let x = lecture_input();
        let k = lecture_kernel();
        let one = cross_correlate2d(&x, &k, Conv2dParams::new()).unwrap();
        let out = conv2d(
            &[x.clone(), x],
            &[vec![k.clone(), k]],
            Some(&[1.0]),
            Conv2dParams::new(),
        )
        .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0], one.map(|v| 2.0 * v + 1.0));
    }

    #[test]
    fn mismatched_channels_are_errors() {
        let x = lecture_input();
        let k = lecture_kernel();
        let err = conv2d(&[x.clone(), x], &[vec![k]], None, Conv2dParams::new()).unwrap_err();
        assert!(matches!(
            err,
            KernelError::ChannelMismatch {
                expected: 2,
                found: 1,
                ..
            }
        ));
    }

    #[test]
    fn kernel_larger_than_input_is_an_error() {
        let err = cross_correlate2d(&lecture_kernel(), &lecture_input(), Conv2dParams::new())
            .unwrap_err();
        assert!(matches!(err, KernelError::KernelTooLarge { .. }));
    }
}
