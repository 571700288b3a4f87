//! The mini-batches of an epoch: a seeded order of the training images, a seed for each
//! batch's augmentations, and the augmented batch itself. Every run, native or in the
//! browser, sees the same batches for the same seed.

use burn::tensor::{Device, Int, Tensor, TensorData};
use convlab_digits::{AugmentConfig, IMAGE_SIZE, MnistDataset, augment_pair};
use convlab_kernels::rng::SplitMix64;
use convlab_model::Batches;

/// The order of the training images in `epoch` (1-based): a seeded shuffle, so a resumed run
/// sees the same batches as an uninterrupted one.
pub fn epoch_order(len: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut rng = SplitMix64::new(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    for i in (1..len).rev() {
        let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
        order.swap(i, j);
    }
    order
}

/// The seed of the augmentations of one mini-batch: a hash of the run's seed, the epoch
/// (1-based) and the batch's index in it. A resumed epoch draws the same ones as an
/// uninterrupted one, and no two batches share a stream.
pub fn augment_seed(seed: u64, epoch: usize, batch: usize) -> u64 {
    let mix = |state: u64, value: u64| SplitMix64::new(state ^ value).next_u64();
    let state = mix(seed, 0xA06_0E47_D161_7500);
    let state = mix(state, epoch as u64);
    mix(state, batch as u64)
}

/// One mini-batch for the optimiser.
#[derive(Clone, Debug)]
pub struct TrainingBatch {
    /// What the model sees: `[batch, 1, 28, 28]`, augmented.
    pub inputs: Tensor<4>,
    /// What an autoencoder should give back: the same images moved the same way but without
    /// the input noise (the clean target of a denoising autoencoder), `[batch, 1, 28, 28]`.
    pub targets: Tensor<4>,
    /// `[batch]`, digits 0–9.
    pub labels: Tensor<1, Int>,
}

/// The images at `indices`, each changed at random within `augment` (one transform per image,
/// drawn from a generator seeded with `seed`), as tensors on `device`.
pub fn training_batch(
    data: &MnistDataset,
    indices: &[usize],
    augment: &AugmentConfig,
    seed: u64,
    device: &Device,
) -> TrainingBatch {
    let batch = data.batch(indices, device);
    if augment.is_identity() {
        return TrainingBatch {
            targets: batch.images.clone(),
            inputs: batch.images,
            labels: batch.labels,
        };
    }
    let subset = data.select(indices);
    let mut rng = SplitMix64::new(seed);
    let mut inputs = Vec::with_capacity(subset.images().len());
    let mut targets = Vec::with_capacity(subset.images().len());
    for index in 0..subset.len() {
        if let Some(image) = subset.image(index) {
            let pair = augment_pair(image, augment, &mut rng);
            inputs.extend(pair.input);
            targets.extend(pair.target);
        }
    }
    let shape = [subset.len(), 1, IMAGE_SIZE, IMAGE_SIZE];
    let inputs = Tensor::from_data(TensorData::new(inputs, shape), device);
    // Without noise the target is the input itself: no second tensor.
    let targets = if augment.noise > 0.0 {
        Tensor::from_data(TensorData::new(targets, shape), device)
    } else {
        inputs.clone()
    };
    TrainingBatch {
        inputs,
        targets,
        labels: batch.labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_order_is_a_seeded_permutation() {
        let a = epoch_order(50, 3, 1);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_eq!(a, epoch_order(50, 3, 1));
        assert_ne!(a, epoch_order(50, 3, 2));
        assert_ne!(a, epoch_order(50, 4, 1));
    }

    fn values(tensor: Tensor<4>) -> Vec<f32> {
        tensor.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn augmented_batches_are_seeded_and_keep_a_clean_target() {
        let data = convlab_digits::synthetic_dataset(6, 1).unwrap();
        let device = Device::flex();
        let indices = [4, 0, 2];
        let plain = values(data.batch(&indices, &device).images);

        let off = training_batch(&data, &indices, &AugmentConfig::default(), 7, &device);
        assert_eq!(values(off.inputs), plain);
        assert_eq!(values(off.targets), plain);

        let shift = AugmentConfig {
            translate: 3.0,
            ..AugmentConfig::default()
        };
        let a = training_batch(&data, &indices, &shift, 7, &device);
        assert_eq!(a.inputs.dims(), [3, 1, 28, 28]);
        let moved = values(a.inputs);
        assert_ne!(moved, plain);
        assert_eq!(
            values(a.targets),
            moved,
            "no noise: the target is the input"
        );
        let again = training_batch(&data, &indices, &shift, 7, &device);
        assert_eq!(values(again.inputs), moved);
        let other = training_batch(&data, &indices, &shift, 8, &device);
        assert_ne!(values(other.inputs), moved);

        let noisy = AugmentConfig {
            noise: 0.3,
            ..AugmentConfig::default()
        };
        let b = training_batch(&data, &indices, &noisy, 7, &device);
        assert_ne!(values(b.inputs), plain);
        assert_eq!(values(b.targets), plain, "the target stays clean");
        assert_eq!(
            b.labels
                .into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .unwrap(),
            vec![4, 0, 2]
        );
    }

    #[test]
    fn augment_seeds_differ_by_seed_epoch_and_batch() {
        let seeds = [
            augment_seed(1, 1, 0),
            augment_seed(1, 1, 1),
            augment_seed(1, 2, 0),
            augment_seed(2, 1, 0),
        ];
        for i in 0..seeds.len() {
            for j in i + 1..seeds.len() {
                assert_ne!(seeds[i], seeds[j]);
            }
        }
        assert_eq!(augment_seed(1, 1, 0), seeds[0]);
    }
}
