//! An epoch's checkpoint, committed whole: a run killed at any moment (power cut, Ctrl-C, a
//! full disk) resumes from a weights file, an optimizer file and a `state.json` of the same
//! epoch, never from new weights with an old state.
//!
//! The weights and the optimizer go to files named after their epoch (`model-3.bpk`,
//! `optimizer-3.bpk`), which nothing reads yet, and are flushed to the disk; then `state.json`,
//! which names them, replaces the old one (a unique scratch file, flushed, renamed, the folder
//! flushed): that rename is the commit. Only then are the previous epoch's files removed.

use std::fs::{self, File};
use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use convlab_model::weights::first_non_finite;

use crate::artifacts::{RunDir, TrainState};

/// A simulated crash inside [`RunDir::commit`], for the tests that resume after one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Stop with an error once epoch `epoch`'s weights and optimizer are written, before its
    /// `state.json`.
    AfterWeights { epoch: usize },
}

impl RunDir {
    /// Saves `model` (and `optimizer`, when training) as the checkpoint of
    /// `state.epochs_completed`, then commits `state` naming them (see the module's text).
    /// Weights that are not all finite are refused before anything is written.
    pub fn commit<M: Module>(
        &self,
        model: &M,
        optimizer: Option<&ModuleOptimizer>,
        mut state: TrainState,
        fault: Option<Fault>,
    ) -> Result<()> {
        let epoch = state.epochs_completed;
        if let Some(tensor) = first_non_finite(model) {
            bail!(
                "the weights of epoch {epoch} hold a value that is not finite in {tensor}: not \
                 saved ({} keeps the last good epoch)",
                self.path().display()
            );
        }
        let weights = format!("model-{epoch}.bpk");
        let path = self.path().join(&weights);
        model
            .clone()
            .save_file(&path)
            .map_err(|err| anyhow::anyhow!("cannot save {}: {err}", path.display()))?;
        sync_file(&path)?;
        state.weights = Some(weights);
        state.optimizer = None;
        if let Some(optimizer) = optimizer {
            let name = format!("optimizer-{epoch}.bpk");
            let path = self.path().join(&name);
            optimizer
                .save(&path)
                .map_err(|err| anyhow::anyhow!("cannot save {}: {err}", path.display()))?;
            sync_file(&path)?;
            state.optimizer = Some(name);
        }
        if fault == Some(Fault::AfterWeights { epoch }) {
            bail!("simulated crash after the weights of epoch {epoch}");
        }
        self.write_state(&state)?;
        self.remove_stale_checkpoints(&state)
    }

    /// Removes every weights and optimizer file that `state` does not name.
    fn remove_stale_checkpoints(&self, state: &TrainState) -> Result<()> {
        let entries = fs::read_dir(self.path())
            .with_context(|| format!("cannot list {}", self.path().display()))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let checkpoint = name.ends_with(".bpk")
                && (name.starts_with("model") || name.starts_with("optimizer"));
            let named = [&state.weights, &state.optimizer]
                .iter()
                .any(|kept| kept.as_deref() == Some(name));
            if checkpoint && !named {
                fs::remove_file(entry.path())
                    .with_context(|| format!("cannot remove {}", entry.path().display()))?;
            }
        }
        Ok(())
    }
}

/// Flushes a written file to the disk.
pub(crate) fn sync_file(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot flush {} to the disk", path.display()))
}

/// Flushes a folder's entries (a rename in it) to the disk. Some systems cannot open a
/// folder for that; there the rename stands as the system keeps it.
pub(crate) fn sync_dir(path: &Path) {
    if let Ok(dir) = File::open(path) {
        let _ = dir.sync_all();
    }
}
