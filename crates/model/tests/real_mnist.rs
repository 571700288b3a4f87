//! The real MNIST files, when this machine has them: `MNIST_DIR`, else the shared data folder
//! beside the workspace. Without them the tests print why and pass, so a fresh clone with no
//! data still tests cleanly. The files are never copied into the repository.
#![allow(clippy::unwrap_used)]

use convlab_digits::mnist::{MnistDir, Split, TEST_LABELS, TRAIN_IMAGES};
use convlab_digits::preprocess::{centre_of_mass, ink_bounding_box};
use convlab_digits::{IMAGE_PIXELS, IMAGE_SIZE};
use convlab_model::Batches;
use convlab_model::{VaeConfig, bce_with_logits};

/// `MNIST_DIR`, else `<workspace>/../shared/data/mnist`.
fn mnist_dir() -> Option<MnistDir> {
    let dir = MnistDir::from_env_or(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/mnist"
    ));
    if dir.is_complete() {
        Some(dir)
    } else {
        println!(
            "skipped: MNIST files {:?} not found in {} (set {} to their folder)",
            dir.missing(),
            dir.path().display(),
            MnistDir::ENV_VAR
        );
        None
    }
}

#[test]
fn real_mnist_loads_with_canonical_counts() {
    let Some(dir) = mnist_dir() else { return };
    assert!(dir.find(TRAIN_IMAGES).is_some() && dir.find(TEST_LABELS).is_some());

    let train = dir.load(Split::Train).unwrap();
    assert_eq!(train.len(), 60_000);
    assert_eq!(train.images().len(), 60_000 * IMAGE_PIXELS);
    assert_eq!(
        train.class_counts(),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
        "training label distribution from the MNIST documentation"
    );
    assert_eq!(
        train.label(0),
        Some(5),
        "the famous first training digit is a 5"
    );

    let test = dir.load(Split::Test).unwrap();
    assert_eq!(test.len(), 10_000);
    assert_eq!(test.class_counts().iter().sum::<usize>(), 10_000);
    assert_eq!(test.label(0), Some(7));

    assert!(train.images().iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(train.images().contains(&1.0) && train.images().contains(&0.0));
}

#[test]
fn real_digits_are_already_in_the_preprocessed_layout() {
    // What `preprocess` imitates: MNIST digits fit a 20×20 box with their centre of mass near
    // the centre. LeCun centred by whole pixels, so allow a little more than half a pixel.
    let Some(dir) = mnist_dir() else { return };
    let test = dir.test().unwrap();
    for i in 0..200 {
        let image = test.image(i).unwrap();
        let (r, c) = centre_of_mass(image, IMAGE_SIZE).unwrap();
        assert!(
            (r - 14.0).abs() < 1.5 && (c - 14.0).abs() < 1.5,
            "image {i}: ({r}, {c})"
        );
        let ink = ink_bounding_box(image, IMAGE_SIZE, 0.0).unwrap();
        assert!(ink.rows <= 20 && ink.cols <= 20, "image {i}: {ink:?}");
    }
}

#[test]
fn an_untrained_vae_runs_on_a_real_batch() {
    let Some(dir) = mnist_dir() else { return };
    let device = burn::tensor::Device::flex();
    let (_, validation) = dir.test().unwrap().split(8, 1);
    let batch = validation.batch(&(0..8).collect::<Vec<_>>(), &device);
    let vae = VaeConfig::new().init(&device);
    let out = vae.forward(batch.images.clone());
    assert_eq!(out.logits.dims(), [8, 1, 28, 28]);
    let bce = bce_with_logits(out.logits, batch.images).into_scalar::<f32>();
    // Near ln 2 per pixel before training (logits near 0).
    assert!(bce.is_finite() && bce > 100.0 && bce < 2000.0, "{bce}");
}
