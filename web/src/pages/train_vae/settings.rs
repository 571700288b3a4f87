//! The VAE lab's settings as they live in the URL query, their limits, the log-spaced β
//! slider, and the presets for the lecture's points.

use convlab_digits::MnistDataset;
use leptos::prelude::*;

use crate::ml::vae_training::{MAX_BETA, VaeKind, VaeSetup, VaeStepSettings};
use crate::run_params::{DataParam, OptimizerParam, slugged};
use crate::url_state::use_query_state;

/// Most synthetic digits a run draws (the worker's limit).
pub(super) const MAX_IMAGES: usize = 20_000;
/// Most MNIST images a run takes.
pub(super) const MAX_MNIST: usize = 60_000;
pub(super) const MAX_BATCH: usize = 1_024;
pub(super) const MAX_EPOCHS: usize = 100;
/// The β slider's positions: 0 is β = 0, then `BETA_STEPS` steps per decade up to 10.
pub(super) const BETA_POSITIONS: f32 = 40.0;
const BETA_STEPS: f32 = 10.0;

slugged! {
    /// What a run trains.
    KindParam {
        Vae => "vae", "VAE (BCE + β·KL, sampled z)";
        Ae => "ae", "autoencoder (BCE only, no sampling)";
    }
}

/// β at a slider position: 0 at 0, then log-spaced, 1 at position 30 and 10 at 40.
pub(super) fn beta_at(position: f32) -> f32 {
    if position <= 0.0 {
        0.0
    } else {
        10f32.powf((position - (BETA_POSITIONS - BETA_STEPS)) / BETA_STEPS)
    }
}

/// The slider position nearest to `beta`.
pub(super) fn position_of(beta: f32) -> f32 {
    if beta <= 0.0 {
        return 0.0;
    }
    (beta.log10() * BETA_STEPS + BETA_POSITIONS - BETA_STEPS)
        .round()
        .clamp(1.0, BETA_POSITIONS)
}

/// Everything a run is made of: what needs a new run (the setup) and what a step uses.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct VaeLabSettings {
    pub(super) data: DataParam,
    pub(super) train: usize,
    pub(super) validation: usize,
    pub(super) seed: u64,
    pub(super) optimizer: OptimizerParam,
    pub(super) kind: KindParam,
    pub(super) latent: usize,
    pub(super) learning_rate: f32,
    pub(super) batch_size: usize,
    pub(super) beta: f32,
    pub(super) epochs: usize,
}

impl VaeLabSettings {
    pub(super) const DEFAULT: VaeLabSettings = VaeLabSettings {
        data: DataParam::Synthetic,
        train: 2_000,
        validation: 500,
        seed: 1,
        optimizer: OptimizerParam::Adam,
        kind: KindParam::Vae,
        latent: 2,
        learning_rate: 0.002,
        batch_size: 64,
        beta: 1.0,
        epochs: 10,
    };

    /// Whether the settings can start a run; the reason when not.
    pub(super) fn check(&self) -> Result<(), String> {
        let most = match self.data {
            DataParam::Synthetic => MAX_IMAGES,
            DataParam::Mnist => MAX_MNIST,
        };
        let total = self.train.saturating_add(self.validation);
        if self.train == 0 || total > most {
            return Err(format!(
                "a run takes 1–{most} training images, validation included ({total} asked for)"
            ));
        }
        if !(1..=16).contains(&self.latent) {
            return Err(format!("the latent size must be 1–16, not {}", self.latent));
        }
        if !(1..=MAX_BATCH).contains(&self.batch_size) {
            return Err(format!("the batch size must be 1–{MAX_BATCH}"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err("the learning rate must be above 0".to_string());
        }
        if !(self.beta.is_finite() && (0.0..=MAX_BETA).contains(&self.beta)) {
            return Err(format!("β must be 0–{MAX_BETA}"));
        }
        Ok(())
    }

    pub(super) fn setup(&self, mnist: Option<&MnistDataset>) -> Result<VaeSetup, String> {
        self.check()?;
        Ok(VaeSetup {
            seed: self.seed,
            train: self.train as u32,
            validation: self.validation as u32,
            data: self.data.train_data(mnist, self.train + self.validation)?,
            kind: match self.kind {
                KindParam::Vae => VaeKind::Variational,
                KindParam::Ae => VaeKind::Plain,
            },
            latent: self.latent as u32,
            optimizer: self.optimizer.to_protocol(),
        })
    }

    pub(super) fn step(&self) -> VaeStepSettings {
        VaeStepSettings {
            learning_rate: self.learning_rate,
            batch_size: self.batch_size as u32,
            beta: if self.kind == KindParam::Ae {
                0.0
            } else {
                self.beta
            },
        }
    }

    /// A short description, for a run's legend.
    pub(super) fn describe(&self) -> String {
        let model = match self.kind {
            KindParam::Vae => format!("VAE-{} β {}", self.latent, self.beta),
            KindParam::Ae => format!("AE-{}", self.latent),
        };
        let data = match self.data {
            DataParam::Synthetic => "synthetic",
            DataParam::Mnist => "MNIST",
        };
        format!(
            "{model}, {} {data} images, {}, lr {}, batch {}, seed {}",
            self.train, self.optimizer, self.learning_rate, self.batch_size, self.seed
        )
    }
}

/// A named set-up for one of the lecture's points.
pub(super) struct Preset {
    pub(super) name: &'static str,
    pub(super) slide: &'static str,
    pub(super) settings: VaeLabSettings,
}

/// The presets, in the lecture's order.
pub(super) fn presets() -> Vec<Preset> {
    let d = VaeLabSettings::DEFAULT;
    vec![
        Preset {
            name: "The lecture's VAE (β = 1)",
            slide: "Variational AutoEncoders – Loss functions",
            settings: d.clone(),
        },
        Preset {
            name: "Plain autoencoder",
            slide: "AutoEncoder – Latent Space: not a probability space",
            settings: VaeLabSettings {
                kind: KindParam::Ae,
                ..d.clone()
            },
        },
        Preset {
            name: "β = 0 (no KL pull)",
            slide: "an overly-optimized model: the two terms widely separated",
            settings: VaeLabSettings {
                beta: 0.0,
                ..d.clone()
            },
        },
        Preset {
            name: "Posterior collapse (β = 8)",
            slide: "an overly-constrained model: KL → 0, one blurry mean digit",
            settings: VaeLabSettings {
                beta: 8.0,
                ..d.clone()
            },
        },
        Preset {
            name: "Latent 16, β = 4: units switch off",
            slide: "Variational AutoEncoders – Latent space",
            settings: VaeLabSettings {
                latent: 16,
                beta: 4.0,
                ..d
            },
        },
    ]
}

/// The settings in the address bar (defaults where a key is absent or unreadable), and a
/// setter for all of them at once.
pub(super) fn use_vae_lab_settings() -> (Signal<VaeLabSettings>, Callback<VaeLabSettings>) {
    let d = VaeLabSettings::DEFAULT;
    let (data, set_data) = use_query_state("data", d.data);
    let (train, set_train) = use_query_state("n", d.train);
    let (validation, set_validation) = use_query_state("nv", d.validation);
    let (seed, set_seed) = use_query_state("seed", d.seed);
    let (optimizer, set_optimizer) = use_query_state("opt", d.optimizer);
    let (kind, set_kind) = use_query_state("model", d.kind);
    let (latent, set_latent) = use_query_state("latent", d.latent);
    let (learning_rate, set_learning_rate) = use_query_state("lr", d.learning_rate);
    let (batch_size, set_batch_size) = use_query_state("bs", d.batch_size);
    let (beta, set_beta) = use_query_state("beta", d.beta);
    let (epochs, set_epochs) = use_query_state("ep", d.epochs);
    let settings = Signal::derive(move || VaeLabSettings {
        data: data.get(),
        train: train.get(),
        validation: validation.get(),
        seed: seed.get(),
        optimizer: optimizer.get(),
        kind: kind.get(),
        latent: latent.get(),
        learning_rate: learning_rate.get(),
        batch_size: batch_size.get(),
        beta: beta.get(),
        epochs: epochs.get(),
    });
    let set = Callback::new(move |s: VaeLabSettings| {
        set_data.run(s.data);
        set_train.run(s.train);
        set_validation.run(s.validation);
        set_seed.run(s.seed);
        set_optimizer.run(s.optimizer);
        set_kind.run(s.kind);
        set_latent.run(s.latent);
        set_learning_rate.run(s.learning_rate);
        set_batch_size.run(s.batch_size);
        set_beta.run(s.beta);
        set_epochs.run(s.epochs);
    });
    (settings, set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_beta_slider_is_log_spaced_from_zero_to_ten() {
        assert_eq!(beta_at(0.0), 0.0);
        assert!((beta_at(30.0) - 1.0).abs() < 1e-6);
        assert!((beta_at(BETA_POSITIONS) - 10.0).abs() < 1e-4);
        assert!((beta_at(20.0) - 0.1).abs() < 1e-6);
        for p in 0..=40 {
            assert_eq!(position_of(beta_at(p as f32)), p as f32);
        }
    }

    #[test]
    fn the_defaults_and_presets_are_valid() {
        for preset in presets() {
            if preset.settings.data == DataParam::Synthetic {
                preset.settings.setup(None).unwrap();
            }
        }
        assert_eq!(VaeLabSettings::DEFAULT.step().beta, 1.0);
        let ae = VaeLabSettings {
            kind: KindParam::Ae,
            ..VaeLabSettings::DEFAULT
        };
        assert_eq!(ae.step().beta, 0.0);
    }
}
