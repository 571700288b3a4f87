//! The convolutional encoder shared by [`Vae`](crate::Vae) and
//! [`Autoencoder`](crate::Autoencoder): a 28×28 digit down to a 16-number feature vector. The
//! latent heads (μ and log σ² for the VAE, z for the autoencoder) sit in the models themselves.
//!
//! Layer names follow `bench/torch_vae.py` without its `enc_` prefix: `enc_conv1` is
//! `encoder.conv1`, `enc_fc` is `encoder.fc`, `enc_ln` is `encoder.ln`.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor};

use crate::activation::Activation;
use crate::conv;

/// Channels after the first convolution.
pub const CONV1_CHANNELS: usize = 32;
/// Channels after the second convolution, and of the decoder's first feature map.
pub const CONV2_CHANNELS: usize = 64;
/// Side of the feature map after the two stride-2 convolutions (28 → 14 → 7).
pub const FEATURE_SIDE: usize = 7;
/// Length of the flattened feature map, 64 × 7 × 7.
pub const FEATURES: usize = CONV2_CHANNELS * FEATURE_SIDE * FEATURE_SIDE;

/// Configuration of a [`ConvEncoder`].
#[derive(Config, Debug)]
pub struct ConvEncoderConfig {
    /// Width of the dense bottleneck after the convolutions (16 in the reference model).
    #[config(default = 16)]
    pub hidden: usize,
    /// Normalise the bottleneck with `LayerNorm` before its activation. Without it the small
    /// bottleneck trains less steadily; the switch is there to show that.
    #[config(default = true)]
    pub layer_norm: bool,
    /// Activation after each layer.
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
}

/// Conv2d(1→32, 3, s2, p1) → act → Conv2d(32→64, 3, s2, p1) → act → flatten →
/// Linear(3136→hidden) → LayerNorm → act.
#[derive(Module, Debug)]
pub struct ConvEncoder {
    /// 1 → 32 channels, 3×3, stride 2, padding 1: 28×28 → 14×14.
    pub conv1: Conv2d,
    /// 32 → 64 channels, 3×3, stride 2, padding 1: 14×14 → 7×7.
    pub conv2: Conv2d,
    /// The flattened 64×7×7 map to the bottleneck.
    pub fc: Linear,
    /// `None` when the config turns LayerNorm off.
    pub ln: Option<LayerNorm>,
    /// The configured activation (parameter-free, so not part of the weights record).
    #[module(skip)]
    pub activation: Activation,
}

impl ConvEncoderConfig {
    /// Builds the encoder with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> ConvEncoder {
        let conv = |channels| {
            Conv2dConfig::new(channels, [3, 3])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        ConvEncoder {
            conv1: conv([1, CONV1_CHANNELS]),
            conv2: conv([CONV1_CHANNELS, CONV2_CHANNELS]),
            fc: LinearConfig::new(FEATURES, self.hidden).init(device),
            ln: self
                .layer_norm
                .then(|| LayerNormConfig::new(self.hidden).init(device)),
            activation: self.activation,
        }
    }
}

impl ConvEncoder {
    /// Image batch to bottleneck features.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - output: `[batch, hidden]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.activation.forward(conv::conv2d(&self.conv1, images)); // [batch, 32, 14, 14]
        let x = self.activation.forward(conv::conv2d(&self.conv2, x)); // [batch, 64, 7, 7]
        let x: Tensor<2> = x.flatten(1, 3); // [batch, 3136]
        let x = self.fc.forward(x); // [batch, hidden]
        let x = match &self.ln {
            Some(ln) => ln.forward(x),
            None => x,
        };
        self.activation.forward(x) // [batch, hidden]
    }
}
