//! Output sizes and parameter counts: the "kernel, stride, padding, filters" slide as formulas.
//!
//! For one axis with input size `i`, kernel `k`, stride `s`, padding `p` and dilation `d`:
//!
//! - convolution: `o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1`
//! - transposed convolution: `o = (i − 1)s − 2p + d(k − 1) + output_padding + 1`
//!
//! These are the formulas of PyTorch's `Conv2d` / `ConvTranspose2d` and of Burn.

use crate::KernelError;

/// Stride, zero padding and dilation of a 2D convolution, each as `[rows, cols]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dParams {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Default for Conv2dParams {
    fn default() -> Self {
        Self {
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
        }
    }
}

impl Conv2dParams {
    /// Stride 1, no padding, no dilation: the slides' default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same stride along both axes.
    pub fn with_stride(mut self, stride: usize) -> Self {
        self.stride = [stride; 2];
        self
    }

    /// The same zero padding on all four sides.
    pub fn with_padding(mut self, padding: usize) -> Self {
        self.padding = [padding; 2];
        self
    }

    /// The same dilation along both axes (1 = no gaps between kernel taps).
    pub fn with_dilation(mut self, dilation: usize) -> Self {
        self.dilation = [dilation; 2];
        self
    }

    /// The output `(rows, cols)` for an input and a kernel of the given shapes.
    pub fn output_shape(
        &self,
        input: (usize, usize),
        kernel: (usize, usize),
    ) -> Result<(usize, usize), KernelError> {
        Ok((
            conv_output_size(
                AXES[0],
                input.0,
                kernel.0,
                self.stride[0],
                self.padding[0],
                self.dilation[0],
            )?,
            conv_output_size(
                AXES[1],
                input.1,
                kernel.1,
                self.stride[1],
                self.padding[1],
                self.dilation[1],
            )?,
        ))
    }
}

/// Stride, padding, output padding and dilation of a 2D transposed convolution, as
/// `[rows, cols]`. The padding *crops* the output (it undoes the padding of the forward
/// convolution); the output padding adds cells at the bottom and right to pick one of the
/// input sizes that a strided convolution maps to the same output size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTranspose2dParams {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub output_padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Default for ConvTranspose2dParams {
    fn default() -> Self {
        Self {
            stride: [1, 1],
            padding: [0, 0],
            output_padding: [0, 0],
            dilation: [1, 1],
        }
    }
}

impl ConvTranspose2dParams {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_stride(mut self, stride: usize) -> Self {
        self.stride = [stride; 2];
        self
    }

    pub fn with_padding(mut self, padding: usize) -> Self {
        self.padding = [padding; 2];
        self
    }

    pub fn with_output_padding(mut self, output_padding: usize) -> Self {
        self.output_padding = [output_padding; 2];
        self
    }

    pub fn with_dilation(mut self, dilation: usize) -> Self {
        self.dilation = [dilation; 2];
        self
    }

    /// The transposed convolution that undoes the shape change of `forward` on an input of
    /// `input_shape` with a kernel of `kernel_shape` (choosing the output padding that gives
    /// back exactly `input_shape`).
    pub fn inverse_of(
        forward: Conv2dParams,
        input_shape: (usize, usize),
        kernel_shape: (usize, usize),
    ) -> Result<Self, KernelError> {
        let out = forward.output_shape(input_shape, kernel_shape)?;
        let mut output_padding = [0; 2];
        for (axis, ((i, k), o)) in [
            (input_shape.0, kernel_shape.0),
            (input_shape.1, kernel_shape.1),
        ]
        .into_iter()
        .zip([out.0, out.1])
        .enumerate()
        {
            let base = (o - 1) * forward.stride[axis] + forward.dilation[axis] * (k - 1) + 1;
            // base − 2p ≤ i by construction of the forward formula; the rest is output padding.
            output_padding[axis] = (i + 2 * forward.padding[axis]).saturating_sub(base);
        }
        Ok(Self {
            stride: forward.stride,
            padding: forward.padding,
            output_padding,
            dilation: forward.dilation,
        })
    }

    /// The output `(rows, cols)` for an input and a kernel of the given shapes.
    pub fn output_shape(
        &self,
        input: (usize, usize),
        kernel: (usize, usize),
    ) -> Result<(usize, usize), KernelError> {
        let axis = |a: usize, i: usize, k: usize| {
            conv_transpose_output_size(
                AXES[a],
                i,
                k,
                self.stride[a],
                self.padding[a],
                self.output_padding[a],
                self.dilation[a],
            )
        };
        Ok((axis(0, input.0, kernel.0)?, axis(1, input.1, kernel.1)?))
    }
}

const AXES: [&str; 2] = ["rows", "columns"];

/// `o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1`, or an error when the dilated kernel does not fit.
/// `axis` only names the axis in the error ("rows", "columns", "length").
pub fn conv_output_size(
    axis: &'static str,
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
) -> Result<usize, KernelError> {
    check_nonzero(input, kernel, stride, dilation)?;
    let extent = dilation * (kernel - 1) + 1;
    let padded = input + 2 * padding;
    if extent > padded {
        return Err(KernelError::KernelTooLarge {
            axis,
            input,
            padding,
            extent,
        });
    }
    Ok((padded - extent) / stride + 1)
}

/// `o = (i − 1)s − 2p + d(k − 1) + output_padding + 1`, or an error when the padding crops
/// everything or the output padding is not smaller than the stride or the dilation.
pub fn conv_transpose_output_size(
    axis: &'static str,
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    output_padding: usize,
    dilation: usize,
) -> Result<usize, KernelError> {
    check_nonzero(input, kernel, stride, dilation)?;
    if output_padding >= stride && output_padding >= dilation {
        return Err(KernelError::OutputPadding {
            axis,
            output_padding,
            stride,
            dilation,
        });
    }
    let full = (input - 1) * stride + dilation * (kernel - 1) + output_padding + 1;
    match full.checked_sub(2 * padding) {
        Some(o) if o > 0 => Ok(o),
        _ => Err(KernelError::NoOutput { axis }),
    }
}

fn check_nonzero(
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
) -> Result<(), KernelError> {
    if input == 0 {
        return Err(KernelError::Empty { what: "input" });
    }
    if kernel == 0 {
        return Err(KernelError::Empty { what: "kernel" });
    }
    if stride == 0 {
        return Err(KernelError::Zero { what: "stride" });
    }
    if dilation == 0 {
        return Err(KernelError::Zero { what: "dilation" });
    }
    Ok(())
}

/// Learnable numbers in a convolution (or transposed convolution) layer:
/// `in × out × kh × kw` weights plus `out` biases when `bias` is on; `None` when the count
/// does not fit in 64 bits (sizes typed into an address bar can be anything).
pub fn conv_param_count(
    in_channels: usize,
    out_channels: usize,
    kernel: (usize, usize),
    bias: bool,
) -> Option<u64> {
    let weights = checked_product(&[in_channels, out_channels, kernel.0, kernel.1])?;
    weights.checked_add(if bias { out_channels as u64 } else { 0 })
}

/// How many multiply-adds a 2D convolution layer performs for one image; `None` when the count
/// does not fit in 64 bits.
pub fn conv_multiply_adds(
    in_channels: usize,
    out_channels: usize,
    kernel: (usize, usize),
    output: (usize, usize),
) -> Option<u64> {
    checked_product(&[
        in_channels,
        out_channels,
        kernel.0,
        kernel.1,
        output.0,
        output.1,
    ])
}

fn checked_product(values: &[usize]) -> Option<u64> {
    values
        .iter()
        .try_fold(1u64, |acc, &v| acc.checked_mul(v as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lecture_pooling_and_kernel_sizes() {
        // 4×4, 2×2, stride 2 → 2×2 (the pooling slide); 4×4, 2×2, stride 1 → 3×3 (the aside).
        assert_eq!(conv_output_size("rows", 4, 2, 2, 0, 1), Ok(2));
        assert_eq!(conv_output_size("rows", 4, 2, 1, 0, 1), Ok(3));
        // …and the transposed convolution takes 3 back to 4.
        assert_eq!(conv_transpose_output_size("rows", 3, 2, 1, 0, 0, 1), Ok(4));
    }

    #[test]
    fn vae_layer_sizes() {
        // The reference VAE: 28 → 14 → 7 with 3×3, stride 2, padding 1 …
        assert_eq!(conv_output_size("rows", 28, 3, 2, 1, 1), Ok(14));
        assert_eq!(conv_output_size("rows", 14, 3, 2, 1, 1), Ok(7));
        // … and back with output padding 1.
        assert_eq!(conv_transpose_output_size("rows", 7, 3, 2, 1, 1, 1), Ok(14));
        assert_eq!(
            conv_transpose_output_size("rows", 14, 3, 2, 1, 1, 1),
            Ok(28)
        );
        // LeNet-5: 28 with padding 2 and a 5×5 kernel stays 28; 14 → 10 without padding.
        assert_eq!(conv_output_size("rows", 28, 5, 1, 2, 1), Ok(28));
        assert_eq!(conv_output_size("rows", 14, 5, 1, 0, 1), Ok(10));
        assert_eq!(conv_param_count(1, 6, (5, 5), true), Some(156));
        assert_eq!(conv_param_count(1, 32, (3, 3), true), Some(320));
        // The largest u32 everywhere (an address bar's worst): no overflow, no panic.
        let max = u32::MAX as usize;
        assert_eq!(conv_param_count(max, max, (max, max), true), None);
        assert_eq!(conv_multiply_adds(max, max, (3, 3), (max, max)), None);
        assert_eq!(conv_multiply_adds(1, 6, (5, 5), (28, 28)), Some(117_600));
    }

    #[test]
    fn dilation_widens_the_kernel() {
        assert_eq!(conv_output_size("rows", 7, 3, 1, 0, 2), Ok(3));
        assert_eq!(
            conv_output_size("rows", 4, 3, 1, 0, 2),
            Err(KernelError::KernelTooLarge {
                axis: "rows",
                input: 4,
                padding: 0,
                extent: 5
            })
        );
    }

    #[test]
    fn bad_numbers_are_errors() {
        assert_eq!(
            conv_output_size("rows", 4, 2, 0, 0, 1),
            Err(KernelError::Zero { what: "stride" })
        );
        assert!(conv_transpose_output_size("rows", 3, 2, 2, 0, 2, 1).is_err());
        assert_eq!(
            conv_transpose_output_size("rows", 1, 1, 1, 1, 0, 1),
            Err(KernelError::NoOutput { axis: "rows" })
        );
    }

    #[test]
    fn inverse_gives_back_the_input_shape() {
        for i in 5..12 {
            let fwd = Conv2dParams::new().with_stride(2).with_padding(1);
            let inv = ConvTranspose2dParams::inverse_of(fwd, (i, i + 1), (3, 3)).unwrap();
            let out = fwd.output_shape((i, i + 1), (3, 3)).unwrap();
            assert_eq!(inv.output_shape(out, (3, 3)).unwrap(), (i, i + 1));
        }
    }
}
