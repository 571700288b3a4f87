//! Real MNIST in the browser: the four canonical IDX files, given by the user (a file input or
//! a drop), kept in the browser's Cache Storage for the next visit, or served beside the page
//! by `cargo xtask serve` with `MNIST_DIR` set (`mnist/<canonical name>`).
//!
//! [`MnistStore`] is the pure part: it takes `(file name, bytes)` pairs, parses each with
//! [`parse_idx`] (gzipped or raw) and recognises which of the four files it is **by its
//! content**: the magic number says images (2051) or labels (2049); the count says training
//! (60,000) or test (10,000). A file whose count is neither — a small set made for a test, a
//! subset — is taken as **training** data when its name contains `train`, and as the **test
//! set** otherwise; so any consistent pair of images and labels can stand in for the test set.
//! Images and labels of one split must agree in count. A bad file is rejected with a sentence
//! that names it, and never replaces what is already loaded.
//!
//! The browser part ([`use_mnist`], [`load_files`], [`forget`]) holds one store for the whole
//! app. On first use it restores the files kept in Cache Storage, then fetches the canonical
//! files still missing from `mnist/` beside the page (once; a 404 or the dev server's HTML
//! fallback is silent). The test set is handed to the pages as an [`MnistDataset`].

mod browser;

use convlab_digits::idx::{IMAGES_MAGIC, LABELS_MAGIC, parse_idx};
use convlab_digits::mnist::{
    MnistFile, NUM_CLASSES, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS,
};
use convlab_digits::{IMAGE_SIZE, MnistDataset};

pub use self::browser::{MnistHandle, forget, load_files, reload, use_mnist};

/// Images in the canonical training files.
pub const TRAIN_COUNT: usize = 60_000;
/// Images in the canonical test files.
pub const TEST_COUNT: usize = 10_000;

/// One of the four canonical files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    TrainImages,
    TrainLabels,
    TestImages,
    TestLabels,
}

impl Slot {
    /// All four, training first (the order of [`FILES`]).
    pub const ALL: [Slot; 4] = [
        Slot::TrainImages,
        Slot::TrainLabels,
        Slot::TestImages,
        Slot::TestLabels,
    ];

    /// The canonical file this slot holds.
    pub fn file(self) -> MnistFile {
        match self {
            Slot::TrainImages => TRAIN_IMAGES,
            Slot::TrainLabels => TRAIN_LABELS,
            Slot::TestImages => TEST_IMAGES,
            Slot::TestLabels => TEST_LABELS,
        }
    }

    fn index(self) -> usize {
        match self {
            Slot::TrainImages => 0,
            Slot::TrainLabels => 1,
            Slot::TestImages => 2,
            Slot::TestLabels => 3,
        }
    }

    /// The other file of the same split.
    fn partner(self) -> Slot {
        match self {
            Slot::TrainImages => Slot::TrainLabels,
            Slot::TrainLabels => Slot::TrainImages,
            Slot::TestImages => Slot::TestLabels,
            Slot::TestLabels => Slot::TestImages,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Slot::TrainImages => "the training images",
            Slot::TrainLabels => "the training labels",
            Slot::TestImages => "the test images",
            Slot::TestLabels => "the test labels",
        }
    }
}

/// A file recognised as one of the four.
#[derive(Clone, Debug, PartialEq)]
pub struct Recognised {
    pub slot: Slot,
    /// The name it was given under.
    pub name: String,
    /// Images or labels it holds.
    pub count: usize,
    /// The values (pixels or labels); kept for the test set only, empty for training files
    /// (the pages use only the test set, and 47 MB of training pixels would just sit there).
    values: Vec<u8>,
}

/// Parses `bytes` (gzipped or raw IDX) and says which canonical file they are; see the module
/// documentation for the rule. Errors are sentences naming `name`.
pub fn recognise(name: &str, bytes: &[u8]) -> Result<Recognised, String> {
    let array = parse_idx(bytes, name).map_err(|e| format!("{e}."))?;
    let count = array.dims.first().copied().unwrap_or(0);
    let images = match array.magic() {
        IMAGES_MAGIC => {
            let (rows, cols) = (array.dims[1], array.dims[2]);
            if (rows, cols) != (IMAGE_SIZE, IMAGE_SIZE) {
                return Err(format!(
                    "{name}: images are {rows}×{cols}, MNIST images are 28×28."
                ));
            }
            true
        }
        LABELS_MAGIC => {
            if let Some((index, label)) = array
                .data
                .iter()
                .enumerate()
                .find(|(_, l)| usize::from(**l) >= NUM_CLASSES)
            {
                return Err(format!(
                    "{name}: label {label} at index {index} is not a digit 0–9."
                ));
            }
            false
        }
        _ => {
            return Err(format!(
                "{name}: an IDX file with {} dimensions {:?}; MNIST files hold images \
                 (magic number 2051: count × 28 × 28) or labels (2049: count).",
                array.dims.len(),
                array.dims
            ));
        }
    };
    if count == 0 {
        return Err(format!("{name}: the file holds no {}.", kind(images)));
    }
    let test = match count {
        TRAIN_COUNT => false,
        TEST_COUNT => true,
        _ => !name.to_ascii_lowercase().contains("train"),
    };
    let slot = match (test, images) {
        (false, true) => Slot::TrainImages,
        (false, false) => Slot::TrainLabels,
        (true, true) => Slot::TestImages,
        (true, false) => Slot::TestLabels,
    };
    let values = if test { array.data } else { Vec::new() };
    Ok(Recognised {
        slot,
        name: name.to_string(),
        count,
        values,
    })
}

fn kind(images: bool) -> &'static str {
    if images { "images" } else { "labels" }
}

/// What [`MnistStore::add_files`] did.
#[derive(Debug, Default)]
pub struct Added {
    /// The files taken, with the bytes they came as (to keep them for the next visit).
    pub accepted: Vec<(Slot, Vec<u8>)>,
    /// One sentence per file that was not taken.
    pub errors: Vec<String>,
}

/// The loaded files, at most one per canonical slot.
#[derive(Debug, Default)]
pub struct MnistStore {
    slots: [Option<Recognised>; 4],
}

impl MnistStore {
    /// The file in `slot`, if one is loaded.
    pub fn get(&self, slot: Slot) -> Option<&Recognised> {
        self.slots[slot.index()].as_ref()
    }

    /// Whether nothing is loaded.
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// Recognises and checks each file, then takes the good ones. With `replace` unset, a file
    /// for a slot already filled is skipped (restoring a stored copy never overrides a newer
    /// drop). A file that is corrupt, of the wrong kind, or whose count disagrees with its
    /// partner (the other file of its split: new in the same batch, or already loaded) is
    /// rejected; what was loaded stays.
    pub fn add_files(&mut self, files: Vec<(String, Vec<u8>)>, replace: bool) -> Added {
        let mut added = Added::default();
        let mut candidates: [Option<(Recognised, Vec<u8>)>; 4] = Default::default();
        for (name, bytes) in files {
            match recognise(&name, &bytes) {
                Ok(file) => {
                    let slot = file.slot;
                    if replace || self.get(slot).is_none() {
                        candidates[slot.index()] = Some((file, bytes));
                    }
                }
                Err(e) => added.errors.push(e),
            }
        }
        // Counts of images and labels must agree, split by split.
        for images in [Slot::TrainImages, Slot::TestImages] {
            let labels = images.partner();
            let new_i = candidates[images.index()].as_ref().map(|(f, _)| f);
            let new_l = candidates[labels.index()].as_ref().map(|(f, _)| f);
            let eff_i = new_i.or(self.get(images));
            let eff_l = new_l.or(self.get(labels));
            let (Some(i), Some(l)) = (eff_i, eff_l) else {
                continue;
            };
            if i.count == l.count {
                continue;
            }
            let clash = format!(
                "{} holds {} images but {} holds {} labels",
                i.name,
                thousands(i.count),
                l.name,
                thousands(l.count)
            );
            let reject: Vec<Slot> = match (new_i.is_some(), new_l.is_some()) {
                (true, true) => {
                    added.errors.push(format!(
                        "{clash}: they do not belong together; neither was loaded."
                    ));
                    vec![images, labels]
                }
                (true, false) => {
                    added.errors.push(format!(
                        "{clash} (already loaded): {} was not loaded.",
                        i.name
                    ));
                    vec![images]
                }
                _ => {
                    added.errors.push(format!(
                        "{clash} (already loaded): {} was not loaded.",
                        l.name
                    ));
                    vec![labels]
                }
            };
            for slot in reject {
                candidates[slot.index()] = None;
            }
        }
        for (slot, candidate) in Slot::ALL.into_iter().zip(candidates) {
            if let Some((file, bytes)) = candidate {
                self.slots[slot.index()] = Some(file);
                added.accepted.push((slot, bytes));
            }
        }
        added
    }

    /// Forgets every file.
    pub fn clear(&mut self) {
        self.slots = Default::default();
    }

    /// The test set, once both of its files are loaded.
    pub fn test_set(&self) -> Option<Result<MnistDataset, String>> {
        self.dataset(Slot::TestImages)
    }

    /// The training set, once both of its files are loaded.
    pub fn train_set(&self) -> Option<Result<MnistDataset, String>> {
        self.dataset(Slot::TrainImages)
    }

    fn dataset(&self, images: Slot) -> Option<Result<MnistDataset, String>> {
        let labels = self.get(images.partner())?;
        let images = self.get(images)?;
        let pixels = images
            .values
            .iter()
            .map(|&v| f32::from(v) / 255.0)
            .collect();
        Some(MnistDataset::from_parts(pixels, labels.values.clone()).map_err(|e| e.to_string()))
    }

    /// One line on what is loaded, e.g. `MNIST test set: 10,000 images.`
    pub fn status(&self) -> String {
        if self.is_empty() {
            return "No MNIST files loaded: the pages use synthetic digits.".to_string();
        }
        let split = |images: Slot, title: &str| -> Option<String> {
            let labels = images.partner();
            match (self.get(images), self.get(labels)) {
                (Some(i), Some(_)) => Some(format!("{title}: {} images.", thousands(i.count))),
                (Some(_), None) | (None, Some(_)) => {
                    let missing = if self.get(images).is_some() {
                        labels
                    } else {
                        images
                    };
                    Some(format!(
                        "{title}: {} ({}) still needed.",
                        missing.describe(),
                        missing.file().name
                    ))
                }
                (None, None) => None,
            }
        };
        [
            split(Slot::TestImages, "MNIST test set"),
            split(Slot::TrainImages, "MNIST training set"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// `10000` as `10,000` (any whole number: a count of images, of weights, …).
pub fn thousands(n: impl std::fmt::Display) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use convlab_digits::IMAGE_PIXELS;
    use convlab_digits::idx::{encode_idx, gzip};
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn images(count: usize) -> Vec<u8> {
        let pixels: Vec<u8> = (0..count * IMAGE_PIXELS).map(|i| (i % 251) as u8).collect();
        gzip(&encode_idx(&[count, 28, 28], &pixels))
    }

    fn labels(count: usize) -> Vec<u8> {
        let labels: Vec<u8> = (0..count).map(|i| (i % 10) as u8).collect();
        gzip(&encode_idx(&[count], &labels))
    }

    fn file(name: &str, bytes: Vec<u8>) -> (String, Vec<u8>) {
        (name.to_string(), bytes)
    }

    #[test]
    fn files_are_recognised_by_content_not_name() {
        // Swapped names: the magic number decides images against labels.
        let f = recognise("t10k-labels-idx1-ubyte.gz", &images(12)).unwrap();
        assert_eq!((f.slot, f.count), (Slot::TestImages, 12));
        let f = recognise("whatever.gz", &labels(12)).unwrap();
        assert_eq!(f.slot, Slot::TestLabels);
        // A non-canonical count: the name says training or (by default) test.
        assert_eq!(
            recognise("my-train-labels.gz", &labels(12)).unwrap().slot,
            Slot::TrainLabels
        );
        // The canonical test count is the test set whatever the name.
        let ten_k = gzip(&encode_idx(&[TEST_COUNT], &vec![3; TEST_COUNT]));
        assert_eq!(
            recognise("train-labels-idx1-ubyte.gz", &ten_k)
                .unwrap()
                .slot,
            Slot::TestLabels
        );
        let sixty_k = gzip(&encode_idx(&[TRAIN_COUNT], &vec![3; TRAIN_COUNT]));
        let f = recognise("t10k-labels.gz", &sixty_k).unwrap();
        assert_eq!(f.slot, Slot::TrainLabels);
        assert!(f.values.is_empty(), "training values are not kept");
        // Raw (not gzipped) files are read too.
        let raw = encode_idx(&[2], &[1, 2]);
        assert_eq!(recognise("labels", &raw).unwrap().count, 2);
    }

    #[test]
    fn bad_files_are_sentences_naming_the_file() {
        let mut cut = images(3);
        cut.truncate(cut.len() / 2);
        let err = recognise("t10k-images-idx3-ubyte.gz", &cut).unwrap_err();
        assert!(err.contains("t10k-images-idx3-ubyte.gz"), "{err}");
        let err = recognise("notes.txt.gz", b"hello, not IDX").unwrap_err();
        assert!(
            err.contains("notes.txt.gz") && err.contains("bad magic"),
            "{err}"
        );
        let err = recognise(
            "small.gz",
            &gzip(&encode_idx(&[2, 27, 28], &[0; 2 * 27 * 28])),
        )
        .unwrap_err();
        assert!(err.contains("27×28"), "{err}");
        let err = recognise("labels.gz", &gzip(&encode_idx(&[2], &[1, 12]))).unwrap_err();
        assert!(err.contains("label 12 at index 1"), "{err}");
        let err = recognise("matrix.gz", &gzip(&encode_idx(&[2, 2], &[0; 4]))).unwrap_err();
        assert!(err.contains("2051"), "{err}");
        let err = recognise("none.gz", &gzip(&encode_idx(&[0], &[]))).unwrap_err();
        assert!(err.contains("no labels"), "{err}");
    }

    #[test]
    fn a_test_pair_becomes_a_dataset_and_a_status() {
        let mut store = MnistStore::default();
        assert!(store.status().contains("synthetic"));
        let added = store.add_files(vec![file("a.gz", images(30))], true);
        assert!(added.errors.is_empty());
        assert!(store.test_set().is_none());
        assert!(
            store.status().contains("t10k-labels-idx1-ubyte.gz"),
            "{}",
            store.status()
        );
        store.add_files(vec![file("b.gz", labels(30))], true);
        let set = store.test_set().unwrap().unwrap();
        assert_eq!(set.len(), 30);
        assert_eq!(set.label(13), Some(3));
        assert_eq!(set.image(0).unwrap()[250], 250.0 / 255.0);
        assert_eq!(store.status(), "MNIST test set: 30 images.");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(60_000_000), "60,000,000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn bad_or_mismatched_files_keep_what_is_loaded() {
        let mut store = MnistStore::default();
        store.add_files(
            vec![file("i.gz", images(30)), file("l.gz", labels(30))],
            true,
        );
        let before = store.test_set().unwrap().unwrap();

        // A corrupt file: an error naming it; the set stays.
        let mut cut = labels(30);
        cut.truncate(12);
        let added = store.add_files(vec![file("cut-labels.gz", cut)], true);
        assert!(added.accepted.is_empty());
        assert!(
            added.errors[0].contains("cut-labels.gz"),
            "{:?}",
            added.errors
        );
        // Labels that disagree with the loaded images: rejected, naming both.
        let added = store.add_files(vec![file("l20.gz", labels(20))], true);
        assert!(added.accepted.is_empty());
        let err = &added.errors[0];
        assert!(
            err.contains("i.gz") && err.contains("l20.gz") && err.contains("20 labels"),
            "{err}"
        );
        assert_eq!(store.test_set().unwrap().unwrap(), before);
        // A new, consistent pair replaces the old one.
        let added = store.add_files(
            vec![file("l20.gz", labels(20)), file("i20.gz", images(20))],
            true,
        );
        assert_eq!(added.accepted.len(), 2);
        assert_eq!(store.test_set().unwrap().unwrap().len(), 20);
        // A new pair that disagrees with itself: neither is taken.
        let added = store.add_files(
            vec![file("i5.gz", images(5)), file("l6.gz", labels(6))],
            true,
        );
        assert!(added.errors[0].contains("neither"), "{:?}", added.errors);
        assert_eq!(store.test_set().unwrap().unwrap().len(), 20);
    }

    #[test]
    fn restoring_never_overrides_a_loaded_file() {
        let mut store = MnistStore::default();
        store.add_files(
            vec![file("i.gz", images(30)), file("l.gz", labels(30))],
            true,
        );
        let added = store.add_files(
            vec![
                file(TEST_IMAGES.name, images(5)),
                file("train-labels.gz", labels(7)),
            ],
            false,
        );
        assert_eq!(added.accepted.len(), 1);
        assert_eq!(added.accepted[0].0, Slot::TrainLabels);
        assert_eq!(store.get(Slot::TestImages).unwrap().count, 30);
        assert!(
            store.status().contains("training images"),
            "{}",
            store.status()
        );
        store.clear();
        assert!(store.is_empty());
    }
}
