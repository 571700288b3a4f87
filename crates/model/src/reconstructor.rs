//! The models a VAE training run can train, as one module: the VAE or the plain autoencoder,
//! which share the encoder's and decoder's layers and differ in the bottleneck.

use burn::module::Module;
use burn::tensor::Tensor;

use crate::autoencoder::Autoencoder;
use crate::vae::Vae;

/// A [`Vae`] or an [`Autoencoder`].
#[derive(Module, Debug)]
pub enum Reconstructor {
    Vae(Vae),
    Autoencoder(Autoencoder),
}

impl Reconstructor {
    /// Size of the latent code.
    pub fn latent_dim(&self) -> usize {
        match self {
            Reconstructor::Vae(vae) => vae.latent_dim(),
            Reconstructor::Autoencoder(ae) => ae.latent_dim(),
        }
    }

    /// Whether the model is variational (has a posterior, and a KL term in its loss).
    pub fn is_variational(&self) -> bool {
        matches!(self, Reconstructor::Vae(_))
    }

    /// Each image's code: the posterior's mean and log-variance (the VAE), or the code and no
    /// variance (the autoencoder).
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - output: `[batch, latent_dim]` each
    pub fn encode(&self, images: Tensor<4>) -> (Tensor<2>, Option<Tensor<2>>) {
        match self {
            Reconstructor::Vae(vae) => {
                let posterior = vae.encode(images);
                (posterior.mu, Some(posterior.log_var))
            }
            Reconstructor::Autoencoder(ae) => (ae.encode(images), None),
        }
    }

    /// Codes decoded to images in `[0, 1]`.
    ///
    /// # Shapes
    /// - `z`: `[batch, latent_dim]`
    /// - output: `[batch, 1, 28, 28]`
    pub fn decode(&self, z: Tensor<2>) -> Tensor<4> {
        match self {
            Reconstructor::Vae(vae) => vae.decode(z),
            Reconstructor::Autoencoder(ae) => ae.decode(z),
        }
    }
}
