//! L1 and L2 regularisation: a penalty on the weights added to the data loss.
//!
//! - L1 (lasso): `λ₁ Σ |w|`, whose gradient `λ₁ sign(w)` pushes every weight towards zero by
//!   the same step, so small weights reach exactly zero: sparse models.
//! - L2 (ridge): `λ₂ Σ w²`, whose gradient `2 λ₂ w` shrinks each weight in proportion to its
//!   size: large weights are discouraged, small ones stay non-zero.
//!
//! Both sum over every weight tensor of the model and leave the biases alone (a bias only
//! shifts a neuron's output; the lecture's "Adding biases"). [`WeightSummary`] reads what the
//! penalty does to the weights: their histogram and how many are (nearly) zero.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;

use crate::readback::read_parameters;

/// The strengths of the two penalties; zero turns one off.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Regularization {
    /// λ₁ of `λ₁ Σ |w|`.
    pub l1: f64,
    /// λ₂ of `λ₂ Σ w²`.
    pub l2: f64,
}

impl Regularization {
    /// Whether either penalty is on.
    pub fn is_on(&self) -> bool {
        self.l1 != 0.0 || self.l2 != 0.0
    }

    /// `λ₁ Σ |w| + λ₂ Σ w²` over the weights of `model` (a `[1]` tensor), or `None` when both
    /// strengths are zero or the model has no weights.
    pub fn penalty<M: Module>(&self, model: &M) -> Option<Tensor<1>> {
        if !self.is_on() {
            return None;
        }
        let mut sums = Sums {
            strengths: *self,
            path: Vec::new(),
            terms: Vec::new(),
        };
        model.visit(&mut sums);
        let terms = sums.terms;
        (!terms.is_empty()).then(|| Tensor::cat(terms, 0).sum())
    }
}

/// Whether the parameter at the end of `path` is a bias (`…/bias`), which no penalty touches.
fn is_bias(path: &[String]) -> bool {
    path.last().is_some_and(|name| name == "bias")
}

struct Sums {
    strengths: Regularization,
    path: Vec<String>,
    terms: Vec<Tensor<1>>,
}

impl ModuleVisitor for Sums {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if is_bias(&self.path) {
            return;
        }
        let w = param.val();
        let Regularization { l1, l2 } = self.strengths;
        if l1 != 0.0 {
            self.terms.push(w.clone().abs().sum().mul_scalar(l1));
        }
        if l2 != 0.0 {
            self.terms.push(w.square().sum().mul_scalar(l2));
        }
    }
}

/// Every weight of a model (biases aside) as plain numbers, for the page's histogram.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightSummary {
    /// The weights, all tensors one after another.
    pub values: Vec<f32>,
}

impl WeightSummary {
    /// The weights of `model` (biases aside), read back asynchronously in one transfer.
    pub async fn read<M: Module>(model: &M) -> Result<Self, String> {
        let (_, values) = read_parameters(model, |path| !is_bias(path), "the weights").await?;
        Ok(Self { values })
    }

    /// The fraction of the weights whose magnitude is at most `threshold` (0: exactly zero).
    pub fn fraction_within(&self, threshold: f32) -> f64 {
        if self.values.is_empty() {
            return 0.0;
        }
        let small = self.values.iter().filter(|w| w.abs() <= threshold).count();
        small as f64 / self.values.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;
    use convlab_model::LeNet5Config;
    use futures::executor::block_on;

    /// LeNet-5's 61,706 parameters less its 6 + 16 + 120 + 84 + 10 biases.
    const LENET_WEIGHTS: usize = 61_706 - 236;

    #[test]
    fn the_penalty_is_the_direct_sum_over_the_weights_not_the_biases() {
        let _serial = crate::test_support::serial();
        let device = Device::flex();
        let net = LeNet5Config::new().init(&device);
        let summary = block_on(WeightSummary::read(&net)).unwrap();
        assert_eq!(summary.values.len(), LENET_WEIGHTS);
        let l1: f64 = summary.values.iter().map(|w| f64::from(w.abs())).sum();
        let l2: f64 = summary.values.iter().map(|w| f64::from(w * w)).sum();

        let strengths = Regularization { l1: 0.01, l2: 0.5 };
        let penalty: f64 = strengths.penalty(&net).unwrap().into_scalar::<f32>().into();
        let direct = 0.01 * l1 + 0.5 * l2;
        assert!(
            (penalty - direct).abs() < 1e-3 * direct,
            "{penalty} vs {direct}"
        );
        assert!(Regularization::default().penalty(&net).is_none());
    }

    #[test]
    fn fractions_count_small_weights() {
        let _serial = crate::test_support::serial();
        let summary = WeightSummary {
            values: vec![0.0, 0.0005, -0.002, 0.5],
        };
        assert_eq!(summary.fraction_within(0.0), 0.25);
        assert_eq!(summary.fraction_within(1e-3), 0.5);
        assert_eq!(WeightSummary::default().fraction_within(0.1), 0.0);
    }
}
