//! The transposed-convolution decoder shared by [`Vae`](crate::Vae) and
//! [`Autoencoder`](crate::Autoencoder): a latent vector up to 28×28 logits. On its own it is the
//! generator the latent-space pages drive.
//!
//! Layer names follow `bench/torch_vae.py` without its `dec_` prefix: `dec_fc` is `decoder.fc`,
//! `dec_deconv1` is `decoder.deconv1`, and so on.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, activation};

use crate::activation::Activation;
use crate::conv;
use crate::encoder::{CONV1_CHANNELS, CONV2_CHANNELS, FEATURE_SIDE, FEATURES};

/// Configuration of a [`ConvDecoder`].
#[derive(Config, Debug)]
pub struct ConvDecoderConfig {
    /// Size of the latent vector z the decoder reads.
    pub latent_dim: usize,
    /// Activation after each hidden layer (none after the last: it returns logits).
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
}

/// Linear(L→3136) → act → reshape 64×7×7 → ConvT(64→64, 3, s2, p1, op1) → act →
/// ConvT(64→32, 3, s2, p1, op1) → act → ConvT(32→1, 3, s1, p1) → logits.
#[derive(Module, Debug)]
pub struct ConvDecoder {
    /// The latent vector to a flattened 64×7×7 map.
    pub fc: Linear,
    /// 64 → 64 channels, 3×3, stride 2, padding 1, output padding 1: 7×7 → 14×14.
    pub deconv1: ConvTranspose2d,
    /// 64 → 32 channels, 3×3, stride 2, padding 1, output padding 1: 14×14 → 28×28.
    pub deconv2: ConvTranspose2d,
    /// 32 → 1 channel, 3×3, stride 1, padding 1: 28×28 logits.
    pub deconv3: ConvTranspose2d,
    /// The configured activation (parameter-free, so not part of the weights record).
    #[module(skip)]
    pub activation: Activation,
}

impl ConvDecoderConfig {
    /// Builds the decoder with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> ConvDecoder {
        let upsample = |channels| {
            ConvTranspose2dConfig::new(channels, [3, 3])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .with_padding_out([1, 1])
                .init(device)
        };
        ConvDecoder {
            fc: LinearConfig::new(self.latent_dim, FEATURES).init(device),
            deconv1: upsample([CONV2_CHANNELS, CONV2_CHANNELS]),
            deconv2: upsample([CONV2_CHANNELS, CONV1_CHANNELS]),
            deconv3: ConvTranspose2dConfig::new([CONV1_CHANNELS, 1], [3, 3])
                .with_padding([1, 1])
                .init(device),
            activation: self.activation,
        }
    }
}

impl ConvDecoder {
    /// Latent vectors to image logits (train against these with BCE-with-logits).
    ///
    /// # Shapes
    /// - `z`: `[batch, latent_dim]`
    /// - output: `[batch, 1, 28, 28]`
    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        let [batch, _] = z.dims();
        let x = self.activation.forward(self.fc.forward(z)); // [batch, 3136]
        let x: Tensor<4> = x.reshape([batch, CONV2_CHANNELS, FEATURE_SIDE, FEATURE_SIDE]); // [batch, 64, 7, 7]
        let x = self
            .activation
            .forward(conv::conv_transpose2d(&self.deconv1, x)); // [batch, 64, 14, 14]
        let x = self
            .activation
            .forward(conv::conv_transpose2d(&self.deconv2, x)); // [batch, 32, 28, 28]
        conv::conv_transpose2d(&self.deconv3, x) // [batch, 1, 28, 28]
    }

    /// Latent vectors to images in `[0, 1]`: the sigmoid of [`forward`](Self::forward).
    ///
    /// # Shapes
    /// - `z`: `[batch, latent_dim]`
    /// - output: `[batch, 1, 28, 28]`
    pub fn decode(&self, z: Tensor<2>) -> Tensor<4> {
        activation::sigmoid(self.forward(z))
    }

    /// Size of the latent vector this decoder reads.
    pub fn latent_dim(&self) -> usize {
        // Burn's default (row) layout stores a Linear weight as [d_input, d_output].
        self.fc.weight.lazy_shape().dims::<2>()[0]
    }
}
