//! Scoring a model on a whole dataset without gradients, and the confusion matrix of a
//! classifier.

use burn::tensor::Device;
use convlab_digits::MnistDataset;
use convlab_model::Batches;

use crate::objective::{Objective, Totals};

/// A model's score on a dataset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Score {
    /// Per-image sums.
    pub totals: Totals,
    /// The class given to each image, in the dataset's order (a classifier; else empty).
    pub predicted: Vec<u8>,
}

/// Scores `model` on all of `data`, `batch_size` images at a time, reading each batch's
/// numbers back asynchronously (natively, `block_on` it). The VAE draws its noise from
/// `device`'s generator: seed it first for a repeatable score. With `predictions`, the class
/// given to each image is read too.
pub async fn score<M: Objective>(
    model: &M,
    data: &MnistDataset,
    beta: f64,
    batch_size: usize,
    device: &Device,
    predictions: bool,
) -> Result<Score, String> {
    let mut score = Score::default();
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(batch_size.max(1)) {
        let batch = data.batch(chunk, device);
        let losses = model.losses(batch.images, batch.labels, beta);
        score.totals.add(chunk.len(), losses.read(None).await?);
        if predictions {
            score.predicted.extend(losses.read_predicted().await?);
        }
    }
    Ok(score)
}

/// The `classes × classes` confusion matrix, row-major: row = true class, column = class
/// given. Pairs with a class out of range are left out.
pub fn confusion(labels: &[u8], predicted: &[u8], classes: usize) -> Vec<u32> {
    let mut counts = vec![0u32; classes * classes];
    for (&truth, &given) in labels.iter().zip(predicted) {
        let (truth, given) = (usize::from(truth), usize::from(given));
        if truth < classes && given < classes {
            counts[truth * classes + given] += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_counts_rows_by_truth() {
        let _serial = crate::test_support::serial();
        let m = confusion(&[6, 6, 9, 9, 1], &[6, 9, 6, 9, 1], 10);
        assert_eq!(m.iter().sum::<u32>(), 5);
        assert_eq!(m[6 * 10 + 6], 1);
        assert_eq!(m[6 * 10 + 9], 1);
        assert_eq!(m[9 * 10 + 6], 1);
        assert_eq!(m[9 * 10 + 9], 1);
        assert_eq!(m[10 + 1], 1);
        assert_eq!(confusion(&[12], &[1], 10).iter().sum::<u32>(), 0);
    }
}
