//! convlab's kernels against Burn's own operators on the CPU (`flex`) device: the same
//! numbers as the library the model crate trains with. Random shapes, strides, paddings and
//! dilations; batch 1, several channels and filters.
#![allow(clippy::unwrap_used)]

use burn::tensor::module::{avg_pool2d, conv_transpose2d, conv2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, ConvTransposeOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};
use convlab_kernels::conv2d::conv2d as our_conv2d;
use convlab_kernels::pool::{max_pool2d as our_max, mean_pool2d as our_mean};
use convlab_kernels::transposed::conv_transpose2d_multi;
use convlab_kernels::{Conv2dParams, ConvTranspose2dParams, Grid, lecture_input, lecture_kernel};
use proptest::prelude::*;

fn device() -> Device {
    Device::flex()
}

/// `[C, H, W]` grids as a `[1, C, H, W]` tensor.
fn to_tensor(channels: &[Grid]) -> Tensor<4> {
    let (h, w) = channels[0].shape();
    let data: Vec<f32> = channels.iter().flat_map(|g| g.data().to_vec()).collect();
    Tensor::from_data(TensorData::new(data, [1, channels.len(), h, w]), &device())
}

/// `[A][B]` kernels as an `[A, B, kh, kw]` tensor.
fn weights_tensor(weights: &[Vec<Grid>]) -> Tensor<4> {
    let (kh, kw) = weights[0][0].shape();
    let data: Vec<f32> = weights
        .iter()
        .flatten()
        .flat_map(|g| g.data().to_vec())
        .collect();
    Tensor::from_data(
        TensorData::new(data, [weights.len(), weights[0].len(), kh, kw]),
        &device(),
    )
}

/// A `[1, C, H, W]` tensor back as `C` grids.
fn from_tensor(t: Tensor<4>) -> Vec<Grid> {
    let [_, c, h, w] = t.dims();
    let data = t.into_data().try_to_vec::<f32>().unwrap();
    data.chunks(h * w)
        .take(c)
        .map(|chunk| Grid::from_vec(h, w, chunk.to_vec()).unwrap())
        .collect()
}

fn close(ours: &[Grid], burn: &[Grid]) -> bool {
    ours.len() == burn.len()
        && ours.iter().zip(burn).all(|(a, b)| {
            let scale = b.data().iter().fold(1.0f32, |m, v| m.max(v.abs()));
            a.max_abs_diff(b) <= 1e-5 * scale
        })
}

fn grids(n: usize, rows: usize, cols: usize, seed: u64) -> Vec<Grid> {
    let mut rng = convlab_kernels::rng::SplitMix64::new(seed);
    (0..n)
        .map(|_| Grid::from_fn(rows, cols, |_, _| rng.next_f32() * 2.0 - 1.0))
        .collect()
}

#[test]
fn lecture_numbers_match_burn() {
    let x = to_tensor(&[lecture_input()]);
    let k = weights_tensor(&[vec![lecture_kernel()]]);
    let out = from_tensor(conv2d(
        x.clone(),
        k.clone(),
        None,
        ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
    ));
    assert_eq!(
        out[0].to_rows(),
        vec![
            vec![27.0, 39.0, 51.0],
            vec![55.0, 59.0, 63.0],
            vec![25.0, 21.0, 17.0]
        ]
    );
    let max = from_tensor(max_pool2d(x.clone(), MaxPoolOptions::new([2, 2])));
    assert_eq!(max[0].to_rows(), vec![vec![6.0, 8.0], vec![3.0, 4.0]]);
    let mean = from_tensor(avg_pool2d(x, AvgPoolOptions::new([2, 2])));
    assert_eq!(mean[0].to_rows(), vec![vec![3.0, 5.0], vec![2.0, 2.0]]);
    let back = from_tensor(conv_transpose2d(
        to_tensor(&out),
        k,
        None,
        ConvTransposeOptions::new([1, 1], [0, 0], [0, 0], [1, 1], 1),
    ));
    assert_eq!(back[0][(1, 1)], 584.0);
    assert_eq!(back[0][(3, 3)], 34.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn conv2d_matches_burn(
        (cin, cout) in (1usize..=3, 1usize..=3),
        (h, w) in (3usize..=10, 3usize..=10),
        (kh, kw) in (1usize..=3, 1usize..=3),
        stride in 1usize..=3, padding in 0usize..=2, dilation in 1usize..=2,
        with_bias in any::<bool>(), seed in any::<u64>(),
    ) {
        let p = Conv2dParams { stride: [stride; 2], padding: [padding; 2], dilation: [dilation; 2] };
        prop_assume!(p.output_shape((h, w), (kh, kw)).is_ok());
        let x = grids(cin, h, w, seed);
        let weights: Vec<Vec<Grid>> = (0..cout).map(|o| grids(cin, kh, kw, seed ^ (o as u64 + 1))).collect();
        let bias: Vec<f32> = (0..cout).map(|o| o as f32 * 0.25 - 0.3).collect();
        let ours = our_conv2d(&x, &weights, with_bias.then_some(&bias[..]), p).unwrap();
        let b = with_bias.then(|| Tensor::<1>::from_data(TensorData::new(bias.clone(), [cout]), &device()));
        let theirs = from_tensor(conv2d(
            to_tensor(&x),
            weights_tensor(&weights),
            b,
            ConvOptions::new(p.stride, p.padding, p.dilation, 1),
        ));
        prop_assert!(close(&ours, &theirs), "ours {:?}\nburn {:?}", ours, theirs);
    }

    #[test]
    fn conv_transpose2d_matches_burn(
        (cin, cout) in (1usize..=3, 1usize..=3),
        (h, w) in (1usize..=6, 1usize..=6),
        (kh, kw) in (1usize..=3, 1usize..=3),
        stride in 1usize..=3, padding in 0usize..=1, output_padding in 0usize..=1, dilation in 1usize..=2,
        seed in any::<u64>(),
    ) {
        let p = ConvTranspose2dParams {
            stride: [stride; 2],
            padding: [padding; 2],
            output_padding: [output_padding; 2],
            dilation: [dilation; 2],
        };
        prop_assume!(p.output_shape((h, w), (kh, kw)).is_ok());
        let x = grids(cin, h, w, seed);
        let weights: Vec<Vec<Grid>> = (0..cin).map(|i| grids(cout, kh, kw, seed ^ (i as u64 + 7))).collect();
        let ours = conv_transpose2d_multi(&x, &weights, None, p).unwrap();
        let theirs = from_tensor(conv_transpose2d(
            to_tensor(&x),
            weights_tensor(&weights),
            None,
            ConvTransposeOptions::new(p.stride, p.padding, p.output_padding, p.dilation, 1),
        ));
        prop_assert!(close(&ours, &theirs), "ours {:?}\nburn {:?}", ours, theirs);
    }

    #[test]
    fn pooling_matches_burn((h, w) in (2usize..=9, 2usize..=9), k in 1usize..=3, s in 1usize..=3, seed in any::<u64>()) {
        prop_assume!(k <= h && k <= w);
        let x = grids(1, h, w, seed);
        let max = our_max(&x[0], [k, k], [s, s]).unwrap();
        let mean = our_mean(&x[0], [k, k], [s, s]).unwrap();
        let burn_max = from_tensor(max_pool2d(to_tensor(&x), MaxPoolOptions::new([k, k]).with_stride([s, s])));
        let burn_mean = from_tensor(avg_pool2d(to_tensor(&x), AvgPoolOptions::new([k, k]).with_stride([s, s])));
        prop_assert!(close(&[max], &burn_max));
        prop_assert!(close(&[mean], &burn_mean));
    }
}
