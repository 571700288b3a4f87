//! Training throughput, shared word for word by the native bench (`crates/learn/benches/training.rs`)
//! and the wasm bench in headless Chromium (`crates/worker/tests/training_bench.rs`, which
//! includes this file), so `cargo xtask bench` prints the same loop natively, in wasm on the CPU
//! and in wasm on WebGPU side by side.
//!
//! The cases are what the two training labs run: one `Session::step` (forward, loss, backward,
//! Adam), then its losses read back asynchronously, of LeNet-5 on a mini-batch of
//! [`LENET_BATCH`] synthetic digits and of the reference VAE (latent 2, BCE + KL) on
//! [`VAE_BATCH`]. After a warm-up of at least [`WARM_UP_MS`], [`RUNS`] steps are timed one by
//! one; the median is printed as `BENCH <case> <target> median_ms=… min_ms=… runs=…
//! images_per_s=…`.

use burn::tensor::Device;
use convlab_digits::{AugmentConfig, synthetic_dataset};
use convlab_learn::{Hyper, Objective, OptimizerChoice, Regularization, Session};
use convlab_model::{Classifier, LeNet5Config, Reconstructor, VaeConfig};

/// Images per step, as the classifier lab's LeNet-5 trains.
pub const LENET_BATCH: usize = 64;
/// Images per step of the VAE, as the lecture's workshop trains it.
pub const VAE_BATCH: usize = 128;
/// Images the session cycles through.
const IMAGES: usize = 1_280;
/// Steps timed.
pub const RUNS: usize = 15;
/// Untimed steps first, at least this long (V8 tiers up the hot wasm functions meanwhile).
const WARM_UP_MS: f64 = 2000.0;

fn session<M: Objective + Clone>(model: impl Fn(&Device) -> M, device: &Device) -> Session<M> {
    // Drawn on the CPU and forked, as the worker starts a run: every device starts alike.
    let cpu = Device::flex().autodiff();
    cpu.seed(1);
    let model = model(&cpu).fork(device);
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
async fn step<M: Objective + Clone>(session: &mut Session<M>, hyper: &Hyper) -> f64 {
    let step = session.step(hyper);
    let values = step.losses.read(None).await.expect("the loss reads back");
    session.accept(values.is_finite());
    values.loss
}

/// Times both cases on `device` (plain; autodiff is added here) and prints their lines for
/// `target`.
pub async fn run(device: &Device, target: &str, now_ms: &dyn Fn() -> f64, print: &dyn Fn(&str)) {
    let device = device.clone().autodiff();
    let lenet = session(
        |d: &Device| Classifier::LeNet5(LeNet5Config::new().init(d)),
        &device,
    );
    let line = time(lenet, LENET_BATCH, now_ms).await;
    print(&format!("BENCH train_lenet5_batch_64 {target} {line}"));
    let vae = session(
        |d: &Device| Reconstructor::Vae(VaeConfig::new().init(d)),
        &device,
    );
    let line = time(vae, VAE_BATCH, now_ms).await;
    print(&format!("BENCH train_vae_batch_128 {target} {line}"));
}

/// The timed steps of one case: `median_ms=… min_ms=… runs=… images_per_s=…`.
async fn time<M: Objective + Clone>(
    mut session: Session<M>,
    batch_size: usize,
    now_ms: &dyn Fn() -> f64,
) -> String {
    let hyper = Hyper {
        learning_rate: 0.002,
        batch_size,
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
    format!(
        "median_ms={median:.3} min_ms={:.3} runs={RUNS} images_per_s={:.0}",
        times[0],
        batch_size as f64 * 1000.0 / median
    )
}
