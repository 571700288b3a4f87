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
    if train::applies(&x) {
        return add_bias(train::conv2d(x, weight, options), bias);
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
    if layer.groups == 1 && layer.dilation == [1, 1] && train::applies(&x) {
        return add_bias(train::conv_transpose2d(x, weight, options), bias);
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
pub use train::{ConvGradBackend, FasterConv};

#[cfg(feature = "train")]
mod train {
    use burn::backend::autodiff::NodeId;
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::flex::FlexTensor;
    use burn::backend::ops::{ConvOptions, ConvTransposeOptions, FloatTensorOps, ModuleOps};
    use burn::backend::tensor::FloatTensor;
    use burn::backend::{
        Autodiff, Backend, Dispatch, DispatchDevice, Flex, TensorMetadata, backend_extension,
    };
    use burn::tensor::{Shape, Slice, Tensor, TensorData};
    use rayon::prelude::*;

    /// Whether `x` lives on the autodiff `flex` device, the one this path is for.
    pub(super) fn applies(x: &Tensor<4>) -> bool {
        match x.device().as_dispatch() {
            DispatchDevice::Autodiff(inner) => matches!(**inner, DispatchDevice::Flex(_)),
            _ => false,
        }
    }

    pub(super) fn conv2d(x: Tensor<4>, weight: Tensor<4>, options: ConvOptions<2>) -> Tensor<4> {
        Tensor::from_dispatch(Dispatch::conv2d_gemm_grad(
            x.into_dispatch(),
            weight.into_dispatch(),
            options,
        ))
    }

    pub(super) fn conv_transpose2d(
        x: Tensor<4>,
        weight: Tensor<4>,
        options: ConvTransposeOptions<2>,
    ) -> Tensor<4> {
        Tensor::from_dispatch(Dispatch::conv_transpose2d_gemm_grad(
            x.into_dispatch(),
            weight.into_dispatch(),
            options,
        ))
    }

    /// Convolutions without bias whose gradients come from [`FasterConv`].
    #[backend_extension(Flex, Autodiff)]
    pub trait ConvGradBackend: Backend {
        /// `conv2d(x, weight)`; groups 1, dilation 1, symmetric padding.
        fn conv2d_gemm_grad(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            options: ConvOptions<2>,
        ) -> FloatTensor<Self>;

        /// `conv_transpose2d(x, weight)`; groups 1, dilation 1.
        fn conv_transpose2d_gemm_grad(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            options: ConvTransposeOptions<2>,
        ) -> FloatTensor<Self>;
    }

    impl ConvGradBackend for Flex {
        fn conv2d_gemm_grad(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            options: ConvOptions<2>,
        ) -> FloatTensor<Self> {
            Self::conv2d(x, weight, None, options)
        }

        fn conv_transpose2d_gemm_grad(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            options: ConvTransposeOptions<2>,
        ) -> FloatTensor<Self> {
            let [_, _, h, w] = x.shape().dims();
            let [_, _, k_h, k_w] = weight.shape().dims();
            let side = |axis: usize, input: usize, kernel: usize| {
                ((input.checked_sub(1)? * options.stride[axis])
                    + kernel
                    + options.padding_out[axis])
                    .checked_sub(2 * options.padding[axis])
            };
            match (side(0, h, k_h), side(1, w, k_w)) {
                (Some(out_h), Some(out_w)) => Self::transposed_conv(
                    &x,
                    &weight,
                    options.stride,
                    options.padding,
                    [out_h, out_w],
                ),
                _ => None,
            }
            .unwrap_or_else(|| Self::conv_transpose2d(x, weight, None, options))
        }
    }

    /// Backends with faster convolution gradients (and transposed convolutions) than Burn's.
    pub trait FasterConv: Backend {
        /// The correlation both weight gradients are:
        /// `out[c_b, c_a, kh, kw] = Σ_{n,i,j} b[n, c_b, i, j] · a_pad[n, c_a, s·i + kh, s·j + kw]`,
        /// where `a_pad` is `a` with `padding` zeros before each spatial axis (reads past the end
        /// are zeros too). `a` is `[n, c_a, h_a, w_a]`, `b` is `[n, c_b, h_b, w_b]`, the result
        /// `[c_b, c_a, k_h, k_w]`; `None` where the backend has nothing faster (Burn's runs).
        ///
        /// - Convolution `y = conv2d(x, w)`: `∂L/∂w = weight_gradient(x, ∂L/∂y)`.
        /// - Transposed convolution `y = conv_transpose2d(x, w)`: `∂L/∂w = weight_gradient(∂L/∂y, x)`.
        fn weight_gradient(
            a: &FloatTensor<Self>,
            b: &FloatTensor<Self>,
            kernel: [usize; 2],
            stride: [usize; 2],
            padding: [usize; 2],
        ) -> Option<FloatTensor<Self>>;

        /// `(∂L/∂x, ∂L/∂w)` of `y = conv_transpose2d(x, w)` (groups 1, dilation 1) from
        /// `grad` = `∂L/∂y`, each only where asked for. Both read `grad` through the same
        /// kernel positions, `∂L/∂x[n, c, i, j] = Σ_{o,kh,kw} w[c, o, kh, kw] ·
        /// grad_pad[n, o, s·i + kh, s·j + kw]`, so a backend can gather those once for both.
        /// `None` where the backend has nothing faster (Burn's run).
        fn conv_transpose2d_gradients(
            x: &FloatTensor<Self>,
            weight: &FloatTensor<Self>,
            grad: &FloatTensor<Self>,
            stride: [usize; 2],
            padding: [usize; 2],
            wanted: [bool; 2],
        ) -> Option<[Option<FloatTensor<Self>>; 2]>;

        /// `conv_transpose2d(x, weight)` without bias (groups 1, dilation 1) onto an `out` map
        /// (`out_h × out_w`; the output padding is what `out` leaves past the last kernel tap).
        /// It is also a convolution's input gradient: `∂L/∂x = transposed_conv(∂L/∂y, w, …,
        /// x's map)`. `None` where the backend has nothing faster (Burn's runs).
        fn transposed_conv(
            x: &FloatTensor<Self>,
            weight: &FloatTensor<Self>,
            stride: [usize; 2],
            padding: [usize; 2],
            out: [usize; 2],
        ) -> Option<FloatTensor<Self>>;
    }

    /// `a` seen through every kernel position: a `[c_a·k_h·k_w, n·h_b·w_b]` matrix whose row
    /// `(c, kh, kw)` holds, for each output position `(sample, i, j)` of a `h_b × w_b` map,
    /// `a[sample, c, s·i + kh − p, s·j + kw − p]` (zero outside `a`). This is im2col, written
    /// straight into memory, its rows split between the cores.
    struct Columns {
        matrix: FlexTensor,
        /// `n·h_b·w_b`: the batch and the positions, the products' long inner dimension.
        positions: usize,
    }

    impl Columns {
        fn of(
            a: &FlexTensor,
            map: [usize; 2],
            kernel: [usize; 2],
            stride: [usize; 2],
            padding: [usize; 2],
        ) -> Option<Self> {
            let a = a.to_contiguous();
            let a_data = a.as_slice::<f32>()?;
            let [n, c_a, h_a, w_a] = a.shape().dims();
            let [h_b, w_b] = map;
            let [k_h, k_w] = kernel;
            let (map_a, map_b) = (h_a * w_a, h_b * w_b);
            let positions = n * map_b;
            let rows = c_a * k_h * k_w;
            if positions == 0 || rows == 0 {
                return None; // Nothing to gain on empty shapes; Burn's handles them.
            }
            let mut columns = vec![0f32; rows * positions];
            let fill_row = |row: usize, out: &mut [f32]| {
                let (c, kh, kw) = (row / (k_h * k_w), row / k_w % k_h, row % k_w);
                // The output columns j whose input column s·j + kw − p lies inside `a`.
                let first_j = padding[1].saturating_sub(kw).div_ceil(stride[1]);
                let end_j = match (w_a + padding[1]).checked_sub(kw + 1) {
                    Some(last) => (last / stride[1] + 1).min(w_b),
                    None => 0,
                };
                if first_j >= end_j {
                    return;
                }
                let first_col = stride[1] * first_j + kw - padding[1];
                for (sample, out) in out.chunks_exact_mut(map_b).enumerate() {
                    let map = &a_data[(sample * c_a + c) * map_a..][..map_a];
                    for (i, out) in out.chunks_exact_mut(w_b).enumerate() {
                        let Some(r) = (stride[0] * i + kh).checked_sub(padding[0]) else {
                            continue;
                        };
                        if r >= h_a {
                            break;
                        }
                        let line = map[r * w_a + first_col..(r + 1) * w_a].iter();
                        for (value, x) in
                            out[first_j..end_j].iter_mut().zip(line.step_by(stride[1]))
                        {
                            *value = *x;
                        }
                    }
                }
            };
            // The rows split between the cores (the products after it are threaded too).
            columns
                .par_chunks_mut(positions)
                .enumerate()
                .for_each(|(row, out)| fill_row(row, out));
            let matrix = FlexTensor::from_data(TensorData::new(columns, [rows, positions]));
            Some(Self { matrix, positions })
        }

        /// `Σ_positions b[c_b, position] · columns[row, position]`, as `[c_b, c_a, k_h, k_w]`:
        /// [`FasterConv::weight_gradient`] with `b` copied to `[c_b, n·h_b·w_b]`.
        fn weight_gradient(&self, b: &FlexTensor, kernel: [usize; 2]) -> Option<FlexTensor> {
            let b = b.to_contiguous();
            let b_data = b.as_slice::<f32>()?;
            let [_, c_b, h_b, w_b] = b.shape().dims();
            let map_b = h_b * w_b;
            let [rows, _] = self.matrix.shape().dims();
            if c_b == 0 || map_b == 0 {
                return None;
            }
            // b as [c_b, n·h_b·w_b]: each sample's maps copied whole.
            let mut b_matrix = vec![0f32; c_b * self.positions];
            for (sample, maps) in b_data.chunks_exact(c_b * map_b).enumerate() {
                for (channel, map) in maps.chunks_exact(map_b).enumerate() {
                    b_matrix[channel * self.positions + sample * map_b..][..map_b]
                        .copy_from_slice(map);
                }
            }
            let b_matrix = FlexTensor::from_data(TensorData::new(b_matrix, [c_b, self.positions]));
            // [c_b, positions] × [positions, rows], the second a transposed view (no copy).
            let out =
                Flex::float_matmul(b_matrix, Flex::float_swap_dims(self.matrix.clone(), 0, 1));
            let [k_h, k_w] = kernel;
            Some(Flex::float_reshape(
                out,
                Shape::new([c_b, rows / (k_h * k_w), k_h, k_w]),
            ))
        }

        /// `Σ_rows w[c, row] · columns[row, position]`, as `[n, c, h_b, w_b]`: the input gradient
        /// of a transposed convolution whose weight is `w` (`[c, c_a, k_h, k_w]`, rows matching);
        /// `None` where the product is not `f32` (Burn's gradient runs instead).
        fn transposed_input_gradient(
            &self,
            weight: &FlexTensor,
            map: [usize; 2],
        ) -> Option<FlexTensor> {
            let [channels, _, _, _] = weight.shape().dims();
            let [rows, _] = self.matrix.shape().dims();
            let weight = Flex::float_reshape(weight.to_contiguous(), Shape::new([channels, rows]));
            // [c, rows] × [rows, positions] = [c, n·h_b·w_b], then back to one block per sample.
            let product = Flex::float_matmul(weight, self.matrix.clone()).to_contiguous();
            let map_b = map[0] * map[1];
            let n = self.positions / map_b;
            let values = product.as_slice::<f32>()?;
            let mut out = vec![0f32; values.len()];
            for (channel, row) in values.chunks_exact(self.positions).enumerate() {
                for (sample, map_values) in row.chunks_exact(map_b).enumerate() {
                    out[(sample * channels + channel) * map_b..][..map_b]
                        .copy_from_slice(map_values);
                }
            }
            Some(FlexTensor::from_data(TensorData::new(
                out,
                [n, channels, map[0], map[1]],
            )))
        }
    }

    /// One im2col of `a` and one matrix product with `b`: the batch and the positions are the
    /// product's long inner dimension. Burn's generic gradient is a convolution with the batch as
    /// channels and a whole feature map as its kernel, which `flex` runs as many products only
    /// `k_h·k_w` columns wide. A transposed convolution's input gradient is one more product
    /// with the same columns, instead of Burn's convolution, which gathers them again.
    impl FasterConv for Flex {
        fn weight_gradient(
            a: &FlexTensor,
            b: &FlexTensor,
            kernel: [usize; 2],
            stride: [usize; 2],
            padding: [usize; 2],
        ) -> Option<FlexTensor> {
            let [_, _, h_b, w_b] = b.shape().dims();
            Columns::of(a, [h_b, w_b], kernel, stride, padding)?.weight_gradient(b, kernel)
        }

        fn conv_transpose2d_gradients(
            x: &FlexTensor,
            weight: &FlexTensor,
            grad: &FlexTensor,
            stride: [usize; 2],
            padding: [usize; 2],
            wanted: [bool; 2],
        ) -> Option<[Option<FlexTensor>; 2]> {
            let [_, _, h_x, w_x] = x.shape().dims();
            let [_, _, k_h, k_w] = weight.shape().dims();
            let columns = Columns::of(grad, [h_x, w_x], [k_h, k_w], stride, padding)?;
            let dw = match wanted[1] {
                true => Some(columns.weight_gradient(x, [k_h, k_w])?),
                false => None,
            };
            let dx = match wanted[0] {
                true => Some(columns.transposed_input_gradient(weight, [h_x, w_x])?),
                false => None,
            };
            Some([dx, dw])
        }

        /// For each sample `n` (the samples split between the cores), one product `x_nᵀ · w`
        /// (`[h·w, c_in] × [c_in, k_h·k_w·c_out]`), whose rows hold every kernel tap's channel
        /// vector for one input position, then a col2im that adds those vectors whole into a
        /// channels-last map and copies it to NCHW. Burn's products are the same, but its
        /// col2im adds one float at a time along rows only 7–28 long.
        fn transposed_conv(
            x: &FlexTensor,
            weight: &FlexTensor,
            stride: [usize; 2],
            padding: [usize; 2],
            out: [usize; 2],
        ) -> Option<FlexTensor> {
            let [n, c_in, h, w] = x.shape().dims();
            let [weight_in, c_out, k_h, k_w] = weight.shape().dims();
            let [out_h, out_w] = out;
            if c_in != weight_in || [n, c_in, h, w, c_out, k_h, k_w, out_h, out_w].contains(&0) {
                return None; // Nothing to gain on empty shapes; Burn's handles them.
            }
            let taps = k_h * k_w * c_out;
            // [n, c_in, h·w], read a sample at a time through views (no copy).
            let x = Flex::float_reshape(x.to_contiguous(), Shape::new([n, c_in, h * w]));
            x.as_slice::<f32>()?;
            // [c_in, c_out, k_h, k_w] → [c_in, k_h·k_w·c_out], the output channel fastest.
            let weight = Flex::float_permute(weight.to_contiguous(), &[0, 2, 3, 1]);
            let weight = Flex::float_reshape(weight, Shape::new([c_in, taps])).to_contiguous();
            weight.as_slice::<f32>()?; // The same dtype as x, or the product would panic.
            let map_out = out_h * out_w;
            let sample = |index: usize, out: &mut [f32], last: &mut Vec<f32>| {
                // [h·w, c_in] (a transposed view) × [c_in, taps]: small enough for the cache.
                let x = Flex::float_slice(x.clone(), &[Slice::index(index as isize)]);
                let x = Flex::float_reshape(x, Shape::new([c_in, h * w]));
                let columns = Flex::float_matmul(Flex::float_swap_dims(x, 0, 1), weight.clone());
                let Some(columns) = columns.as_slice::<f32>() else {
                    return; // Unreachable: both factors are f32.
                };
                last.clear();
                last.resize(map_out * c_out, 0.0);
                for (ih, kh) in (0..h).flat_map(|ih| (0..k_h).map(move |kh| (ih, kh))) {
                    let oh = match (stride[0] * ih + kh).checked_sub(padding[0]) {
                        Some(oh) if oh < out_h => oh,
                        _ => continue,
                    };
                    for iw in 0..w {
                        let row = &columns[(ih * w + iw) * taps + kh * k_w * c_out..];
                        for (kw, tap) in row[..k_w * c_out].chunks_exact(c_out).enumerate() {
                            let ow = match (stride[1] * iw + kw).checked_sub(padding[1]) {
                                Some(ow) if ow < out_w => ow,
                                _ => continue,
                            };
                            let sum = &mut last[(oh * out_w + ow) * c_out..][..c_out];
                            for (sum, value) in sum.iter_mut().zip(tap) {
                                *sum += value;
                            }
                        }
                    }
                }
                for (position, channels) in last.chunks_exact(c_out).enumerate() {
                    for (channel, value) in channels.iter().enumerate() {
                        out[channel * map_out + position] = *value;
                    }
                }
            };
            let mut output = vec![0f32; n * c_out * map_out];
            output
                .par_chunks_mut(c_out * map_out)
                .enumerate()
                .for_each_init(Vec::new, |last, (index, out)| sample(index, out, last));
            Some(FlexTensor::from_data(TensorData::new(
                output,
                [n, c_out, out_h, out_w],
            )))
        }
    }

    impl<B: ConvGradBackend + FasterConv, C: CheckpointStrategy> ConvGradBackend for Autodiff<B, C> {
        fn conv2d_gemm_grad(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            options: ConvOptions<2>,
        ) -> FloatTensor<Self> {
            #[derive(Debug)]
            struct Conv2dBackward;

            impl<B: FasterConv> Backward<B, 2> for Conv2dBackward {
                type State = (NodeId, NodeId, ConvOptions<2>);

                fn backward(
                    self,
                    ops: Ops<Self::State, 2>,
                    grads: &mut Gradients,
                    checkpointer: &mut Checkpointer,
                ) {
                    let [node_x, node_weight] = ops.parents;
                    let grad = grads.consume::<B>(&ops.node);
                    let (x_state, weight_state, options) = ops.state;
                    let x: FloatTensor<B> = checkpointer.retrieve_node_output(x_state);
                    let weight: FloatTensor<B> = checkpointer.retrieve_node_output(weight_state);
                    let [_, _, k_h, k_w] = weight.shape().dims();
                    let (stride, padding) = (options.stride, options.padding_begin());
                    if let Some(node) = node_x {
                        let [_, _, h_x, w_x] = x.shape().dims();
                        let dx = B::transposed_conv(&grad, &weight, stride, padding, [h_x, w_x])
                            .unwrap_or_else(|| {
                                B::conv2d_x_backward(
                                    x.clone(),
                                    weight.clone(),
                                    grad.clone(),
                                    options.clone(),
                                )
                            });
                        grads.register::<B>(node.id, dx);
                    }
                    if let Some(node) = node_weight {
                        let dw = B::weight_gradient(&x, &grad, [k_h, k_w], stride, padding)
                            .unwrap_or_else(|| B::conv2d_weight_backward(x, weight, grad, options));
                        grads.register::<B>(node.id, dw);
                    }
                }
            }

            match Conv2dBackward
                .prepare::<C>([x.node(), weight.node()])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(mut prep) => {
                    let x_state = prep.checkpoint(&x);
                    let weight_state = prep.checkpoint(&weight);
                    let y = B::conv2d_gemm_grad(
                        x.into_primitive(),
                        weight.into_primitive(),
                        options.clone(),
                    );
                    prep.finish((x_state, weight_state, options), y)
                }
                OpsKind::UnTracked(prep) => prep.finish(B::conv2d_gemm_grad(
                    x.into_primitive(),
                    weight.into_primitive(),
                    options,
                )),
            }
        }

        fn conv_transpose2d_gemm_grad(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            options: ConvTransposeOptions<2>,
        ) -> FloatTensor<Self> {
            #[derive(Debug)]
            struct ConvTranspose2dBackward;

            impl<B: FasterConv> Backward<B, 2> for ConvTranspose2dBackward {
                type State = (NodeId, NodeId, ConvTransposeOptions<2>);

                fn backward(
                    self,
                    ops: Ops<Self::State, 2>,
                    grads: &mut Gradients,
                    checkpointer: &mut Checkpointer,
                ) {
                    let [node_x, node_weight] = ops.parents;
                    let grad = grads.consume::<B>(&ops.node);
                    let (x_state, weight_state, options) = ops.state;
                    let x: FloatTensor<B> = checkpointer.retrieve_node_output(x_state);
                    let weight: FloatTensor<B> = checkpointer.retrieve_node_output(weight_state);
                    let wanted = [node_x.is_some(), node_weight.is_some()];
                    let (stride, padding) = (options.stride, options.padding);
                    let [dx, dw] =
                        B::conv_transpose2d_gradients(&x, &weight, &grad, stride, padding, wanted)
                            .unwrap_or_else(|| {
                                let dx = wanted[0].then(|| {
                                    B::conv_transpose2d_x_backward(
                                        weight.clone(),
                                        grad.clone(),
                                        options.clone(),
                                    )
                                });
                                let dw = wanted[1].then(|| {
                                    B::conv_transpose2d_weight_backward(x, weight, grad, options)
                                });
                                [dx, dw]
                            });
                    if let (Some(node), Some(dx)) = (node_x, dx) {
                        grads.register::<B>(node.id, dx);
                    }
                    if let (Some(node), Some(dw)) = (node_weight, dw) {
                        grads.register::<B>(node.id, dw);
                    }
                }
            }

            match ConvTranspose2dBackward
                .prepare::<C>([x.node(), weight.node()])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(mut prep) => {
                    let x_state = prep.checkpoint(&x);
                    let weight_state = prep.checkpoint(&weight);
                    let y = B::conv_transpose2d_gemm_grad(
                        x.into_primitive(),
                        weight.into_primitive(),
                        options.clone(),
                    );
                    prep.finish((x_state, weight_state, options), y)
                }
                OpsKind::UnTracked(prep) => prep.finish(B::conv_transpose2d_gemm_grad(
                    x.into_primitive(),
                    weight.into_primitive(),
                    options,
                )),
            }
        }
    }
}

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
        assert!(super::train::applies(&Tensor::<4>::zeros(
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
