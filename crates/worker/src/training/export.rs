//! A run's network as the shipped weights' pair of files (`NAME.json` + `NAME.bpk`): the
//! classifier lab's LeNet-5 and the VAE lab's VAE or autoencoder, so a network trained in a
//! lab loads wherever the shipped one does and `convlab-train eval --weights NAME.json` scores
//! it on the MNIST test set.
//!
//! The parameters are read back asynchronously into a copy on the CPU (saving reads tensors
//! synchronously, which WebGPU forbids), saved there, and loaded back through the app's own
//! loader before they are handed out.

use burn::module::Module;
use burn::tensor::Device;
use convlab_digits::AugmentConfig;
use convlab_learn::copy_to_cpu;
use convlab_model::weights::{
    FORMAT, FORMAT_VERSION, MAX_NAME_LEN, TestScores, is_weights_name, weights_checksum,
};
use convlab_model::{Classifier, LeNet5Config, ModelSpec, WeightsManifest, load_lenet};
use convlab_protocol::{
    Backend, ExportedWeights, StepSettings, TrainData, TrainModel, TrainOptimizer, TrainSetup,
    VaeKind, VaeSetup, VaeStepSettings,
};
use serde::Serialize;

use super::{Run, check_device, put, take};

/// What an exported manifest's `training` field says of the run that made the weights.
#[derive(Clone, Debug, Serialize)]
pub(super) struct LabRecord {
    /// Where it was trained.
    trained_in: &'static str,
    backend: Backend,
    /// "synthetic digits" or "images sent by the page" (the MNIST files the user loaded).
    data: &'static str,
    seed: u64,
    train: u32,
    validation: u32,
    test: u32,
    model: TrainModel,
    optimizer: TrainOptimizer,
    augment: AugmentConfig,
    /// What the latest steps used.
    pub(super) settings: Option<StepSettings>,
    /// Optimizer steps taken.
    steps: u64,
}

impl LabRecord {
    pub(super) fn new(backend: Backend, setup: &TrainSetup) -> Self {
        Self {
            trained_in: "convlab's training lab (/train), in the browser",
            backend,
            data: data_name(&setup.data),
            seed: setup.seed,
            train: setup.train,
            validation: setup.validation,
            test: setup.test,
            model: setup.model,
            optimizer: setup.optimizer,
            augment: setup.augment,
            settings: None,
            steps: 0,
        }
    }
}

/// What an exported manifest's `training` field says of the VAE lab's run.
#[derive(Clone, Debug, Serialize)]
pub(super) struct VaeLabRecord {
    trained_in: &'static str,
    backend: Backend,
    data: &'static str,
    seed: u64,
    train: u32,
    validation: u32,
    kind: VaeKind,
    latent: u32,
    optimizer: TrainOptimizer,
    /// What the latest steps used (β among them).
    pub(super) settings: Option<VaeStepSettings>,
    pub(super) steps: u64,
}

impl VaeLabRecord {
    pub(super) fn new(backend: Backend, setup: &VaeSetup) -> Self {
        Self {
            trained_in: "convlab's VAE lab (/train-vae), in the browser",
            backend,
            data: data_name(&setup.data),
            seed: setup.seed,
            train: setup.train,
            validation: setup.validation,
            kind: setup.kind,
            latent: setup.latent,
            optimizer: setup.optimizer,
            settings: None,
            steps: 0,
        }
    }
}

fn data_name(data: &TrainData) -> &'static str {
    match data {
        TrainData::Synthetic => "synthetic digits",
        TrainData::Images { .. } => "images sent by the page",
    }
}

/// The run's current LeNet-5 as a pair named `name`; `address` (the lab's address with the
/// run's settings) is recorded as the way to train it again.
pub async fn export(name: &str, address: &str) -> Result<ExportedWeights, String> {
    check_name(name)?;
    let run = take()?;
    let result = export_run(&run, name, address).await;
    put(run);
    result
}

pub(super) fn check_name(name: &str) -> Result<(), String> {
    if !is_weights_name(name) {
        return Err(format!(
            "{name:?} is not a weights name: 1–{MAX_NAME_LEN} letters, digits, '-', '_' or '.', \
             not starting with '.'"
        ));
    }
    Ok(())
}

async fn export_run(run: &Run, name: &str, address: &str) -> Result<ExportedWeights, String> {
    check_device(run.backend)?;
    let Classifier::LeNet5(net) = run.session.model().valid() else {
        return Err("only a LeNet-5 run can be saved as weights the app loads".to_string());
    };
    let cpu = copy_to_cpu(&net).await?;
    let mut record = run.record.clone();
    record.steps = run.session.steps();
    let pair = Pair {
        name,
        model: ModelSpec::Lenet(LeNet5Config::new()),
        parameters: cpu.num_params(),
        bpk: record_bytes(cpu)?,
        epochs: run.session.epoch().saturating_sub(1),
        steps: record.steps,
        training: serde_json::to_value(&record).map_err(|err| err.to_string())?,
        address,
        lab: "training lab",
    };
    let weights = pair.write()?;
    // The pair must load as the app loads shipped weights, or it is not handed out.
    load_lenet(&weights.json, &weights.bpk, &Device::flex())
        .map_err(|err| format!("the saved weights do not load back: {err}"))?;
    Ok(weights)
}

/// A module's parameters as the bytes of a `.bpk` file.
pub(super) fn record_bytes<M: Module>(module: M) -> Result<Vec<u8>, String> {
    Ok(module
        .into_record()
        .into_bytes()
        .map_err(|err| format!("cannot save the weights: {err}"))?
        .to_vec())
}

/// What a weights pair is written from.
pub(super) struct Pair<'a> {
    pub name: &'a str,
    pub model: ModelSpec,
    pub parameters: usize,
    pub bpk: Vec<u8>,
    pub epochs: usize,
    pub steps: u64,
    /// The lab's record of the run.
    pub training: serde_json::Value,
    /// The lab's address with the run's settings.
    pub address: &'a str,
    /// Which lab trained it, as the note names it.
    pub lab: &'a str,
}

impl Pair<'_> {
    /// The manifest written beside the parameters.
    pub(super) fn write(self) -> Result<ExportedWeights, String> {
        let name = self.name;
        let manifest = WeightsManifest {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            name: name.to_string(),
            model: self.model,
            parameters: self.parameters,
            weights_file: format!("{name}.bpk"),
            weights_bytes: self.bpk.len() as u64,
            weights_fnv1a: Some(weights_checksum(&self.bpk)),
            epochs: self.epochs,
            training: self.training,
            command: self.address.to_string(),
            note: Some(format!(
                "trained in the browser's {} for {} steps; `command` is the lab's address with \
                 the run's settings; not scored on the MNIST test set here: `convlab-train eval \
                 --weights {name}.json` scores it",
                self.lab, self.steps
            )),
            test: TestScores::default(),
            exported_by: format!("convlab-worker {}", env!("CARGO_PKG_VERSION")),
        };
        let json = serde_json::to_string_pretty(&manifest).map_err(|err| err.to_string())?;
        Ok(ExportedWeights {
            name: name.to_string(),
            json,
            bpk: self.bpk,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_file_names() {
        assert!(check_name("lab-lenet5_2.v1").is_ok());
        for bad in ["", ".hidden", "a/b", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
