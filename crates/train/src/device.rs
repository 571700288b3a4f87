//! Choosing the device: the only place that knows which Burn backends this build has.
//!
//! The CPU is Burn's `flex` backend, always present. The GPU is Burn's `wgpu` backend, compiled
//! only with the `gpu` feature because a cold build of it takes the better part of an hour on a
//! small machine.

use anyhow::{Result, bail};
use burn::tensor::Device;

use crate::cli::DeviceChoice;

/// A device and a sentence saying what it is, for the user.
#[derive(Clone, Debug)]
pub struct SelectedDevice {
    /// The plain (non-autodiff) device; training calls `.autodiff()` on it itself.
    pub device: Device,
    /// "CPU (Burn flex)", "GPU (Burn wgpu)".
    pub description: String,
    /// Whether it is the GPU.
    pub is_gpu: bool,
}

/// The message for `--device gpu` in a build without the `gpu` feature.
pub const NO_GPU_SUPPORT: &str = "built without GPU support: rebuild with --features gpu \
     (cargo run --profile train -p convlab-train --features gpu -- ...)";

/// The CPU device.
pub fn cpu() -> SelectedDevice {
    SelectedDevice {
        device: Device::flex(),
        description: "CPU (Burn flex backend)".to_string(),
        is_gpu: false,
    }
}

/// Resolves `--device`. `Auto` never fails: it falls back to the CPU and says why in
/// `description`. `Gpu` fails with a message saying what to do when there is no GPU.
pub fn select(choice: DeviceChoice) -> Result<SelectedDevice> {
    match choice {
        DeviceChoice::Cpu => Ok(cpu()),
        DeviceChoice::Gpu => gpu(),
        DeviceChoice::Auto => Ok(match gpu() {
            Ok(gpu) => gpu,
            Err(why) => {
                let mut cpu = cpu();
                cpu.description = format!("{}; auto chose the CPU: {why:#}", cpu.description);
                cpu
            }
        }),
    }
}

#[cfg(feature = "gpu")]
fn gpu() -> Result<SelectedDevice> {
    match Device::wgpu_options().init() {
        Ok(device) => Ok(SelectedDevice {
            device,
            description: "GPU (Burn wgpu backend)".to_string(),
            is_gpu: true,
        }),
        Err(err) => bail!("no usable GPU adapter found by wgpu: {err}"),
    }
}

#[cfg(not(feature = "gpu"))]
fn gpu() -> Result<SelectedDevice> {
    bail!(NO_GPU_SUPPORT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_always_available() {
        let selected = select(DeviceChoice::Cpu).unwrap();
        assert!(!selected.is_gpu);
        assert!(selected.description.contains("CPU"));
    }

    #[test]
    fn auto_always_gives_a_device_and_says_which() {
        let selected = select(DeviceChoice::Auto).unwrap();
        if !selected.is_gpu {
            assert!(
                selected.description.contains("CPU"),
                "{}",
                selected.description
            );
            assert!(
                selected.description.contains("auto"),
                "{}",
                selected.description
            );
        }
    }

    #[cfg(not(feature = "gpu"))]
    #[test]
    fn gpu_without_the_feature_says_how_to_rebuild() {
        let err = select(DeviceChoice::Gpu).unwrap_err().to_string();
        assert!(err.contains("built without GPU support"), "{err}");
        assert!(err.contains("--features gpu"), "{err}");
    }
}
