//! The MNIST digits (LeCun, Cortes & Burges): the four canonical IDX files, loaded as `f32`
//! images in `[0, 1]` with their labels, checked against each other.
//!
//! The files are never downloaded: nothing in convlab reaches the network. Point
//! [`MnistDir`] at a folder holding them (the `MNIST_DIR` environment variable, or a default
//! the caller gives); [`download`] only explains where to put them and how to check them.

use std::path::{Path, PathBuf};

use convlab_kernels::rng::SplitMix64;

use crate::idx::{IdxError, read_idx_images, read_idx_labels};

/// Side of an MNIST image, in pixels.
pub const IMAGE_SIZE: usize = 28;
/// Pixels in one MNIST image (28 × 28).
pub const IMAGE_PIXELS: usize = IMAGE_SIZE * IMAGE_SIZE;
/// Number of classes (the digits 0–9).
pub const NUM_CLASSES: usize = 10;

/// One of the four canonical files, as distributed (gzipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MnistFile {
    /// The distributed name, ending in `.gz`; the same name without `.gz` is read too.
    pub name: &'static str,
    /// SHA-256 of the `.gz` file.
    pub sha256: &'static str,
    /// Size of the `.gz` file in bytes.
    pub bytes: u64,
}

/// The training images (60,000).
pub const TRAIN_IMAGES: MnistFile = MnistFile {
    name: "train-images-idx3-ubyte.gz",
    sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    bytes: 9_912_422,
};
/// The training labels (60,000).
pub const TRAIN_LABELS: MnistFile = MnistFile {
    name: "train-labels-idx1-ubyte.gz",
    sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    bytes: 28_881,
};
/// The test images (10,000).
pub const TEST_IMAGES: MnistFile = MnistFile {
    name: "t10k-images-idx3-ubyte.gz",
    sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    bytes: 1_648_877,
};
/// The test labels (10,000).
pub const TEST_LABELS: MnistFile = MnistFile {
    name: "t10k-labels-idx1-ubyte.gz",
    sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    bytes: 4_542,
};
/// All four files, training first.
pub const FILES: [MnistFile; 4] = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];

/// Which half of the distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// 60,000 training images.
    Train,
    /// 10,000 test images.
    Test,
}

impl Split {
    /// The image and label files of this split.
    pub fn files(self) -> (MnistFile, MnistFile) {
        match self {
            Split::Train => (TRAIN_IMAGES, TRAIN_LABELS),
            Split::Test => (TEST_IMAGES, TEST_LABELS),
        }
    }
}

/// Why MNIST could not be loaded. Every variant names the file or folder.
#[derive(Debug, thiserror::Error)]
pub enum MnistError {
    /// The IDX file itself is unreadable, corrupt or of the wrong kind.
    #[error(transparent)]
    Idx(#[from] IdxError),
    /// A file is in neither its gzipped nor its raw form.
    #[error(
        "MNIST file {file} (or {}) not found in {}; set {} to the folder holding the four files\n{}",
        file.trim_end_matches(".gz"), dir.display(), MnistDir::ENV_VAR, files_to_place()
    )]
    Missing { dir: PathBuf, file: &'static str },
    /// The images are not 28×28.
    #[error("{}: images are {rows}×{cols}, MNIST images are 28×28", file.display())]
    WrongImageSize {
        file: PathBuf,
        rows: usize,
        cols: usize,
    },
    /// A label is not a digit.
    #[error("{}: label {label} at index {index} is not a digit 0–9", file.display())]
    LabelOutOfRange {
        file: PathBuf,
        index: usize,
        label: u8,
    },
    /// The image and label files disagree on the count.
    #[error(
        "{} holds {images} images but {} holds {labels} labels",
        images_file.display(), labels_file.display()
    )]
    CountMismatch {
        images_file: PathBuf,
        images: usize,
        labels_file: PathBuf,
        labels: usize,
    },
    /// Image data whose length is not a whole number of 28×28 images, or that disagrees with
    /// the label count (data built in memory).
    #[error(
        "{pixels} pixel values and {labels} labels do not make whole 28×28 images, one label each"
    )]
    BadParts { pixels: usize, labels: usize },
    /// [`download`] was asked for files that are not there.
    #[error(
        "cannot download MNIST: convlab makes no network requests. Place the four files in {} \
         (or set {} to their folder):\n{}",
        dir.display(), MnistDir::ENV_VAR, files_to_place()
    )]
    DownloadUnavailable { dir: PathBuf },
}

/// The four names with their checksums, in `sha256sum -c` format.
fn files_to_place() -> String {
    let lines: Vec<String> = FILES
        .iter()
        .map(|f| format!("  {}  {}  ({} bytes)", f.sha256, f.name, f.bytes))
        .collect();
    format!(
        "{}\n(SHA-256 of the .gz files; the uncompressed files without .gz work too)",
        lines.join("\n")
    )
}

/// A folder that holds (or should hold) the four MNIST files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MnistDir {
    path: PathBuf,
}

impl MnistDir {
    /// The environment variable that overrides the folder.
    pub const ENV_VAR: &'static str = "MNIST_DIR";

    /// The files in `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The folder named by `MNIST_DIR` when it is set and not empty, else `default`.
    pub fn from_env_or(default: impl Into<PathBuf>) -> Self {
        match std::env::var_os(Self::ENV_VAR) {
            Some(dir) if !dir.is_empty() => Self::new(dir),
            _ => Self::new(default),
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where `file` is: the `.gz` name, else the name without `.gz`.
    pub fn find(&self, file: MnistFile) -> Option<PathBuf> {
        [file.name, file.name.trim_end_matches(".gz")]
            .into_iter()
            .map(|name| self.path.join(name))
            .find(|path| path.is_file())
    }

    /// The distributed names of the files not found.
    pub fn missing(&self) -> Vec<&'static str> {
        FILES
            .iter()
            .filter(|f| self.find(**f).is_none())
            .map(|f| f.name)
            .collect()
    }

    /// Whether all four files are there (they may still be corrupt).
    pub fn is_complete(&self) -> bool {
        self.missing().is_empty()
    }

    /// Loads the 60,000 training images and labels.
    pub fn train(&self) -> Result<MnistDataset, MnistError> {
        self.load(Split::Train)
    }

    /// Loads the 10,000 test images and labels.
    pub fn test(&self) -> Result<MnistDataset, MnistError> {
        self.load(Split::Test)
    }

    /// Loads one split, checking the image size, the labels and that the counts agree.
    pub fn load(&self, split: Split) -> Result<MnistDataset, MnistError> {
        let (images_file, labels_file) = split.files();
        let locate = |file: MnistFile| {
            self.find(file).ok_or_else(|| MnistError::Missing {
                dir: self.path.clone(),
                file: file.name,
            })
        };
        let (images_path, labels_path) = (locate(images_file)?, locate(labels_file)?);

        let images = read_idx_images(&images_path)?;
        let [count, rows, cols] = [images.dims[0], images.dims[1], images.dims[2]];
        if (rows, cols) != (IMAGE_SIZE, IMAGE_SIZE) {
            return Err(MnistError::WrongImageSize {
                file: images_path,
                rows,
                cols,
            });
        }
        let labels = read_idx_labels(&labels_path)?.data;
        if labels.len() != count {
            return Err(MnistError::CountMismatch {
                images_file: images_path,
                images: count,
                labels_file: labels_path,
                labels: labels.len(),
            });
        }
        if let Some((index, &label)) = labels
            .iter()
            .enumerate()
            .find(|(_, l)| usize::from(**l) >= NUM_CLASSES)
        {
            return Err(MnistError::LabelOutOfRange {
                file: labels_path,
                index,
                label,
            });
        }
        Ok(MnistDataset {
            images: images.data.iter().map(|&v| f32::from(v) / 255.0).collect(),
            labels,
        })
    }
}

/// Returns the folder when all four files are already there; otherwise an error telling the
/// user which files to place there and their checksums. There is no HTTP client here on
/// purpose: convlab makes no network requests.
pub fn download(dir: impl Into<PathBuf>) -> Result<MnistDir, MnistError> {
    let dir = MnistDir::new(dir);
    if dir.is_complete() {
        Ok(dir)
    } else {
        Err(MnistError::DownloadUnavailable { dir: dir.path })
    }
}

/// MNIST images as `f32` in `[0, 1]` (ink high), with their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct MnistDataset {
    /// `len() × 784` values, image after image, row-major.
    images: Vec<f32>,
    /// One digit 0–9 per image.
    labels: Vec<u8>,
}

impl MnistDataset {
    /// A dataset from images already in memory (`len × 784` values in `[0, 1]`) and labels.
    pub fn from_parts(images: Vec<f32>, labels: Vec<u8>) -> Result<Self, MnistError> {
        if images.len() != labels.len() * IMAGE_PIXELS {
            return Err(MnistError::BadParts {
                pixels: images.len(),
                labels: labels.len(),
            });
        }
        Ok(Self { images, labels })
    }

    /// The images (`len × 784` values) and labels, given back without a copy.
    pub fn into_parts(self) -> (Vec<f32>, Vec<u8>) {
        (self.images, self.labels)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// All pixel values, image after image.
    pub fn images(&self) -> &[f32] {
        &self.images
    }

    /// All labels.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The 784 pixels of image `index`, or `None` past the end.
    pub fn image(&self, index: usize) -> Option<&[f32]> {
        let start = index.checked_mul(IMAGE_PIXELS)?;
        self.images.get(start..start.checked_add(IMAGE_PIXELS)?)
    }

    /// The label of image `index`, or `None` past the end.
    pub fn label(&self, index: usize) -> Option<u8> {
        self.labels.get(index).copied()
    }

    /// How many images of each digit.
    pub fn class_counts(&self) -> [usize; NUM_CLASSES] {
        let mut counts = [0; NUM_CLASSES];
        for &label in &self.labels {
            if let Some(count) = counts.get_mut(usize::from(label)) {
                *count += 1;
            }
        }
        counts
    }

    /// The images at `indices`, in that order; indices past the end are skipped.
    pub fn select(&self, indices: &[usize]) -> Self {
        let mut images = Vec::with_capacity(indices.len() * IMAGE_PIXELS);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            if let (Some(image), Some(label)) = (self.image(i), self.label(i)) {
                images.extend_from_slice(image);
                labels.push(label);
            }
        }
        Self { images, labels }
    }

    /// Splits off a validation set of `validation_len` images (at most all of them), chosen by
    /// a seeded shuffle: the same seed gives the same split on every machine. Returns
    /// `(train, validation)`; each keeps the original order of its images.
    pub fn split(&self, validation_len: usize, seed: u64) -> (Self, Self) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        let mut rng = SplitMix64::new(seed);
        // Fisher–Yates; the multiply-shift maps 64 random bits onto 0..=i.
        for i in (1..order.len()).rev() {
            let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
            order.swap(i, j);
        }
        let validation_len = validation_len.min(order.len());
        let (validation, train) = order.split_at_mut(validation_len);
        validation.sort_unstable();
        train.sort_unstable();
        (self.select(train), self.select(validation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::{encode_idx, gzip, write_idx};

    /// Writes a complete small "MNIST" of `count` 28×28 images per split into `dir`.
    fn write_fake_mnist(dir: &Path, count: usize, compress: bool) {
        let pixels: Vec<u8> = (0..count * IMAGE_PIXELS).map(|i| (i % 256) as u8).collect();
        let labels: Vec<u8> = (0..count).map(|i| (i % 10) as u8).collect();
        for (images_file, labels_file) in [Split::Train.files(), Split::Test.files()] {
            let name = |f: MnistFile| {
                if compress {
                    f.name.to_string()
                } else {
                    f.name.trim_end_matches(".gz").to_string()
                }
            };
            write_idx(
                dir.join(name(images_file)),
                &[count, 28, 28],
                &pixels,
                compress,
            )
            .unwrap();
            write_idx(dir.join(name(labels_file)), &[count], &labels, compress).unwrap();
        }
    }

    #[test]
    fn loads_a_small_fake_mnist_gzipped_or_raw() {
        for compress in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            write_fake_mnist(dir.path(), 12, compress);
            let mnist = MnistDir::new(dir.path());
            assert!(mnist.is_complete());
            let train = mnist.train().unwrap();
            assert_eq!(train.len(), 12);
            assert_eq!(train.images().len(), 12 * IMAGE_PIXELS);
            assert_eq!(train.image(0).unwrap()[255], 1.0);
            assert_eq!(train.image(0).unwrap()[1], 1.0 / 255.0);
            assert_eq!(train.label(11), Some(1));
            assert_eq!(train.class_counts()[0], 2);
            assert_eq!(mnist.test().unwrap().len(), 12);
        }
    }

    #[test]
    fn missing_files_are_named_and_download_explains() {
        let dir = tempfile::tempdir().unwrap();
        let mnist = MnistDir::new(dir.path());
        assert_eq!(mnist.missing().len(), 4);
        let text = mnist.train().unwrap_err().to_string();
        assert!(
            text.contains("train-images-idx3-ubyte.gz") && text.contains(MnistDir::ENV_VAR),
            "{text}"
        );

        let text = download(dir.path()).unwrap_err().to_string();
        assert!(text.contains("no network"), "{text}");
        for file in FILES {
            assert!(
                text.contains(file.name) && text.contains(file.sha256),
                "{text}"
            );
        }
        write_fake_mnist(dir.path(), 1, true);
        assert!(download(dir.path()).is_ok());
    }

    #[test]
    fn wrong_image_size_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write_fake_mnist(dir.path(), 2, true);
        let path = dir.path().join(TRAIN_IMAGES.name);
        write_idx(&path, &[2, 27, 28], &vec![0; 2 * 27 * 28], true).unwrap();
        let err = MnistDir::new(dir.path()).train().unwrap_err();
        assert!(
            matches!(
                err,
                MnistError::WrongImageSize {
                    rows: 27,
                    cols: 28,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains(TRAIN_IMAGES.name));
    }

    #[test]
    fn count_mismatch_names_both_files() {
        let dir = tempfile::tempdir().unwrap();
        write_fake_mnist(dir.path(), 3, true);
        write_idx(dir.path().join(TEST_LABELS.name), &[2], &[1, 2], true).unwrap();
        let text = MnistDir::new(dir.path()).test().unwrap_err().to_string();
        assert!(
            text.contains(TEST_IMAGES.name) && text.contains(TEST_LABELS.name),
            "{text}"
        );
        assert!(
            text.contains("3 images") && text.contains("2 labels"),
            "{text}"
        );
    }

    #[test]
    fn labels_beyond_9_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        write_fake_mnist(dir.path(), 3, true);
        write_idx(dir.path().join(TEST_LABELS.name), &[3], &[1, 12, 2], true).unwrap();
        let err = MnistDir::new(dir.path()).test().unwrap_err();
        assert!(
            matches!(
                err,
                MnistError::LabelOutOfRange {
                    index: 1,
                    label: 12,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn truncated_and_corrupt_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write_fake_mnist(dir.path(), 3, true);
        let images = dir.path().join(TRAIN_IMAGES.name);
        // Header says 3 images, data holds 2.
        std::fs::write(
            &images,
            gzip(&encode_idx(&[3, 28, 28], &vec![0; 2 * IMAGE_PIXELS])),
        )
        .unwrap();
        let text = MnistDir::new(dir.path()).train().unwrap_err().to_string();
        assert!(
            text.contains(TRAIN_IMAGES.name) && text.contains("truncated"),
            "{text}"
        );
        // Not gzip, not IDX.
        std::fs::write(&images, b"<html>404 Not Found</html>").unwrap();
        let text = MnistDir::new(dir.path()).train().unwrap_err().to_string();
        assert!(
            text.contains(TRAIN_IMAGES.name) && text.contains("bad magic"),
            "{text}"
        );
    }

    #[test]
    fn env_var_overrides_the_default() {
        // Only reads the variable; whatever it holds, the result is one of the two.
        let dir = MnistDir::from_env_or("/default/mnist");
        match std::env::var_os(MnistDir::ENV_VAR) {
            Some(v) if !v.is_empty() => assert_eq!(dir.path(), Path::new(&v)),
            _ => assert_eq!(dir.path(), Path::new("/default/mnist")),
        }
    }

    #[test]
    fn split_is_seeded_disjoint_and_complete() {
        let images: Vec<f32> = (0..20)
            .flat_map(|i| vec![i as f32 / 20.0; IMAGE_PIXELS])
            .collect();
        let labels: Vec<u8> = (0..20).map(|i| (i % 10) as u8).collect();
        let data = MnistDataset::from_parts(images, labels).unwrap();
        let (train, validation) = data.split(5, 42);
        assert_eq!((train.len(), validation.len()), (15, 5));
        let ids = |d: &MnistDataset| -> Vec<u32> {
            (0..d.len())
                .map(|i| (d.image(i).unwrap()[0] * 20.0).round() as u32)
                .collect()
        };
        let mut all = [ids(&train), ids(&validation)].concat();
        all.sort_unstable();
        assert_eq!(all, (0..20).collect::<Vec<_>>());
        assert_eq!(data.split(5, 42), (train.clone(), validation.clone()));
        assert_ne!(ids(&data.split(5, 43).1), ids(&validation));
        assert_eq!(data.split(100, 1).1.len(), 20);
    }

    #[test]
    fn parts_must_agree() {
        assert!(MnistDataset::from_parts(vec![0.0; 10], vec![1]).is_err());
        assert!(MnistDataset::from_parts(vec![0.5; 2 * IMAGE_PIXELS], vec![3, 4]).is_ok());
    }
}
