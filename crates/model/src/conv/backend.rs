//! The convolutions without bias of [`super::conv2d`] and [`super::conv_transpose2d`] as a Burn
//! backend extension: `flex` runs them forward, `Autodiff` records them with a backward pass
//! made of [`FasterConv`]'s products.

use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::{ConvOptions, ConvTransposeOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{
    Autodiff, Backend, Dispatch, DispatchDevice, Flex, TensorMetadata, backend_extension,
};
use burn::tensor::Tensor;

use super::faster::FasterConv;

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
            ((input.checked_sub(1)? * options.stride[axis]) + kernel + options.padding_out[axis])
                .checked_sub(2 * options.padding[axis])
        };
        match (side(0, h, k_h), side(1, w, k_w)) {
            (Some(out_h), Some(out_w)) => {
                Self::transposed_conv(&x, &weight, options.stride, options.padding, [out_h, out_w])
            }
            _ => None,
        }
        .unwrap_or_else(|| Self::conv_transpose2d(x, weight, None, options))
    }
}

impl<B: ConvGradBackend + FasterConv, C: CheckpointStrategy> ConvGradBackend for Autodiff<B, C> {
    fn conv2d_gemm_grad(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        record::<B, C, _, _>(Conv2dBackward, x, weight, options, B::conv2d_gemm_grad)
    }

    fn conv_transpose2d_gemm_grad(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        record::<B, C, _, _>(
            ConvTranspose2dBackward,
            x,
            weight,
            options,
            B::conv_transpose2d_gemm_grad,
        )
    }
}

/// `forward(x, weight, options)` on the inner backend, recorded on the autodiff graph with
/// `step` as its backward pass (both inputs checkpointed for it) where a gradient is wanted.
fn record<B, C, Step, O>(
    step: Step,
    x: FloatTensor<Autodiff<B, C>>,
    weight: FloatTensor<Autodiff<B, C>>,
    options: O,
    forward: fn(FloatTensor<B>, FloatTensor<B>, O) -> FloatTensor<B>,
) -> FloatTensor<Autodiff<B, C>>
where
    B: Backend,
    C: CheckpointStrategy,
    O: Clone + Send + std::fmt::Debug + 'static,
    Step: Backward<B, 2, State = (NodeId, NodeId, O)>,
{
    match step
        .prepare::<C>([x.node(), weight.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(mut prep) => {
            let x_state = prep.checkpoint(&x);
            let weight_state = prep.checkpoint(&weight);
            let y = forward(x.into_primitive(), weight.into_primitive(), options.clone());
            prep.finish((x_state, weight_state, options), y)
        }
        OpsKind::UnTracked(prep) => prep.finish(forward(
            x.into_primitive(),
            weight.into_primitive(),
            options,
        )),
    }
}

/// The backward pass of [`ConvGradBackend::conv2d_gemm_grad`].
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
                    B::conv2d_x_backward(x.clone(), weight.clone(), grad.clone(), options.clone())
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

/// The backward pass of [`ConvGradBackend::conv_transpose2d_gemm_grad`].
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
        let [dx, dw] = B::conv_transpose2d_gradients(&x, &weight, &grad, stride, padding, wanted)
            .unwrap_or_else(|| {
                let dx = wanted[0].then(|| {
                    B::conv_transpose2d_x_backward(weight.clone(), grad.clone(), options.clone())
                });
                let dw = wanted[1]
                    .then(|| B::conv_transpose2d_weight_backward(x, weight, grad, options));
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
