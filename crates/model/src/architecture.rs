//! The models' layers as [`Layer`]s, read from the Burn modules themselves (their weights'
//! shapes, strides and paddings), so the architecture cards the app shows are the code, not a
//! hand-typed table. Reading shapes never initialises a lazily built weight.

use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::nn::{Linear, PaddingConfig2d};
pub use convlab_kernels::architecture::{Layer, LayerRow, Shape, table, totals};

/// A network's layers with their names, and the input they expect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Architecture {
    pub name: &'static str,
    /// `[channels, rows, cols]`.
    pub input: Shape,
    pub layers: Vec<(&'static str, Layer)>,
}

impl Architecture {
    /// The network's parameter count by the layer table (it equals the module's
    /// `num_params()`, which the tests check).
    pub fn params(&self) -> Result<u64, convlab_kernels::KernelError> {
        let layers: Vec<Layer> = self.layers.iter().map(|(_, l)| *l).collect();
        Ok(totals(&table(self.input, &layers)?).0)
    }
}

/// A convolution module as a [`Layer`].
pub fn conv_layer(conv: &Conv2d) -> Layer {
    let [filters, in_per_group, k_rows, k_cols] = conv.weight.lazy_shape().dims::<4>();
    Layer::Conv2d {
        in_channels: in_per_group * conv.groups,
        filters,
        kernel: [k_rows, k_cols],
        stride: conv.stride,
        padding: padding(&conv.padding, [k_rows, k_cols]),
        bias: conv.bias.is_some(),
    }
}

/// A max-pooling module as a [`Layer`].
pub fn pool_layer(pool: &MaxPool2d) -> Layer {
    Layer::MaxPool2d {
        size: pool.kernel_size,
        stride: pool.stride,
    }
}

/// A dense module as a [`Layer`].
pub fn linear_layer(linear: &Linear) -> Layer {
    let [inputs, outputs] = linear.weight.lazy_shape().dims::<2>();
    Layer::Linear {
        inputs,
        outputs,
        bias: linear.bias.is_some(),
    }
}

/// The zero padding `[rows, cols]` on the top and left (the models pad symmetrically).
fn padding(config: &PaddingConfig2d, kernel: [usize; 2]) -> [usize; 2] {
    match config {
        PaddingConfig2d::Valid => [0, 0],
        PaddingConfig2d::Same => [(kernel[0] - 1) / 2, (kernel[1] - 1) / 2],
        PaddingConfig2d::Explicit(top, left, _, _) => [*top, *left],
    }
}
