//! Property tests: every operator against a naive definition written a different way, and the
//! adjoint identity that makes transposed convolution the transpose of convolution.
#![allow(clippy::unwrap_used)]

use convlab_kernels::arithmetic::{conv_output_size, conv_transpose_output_size};
use convlab_kernels::conv1d::{Mode1d, convolve1d};
use convlab_kernels::conv2d::{conv2d, convolve2d, cross_correlate2d};
use convlab_kernels::pool::{max_pool2d, mean_pool2d};
use convlab_kernels::transposed::{conv_transpose2d, conv_transpose2d_multi};
use convlab_kernels::{Conv2dParams, ConvTranspose2dParams, Grid};
use proptest::prelude::*;

fn grid(
    rows: std::ops::RangeInclusive<usize>,
    cols: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Grid> {
    (rows, cols).prop_flat_map(|(r, c)| {
        prop::collection::vec(-4i8..=4, r * c).prop_map(move |v| {
            Grid::from_vec(r, c, v.into_iter().map(f32::from).collect()).unwrap()
        })
    })
}

/// The kernel with `d − 1` zeros between its taps: dilation made explicit.
fn dilate(k: &Grid, d: [usize; 2]) -> Grid {
    let (r, c) = ((k.rows() - 1) * d[0] + 1, (k.cols() - 1) * d[1] + 1);
    let mut out = Grid::zeros(r, c);
    for i in 0..k.rows() {
        for j in 0..k.cols() {
            out[(i * d[0], j * d[1])] = k[(i, j)];
        }
    }
    out
}

/// Naive cross-correlation: pad, dilate the kernel, correlate at every position, keep every
/// `stride`-th result.
fn naive_xcorr(x: &Grid, k: &Grid, p: Conv2dParams) -> Grid {
    let xp = x.zero_padded(p.padding[0], p.padding[1]);
    let kd = dilate(k, p.dilation);
    let full_rows = xp.rows() + 1 - kd.rows();
    let full_cols = xp.cols() + 1 - kd.cols();
    let full = Grid::from_fn(full_rows, full_cols, |i, j| {
        let mut s = 0.0;
        for m in 0..kd.rows() {
            for n in 0..kd.cols() {
                s += xp[(i + m, j + n)] * kd[(m, n)];
            }
        }
        s
    });
    let rows = (full_rows - 1) / p.stride[0] + 1;
    let cols = (full_cols - 1) / p.stride[1] + 1;
    Grid::from_fn(rows, cols, |i, j| full[(i * p.stride[0], j * p.stride[1])])
}

/// Naive transposed convolution, the textbook way: put `s − 1` zeros between input cells, pad
/// with `d(k − 1) − p` zeros (plus output padding at the bottom/right), then correlate with the
/// rotated, dilated kernel at stride 1.
fn naive_transpose(x: &Grid, k: &Grid, p: ConvTranspose2dParams) -> Grid {
    let kd = dilate(k, p.dilation).flipped();
    let (er, ec) = (kd.rows() - 1, kd.cols() - 1);
    // Work on a frame big enough for the full (uncropped) result, then crop.
    let spread_rows = (x.rows() - 1) * p.stride[0] + 1;
    let spread_cols = (x.cols() - 1) * p.stride[1] + 1;
    let big = Grid::from_fn(
        spread_rows + 2 * er + p.output_padding[0],
        spread_cols + 2 * ec + p.output_padding[1],
        |r, c| {
            let (r, c) = (r as isize - er as isize, c as isize - ec as isize);
            if r >= 0
                && c >= 0
                && (r as usize).is_multiple_of(p.stride[0])
                && (c as usize).is_multiple_of(p.stride[1])
            {
                x.get(r as usize / p.stride[0], c as usize / p.stride[1])
                    .unwrap_or(0.0)
            } else {
                0.0
            }
        },
    );
    let full = naive_xcorr(&big, &kd, Conv2dParams::new());
    let rows = full.rows() - 2 * p.padding[0];
    let cols = full.cols() - 2 * p.padding[1];
    Grid::from_fn(rows, cols, |i, j| {
        full[(i + p.padding[0], j + p.padding[1])]
    })
}

fn params() -> impl Strategy<Value = Conv2dParams> {
    (
        [1usize..=3, 1..=3],
        [0usize..=2, 0..=2],
        [1usize..=2, 1..=2],
    )
        .prop_map(|(stride, padding, dilation)| Conv2dParams {
            stride,
            padding,
            dilation,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn cross_correlation_matches_naive(x in grid(1..=9, 1..=9), k in grid(1..=4, 1..=4), p in params()) {
        match cross_correlate2d(&x, &k, p) {
            Ok(out) => prop_assert_eq!(out, naive_xcorr(&x, &k, p)),
            Err(_) => {
                // Only when the dilated kernel does not fit in the padded input.
                let fits = |i: usize, k: usize, a: usize| p.dilation[a] * (k - 1) < i + 2 * p.padding[a];
                prop_assert!(!fits(x.rows(), k.rows(), 0) || !fits(x.cols(), k.cols(), 1));
            }
        }
    }

    #[test]
    fn output_size_counts_the_window_positions(i in 1usize..40, k in 1usize..8, s in 1usize..5, p in 0usize..4, d in 1usize..4) {
        let count = (0..).take_while(|j| j * s + d * (k - 1) < i + 2 * p).count();
        match conv_output_size("rows", i, k, s, p, d) {
            Ok(o) => prop_assert_eq!(o, count),
            Err(_) => prop_assert_eq!(count, 0),
        }
    }

    #[test]
    fn convolution_is_correlation_with_the_rotated_kernel(x in grid(3..=7, 3..=7), k in grid(1..=3, 1..=3)) {
        let a = convolve2d(&x, &k, Conv2dParams::new()).unwrap();
        let b = naive_xcorr(&x, &k.flipped(), Conv2dParams::new());
        prop_assert_eq!(a, b);
    }

    #[test]
    fn transposed_matches_zero_insertion(x in grid(1..=5, 1..=5), k in grid(1..=4, 1..=4), s in 1usize..=3, d in 1usize..=2, pad in 0usize..=2, op in 0usize..=2) {
        let p = ConvTranspose2dParams { stride: [s; 2], padding: [pad; 2], output_padding: [op; 2], dilation: [d; 2] };
        match conv_transpose2d(&x, &k, p) {
            Ok(out) => prop_assert_eq!(out, naive_transpose(&x, &k, p)),
            Err(_) => {
                let bad = |i: usize, k: usize| conv_transpose_output_size("rows", i, k, s, pad, op, d).is_err();
                prop_assert!(bad(x.rows(), k.rows()) || bad(x.cols(), k.cols()));
            }
        }
    }

    /// ⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩: transposed convolution is the adjoint of convolution with
    /// the same kernel, stride, padding and dilation (and the output padding that restores x's shape).
    #[test]
    fn adjoint_identity(x in grid(2..=9, 2..=9), k in grid(1..=3, 1..=3), p in params(), seed in any::<u64>()) {
        let Ok(y_shape) = p.output_shape(x.shape(), k.shape()) else { return Ok(()) };
        let mut rng = convlab_kernels::rng::SplitMix64::new(seed);
        let y = Grid::from_fn(y_shape.0, y_shape.1, |_, _| (rng.next_f32() * 8.0 - 4.0).round());
        let t = ConvTranspose2dParams::inverse_of(p, x.shape(), k.shape()).unwrap();
        let xt = conv_transpose2d(&y, &k, t).unwrap();
        prop_assert_eq!(xt.shape(), x.shape());
        let lhs = cross_correlate2d(&x, &k, p).unwrap().dot(&y).unwrap();
        let rhs = x.dot(&xt).unwrap();
        prop_assert_eq!(lhs, rhs);
    }

    #[test]
    fn channels_are_sums_of_single_correlations(xs in prop::collection::vec(grid(4..=4, 5..=5), 1..=3), ks in prop::collection::vec(grid(2..=2, 3..=3), 1..=6), b in -3i8..3) {
        let cin = xs.len();
        let filters: Vec<Vec<Grid>> = ks.chunks(cin).filter(|c| c.len() == cin).map(|c| c.to_vec()).collect();
        prop_assume!(!filters.is_empty());
        let bias = vec![f32::from(b); filters.len()];
        let out = conv2d(&xs, &filters, Some(&bias), Conv2dParams::new()).unwrap();
        for (f, filter) in filters.iter().enumerate() {
            let mut expected = Grid::from_fn(3, 3, |_, _| f32::from(b));
            for (x, k) in xs.iter().zip(filter) {
                let one = cross_correlate2d(x, k, Conv2dParams::new()).unwrap();
                for (e, o) in expected.data_mut().iter_mut().zip(one.data()) { *e += o; }
            }
            prop_assert_eq!(&out[f], &expected);
        }
        // The transposed layer with the same weights read as [in = C_out][out = C_in] is the
        // adjoint of the layer: ⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩, here with y = conv(x).
        let y = conv2d(&xs, &filters, None, Conv2dParams::new()).unwrap();
        let back = conv_transpose2d_multi(&y, &filters, None, ConvTranspose2dParams::new()).unwrap();
        prop_assert_eq!(back.len(), cin);
        let lhs: f32 = y.iter().map(|g| g.dot(g).unwrap()).sum();
        let rhs: f32 = xs.iter().zip(&back).map(|(x, b)| x.dot(b).unwrap()).sum();
        prop_assert_eq!(lhs, rhs);
    }

    #[test]
    fn pooling_bounds(x in grid(2..=8, 2..=8), k in 1usize..=3, s in 1usize..=3) {
        prop_assume!(k <= x.rows() && k <= x.cols());
        let max = max_pool2d(&x, [k, k], [s, s]).unwrap();
        let mean = mean_pool2d(&x, [k, k], [s, s]).unwrap();
        for (a, b) in max.data().iter().zip(mean.data()) {
            prop_assert!(a >= b);
        }
        let (lo, hi) = x.min_max();
        prop_assert!(max.data().iter().all(|v| *v <= hi) && mean.data().iter().all(|v| *v >= lo));
        // A 1×1 window at stride 1 changes nothing.
        prop_assert_eq!(max_pool2d(&x, [1, 1], [1, 1]).unwrap(), x);
    }

    #[test]
    fn full_1d_convolution_is_a_padded_2d_correlation(f in prop::collection::vec(-4i8..=4, 1..12), g in prop::collection::vec(-4i8..=4, 1..6)) {
        let f: Vec<f32> = f.into_iter().map(f32::from).collect();
        let g: Vec<f32> = g.into_iter().map(f32::from).collect();
        let row = |v: &[f32]| Grid::from_vec(1, v.len(), v.to_vec()).unwrap();
        let mut p = Conv2dParams::new();
        p.padding = [0, g.len() - 1];
        let expected = cross_correlate2d(&row(&f), &row(&g).flipped(), p).unwrap();
        prop_assert_eq!(convolve1d(&f, &g, Mode1d::Full).unwrap(), expected.into_vec());
        let same = convolve1d(&f, &g, Mode1d::Same).unwrap();
        prop_assert_eq!(same.len(), f.len().max(g.len()));
    }
}
