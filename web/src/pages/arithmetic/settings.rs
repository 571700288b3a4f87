//! One layer's settings (the page's URL query) and the layer they give: its input, kernel and
//! output values, or the sentence that says why it cannot be computed.

use convlab_kernels::conv2d::cross_correlate2d;
use convlab_kernels::transposed::conv_transpose2d;
use convlab_kernels::{
    Conv2dParams, ConvTranspose2dParams, Grid, KernelError, lecture_input, lecture_kernel,
};

use crate::url_state::MatrixParam;

pub(super) const MAX_INPUT: usize = 64;
pub(super) const MAX_KERNEL: usize = 11;
pub(super) const MAX_STRIDE: usize = 8;
pub(super) const MAX_PADDING: usize = 10;
pub(super) const MAX_DILATION: usize = 8;
pub(super) const MAX_CHANNELS: usize = 1024;
pub(super) const MAX_OUTPUT_PADDING: usize = 7;

/// One layer's hyper-parameters (square inputs and kernels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Settings {
    pub(super) input: usize,
    pub(super) kernel: usize,
    pub(super) stride: usize,
    pub(super) padding: usize,
    pub(super) dilation: usize,
    pub(super) channels_in: usize,
    pub(super) channels_out: usize,
    pub(super) transposed: bool,
    /// Only used when transposed.
    pub(super) output_padding: usize,
}

impl Settings {
    /// The lecture's Conv2DTranspose aside: 4×4 ∗ 2×2, stride 1 → 3×3. The page opens with it.
    pub(super) const ASIDE: Settings = Settings {
        input: 4,
        kernel: 2,
        stride: 1,
        padding: 0,
        dilation: 1,
        channels_in: 1,
        channels_out: 1,
        transposed: false,
        output_padding: 0,
    };

    /// Numbers the page refuses before computing anything (they can come from a URL).
    fn check_limits(&self) -> Result<(), String> {
        let checks = [
            ("input size", self.input, 1, MAX_INPUT),
            ("kernel size", self.kernel, 1, MAX_KERNEL),
            ("stride", self.stride, 1, MAX_STRIDE),
            ("padding", self.padding, 0, MAX_PADDING),
            ("dilation", self.dilation, 1, MAX_DILATION),
            (
                "number of input channels",
                self.channels_in,
                1,
                MAX_CHANNELS,
            ),
            ("number of filters", self.channels_out, 1, MAX_CHANNELS),
            ("output padding", self.output_padding, 0, MAX_OUTPUT_PADDING),
        ];
        for (what, value, min, max) in checks {
            if !(min..=max).contains(&value) {
                return Err(format!(
                    "The {what} must be between {min} and {max} on this page (it is {value})."
                ));
            }
        }
        Ok(())
    }

    pub(super) fn forward_params(&self) -> Conv2dParams {
        Conv2dParams::new()
            .with_stride(self.stride)
            .with_padding(self.padding)
            .with_dilation(self.dilation)
    }

    pub(super) fn transposed_params(&self) -> ConvTranspose2dParams {
        ConvTranspose2dParams::new()
            .with_stride(self.stride)
            .with_padding(self.padding)
            .with_dilation(self.dilation)
            .with_output_padding(self.output_padding)
    }

    /// Cells the dilated kernel spans along one axis.
    pub(super) fn extent(&self) -> usize {
        self.dilation * (self.kernel - 1) + 1
    }
}

/// Input values: the lecture's 4×4 example, the aside's 3×3 result for 3×3 (the transposed
/// aside's input), otherwise the pattern (r + c) mod 5.
fn default_input(n: usize) -> Grid {
    match n {
        4 => lecture_input(),
        3 => cross_correlate2d(&lecture_input(), &lecture_kernel(), Conv2dParams::new())
            .unwrap_or_else(|_| pattern(3)),
        _ => pattern(n),
    }
}

fn pattern(n: usize) -> Grid {
    Grid::from_fn(n, n, |r, c| ((r + c) % 5) as f32)
}

/// Kernel values: the lecture's [[3, 5], [2, 2]] for 2×2, otherwise all ones.
fn default_kernel(k: usize) -> Grid {
    if k == 2 {
        lecture_kernel()
    } else {
        Grid::from_fn(k, k, |_, _| 1.0)
    }
}

/// The edited values from the URL when they have the right shape, otherwise the defaults.
fn values_or(edited: &str, n: usize, default: impl Fn(usize) -> Grid) -> Grid {
    match edited.parse::<MatrixParam>() {
        Ok(MatrixParam(g)) if g.shape() == (n, n) => g,
        _ => default(n),
    }
}

/// A layer that can be computed, with its values.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Layer {
    pub(super) settings: Settings,
    pub(super) input: Grid,
    pub(super) kernel: Grid,
    /// One channel of input with one kernel (the values every filter of the layer repeats).
    pub(super) output: Grid,
}

impl Layer {
    /// Output size along each axis.
    pub(super) fn size(&self) -> usize {
        self.output.rows()
    }

    /// Animation steps: one per output cell forward, one per input cell transposed.
    pub(super) fn steps(&self) -> usize {
        if self.settings.transposed {
            self.input.rows() * self.input.cols()
        } else {
            self.output.rows() * self.output.cols()
        }
    }
}

fn explain(e: &KernelError) -> String {
    let hint = match e {
        KernelError::KernelTooLarge { .. } => {
            " Make the kernel or the dilation smaller, or add padding."
        }
        KernelError::OutputPadding { .. } => " Lower the output padding or raise the stride.",
        KernelError::NoOutput { .. } => " Lower the padding.",
        _ => "",
    };
    format!("This layer cannot be computed: {e}.{hint}")
}

pub(super) fn build(
    settings: Settings,
    edited_input: &str,
    edited_kernel: &str,
) -> Result<Layer, String> {
    settings.check_limits()?;
    let input = values_or(edited_input, settings.input, default_input);
    let kernel = values_or(edited_kernel, settings.kernel, default_kernel);
    let output = if settings.transposed {
        conv_transpose2d(&input, &kernel, settings.transposed_params())
    } else {
        cross_correlate2d(&input, &kernel, settings.forward_params())
    }
    .map_err(|e| explain(&e))?;
    Ok(Layer {
        settings,
        input,
        kernel,
        output,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn impossible_layers_are_messages() {
        let too_big = Settings {
            kernel: 5,
            ..Settings::ASIDE
        };
        assert!(build(too_big, "", "").unwrap_err().contains("kernel"));
        let bad_padding = Settings {
            transposed: true,
            output_padding: 1,
            ..Settings::ASIDE
        };
        assert!(
            build(bad_padding, "", "")
                .unwrap_err()
                .contains("output padding")
        );
        let huge = Settings {
            input: 10_000,
            ..Settings::ASIDE
        };
        assert!(build(huge, "", "").unwrap_err().contains("between"));
    }

    #[test]
    fn edited_values_are_used_only_with_the_right_shape() {
        let layer = build(Settings::ASIDE, "", "1,0;0,0").unwrap();
        assert_eq!(layer.output.row(0), &[0.0, 1.0, 2.0]);
        let layer = build(Settings::ASIDE, "", "1,0,0;0,0,0;0,0,0").unwrap();
        assert_eq!(layer.output[(0, 0)], 27.0);
    }
}
