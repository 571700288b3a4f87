//! The plain autoencoder: the VAE's encoder and decoder with one latent head and no sampling,
//! trained on reconstruction alone (`loss::bce_with_logits`). Its latent space has no prior
//! pulling it towards N(0, I), which is what the AE-versus-VAE pages show.
//!
//! At latent size 2 it has 134,163 parameters: the VAE's 134,197 less one 16→2 head (34).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, activation};

use crate::activation::Activation;
use crate::decoder::{ConvDecoder, ConvDecoderConfig};
use crate::encoder::{ConvEncoder, ConvEncoderConfig};

/// Configuration of an [`Autoencoder`]; the same fields and defaults as
/// [`VaeConfig`](crate::VaeConfig), so the two models compare like for like.
#[derive(Config, Debug)]
pub struct AutoencoderConfig {
    /// Size L of the latent code z.
    #[config(default = 2)]
    pub latent_dim: usize,
    /// LayerNorm on the 16-unit bottleneck before its activation.
    #[config(default = true)]
    pub layer_norm: bool,
    /// Activation after every hidden layer, in the encoder and the decoder.
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
}

/// The deterministic autoencoder. Build it with [`AutoencoderConfig::init`].
#[derive(Module, Debug)]
pub struct Autoencoder {
    /// Image to 16 bottleneck features (the VAE's encoder).
    pub encoder: ConvEncoder,
    /// Head for the latent code: Linear(16 → L).
    pub latent: Linear,
    /// Latent code to image logits (the VAE's decoder).
    pub decoder: ConvDecoder,
}

/// What one forward pass computes.
#[derive(Clone, Debug)]
pub struct AutoencoderOutput {
    /// Reconstruction logits, `[batch, 1, 28, 28]`.
    pub logits: Tensor<4>,
    /// The latent code, `[batch, latent_dim]`.
    pub z: Tensor<2>,
}

impl AutoencoderConfig {
    /// Builds the model with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> Autoencoder {
        let encoder = ConvEncoderConfig::new()
            .with_layer_norm(self.layer_norm)
            .with_activation(self.activation);
        Autoencoder {
            latent: LinearConfig::new(encoder.hidden, self.latent_dim).init(device),
            encoder: encoder.init(device),
            decoder: ConvDecoderConfig::new(self.latent_dim)
                .with_activation(self.activation)
                .init(device),
        }
    }
}

impl Autoencoder {
    /// Encode and decode.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`, values in `[0, 1]`
    /// - output: logits `[batch, 1, 28, 28]`, z `[batch, latent_dim]`
    pub fn forward(&self, images: Tensor<4>) -> AutoencoderOutput {
        let z = self.encode(images); // [batch, L]
        let logits = self.decoder.forward(z.clone()); // [batch, 1, 28, 28]
        AutoencoderOutput { logits, z }
    }

    /// Images to latent codes.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - output: `[batch, latent_dim]`
    pub fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        let h = self.encoder.forward(images); // [batch, 16]
        self.latent.forward(h) // [batch, L]
    }

    /// Latent codes to image logits.
    ///
    /// # Shapes
    /// - `z`: `[batch, latent_dim]`
    /// - output: `[batch, 1, 28, 28]`
    pub fn decode_logits(&self, z: Tensor<2>) -> Tensor<4> {
        self.decoder.forward(z)
    }

    /// Latent codes to images in `[0, 1]`: inference.
    ///
    /// # Shapes
    /// - `z`: `[batch, latent_dim]`
    /// - output: `[batch, 1, 28, 28]`
    pub fn decode(&self, z: Tensor<2>) -> Tensor<4> {
        activation::sigmoid(self.decoder.forward(z))
    }

    /// Size L of the latent code.
    pub fn latent_dim(&self) -> usize {
        self.decoder.latent_dim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VaeConfig;
    use burn::tensor::Distribution;

    #[test]
    fn autoencoder_has_the_vae_count_less_one_head() {
        let device = Device::flex();
        let ae = AutoencoderConfig::new().init(&device);
        assert_eq!(ae.num_params(), 134_163);
        let vae = VaeConfig::new().init(&device);
        assert_eq!(vae.num_params() - ae.num_params(), 16 * 2 + 2);
    }

    #[test]
    fn forward_shapes() {
        let device = Device::flex();
        let ae = AutoencoderConfig::new().with_latent_dim(4).init(&device);
        assert_eq!(ae.latent_dim(), 4);
        let images = Tensor::<4>::random([5, 1, 28, 28], Distribution::Default, &device);
        let out = ae.forward(images.clone());
        assert_eq!(out.logits.dims(), [5, 1, 28, 28]);
        assert_eq!(out.z.dims(), [5, 4]);
        assert_eq!(ae.decode(out.z).dims(), [5, 1, 28, 28]);
    }

    #[test]
    fn forward_is_deterministic() {
        let device = Device::flex();
        let ae = AutoencoderConfig::new().init(&device);
        let images = Tensor::<4>::random([2, 1, 28, 28], Distribution::Default, &device);
        let a = ae.forward(images.clone()).logits.into_data();
        let b = ae.forward(images).logits.into_data();
        assert_eq!(a, b);
    }
}
