//! A VAE run as the page sees it: its state in signals, the loop that drives the worker in
//! short bursts of steps while the run is on, and the latent-space snapshots taken at the
//! start, after every epoch and on each pause (kept in memory, bounded, for the scrubber).

use std::sync::Arc;

use convlab_digits::MnistDataset;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::settings::VaeLabSettings;
use crate::download;
use crate::ml::vae_training::{
    self, LatentSnapshot, TrainStarted, TrainedVae, VaeEpochPoint, VaeStepPoint,
};
use crate::ml::{Backend, MlContext, VaeChoice, training};

/// The downloaded pair: `lab-vae.json` and `lab-vae.bpk`.
const DOWNLOAD_NAME: &str = "lab-vae";

/// How long one burst of steps may take in the worker.
const BURST_MS: u32 = 250;
/// Step points kept for the curves; past it every other one is dropped.
const MAX_STEP_POINTS: usize = 4_000;
/// Snapshots kept for the scrubber; past it every other one (the first and last kept) goes.
const MAX_SNAPSHOTS: usize = 24;
/// Codes from the prior each snapshot decodes.
pub(super) const PRIOR_SAMPLES: u32 = 16;

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Idle,
    Starting,
    Running,
    Paused,
    Finished,
}

/// Everything the page shows of a run.
#[derive(Clone, Copy)]
pub(super) struct VaeLab {
    pub(super) status: RwSignal<Status>,
    pub(super) run_settings: RwSignal<Option<VaeLabSettings>>,
    pub(super) started: RwSignal<Option<TrainStarted>>,
    pub(super) steps: RwSignal<Vec<VaeStepPoint>>,
    pub(super) epochs: RwSignal<Vec<VaeEpochPoint>>,
    pub(super) snapshots: RwSignal<Vec<Arc<LatentSnapshot>>>,
    /// The snapshot the scrubber shows (`None`: the latest).
    pub(super) shown: RwSignal<Option<usize>>,
    /// The last snapshot of the run before this one, with its description (AE versus VAE).
    pub(super) previous: RwSignal<Option<(String, Arc<LatentSnapshot>)>>,
    pub(super) images_per_second: RwSignal<f32>,
    pub(super) message: RwSignal<Option<String>>,
    /// What "Download weights" saved.
    pub(super) saved: RwSignal<Option<String>>,
    settings: Signal<VaeLabSettings>,
    ctx: MlContext,
}

impl VaeLab {
    pub(super) fn new(settings: Signal<VaeLabSettings>, ctx: MlContext) -> Self {
        Self {
            settings,
            ctx,
            saved: RwSignal::new(None),
            status: RwSignal::new(Status::Idle),
            run_settings: RwSignal::new(None),
            started: RwSignal::new(None),
            steps: RwSignal::new(Vec::new()),
            epochs: RwSignal::new(Vec::new()),
            snapshots: RwSignal::new(Vec::new()),
            shown: RwSignal::new(None),
            previous: RwSignal::new(None),
            images_per_second: RwSignal::new(0.0),
            message: RwSignal::new(None),
        }
    }

    /// The snapshot on show.
    pub(super) fn snapshot(&self) -> Option<Arc<LatentSnapshot>> {
        let at = self.shown.get();
        self.snapshots.with(|all| match at {
            Some(i) => all.get(i).or(all.last()).cloned(),
            None => all.last().cloned(),
        })
    }

    /// Starts a new run with `settings`, then runs it.
    pub(super) fn start(
        self,
        backend: Backend,
        settings: VaeLabSettings,
        mnist: Option<Arc<MnistDataset>>,
    ) {
        let setup = match settings.setup(mnist.as_deref()) {
            Ok(setup) => setup,
            Err(e) => {
                self.message.set(Some(e));
                return;
            }
        };
        self.keep_previous();
        self.status.set(Status::Starting);
        self.message.set(None);
        self.steps.set(Vec::new());
        self.epochs.set(Vec::new());
        self.snapshots.set(Vec::new());
        self.shown.set(None);
        self.run_settings.set(Some(settings.clone()));
        spawn_local(async move {
            match vae_training::start(backend, setup).await {
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
            // Step 0: the latent space of the fresh weights.
            if self.take_snapshot().await.is_none() {
                return;
            }
            self.drive(settings, false).await;
        });
    }

    fn keep_previous(&self) {
        let (Some(settings), Some(last)) = (
            self.run_settings.get_untracked(),
            self.snapshots.with_untracked(|s| s.last().cloned()),
        ) else {
            return;
        };
        self.previous.set(Some((settings.describe(), last)));
    }

    /// Goes on with a paused run (`once`: a single step).
    pub(super) fn resume(self, settings: VaeLabSettings, once: bool) {
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
    /// (β among them) are read before each burst, so a change applies from the next one.
    async fn drive(self, settings: VaeLabSettings, once: bool) {
        let mut settings = settings;
        loop {
            let Some(latest) = self.settings.try_get_untracked() else {
                return;
            };
            settings = VaeLabSettings {
                learning_rate: latest.learning_rate,
                batch_size: latest.batch_size,
                beta: latest.beta,
                epochs: latest.epochs,
                ..settings
            };
            let (max_steps, epochs) = if once {
                (1, 0)
            } else {
                (10_000, settings.epochs.min(u32::MAX as usize) as u32)
            };
            let progress =
                match vae_training::steps(max_steps, BURST_MS, epochs, settings.step()).await {
                    Ok(progress) => progress,
                    Err(e) => {
                        let _ = self.message.try_set(Some(e));
                        let _ = self.status.try_set(Status::Paused);
                        return;
                    }
                };
            let ended_epoch = !progress.epochs.is_empty();
            let Some(()) = self.record(&progress) else {
                return;
            };
            let done = self
                .epochs
                .try_with_untracked(|e| e.last().map_or(0, |e| e.epoch as usize))
                .unwrap_or(0)
                >= settings.epochs;
            let stopping = progress.diverged.is_some()
                || done
                || once
                || self.status.try_get_untracked() != Some(Status::Running);
            if (ended_epoch || stopping) && self.take_snapshot().await.is_none() {
                return;
            }
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
    fn record(&self, progress: &vae_training::VaeProgress) -> Option<()> {
        self.steps.try_update(|steps| {
            steps.extend_from_slice(&progress.steps);
            if steps.len() > MAX_STEP_POINTS {
                let mut i = 0;
                steps.retain(|_| {
                    i += 1;
                    i % 2 == 0
                });
            }
        })?;
        self.epochs
            .try_update(|e| e.extend_from_slice(&progress.epochs))?;
        self.images_per_second.try_set(progress.images_per_second);
        Some(())
    }

    /// Asks for the latent space now and keeps it; `None` once the page is gone. A failed
    /// snapshot is reported and the run goes on.
    async fn take_snapshot(&self) -> Option<()> {
        match vae_training::snapshot(PRIOR_SAMPLES).await {
            Ok(snapshot) => {
                let snapshot = Arc::new(snapshot);
                self.snapshots.try_update(|all| {
                    if all.last().is_some_and(|s| s.step == snapshot.step) {
                        all.pop();
                    }
                    all.push(snapshot);
                    if all.len() > MAX_SNAPSHOTS {
                        let last = all.len() - 1;
                        let mut i = 0;
                        all.retain(|_| {
                            i += 1;
                            i == 1 || i - 1 == last || i % 2 == 1
                        });
                    }
                })
            }
            Err(e) => self.message.try_set(Some(e)).map(|_| ()),
        }
    }

    /// The last step taken, 0 before any.
    fn last_step(&self) -> u32 {
        self.steps
            .with_untracked(|s| s.last().map_or(0, |p| p.step))
    }

    /// Makes the run's current VAE the one every model page uses in place of the shipped VAE
    /// of its latent size (`on`), or the shipped ones again.
    pub(super) fn use_vae(self, on: bool) {
        let trained = match (on, self.run_settings.get_untracked()) {
            (false, _) => None,
            (true, Some(run)) => {
                let choice = match run.latent {
                    16 => VaeChoice::Vae16,
                    _ => VaeChoice::Vae2,
                };
                Some(TrainedVae {
                    choice,
                    label: format!(
                        "the VAE lab's after step {} ({})",
                        self.last_step(),
                        run.describe()
                    ),
                })
            }
            (true, None) => return,
        };
        spawn_local(async move {
            if let Err(e) = vae_training::use_vae(self.ctx, trained).await {
                let _ = self.message.try_set(Some(e));
            }
        });
    }

    /// Hands the run's current network to the browser as a weights pair in the shipped format.
    pub(super) fn download(self) {
        let address = download::page_address();
        let export = async move { vae_training::export(DOWNLOAD_NAME, &address).await };
        download::offer_pair(export, self.last_step(), self.saved, self.message);
    }

    /// Ends the run and frees its memory in the worker; the shipped VAEs answer again.
    pub(super) fn reset(self) {
        self.keep_previous();
        self.status.set(Status::Idle);
        self.run_settings.set(None);
        self.started.set(None);
        self.steps.set(Vec::new());
        self.epochs.set(Vec::new());
        self.snapshots.set(Vec::new());
        self.shown.set(None);
        self.message.set(None);
        self.saved.set(None);
        let in_use = self.ctx.trained_vae.get_untracked().is_some();
        spawn_local(async move {
            let mut done = Ok(());
            if in_use {
                done = vae_training::use_vae(self.ctx, None).await;
            }
            if let Err(e) = done.and(training::reset().await) {
                let _ = self.message.try_set(Some(e));
            }
        });
    }
}
