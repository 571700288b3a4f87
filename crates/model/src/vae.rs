//! The reference variational autoencoder: the lecture's model and `bench/torch_vae.py`.
//!
//! ```text
//! image [B,1,28,28] ─ encoder ─► h [B,16] ─┬─ mu ──────► μ      [B,L]
//!                                          └─ log_var ─► log σ² [B,L]
//! z = μ + exp(½·log σ²)·ε,  ε ~ N(0, I)                          [B,L]
//! z ─ decoder ─► logits [B,1,28,28]  (sigmoid at inference)
//! ```
//!
//! At latent size 2 it has 134,197 parameters, as PyTorch counts them. Names against the
//! PyTorch reference: `enc_conv1/enc_conv2/enc_fc/enc_ln` → `encoder.{conv1,conv2,fc,ln}`,
//! `enc_mu` → `mu`, `enc_logvar` → `log_var`, `dec_fc/dec_deconvN` → `decoder.{fc,deconvN}`.
//! Burn stores a `Linear` weight as `[in, out]` (PyTorch `[out, in]`) and LayerNorm's weight
//! and bias as `gamma` and `beta`.

use burn::config::Config;
use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Distribution, Tensor, activation};

use crate::activation::Activation;
use crate::decoder::{ConvDecoder, ConvDecoderConfig};
use crate::encoder::{ConvEncoder, ConvEncoderConfig};

/// Configuration of a [`Vae`]; `VaeConfig::new()` is the reference model.
#[derive(Config, Debug)]
pub struct VaeConfig {
    /// Size L of the latent code z. 2 lets the lecture plot the latent space directly.
    #[config(default = 2)]
    pub latent_dim: usize,
    /// LayerNorm on the 16-unit bottleneck before its activation (on in the reference).
    #[config(default = true)]
    pub layer_norm: bool,
    /// Activation after every hidden layer, in the encoder and the decoder.
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
}

/// The variational autoencoder. Build it with [`VaeConfig::init`].
#[derive(Module, Debug)]
pub struct Vae {
    /// Image to 16 bottleneck features.
    pub encoder: ConvEncoder,
    /// Head for the posterior mean μ: Linear(16 → L).
    pub mu: Linear,
    /// Head for the posterior log-variance log σ²: Linear(16 → L).
    pub log_var: Linear,
    /// Latent code to image logits.
    pub decoder: ConvDecoder,
}

/// The encoder's answer for each image: a diagonal Gaussian `N(μ, σ²)` over the latent space.
#[derive(Clone, Debug)]
pub struct LatentGaussian {
    /// Mean, `[batch, latent_dim]`.
    pub mu: Tensor<2>,
    /// Log-variance log σ², `[batch, latent_dim]`. The log keeps σ² positive without a
    /// constraint on the layer.
    pub log_var: Tensor<2>,
}

/// Where the ε of the reparameterisation `z = μ + σ·ε` comes from.
#[derive(Clone, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "built once per forward pass; boxing the tensor would only add noise at call sites"
)]
pub enum Noise {
    /// Draw ε ~ N(0, I) from the device's random number generator (training, sampling).
    Random,
    /// Use this ε, `[batch, latent_dim]` (reproducible tests, a slider on a page).
    Given(Tensor<2>),
    /// ε = 0, so z = μ: the deterministic reconstruction shown at inference.
    Zero,
}

/// Everything one forward pass computes; the loss needs all of it.
#[derive(Clone, Debug)]
pub struct VaeOutput {
    /// Reconstruction logits, `[batch, 1, 28, 28]`.
    pub logits: Tensor<4>,
    /// Posterior mean, `[batch, latent_dim]`.
    pub mu: Tensor<2>,
    /// Posterior log-variance, `[batch, latent_dim]`.
    pub log_var: Tensor<2>,
    /// The sampled latent code that was decoded, `[batch, latent_dim]`.
    pub z: Tensor<2>,
}

/// Reads every float parameter, which draws those not drawn yet.
struct DrawNow;

impl ModuleVisitor for DrawNow {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

impl VaeConfig {
    /// Builds the model with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> Vae {
        let encoder = self.encoder().init(device);
        let hidden = self.encoder().hidden;
        Vae {
            encoder,
            mu: LinearConfig::new(hidden, self.latent_dim).init(device),
            log_var: LinearConfig::new(hidden, self.latent_dim).init(device),
            decoder: self.decoder().init(device),
        }
    }

    /// Builds the model with fresh weights drawn from `seed` on the CPU and then moved to
    /// `device`: the same numbers whatever the device (each backend's own generator would draw
    /// others, and Burn draws a parameter when it is first used, so the order of first use
    /// would matter too; here every parameter is drawn at once, in the module's order).
    pub fn init_seeded(&self, seed: u64, device: &Device) -> Vae {
        let cpu = Device::flex();
        cpu.seed(seed);
        let vae = self.init(&cpu);
        vae.visit(&mut DrawNow);
        vae.to_device(device)
    }

    /// The encoder part of this configuration.
    pub fn encoder(&self) -> ConvEncoderConfig {
        ConvEncoderConfig::new()
            .with_layer_norm(self.layer_norm)
            .with_activation(self.activation)
    }

    /// The decoder part of this configuration.
    pub fn decoder(&self) -> ConvDecoderConfig {
        ConvDecoderConfig::new(self.latent_dim).with_activation(self.activation)
    }
}

impl Vae {
    /// Encode, sample z with ε from the device's generator, decode: the training pass.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`, values in `[0, 1]`
    /// - output: logits `[batch, 1, 28, 28]`; μ, log σ² and z `[batch, latent_dim]`
    pub fn forward(&self, images: Tensor<4>) -> VaeOutput {
        self.forward_with(images, Noise::Random)
    }

    /// [`forward`](Self::forward) with the noise chosen by the caller.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - `Noise::Given(ε)`: `[batch, latent_dim]`
    /// - output: logits `[batch, 1, 28, 28]`; μ, log σ² and z `[batch, latent_dim]`
    pub fn forward_with(&self, images: Tensor<4>, noise: Noise) -> VaeOutput {
        let LatentGaussian { mu, log_var } = self.encode(images); // [batch, L] each
        let z = Self::reparameterize(mu.clone(), log_var.clone(), noise); // [batch, L]
        let logits = self.decoder.forward(z.clone()); // [batch, 1, 28, 28]
        VaeOutput {
            logits,
            mu,
            log_var,
            z,
        }
    }

    /// The posterior `N(μ, σ²)` for each image.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - output: μ and log σ², `[batch, latent_dim]` each
    pub fn encode(&self, images: Tensor<4>) -> LatentGaussian {
        let h = self.encoder.forward(images); // [batch, 16]
        LatentGaussian {
            mu: self.mu.forward(h.clone()),   // [batch, L]
            log_var: self.log_var.forward(h), // [batch, L]
        }
    }

    /// The reparameterisation trick, `z = μ + exp(½·log σ²)·ε`: the randomness is in ε, so
    /// gradients flow to μ and log σ².
    ///
    /// # Shapes
    /// - `mu`, `log_var`: `[batch, latent_dim]`
    /// - `Noise::Given(ε)`: `[batch, latent_dim]`
    /// - output: `[batch, latent_dim]`
    pub fn reparameterize(mu: Tensor<2>, log_var: Tensor<2>, noise: Noise) -> Tensor<2> {
        let eps = match noise {
            Noise::Zero => return mu,
            Noise::Given(eps) => eps,
            Noise::Random => {
                Tensor::random(mu.shape(), Distribution::Normal(0.0, 1.0), &mu.device())
            }
        };
        let std = log_var.mul_scalar(0.5).exp(); // σ, [batch, L]
        mu + std * eps
    }

    /// Latent codes to image logits.
    ///
    /// # Shapes
    /// - `z`: `[batch, latent_dim]`
    /// - output: `[batch, 1, 28, 28]`
    pub fn decode_logits(&self, z: Tensor<2>) -> Tensor<4> {
        self.decoder.forward(z)
    }

    /// Latent codes to images in `[0, 1]` (the sigmoid of the logits): inference.
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

impl VaeOutput {
    /// The reconstructed images in `[0, 1]`, `[batch, 1, 28, 28]`.
    pub fn reconstruction(&self) -> Tensor<4> {
        activation::sigmoid(self.logits.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::vae_loss;
    use burn::tensor::TensorData;

    fn images(batch: usize, device: &Device) -> Tensor<4> {
        Tensor::random([batch, 1, 28, 28], Distribution::Default, device)
    }

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn reference_vae_has_134_197_parameters() {
        let vae = VaeConfig::new().init(&Device::flex());
        assert_eq!(vae.num_params(), 134_197);
    }

    #[test]
    fn parameter_count_follows_latent_size_and_layer_norm() {
        let device = Device::flex();
        // Each latent unit adds 17 weights to each head and 3136 + … to the decoder's Linear:
        // 2·(16 + 1) + 3136 per unit.
        let per_unit = 2 * 17 + 3136;
        let vae16 = VaeConfig::new().with_latent_dim(16).init(&device);
        assert_eq!(vae16.num_params(), 134_197 + 14 * per_unit);
        let no_ln = VaeConfig::new().with_layer_norm(false).init(&device);
        assert_eq!(no_ln.num_params(), 134_197 - 32);
        assert!(no_ln.encoder.ln.is_none());
    }

    #[test]
    fn forward_shapes() {
        let device = Device::flex();
        for latent in [2, 8] {
            let vae = VaeConfig::new().with_latent_dim(latent).init(&device);
            assert_eq!(vae.latent_dim(), latent);
            let out = vae.forward(images(3, &device));
            assert_eq!(out.logits.dims(), [3, 1, 28, 28]);
            assert_eq!(out.mu.dims(), [3, latent]);
            assert_eq!(out.log_var.dims(), [3, latent]);
            assert_eq!(out.z.dims(), [3, latent]);
            assert_eq!(vae.decode(out.z).dims(), [3, 1, 28, 28]);
        }
    }

    #[test]
    fn decode_is_the_sigmoid_of_the_logits_and_lies_in_0_1() {
        let device = Device::flex();
        let vae = VaeConfig::new().init(&device);
        let z = Tensor::<2>::random([4, 2], Distribution::Normal(0.0, 3.0), &device);
        let probs = values(vae.decode(z.clone()));
        let logits = values(vae.decode_logits(z));
        for (p, l) in probs.iter().zip(&logits) {
            assert!((0.0..=1.0).contains(p));
            assert!((p - 1.0 / (1.0 + (-l).exp())).abs() < 1e-5);
        }
    }

    #[test]
    fn reparameterize_is_mu_plus_sigma_times_eps() {
        let device = Device::flex();
        let mu = Tensor::<2>::from_data(TensorData::from([[1.0f32, -2.0]]), &device);
        let log_var =
            Tensor::<2>::from_data(TensorData::from([[0.0f32, 2.0f32.ln() * 2.0]]), &device);
        let eps = Tensor::<2>::from_data(TensorData::from([[0.5f32, 1.0]]), &device);
        // σ = exp(½·log σ²) = [1, 2]; z = μ + σ·ε = [1.5, 0].
        let z = values(Vae::reparameterize(
            mu.clone(),
            log_var.clone(),
            Noise::Given(eps),
        ));
        assert!((z[0] - 1.5).abs() < 1e-6 && z[1].abs() < 1e-6, "{z:?}");
        let mean = values(Vae::reparameterize(mu, log_var, Noise::Zero));
        assert_eq!(mean, vec![1.0, -2.0]);
    }

    #[test]
    fn random_noise_has_unit_spread() {
        let device = Device::flex();
        device.seed(7);
        let n = 4000;
        let zeros = Tensor::<2>::zeros([n, 1], &device);
        let z = values(Vae::reparameterize(zeros.clone(), zeros, Noise::Random));
        let mean = z.iter().sum::<f32>() / n as f32;
        let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n as f32;
        assert!(
            mean.abs() < 0.1 && (var - 1.0).abs() < 0.1,
            "mean {mean}, var {var}"
        );
    }

    #[test]
    fn zero_noise_makes_forward_deterministic() {
        let device = Device::flex();
        let vae = VaeConfig::new().init(&device);
        let x = images(2, &device);
        let a = values(vae.forward_with(x.clone(), Noise::Zero).logits);
        let b = values(vae.forward_with(x, Noise::Zero).logits);
        assert_eq!(a, b);
    }

    #[test]
    fn other_activations_keep_the_shapes() {
        let device = Device::flex();
        for activation in Activation::ALL {
            let vae = VaeConfig::new().with_activation(activation).init(&device);
            assert_eq!(vae.num_params(), 134_197);
            assert_eq!(
                vae.forward(images(1, &device)).logits.dims(),
                [1, 1, 28, 28]
            );
        }
    }

    #[test]
    fn config_round_trips_through_json() {
        let config = VaeConfig::new()
            .with_latent_dim(16)
            .with_layer_norm(false)
            .with_activation(Activation::Gelu);
        let json = burn::config::config_to_json(&config);
        let back = VaeConfig::load_binary(json.as_bytes()).unwrap();
        assert_eq!(
            (back.latent_dim, back.layer_norm, back.activation),
            (16, false, Activation::Gelu)
        );
    }

    #[test]
    fn loss_backward_on_autodiff_gives_finite_gradients_everywhere() {
        let device = Device::flex().autodiff();
        device.seed(3);
        let vae = VaeConfig::new().init(&device);
        let x = images(4, &device);
        let out = vae.forward(x.clone());
        let loss = vae_loss(&out, x, 1.0);
        let grads = loss.total.backward();

        let mut checked = 0;
        let params: Vec<(&str, Option<Tensor<4>>)> = vec![
            ("encoder.conv1", vae.encoder.conv1.weight.val().grad(&grads)),
            ("encoder.conv2", vae.encoder.conv2.weight.val().grad(&grads)),
            (
                "decoder.deconv1",
                vae.decoder.deconv1.weight.val().grad(&grads),
            ),
            (
                "decoder.deconv3",
                vae.decoder.deconv3.weight.val().grad(&grads),
            ),
        ];
        for (name, grad) in params {
            let grad = values(grad.unwrap_or_else(|| panic!("no gradient for {name}")));
            assert!(grad.iter().all(|g| g.is_finite()), "{name}");
            assert!(
                grad.iter().any(|g| *g != 0.0),
                "{name} has an all-zero gradient"
            );
            checked += 1;
        }
        for (name, linear) in [
            ("encoder.fc", &vae.encoder.fc),
            ("mu", &vae.mu),
            ("log_var", &vae.log_var),
            ("decoder.fc", &vae.decoder.fc),
        ] {
            let grad = values(
                linear
                    .weight
                    .val()
                    .grad(&grads)
                    .unwrap_or_else(|| panic!("no gradient for {name}")),
            );
            assert!(grad.iter().all(|g| g.is_finite()), "{name}");
            checked += 1;
        }
        let ln = vae.encoder.ln.as_ref().unwrap();
        assert!(
            values(ln.gamma.val().grad(&grads).unwrap())
                .iter()
                .all(|g| g.is_finite())
        );
        assert_eq!(checked, 8);
    }
}
