//! One CNN neuron, as the lecture's "CNN neurons" slide writes it:
//! `Neuron Output = Activation(Conv2D(Weights, Input) + bias)`: a matrix of weights instead of
//! one weight, the same bias and activation as a dense neuron.
//!
//! `Conv2D` is the cross-correlation of deep-learning libraries (PyTorch's and Burn's
//! `conv2d`), so a kernel learned by LeNet-5 works here as it does in the network.

use crate::conv2d::{MultiplyAdd, cross_correlate2d, multiply_adds};
use crate::{Conv2dParams, Grid, KernelError};

/// The function a neuron applies to its weighted sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Activation {
    /// The sum as it is.
    #[default]
    None,
    /// `max(0, x)`.
    Relu,
    /// `1 / (1 + e^−x)`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
}

impl Activation {
    pub const ALL: [Activation; 4] = [
        Activation::None,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
    ];

    /// The activation of `x`.
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::None => x,
            Activation::Relu => x.max(0.0),
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::Tanh => x.tanh(),
        }
    }

    /// The name in menus.
    pub fn label(self) -> &'static str {
        match self {
            Activation::None => "none (identity)",
            Activation::Relu => "ReLU",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
        }
    }

    /// The name in URLs.
    pub fn slug(self) -> &'static str {
        match self {
            Activation::None => "none",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.slug() == slug)
    }
}

/// The neuron's output map: the activation of the cross-correlation plus the bias.
pub fn neuron(
    input: &Grid,
    weights: &Grid,
    bias: f32,
    activation: Activation,
    params: Conv2dParams,
) -> Result<Grid, KernelError> {
    Ok(cross_correlate2d(input, weights, params)?.map(|sum| activation.apply(sum + bias)))
}

/// How one output value of a neuron is made, number by number.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronStep {
    /// The weight × input products, in kernel order.
    pub terms: Vec<MultiplyAdd>,
    /// Their sum: `Conv2D(Weights, Input)` at this cell.
    pub sum: f32,
    pub bias: f32,
    /// `sum + bias`.
    pub pre_activation: f32,
    /// The activation of `pre_activation`: the output value.
    pub output: f32,
}

/// Output cell `(row, col)` of [`neuron`], with every multiply-add.
pub fn neuron_step(
    input: &Grid,
    weights: &Grid,
    bias: f32,
    activation: Activation,
    params: Conv2dParams,
    cell: (usize, usize),
) -> Result<NeuronStep, KernelError> {
    let terms = multiply_adds(input, weights, params, cell)?;
    let sum: f32 = terms.iter().map(|t| t.product).sum();
    let pre_activation = sum + bias;
    Ok(NeuronStep {
        terms,
        sum,
        bias,
        pre_activation,
        output: activation.apply(pre_activation),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{lecture_input, lecture_kernel};

    /// The lecture's "Conv2DTranspose – An Aside": the 4×4 input with `[[3, 5], [2, 2]]`.
    const LECTURE_OUTPUT: [[f32; 3]; 3] = [[27., 39., 51.], [55., 59., 63.], [25., 21., 17.]];

    #[test]
    fn without_bias_or_activation_it_is_the_lectures_convolution() {
        let out = neuron(
            &lecture_input(),
            &lecture_kernel(),
            0.0,
            Activation::None,
            Conv2dParams::new(),
        )
        .unwrap();
        assert_eq!(out.to_rows(), LECTURE_OUTPUT.map(|r| r.to_vec()).to_vec());
    }

    #[test]
    fn the_bias_is_added_before_each_activation() {
        let bias = -40.0;
        for activation in Activation::ALL {
            let out = neuron(
                &lecture_input(),
                &lecture_kernel(),
                bias,
                activation,
                Conv2dParams::new(),
            )
            .unwrap();
            for (r, row) in LECTURE_OUTPUT.iter().enumerate() {
                for (c, &conv) in row.iter().enumerate() {
                    let x: f32 = conv + bias;
                    let expected = match activation {
                        Activation::None => x,
                        Activation::Relu => x.max(0.0),
                        Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
                        Activation::Tanh => x.tanh(),
                    };
                    assert_eq!(out[(r, c)], expected, "{activation:?} at ({r}, {c})");
                }
            }
        }
        // ReLU keeps 55 − 40 and zeroes 27 − 40.
        let relu = neuron(
            &lecture_input(),
            &lecture_kernel(),
            bias,
            Activation::Relu,
            Conv2dParams::new(),
        )
        .unwrap();
        assert_eq!(relu.row(0), &[0.0, 0.0, 11.0]);
        assert_eq!(relu.row(1), &[15.0, 19.0, 23.0]);
    }

    #[test]
    fn a_step_shows_the_products_the_bias_and_the_activation() {
        let step = neuron_step(
            &lecture_input(),
            &lecture_kernel(),
            1.5,
            Activation::Relu,
            Conv2dParams::new(),
            (0, 0),
        )
        .unwrap();
        let products: Vec<f32> = step.terms.iter().map(|t| t.product).collect();
        // 0·3 + 1·5 + 5·2 + 6·2 = 27.
        assert_eq!(products, [0.0, 5.0, 10.0, 12.0]);
        assert_eq!(step.sum, 27.0);
        assert_eq!(step.pre_activation, 28.5);
        assert_eq!(step.output, 28.5);
        assert!(
            neuron_step(
                &lecture_input(),
                &lecture_kernel(),
                0.0,
                Activation::Relu,
                Conv2dParams::new(),
                (3, 0)
            )
            .is_err()
        );
    }

    #[test]
    fn slugs_round_trip() {
        for a in Activation::ALL {
            assert_eq!(Activation::from_slug(a.slug()), Some(a));
        }
        assert_eq!(Activation::from_slug("gelu"), None);
    }
}
