//! What each model minimises, and the per-image sums a run reports.
//!
//! [`Objective`] scores one batch of a model as [`Losses`] (tensors, still on the device);
//! [`Losses::read`] brings the few numbers back in one asynchronous transfer, the only way to
//! read a WebGPU tensor in a browser, and [`Totals`] adds batches up to per-image means.

use crate::readback::read_values;
use burn::module::{Module, ParamId};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Int, Tensor};
use convlab_model::{
    Autoencoder, Classifier, LeNet5, Reconstructor, Vae, bce_with_logits, vae_loss,
};

/// What one forward pass costs, each part averaged over the batch (a `[1]` tensor).
#[derive(Clone, Debug)]
pub struct Losses {
    /// The data term the optimiser minimises: cross-entropy (LeNet-5), BCE + β·KL (VAE),
    /// BCE (AE). A run's L1/L2 penalty is added to it by [`crate::Session::step`].
    pub total: Tensor<1>,
    /// Reconstruction BCE summed over the pixels (VAE, AE).
    pub bce: Option<Tensor<1>>,
    /// KL divergence of the posterior from the prior (VAE).
    pub kl: Option<Tensor<1>>,
    /// How many images of the batch were classified right (a classifier), a `[1]` tensor.
    pub correct: Option<Tensor<1, Int>>,
    /// The class each image was given (a classifier), `[batch]`.
    pub predicted: Option<Tensor<1, Int>>,
}

/// A model the loop can train: how it scores a batch.
pub trait Objective: Module {
    /// The losses on one batch whose inputs are `inputs` and whose reconstruction target is
    /// `targets`: for a denoising autoencoder the inputs are noisy and the targets clean.
    /// A classifier has no reconstruction and ignores `targets`.
    ///
    /// # Shapes
    /// - `inputs`, `targets`: `[batch, 1, 28, 28]`; `labels`: `[batch]`
    fn losses_with_targets(
        &self,
        inputs: Tensor<4>,
        targets: Tensor<4>,
        labels: Tensor<1, Int>,
        beta: f64,
    ) -> Losses;

    /// The losses on one batch, each image its own reconstruction target.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`; `labels`: `[batch]`
    fn losses(&self, images: Tensor<4>, labels: Tensor<1, Int>, beta: f64) -> Losses {
        self.losses_with_targets(images.clone(), images, labels, beta)
    }

    /// The layers whose weight gradients a run reports, input side first: each one's name,
    /// the id of its weight tensor and that tensor's rank (2 or 4). None by default.
    fn weight_layers(&self) -> Vec<(String, ParamId, usize)> {
        Vec::new()
    }
}

/// Cross-entropy of class logits, the number right and the classes given.
///
/// # Shapes
/// - `logits`: `[batch, classes]`; `labels`: `[batch]`
pub fn classification_losses(logits: Tensor<2>, labels: Tensor<1, Int>) -> Losses {
    let [batch, _] = logits.dims();
    let predicted: Tensor<1, Int> = logits.clone().argmax(1).reshape([batch]); // [batch]
    let correct = predicted.clone().equal(labels.clone()).int().sum(); // [1]
    let total = CrossEntropyLossConfig::new()
        .init(&logits.device())
        .forward(logits, labels); // [1]
    Losses {
        total,
        bce: None,
        kl: None,
        correct: Some(correct),
        predicted: Some(predicted),
    }
}

impl Objective for LeNet5 {
    fn losses_with_targets(
        &self,
        inputs: Tensor<4>,
        _targets: Tensor<4>,
        labels: Tensor<1, Int>,
        _beta: f64,
    ) -> Losses {
        classification_losses(self.forward(inputs), labels)
    }
}

impl Objective for Classifier {
    fn losses_with_targets(
        &self,
        inputs: Tensor<4>,
        _targets: Tensor<4>,
        labels: Tensor<1, Int>,
        _beta: f64,
    ) -> Losses {
        classification_losses(self.forward(inputs), labels)
    }

    fn weight_layers(&self) -> Vec<(String, ParamId, usize)> {
        Classifier::weight_layers(self)
    }
}

impl Objective for Vae {
    fn losses_with_targets(
        &self,
        inputs: Tensor<4>,
        targets: Tensor<4>,
        _labels: Tensor<1, Int>,
        beta: f64,
    ) -> Losses {
        let output = self.forward(inputs);
        let loss = vae_loss(&output, targets, beta);
        Losses {
            total: loss.total,
            bce: Some(loss.reconstruction),
            kl: Some(loss.kl),
            correct: None,
            predicted: None,
        }
    }
}

impl Objective for Autoencoder {
    fn losses_with_targets(
        &self,
        inputs: Tensor<4>,
        targets: Tensor<4>,
        _labels: Tensor<1, Int>,
        _beta: f64,
    ) -> Losses {
        let output = self.forward(inputs);
        let bce = bce_with_logits(output.logits, targets);
        Losses {
            total: bce.clone(),
            bce: Some(bce),
            kl: None,
            correct: None,
            predicted: None,
        }
    }
}

impl Objective for Reconstructor {
    fn losses_with_targets(
        &self,
        inputs: Tensor<4>,
        targets: Tensor<4>,
        labels: Tensor<1, Int>,
        beta: f64,
    ) -> Losses {
        match self {
            Reconstructor::Vae(vae) => vae.losses_with_targets(inputs, targets, labels, beta),
            Reconstructor::Autoencoder(ae) => ae.losses_with_targets(inputs, targets, labels, beta),
        }
    }
}

/// One batch's losses read back from the device: per-image means, and the count right.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchValues {
    /// Mean data loss (without the penalty).
    pub loss: f64,
    /// Mean BCE.
    pub bce: Option<f64>,
    /// Mean KL.
    pub kl: Option<f64>,
    /// Images classified right.
    pub correct: Option<f64>,
    /// The L1/L2 penalty of the weights the batch was scored with, when the run has one.
    pub penalty: Option<f64>,
}

impl BatchValues {
    /// Whether the loss (and the penalty) is a number: a run stops when it is not.
    pub fn is_finite(&self) -> bool {
        self.loss.is_finite() && self.penalty.is_none_or(f64::is_finite)
    }
}

impl Losses {
    /// Reads the values back with one asynchronous transfer (they are one `[k]` tensor on the
    /// way); `penalty` is the run's L1/L2 term, read with them. Natively, `block_on` it.
    pub async fn read(&self, penalty: Option<&Tensor<1>>) -> Result<BatchValues, String> {
        let mut parts = vec![self.total.clone().inner()];
        parts.extend(self.bce.clone().map(Tensor::inner));
        parts.extend(self.kl.clone().map(Tensor::inner));
        parts.extend(self.correct.clone().map(|c| c.inner().float()));
        parts.extend(penalty.cloned().map(Tensor::inner));
        let values: Vec<f64> = read_values(Tensor::cat(parts, 0), "the losses").await?;
        let mut values = values.into_iter();
        let loss = values.next().unwrap_or(f64::NAN);
        let mut next = |present: bool| present.then(|| values.next().unwrap_or(f64::NAN));
        let bce = next(self.bce.is_some());
        let kl = next(self.kl.is_some());
        let correct = next(self.correct.is_some());
        let penalty = next(penalty.is_some());
        Ok(BatchValues {
            loss,
            bce,
            kl,
            correct,
            penalty,
        })
    }

    /// The classes given, read back asynchronously; empty for a model that does not classify.
    pub async fn read_predicted(&self) -> Result<Vec<u8>, String> {
        let Some(predicted) = self.predicted.clone() else {
            return Ok(Vec::new());
        };
        let values: Vec<i64> = read_values(predicted, "the predictions").await?;
        Ok(values
            .into_iter()
            .map(|c| u8::try_from(c).unwrap_or(u8::MAX))
            .collect())
    }
}

/// Sums over the images seen so far, to report per-image means.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    /// Images seen.
    pub images: usize,
    /// Sum of the per-image data loss.
    pub loss: f64,
    /// Sum of the per-image BCE, when the model has one.
    pub bce: Option<f64>,
    /// Sum of the per-image KL, when the model has one.
    pub kl: Option<f64>,
    /// Images classified right, when the model classifies.
    pub correct: Option<f64>,
}

impl Totals {
    /// Adds a batch of `n` images.
    pub fn add(&mut self, n: usize, values: BatchValues) {
        let add = |sum: Option<f64>, mean: Option<f64>, weight: f64| {
            mean.map(|m| sum.unwrap_or(0.0) + m * weight)
        };
        let weight = n as f64;
        self.images += n;
        self.loss += values.loss * weight;
        self.bce = add(self.bce, values.bce, weight);
        self.kl = add(self.kl, values.kl, weight);
        self.correct = add(self.correct, values.correct, 1.0);
    }

    fn mean(&self, sum: f64) -> f64 {
        sum / self.images.max(1) as f64
    }

    /// Mean data loss per image.
    pub fn mean_loss(&self) -> f64 {
        self.mean(self.loss)
    }

    /// Mean BCE per image.
    pub fn mean_bce(&self) -> Option<f64> {
        self.bce.map(|s| self.mean(s))
    }

    /// Mean KL per image.
    pub fn mean_kl(&self) -> Option<f64> {
        self.kl.map(|s| self.mean(s))
    }

    /// Fraction classified right.
    pub fn accuracy(&self) -> Option<f64> {
        self.correct.map(|s| self.mean(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;
    use futures::executor::block_on;

    #[test]
    fn totals_weight_batches_by_their_size() {
        let _serial = crate::test_support::serial();
        let mut totals = Totals::default();
        let values = |loss, correct| BatchValues {
            loss,
            bce: None,
            kl: None,
            correct: Some(correct),
            penalty: None,
        };
        totals.add(3, values(1.0, 3.0));
        totals.add(1, values(5.0, 0.0));
        assert_eq!(totals.images, 4);
        assert!((totals.mean_loss() - 2.0).abs() < 1e-12);
        assert_eq!(totals.accuracy(), Some(0.75));
        assert_eq!(totals.mean_bce(), None);
    }

    #[test]
    fn lenet_losses_count_the_right_answers_and_name_the_classes() {
        let _serial = crate::test_support::serial();
        let device = Device::flex();
        let net = convlab_model::LeNet5Config::new().init(&device);
        let images = Tensor::<4>::zeros([4, 1, 28, 28], &device);
        let logits = net.forward(images.clone());
        let predicted: Vec<i64> = logits
            .argmax(1)
            .into_data()
            .convert::<i64>()
            .try_into_vec::<i64>()
            .unwrap();
        // All-zero images give the same prediction p for all four; label two of them p.
        let p = predicted[0];
        let labels = Tensor::<1, Int>::from_data([p, p, (p + 1) % 10, (p + 2) % 10], &device);
        let losses = net.losses(images, labels, 1.0);
        let values = block_on(losses.read(None)).unwrap();
        assert_eq!(values.correct, Some(2.0));
        assert!(values.is_finite() && values.loss > 0.0);
        assert_eq!(values.penalty, None);
        assert_eq!(block_on(losses.read_predicted()).unwrap(), vec![p as u8; 4]);
    }
}
