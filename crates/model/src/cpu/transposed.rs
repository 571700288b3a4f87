//! Transposed convolutions prepared for inference on the CPU, one sample at a time, channels
//! last: what [`crate::cpu::CpuDecoder`] is made of.
//!
//! The decoder's transposed convolutions read the output of a ReLU, and most of it is zero:
//! over the 20×20 manifold of the shipped VAE-2, 51% of `deconv1`'s inputs and 72% of
//! `deconv2`'s. Burn's CPU backend multiplies them all (one dense matrix product per sample,
//! then a col2im). Here a layer first lists each input position's non-zero channels; then each
//! output pixel sums, in registers, `x[c] · w[tap, c, :]` over the `(input position, tap)`
//! pairs that land on it (worked out once, in a `Plan`) and those channels only, [`LANES`]
//! output channels at a time (eight SIMD128 vectors in the browser), starting from the bias and
//! ending with the ReLU, and stores its channel vector once. A layer with fewer than [`LANES`]
//! output channels (the decoder's last, one channel) takes dot products over the input
//! channels instead, two neighbouring output pixels at a time.
//!
//! What made it fast, measured in the browser: no branch per input value when listing the
//! non-zero ones (a mispredicted branch per zero cost more than the multiplications it saved),
//! output-stationary sums (each output pixel written once, by vector stores), and, for the last
//! layer, weights read once for two pixels and sums reduced as a tree.
//!
//! Two samples whose zeros are mostly in the same places (neighbouring codes of the latent map:
//! 6% of the inputs either of two neighbours reads are zero in the other) can go through a
//! layer together ([`Transposed::forward_two`]): the lists hold the inputs where either is not
//! zero, and each weight vector read serves both, [`HALF`] output channels of each in the
//! eight registers. A zero of one sample then adds `0 · w`, which changes no sum (the weights
//! are finite).
//!
//! Plain Rust over slices, no Burn types. A sample's answer does not depend on the batch it
//! came in, nor on whether it went through with another (to the last bit, but for the sign of
//! a zero); the sums are Burn's in another order (within float rounding).

mod loops;

pub use crate::cpu::simd::{HALF, LANES};

/// One axis of a transposed convolution (dilation 1): input index `i` and kernel offset `k`
/// land on output index `stride · i + k − padding`, when that is below `output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Axis {
    pub input: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
    /// The output's length (which an output padding lengthens).
    pub output: usize,
}

impl Axis {
    /// For each output index, the `(input index, kernel offset)` pairs that land on it.
    fn sources(&self) -> Vec<Vec<(usize, usize)>> {
        let mut sources = vec![Vec::new(); self.output];
        for i in 0..self.input {
            for k in 0..self.kernel {
                if let Some(o) = (self.stride * i + k)
                    .checked_sub(self.padding)
                    .filter(|&o| o < self.output)
                {
                    sources[o].push((i, k));
                }
            }
        }
        sources
    }
}

/// How many of the inputs [`Transposed::forward_two`] goes over (those where either sample is
/// not zero) may be zero in one of the two before it computes the samples one at a time
/// instead: such an input costs a multiplication by zero for that sample, and sharing the
/// weight loads saved only about 5% of the manifold's time in the browser (where 6% of the
/// inputs are zero in one of two neighbours). Codes scattered over the prior have 60%.
pub const TWIN_WASTE: f32 = 0.25;

/// How a layer's weights are laid out for its loop.
#[derive(Clone, Debug)]
enum Weights {
    ByTap(ByTap),
    ByOutput(ByOutput),
}

/// Output channels in registers: `by_tap` is `[taps, width / LANES, c_in, LANES]`, so for one
/// tap and block of [`LANES`] output channels each input channel's weights are one run, and the
/// channels follow one another (zero past `c_out` up to `width`, a multiple of [`LANES`]). The
/// `plan` says which input pixels and taps land on each output pixel.
#[derive(Clone, Debug)]
struct ByTap {
    by_tap: Vec<f32>,
    width: usize,
    plan: Plan,
}

/// Input channels in registers (fewer than [`LANES`] output channels): `by_output` is
/// `[c_out, k_h, k_w, c_in]` with the kernel columns reversed, so for one output channel and
/// kernel row the input channels of kernel columns `k_w − 1`, …, 0 are one run, as those of
/// consecutive input pixels are in a channels-last map.
#[derive(Clone, Debug)]
struct ByOutput {
    by_output: Vec<f32>,
    /// For each output row, the input rows and kernel rows landing on it.
    rows: Vec<Vec<(usize, usize)>>,
    /// For each output column, runs of input columns landing on it: `(first input column, its
    /// kernel column, how many)`, the kernel columns going down by one along a run (one run when
    /// the column stride is 1, else runs of one).
    col_runs: Vec<Vec<(usize, usize, usize)>>,
    /// For each output column, whether the next one reads the same weights one input pixel
    /// further on (so the two are computed together).
    paired: Vec<bool>,
}

/// A transposed convolution (groups 1, dilation 1) with its weights laid out for its loop.
#[derive(Clone, Debug)]
pub struct Transposed {
    c_in: usize,
    c_out: usize,
    taps: usize,
    kernel_w: usize,
    in_w: usize,
    map_in: usize,
    map_out: usize,
    weights: Weights,
    /// `c_out` values, zero-padded to the width of [`ByTap`].
    bias: Vec<f32>,
}

/// The output pixels in the order they are computed, each with the `(input position, tap)`
/// pairs landing on it, worked out once. The order is by phase (the kernel offsets that land on
/// a pixel), so that consecutive pixels read the same taps' weights.
#[derive(Clone, Debug)]
struct Plan {
    /// `(output pixel, where its pairs start)`, and one more entry for where the last ends.
    pixels: Vec<(usize, usize)>,
    pairs: Vec<(usize, usize)>,
}

impl Plan {
    fn new(rows: Axis, cols: Axis) -> Self {
        let (row_sources, col_sources) = (rows.sources(), cols.sources());
        let phase = |axis: Axis, o: usize| (o + axis.padding) % axis.stride.max(1);
        let mut order: Vec<usize> = (0..rows.output * cols.output).collect();
        order.sort_by_key(|&o| {
            (
                phase(rows, o / cols.output),
                phase(cols, o % cols.output),
                o,
            )
        });
        let mut pixels = Vec::with_capacity(order.len() + 1);
        let mut pairs = Vec::new();
        for o in order {
            pixels.push((o, pairs.len()));
            for &(ih, kh) in &row_sources[o / cols.output] {
                for &(iw, kw) in &col_sources[o % cols.output] {
                    pairs.push((ih * cols.input + iw, kh * cols.kernel + kw));
                }
            }
        }
        pixels.push((usize::MAX, pairs.len()));
        Self { pixels, pairs }
    }
}

/// Reusable lists of each input position's non-zero channels, for [`Transposed::forward`].
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    /// `(where the channel's weights start, value)` of each non-zero input, position by
    /// position.
    entries: Vec<(usize, f32)>,
    /// Where each position's entries start (one more than the positions).
    starts: Vec<usize>,
    /// `(channel, the two samples' values)` where either is not zero, for
    /// [`Transposed::forward_two`].
    twin: Vec<(usize, [f32; 2])>,
}

impl Transposed {
    /// The layer with `weight` `[c_in, c_out, rows.kernel, cols.kernel]` (as Burn and PyTorch
    /// store it) and `bias` (`c_out` values, or none). `None` when a length does not match.
    pub fn new(
        weight: &[f32],
        bias: Option<&[f32]>,
        [c_in, c_out]: [usize; 2],
        rows: Axis,
        cols: Axis,
    ) -> Option<Self> {
        let taps = rows.kernel.checked_mul(cols.kernel)?;
        if weight.len() != c_in.checked_mul(c_out)?.checked_mul(taps)?
            || bias.is_some_and(|b| b.len() != c_out)
            || c_out == 0
        {
            return None;
        }
        let at = |ci: usize, co: usize, t: usize| weight[(ci * c_out + co) * taps + t];
        let (weights, width) = if c_out >= LANES {
            let width = c_out.div_ceil(LANES) * LANES;
            let blocks = width / LANES;
            let mut by_tap = vec![0f32; taps * width * c_in];
            for t in 0..taps {
                for co in 0..c_out {
                    let (block, lane) = (co / LANES, co % LANES);
                    for ci in 0..c_in {
                        by_tap[((t * blocks + block) * c_in + ci) * LANES + lane] = at(ci, co, t);
                    }
                }
            }
            let plan = Plan::new(rows, cols);
            (
                Weights::ByTap(ByTap {
                    by_tap,
                    width,
                    plan,
                }),
                width,
            )
        } else {
            let mut by_output = vec![0f32; weight.len()];
            for co in 0..c_out {
                for kh in 0..rows.kernel {
                    for kw in 0..cols.kernel {
                        let reversed = kh * cols.kernel + cols.kernel - 1 - kw;
                        for ci in 0..c_in {
                            by_output[(co * taps + reversed) * c_in + ci] =
                                at(ci, co, kh * cols.kernel + kw);
                        }
                    }
                }
            }
            let col_runs: Vec<Vec<(usize, usize, usize)>> = cols
                .sources()
                .into_iter()
                .map(|sources| match sources.first() {
                    Some(&(iw, kw)) if cols.stride == 1 => vec![(iw, kw, sources.len())],
                    _ => sources.iter().map(|&(iw, kw)| (iw, kw, 1)).collect(),
                })
                .collect();
            let paired = (0..col_runs.len())
                .map(|ow| {
                    col_runs.get(ow + 1).is_some_and(|next| {
                        let runs = &col_runs[ow];
                        next.len() == runs.len()
                            && next
                                .iter()
                                .zip(runs)
                                .all(|(b, a)| b.0 == a.0 + 1 && b.1 == a.1 && b.2 == a.2)
                    })
                })
                .collect();
            let weights = Weights::ByOutput(ByOutput {
                by_output,
                rows: rows.sources(),
                col_runs,
                paired,
            });
            (weights, c_out)
        };
        let mut padded_bias = vec![0f32; width];
        if let Some(bias) = bias {
            padded_bias[..c_out].copy_from_slice(bias);
        }
        Some(Self {
            c_in,
            c_out,
            taps,
            kernel_w: cols.kernel,
            in_w: cols.input,
            map_in: rows.input.checked_mul(cols.input)?,
            map_out: rows.output.checked_mul(cols.output)?,
            weights,
            bias: padded_bias,
        })
    }

    /// Values of one sample's input: `[in_h · in_w, c_in]`.
    pub fn input_len(&self) -> usize {
        self.map_in * self.c_in
    }

    /// Values of one sample's output: `[out_h · out_w, c_out]`.
    pub fn output_len(&self) -> usize {
        self.map_out * self.c_out
    }

    /// `out = bias + convᵀ(x)` for one sample, through a ReLU when `relu`; `x` and `out`
    /// channels last (`[position, channel]`). `None` when a length is not the layer's.
    pub fn forward(
        &self,
        x: &[f32],
        out: &mut [f32],
        relu: bool,
        scratch: &mut Scratch,
    ) -> Option<()> {
        if x.len() != self.input_len() || out.len() != self.output_len() {
            return None;
        }
        match &self.weights {
            Weights::ByTap(layout) => self.by_tap(layout, x, out, relu, scratch),
            Weights::ByOutput(layout) => self.by_output(layout, x, out, relu),
        }
        Some(())
    }

    /// [`forward`](Self::forward) of two samples (`x[0]` into `out[0]`, `x[1]` into `out[1]`),
    /// giving the same answers (to the last bit, but for the sign of a zero). When the two
    /// have their zeros mostly in the same places, as neighbouring codes of the latent map
    /// have, each weight is read once for both, over the inputs where either is not zero; when
    /// their zeros differ too much (see [`TWIN_WASTE`]), or `alone` is set, each sample is
    /// computed on its own. `Some(true)` when the weights were shared; `None` when a length
    /// is not the layer's.
    pub fn forward_two(
        &self,
        x: [&[f32]; 2],
        out: [&mut [f32]; 2],
        relu: bool,
        alone: bool,
        scratch: &mut Scratch,
    ) -> Option<bool> {
        if x.iter().any(|x| x.len() != self.input_len())
            || out.iter().any(|out| out.len() != self.output_len())
        {
            return None;
        }
        let [out_a, out_b] = out;
        if !alone
            && let Weights::ByTap(layout) = &self.weights
            && self.by_tap_two(layout, x, [&mut *out_a, &mut *out_b], relu, scratch)
        {
            return Some(true);
        }
        self.forward(x[0], out_a, relu, scratch)?;
        self.forward(x[1], out_b, relu, scratch)?;
        Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, one sample, channels first: every input value stamps the kernel, scaled,
    /// at `stride · position − padding`; what falls outside the output is dropped.
    fn naive(
        x: &[f32],
        weight: &[f32],
        bias: &[f32],
        c: [usize; 2],
        rows: Axis,
        cols: Axis,
    ) -> Vec<f32> {
        let [c_in, c_out] = c;
        let (map_out, taps) = (rows.output * cols.output, rows.kernel * cols.kernel);
        let mut out = vec![0f32; c_out * map_out];
        for co in 0..c_out {
            out[co * map_out..][..map_out].fill(bias[co]);
            for ci in 0..c_in {
                for ih in 0..rows.input {
                    for iw in 0..cols.input {
                        let v = x[(ci * rows.input + ih) * cols.input + iw];
                        for kh in 0..rows.kernel {
                            for kw in 0..cols.kernel {
                                let oh = (rows.stride * ih + kh) as isize - rows.padding as isize;
                                let ow = (cols.stride * iw + kw) as isize - cols.padding as isize;
                                if oh < 0
                                    || ow < 0
                                    || oh as usize >= rows.output
                                    || ow as usize >= cols.output
                                {
                                    continue;
                                }
                                let wv = weight[(ci * c_out + co) * taps + kh * cols.kernel + kw];
                                out[co * map_out + oh as usize * cols.output + ow as usize] +=
                                    v * wv;
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// `[channels, positions]` ↔ `[positions, channels]`.
    fn transpose(values: &[f32], rows: usize) -> Vec<f32> {
        let cols = values.len() / rows;
        (0..values.len())
            .map(|i| values[(i % rows) * cols + i / rows])
            .collect()
    }

    /// Deterministic values in [-1, 1], about `zeros` of them exactly zero (as after a ReLU).
    fn values(len: usize, seed: u64, zeros: f64) -> Vec<f32> {
        // SplitMix64, as `convlab-kernels`' rng.
        let mut state = seed;
        let mut rng = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64
        };
        (0..len)
            .map(|_| {
                let u = rng();
                if u < zeros {
                    0.0
                } else {
                    (2.0 * rng() - 1.0) as f32
                }
            })
            .collect()
    }

    fn axis(
        input: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        padding_out: usize,
    ) -> Axis {
        let output = (input - 1) * stride + kernel + padding_out - 2 * padding;
        Axis {
            input,
            kernel,
            stride,
            padding,
            output,
        }
    }

    #[test]
    fn matches_the_definition() {
        let cases = [
            ([64, 64], axis(7, 3, 2, 1, 1), axis(7, 3, 2, 1, 1)), // deconv1
            ([64, 32], axis(14, 3, 2, 1, 1), axis(14, 3, 2, 1, 1)), // deconv2
            ([32, 1], axis(28, 3, 1, 1, 0), axis(28, 3, 1, 1, 0)), // deconv3
            ([5, 40], axis(4, 3, 1, 1, 0), axis(3, 2, 2, 0, 1)),  // a ragged block of 8 channels
            ([37, 3], axis(5, 4, 3, 2, 0), axis(5, 4, 3, 2, 0)),  // by output, a ragged tail
            ([2, 33], axis(1, 1, 1, 0, 0), axis(1, 1, 1, 0, 0)),
            ([40, 2], axis(6, 3, 1, 1, 0), axis(7, 3, 1, 1, 0)), // pairs, a ragged tail
        ];
        let mut scratch = Scratch::default();
        for (i, &(c, rows, cols)) in cases.iter().enumerate() {
            let [c_in, c_out] = c;
            let taps = rows.kernel * cols.kernel;
            let weight = values(c_in * c_out * taps, 100 + i as u64, 0.0);
            let bias = values(c_out, 200 + i as u64, 0.0);
            let layer = Transposed::new(&weight, Some(&bias), c, rows, cols).unwrap();
            for sample in 0..2 {
                let x = values(layer.input_len(), 10 * i as u64 + sample, 0.6);
                let want = naive(&x, &weight, &bias, c, rows, cols);
                for relu in [false, true] {
                    let mut out = vec![f32::NAN; layer.output_len()];
                    layer
                        .forward(&transpose(&x, c_in), &mut out, relu, &mut scratch)
                        .unwrap();
                    let ours = transpose(&out, rows.output * cols.output);
                    let worst = ours
                        .iter()
                        .zip(&want)
                        .map(|(a, &b)| (a - if relu { b.max(0.0) } else { b }).abs())
                        .fold(0f32, f32::max);
                    assert!(worst < 1e-4, "case {i}, relu {relu}: off by {worst}");
                }
            }
        }
    }

    #[test]
    fn two_samples_give_what_each_gives_alone() {
        let cases = [
            ([64, 64], axis(7, 3, 2, 1, 1), axis(7, 3, 2, 1, 1)), // deconv1
            ([64, 32], axis(14, 3, 2, 1, 1), axis(14, 3, 2, 1, 1)), // deconv2
            ([5, 40], axis(4, 3, 1, 1, 0), axis(3, 2, 2, 0, 1)),  // a ragged half of 16
            ([32, 1], axis(28, 3, 1, 1, 0), axis(28, 3, 1, 1, 0)), // by output: never shared
        ];
        let mut scratch = Scratch::default();
        for (i, &(c, rows, cols)) in cases.iter().enumerate() {
            let taps = rows.kernel * cols.kernel;
            let weight = values(c[0] * c[1] * taps, 300 + i as u64, 0.0);
            let bias = values(c[1], 400 + i as u64, 0.0);
            let layer = Transposed::new(&weight, Some(&bias), c, rows, cols).unwrap();
            let a = values(layer.input_len(), 500 + i as u64, 0.6);
            // A neighbour: other values, zero where `a` is but at a few places.
            let near: Vec<f32> = a
                .iter()
                .zip(values(a.len(), 600 + i as u64, 0.05))
                .map(|(&a, n)| {
                    if a == 0.0 && n.abs() < 0.9 {
                        0.0
                    } else {
                        a + 0.1 * n
                    }
                })
                .collect();
            let far = values(layer.input_len(), 700 + i as u64, 0.6);
            let by_tap = c[1] >= LANES;
            for (b, alone, shared) in [
                (&near, false, by_tap),
                (&near, true, false),
                (&far, false, false),
            ] {
                let mut want = [a.as_slice(), b.as_slice()].map(|x| {
                    let mut out = vec![f32::NAN; layer.output_len()];
                    layer.forward(x, &mut out, true, &mut scratch).unwrap();
                    out
                });
                let mut got = [0, 1].map(|_| vec![f32::NAN; layer.output_len()]);
                let [got_a, got_b] = &mut got;
                let answer = layer.forward_two([&a, b], [got_a, got_b], true, alone, &mut scratch);
                assert_eq!(answer, Some(shared), "case {i}, alone {alone}");
                // The same floats (`==`: a zero may come out with the other sign).
                assert_eq!(got, want, "case {i}, alone {alone}, shared {shared}");
                let [want_a, _] = &mut want;
                assert_eq!(
                    layer.forward_two([&a, b], [want_a, &mut [0.0; 3]], true, alone, &mut scratch),
                    None
                );
            }
        }
    }

    #[test]
    fn wrong_lengths_are_refused() {
        let a = axis(2, 3, 2, 1, 0);
        let w = vec![1.0; 2 * 3 * 9];
        assert!(Transposed::new(&w[..53], None, [2, 3], a, a).is_none());
        assert!(Transposed::new(&w, Some(&[0.0; 2]), [2, 3], a, a).is_none());
        let layer = Transposed::new(&w, None, [2, 3], a, a).unwrap();
        let mut scratch = Scratch::default();
        let mut out = vec![0.0; layer.output_len()];
        assert!(
            layer
                .forward(&[1.0; 7], &mut out, false, &mut scratch)
                .is_none()
        );
        assert!(
            layer
                .forward(&[1.0; 8], &mut out[1..], false, &mut scratch)
                .is_none()
        );
        assert!(
            layer
                .forward(&[0.0; 8], &mut out, true, &mut scratch)
                .is_some()
        );
        assert_eq!(out, vec![0.0; 27]);
    }
}
