//! The loops of a [`Transposed`] layer, one per weight layout: by kernel tap, one sample or two
//! at once ([`LANES`] or [`HALF`] output channels in registers), and by output pixel (a layer
//! with fewer than [`LANES`] output channels).

use super::{ByOutput, ByTap, HALF, LANES, Plan, Scratch, TWIN_WASTE, Transposed};
use crate::cpu::simd::{Lanes, Pair, Twin};

impl Transposed {
    /// [`by_tap`](Self::by_tap) for two samples at once, over the inputs where either is not
    /// zero, [`HALF`] output channels of each in registers. `false` (nothing written) when
    /// that would multiply too many zeros: when the inputs where just one of the two is not
    /// zero are more than [`TWIN_WASTE`] of those where either is.
    #[cfg_attr(
        all(target_arch = "wasm32", feature = "relaxed-simd"),
        target_feature(enable = "relaxed-simd")
    )]
    pub(super) fn by_tap_two(
        &self,
        layout: &ByTap,
        x: [&[f32]; 2],
        out: [&mut [f32]; 2],
        relu: bool,
        scratch: &mut Scratch,
    ) -> bool {
        let ByTap {
            by_tap,
            width,
            plan: Plan { pixels, pairs },
        } = layout;
        let Scratch { twin, starts, .. } = scratch;
        // As in `by_tap`: every value pair written, the end moved past it unless both are zero.
        if twin.len() < x[0].len() {
            twin.resize(x[0].len(), (0, [0.0; 2]));
        }
        starts.clear();
        starts.push(0);
        let (mut end, mut alone) = (0, 0);
        for (a, b) in x[0]
            .chunks_exact(self.c_in)
            .zip(x[1].chunks_exact(self.c_in))
        {
            for (c, (&a, &b)) in a.iter().zip(b).enumerate() {
                if let Some(slot) = twin.get_mut(end) {
                    *slot = (c, [a, b]);
                }
                end += usize::from(a != 0.0 || b != 0.0);
                alone += usize::from((a != 0.0) != (b != 0.0));
            }
            starts.push(end);
        }
        if alone as f32 > TWIN_WASTE * end as f32 {
            return false;
        }
        let nonzero = |position: usize| {
            starts
                .get(position..position + 2)
                .and_then(|range| twin.get(range[0]..range[1]))
                .unwrap_or_default()
        };
        let blocks = width / LANES;
        let [out_a, out_b] = out;
        for (&(o, from), &(_, to)) in pixels.iter().zip(pixels.iter().skip(1)) {
            let pixel_a = &mut out_a[o * self.c_out..][..self.c_out];
            let pixel_b = &mut out_b[o * self.c_out..][..self.c_out];
            let pairs = pairs.get(from..to).unwrap_or_default();
            for (half, bias) in self.bias.as_chunks::<HALF>().0.iter().enumerate() {
                let start = half * HALF;
                if start >= self.c_out {
                    break;
                }
                let (block, side) = (half / 2, half % 2);
                let mut sum = Twin::load(bias);
                for &(position, tap) in pairs {
                    let at = (tap * blocks + block) * self.c_in * LANES;
                    let rows = by_tap.get(at..at + self.c_in * LANES).unwrap_or_default();
                    // Row `c` of the block is halves `2c` and `2c + 1`.
                    let halves = rows.as_chunks::<HALF>().0;
                    for &(c, v) in nonzero(position) {
                        if let Some(w) = halves.get(2 * c + side) {
                            sum.mul_add(v, w);
                        }
                    }
                }
                if relu {
                    sum = sum.relu();
                }
                for (pixel, sums) in [&mut *pixel_a, &mut *pixel_b]
                    .into_iter()
                    .zip(sum.to_arrays())
                {
                    match pixel.get_mut(start..).and_then(<[f32]>::first_chunk_mut) {
                        Some(whole) => *whole = sums,
                        None => {
                            let n = self.c_out - start;
                            pixel[start..].copy_from_slice(&sums[..n]);
                        }
                    }
                }
            }
        }
        true
    }

    /// [`forward`](Self::forward) skipping zero inputs, output channels in registers.
    #[cfg_attr(
        all(target_arch = "wasm32", feature = "relaxed-simd"),
        target_feature(enable = "relaxed-simd")
    )]
    pub(super) fn by_tap(
        &self,
        layout: &ByTap,
        x: &[f32],
        out: &mut [f32],
        relu: bool,
        scratch: &mut Scratch,
    ) {
        let ByTap {
            by_tap,
            width,
            plan: Plan { pixels, pairs },
        } = layout;
        let Scratch {
            entries, starts, ..
        } = scratch;
        // Without a branch per value (half of them zero, in no order a predictor could learn):
        // every value is written, and the end moves past it only when it is not zero. (Only
        // the entries before each position's end are read, so what an earlier call left in
        // the rest does not matter, and the list is not cleared: that would write it all.)
        if entries.len() < x.len() {
            entries.resize(x.len(), (0, 0.0));
        }
        starts.clear();
        starts.push(0);
        let mut end = 0;
        for pixel in x.chunks_exact(self.c_in) {
            for (c, &v) in pixel.iter().enumerate() {
                if let Some(slot) = entries.get_mut(end) {
                    *slot = (c, v);
                }
                end += usize::from(v != 0.0);
            }
            starts.push(end);
        }
        let nonzero = |position: usize| {
            starts
                .get(position..position + 2)
                .and_then(|range| entries.get(range[0]..range[1]))
                .unwrap_or_default()
        };
        let blocks = width / LANES;
        for (&(o, from), &(_, to)) in pixels.iter().zip(pixels.iter().skip(1)) {
            let pixel = &mut out[o * self.c_out..][..self.c_out];
            let pairs = pairs.get(from..to).unwrap_or_default();
            for (block, bias) in self.bias.as_chunks::<LANES>().0.iter().enumerate() {
                let start = block * LANES;
                let mut sum = Lanes::load(bias);
                for &(position, tap) in pairs {
                    let at = (tap * blocks + block) * self.c_in * LANES;
                    let rows = by_tap.get(at..at + self.c_in * LANES).unwrap_or_default();
                    let rows = rows.as_chunks::<LANES>().0;
                    for &(c, v) in nonzero(position) {
                        if let Some(w) = rows.get(c) {
                            sum.mul_add(v, w);
                        }
                    }
                }
                if relu {
                    sum = sum.relu();
                }
                // A whole block as vector stores (a copy of a length known only at run time is
                // a `memory.copy`, a call out of the compiled code in the browser).
                match pixel.get_mut(start..).and_then(<[f32]>::first_chunk_mut) {
                    Some(whole) => sum.store(whole),
                    None => {
                        let n = self.c_out - start;
                        pixel[start..].copy_from_slice(&sum.to_array()[..n]);
                    }
                }
            }
        }
    }

    /// [`forward`](Self::forward) for few output channels: input channels in registers. With
    /// a column stride of 1 the input pixels landing on an output pixel through one kernel row
    /// are consecutive, and so are their weights: one dot product per kernel row; and two
    /// neighbouring output pixels read the same weights one input pixel apart, so they are
    /// computed together, each weight read once for both.
    #[cfg_attr(
        all(target_arch = "wasm32", feature = "relaxed-simd"),
        target_feature(enable = "relaxed-simd")
    )]
    pub(super) fn by_output(&self, layout: &ByOutput, x: &[f32], out: &mut [f32], relu: bool) {
        let ByOutput {
            by_output,
            rows: row_sources,
            col_runs,
            paired: paired_columns,
        } = layout;
        let (c_in, c_out, k_w, out_w) = (self.c_in, self.c_out, self.kernel_w, col_runs.len());
        let finish = |v: f32| if relu { v.max(0.0) } else { v };
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f32>();
        for (oh, rows) in row_sources.iter().enumerate() {
            let mut ow = 0;
            while ow < out_w {
                let (runs, paired) = (&col_runs[ow], paired_columns[ow]);
                let o = oh * out_w + ow;
                for co in 0..c_out {
                    let kernel = &by_output[co * self.taps * c_in..][..self.taps * c_in];
                    let mut pair = Pair::zero();
                    let mut sum = Lanes::zero();
                    let (mut tail, mut tail_b) = (0f32, 0f32);
                    for &(ih, kh) in rows {
                        for &(iw, kw, n) in runs {
                            let (at, len) = ((ih * self.in_w + iw) * c_in, n * c_in);
                            let ws = &kernel[(kh * k_w + k_w - 1 - kw) * c_in..][..len];
                            let (w_blocks, w_rest) = ws.as_chunks::<LANES>();
                            let (x_blocks, x_rest) = x[at..][..len].as_chunks::<LANES>();
                            tail += dot(x_rest, w_rest);
                            if paired {
                                let (b_blocks, b_rest) = x[at + c_in..][..len].as_chunks::<LANES>();
                                for ((a, b), w) in x_blocks.iter().zip(b_blocks).zip(w_blocks) {
                                    pair.mul_add(a, b, w);
                                }
                                tail_b += dot(b_rest, w_rest);
                            } else {
                                for (a, w) in x_blocks.iter().zip(w_blocks) {
                                    sum.mul_add_lanes(a, w);
                                }
                            }
                        }
                    }
                    let bias = self.bias[co];
                    if paired {
                        let (a, b) = pair.sums();
                        out[o * c_out + co] = finish(bias + a + tail);
                        out[(o + 1) * c_out + co] = finish(bias + b + tail_b);
                    } else {
                        out[o * c_out + co] = finish(bias + sum.sum() + tail);
                    }
                }
                ow += if paired { 2 } else { 1 };
            }
        }
    }
}
