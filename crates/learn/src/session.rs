//! A training run in progress: the model, its optimizer and where the run is in its epochs.
//!
//! [`Session::step`] is the whole of one optimizer step — the next mini-batch of the epoch
//! (augmented), the forward pass, the data loss plus the L1/L2 penalty, the backward pass and
//! the optimizer's update — and is what the native trainer and the browser's worker both call.
//! The callers read the step's few numbers back their own way ([`Losses::read`], asynchronous)
//! and tell the session whether they were finite ([`Session::accept`]), so a run that diverges
//! keeps the last weights that scored a finite loss.

use burn::module::ParamId;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use convlab_digits::{AugmentConfig, MnistDataset};

use crate::batches::{augment_seed, epoch_order, training_batch};
use crate::objective::{Losses, Objective};
use crate::penalty::Regularization;

/// What one step uses; each may change from one step to the next without a reset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyper {
    /// The optimizer's step size.
    pub learning_rate: f64,
    /// Images per mini-batch (at least 1).
    pub batch_size: usize,
    /// The KL weight of a VAE (ignored by the other models).
    pub beta: f64,
    /// The weights' L1/L2 penalty.
    pub regularization: Regularization,
}

impl Default for Hyper {
    fn default() -> Self {
        Self {
            learning_rate: 1e-3,
            batch_size: 64,
            beta: 1.0,
            regularization: Regularization::default(),
        }
    }
}

/// What one step did, its numbers still on the device.
#[derive(Clone, Debug)]
pub struct Step {
    /// The batch's losses, before the update.
    pub losses: Losses,
    /// The L1/L2 penalty of the weights the batch was scored with, when the run has one.
    pub penalty: Option<Tensor<1>>,
    /// The norm ‖∂L/∂W‖ of each weight layer's gradient ([`Objective::weight_layers`]'s
    /// order), `[layers]`; `None` for a model that lists no layers.
    pub gradient_norms: Option<Tensor<1>>,
    /// Images in the batch.
    pub images: usize,
    /// The epoch the batch belongs to (1-based).
    pub epoch: usize,
    /// The batch's place in its epoch (1-based).
    pub batch: usize,
    /// Whether it was the epoch's last batch.
    pub ends_epoch: bool,
}

/// A training run: the model on an autodiff device, its optimizer and the run's position.
pub struct Session<M> {
    model: M,
    /// The weights before the latest update: they scored the latest batch.
    scored: M,
    /// The last weights that scored a finite loss.
    good: M,
    optimizer: ModuleOptimizer,
    train: MnistDataset,
    augment: AugmentConfig,
    seed: u64,
    device: Device,
    epoch: usize,
    order: Vec<usize>,
    cursor: usize,
    batch: usize,
    steps: u64,
}

impl<M> std::fmt::Debug for Session<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("epoch", &self.epoch)
            .field("batch", &self.batch)
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

impl<M: Objective + Clone> Session<M> {
    /// A run of `model` (on the autodiff `device`) over `train`, starting at `epoch` (1-based;
    /// later than 1 when a saved run resumes). Batches follow [`epoch_order`] with `seed`, each
    /// augmented within `augment`.
    pub fn new(
        model: M,
        optimizer: ModuleOptimizer,
        train: MnistDataset,
        augment: AugmentConfig,
        seed: u64,
        device: Device,
        epoch: usize,
    ) -> Self {
        let epoch = epoch.max(1);
        Self {
            scored: model.clone(),
            good: model.clone(),
            model,
            optimizer,
            order: epoch_order(train.len(), seed, epoch),
            train,
            augment,
            seed,
            device,
            epoch,
            cursor: 0,
            batch: 0,
            steps: 0,
        }
    }

    /// The epoch the next step belongs to (1-based).
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Steps taken by this session.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Batches of `batch_size` in one epoch.
    pub fn batches_per_epoch(&self, batch_size: usize) -> usize {
        self.train.len().div_ceil(batch_size.max(1))
    }

    /// The current weights.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The last weights that scored a finite loss.
    pub fn good_model(&self) -> &M {
        &self.good
    }

    /// The optimizer and its state (Adam's moments, SGD's momentum).
    pub fn optimizer(&self) -> &ModuleOptimizer {
        &self.optimizer
    }

    /// Replaces the optimizer (a fresh one after a divergence, whose moments may not be numbers).
    pub fn set_optimizer(&mut self, optimizer: ModuleOptimizer) {
        self.optimizer = optimizer;
    }

    /// Replaces the weights (e.g. "restore best"), keeping the optimizer's state.
    pub fn set_model(&mut self, model: M) {
        self.scored = model.clone();
        self.good = model.clone();
        self.model = model;
    }

    /// One optimizer step on the epoch's next mini-batch. The VAE's noise of an epoch comes
    /// from the device's generator, seeded at the epoch's first batch with `seed + epoch`.
    pub fn step(&mut self, hyper: &Hyper) -> Step {
        let len = self.train.len();
        if self.cursor == 0 {
            self.device.seed(self.seed.wrapping_add(self.epoch as u64));
        }
        let end = (self.cursor + hyper.batch_size.max(1)).min(len);
        let chunk = &self.order[self.cursor..end];
        let batch = training_batch(
            &self.train,
            chunk,
            &self.augment,
            augment_seed(self.seed, self.epoch, self.batch),
            &self.device,
        );
        let losses =
            self.model
                .losses_with_targets(batch.inputs, batch.targets, batch.labels, hyper.beta);
        let penalty = hyper.regularization.penalty(&self.model);
        let objective = match &penalty {
            Some(p) => losses.total.clone() + p.clone(),
            None => losses.total.clone(),
        };
        let grads = GradientsParams::from_grads(objective.backward(), &self.model);
        let gradient_norms = gradient_norms(&grads, &self.model.weight_layers());
        self.scored = self.model.clone();
        self.model = self
            .optimizer
            .step(hyper.learning_rate, self.model.clone(), grads);

        let step = Step {
            losses,
            penalty,
            gradient_norms,
            images: chunk.len(),
            epoch: self.epoch,
            batch: self.batch + 1,
            ends_epoch: end >= len,
        };
        self.steps += 1;
        self.cursor = end;
        self.batch += 1;
        if step.ends_epoch {
            self.epoch += 1;
            self.cursor = 0;
            self.batch = 0;
            self.order = epoch_order(len, self.seed, self.epoch);
        }
        step
    }

    /// Says whether the latest step's loss was finite. When it was, the weights it was scored
    /// with become the run's good weights; when it was not, the run goes back to them.
    pub fn accept(&mut self, finite: bool) {
        if finite {
            self.good = self.scored.clone();
        } else {
            self.model = self.good.clone();
            self.scored = self.good.clone();
        }
    }
}

/// `‖g‖` of each listed weight's gradient, as one tensor; a weight without a gradient counts 0.
fn gradient_norms(
    grads: &GradientsParams,
    layers: &[(String, ParamId, usize)],
) -> Option<Tensor<1>> {
    let squares: Vec<Option<Tensor<1>>> = layers
        .iter()
        .map(|(_, id, rank)| match rank {
            2 => grads.get::<2>(*id).map(|g| g.square().sum()),
            4 => grads.get::<4>(*id).map(|g| g.square().sum()),
            _ => None,
        })
        .collect();
    let device = squares.iter().flatten().next()?.device();
    let squares = squares
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Tensor::zeros([1], &device)))
        .collect();
    Some(Tensor::cat(squares, 0).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OptimizerChoice;
    use convlab_digits::synthetic_dataset;
    use convlab_model::{LeNet5, LeNet5Config};
    use futures::executor::block_on;

    fn session(seed: u64, optimizer: OptimizerChoice) -> Session<LeNet5> {
        let device = Device::flex().autodiff();
        device.seed(seed);
        let model = LeNet5Config::new().init(&device);
        let train = synthetic_dataset(96, seed).unwrap();
        Session::new(
            model,
            optimizer.init(),
            train,
            AugmentConfig::default(),
            seed,
            device,
            1,
        )
    }

    fn losses(session: &mut Session<LeNet5>, hyper: &Hyper, steps: usize) -> Vec<f64> {
        (0..steps)
            .map(|_| {
                let step = session.step(hyper);
                let values = block_on(step.losses.read(step.penalty.as_ref())).unwrap();
                session.accept(values.is_finite());
                values.loss
            })
            .collect()
    }

    #[test]
    fn steps_lower_the_loss_and_walk_through_the_epochs() {
        let _serial = crate::test_support::serial();
        let hyper = Hyper {
            batch_size: 32,
            ..Hyper::default()
        };
        let mut run = session(5, OptimizerChoice::Adam);
        assert_eq!(run.batches_per_epoch(32), 3);
        let first = run.step(&hyper);
        assert_eq!((first.epoch, first.batch, first.ends_epoch), (1, 1, false));
        run.step(&hyper);
        let third = run.step(&hyper);
        assert_eq!((third.epoch, third.batch, third.ends_epoch), (1, 3, true));
        assert_eq!(run.epoch(), 2);
        let curve = losses(&mut run, &hyper, 12);
        let (start, end) = (
            curve[..3].iter().sum::<f64>(),
            curve[9..].iter().sum::<f64>(),
        );
        assert!(end < start, "{curve:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_curve() {
        let _serial = crate::test_support::serial();
        let hyper = Hyper {
            batch_size: 16,
            learning_rate: 0.05,
            regularization: Regularization { l1: 1e-4, l2: 1e-3 },
            ..Hyper::default()
        };
        let sgd = OptimizerChoice::Sgd { momentum: 0.9 };
        let a = losses(&mut session(9, sgd), &hyper, 4);
        let b = losses(&mut session(9, sgd), &hyper, 4);
        assert_eq!(a, b);
        let c = losses(&mut session(10, sgd), &hyper, 4);
        assert_ne!(a, c);
    }

    #[test]
    fn a_diverged_step_goes_back_to_the_last_good_weights() {
        let _serial = crate::test_support::serial();
        let mut run = session(3, OptimizerChoice::Sgd { momentum: 0.0 });
        let calm = Hyper {
            batch_size: 32,
            ..Hyper::default()
        };
        losses(&mut run, &calm, 1);
        let good = block_on(WeightSummary::read(run.good_model())).unwrap();
        let wild = Hyper {
            learning_rate: 1e30,
            ..calm
        };
        // Wild steps until one scores a loss that is not a number (a run pauses there).
        let mut diverged = false;
        for _ in 0..5 {
            if !losses(&mut run, &wild, 1)[0].is_finite() {
                diverged = true;
                break;
            }
        }
        assert!(diverged, "a learning rate of 1e30 never diverged");
        // Back to the last weights that scored a finite loss, which go on training.
        let kept = block_on(WeightSummary::read(run.model())).unwrap();
        assert!(kept.values.iter().all(|w| w.is_finite()));
        assert_eq!(kept.values.len(), good.values.len());
        run.set_optimizer(OptimizerChoice::Adam.init());
        let again = losses(&mut run, &calm, 1);
        assert!(again[0].is_finite(), "{again:?}");
    }

    use crate::WeightSummary;
}

#[cfg(test)]
mod gradient_tests {
    use super::*;
    use crate::OptimizerChoice;
    use convlab_digits::synthetic_dataset;
    use convlab_model::{Activation, Classifier, MlpConfig};
    use futures::executor::block_on;

    fn first_step_norms(activation: Activation, layer_norm: bool) -> Vec<f32> {
        let device = Device::flex().autodiff();
        device.seed(11);
        let mlp = MlpConfig::new()
            .with_depth(10)
            .with_activation(activation)
            .with_layer_norm(layer_norm)
            .init(&device);
        let mut run = Session::new(
            Classifier::Mlp(mlp),
            OptimizerChoice::Sgd { momentum: 0.0 }.init(),
            synthetic_dataset(32, 11).unwrap(),
            AugmentConfig::default(),
            11,
            device,
            1,
        );
        let step = run.step(&Hyper {
            batch_size: 32,
            learning_rate: 0.1,
            ..Hyper::default()
        });
        let norms = step.gradient_norms.expect("an MLP lists its layers");
        block_on(norms.into_data_async())
            .unwrap()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap()
    }

    #[test]
    fn a_deep_sigmoid_stack_passes_back_vanishing_gradients_relu_and_layernorm_do_not() {
        let _serial = crate::test_support::serial();
        let sigmoid = first_step_norms(Activation::Sigmoid, false);
        assert_eq!(sigmoid.len(), 11, "ten hidden layers and the output");
        // The first layer's gradient is orders of magnitude below the last layer's.
        let (first, last) = (sigmoid[0], sigmoid[10]);
        assert!(first * 100.0 < last, "sigmoid: {sigmoid:?}");
        let relu = first_step_norms(Activation::Relu, true);
        assert!(relu[0] * 10.0 > relu[10], "relu + LayerNorm: {relu:?}");
    }
}
