//! AlexNet (Krizhevsky, Sutskever and Hinton, 2012), the lecture's "basis of modern CNN
//! classifier designs", as a Burn module: five convolutions, three max poolings and three dense
//! layers, in the single-tower form (the paper split each layer over two GPUs; the layer sizes
//! are the same) on a 227×227 colour image: 62,378,344 parameters.
//!
//! convlab never trains or runs it (its weights would be 250 MB): the app shows its
//! architecture card beside LeNet-5's. [`AlexNetConfig::init`] builds the module with Burn's
//! lazily initialised weights, so reading its shapes and parameter count allocates none of them.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor, activation};

use crate::architecture::{Architecture, Layer, conv_layer, linear_layer, pool_layer};

/// Configuration of an [`AlexNet`]; `AlexNetConfig::new()` is the ImageNet classifier.
#[derive(Config, Debug)]
pub struct AlexNetConfig {
    /// Number of classes (ImageNet's 1,000).
    #[config(default = 1000)]
    pub num_classes: usize,
    /// Dropout before each hidden dense layer.
    #[config(default = 0.5)]
    pub dropout: f64,
}

/// The AlexNet classifier. Build it with [`AlexNetConfig::init`].
#[derive(Module, Debug)]
pub struct AlexNet {
    /// 3 → 96 channels, 11×11, stride 4: 227×227 → 55×55.
    pub conv1: Conv2d,
    /// 96 → 256, 5×5, padding 2: 27×27 → 27×27.
    pub conv2: Conv2d,
    /// 256 → 384, 3×3, padding 1: 13×13.
    pub conv3: Conv2d,
    /// 384 → 384, 3×3, padding 1: 13×13.
    pub conv4: Conv2d,
    /// 384 → 256, 3×3, padding 1: 13×13.
    pub conv5: Conv2d,
    /// 3×3 max pooling, stride 2 (overlapping), after conv1, conv2 and conv5.
    pub pool: MaxPool2d,
    /// 256·6·6 = 9,216 → 4,096.
    pub fc6: Linear,
    /// 4,096 → 4,096.
    pub fc7: Linear,
    /// 4,096 → classes: the logits.
    pub fc8: Linear,
    pub dropout: Dropout,
}

impl AlexNetConfig {
    /// The input AlexNet expects: `[channels, rows, cols]`.
    pub const INPUT: [usize; 3] = [3, 227, 227];

    /// Builds the classifier on `device`; its weights are initialised when first used.
    pub fn init(&self, device: &Device) -> AlexNet {
        let conv = |channels: [usize; 2], kernel: usize, stride: usize, pad: usize| {
            Conv2dConfig::new(channels, [kernel, kernel])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                .init(device)
        };
        AlexNet {
            conv1: conv([3, 96], 11, 4, 0),
            conv2: conv([96, 256], 5, 1, 2),
            conv3: conv([256, 384], 3, 1, 1),
            conv4: conv([384, 384], 3, 1, 1),
            conv5: conv([384, 256], 3, 1, 1),
            pool: MaxPool2dConfig::new([3, 3]).with_strides([2, 2]).init(),
            fc6: LinearConfig::new(256 * 6 * 6, 4096).init(device),
            fc7: LinearConfig::new(4096, 4096).init(device),
            fc8: LinearConfig::new(4096, self.num_classes).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
        }
    }
}

impl AlexNet {
    /// Class logits.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, 227, 227]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self
            .pool
            .forward(activation::relu(self.conv1.forward(images))); // [batch, 96, 27, 27]
        let x = self.pool.forward(activation::relu(self.conv2.forward(x))); // [batch, 256, 13, 13]
        let x = activation::relu(self.conv3.forward(x)); // [batch, 384, 13, 13]
        let x = activation::relu(self.conv4.forward(x)); // [batch, 384, 13, 13]
        let x = self.pool.forward(activation::relu(self.conv5.forward(x))); // [batch, 256, 6, 6]
        let x: Tensor<2> = x.flatten(1, 3); // [batch, 9216]
        let x = activation::relu(self.fc6.forward(self.dropout.forward(x))); // [batch, 4096]
        let x = activation::relu(self.fc7.forward(self.dropout.forward(x))); // [batch, 4096]
        self.fc8.forward(x) // [batch, num_classes]
    }

    /// The layers in order, read from the modules.
    pub fn architecture(&self) -> Architecture {
        let (relu, pool) = (Layer::Activation, pool_layer(&self.pool));
        Architecture {
            name: "AlexNet",
            input: AlexNetConfig::INPUT,
            layers: vec![
                ("conv1", conv_layer(&self.conv1)),
                ("ReLU", relu),
                ("pool1", pool),
                ("conv2", conv_layer(&self.conv2)),
                ("ReLU", relu),
                ("pool2", pool),
                ("conv3", conv_layer(&self.conv3)),
                ("ReLU", relu),
                ("conv4", conv_layer(&self.conv4)),
                ("ReLU", relu),
                ("conv5", conv_layer(&self.conv5)),
                ("ReLU", relu),
                ("pool5", pool),
                ("flatten", Layer::Flatten),
                ("fc6", linear_layer(&self.fc6)),
                ("ReLU", relu),
                ("fc7", linear_layer(&self.fc7)),
                ("ReLU", relu),
                ("fc8", linear_layer(&self.fc8)),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architecture::{table, totals};

    #[test]
    fn alexnet_card_and_module_agree_on_62_378_344_parameters_without_allocating() {
        let net = AlexNetConfig::new().init(&Device::flex());
        let card = net.architecture();
        let layers: Vec<Layer> = card.layers.iter().map(|(_, l)| *l).collect();
        let rows = table(card.input, &layers).unwrap();
        assert_eq!(totals(&rows).0, 62_378_344);
        assert_eq!(net.num_params(), 62_378_344);
        // Shapes after conv1, pool5 and fc8, as in the paper.
        assert_eq!(rows[0].output, [96, 55, 55]);
        assert_eq!(rows[12].output, [256, 6, 6]);
        assert_eq!(rows.last().unwrap().output, [1000, 1, 1]);
        // Nothing was allocated: the biggest weight is still lazy.
        assert!(!net.fc6.weight.is_initialized());
        assert!(!net.conv1.weight.is_initialized());
    }
}
