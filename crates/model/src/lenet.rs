//! LeNet-5 (LeCun et al., 1998), the lecture's classic CNN classifier, in its common modern
//! form: ReLU and 2×2 max pooling instead of the original scaled tanh, trainable sub-sampling
//! and partial C3 connections. The shapes and the 61,706 parameters are the classic ones:
//!
//! | layer | shape after | parameters |
//! |---|---|---|
//! | conv1 6@5×5, pad 2 | 6×28×28 | 6·(25 + 1) = 156 |
//! | max pool 2×2 | 6×14×14 | 0 |
//! | conv2 16@5×5 | 16×10×10 | 16·(6·25 + 1) = 2,416 |
//! | max pool 2×2 | 16×5×5 | 0 |
//! | fc1 400→120 | 120 | 48,120 |
//! | fc2 120→84 | 84 | 10,164 |
//! | fc3 84→10 | 10 | 850 |

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor, activation};

use crate::activation::Activation;

/// Configuration of a [`LeNet5`]; `LeNet5Config::new()` is the 10-digit classifier.
#[derive(Config, Debug)]
pub struct LeNet5Config {
    /// Number of classes (10 digits).
    #[config(default = 10)]
    pub num_classes: usize,
    /// Activation after each hidden layer (ReLU; `Tanh` is closer to the 1998 network).
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
}

/// The LeNet-5 classifier. Build it with [`LeNet5Config::init`].
#[derive(Module, Debug)]
pub struct LeNet5 {
    /// 1 → 6 channels, 5×5, padding 2: 28×28 → 28×28.
    pub conv1: Conv2d,
    /// 6 → 16 channels, 5×5, no padding: 14×14 → 10×10.
    pub conv2: Conv2d,
    /// 2×2 max pooling, stride 2 (used after both convolutions).
    pub pool: MaxPool2d,
    /// 16·5·5 = 400 → 120.
    pub fc1: Linear,
    /// 120 → 84.
    pub fc2: Linear,
    /// 84 → classes: the logits.
    pub fc3: Linear,
    /// The configured activation (parameter-free, so not part of the weights record).
    #[module(skip)]
    pub activation: Activation,
}

impl LeNet5Config {
    /// Builds the classifier with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> LeNet5 {
        LeNet5 {
            conv1: Conv2dConfig::new([1, 6], [5, 5])
                .with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2))
                .init(device),
            conv2: Conv2dConfig::new([6, 16], [5, 5]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            fc1: LinearConfig::new(16 * 5 * 5, 120).init(device),
            fc2: LinearConfig::new(120, 84).init(device),
            fc3: LinearConfig::new(84, self.num_classes).init(device),
            activation: self.activation,
        }
    }
}

impl LeNet5 {
    /// Class logits (train against these with cross-entropy).
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`, values in `[0, 1]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.activation.forward(self.conv1.forward(images)); // [batch, 6, 28, 28]
        let x = self.pool.forward(x); // [batch, 6, 14, 14]
        let x = self.activation.forward(self.conv2.forward(x)); // [batch, 16, 10, 10]
        let x = self.pool.forward(x); // [batch, 16, 5, 5]
        let x: Tensor<2> = x.flatten(1, 3); // [batch, 400]
        let x = self.activation.forward(self.fc1.forward(x)); // [batch, 120]
        let x = self.activation.forward(self.fc2.forward(x)); // [batch, 84]
        self.fc3.forward(x) // [batch, num_classes]
    }

    /// Class probabilities, the softmax of [`forward`](Self::forward): inference.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - output: `[batch, num_classes]`, each row summing to 1
    pub fn predict(&self, images: Tensor<4>) -> Tensor<2> {
        activation::softmax(self.forward(images), 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    #[test]
    fn lenet5_has_61_706_parameters() {
        let net = LeNet5Config::new().init(&Device::flex());
        assert_eq!(156 + 2_416 + 48_120 + 10_164 + 850, 61_706);
        assert_eq!(net.num_params(), 61_706);
        assert_eq!(net.conv1.num_params(), 156);
        assert_eq!(net.conv2.num_params(), 2_416);
        assert_eq!(net.fc1.num_params(), 48_120);
        assert_eq!(net.fc2.num_params(), 10_164);
        assert_eq!(net.fc3.num_params(), 850);
    }

    #[test]
    fn forward_and_predict_shapes() {
        let device = Device::flex();
        let net = LeNet5Config::new().init(&device);
        let images = Tensor::<4>::random([3, 1, 28, 28], Distribution::Default, &device);
        assert_eq!(net.forward(images.clone()).dims(), [3, 10]);
        let probs = net.predict(images);
        assert_eq!(probs.dims(), [3, 10]);
        for row in probs.sum_dim(1).into_data().try_to_vec::<f32>().unwrap() {
            assert!((row - 1.0).abs() < 1e-5);
        }
    }
}
