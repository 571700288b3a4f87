//! A transposed convolution for inference on the CPU that skips zero inputs.
//!
//! The decoder's transposed convolutions read the output of a ReLU, and most of it is zero:
//! over the 20×20 manifold of the shipped VAE-2, 51% of `deconv1`'s inputs and 72% of
//! `deconv2`'s. Burn's CPU backend multiplies them all (one dense matrix product per sample,
//! then a col2im). Here each input position gathers its non-zero channels once, and for every
//! kernel tap adds `Σ x[c] · w[c, tap, :]` over those channels only into the output pixel's
//! channel vector, [`LANES`] output channels at a time in registers (SIMD128 in the browser).
//! The result is the same sum in another order (within float rounding of Burn's); each sample
//! is computed alone, so a sample's answer does not depend on the batch it came in.
//!
//! Plain Rust over slices, no Burn types: [`crate::conv::conv_transpose2d`] calls it in the
//! browser (wasm32) for tensors on the `flex` device when the layer has groups 1, dilation 1
//! and at least [`LANES`] output channels (the last layer, one channel, stays Burn's). There,
//! where Burn's product has 4-wide SIMD without FMA and one thread, it makes the 20×20
//! manifold 1.3× faster; natively Burn's (AVX2 with FMA, on every core) is faster, so native
//! code keeps it.

/// Output channels accumulated together: eight 128-bit vectors, which the hot loop keeps in
/// registers.
pub const LANES: usize = 32;

/// The sizes of one transposed convolution (weights `[c_in, c_out, k_h, k_w]`, as Burn and
/// PyTorch store them; dilation 1, groups 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransposedShape {
    pub batch: usize,
    pub c_in: usize,
    pub in_size: [usize; 2],
    pub c_out: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    /// The output's height and width (which `padding_out` lengthens).
    pub out_size: [usize; 2],
}

impl TransposedShape {
    fn input_len(&self) -> Option<usize> {
        product([self.batch, self.c_in, self.in_size[0], self.in_size[1]])
    }

    fn weight_len(&self) -> Option<usize> {
        product([self.c_in, self.c_out, self.kernel[0], self.kernel[1]])
    }

    fn output_len(&self) -> Option<usize> {
        product([self.batch, self.c_out, self.out_size[0], self.out_size[1]])
    }
}

/// The number of values of a 4-D array, `None` on overflow.
fn product(dims: [usize; 4]) -> Option<usize> {
    dims.iter().try_fold(1usize, |a, &b| a.checked_mul(b))
}

/// The transposed convolution of `x` (`[batch, c_in, h, w]`, row-major) with `weight`, plus
/// `bias` (`c_out` values) when given: `[batch, c_out, out_h, out_w]`. `None` when a slice's
/// length does not match `shape`.
pub fn conv_transpose2d(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    shape: &TransposedShape,
) -> Option<Vec<f32>> {
    let &TransposedShape {
        c_in,
        in_size: [h, w],
        c_out,
        kernel: [k_h, k_w],
        stride,
        padding,
        out_size: [out_h, out_w],
        ..
    } = shape;
    if x.len() != shape.input_len()?
        || weight.len() != shape.weight_len()?
        || bias.is_some_and(|b| b.len() != c_out)
    {
        return None;
    }
    let mut out = vec![0f32; shape.output_len()?];
    let (map_in, map_out, taps) = (h * w, out_h * out_w, k_h * k_w);
    if out.is_empty() || map_in == 0 {
        return Some(out);
    }
    // [c_in, c_out, taps] → [c_in, taps, c_out]: a tap's weights for one input channel are
    // one contiguous run of output channels.
    let mut by_tap = vec![0f32; weight.len()];
    for (ci, per_in) in weight.chunks_exact(c_out * taps).enumerate() {
        for (co, kernel) in per_in.chunks_exact(taps).enumerate() {
            for (t, &value) in kernel.iter().enumerate() {
                by_tap[(ci * taps + t) * c_out + co] = value;
            }
        }
    }
    // One sample's output, channels last, so that a pixel's channels are one run.
    let mut last = vec![0f32; map_out * c_out];
    let mut nonzero: Vec<(usize, f32)> = Vec::with_capacity(c_in);
    for (x_n, out_n) in x
        .chunks_exact(c_in * map_in)
        .zip(out.chunks_exact_mut(c_out * map_out))
    {
        last.fill(0.0);
        for ih in 0..h {
            for iw in 0..w {
                let position = ih * w + iw;
                nonzero.clear();
                nonzero.extend(
                    (0..c_in)
                        .map(|ci| (ci, x_n[ci * map_in + position]))
                        .filter(|&(_, v)| v != 0.0),
                );
                if nonzero.is_empty() {
                    continue;
                }
                for kh in 0..k_h {
                    let Some(oh) = landing(ih, kh, stride[0], padding[0], out_h) else {
                        continue;
                    };
                    for kw in 0..k_w {
                        let Some(ow) = landing(iw, kw, stride[1], padding[1], out_w) else {
                            continue;
                        };
                        let pixel = &mut last[(oh * out_w + ow) * c_out..][..c_out];
                        add_tap(pixel, &nonzero, &by_tap, kh * k_w + kw, taps);
                    }
                }
            }
        }
        for (position, channels) in last.chunks_exact(c_out).enumerate() {
            for (co, &value) in channels.iter().enumerate() {
                out_n[co * map_out + position] = value + bias.map_or(0.0, |b| b[co]);
            }
        }
    }
    Some(out)
}

/// Where input row (or column) `i` lands through kernel offset `k`: `stride · i + k −
/// padding`, when that is inside an output of `size`.
fn landing(i: usize, k: usize, stride: usize, padding: usize, size: usize) -> Option<usize> {
    (stride * i + k).checked_sub(padding).filter(|&o| o < size)
}

/// `pixel += Σ v · by_tap[c, tap, :]` over the `(c, v)` of `nonzero`.
fn add_tap(pixel: &mut [f32], nonzero: &[(usize, f32)], by_tap: &[f32], tap: usize, taps: usize) {
    let c_out = pixel.len();
    let mut start = 0;
    for block in pixel.chunks_mut(LANES) {
        let width = block.len();
        let row_of = |ci: usize| (ci * taps + tap) * c_out + start;
        if let Some(block) = block.first_chunk_mut::<LANES>() {
            for (b, s) in block.iter_mut().zip(block_sum(nonzero, by_tap, row_of)) {
                *b += s;
            }
        } else {
            for &(ci, v) in nonzero {
                let row = &by_tap[row_of(ci)..][..width];
                for (b, &w) in block.iter_mut().zip(row) {
                    *b += v * w;
                }
            }
        }
        start += width;
    }
}

/// `Σ v · by_tap[row_of(c)..][..LANES]` over the `(c, v)` of `nonzero`, in registers. LLVM
/// vectorises this loop natively but not for wasm32, hence the SIMD128 version below.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn block_sum(
    nonzero: &[(usize, f32)],
    by_tap: &[f32],
    row_of: impl Fn(usize) -> usize,
) -> [f32; LANES] {
    let mut sum = [0f32; LANES];
    for &(ci, v) in nonzero {
        if let Some(row) = by_tap
            .get(row_of(ci)..)
            .and_then(<[f32]>::first_chunk::<LANES>)
        {
            for (s, &w) in sum.iter_mut().zip(row) {
                *s += v * w;
            }
        }
    }
    sum
}

/// [`block_sum`] with SIMD128: eight `f32x4` sums. (The wasm32 SIMD intrinsics are safe
/// functions; the weights are read as whole vectors through bytemuck, one `v128.load` each.)
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn block_sum(
    nonzero: &[(usize, f32)],
    by_tap: &[f32],
    row_of: impl Fn(usize) -> usize,
) -> [f32; LANES] {
    use core::arch::wasm32::{f32x4_add, f32x4_extract_lane, f32x4_mul, f32x4_splat, v128};
    let mut sums = [f32x4_splat(0.0); LANES / 4];
    for &(ci, v) in nonzero {
        if let Some(row) = by_tap
            .get(row_of(ci)..)
            .and_then(<[f32]>::first_chunk::<LANES>)
        {
            let v = f32x4_splat(v);
            for (sum, q) in sums.iter_mut().zip(row.as_chunks::<4>().0) {
                let q = bytemuck::pod_read_unaligned::<v128>(bytemuck::bytes_of(q));
                *sum = f32x4_add(*sum, f32x4_mul(v, q));
            }
        }
    }
    let mut out = [0f32; LANES];
    for (o, sum) in out.as_chunks_mut::<4>().0.iter_mut().zip(sums) {
        *o = [
            f32x4_extract_lane::<0>(sum),
            f32x4_extract_lane::<1>(sum),
            f32x4_extract_lane::<2>(sum),
            f32x4_extract_lane::<3>(sum),
        ];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: every input value stamps the kernel, scaled, at `stride · position −
    /// padding`, what falls outside the output is dropped.
    fn naive(x: &[f32], weight: &[f32], bias: &[f32], s: &TransposedShape) -> Vec<f32> {
        let [h, w] = s.in_size;
        let [oh_n, ow_n] = s.out_size;
        let [k_h, k_w] = s.kernel;
        let mut out = vec![0f32; s.batch * s.c_out * oh_n * ow_n];
        for n in 0..s.batch {
            for co in 0..s.c_out {
                for i in 0..oh_n * ow_n {
                    out[(n * s.c_out + co) * oh_n * ow_n + i] = bias[co];
                }
                for ci in 0..s.c_in {
                    for ih in 0..h {
                        for iw in 0..w {
                            let v = x[((n * s.c_in + ci) * h + ih) * w + iw];
                            for kh in 0..k_h {
                                for kw in 0..k_w {
                                    let oh =
                                        (s.stride[0] * ih + kh) as isize - s.padding[0] as isize;
                                    let ow =
                                        (s.stride[1] * iw + kw) as isize - s.padding[1] as isize;
                                    if oh < 0
                                        || ow < 0
                                        || oh as usize >= oh_n
                                        || ow as usize >= ow_n
                                    {
                                        continue;
                                    }
                                    let wv = weight[((ci * s.c_out + co) * k_h + kh) * k_w + kw];
                                    out[((n * s.c_out + co) * oh_n + oh as usize) * ow_n
                                        + ow as usize] += v * wv;
                                }
                            }
                        }
                    }
                }
            }
        }
        out
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

    #[test]
    fn matches_the_definition() {
        // (c_in, [h, w], c_out, kernel, stride, padding, padding_out)
        let cases = [
            (64, [7, 7], 64, [3, 3], [2, 2], [1, 1], [1, 1]), // deconv1
            (64, [14, 14], 32, [3, 3], [2, 2], [1, 1], [1, 1]), // deconv2
            (5, [4, 3], 40, [3, 2], [1, 2], [1, 0], [0, 1]),  // a ragged block of 8 channels
            (3, [5, 5], 7, [4, 4], [3, 3], [2, 2], [0, 0]),   // narrower than LANES
            (2, [1, 1], 33, [1, 1], [1, 1], [0, 0], [0, 0]),
        ];
        for (i, &(c_in, in_size, c_out, kernel, stride, padding, padding_out)) in
            cases.iter().enumerate()
        {
            let out_size = [0, 1].map(|d| {
                (in_size[d] - 1) * stride[d] + kernel[d] + padding_out[d] - 2 * padding[d]
            });
            let shape = TransposedShape {
                batch: 3,
                c_in,
                in_size,
                c_out,
                kernel,
                stride,
                padding,
                out_size,
            };
            let x = values(shape.input_len().unwrap(), i as u64, 0.6);
            let weight = values(shape.weight_len().unwrap(), 100 + i as u64, 0.0);
            let bias = values(c_out, 200 + i as u64, 0.0);
            let ours = conv_transpose2d(&x, &weight, Some(&bias), &shape).unwrap();
            let want = naive(&x, &weight, &bias, &shape);
            assert_eq!(ours.len(), want.len());
            let worst = ours
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-4, "case {i}: off by {worst}");
        }
    }

    #[test]
    fn wrong_lengths_are_refused_and_empty_inputs_give_zeros() {
        let shape = TransposedShape {
            batch: 1,
            c_in: 2,
            in_size: [2, 2],
            c_out: 3,
            kernel: [3, 3],
            stride: [2, 2],
            padding: [1, 1],
            out_size: [4, 4],
        };
        let (x, w) = (vec![1.0; 8], vec![1.0; 54]);
        assert!(conv_transpose2d(&x[..7], &w, None, &shape).is_none());
        assert!(conv_transpose2d(&x, &w[..53], None, &shape).is_none());
        assert!(conv_transpose2d(&x, &w, Some(&[0.0; 2]), &shape).is_none());
        let zeros = conv_transpose2d(&[0.0; 8], &w, None, &shape).unwrap();
        assert_eq!(zeros, vec![0.0; 48]);
        let empty = TransposedShape { batch: 0, ..shape };
        assert_eq!(conv_transpose2d(&[], &w, None, &empty), Some(Vec::new()));
    }
}
