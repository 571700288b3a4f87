//! Where the MNIST files are, and the training and validation sets cut from them. The
//! mini-batches themselves are `convlab-learn`'s.

use std::path::PathBuf;

use anyhow::{Result, bail};
use convlab_digits::{MnistDataset, MnistDir};

/// Where the MNIST files are when neither `--mnist-dir` nor `MNIST_DIR` says:
/// `../shared/data/mnist` beside the workspace.
pub fn default_mnist_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/mnist"
    ))
}

/// `--mnist-dir`, else `MNIST_DIR`, else [`default_mnist_dir`].
pub fn mnist_dir(flag: Option<PathBuf>) -> MnistDir {
    match flag {
        Some(dir) => MnistDir::new(dir),
        None => MnistDir::from_env_or(default_mnist_dir()),
    }
}

/// The validation size when `--validation` is not given: one twelfth of the images
/// (5,000 of MNIST's 60,000).
pub fn default_validation(images: usize) -> usize {
    images / 12
}

/// Training and validation images.
#[derive(Clone, Debug)]
pub struct Splits {
    /// What the optimiser sees.
    pub train: MnistDataset,
    /// Held out, scored after each epoch.
    pub validation: MnistDataset,
}

/// Keeps the first `limit` images of `all`, then carves `validation` of them out by `seed`.
pub fn split(
    all: &MnistDataset,
    limit: Option<usize>,
    validation: Option<usize>,
    seed: u64,
) -> Result<Splits> {
    let limited = match limit {
        Some(n) if n < all.len() => all.select(&(0..n).collect::<Vec<_>>()),
        _ => all.clone(),
    };
    let validation = validation.unwrap_or_else(|| default_validation(limited.len()));
    if validation >= limited.len() {
        bail!(
            "--validation {validation} leaves no training images out of {}; ask for fewer",
            limited.len()
        );
    }
    let (train, validation) = limited.split(validation, seed);
    Ok(Splits { train, validation })
}

#[cfg(test)]
mod tests {
    use super::*;
    use convlab_digits::IMAGE_PIXELS;

    fn dataset(n: usize) -> MnistDataset {
        MnistDataset::from_parts(vec![0.0; n * IMAGE_PIXELS], vec![1; n]).unwrap()
    }

    #[test]
    fn limit_then_validation() {
        let splits = split(&dataset(100), Some(40), Some(10), 1).unwrap();
        assert_eq!((splits.train.len(), splits.validation.len()), (30, 10));
        let splits = split(&dataset(120), None, None, 1).unwrap();
        assert_eq!(splits.validation.len(), 10);
        assert!(split(&dataset(10), None, Some(10), 1).is_err());
    }
}
