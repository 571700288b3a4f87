//! Transposed convolution ("Conv2DTranspose", sometimes wrongly called deconvolution): the
//! up-sampling half of an autoencoder.
//!
//! Every input cell stamps a copy of the kernel, scaled by its value, onto the output; the
//! stamps of neighbouring cells are `stride` apart and add where they overlap. Padding then
//! crops `padding` cells from every side, and output padding adds cells at the bottom and
//! right. It is the adjoint of cross-correlation with the same parameters:
//! `⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩` — which is why it restores the *shape*, not the values.

use crate::conv2d::check_same_shapes;
use crate::{ConvTranspose2dParams, Grid, KernelError};

/// Transposed convolution of one channel with one kernel.
///
/// # Shapes
/// input `[H, W]`, kernel `[kh, kw]` → output `[Ho, Wo]` with
/// `Ho = (H − 1)·s − 2p + d·(kh − 1) + output_padding + 1`.
pub fn conv_transpose2d(
    input: &Grid,
    kernel: &Grid,
    params: ConvTranspose2dParams,
) -> Result<Grid, KernelError> {
    if input.is_empty() {
        return Err(KernelError::Empty { what: "input" });
    }
    if kernel.is_empty() {
        return Err(KernelError::Empty { what: "kernel" });
    }
    let (rows, cols) = params.output_shape(input.shape(), kernel.shape())?;
    let mut out = Grid::zeros(rows, cols);
    scatter(input, kernel, params, &mut out);
    Ok(out)
}

fn scatter(input: &Grid, kernel: &Grid, params: ConvTranspose2dParams, out: &mut Grid) {
    for i in 0..input.rows() {
        for j in 0..input.cols() {
            let x = input[(i, j)];
            for (target, weight) in stamp_targets(kernel, params, out.shape(), (i, j)) {
                out[target] += x * weight;
            }
        }
    }
}

/// Where input cell `(row, col)` stamps the kernel: each output cell it reaches, with the
/// kernel weight used there. Cells cropped away by padding are left out. This is what the
/// arithmetic page highlights for the transposed toggle.
pub fn stamp_targets(
    kernel: &Grid,
    params: ConvTranspose2dParams,
    output_shape: (usize, usize),
    (row, col): (usize, usize),
) -> Vec<((usize, usize), f32)> {
    let mut targets = Vec::with_capacity(kernel.rows() * kernel.cols());
    for m in 0..kernel.rows() {
        let r =
            (row * params.stride[0] + m * params.dilation[0]) as isize - params.padding[0] as isize;
        if r < 0 || r as usize >= output_shape.0 {
            continue;
        }
        for n in 0..kernel.cols() {
            let c = (col * params.stride[1] + n * params.dilation[1]) as isize
                - params.padding[1] as isize;
            if c < 0 || c as usize >= output_shape.1 {
                continue;
            }
            targets.push(((r as usize, c as usize), kernel[(m, n)]));
        }
    }
    targets
}

/// A transposed-convolution layer: `C_in` input channels, weights `[C_in][C_out]` (PyTorch's
/// `ConvTranspose2d.weight` layout `[in, out, kh, kw]`), optional bias `[C_out]`.
///
/// # Shapes
/// input `[C_in, H, W]` → output `[C_out, Ho, Wo]`.
pub fn conv_transpose2d_multi(
    input: &[Grid],
    weights: &[Vec<Grid>],
    bias: Option<&[f32]>,
    params: ConvTranspose2dParams,
) -> Result<Vec<Grid>, KernelError> {
    let first = input.first().ok_or(KernelError::Empty {
        what: "input channel list",
    })?;
    if weights.len() != input.len() {
        return Err(KernelError::ChannelMismatch {
            what: "kernel rows (one per input channel)",
            expected: input.len(),
            found: weights.len(),
        });
    }
    let out_channels = weights[0].len();
    let kernel = weights[0].first().ok_or(KernelError::Empty {
        what: "filter list",
    })?;
    check_same_shapes("input channel", input, first.shape())?;
    for row in weights {
        if row.len() != out_channels {
            return Err(KernelError::ChannelMismatch {
                what: "kernels per input channel (one per output channel)",
                expected: out_channels,
                found: row.len(),
            });
        }
        check_same_shapes("kernel", row, kernel.shape())?;
    }
    if let Some(b) = bias
        && b.len() != out_channels
    {
        return Err(KernelError::ChannelMismatch {
            what: "biases (one per output channel)",
            expected: out_channels,
            found: b.len(),
        });
    }
    if first.is_empty() || kernel.is_empty() {
        return Err(KernelError::Empty { what: "input" });
    }
    let (rows, cols) = params.output_shape(first.shape(), kernel.shape())?;
    let mut outputs: Vec<Grid> = (0..out_channels)
        .map(|o| Grid::from_fn(rows, cols, |_, _| bias.map_or(0.0, |b| b[o])))
        .collect();
    for (channel, row) in input.iter().zip(weights) {
        for (out, kernel) in outputs.iter_mut().zip(row) {
            scatter(channel, kernel, params, out);
        }
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv2d::cross_correlate2d;
    use crate::{Conv2dParams, lecture_input, lecture_kernel};

    #[test]
    fn lecture_transpose_takes_3x3_back_to_4x4() {
        // The slide's "[[3,5],[2,2]] ** 3×3 = 4×4", applied to the forward result.
        let forward =
            cross_correlate2d(&lecture_input(), &lecture_kernel(), Conv2dParams::new()).unwrap();
        let back =
            conv_transpose2d(&forward, &lecture_kernel(), ConvTranspose2dParams::new()).unwrap();
        // Worked by hand: out[r][c] = Σ x[i][j]·k[r−i][c−j], e.g.
        // out[1][1] = 27·2 + 39·2 + 55·5 + 59·3 = 584 and out[3][3] = 17·2 = 34.
        assert_eq!(
            back.to_rows(),
            vec![
                vec![81.0, 252.0, 348.0, 255.0],
                vec![219.0, 584.0, 664.0, 417.0],
                vec![185.0, 416.0, 400.0, 211.0],
                vec![50.0, 92.0, 76.0, 34.0],
            ]
        );
        // Same shape as the original, not the same values: another kernel would be needed.
        assert_ne!(back, lecture_input());
    }

    #[test]
    fn stride_two_spreads_the_stamps() {
        let x = Grid::from_rows(&[[1.0, 1.0]]).unwrap();
        let k = Grid::from_rows(&[[1.0, 1.0, 1.0]]).unwrap();
        let out = conv_transpose2d(&x, &k, ConvTranspose2dParams::new().with_stride(2)).unwrap();
        assert_eq!(out.to_rows(), vec![vec![1.0, 1.0, 2.0, 1.0, 1.0]]);
    }

    #[test]
    fn padding_crops_and_output_padding_extends() {
        let x = Grid::from_rows(&[[1.0, 2.0], [3.0, 4.0]]).unwrap();
        let k = Grid::from_fn(3, 3, |_, _| 1.0);
        let p = ConvTranspose2dParams::new()
            .with_stride(2)
            .with_padding(1)
            .with_output_padding(1);
        let out = conv_transpose2d(&x, &k, p).unwrap();
        assert_eq!(out.shape(), (4, 4));
        // Uncropped the output is 5×5; padding 1 keeps rows/cols 1..=3 and output padding adds
        // back row/col 4, where only input (1, 1) lands, with kernel weight 1.
        assert_eq!(out[(3, 3)], 4.0);
        assert_eq!(out[(0, 0)], 1.0);
    }

    #[test]
    fn stamp_targets_cover_the_kernel() {
        let k = lecture_kernel();
        let t = stamp_targets(&k, ConvTranspose2dParams::new(), (4, 4), (1, 1));
        assert_eq!(
            t,
            vec![((1, 1), 3.0), ((1, 2), 5.0), ((2, 1), 2.0), ((2, 2), 2.0)]
        );
    }
}
