//! End-to-end tests of the trainer on tiny data sets: the first 256 real MNIST images when
//! this machine has them (`MNIST_DIR`, else the shared data folder beside the workspace),
//! otherwise synthetic "digits" (a horizontal bar whose height is the label) built here.
//! Sizes are chosen so the whole file runs in seconds in a debug build.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::process::Command;
use std::sync::OnceLock;

use burn::tensor::Device;
use convlab_digits::{AugmentConfig, IMAGE_PIXELS, MnistDataset};
use convlab_model::Batches;
use convlab_train::artifacts::{LoadedWeights, ModelConfig, RunDir, TrainState, TrainingConfig};
use convlab_train::checkpoint::Fault;
use convlab_train::cli::ModelKind;
use convlab_train::data::{self, Splits};
use convlab_train::eval::{EvalOptions, evaluate_model};
use convlab_train::export::{ExportOptions, export};
use convlab_train::training::{TrainOptions, TrainOutcome, score, train};

/// 256 images: real MNIST when present, else synthetic.
fn tiny_set() -> &'static MnistDataset {
    static SET: OnceLock<MnistDataset> = OnceLock::new();
    SET.get_or_init(|| {
        let dir = data::mnist_dir(None);
        if dir.is_complete() {
            let all = dir.train().unwrap();
            all.select(&(0..256).collect::<Vec<_>>())
        } else {
            println!(
                "MNIST not found in {} (set MNIST_DIR): using synthetic digits",
                dir.path().display()
            );
            synthetic(256)
        }
    })
}

/// Image `i` has label `i % 10` and a bright bar across rows `4 + 2·label ..= 5 + 2·label`.
fn synthetic(count: usize) -> MnistDataset {
    let mut images = vec![0.0f32; count * IMAGE_PIXELS];
    let mut labels = Vec::with_capacity(count);
    for i in 0..count {
        let label = (i % 10) as u8;
        let image = &mut images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
        for row in [4 + 2 * usize::from(label), 5 + 2 * usize::from(label)] {
            for col in (4 + i % 3)..(22 + i % 4) {
                image[row * 28 + col] = 1.0;
            }
        }
        labels.push(label);
    }
    MnistDataset::from_parts(images, labels).unwrap()
}

fn first(n: usize) -> MnistDataset {
    images(0..n)
}

/// The tiny set's images with these indices.
fn images(indices: std::ops::Range<usize>) -> MnistDataset {
    tiny_set().select(&indices.collect::<Vec<_>>())
}

/// The first `train` images for training and the images `validation` for validation (an
/// empty range for none).
fn splits(train: usize, validation: std::ops::Range<usize>) -> Splits {
    Splits {
        train: first(train),
        validation: images(validation),
    }
}

fn config(kind: ModelKind, epochs: usize, batch_size: usize, lr: f64) -> TrainingConfig {
    TrainingConfig {
        model: ModelConfig::new(kind, 2),
        optimizer: TrainingConfig::adam(),
        learning_rate: lr,
        final_learning_rate: None,
        epochs,
        batch_size,
        beta: 1.0,
        seed: 5,
        train_limit: None,
        validation: 0,
        augment: AugmentConfig::default(),
        imported: None,
    }
}

fn options(resume: bool) -> TrainOptions {
    TrainOptions {
        device: Device::flex(),
        resume,
        log_every: 0,
        verbose: false,
        fault: None,
    }
}

fn metrics_rows(run: &RunDir) -> Vec<Vec<String>> {
    fs::read_to_string(run.metrics_path())
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn column(row: &[String], index: usize) -> f64 {
    row[index].parse().unwrap()
}

/// Training seeds the device's one random generator, which the tests of this file would
/// otherwise share while libtest runs them in parallel (one test's draws landing between
/// another's seed and its initialisation): each test holds this lock, so its runs repeat.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn lenet_loss_falls_on_a_tiny_set() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(dir.path());
    let splits = splits(192, 192..256);
    let outcome = train(
        &config(ModelKind::Lenet, 4, 16, 2e-3),
        &splits,
        &run,
        &options(false),
    )
    .unwrap();
    assert!(matches!(
        outcome,
        TrainOutcome::Finished {
            epochs_completed: 4,
            ..
        }
    ));
    let rows = metrics_rows(&run);
    assert_eq!(rows.len(), 4);
    let (loss_1, loss_4) = (column(&rows[0], 1), column(&rows[3], 1));
    assert!(loss_4 < loss_1 * 0.9, "training loss {loss_1} -> {loss_4}");
    let accuracy_4 = column(&rows[3], 4);
    assert!(
        accuracy_4 > 0.3,
        "training accuracy after 4 epochs: {accuracy_4}"
    );
    assert!(!rows[3][8].is_empty(), "validation accuracy is reported");
}

#[test]
fn vae_loss_falls_on_a_tiny_set() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(dir.path());
    let splits = splits(32, 0..0);
    train(
        &config(ModelKind::Vae, 3, 8, 3e-3),
        &splits,
        &run,
        &options(false),
    )
    .unwrap();
    let rows = metrics_rows(&run);
    let (loss_1, loss_3) = (column(&rows[0], 1), column(&rows[2], 1));
    assert!(loss_3 < loss_1, "VAE loss {loss_1} -> {loss_3}");
    // BCE + β·KL with β = 1; KL is reported and non-negative.
    let (bce, kl) = (column(&rows[2], 2), column(&rows[2], 3));
    assert!(
        kl >= 0.0 && (bce + kl - loss_3).abs() < 1e-3 * loss_3,
        "{rows:?}"
    );
    assert!(
        rows[2][5].is_empty(),
        "no validation set, no validation loss"
    );
}

#[test]
fn saved_weights_reload_to_the_same_outputs() {
    let _serial = serial();
    // The validation loss written during training was computed with the final weights in
    // memory; recomputing it from config.json + the weights must give the same number.
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(dir.path());
    let splits = splits(64, 200..232);
    train(
        &config(ModelKind::Lenet, 1, 16, 1e-3),
        &splits,
        &run,
        &options(false),
    )
    .unwrap();
    let written_val_loss = column(&metrics_rows(&run)[0], 5);

    let device = Device::flex();
    let (config, model) = run.load_model(&device).unwrap();
    assert!(matches!(config.model, ModelConfig::Lenet(_)));
    let LoadedWeights::Lenet(net) = &model else {
        panic!("not LeNet")
    };
    let totals = score(net, &splits.validation, 1.0, 32, &device).unwrap();
    assert!(
        (totals.mean_loss() - written_val_loss).abs() < 1e-4,
        "reloaded {} vs written {written_val_loss}",
        totals.mean_loss()
    );

    let report = evaluate_model(
        &model,
        &splits.validation,
        &device,
        &EvalOptions {
            limit: None,
            batch_size: 10,
            seed: 0,
        },
        1,
    )
    .unwrap();
    let confusion = report.confusion.unwrap();
    let total: u64 = confusion.iter().flatten().sum();
    let diagonal: u64 = (0..10).map(|i| confusion[i][i]).sum();
    assert_eq!(total, 32);
    assert!((report.accuracy.unwrap() - diagonal as f64 / 32.0).abs() < 1e-9);
}

/// The second epochs' losses and accuracies of two runs' metrics agree.
fn assert_same_second_epoch(a: &[Vec<String>], b: &[Vec<String>]) {
    for index in [1, 4, 5, 8] {
        let (x, y) = (column(&a[1], index), column(&b[1], index));
        assert!(
            (x - y).abs() < 1e-4 * x.abs().max(1.0),
            "column {index}: {x} vs {y}"
        );
    }
}

#[test]
fn resume_continues_from_the_saved_epoch() {
    let _serial = serial();
    let splits = splits(96, 96..128);
    // Two epochs straight through…
    let straight = tempfile::tempdir().unwrap();
    let straight = RunDir::new(straight.path());
    train(
        &config(ModelKind::Lenet, 2, 16, 1e-3),
        &splits,
        &straight,
        &options(false),
    )
    .unwrap();

    // …and one epoch, then a resume to two.
    let resumed_dir = tempfile::tempdir().unwrap();
    let resumed = RunDir::new(resumed_dir.path());
    train(
        &config(ModelKind::Lenet, 1, 16, 1e-3),
        &splits,
        &resumed,
        &options(false),
    )
    .unwrap();
    assert_eq!(resumed.read_state().unwrap().epochs_completed, 1);
    let outcome = train(
        &config(ModelKind::Lenet, 2, 16, 1e-3),
        &splits,
        &resumed,
        &options(true),
    )
    .unwrap();
    assert!(matches!(
        outcome,
        TrainOutcome::Finished {
            epochs_completed: 2,
            ..
        }
    ));
    assert_eq!(resumed.read_state().unwrap().epochs_completed, 2);
    assert_eq!(resumed.read_config().unwrap().epochs, 2);

    let (a, b) = (metrics_rows(&straight), metrics_rows(&resumed));
    assert_eq!(b.len(), 2, "one row per epoch, none repeated");
    assert_eq!(b[1][0], "2");
    // Same batches (seeded order), same weights and Adam state: the same second epoch.
    assert_same_second_epoch(&a, &b);

    // Asking again for 2 epochs does nothing.
    let again = train(
        &config(ModelKind::Lenet, 2, 16, 1e-3),
        &splits,
        &resumed,
        &options(true),
    )
    .unwrap();
    assert_eq!(
        again,
        TrainOutcome::Finished {
            epochs_completed: 2,
            last: None
        }
    );
}

#[test]
fn a_crash_after_the_weights_resumes_from_the_last_committed_epoch() {
    let _serial = serial();
    let splits = splits(96, 96..128);
    let straight = tempfile::tempdir().unwrap();
    let straight = RunDir::new(straight.path());
    train(
        &config(ModelKind::Lenet, 2, 16, 1e-3),
        &splits,
        &straight,
        &options(false),
    )
    .unwrap();

    let crashed_dir = tempfile::tempdir().unwrap();
    let crashed = RunDir::new(crashed_dir.path());
    let crash = TrainOptions {
        fault: Some(Fault::AfterWeights { epoch: 2 }),
        ..options(false)
    };
    let err = train(
        &config(ModelKind::Lenet, 2, 16, 1e-3),
        &splits,
        &crashed,
        &crash,
    )
    .unwrap_err();
    assert!(err.to_string().contains("simulated crash"), "{err:#}");
    // Epoch 2's files are on disk, but the state still names epoch 1's: the pair is whole.
    assert!(crashed_dir.path().join("model-2.bpk").is_file());
    let state = crashed.read_state().unwrap();
    assert_eq!(state.epochs_completed, 1);
    assert_eq!(state.weights.as_deref(), Some("model-1.bpk"));
    assert_eq!(state.optimizer.as_deref(), Some("optimizer-1.bpk"));
    assert_eq!(
        crashed.weights_path(),
        crashed_dir.path().join("model-1.bpk")
    );
    // Epoch 2's metrics row was written before the crash; a resume drops and redoes it.
    assert_eq!(metrics_rows(&crashed).len(), 2);

    train(
        &config(ModelKind::Lenet, 2, 16, 1e-3),
        &splits,
        &crashed,
        &options(true),
    )
    .unwrap();
    let (a, b) = (metrics_rows(&straight), metrics_rows(&crashed));
    assert_eq!(b.len(), 2, "one row per epoch, none repeated");
    assert_same_second_epoch(&a, &b);
    // Only the committed checkpoint is left.
    let mut files: Vec<String> = fs::read_dir(crashed_dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".bpk"))
        .collect();
    files.sort();
    assert_eq!(files, ["model-2.bpk", "optimizer-2.bpk"]);
}

/// Every kind of augmentation at once, noise included.
fn all_augmentations() -> AugmentConfig {
    AugmentConfig {
        translate: 2.0,
        rotate: 10.0,
        scale: 0.1,
        flip: true,
        flip_vertical: false,
        noise: 0.2,
    }
}

#[test]
fn augmented_runs_resume_to_the_same_result() {
    let _serial = serial();
    // The augmentation of each batch is seeded by the run's seed, the epoch and the batch,
    // so one epoch plus a resume sees the same images as two epochs straight through.
    let splits = splits(32, 32..48);
    let augmented = |epochs| TrainingConfig {
        augment: all_augmentations(),
        ..config(ModelKind::Lenet, epochs, 16, 1e-3)
    };
    let straight_dir = tempfile::tempdir().unwrap();
    let straight = RunDir::new(straight_dir.path());
    train(&augmented(2), &splits, &straight, &options(false)).unwrap();
    let resumed_dir = tempfile::tempdir().unwrap();
    let resumed = RunDir::new(resumed_dir.path());
    train(&augmented(1), &splits, &resumed, &options(false)).unwrap();
    train(&augmented(2), &splits, &resumed, &options(true)).unwrap();
    assert_eq!(
        resumed.read_config().unwrap().augment,
        all_augmentations(),
        "config.json keeps the augmentation"
    );
    let (a, b) = (metrics_rows(&straight), metrics_rows(&resumed));
    assert_same_second_epoch(&a, &b);
}

#[test]
fn validation_images_are_never_augmented() {
    let _serial = serial();
    // The validation loss written after the epoch must be that of the plain validation
    // images under the final weights, however strongly the training images were changed.
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(dir.path());
    let splits = splits(16, 200..216);
    for kind in [ModelKind::Lenet, ModelKind::Ae] {
        let config = TrainingConfig {
            augment: all_augmentations(),
            ..config(kind, 1, 16, 1e-3)
        };
        let _ = fs::remove_file(run.state_path());
        train(&config, &splits, &run, &options(false)).unwrap();
        let written = column(&metrics_rows(&run)[0], 5);
        let device = Device::flex();
        let totals = match run.load_model(&device).unwrap().1 {
            LoadedWeights::Lenet(net) => score(&net, &splits.validation, 1.0, 16, &device),
            LoadedWeights::Ae(ae) => score(&ae, &splits.validation, 1.0, 16, &device),
            LoadedWeights::Vae(_) => unreachable!("not trained here"),
        }
        .unwrap();
        assert!(
            (totals.mean_loss() - written).abs() < 1e-4 * written.abs().max(1.0),
            "{kind:?}: plain validation loss {} vs written {written}",
            totals.mean_loss()
        );
    }
}

#[test]
fn export_writes_weights_the_model_crate_loads_from_bytes() {
    let _serial = serial();
    let run_dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(run_dir.path());
    let splits = splits(32, 0..0);
    let trained = TrainingConfig {
        augment: AugmentConfig {
            translate: 2.0,
            ..AugmentConfig::default()
        },
        ..config(ModelKind::Lenet, 1, 16, 1e-3)
    };
    let test = tiny_set().select(&(200..250).collect::<Vec<_>>());
    let device = Device::flex();
    let out = tempfile::tempdir().unwrap();
    let export_options = |force| ExportOptions {
        name: "tiny-lenet".to_string(),
        to: out.path().join("weights"),
        force,
        eval: EvalOptions {
            limit: None,
            batch_size: 25,
            seed: 0,
        },
    };

    // No run yet: the error says what to run.
    let err = export(&run, &test, &device, &export_options(false))
        .unwrap_err()
        .to_string();
    assert!(err.contains("convlab-train train"), "{err}");

    train(&trained, &splits, &run, &options(false)).unwrap();
    let exported = export(&run, &test, &device, &export_options(false)).unwrap();
    let json = fs::read_to_string(&exported.manifest_path).unwrap();
    let bpk = fs::read(&exported.weights).unwrap();
    assert_eq!(
        bpk,
        fs::read(run.weights_path()).unwrap(),
        "the .bpk is what training saved"
    );

    let manifest = convlab_model::weights::parse_manifest(&json).unwrap();
    assert_eq!(manifest.name, "tiny-lenet");
    assert_eq!(manifest.weights_file, "tiny-lenet.bpk");
    assert_eq!(manifest.weights_bytes, bpk.len() as u64);
    assert_eq!((manifest.epochs, manifest.parameters), (1, 61_706));
    assert_eq!(manifest.test.images, 50);
    assert!(manifest.test.accuracy.is_some() && manifest.test.confusion.is_some());
    assert_eq!(manifest.training["augment"]["translate"], 2.0);
    assert!(
        manifest
            .command
            .starts_with("convlab-train train lenet --epochs 1 --batch-size 16")
            && manifest.command.contains("--seed 5")
            && manifest.command.contains("--translate 2"),
        "{}",
        manifest.command
    );
    let net = convlab_model::load_lenet(&json, &bpk, &device).unwrap();
    let LoadedWeights::Lenet(trained_net) = run.load_model(&device).unwrap().1 else {
        panic!("not LeNet")
    };
    let batch = test.batch(&[0, 1, 2], &device);
    assert_eq!(
        net.forward(batch.images.clone()).into_data(),
        trained_net.forward(batch.images).into_data()
    );
    assert!(convlab_model::load_vae(&json, &bpk, &device).is_err());
    // `eval --weights` reads the pair and scores what the export recorded.
    let (read, model) = convlab_train::eval::load_pair(&exported.manifest_path, &device).unwrap();
    let report = evaluate_model(
        &model,
        &test,
        &device,
        &export_options(false).eval,
        read.epochs,
    )
    .unwrap();
    assert_eq!(report.accuracy, manifest.test.accuracy);
    assert_eq!(report.epochs_trained, 1);

    // A second export of the same name needs --force.
    let err = export(&run, &test, &device, &export_options(false))
        .unwrap_err()
        .to_string();
    assert!(err.contains("--force"), "{err}");
    export(&run, &test, &device, &export_options(true)).unwrap();
}

#[test]
fn a_diverging_loss_stops_cleanly_and_keeps_the_last_good_weights() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(dir.path());
    let splits = splits(64, 0..0);
    train(
        &config(ModelKind::Lenet, 1, 16, 1e-3),
        &splits,
        &run,
        &options(false),
    )
    .unwrap();
    let good_weights = fs::read(run.weights_path()).unwrap();

    // Continue on images poisoned with NaN pixels: the loss of the first batch is NaN.
    let poisoned = Splits {
        train: MnistDataset::from_parts(
            vec![f32::NAN; 64 * IMAGE_PIXELS],
            splits.train.labels().to_vec(),
        )
        .unwrap(),
        validation: splits.validation.clone(),
    };
    let outcome = train(
        &config(ModelKind::Lenet, 3, 16, 1e-3),
        &poisoned,
        &run,
        &options(true),
    )
    .unwrap();
    let TrainOutcome::Diverged {
        divergence,
        kept_epoch,
    } = outcome
    else {
        panic!("expected a divergence, got {outcome:?}")
    };
    assert_eq!(kept_epoch, 1);
    assert_eq!((divergence.epoch, divergence.batch), (2, Some(1)));
    assert!(
        divergence.loss.contains("NaN") || divergence.loss.contains("inf"),
        "{divergence:?}"
    );
    assert_eq!(fs::read(run.weights_path()).unwrap(), good_weights);
    let state = run.read_state().unwrap();
    assert_eq!(
        state,
        TrainState {
            epochs_completed: 1,
            weights: Some("model-1.bpk".into()),
            optimizer: Some("optimizer-1.bpk".into()),
            diverged: Some(divergence)
        }
    );
    assert_eq!(metrics_rows(&run).len(), 1);
    // The kept weights still load and give finite scores.
    let device = Device::flex();
    let (_, model) = run.load_model(&device).unwrap();
    let LoadedWeights::Lenet(net) = model else {
        panic!("not LeNet")
    };
    assert!(
        score(&net, &first(16), 1.0, 16, &device)
            .unwrap()
            .mean_loss()
            .is_finite()
    );
}

#[test]
fn a_diverging_first_epoch_keeps_the_initial_weights() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(dir.path());
    let splits = splits(32, 0..0);
    let outcome = train(
        &config(ModelKind::Vae, 2, 8, 1e6),
        &splits,
        &run,
        &options(false),
    )
    .unwrap();
    assert!(
        matches!(outcome, TrainOutcome::Diverged { kept_epoch: 0, .. }),
        "{outcome:?}"
    );
    assert!(run.load_model(&Device::flex()).is_ok());
}

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_convlab-train"))
}

#[cfg(not(feature = "gpu"))]
#[test]
fn device_gpu_without_the_feature_says_how_to_rebuild() {
    let _serial = serial();
    let output = binary()
        .args(["train", "lenet", "--device", "gpu", "--epochs", "1"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("built without GPU support: rebuild with --features gpu"),
        "{stderr}"
    );
}

#[test]
fn eval_without_a_trained_model_says_what_to_run() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let output = binary()
        .args(["eval", "--device", "cpu", "--model"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("run `convlab-train train vae"), "{stderr}");
}

#[test]
fn export_without_a_trained_model_says_what_to_run() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let output = binary()
        .args(["export", "--device", "cpu", "--name", "x", "--to"])
        .arg(dir.path().join("weights"))
        .arg("--model")
        .arg(dir.path().join("missing"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("run `convlab-train train"), "{stderr}");
    assert!(!dir.path().join("weights").exists(), "nothing written");
}

#[test]
fn help_explains_augmentation_in_the_lecture_terms() {
    let _serial = serial();
    let output = binary().args(["train", "--help"]).output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "--translate",
        "--rotate",
        "--scale",
        "--flip",
        "--noise",
        "6 ≠ 9",
        "denoising autoencoder",
        "CLEAN",
        "never the validation or test images",
    ] {
        assert!(
            help.contains(needle),
            "`train --help` lacks {needle:?}:\n{help}"
        );
    }
}

#[test]
fn help_explains_the_lecture_terms() {
    let _serial = serial();
    let output = binary().args(["train", "--help"]).output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "β",
        "KL",
        "Latent size",
        "test set",
        "validation",
        "--resume",
    ] {
        assert!(
            help.contains(needle),
            "`train --help` lacks {needle:?}:\n{help}"
        );
    }
}
