//! The decoder of a [`ConvDecoder`] prepared for inference on the CPU: what the browser's CPU
//! backend decodes with (the model worker on `flex`).
//!
//! Burn's `flex` runs the decoder as separate operations, each a pass over a tensor (a dense
//! matrix product and a col2im per transposed convolution, then the bias, then the ReLU), and
//! most of what its transposed convolutions multiply is the ReLU's zeros. Here the same weights,
//! read once from the module and laid out for [`crate::cpu::transposed`]'s loops, run code by code
//! through four layers that keep the feature maps channels last, skip zero inputs, and add the
//! bias and apply the ReLU as each output pixel is stored; the two middle layers take
//! consecutive codes two at a time, sharing their weight loads when the two codes' zeros mostly
//! agree (neighbours on the latent map). The 20×20 manifold in the browser takes ≈ 4× less
//! time than with Burn's `flex` (`cargo xtask bench`). The answer is Burn's within float
//! rounding (tests below, and the worker's browser tests against WebGPU), and a code's image
//! is the same whichever codes it came with.
//!
//! Only the ReLU decoder (every shipped model) is prepared; [`CpuDecoder::new`] says `None` for
//! another activation and the caller keeps Burn's.

use burn::nn::conv::ConvTranspose2d;
use burn::tensor::Tensor;

use crate::activation::Activation;
use crate::cpu::transposed::{Axis, Scratch, Transposed};
use crate::decoder::ConvDecoder;
use crate::encoder::{CONV2_CHANNELS, FEATURE_SIDE, FEATURES};
use convlab_digits::IMAGE_PIXELS;

/// A [`ConvDecoder`]'s weights laid out for the CPU (see the module's documentation).
#[derive(Clone, Debug)]
pub struct CpuDecoder {
    latent_dim: usize,
    /// The Linear layer as a transposed convolution of a 1×1 map with `latent_dim` channels,
    /// its outputs reordered so that the 64×7×7 map comes out channels last.
    fc: Transposed,
    deconv1: Transposed,
    deconv2: Transposed,
    deconv3: Transposed,
}

impl CpuDecoder {
    /// Reads `decoder`'s weights (which must be on a device that reads back synchronously, as
    /// `flex`). `None` when its activation is not the ReLU or its weights cannot be read.
    pub fn new(decoder: &ConvDecoder) -> Option<Self> {
        if decoder.activation != Activation::Relu {
            return None;
        }
        let latent_dim = decoder.latent_dim();
        // Burn's Linear weight is [d_in, d_out]; output j = c · 49 + position becomes
        // position · 64 + c.
        let fc_weight = values(decoder.fc.weight.val())?;
        let fc_bias = match &decoder.fc.bias {
            Some(b) => values(b.val())?,
            None => vec![0.0; FEATURES],
        };
        if fc_weight.len() != latent_dim * FEATURES || fc_bias.len() != FEATURES {
            return None;
        }
        let map = FEATURE_SIDE * FEATURE_SIDE;
        let channels_last = |j: usize| (j % map) * CONV2_CHANNELS + j / map;
        let mut weight = vec![0f32; fc_weight.len()];
        for (from, to) in fc_weight
            .chunks_exact(FEATURES)
            .zip(weight.chunks_exact_mut(FEATURES))
        {
            for (j, &w) in from.iter().enumerate() {
                to[channels_last(j)] = w;
            }
        }
        let mut bias = vec![0f32; FEATURES];
        for (j, &b) in fc_bias.iter().enumerate() {
            bias[channels_last(j)] = b;
        }
        let point = Axis {
            input: 1,
            kernel: 1,
            stride: 1,
            padding: 0,
            output: 1,
        };
        let fc = Transposed::new(&weight, Some(&bias), [latent_dim, FEATURES], point, point)?;
        let (deconv1, side) = layer(&decoder.deconv1, FEATURE_SIDE)?;
        let (deconv2, side) = layer(&decoder.deconv2, side)?;
        let (deconv3, _) = layer(&decoder.deconv3, side)?;
        let chained = fc.output_len() == deconv1.input_len()
            && deconv1.output_len() == deconv2.input_len()
            && deconv2.output_len() == deconv3.input_len()
            && deconv3.output_len() == IMAGE_PIXELS;
        chained.then_some(Self {
            latent_dim,
            fc,
            deconv1,
            deconv2,
            deconv3,
        })
    }

    /// Size of the latent vector this decoder reads.
    pub fn latent_dim(&self) -> usize {
        self.latent_dim
    }

    /// Each latent code (`latent_dim` values) decoded to 784 values in `[0, 1]`, as
    /// [`ConvDecoder::decode`]. `None` when `codes` is not a whole number of codes.
    pub fn decode(&self, codes: &[f32]) -> Option<Vec<f32>> {
        if self.latent_dim == 0 || !codes.len().is_multiple_of(self.latent_dim) {
            return None;
        }
        let mut out = vec![0f32; codes.len() / self.latent_dim * IMAGE_PIXELS];
        let mut scratch = Scratch::default();
        let buffers = |len: usize| [vec![0f32; len], vec![0f32; len]];
        let [mut h1, mut h1_b] = buffers(self.fc.output_len());
        let [mut h2, mut h2_b] = buffers(self.deconv1.output_len());
        let [mut h3, mut h3_b] = buffers(self.deconv2.output_len());
        // Two codes at a time through the transposed convolutions, which read each weight
        // once for both when their zeros are mostly in the same places.
        let mut images = out.chunks_exact_mut(IMAGE_PIXELS);
        let mut pairs = codes.chunks_exact(2 * self.latent_dim);
        for two in pairs.by_ref() {
            let (z, z_b) = two.split_at(self.latent_dim);
            let (image, image_b) = (images.next()?, images.next()?);
            self.fc.forward(z, &mut h1, true, &mut scratch)?;
            self.fc.forward(z_b, &mut h1_b, true, &mut scratch)?;
            let shared = self.deconv1.forward_two(
                [&h1, &h1_b],
                [&mut h2, &mut h2_b],
                true,
                false,
                &mut scratch,
            )?;
            // Where the first layer's inputs differ too much, so do the second's (measured
            // over the manifold and over scattered codes): do not look again.
            self.deconv2.forward_two(
                [&h2, &h2_b],
                [&mut h3, &mut h3_b],
                true,
                !shared,
                &mut scratch,
            )?;
            self.image(&h3, image, &mut scratch)?;
            self.image(&h3_b, image_b, &mut scratch)?;
        }
        let rest = pairs.remainder();
        if let Some(image) = images.next() {
            self.fc.forward(rest, &mut h1, true, &mut scratch)?;
            self.deconv1.forward(&h1, &mut h2, true, &mut scratch)?;
            self.deconv2.forward(&h2, &mut h3, true, &mut scratch)?;
            self.image(&h3, image, &mut scratch)?;
        }
        Some(out)
    }

    /// The last layer and the sigmoid: one code's `deconv2` output to its image.
    fn image(&self, h3: &[f32], image: &mut [f32], scratch: &mut Scratch) -> Option<()> {
        self.deconv3.forward(h3, image, false, scratch)?;
        crate::cpu::simd::sigmoid(image);
        Some(())
    }
}

/// A tensor's `f32` values, when it has them (another type is refused) and reads back
/// synchronously.
fn values<const D: usize>(tensor: Tensor<D>) -> Option<Vec<f32>> {
    tensor.into_data().try_into_vec::<f32>().ok()
}

/// A transposed convolution of the decoder reading a `side`-wide square map, and the side of
/// the square map it writes.
fn layer(layer: &ConvTranspose2d, side: usize) -> Option<(Transposed, usize)> {
    let [c_in, c_out, k_h, k_w] = layer.weight.lazy_shape().dims::<4>();
    if layer.groups != 1 || layer.dilation != [1, 1] {
        return None;
    }
    let axis = |d: usize, kernel: usize| {
        Some(Axis {
            input: side,
            kernel,
            stride: layer.stride[d],
            padding: layer.padding[d],
            output: (side.checked_sub(1)? * layer.stride[d] + kernel + layer.padding_out[d])
                .checked_sub(2 * layer.padding[d])?,
        })
    };
    let weight = values(layer.weight.val())?;
    let bias = match &layer.bias {
        Some(b) => Some(values(b.val())?),
        None => None,
    };
    let (rows, cols) = (axis(0, k_h)?, axis(1, k_w)?);
    if rows.output != cols.output {
        return None;
    }
    let prepared = Transposed::new(&weight, bias.as_deref(), [c_in, c_out], rows, cols)?;
    Some((prepared, rows.output))
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Distribution, Tensor};

    use super::*;
    use crate::ConvDecoderConfig;

    /// Codes spread like a VAE's (several σ of the prior), as `[n, dim]` values.
    fn codes(n: usize, dim: usize, device: &Device) -> Tensor<2> {
        Tensor::random([n, dim], Distribution::Normal(0.0, 2.0), device)
    }

    #[test]
    fn decodes_what_burns_decoder_decodes() {
        let device = Device::flex();
        for (seed, dim) in [(1, 2), (2, 16)] {
            device.seed(seed);
            let decoder = ConvDecoderConfig::new(dim).init(&device);
            let prepared = CpuDecoder::new(&decoder).expect("a ReLU decoder on flex");
            assert_eq!(prepared.latent_dim(), dim);
            let z = codes(5, dim, &device);
            let want = values(decoder.decode(z.clone())).unwrap();
            let ours = prepared.decode(&values(z).unwrap()).unwrap();
            assert_eq!(ours.len(), 5 * IMAGE_PIXELS);
            let worst = ours
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-5, "latent {dim}: off by {worst}");
        }
    }

    #[test]
    fn codes_decoded_together_are_the_codes_decoded_alone() {
        let device = Device::flex();
        device.seed(3);
        let decoder = ConvDecoderConfig::new(2).init(&device);
        let prepared = CpuDecoder::new(&decoder).unwrap();
        // Five codes along a short line (neighbours, as on the latent map: two pairs and one
        // left over) and four scattered ones.
        let near: Vec<f32> = (0..5).flat_map(|i| [0.3 + 0.02 * i as f32, -0.5]).collect();
        let scattered = [2.5, -1.0, -2.0, 1.5, 0.1, 2.9, -3.0, -0.4];
        for codes in [&near[..], &scattered] {
            let together = prepared.decode(codes).unwrap();
            let alone: Vec<f32> = codes
                .chunks(2)
                .flat_map(|z| prepared.decode(z).unwrap())
                .collect();
            assert_eq!(together, alone);
        }
        // The neighbours' first layer does share its weights.
        let mut scratch = Scratch::default();
        let [mut a, mut b] = [0, 1].map(|_| vec![0f32; prepared.fc.output_len()]);
        prepared
            .fc
            .forward(&near[..2], &mut a, true, &mut scratch)
            .unwrap();
        prepared
            .fc
            .forward(&near[2..4], &mut b, true, &mut scratch)
            .unwrap();
        let mut out = [0, 1].map(|_| vec![0f32; prepared.deconv1.output_len()]);
        let [out_a, out_b] = &mut out;
        let shared =
            prepared
                .deconv1
                .forward_two([&a, &b], [out_a, out_b], true, false, &mut scratch);
        assert_eq!(shared, Some(true));
    }

    #[test]
    fn another_activation_or_a_broken_code_list_is_refused() {
        let device = Device::flex();
        let gelu = ConvDecoderConfig::new(2)
            .with_activation(Activation::Gelu)
            .init(&device);
        assert!(CpuDecoder::new(&gelu).is_none());
        let prepared = CpuDecoder::new(&ConvDecoderConfig::new(2).init(&device)).unwrap();
        assert!(prepared.decode(&[0.5; 3]).is_none());
        assert_eq!(prepared.decode(&[]), Some(Vec::new()));
    }
}
