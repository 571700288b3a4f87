//! A run as the page sees it: its state in signals, and the loop that drives the worker in
//! short bursts of steps (about a quarter of a second each) while the run is on, so pausing,
//! stepping once or changing a setting takes effect between two bursts and the page never
//! waits on a step.

use std::sync::Arc;

use convlab_digits::MnistDataset;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::settings::LabSettings;
use crate::download;
use crate::ml::training::{
    self, EpochPoint, Evaluation, LayerGradient, Split, StepPoint, TrainStarted, WeightStats,
};
use crate::ml::{Backend, MlContext};

/// How long one burst of steps may take in the worker.
const BURST_MS: u32 = 250;
/// Step points kept for the curves; past it every other one is dropped.
const MAX_STEP_POINTS: usize = 4_000;
/// Earlier runs kept for the overlay.
const MAX_EARLIER_RUNS: usize = 6;
/// The downloaded pair: `lab-lenet5.json` and `lab-lenet5.bpk`.
const DOWNLOAD_NAME: &str = "lab-lenet5";

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    /// No run yet (or reset).
    Idle,
    /// Asking the worker to start one.
    Starting,
    Running,
    Paused,
    /// The epochs asked for are done.
    Finished,
}

/// An earlier run's epochs, kept for the overlay.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct EarlierRun {
    pub(super) label: String,
    pub(super) epochs: Vec<EpochPoint>,
}

/// Everything the page shows of a run.
#[derive(Clone, Copy)]
pub(super) struct Lab {
    pub(super) status: RwSignal<Status>,
    /// The run's settings when it started (its seed and splits say which images it has).
    pub(super) run_settings: RwSignal<Option<LabSettings>>,
    /// The MNIST images of the run, when it trains on them (the confusion matrix shows them).
    pub(super) run_images: RwSignal<Option<Arc<MnistDataset>>>,
    pub(super) started: RwSignal<Option<TrainStarted>>,
    pub(super) steps: RwSignal<Vec<StepPoint>>,
    pub(super) epochs: RwSignal<Vec<EpochPoint>>,
    pub(super) weights: RwSignal<Option<WeightStats>>,
    /// Each weight layer's gradient norm at the latest step.
    pub(super) gradients: RwSignal<Vec<LayerGradient>>,
    pub(super) images_per_second: RwSignal<f32>,
    /// What went wrong, or why the run paused itself.
    pub(super) message: RwSignal<Option<String>>,
    /// What "Download weights" saved.
    pub(super) saved: RwSignal<Option<String>>,
    pub(super) evaluation: RwSignal<Option<Evaluation>>,
    /// The settings the test set was scored with, once it has been.
    pub(super) test_used: RwSignal<Option<String>>,
    pub(super) earlier: RwSignal<Vec<EarlierRun>>,
    /// The settings the page shows now, read before each burst.
    settings: Signal<LabSettings>,
    ctx: MlContext,
}

impl Lab {
    pub(super) fn new(settings: Signal<LabSettings>, ctx: MlContext) -> Self {
        Self {
            settings,
            ctx,
            status: RwSignal::new(Status::Idle),
            run_settings: RwSignal::new(None),
            run_images: RwSignal::new(None),
            started: RwSignal::new(None),
            steps: RwSignal::new(Vec::new()),
            epochs: RwSignal::new(Vec::new()),
            weights: RwSignal::new(None),
            gradients: RwSignal::new(Vec::new()),
            images_per_second: RwSignal::new(0.0),
            message: RwSignal::new(None),
            saved: RwSignal::new(None),
            evaluation: RwSignal::new(None),
            test_used: RwSignal::new(None),
            earlier: RwSignal::new(Vec::new()),
        }
    }

    /// The epoch with the lowest validation loss.
    pub(super) fn best_epoch(&self) -> Option<EpochPoint> {
        self.epochs.with(|epochs| {
            epochs
                .iter()
                .filter(|e| e.validation_loss.is_some_and(f32::is_finite))
                .min_by(|a, b| {
                    a.validation_loss
                        .partial_cmp(&b.validation_loss)
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .copied()
        })
    }

    /// Starts a new run with `settings` (the current one's curves go to the overlay), then
    /// runs it.
    pub(super) fn start(
        self,
        backend: Backend,
        settings: LabSettings,
        mnist: Option<Arc<MnistDataset>>,
    ) {
        let setup = match settings
            .check()
            .and_then(|()| settings.setup(mnist.as_deref()))
        {
            Ok(setup) => setup,
            Err(e) => {
                self.message.set(Some(e));
                return;
            }
        };
        let uses_mnist = matches!(setup.data, crate::ml::training::TrainData::Images { .. });
        self.run_images.set(mnist.filter(|_| uses_mnist));
        self.keep_for_overlay();
        self.status.set(Status::Starting);
        self.message.set(None);
        self.evaluation.set(None);
        self.test_used.set(None);
        self.steps.set(Vec::new());
        self.epochs.set(Vec::new());
        self.weights.set(None);
        self.gradients.set(Vec::new());
        self.run_settings.set(Some(settings.clone()));
        spawn_local(async move {
            match training::start(backend, setup).await {
                Ok(started) => {
                    let _ = self.started.try_set(Some(started));
                    let _ = self.status.try_set(Status::Running);
                }
                Err(e) => {
                    let _ = self.message.try_set(Some(e));
                    let _ = self.status.try_set(Status::Idle);
                    return;
                }
            }
            self.drive(settings, false).await;
        });
    }

    fn keep_for_overlay(&self) {
        let (Some(settings), epochs) = (
            self.run_settings.get_untracked(),
            self.epochs.get_untracked(),
        ) else {
            return;
        };
        if epochs.is_empty() {
            return;
        }
        self.earlier.update(|runs| {
            runs.push(EarlierRun {
                label: settings.describe(),
                epochs,
            });
            if runs.len() > MAX_EARLIER_RUNS {
                runs.remove(0);
            }
        });
    }

    /// Goes on with a paused run (`once`: a single step).
    pub(super) fn resume(self, settings: LabSettings, once: bool) {
        if !matches!(
            self.status.get_untracked(),
            Status::Paused | Status::Finished
        ) {
            return;
        }
        self.message.set(None);
        self.status.set(Status::Running);
        spawn_local(async move { self.drive(settings, once).await });
    }

    /// Pauses after the burst in progress.
    pub(super) fn pause(&self) {
        if self.status.get_untracked() == Status::Running {
            self.status.set(Status::Paused);
        }
    }

    /// Bursts of steps until paused, done, diverged or the page is gone. The step settings
    /// are read before each burst, so a change applies from the next one.
    async fn drive(self, settings: LabSettings, once: bool) {
        let mut settings = settings;
        loop {
            let Some(latest) = self.settings.try_get_untracked() else {
                return;
            };
            // The setup is the run's; only what a step uses may change.
            settings = LabSettings {
                learning_rate: latest.learning_rate,
                batch_size: latest.batch_size,
                l1: latest.l1,
                l2: latest.l2,
                epochs: latest.epochs,
                ..settings
            };
            let max_steps = if once { 1 } else { 10_000 };
            // One step goes past the epochs asked for, if need be.
            let epochs = if once {
                0
            } else {
                settings.epochs.min(u32::MAX as usize) as u32
            };
            let progress = match training::steps(max_steps, BURST_MS, epochs, settings.step()).await
            {
                Ok(progress) => progress,
                Err(e) => {
                    let _ = self.message.try_set(Some(e));
                    let _ = self.status.try_set(Status::Paused);
                    return;
                }
            };
            let Some(()) = self.record(progress.clone()) else {
                return;
            };
            let done = self
                .epochs
                .try_with_untracked(|e| e.last().map_or(0, |e| e.epoch as usize))
                .unwrap_or(0)
                >= settings.epochs;
            if let Some(why) = progress.diverged {
                let _ = self.message.try_set(Some(why));
                let _ = self.status.try_set(Status::Paused);
                return;
            }
            if done {
                let _ = self.status.try_set(Status::Finished);
                return;
            }
            if once {
                let _ = self.status.try_set(Status::Paused);
                return;
            }
            if self.status.try_get_untracked() != Some(Status::Running) {
                return;
            }
        }
    }

    /// Adds a burst's numbers; `None` once the page is gone.
    fn record(&self, progress: training::TrainProgress) -> Option<()> {
        self.steps.try_update(|steps| {
            steps.extend(progress.steps);
            if steps.len() > MAX_STEP_POINTS {
                let mut i = 0;
                steps.retain(|_| {
                    i += 1;
                    i % 2 == 0
                });
            }
        })?;
        self.epochs.try_update(|e| e.extend(progress.epochs))?;
        self.weights.try_set(Some(progress.weights));
        if !progress.gradients.is_empty() {
            self.gradients.try_set(progress.gradients);
        }
        self.images_per_second.try_set(progress.images_per_second);
        Some(())
    }

    /// Scores the current weights on `split`; the test set's use is recorded.
    pub(super) fn evaluate(self, split: Split, settings: LabSettings) {
        spawn_local(async move {
            match training::evaluate(split).await {
                Ok(evaluation) => {
                    if split == Split::Test {
                        let _ = self.test_used.try_set(Some(settings.describe()));
                    }
                    let _ = self.evaluation.try_set(Some(evaluation));
                }
                Err(e) => {
                    let _ = self.message.try_set(Some(e));
                }
            }
        });
    }

    /// Back to the best epoch's weights (early stopping).
    pub(super) fn restore_best(self) {
        spawn_local(async move {
            let note = match training::restore_best().await {
                Ok(()) => self.best_epoch().map(|e| {
                    format!(
                        "restored the weights of epoch {} (lowest validation loss)",
                        e.epoch
                    )
                }),
                Err(e) => Some(e),
            };
            let _ = self.message.try_set(note);
        });
    }

    /// Makes the run's current LeNet-5 the pages' classifier (`on`), or the shipped one again.
    pub(super) fn use_classifier(self, on: bool) {
        let label = self
            .run_settings
            .get_untracked()
            .map(|s| s.describe())
            .unwrap_or_default();
        let step = self
            .steps
            .with_untracked(|s| s.last().map_or(0, |p| p.step));
        spawn_local(async move {
            match training::use_classifier(on).await {
                Ok(()) => {
                    let _ = self.ctx.trained_classifier.try_set(on.then(|| {
                        format!("the training lab's LeNet-5 after step {step} ({label})")
                    }));
                }
                Err(e) => {
                    let _ = self.message.try_set(Some(e));
                }
            }
        });
    }

    /// Hands the run's current LeNet-5 to the browser as a weights pair in the shipped format.
    pub(super) fn download(self) {
        let step = self
            .steps
            .with_untracked(|s| s.last().map_or(0, |p| p.step));
        let address = download::page_address();
        let export = async move { training::export(DOWNLOAD_NAME, &address).await };
        download::offer_pair(export, step, self.saved, self.message);
    }

    /// Ends the run and frees its memory in the worker; the shipped LeNet-5 answers again.
    pub(super) fn reset(self) {
        self.keep_for_overlay();
        self.status.set(Status::Idle);
        self.run_settings.set(None);
        self.started.set(None);
        self.steps.set(Vec::new());
        self.epochs.set(Vec::new());
        self.weights.set(None);
        self.gradients.set(Vec::new());
        self.evaluation.set(None);
        self.test_used.set(None);
        self.message.set(None);
        self.saved.set(None);
        let _ = self.ctx.trained_classifier.try_set(None);
        spawn_local(async move {
            let done = match training::use_classifier(false).await {
                Ok(()) => training::reset().await,
                Err(e) => Err(e),
            };
            if let Err(e) = done {
                let _ = self.message.try_set(Some(e));
            }
        });
    }
}
