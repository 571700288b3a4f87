//! A multilayer perceptron whose depth, activation, biases and LayerNorm are settings: the
//! network of the lecture's "Vanishing gradients", "Adding biases" and "(Layer)Normalization"
//! slides. A deep stack of sigmoids passes back gradients that shrink layer by layer (σ′ ≤ ¼);
//! ReLU and LayerNorm keep them in range.
//!
//! 784 inputs (the flattened image) → `depth` hidden layers of `width` → the class logits.

use burn::config::Config;
use burn::module::{Module, ParamId};
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::activation::Activation;

/// Most hidden layers an [`Mlp`] may have.
pub const MAX_DEPTH: usize = 20;
/// Widest hidden layer.
pub const MAX_WIDTH: usize = 512;

/// Configuration of an [`Mlp`].
#[derive(Config, Debug)]
pub struct MlpConfig {
    /// Hidden layers (1–[`MAX_DEPTH`]).
    #[config(default = 4)]
    pub depth: usize,
    /// Units in each hidden layer (1–[`MAX_WIDTH`]).
    #[config(default = 32)]
    pub width: usize,
    /// Activation after each hidden layer.
    #[config(default = "Activation::Sigmoid")]
    pub activation: Activation,
    /// Whether each layer adds a bias.
    #[config(default = true)]
    pub bias: bool,
    /// A LayerNorm after each hidden layer, before its activation.
    #[config(default = false)]
    pub layer_norm: bool,
    /// Number of classes (10 digits).
    #[config(default = 10)]
    pub num_classes: usize,
}

/// The perceptron. Build it with [`MlpConfig::init`].
#[derive(Module, Debug)]
pub struct Mlp {
    /// The hidden layers, first to last.
    pub hidden: Vec<Linear>,
    /// One LayerNorm per hidden layer, or none.
    pub norms: Vec<LayerNorm>,
    /// The last hidden layer → the logits.
    pub output: Linear,
    #[module(skip)]
    pub activation: Activation,
}

impl MlpConfig {
    /// Why this configuration cannot be built, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_DEPTH).contains(&self.depth) {
            return Err(format!("depth must be 1–{MAX_DEPTH}, not {}", self.depth));
        }
        if !(1..=MAX_WIDTH).contains(&self.width) {
            return Err(format!("width must be 1–{MAX_WIDTH}, not {}", self.width));
        }
        if self.num_classes == 0 {
            return Err("an MLP needs at least one class".into());
        }
        Ok(())
    }

    /// Builds the network with freshly initialised weights on `device` (check it first: sizes
    /// are clamped to their limits).
    pub fn init(&self, device: &Device) -> Mlp {
        let (depth, width) = (
            self.depth.clamp(1, MAX_DEPTH),
            self.width.clamp(1, MAX_WIDTH),
        );
        let linear = |inputs, outputs| {
            LinearConfig::new(inputs, outputs)
                .with_bias(self.bias)
                .init(device)
        };
        Mlp {
            hidden: (0..depth)
                .map(|i| linear(if i == 0 { 28 * 28 } else { width }, width))
                .collect(),
            norms: if self.layer_norm {
                (0..depth)
                    .map(|_| LayerNormConfig::new(width).init(device))
                    .collect()
            } else {
                Vec::new()
            },
            output: linear(width, self.num_classes.max(1)),
            activation: self.activation,
        }
    }
}

impl Mlp {
    /// Class logits.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x: Tensor<2> = images.flatten(1, 3); // [batch, 784]
        for (i, layer) in self.hidden.iter().enumerate() {
            x = layer.forward(x); // [batch, width]
            if let Some(norm) = self.norms.get(i) {
                x = norm.forward(x);
            }
            x = self.activation.forward(x);
        }
        self.output.forward(x)
    }

    /// Each layer's name and the id of its weight matrix, input side first.
    pub fn weight_layers(&self) -> Vec<(String, ParamId)> {
        self.hidden
            .iter()
            .enumerate()
            .map(|(i, l)| (format!("hidden {}", i + 1), l.weight.id))
            .chain([("output".to_string(), self.output.weight.id)])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_parameters_follow_the_configuration() {
        let device = Device::flex();
        let config = MlpConfig::new().with_depth(3).with_width(16);
        let mlp = config.init(&device);
        let out = mlp.forward(Tensor::zeros([2, 1, 28, 28], &device));
        assert_eq!(out.dims(), [2, 10]);
        // 784·16 + 16, twice 16·16 + 16, 16·10 + 10.
        assert_eq!(
            mlp.num_params(),
            784 * 16 + 16 + 2 * (16 * 16 + 16) + 16 * 10 + 10
        );
        assert_eq!(mlp.weight_layers().len(), 4);

        let bare = config
            .clone()
            .with_bias(false)
            .with_layer_norm(true)
            .init(&device);
        // No biases; each LayerNorm has a scale and a shift of 16.
        assert_eq!(bare.num_params(), 784 * 16 + 2 * 16 * 16 + 16 * 10 + 3 * 32);
        assert!(MlpConfig::new().with_depth(21).check().is_err());
        assert!(MlpConfig::new().with_width(0).check().is_err());
        assert_eq!(MlpConfig::new().check(), Ok(()));
    }
}
