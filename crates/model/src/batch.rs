//! MNIST images as the tensors a model reads: the one place where the plain digits of
//! `convlab-digits` become Burn tensors.

use burn::tensor::{Device, Int, Tensor, TensorData};
use convlab_digits::{IMAGE_SIZE, MnistDataset};

/// A batch ready for a model.
#[derive(Clone, Debug)]
pub struct MnistBatch {
    /// `[batch, 1, 28, 28]`, values in `[0, 1]`.
    pub images: Tensor<4>,
    /// `[batch]`, digits 0–9.
    pub labels: Tensor<1, Int>,
}

/// Cuts tensor batches out of a dataset.
pub trait Batches {
    /// The images at `indices` as tensors on `device`; indices past the end are skipped.
    ///
    /// # Shapes
    /// - images: `[batch, 1, 28, 28]`
    /// - labels: `[batch]`
    fn batch(&self, indices: &[usize], device: &Device) -> MnistBatch;
}

impl Batches for MnistDataset {
    fn batch(&self, indices: &[usize], device: &Device) -> MnistBatch {
        let (images, labels) = self.select(indices).into_parts();
        let n = labels.len();
        let labels: Vec<i64> = labels.into_iter().map(i64::from).collect();
        MnistBatch {
            images: Tensor::from_data(
                TensorData::new(images, [n, 1, IMAGE_SIZE, IMAGE_SIZE]),
                device,
            ),
            labels: Tensor::from_data(TensorData::new(labels, [n]), device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use convlab_digits::IMAGE_PIXELS;

    #[test]
    fn batch_tensors_have_model_shapes() {
        let images: Vec<f32> = vec![0.5; 3 * IMAGE_PIXELS];
        let data = MnistDataset::from_parts(images, vec![7, 8, 9]).unwrap();
        let batch = data.batch(&[2, 0, 99], &Device::flex());
        assert_eq!(batch.images.dims(), [2, 1, 28, 28]);
        assert_eq!(
            batch
                .labels
                .into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .unwrap(),
            vec![9, 7]
        );
    }
}
