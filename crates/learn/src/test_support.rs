//! What the unit tests share.

use std::sync::{Mutex, MutexGuard};

/// Holds the flex device's random generator for one test. The generator belongs to the
/// device, not the thread, so a test that seeds it and then draws (a model's fresh weights,
/// the VAE's noise) would see another test's draws in between when the two run in parallel.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
