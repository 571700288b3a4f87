//! A network as the lecture's architecture slides count it (LeNet-5's Fig. 2, AlexNet): each
//! layer's output shape, parameters, multiply-adds and receptive field, and the "ANN – Image
//! Processing" argument for convolutions (how many weights a dense layer would need instead).
//!
//! A network is a list of [`Layer`]s applied to an input of shape `[channels, rows, cols]`;
//! [`table`] walks it. Flat vectors are shapes `[n, 1, 1]`. Counts are `u64` and checked: a
//! layer a user sized too large is an [`Overflow`](KernelError::Overflow), not a wrapped number.

use crate::{Conv2dParams, KernelError};

/// `[channels, rows, cols]`.
pub type Shape = [usize; 3];

/// One layer of a network, by its hyper-parameters only (no weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// `filters` kernels of `kernel` cells over all `in_channels` input channels, with stride
    /// and zero padding per axis (`[rows, cols]`); one bias per filter when `bias`.
    Conv2d {
        in_channels: usize,
        filters: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        bias: bool,
    },
    /// The maximum of each `size` window, moved by `stride`; no parameters.
    MaxPool2d {
        size: [usize; 2],
        stride: [usize; 2],
    },
    /// `[c, h, w]` read row by row as `[c·h·w, 1, 1]`.
    Flatten,
    /// A dense layer: `outputs` neurons, each with a weight per input (and a bias when `bias`).
    Linear {
        inputs: usize,
        outputs: usize,
        bias: bool,
    },
    /// An activation function applied to each value: shape and counts unchanged.
    Activation,
}

impl Layer {
    /// A short kind name for tables.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Conv2d { .. } => "conv",
            Layer::MaxPool2d { .. } => "max pool",
            Layer::Flatten => "flatten",
            Layer::Linear { .. } => "dense",
            Layer::Activation => "activation",
        }
    }
}

/// What one layer does to the shapes and what it costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerRow {
    pub layer: Layer,
    pub input: Shape,
    pub output: Shape,
    /// Weights and biases.
    pub params: u64,
    /// Multiply-adds for one image (pooling compares and activations map: none).
    pub multiply_adds: u64,
    /// How many input pixels (rows, cols) one output value depends on. A dense layer after a
    /// flatten sees the whole input.
    pub receptive_field: [usize; 2],
}

/// Each layer of `layers` applied in turn to an input of shape `input`.
pub fn table(input: Shape, layers: &[Layer]) -> Result<Vec<LayerRow>, KernelError> {
    let mut rows = Vec::with_capacity(layers.len());
    let mut shape = input;
    // Receptive field and the distance, in input pixels, between neighbouring outputs.
    let mut field = [1usize, 1];
    let mut jump = [1usize, 1];
    let whole = [input[1], input[2]];
    for &layer in layers {
        let (output, params, multiply_adds) = match layer {
            Layer::Conv2d {
                in_channels,
                filters,
                kernel,
                stride,
                padding,
                bias,
            } => {
                if in_channels != shape[0] {
                    return Err(KernelError::ChannelMismatch {
                        what: "input channels of a convolution",
                        expected: shape[0],
                        found: in_channels,
                    });
                }
                let params = Conv2dParams {
                    stride,
                    padding,
                    dilation: [1, 1],
                };
                let (out_rows, out_cols) =
                    params.output_shape((shape[1], shape[2]), (kernel[0], kernel[1]))?;
                for axis in 0..2 {
                    field[axis] = grow(field[axis], kernel[axis], jump[axis])?;
                    jump[axis] = checked(jump[axis].checked_mul(stride[axis]), "stride")?;
                }
                let per_filter = product(&[in_channels, kernel[0], kernel[1]], "kernel")?;
                let weights = mul(per_filter, filters as u64, "parameter count")?;
                let biases = if bias { filters as u64 } else { 0 };
                let output = [filters, out_rows, out_cols];
                let outputs = product(&output, "output")?;
                (
                    output,
                    weights.checked_add(biases).ok_or(KernelError::Overflow {
                        what: "parameter count",
                    })?,
                    mul(outputs, per_filter, "multiply-add count")?,
                )
            }
            Layer::MaxPool2d { size, stride } => {
                let params = Conv2dParams {
                    stride,
                    padding: [0, 0],
                    dilation: [1, 1],
                };
                let (out_rows, out_cols) =
                    params.output_shape((shape[1], shape[2]), (size[0], size[1]))?;
                for axis in 0..2 {
                    field[axis] = grow(field[axis], size[axis], jump[axis])?;
                    jump[axis] = checked(jump[axis].checked_mul(stride[axis]), "stride")?;
                }
                ([shape[0], out_rows, out_cols], 0, 0)
            }
            Layer::Flatten => {
                let n = checked(
                    shape[0]
                        .checked_mul(shape[1])
                        .and_then(|v| v.checked_mul(shape[2])),
                    "flattened size",
                )?;
                ([n, 1, 1], 0, 0)
            }
            Layer::Linear {
                inputs,
                outputs,
                bias,
            } => {
                if shape[1] != 1 || shape[2] != 1 {
                    return Err(KernelError::ShapeMismatch {
                        what: "a dense layer needs a flat input (flatten first)",
                        expected: (1, 1),
                        found: (shape[1], shape[2]),
                    });
                }
                if inputs != shape[0] {
                    return Err(KernelError::ChannelMismatch {
                        what: "inputs of a dense layer",
                        expected: shape[0],
                        found: inputs,
                    });
                }
                field = whole;
                let weights = product(&[inputs, outputs], "parameter count")?;
                let biases = if bias { outputs as u64 } else { 0 };
                let params = weights.checked_add(biases).ok_or(KernelError::Overflow {
                    what: "parameter count",
                })?;
                ([outputs, 1, 1], params, weights)
            }
            Layer::Activation => (shape, 0, 0),
        };
        rows.push(LayerRow {
            layer,
            input: shape,
            output,
            params,
            multiply_adds,
            receptive_field: [field[0].min(whole[0]), field[1].min(whole[1])],
        });
        shape = output;
    }
    Ok(rows)
}

/// The parameters and multiply-adds of a whole table.
pub fn totals(rows: &[LayerRow]) -> (u64, u64) {
    rows.iter().fold((0, 0), |(p, m), r| {
        (
            p.saturating_add(r.params),
            m.saturating_add(r.multiply_adds),
        )
    })
}

/// Weights a dense layer of `neurons` needs to see a whole `[channels, rows, cols]` image: one
/// per input value per neuron (the lecture: 3 · 3840 · 2160 · n = 24,883,200 · n for 4k).
pub fn dense_weights(image: Shape, neurons: usize) -> Result<u64, KernelError> {
    product(&[image[0], image[1], image[2], neurons], "weight count")
}

/// Weights of a convolution layer over the same image: `filters` kernels of `k × k` over every
/// channel, whatever the image's size (biases not counted, as in [`dense_weights`]).
pub fn conv_weights(channels: usize, kernel: usize, filters: usize) -> Result<u64, KernelError> {
    product(&[channels, kernel, kernel, filters], "weight count")
}

/// Free parameters of a stack of dense layers: `layers` layers of `neurons` each, every neuron
/// with `weights_per_neuron` weights (the lecture's ~4 × 10¹¹ for 4k neurons, 10 layers and
/// 10⁷ weights each).
pub fn dense_stack_weights(
    neurons: usize,
    layers: usize,
    weights_per_neuron: usize,
) -> Result<u64, KernelError> {
    product(&[neurons, layers, weights_per_neuron], "parameter count")
}

/// The receptive field after a window of `size` whose taps are `jump` input pixels apart.
fn grow(field: usize, size: usize, jump: usize) -> Result<usize, KernelError> {
    checked(
        size.checked_sub(1)
            .and_then(|k| k.checked_mul(jump))
            .and_then(|k| k.checked_add(field)),
        "receptive field",
    )
}

fn checked(value: Option<usize>, what: &'static str) -> Result<usize, KernelError> {
    value.ok_or(KernelError::Overflow { what })
}

fn mul(a: u64, b: u64, what: &'static str) -> Result<u64, KernelError> {
    a.checked_mul(b).ok_or(KernelError::Overflow { what })
}

fn product(values: &[usize], what: &'static str) -> Result<u64, KernelError> {
    values
        .iter()
        .try_fold(1u64, |acc, &v| acc.checked_mul(v as u64))
        .ok_or(KernelError::Overflow { what })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(in_channels: usize, filters: usize, k: usize, stride: usize, padding: usize) -> Layer {
        Layer::Conv2d {
            in_channels,
            filters,
            kernel: [k, k],
            stride: [stride; 2],
            padding: [padding; 2],
            bias: true,
        }
    }

    fn pool(size: usize, stride: usize) -> Layer {
        Layer::MaxPool2d {
            size: [size; 2],
            stride: [stride; 2],
        }
    }

    fn dense(inputs: usize, outputs: usize) -> Layer {
        Layer::Linear {
            inputs,
            outputs,
            bias: true,
        }
    }

    #[test]
    fn lenet5_shapes_parameters_and_receptive_fields() {
        let layers = [
            conv(1, 6, 5, 1, 2),
            Layer::Activation,
            pool(2, 2),
            conv(6, 16, 5, 1, 0),
            Layer::Activation,
            pool(2, 2),
            Layer::Flatten,
            dense(400, 120),
            dense(120, 84),
            dense(84, 10),
        ];
        let rows = table([1, 28, 28], &layers).unwrap();
        let shapes: Vec<Shape> = rows.iter().map(|r| r.output).collect();
        assert_eq!(
            shapes,
            [
                [6, 28, 28],
                [6, 28, 28],
                [6, 14, 14],
                [16, 10, 10],
                [16, 10, 10],
                [16, 5, 5],
                [400, 1, 1],
                [120, 1, 1],
                [84, 1, 1],
                [10, 1, 1]
            ]
        );
        let params: Vec<u64> = rows.iter().map(|r| r.params).collect();
        assert_eq!(params, [156, 0, 0, 2_416, 0, 0, 0, 48_120, 10_164, 850]);
        assert_eq!(totals(&rows).0, 61_706);
        // conv1: 6·28·28 outputs of 25 multiply-adds; conv2: 16·10·10 of 150.
        assert_eq!(rows[0].multiply_adds, 117_600);
        assert_eq!(rows[3].multiply_adds, 240_000);
        assert_eq!(totals(&rows).1, 117_600 + 240_000 + 48_000 + 10_080 + 840);
        // 5 → pool 6 → conv 6 + 4·2 = 14 → pool 14 + 1·2 = 16 pixels; dense layers see everything.
        let fields: Vec<usize> = rows.iter().map(|r| r.receptive_field[0]).collect();
        assert_eq!(fields, [5, 5, 6, 14, 14, 16, 16, 28, 28, 28]);
    }

    #[test]
    fn alexnet_has_62_378_344_parameters() {
        // The single-tower AlexNet of Krizhevsky et al. (2012) on a 227×227 input.
        let layers = [
            conv(3, 96, 11, 4, 0),
            pool(3, 2),
            conv(96, 256, 5, 1, 2),
            pool(3, 2),
            conv(256, 384, 3, 1, 1),
            conv(384, 384, 3, 1, 1),
            conv(384, 256, 3, 1, 1),
            pool(3, 2),
            Layer::Flatten,
            dense(9216, 4096),
            dense(4096, 4096),
            dense(4096, 1000),
        ];
        let rows = table([3, 227, 227], &layers).unwrap();
        assert_eq!(rows[0].output, [96, 55, 55]);
        assert_eq!(rows[7].output, [256, 6, 6]);
        assert_eq!(totals(&rows).0, 62_378_344);
        assert_eq!(rows[0].receptive_field, [11, 11]);
    }

    #[test]
    fn mismatched_layers_are_errors() {
        assert!(matches!(
            table([1, 28, 28], &[conv(3, 6, 5, 1, 0)]),
            Err(KernelError::ChannelMismatch { .. })
        ));
        assert!(matches!(
            table([1, 28, 28], &[dense(784, 10)]),
            Err(KernelError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            table([1, 4, 4], &[conv(1, 1, 5, 1, 0)]),
            Err(KernelError::KernelTooLarge { .. })
        ));
        assert!(matches!(
            table([1, 4, 4], &[Layer::Flatten, dense(15, 2)]),
            Err(KernelError::ChannelMismatch { .. })
        ));
    }

    #[test]
    fn the_lectures_weight_counts() {
        // "3 · 3840 · 2160 · n = 24,883,200 · neurons" weights for a raw DNN on a 4k image.
        assert_eq!(dense_weights([3, 2160, 3840], 1).unwrap(), 24_883_200);
        assert_eq!(dense_weights([3, 2160, 3840], 100).unwrap(), 2_488_320_000);
        // "4 × 10⁴ neurons each with 1 × 10⁷ weights, or ~4 × 10¹¹ free parameters".
        assert_eq!(
            dense_stack_weights(4_000, 10, 10_000_000).unwrap(),
            400_000_000_000
        );
        // A 3×3 conv with 100 filters over the same image: 2,700 weights.
        assert_eq!(conv_weights(3, 3, 100).unwrap(), 2_700);
        assert!(matches!(
            dense_weights([usize::MAX, 2, 2], 2),
            Err(KernelError::Overflow { .. })
        ));
    }
}
