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
use crate::architecture::{Architecture, Layer, conv_layer, linear_layer, pool_layer};

/// The names of the layers [`LeNet5::feature_maps`] returns, in order.
pub const FEATURE_MAP_LAYERS: [&str; 8] = [
    "conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "fc3", "softmax",
];

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

    /// What every layer makes of the images, in the order of [`FEATURE_MAP_LAYERS`]: conv1 and
    /// conv2 after their activation, the two poolings, the dense layers (fc1 and fc2 after their
    /// activation, fc3 the logits) and the class probabilities. Dense outputs are shaped as
    /// maps of one pixel.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - output: `[batch, 6, 28, 28]`, `[batch, 6, 14, 14]`, `[batch, 16, 10, 10]`,
    ///   `[batch, 16, 5, 5]`, `[batch, 120, 1, 1]`, `[batch, 84, 1, 1]`, `[batch, 10, 1, 1]` twice
    pub fn feature_maps(&self, images: Tensor<4>) -> Vec<Tensor<4>> {
        let conv1 = self.activation.forward(self.conv1.forward(images));
        let pool1 = self.pool.forward(conv1.clone());
        let conv2 = self.activation.forward(self.conv2.forward(pool1.clone()));
        let pool2 = self.pool.forward(conv2.clone());
        let flat: Tensor<2> = pool2.clone().flatten(1, 3);
        let fc1 = self.activation.forward(self.fc1.forward(flat));
        let fc2 = self.activation.forward(self.fc2.forward(fc1.clone()));
        let fc3 = self.fc3.forward(fc2.clone());
        let probs = activation::softmax(fc3.clone(), 1);
        let map = |t: Tensor<2>| -> Tensor<4> { t.unsqueeze_dims(&[2, 3]) };
        vec![
            conv1,
            pool1,
            conv2,
            pool2,
            map(fc1),
            map(fc2),
            map(fc3),
            map(probs),
        ]
    }

    /// The layers in order, read from the modules (their weights' shapes, strides, paddings).
    pub fn architecture(&self) -> Architecture {
        let (act, pool) = (Layer::Activation, pool_layer(&self.pool));
        Architecture {
            name: "LeNet-5",
            input: [1, 28, 28],
            layers: vec![
                ("conv1", conv_layer(&self.conv1)),
                (self.activation.name(), act),
                ("pool1", pool),
                ("conv2", conv_layer(&self.conv2)),
                (self.activation.name(), act),
                ("pool2", pool),
                ("flatten", Layer::Flatten),
                ("fc1", linear_layer(&self.fc1)),
                (self.activation.name(), act),
                ("fc2", linear_layer(&self.fc2)),
                (self.activation.name(), act),
                ("fc3", linear_layer(&self.fc3)),
            ],
        }
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
    fn the_architecture_is_read_from_the_module() {
        let net = LeNet5Config::new().init(&Device::flex());
        let card = net.architecture();
        assert_eq!(card.params().unwrap(), net.num_params() as u64);
        assert_eq!(card.params().unwrap(), 61_706);
        let layers: Vec<Layer> = card.layers.iter().map(|(_, l)| *l).collect();
        let rows = crate::architecture::table(card.input, &layers).unwrap();
        let outputs: Vec<[usize; 3]> = rows.iter().map(|r| r.output).collect();
        assert_eq!(outputs[0], [6, 28, 28]);
        assert_eq!(outputs[5], [16, 5, 5]);
        assert_eq!(outputs.last(), Some(&[10, 1, 1]));
        assert_eq!(
            layers[0],
            Layer::Conv2d {
                in_channels: 1,
                filters: 6,
                kernel: [5, 5],
                stride: [1, 1],
                padding: [2, 2],
                bias: true
            }
        );
    }

    #[test]
    fn feature_maps_have_every_layers_shape_and_end_in_predict() {
        let device = Device::flex();
        let net = LeNet5Config::new().init(&device);
        let images = Tensor::<4>::random([2, 1, 28, 28], Distribution::Default, &device);
        let maps = net.feature_maps(images.clone());
        let shapes: Vec<[usize; 4]> = maps.iter().map(|m| m.dims()).collect();
        assert_eq!(
            shapes,
            [
                [2, 6, 28, 28],
                [2, 6, 14, 14],
                [2, 16, 10, 10],
                [2, 16, 5, 5],
                [2, 120, 1, 1],
                [2, 84, 1, 1],
                [2, 10, 1, 1],
                [2, 10, 1, 1]
            ]
        );
        assert_eq!(maps.len(), FEATURE_MAP_LAYERS.len());
        let probs: Vec<f32> = maps[7].clone().into_data().try_to_vec().unwrap();
        let predicted: Vec<f32> = net.predict(images).into_data().try_to_vec().unwrap();
        for (a, b) in probs.iter().zip(&predicted) {
            assert!((a - b).abs() < 1e-6);
        }
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
