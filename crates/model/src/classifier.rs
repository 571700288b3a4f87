//! The classifiers a training run can train, as one module: LeNet-5 or a configurable MLP.

use burn::module::{Module, ParamId};
use burn::tensor::Tensor;

use crate::lenet::LeNet5;
use crate::mlp::Mlp;

/// LeNet-5 or an [`Mlp`].
// One value per training run, rarely moved: boxing LeNet-5 would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Classifier {
    LeNet5(LeNet5),
    Mlp(Mlp),
}

impl Classifier {
    /// Class logits.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Classifier::LeNet5(net) => net.forward(images),
            Classifier::Mlp(net) => net.forward(images),
        }
    }

    /// Each layer with weights: its name, the id of its weight tensor and that tensor's rank,
    /// input side first.
    pub fn weight_layers(&self) -> Vec<(String, ParamId, usize)> {
        match self {
            Classifier::LeNet5(net) => vec![
                ("conv1".to_string(), net.conv1.weight.id, 4),
                ("conv2".to_string(), net.conv2.weight.id, 4),
                ("fc1".to_string(), net.fc1.weight.id, 2),
                ("fc2".to_string(), net.fc2.weight.id, 2),
                ("fc3".to_string(), net.fc3.weight.id, 2),
            ],
            Classifier::Mlp(net) => net
                .weight_layers()
                .into_iter()
                .map(|(name, id)| (name, id, 2))
                .collect(),
        }
    }
}
