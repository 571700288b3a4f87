//! The element-wise activation the models put after each hidden layer, chosen in their configs.
//!
//! A small closed set rather than `burn::nn::ActivationConfig`: that one also offers layers with
//! parameters (PReLU) or that change the shape (SwiGLU), which would change the parameter counts
//! the lecture quotes or break the convolution shapes. Every choice here is parameter-free.

use burn::config::Config;
use burn::tensor::{Tensor, activation};

/// An element-wise, parameter-free activation function.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `max(0, x)`: the reference models' choice.
    Relu,
    /// `max(0.01·x, x)`: keeps a small gradient for negative inputs.
    LeakyRelu,
    /// Gaussian error linear unit, `x·Φ(x)`.
    Gelu,
    /// Sigmoid linear unit (swish), `x·σ(x)`.
    Silu,
    /// Hyperbolic tangent, LeNet-5's original squashing function.
    Tanh,
    /// Logistic sigmoid, `1 / (1 + e^{−x})`.
    Sigmoid,
}

impl Activation {
    /// Every variant, in the order a settings menu would list them.
    pub const ALL: [Activation; 6] = [
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Gelu,
        Activation::Silu,
        Activation::Tanh,
        Activation::Sigmoid,
    ];

    /// Slope of [`Activation::LeakyRelu`] for negative inputs (PyTorch's default).
    pub const LEAKY_RELU_SLOPE: f64 = 0.01;

    /// Applies the function to every element.
    ///
    /// # Shapes
    /// Any: the output has the input's shape.
    pub fn forward<const D: usize>(self, input: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => activation::relu(input),
            Activation::LeakyRelu => activation::leaky_relu(input, Self::LEAKY_RELU_SLOPE),
            Activation::Gelu => activation::gelu(input),
            Activation::Silu => activation::silu(input),
            Activation::Tanh => activation::tanh(input),
            Activation::Sigmoid => activation::sigmoid(input),
        }
    }

    /// A short lower-case name for labels and file names (`"relu"`, `"leaky_relu"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky_relu",
            Activation::Gelu => "gelu",
            Activation::Silu => "silu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn apply(activation: Activation, values: [f32; 3]) -> Vec<f32> {
        let input = Tensor::<1>::from_data(TensorData::from(values), &Device::flex());
        activation
            .forward(input)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    }

    #[test]
    fn relu_and_leaky_relu_on_known_values() {
        assert_eq!(
            apply(Activation::Relu, [-2.0, 0.0, 3.0]),
            vec![0.0, 0.0, 3.0]
        );
        let leaky = apply(Activation::LeakyRelu, [-2.0, 0.0, 3.0]);
        assert!((leaky[0] + 0.02).abs() < 1e-6 && leaky[1] == 0.0 && leaky[2] == 3.0);
    }

    #[test]
    fn every_activation_keeps_the_shape_and_is_finite() {
        for activation in Activation::ALL {
            let out = apply(activation, [-5.0, 0.5, 5.0]);
            assert_eq!(out.len(), 3, "{}", activation.name());
            assert!(out.iter().all(|v| v.is_finite()), "{}", activation.name());
        }
    }
}
