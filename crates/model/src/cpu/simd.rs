//! Small SIMD helpers for the CPU decoder ([`crate::cpu::transposed`], [`crate::cpu::CpuDecoder`]): [`Lanes`],
//! 32 floats summed together; [`Pair`], two dot products sharing their weights; [`Twin`], 16
//! floats of two samples summed with the same weights; and a sigmoid over a slice. In the
//! browser (wasm32 with `simd128`) they are SIMD128 intrinsics (safe functions; vectors read
//! and written through bytemuck, one `v128.load` or `v128.store` each: built from four floats,
//! LLVM loads them one lane at a time); elsewhere plain loops over arrays, which LLVM
//! vectorises.
//!
//! With the feature `relaxed-simd` (the model worker's second build, `convlab-worker-fma`),
//! every multiply-add is relaxed SIMD's `f32x4.relaxed_madd`, one fused multiply-add where the
//! CPU has one. These helpers and the loops of [`crate::cpu::transposed`] that call them are then all
//! compiled with the `relaxed-simd` target feature: LLVM inlines a function only into one with
//! at least its features, and these must inline.

/// Channels summed together: eight 128-bit vectors, which the hot loops keep in registers.
pub const LANES: usize = 32;

/// [`LANES`] floats summed together. LLVM vectorises this natively but not for wasm32, hence
/// the SIMD128 version below.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[derive(Clone, Copy)]
pub(crate) struct Lanes([f32; LANES]);

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl Lanes {
    pub(crate) fn zero() -> Self {
        Lanes([0.0; LANES])
    }

    pub(crate) fn load(values: &[f32; LANES]) -> Self {
        Lanes(*values)
    }

    /// `self += v · w`.
    pub(crate) fn mul_add(&mut self, v: f32, w: &[f32; LANES]) {
        for (s, &w) in self.0.iter_mut().zip(w) {
            *s += v * w;
        }
    }

    /// `self += x · w`, lane by lane.
    pub(crate) fn mul_add_lanes(&mut self, x: &[f32; LANES], w: &[f32; LANES]) {
        for ((s, &x), &w) in self.0.iter_mut().zip(x).zip(w) {
            *s += x * w;
        }
    }

    pub(crate) fn relu(self) -> Self {
        Lanes(self.0.map(|v| v.max(0.0)))
    }

    /// The lanes' sum, added as a tree (a running sum would be one long chain of dependent
    /// additions).
    pub(crate) fn sum(self) -> f32 {
        let mut v = self.0;
        let mut n = LANES;
        while n > 1 {
            n /= 2;
            for i in 0..n {
                v[i] += v[i + n];
            }
        }
        v[0]
    }

    pub(crate) fn to_array(self) -> [f32; LANES] {
        self.0
    }

    pub(crate) fn store(self, to: &mut [f32; LANES]) {
        *to = self.0;
    }
}

/// [`LANES`] floats as eight SIMD128 vectors. (The wasm32 SIMD intrinsics are safe functions;
/// the weights are read as whole vectors through bytemuck, one `v128.load` each: built from
/// four floats, LLVM loads them one lane at a time.)
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[derive(Clone, Copy)]
pub(crate) struct Lanes([core::arch::wasm32::v128; LANES / 4]);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Lanes {
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn zero() -> Self {
        Lanes([core::arch::wasm32::f32x4_splat(0.0); LANES / 4])
    }

    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn load(values: &[f32; LANES]) -> Self {
        let mut lanes = Self::zero();
        for (l, q) in lanes.0.iter_mut().zip(values.as_chunks::<4>().0) {
            *l = vector(q);
        }
        lanes
    }

    /// `self += v · w`.
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn mul_add(&mut self, v: f32, w: &[f32; LANES]) {
        let v = core::arch::wasm32::f32x4_splat(v);
        for (s, q) in self.0.iter_mut().zip(w.as_chunks::<4>().0) {
            *s = madd(v, vector(q), *s);
        }
    }

    /// `self += x · w`, lane by lane.
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn mul_add_lanes(&mut self, x: &[f32; LANES], w: &[f32; LANES]) {
        let pairs = x.as_chunks::<4>().0.iter().zip(w.as_chunks::<4>().0);
        for (s, (a, b)) in self.0.iter_mut().zip(pairs) {
            *s = madd(vector(a), vector(b), *s);
        }
    }

    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn relu(self) -> Self {
        use core::arch::wasm32::{f32x4_max, f32x4_splat};
        Lanes(self.0.map(|s| f32x4_max(s, f32x4_splat(0.0))))
    }

    /// The lanes' sum, added as a tree of vectors, then the four lanes (a running sum would
    /// be one long chain of dependent additions).
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn sum(self) -> f32 {
        use core::arch::wasm32::{f32x4_add, f32x4_extract_lane};
        let mut v = self.0;
        let mut n = LANES / 4;
        while n > 1 {
            n /= 2;
            for i in 0..n {
                v[i] = f32x4_add(v[i], v[i + n]);
            }
        }
        (f32x4_extract_lane::<0>(v[0]) + f32x4_extract_lane::<1>(v[0]))
            + (f32x4_extract_lane::<2>(v[0]) + f32x4_extract_lane::<3>(v[0]))
    }

    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn to_array(self) -> [f32; LANES] {
        bytemuck::cast(self.0)
    }

    /// Eight `v128.store`s.
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn store(self, to: &mut [f32; LANES]) {
        for (q, v) in to.as_chunks_mut::<4>().0.iter_mut().zip(self.0) {
            *q = bytemuck::cast(v);
        }
    }
}

/// `a · b + c`, lane by lane: with `relaxed-simd`, one `f32x4.relaxed_madd`, which the engine
/// runs fused where the CPU can (one rounding instead of two: the answers differ by rounding).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
fn madd(
    a: core::arch::wasm32::v128,
    b: core::arch::wasm32::v128,
    c: core::arch::wasm32::v128,
) -> core::arch::wasm32::v128 {
    #[cfg(feature = "relaxed-simd")]
    {
        core::arch::wasm32::f32x4_relaxed_madd(a, b, c)
    }
    #[cfg(not(feature = "relaxed-simd"))]
    {
        core::arch::wasm32::f32x4_add(c, core::arch::wasm32::f32x4_mul(a, b))
    }
}

/// Four floats as one vector (one `v128.load`).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn vector(q: &[f32; 4]) -> core::arch::wasm32::v128 {
    bytemuck::pod_read_unaligned(bytemuck::bytes_of(q))
}

/// Two dot products that share their weights, each summed in four vectors (sixteen floats), so
/// that both fit in registers beside the weights.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub(crate) struct Pair([f32; LANES / 2], [f32; LANES / 2]);

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl Pair {
    pub(crate) fn zero() -> Self {
        Pair([0.0; LANES / 2], [0.0; LANES / 2])
    }

    /// `a += x_a · w`, `b += x_b · w`, lane by lane.
    pub(crate) fn mul_add(&mut self, x_a: &[f32; LANES], x_b: &[f32; LANES], w: &[f32; LANES]) {
        for (i, &w) in w.iter().enumerate() {
            self.0[i % (LANES / 2)] += x_a[i] * w;
            self.1[i % (LANES / 2)] += x_b[i] * w;
        }
    }

    /// The two sums.
    pub(crate) fn sums(self) -> (f32, f32) {
        let half = |v: [f32; LANES / 2]| {
            let mut wide = [0.0; LANES];
            wide[..LANES / 2].copy_from_slice(&v);
            Lanes(wide).sum()
        };
        (half(self.0), half(self.1))
    }
}

/// Two dot products that share their weights, each summed in four vectors, so that both fit in
/// registers beside the weights.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) struct Pair(
    [core::arch::wasm32::v128; LANES / 8],
    [core::arch::wasm32::v128; LANES / 8],
);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Pair {
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn zero() -> Self {
        let zero = core::arch::wasm32::f32x4_splat(0.0);
        Pair([zero; LANES / 8], [zero; LANES / 8])
    }

    /// `a += x_a · w`, `b += x_b · w`, lane by lane.
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn mul_add(&mut self, x_a: &[f32; LANES], x_b: &[f32; LANES], w: &[f32; LANES]) {
        let (x_a, x_b) = (x_a.as_chunks::<4>().0, x_b.as_chunks::<4>().0);
        for (i, q) in w.as_chunks::<4>().0.iter().enumerate() {
            let w = vector(q);
            let s = i % (LANES / 8);
            self.0[s] = madd(vector(&x_a[i]), w, self.0[s]);
            self.1[s] = madd(vector(&x_b[i]), w, self.1[s]);
        }
    }

    /// The two sums.
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn sums(self) -> (f32, f32) {
        let zero = core::arch::wasm32::f32x4_splat(0.0);
        let half = |v: [core::arch::wasm32::v128; LANES / 8]| {
            let mut wide = [zero; LANES / 4];
            wide[..LANES / 8].copy_from_slice(&v);
            Lanes(wide).sum()
        };
        (half(self.0), half(self.1))
    }
}

/// Half of [`LANES`]: the channels summed for each of two samples that share their weights.
pub const HALF: usize = LANES / 2;

/// [`HALF`] channels of two samples summed together, multiplied by the same weights: each
/// weight is read once for both (four vectors each, eight in all, as [`Lanes`]).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[derive(Clone, Copy)]
pub(crate) struct Twin([[f32; HALF]; 2]);

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl Twin {
    /// Both samples' sums start from `values`.
    pub(crate) fn load(values: &[f32; HALF]) -> Self {
        Twin([*values; 2])
    }

    /// `a += v[0] · w`, `b += v[1] · w`.
    pub(crate) fn mul_add(&mut self, v: [f32; 2], w: &[f32; HALF]) {
        let [a, b] = &mut self.0;
        for ((a, b), &w) in a.iter_mut().zip(b.iter_mut()).zip(w) {
            *a += v[0] * w;
            *b += v[1] * w;
        }
    }

    pub(crate) fn relu(self) -> Self {
        Twin(self.0.map(|sums| sums.map(|v| v.max(0.0))))
    }

    /// The two samples' sums.
    pub(crate) fn to_arrays(self) -> [[f32; HALF]; 2] {
        self.0
    }
}

/// [`HALF`] channels of two samples as four SIMD128 vectors each.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[derive(Clone, Copy)]
pub(crate) struct Twin([[core::arch::wasm32::v128; HALF / 4]; 2]);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Twin {
    /// Both samples' sums start from `values`.
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn load(values: &[f32; HALF]) -> Self {
        let mut sums = [core::arch::wasm32::f32x4_splat(0.0); HALF / 4];
        for (s, q) in sums.iter_mut().zip(values.as_chunks::<4>().0) {
            *s = vector(q);
        }
        Twin([sums; 2])
    }

    /// `a += v[0] · w`, `b += v[1] · w`: four weight vectors read, eight multiply-adds.
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn mul_add(&mut self, v: [f32; 2], w: &[f32; HALF]) {
        use core::arch::wasm32::f32x4_splat;
        let (a, b) = (f32x4_splat(v[0]), f32x4_splat(v[1]));
        let [sums_a, sums_b] = &mut self.0;
        for ((s_a, s_b), q) in sums_a.iter_mut().zip(sums_b).zip(w.as_chunks::<4>().0) {
            let w = vector(q);
            *s_a = madd(a, w, *s_a);
            *s_b = madd(b, w, *s_b);
        }
    }

    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn relu(self) -> Self {
        use core::arch::wasm32::{f32x4_max, f32x4_splat};
        Twin(
            self.0
                .map(|sums| sums.map(|s| f32x4_max(s, f32x4_splat(0.0)))),
        )
    }

    /// The two samples' sums.
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    pub(crate) fn to_arrays(self) -> [[f32; HALF]; 2] {
        self.0.map(bytemuck::cast)
    }
}

/// ln 2 in two parts (Cephes' `expf`): `n · LN2_HI` is exact for the `n` used here.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Cephes' `expf` polynomial: `e^r ≈ 1 + r + r² · P(r)` for `|r| ≤ ln 2 / 2`, highest power
/// first.
const EXP_P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5,
];

/// The logistic sigmoid `1 / (1 + e^(−x))`, with `e^t` as `2^n · e^r` (`n` the nearest integer
/// to `t / ln 2`, `t` clamped to `[−87, 88]` so that `2^n` is a normal float). Within 1e-7 of
/// the exact value; NaN stays NaN. [`sigmoid`] computes the same operations four at a time.
pub(crate) fn sigmoid_one(x: f32) -> f32 {
    let t = (-x).clamp(-87.0, 88.0);
    let n = (t * std::f32::consts::LOG2_E).round_ties_even();
    let r = t - n * LN2_HI - n * LN2_LO;
    let p = EXP_P[1..].iter().fold(EXP_P[0], |p, &c| p * r + c);
    let e = r * r * p + r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    1.0 / (1.0 + e * scale)
}

/// [`sigmoid_one`] of every value, in place.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub(crate) fn sigmoid(values: &mut [f32]) {
    for v in values {
        *v = sigmoid_one(*v);
    }
}

/// [`sigmoid_one`] of every value, in place, four at a time (the same operations in the same
/// order, so the same floats).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) fn sigmoid(values: &mut [f32]) {
    use core::arch::wasm32::{
        f32x4_add, f32x4_div, f32x4_max, f32x4_min, f32x4_mul, f32x4_nearest, f32x4_neg,
        f32x4_splat, f32x4_sub, i32x4_add, i32x4_shl, i32x4_splat, i32x4_trunc_sat_f32x4,
    };
    let (quads, rest) = values.as_chunks_mut::<4>();
    for q in quads {
        let x = vector(q);
        let t = f32x4_min(
            f32x4_max(f32x4_neg(x), f32x4_splat(-87.0)),
            f32x4_splat(88.0),
        );
        let n = f32x4_nearest(f32x4_mul(t, f32x4_splat(std::f32::consts::LOG2_E)));
        let r = f32x4_sub(
            f32x4_sub(t, f32x4_mul(n, f32x4_splat(LN2_HI))),
            f32x4_mul(n, f32x4_splat(LN2_LO)),
        );
        let mut p = f32x4_splat(EXP_P[0]);
        for &c in &EXP_P[1..] {
            p = f32x4_add(f32x4_mul(p, r), f32x4_splat(c));
        }
        let e = f32x4_add(
            f32x4_add(f32x4_mul(f32x4_mul(r, r), p), r),
            f32x4_splat(1.0),
        );
        let scale = i32x4_shl(i32x4_add(i32x4_trunc_sat_f32x4(n), i32x4_splat(127)), 23);
        let y = f32x4_div(
            f32x4_splat(1.0),
            f32x4_add(f32x4_splat(1.0), f32x4_mul(e, scale)),
        );
        *q = bytemuck::cast(y);
    }
    for v in rest {
        *v = sigmoid_one(*v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sigmoid_is_the_exact_one_within_1e_7() {
        let mut worst = 0f64;
        for i in -200_000..=200_000 {
            let x = i as f32 * 5e-4; // [-100, 100]
            let exact = 1.0 / (1.0 + (-(x as f64)).exp());
            worst = worst.max((sigmoid_one(x) as f64 - exact).abs());
        }
        assert!(worst < 1e-7, "off by {worst}");
        // Far out it saturates (to 0 within e^−88) rather than overflowing.
        let mut extremes = [f32::INFINITY, 0.0, f32::NEG_INFINITY, f32::MAX, f32::MIN];
        sigmoid(&mut extremes);
        assert_eq!(extremes[..2], [1.0, 0.5]);
        assert!(extremes[2] < 1e-38 && extremes[4] < 1e-38 && extremes[3] == 1.0);
        assert!(extremes.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(sigmoid_one(f32::NAN).is_nan());
    }
}
