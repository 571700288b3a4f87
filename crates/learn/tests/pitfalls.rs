//! The lecture's training pitfalls, caused with the loop the browser runs (natively, on the
//! CPU): over-training turns the validation loss up before the last epoch, and 180° rotations
//! make 6s and 9s confusable.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use burn::module::Module;
use burn::tensor::Device;
use convlab_digits::{AugmentConfig, MnistDataset, MnistDir, synthetic_dataset};
use convlab_learn::{Hyper, OptimizerChoice, Session, confusion, score};
use convlab_model::{Classifier, LeNet5Config};
use futures::executor::block_on;

/// Trains LeNet-5 on `train` for `epochs`: the validation loss after each epoch and the final
/// confusion matrix on `validation`.
fn run(
    model: Classifier,
    train: &MnistDataset,
    validation: &MnistDataset,
    augment: AugmentConfig,
    epochs: usize,
    batch_size: usize,
) -> (Vec<f64>, Vec<u32>) {
    let device = Device::flex().autodiff();
    device.seed(21);
    let model = model.fork(&device);
    let mut session = Session::new(
        model,
        OptimizerChoice::Adam.init(),
        train.clone(),
        augment,
        21,
        device,
        1,
    );
    let hyper = Hyper {
        learning_rate: 0.002,
        batch_size,
        ..Hyper::default()
    };
    let plain = Device::flex();
    let mut curve = Vec::new();
    let mut predicted = Vec::new();
    for _ in 0..epochs {
        loop {
            let step = session.step(&hyper);
            let values = block_on(step.losses.read(None)).unwrap();
            assert!(values.is_finite());
            session.accept(true);
            if step.ends_epoch {
                break;
            }
        }
        let model = session.model().valid();
        let scored = block_on(score(&model, validation, 1.0, 250, &plain, true)).unwrap();
        curve.push(scored.totals.mean_loss());
        predicted = scored.predicted;
    }
    (curve, confusion(validation.labels(), &predicted, 10))
}

fn lenet() -> Classifier {
    let cpu = Device::flex().autodiff();
    cpu.seed(21);
    Classifier::LeNet5(LeNet5Config::new().init(&cpu))
}

/// Checks that the lowest value comes before the last epoch and that the curve ends at least
/// `factor` times above it.
fn assert_turns_up(curve: &[f64], factor: f64) {
    let best = curve
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap();
    assert!(best + 1 < curve.len(), "{curve:?}");
    assert!(curve[curve.len() - 1] > curve[best] * factor, "{curve:?}");
}

#[test]
fn over_training_turns_the_validation_loss_up_before_the_last_epoch() {
    // Synthetic digits are regular: only very few of them are learnt by heart (the page's
    // preset: 30 images, 40 epochs).
    let all = synthetic_dataset(330, 5).unwrap();
    let train = all.select(&(0..30).collect::<Vec<_>>());
    let validation = all.select(&(30..330).collect::<Vec<_>>());
    let (curve, _) = run(
        lenet(),
        &train,
        &validation,
        AugmentConfig::default(),
        40,
        10,
    );
    assert_turns_up(&curve, 1.0);
}

#[test]
fn over_training_on_300_real_mnist_digits() {
    let dir = MnistDir::from_env_or(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/mnist"
    ));
    if !dir.is_complete() {
        eprintln!(
            "skipped: the MNIST files are not in {} (set MNIST_DIR)",
            dir.path().display()
        );
        return;
    }
    let all = dir.train().unwrap();
    let train = all.select(&(0..300).collect::<Vec<_>>());
    let validation = all.select(&(300..1_300).collect::<Vec<_>>());
    let (curve, _) = run(
        lenet(),
        &train,
        &validation,
        AugmentConfig::default(),
        30,
        32,
    );
    assert_turns_up(&curve, 1.1);
}

#[test]
fn rotating_by_up_to_180_degrees_confuses_sixes_and_nines() {
    let all = synthetic_dataset(1_500, 9).unwrap();
    let train = all.select(&(0..1_000).collect::<Vec<_>>());
    let validation = all.select(&(1_000..1_500).collect::<Vec<_>>());
    let six_nine = |m: &[u32]| m[6 * 10 + 9] + m[9 * 10 + 6];
    let (_, plain) = run(
        lenet(),
        &train,
        &validation,
        AugmentConfig::default(),
        3,
        32,
    );
    let rotated = AugmentConfig {
        rotate: 180.0,
        ..AugmentConfig::default()
    };
    let (_, turned) = run(lenet(), &train, &validation, rotated, 3, 32);
    assert!(
        six_nine(&turned) > six_nine(&plain),
        "6↔9: {} with rotation, {} without",
        six_nine(&turned),
        six_nine(&plain)
    );
}
