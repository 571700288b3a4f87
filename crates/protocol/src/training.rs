//! The messages of a training run in the worker: the page starts a run, asks for steps in
//! short bursts (so it can pause, change a setting or stop between any two), evaluates,
//! restores the best epoch, and resets. The worker holds at most one run; resetting it (or
//! starting another) frees its tensors.

use convlab_digits::AugmentConfig;
use serde::{Deserialize, Serialize};

use crate::floats;

/// The optimizer of a run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum TrainOptimizer {
    /// Adam (β₁ 0.9, β₂ 0.999).
    Adam,
    /// Stochastic gradient descent; `momentum` 0 is plain SGD.
    Sgd { momentum: f32 },
}

/// The activation of an MLP's hidden layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MlpActivation {
    Sigmoid,
    Tanh,
    Relu,
}

/// The network a run trains, freshly initialised.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum TrainModel {
    /// LeNet-5 (61,706 parameters).
    LeNet5,
    /// A perceptron: 784 → `depth` hidden layers of `width` → 10.
    Mlp {
        depth: u32,
        width: u32,
        activation: MlpActivation,
        /// Whether each layer adds a bias.
        bias: bool,
        /// A LayerNorm after each hidden layer.
        layer_norm: bool,
    },
}

/// Where a run's images come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TrainData {
    /// The synthetic digits, made in the worker: image `i` is digit `i mod 10` drawn with seed
    /// `seed + i`, so the page can draw any of them again.
    Synthetic,
    /// Images the page sends (MNIST's, loaded by the user): `n × 784` values and `n` labels.
    Images {
        #[serde(with = "floats")]
        images: Vec<f32>,
        labels: Vec<u8>,
    },
}

/// How a run is set up; changing any of these needs a new run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSetup {
    /// Seeds the initial weights, the batches' order and the augmentations.
    pub seed: u64,
    /// Images in each split, taken in this order from the data: training, validation, test.
    pub train: u32,
    pub validation: u32,
    pub test: u32,
    pub data: TrainData,
    pub model: TrainModel,
    pub optimizer: TrainOptimizer,
    /// Random changes to the training images (validation and test images stay as they are).
    pub augment: AugmentConfig,
}

/// What the next steps use; each may change between two bursts without a reset.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepSettings {
    pub learning_rate: f32,
    pub batch_size: u32,
    /// λ₁ of the L1 penalty `λ₁ Σ|w|`.
    pub l1: f32,
    /// λ₂ of the L2 penalty `λ₂ Σw²`.
    pub l2: f32,
}

/// One step's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepPoint {
    /// Steps of the run so far, this one included.
    pub step: u32,
    /// The epoch it belongs to (1-based).
    pub epoch: u32,
    /// Mean cross-entropy of the batch (the data term).
    pub loss: f32,
    /// The L1/L2 penalty added to it (0 when off).
    pub penalty: f32,
    /// Fraction of the batch classified right.
    pub accuracy: f32,
}

/// One finished epoch's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochPoint {
    pub epoch: u32,
    /// Steps of the run when it ended.
    pub step: u32,
    pub train_loss: f32,
    pub train_accuracy: f32,
    /// `None` without validation images.
    pub validation_loss: Option<f32>,
    pub validation_accuracy: Option<f32>,
}

/// The weights (biases aside) after a burst: what L1 and L2 do to them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WeightStats {
    pub count: u32,
    /// Weights exactly 0.
    pub zero: u32,
    /// Weights of magnitude ≤ 1e-3.
    pub tiny: u32,
    /// The histogram's range and its counts (equal bins).
    pub lo: f32,
    pub hi: f32,
    pub bins: Vec<u32>,
}

/// What a burst of steps did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainProgress {
    pub steps: Vec<StepPoint>,
    /// Epochs that ended in this burst, with their validation scores.
    pub epochs: Vec<EpochPoint>,
    /// Why the run stopped itself: the loss stopped being a number. The run's weights are then
    /// the last ones that scored a finite loss.
    pub diverged: Option<String>,
    /// Training images per second over the burst's steps.
    pub images_per_second: f32,
    pub weights: WeightStats,
    /// The norm of each weight layer's gradient at the burst's last step, input side first.
    pub gradients: Vec<LayerGradient>,
}

/// One layer's weight gradient norm `‖∂L/∂W‖`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerGradient {
    pub layer: String,
    pub norm: f32,
}

/// The split an evaluation scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Split {
    Validation,
    Test,
}

/// A model's score on a split, with its confusion matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub split: Split,
    pub loss: f32,
    pub accuracy: f32,
    /// 10 × 10 counts, row = true class, column = class given.
    pub confusion: Vec<u32>,
    /// The class given to each image of the split, in order.
    pub predicted: Vec<u8>,
    /// Each image's true class.
    pub labels: Vec<u8>,
}

/// What the worker says about a run it has started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainStarted {
    /// Trainable parameters of the model.
    pub parameters: u64,
    pub train: u32,
    pub validation: u32,
    pub test: u32,
}

/// A run's network as the shipped weights' pair of files: `NAME.json` (the manifest) and
/// `NAME.bpk` (the parameters), which the app's loader and `convlab-train eval` read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportedWeights {
    pub name: String,
    pub json: String,
    pub bpk: Vec<u8>,
}
