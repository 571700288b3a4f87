//! The lab's settings as they live in the URL query, their limits, and the presets that set
//! up each of the lecture's pitfalls.

use convlab_digits::{AugmentConfig, MnistDataset};

use crate::ml::training::{MlpActivation, StepSettings, TrainModel, TrainSetup};
use crate::run_params::slugged;
pub(super) use crate::run_params::{DataParam, OptimizerParam};

/// Most synthetic digits a run draws, all splits together (the worker's limit).
pub(super) const MAX_IMAGES: usize = 20_000;
/// Most MNIST images a run takes (the training file's).
pub(super) const MAX_MNIST: usize = 60_000;
/// Largest batch.
pub(super) const MAX_BATCH: usize = 1_024;
/// Most epochs a run is asked for.
pub(super) const MAX_EPOCHS: usize = 200;

/// Most hidden layers of the MLP.
pub(super) const MAX_DEPTH: usize = 20;
/// Widest hidden layer of the MLP.
pub(super) const MAX_WIDTH: usize = 512;

slugged! {
    /// The network a run trains.
    ModelParam {
        LeNet5 => "lenet5", "LeNet-5";
        Mlp => "mlp", "MLP (depth, activation, bias, LayerNorm)";
    }
}

slugged! {
    /// The MLP's activation.
    ActivationParam {
        Sigmoid => "sigmoid", "sigmoid";
        Tanh => "tanh", "tanh";
        Relu => "relu", "ReLU";
    }
}

/// Everything a run is made of: what needs a new run (the setup) and what a step uses.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct LabSettings {
    pub(super) data: DataParam,
    pub(super) train: usize,
    pub(super) validation: usize,
    pub(super) test: usize,
    pub(super) seed: u64,
    pub(super) optimizer: OptimizerParam,
    pub(super) model: ModelParam,
    pub(super) depth: usize,
    pub(super) width: usize,
    pub(super) activation: ActivationParam,
    pub(super) bias: bool,
    pub(super) layer_norm: bool,
    pub(super) augment: AugmentConfig,
    pub(super) learning_rate: f32,
    pub(super) batch_size: usize,
    pub(super) l1: f32,
    pub(super) l2: f32,
    pub(super) epochs: usize,
}

impl LabSettings {
    /// The page's defaults: a reasonable fit in a minute or so on a laptop's CPU.
    pub(super) const DEFAULT: LabSettings = LabSettings {
        data: DataParam::Synthetic,
        train: 2_000,
        validation: 500,
        test: 500,
        seed: 1,
        optimizer: OptimizerParam::Adam,
        model: ModelParam::LeNet5,
        depth: 8,
        width: 32,
        activation: ActivationParam::Sigmoid,
        bias: true,
        layer_norm: false,
        augment: AugmentConfig {
            translate: 0.0,
            rotate: 0.0,
            scale: 0.0,
            flip: false,
            flip_vertical: false,
            noise: 0.0,
        },
        learning_rate: 0.002,
        batch_size: 32,
        l1: 0.0,
        l2: 0.0,
        epochs: 10,
    };

    /// Why these settings cannot start a run, if they cannot.
    pub(super) fn check(&self) -> Result<(), String> {
        let total = self
            .train
            .saturating_add(self.validation)
            .saturating_add(self.test);
        if self.train == 0 {
            return Err("a run needs at least one training image".into());
        }
        let most = match self.data {
            DataParam::Synthetic => MAX_IMAGES,
            DataParam::Mnist => MAX_MNIST,
        };
        if total > most {
            return Err(format!(
                "{total} images in all; the lab takes at most {most} {}",
                match self.data {
                    DataParam::Synthetic => "synthetic digits",
                    DataParam::Mnist => "MNIST images",
                }
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err("the learning rate must be above 0".into());
        }
        if self.model == ModelParam::Mlp
            && !((1..=MAX_DEPTH).contains(&self.depth) && (1..=MAX_WIDTH).contains(&self.width))
        {
            return Err(format!(
                "the MLP's depth must be 1–{MAX_DEPTH} and its width 1–{MAX_WIDTH}"
            ));
        }
        if !(1..=MAX_BATCH).contains(&self.batch_size) {
            return Err(format!("the batch size must be 1–{MAX_BATCH}"));
        }
        self.augment
            .check()
            .map_err(|e| format!("augmentation: {e}"))
    }

    /// The run's set-up; MNIST runs take the first images of `mnist` (the training files).
    pub(super) fn setup(&self, mnist: Option<&MnistDataset>) -> Result<TrainSetup, String> {
        let data = self
            .data
            .train_data(mnist, self.train + self.validation + self.test)?;
        Ok(TrainSetup {
            seed: self.seed,
            train: self.train as u32,
            validation: self.validation as u32,
            test: self.test as u32,
            data,
            model: match self.model {
                ModelParam::LeNet5 => TrainModel::LeNet5,
                ModelParam::Mlp => TrainModel::Mlp {
                    depth: self.depth as u32,
                    width: self.width as u32,
                    activation: match self.activation {
                        ActivationParam::Sigmoid => MlpActivation::Sigmoid,
                        ActivationParam::Tanh => MlpActivation::Tanh,
                        ActivationParam::Relu => MlpActivation::Relu,
                    },
                    bias: self.bias,
                    layer_norm: self.layer_norm,
                },
            },
            optimizer: self.optimizer.to_protocol(),
            augment: self.augment,
        })
    }

    pub(super) fn step(&self) -> StepSettings {
        StepSettings {
            learning_rate: self.learning_rate,
            batch_size: self.batch_size as u32,
            l1: self.l1,
            l2: self.l2,
        }
    }

    /// A short description, for a run's legend and the test set's record.
    pub(super) fn describe(&self) -> String {
        let network = match self.model {
            ModelParam::LeNet5 => "LeNet-5".to_string(),
            ModelParam::Mlp => format!(
                "MLP {}×{} {}{}{}",
                self.depth,
                self.width,
                self.activation,
                if self.bias { "" } else { " no bias" },
                if self.layer_norm { " + LayerNorm" } else { "" }
            ),
        };
        let data = match self.data {
            DataParam::Synthetic => "synthetic",
            DataParam::Mnist => "MNIST",
        };
        let mut parts = vec![
            network,
            format!("{} {data} images", self.train),
            self.optimizer.to_string(),
            format!("lr {}", self.learning_rate),
            format!("batch {}", self.batch_size),
        ];
        if self.l1 > 0.0 {
            parts.push(format!("L1 {}", self.l1));
        }
        if self.l2 > 0.0 {
            parts.push(format!("L2 {}", self.l2));
        }
        if !self.augment.is_identity() {
            parts.push(format!("aug: {}", self.augment.describe()));
        }
        parts.push(format!("seed {}", self.seed));
        parts.join(", ")
    }
}

/// A named set-up for one of the lecture's points.
pub(super) struct Preset {
    pub(super) name: &'static str,
    pub(super) slide: &'static str,
    pub(super) settings: LabSettings,
}

/// The presets, in the lecture's order.
pub(super) fn presets() -> Vec<Preset> {
    let d = LabSettings::DEFAULT;
    vec![
        Preset {
            name: "A good fit",
            slide: "Training – Quality of a fit",
            settings: d.clone(),
        },
        Preset {
            name: "Over-training (MNIST, 300 images)",
            slide: "Over-training; Validation/Test dataset (load MNIST's training files first)",
            settings: LabSettings {
                data: DataParam::Mnist,
                train: 300,
                validation: 1_000,
                epochs: 30,
                ..d.clone()
            },
        },
        Preset {
            name: "Over-training (30 synthetic digits)",
            slide: "Over-training; Validation/Test dataset",
            settings: LabSettings {
                train: 30,
                validation: 1_000,
                batch_size: 10,
                epochs: 40,
                ..d.clone()
            },
        },
        Preset {
            name: "6 ≠ 9 (rotate 180°)",
            slide: "Data augmentation; Confusion matrix",
            settings: LabSettings {
                augment: AugmentConfig {
                    rotate: 180.0,
                    ..d.augment
                },
                ..d.clone()
            },
        },
        Preset {
            name: "Learning rate too high",
            slide: "CNN – Model Training",
            settings: LabSettings {
                optimizer: OptimizerParam::Sgd,
                learning_rate: 1000.0,
                ..d.clone()
            },
        },
        Preset {
            name: "L1: sparse weights",
            slide: "Training – Regularization L1",
            settings: LabSettings {
                l1: 0.0005,
                ..d.clone()
            },
        },
        Preset {
            name: "L2: small weights",
            slide: "Training – Regularization L2",
            settings: LabSettings {
                l2: 0.005,
                ..d.clone()
            },
        },
        Preset {
            name: "Vanishing gradients (deep sigmoid MLP)",
            slide: "Training – Vanishing gradients",
            settings: LabSettings {
                model: ModelParam::Mlp,
                depth: 12,
                optimizer: OptimizerParam::Sgd,
                learning_rate: 0.5,
                ..d.clone()
            },
        },
        Preset {
            name: "ReLU + LayerNorm (gradients kept)",
            slide: "Training – (Layer)Normalization; Adding biases",
            settings: LabSettings {
                model: ModelParam::Mlp,
                depth: 12,
                activation: ActivationParam::Relu,
                layer_norm: true,
                optimizer: OptimizerParam::Sgd,
                learning_rate: 0.05,
                ..d
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_and_presets_are_valid_and_optimizers_round_trip() {
        assert_eq!(LabSettings::DEFAULT.check(), Ok(()));
        for preset in presets() {
            assert_eq!(preset.settings.check(), Ok(()), "{}", preset.name);
        }
        for (slug, _) in OptimizerParam::OPTIONS {
            let parsed: OptimizerParam = slug.parse().unwrap();
            assert_eq!(parsed.to_string(), slug);
        }
        let too_many = LabSettings {
            train: MAX_IMAGES,
            ..LabSettings::DEFAULT
        };
        assert!(too_many.check().is_err());
    }
}
