//! The optimizers a run can use.

use burn::optim::{AdamConfig, ModuleOptimizer, SgdConfig, momentum::MomentumConfig};

/// Adam, or stochastic gradient descent with (optional) momentum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerChoice {
    /// Adam (β₁ 0.9, β₂ 0.999, ε 1e-8).
    Adam,
    /// SGD; `momentum` 0 is plain SGD.
    Sgd { momentum: f64 },
}

impl OptimizerChoice {
    /// A fresh optimizer (no state yet).
    pub fn init(self) -> ModuleOptimizer {
        match self {
            OptimizerChoice::Adam => AdamConfig::new().with_epsilon(1e-8).init(),
            OptimizerChoice::Sgd { momentum } if momentum > 0.0 => SgdConfig::new()
                .with_momentum(Some(
                    MomentumConfig::new()
                        .with_momentum(momentum)
                        .with_dampening(0.0),
                ))
                .init(),
            OptimizerChoice::Sgd { .. } => SgdConfig::new().init(),
        }
    }
}
