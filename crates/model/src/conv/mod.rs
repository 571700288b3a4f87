//! The models' convolutions, faster when they train on the CPU.
//!
//! [`conv2d`] and [`conv_transpose2d`] compute what the `burn::nn` modules' `forward` computes.
//! They differ only on Burn's autodiff `flex` (CPU) device, and only when the crate's `train`
//! feature is on (`FasterConv` for `flex`): there, the weight gradient is one im2col and one
//! matrix product instead of Burn's generic one, a convolution with the batch as channels and a
//! whole feature map as its kernel, which `flex` runs as a matrix product only 9 columns wide; a
//! transposed convolution's input gradient is one more product with the same im2col; and a
//! transposed convolution (the decoder's forward pass, and a convolution's input gradient) adds
//! its products' columns back into the image a whole channel vector at a time, where Burn's adds
//! one float at a time. The plain convolution's forward pass and every other case
//! (WebGPU, inference) are Burn's own; the browser's CPU decoder is [`crate::CpuDecoder`]. `convlab-train bench
//! --mode layers` measures the training difference, `cargo xtask bench` the browser's.
//!
//! The operation is a Burn backend extension: a backend trait ([`ConvGradBackend`]) that `flex`
//! implements with its own forward pass and `Autodiff` with a hand-written backward pass.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::Tensor;
use burn::tensor::module;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};

/// `layer.forward(x)`, with the faster training backward pass on the CPU.
pub fn conv2d(layer: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let (top, left, bottom, right) = match layer.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) => (top, left, bottom, right),
        PaddingConfig2d::Valid => (0, 0, 0, 0),
        PaddingConfig2d::Same => return layer.forward(x),
    };
    if top != bottom || left != right || layer.groups != 1 || layer.dilation != [1, 1] {
        return layer.forward(x);
    }
    let options = ConvOptions::new(layer.stride, [top, left], layer.dilation, layer.groups);
    let weight = layer.weight.val();
    let bias = layer.bias.as_ref().map(|bias| bias.val());
    #[cfg(feature = "train")]
    if backend::applies(&x) {
        return add_bias(backend::conv2d(x, weight, options), bias);
    }
    module::conv2d(x, weight, bias, options)
}

/// `layer.forward(x)`, with the faster training backward pass on the CPU.
pub fn conv_transpose2d(layer: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    let options = ConvTransposeOptions::new(
        layer.stride,
        layer.padding,
        layer.padding_out,
        layer.dilation,
        layer.groups,
    );
    let weight = layer.weight.val();
    let bias = layer.bias.as_ref().map(|bias| bias.val());
    #[cfg(feature = "train")]
    if layer.groups == 1 && layer.dilation == [1, 1] && backend::applies(&x) {
        return add_bias(backend::conv_transpose2d(x, weight, options), bias);
    }
    module::conv_transpose2d(x, weight, bias, options)
}

#[cfg(feature = "train")]
fn add_bias(y: Tensor<4>, bias: Option<Tensor<1>>) -> Tensor<4> {
    match bias {
        Some(bias) => {
            let channels = bias.dims()[0];
            y + bias.reshape([1, channels, 1, 1])
        }
        None => y,
    }
}

#[cfg(feature = "train")]
mod backend;
#[cfg(feature = "train")]
mod faster;

#[cfg(feature = "train")]
pub use backend::ConvGradBackend;
#[cfg(feature = "train")]
pub use faster::FasterConv;

#[cfg(all(test, feature = "train"))]
mod tests {
    use burn::nn::PaddingConfig2d;
    use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
    use burn::tensor::{Device, Distribution, Tensor};

    /// Largest |a − b| over the largest |b|.
    fn relative_error<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        let scale: f32 = b.clone().abs().max().into_scalar();
        let error: f32 = (a - b).abs().max().into_scalar();
        error / scale.max(1e-12)
    }

    /// The fast path's output and gradients (input, weight, bias) against the module's own
    /// `forward`, for a layer applied by `fast` and `reference` to `[2, channels, side, side]`.
    fn assert_same_gradients(
        channels: usize,
        side: usize,
        fast: &dyn Fn(Tensor<4>) -> Tensor<4>,
        reference: &dyn Fn(Tensor<4>) -> Tensor<4>,
        weight: Tensor<4>,
        bias: Tensor<1>,
    ) {
        let device = Device::flex().autodiff();
        assert!(super::backend::applies(&Tensor::<4>::zeros(
            [1, 1, 1, 1],
            &device
        )));
        let x = Tensor::<4>::random([2, channels, side, side], Distribution::Default, &device)
            .require_grad();
        let y_fast = fast(x.clone());
        let y_ref = reference(x.clone());
        assert_eq!(y_fast.dims(), y_ref.dims());
        let upstream = Tensor::<4>::random(y_ref.dims(), Distribution::Default, &device);
        assert!(relative_error(y_fast.clone().detach(), y_ref.clone().detach()) < 1e-5);
        let grads_fast = (y_fast * upstream.clone()).sum().backward();
        let grads_ref = (y_ref * upstream).sum().backward();
        let dx = |grads| x.grad(grads).expect("x has a gradient");
        assert!(
            relative_error(dx(&grads_fast), dx(&grads_ref)) < 1e-5,
            "input gradient"
        );
        let dw = |grads| weight.grad(grads).expect("a weight gradient");
        let error = relative_error(dw(&grads_fast), dw(&grads_ref));
        assert!(error < 1e-5, "weight gradient: relative error {error}");
        let db = |grads| bias.grad(grads).expect("a bias gradient");
        let error = relative_error(db(&grads_fast), db(&grads_ref));
        assert!(error < 1e-5, "bias gradient: relative error {error}");
    }

    #[test]
    fn the_fast_conv2d_gradients_are_burns() {
        let device = Device::flex().autodiff();
        // The encoder's two convolutions and LeNet-5's (5×5, padding 2 and none).
        for (channels, side, kernel, stride, padding) in [
            ([1, 32], 28, 3, 2, 1),
            ([32, 64], 14, 3, 2, 1),
            ([1, 6], 28, 5, 1, 2),
            ([6, 16], 14, 5, 1, 0),
            // Stride 2 over an odd side: the last input row and column reach no output.
            ([3, 4], 15, 3, 2, 1),
        ] {
            let layer = Conv2dConfig::new(channels, [kernel, kernel])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(
                    padding, padding, padding, padding,
                ))
                .init(&device);
            assert_same_gradients(
                channels[0],
                side,
                &|x| super::conv2d(&layer, x),
                &|x| layer.forward(x),
                layer.weight.val(),
                layer.bias.as_ref().expect("a bias").val(),
            );
        }
    }

    #[test]
    fn the_fast_conv_transpose2d_gradients_are_burns() {
        let device = Device::flex().autodiff();
        // The decoder's three transposed convolutions, and one whose output padding is 0.
        for (channels, side, stride, padding_out) in [
            ([64, 64], 7, 2, 1),
            ([64, 32], 14, 2, 1),
            ([32, 1], 28, 1, 0),
            ([4, 3], 5, 2, 0),
        ] {
            let layer = ConvTranspose2dConfig::new(channels, [3, 3])
                .with_stride([stride, stride])
                .with_padding([1, 1])
                .with_padding_out([padding_out, padding_out])
                .init(&device);
            assert_same_gradients(
                channels[0],
                side,
                &|x| super::conv_transpose2d(&layer, x),
                &|x| layer.forward(x),
                layer.weight.val(),
                layer.bias.as_ref().expect("a bias").val(),
            );
        }
    }
}
