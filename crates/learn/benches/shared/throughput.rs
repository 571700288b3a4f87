//! Training throughput, shared word for word by the native bench (`crates/learn/benches/training.rs`)
//! and the wasm bench in headless Chromium (`crates/worker/tests/training_bench.rs`, which
//! includes this file), so `cargo xtask bench` prints the same loop natively, in wasm on the CPU
//! and in wasm on WebGPU side by side.
//!
//! The case is what the training lab runs: one `Session::step` of LeNet-5 on a mini-batch of
//! [`BATCH`] synthetic digits (forward, cross-entropy, backward, Adam), then its losses read
//! back asynchronously. After a warm-up of at least [`WARM_UP_MS`], [`RUNS`] steps are timed
//! one by one; the median is printed as `BENCH train_lenet5_batch_64 <target> median_ms=…
//! min_ms=… runs=… images_per_s=…`.

use burn::module::Module;
use burn::tensor::Device;
use convlab_learn::{Hyper, OptimizerChoice, Regularization, Session};
use convlab_model::{AugmentConfig, Classifier, LeNet5Config, synthetic_dataset};

/// Images per step, as the lab's LeNet-5 trains.
pub const BATCH: usize = 64;
/// Images the session cycles through.
const IMAGES: usize = 640;
/// Steps timed.
pub const RUNS: usize = 15;
/// Untimed steps first, at least this long (V8 tiers up the hot wasm functions meanwhile).
const WARM_UP_MS: f64 = 2000.0;

fn session(device: &Device) -> Session<Classifier> {
    // Drawn on the CPU and forked, as the worker starts a run: every device starts alike.
    let cpu = Device::flex().autodiff();
    cpu.seed(1);
    let model = Classifier::LeNet5(LeNet5Config::new().init(&cpu)).fork(device);
    let train = synthetic_dataset(IMAGES, 1).expect("synthetic digits");
    Session::new(
        model,
        OptimizerChoice::Adam.init(),
        train,
        AugmentConfig::default(),
        1,
        device.clone(),
        1,
    )
}

/// One step and its losses read back; the loss.
async fn step(session: &mut Session<Classifier>, hyper: &Hyper) -> f64 {
    let step = session.step(hyper);
    let values = step.losses.read(None).await.expect("the loss reads back");
    session.accept(values.is_finite());
    values.loss
}

/// Times the case on `device` (plain; autodiff is added here) and prints its line for `target`.
pub async fn run(device: &Device, target: &str, now_ms: &dyn Fn() -> f64, print: &dyn Fn(&str)) {
    let mut session = session(&device.clone().autodiff());
    let hyper = Hyper {
        learning_rate: 0.002,
        batch_size: BATCH,
        beta: 1.0,
        regularization: Regularization::default(),
    };
    let start = now_ms();
    let mut warm_up = 0;
    while warm_up < 3 || now_ms() - start < WARM_UP_MS {
        std::hint::black_box(step(&mut session, &hyper).await);
        warm_up += 1;
    }
    let mut times = Vec::with_capacity(RUNS);
    let mut losses = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t0 = now_ms();
        losses.push(step(&mut session, &hyper).await);
        times.push(now_ms() - t0);
    }
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    times.sort_by(f64::total_cmp);
    let median = times[RUNS / 2];
    print(&format!(
        "BENCH train_lenet5_batch_64 {target} median_ms={median:.3} min_ms={:.3} runs={RUNS} \
         images_per_s={:.0}",
        times[0],
        BATCH as f64 * 1000.0 / median
    ));
}
