//! The model benchmarks, shared word for word by the native bench (`crates/model/benches/inference.rs`)
//! and the wasm bench in headless Chromium (`crates/worker/tests/bench.rs`, which includes this file),
//! so the two columns of `cargo xtask bench` time the same calls. Each case is run `runs`
//! times after a warm-up of at least [`WARM_UP_MS`] (and three runs); the median is printed as
//! `BENCH <case> <target> median_ms=… min_ms=… runs=…`.
//!
//! The calls are the ones the pages make on the CPU backend: decode one latent (the
//! interpolation slider), ten (the strip), the latent map's 20×20 manifold (its codes, at the
//! prior's quantiles) in slices of 8 (as the worker decodes it), all with the [`CpuDecoder`]
//! the model worker decodes with on the CPU; encode one drawing, classify one drawing (Burn's
//! `flex`). One more case decodes the manifold with Burn's own decoder module on `flex`, for
//! comparison.

use burn::tensor::{Device, Tensor, TensorData};
use convlab_digits::example_digit;
use convlab_digits::latent::manifold_grid;
use convlab_model::{CpuDecoder, LeNet5, Vae, load_lenet, load_vae};

/// The models the cases use.
pub struct Models {
    pub vae: Vae,
    /// VAE-2's decoder as the worker decodes on the CPU.
    pub decoder: CpuDecoder,
    pub lenet: LeNet5,
    pub device: Device,
}

impl Models {
    /// VAE-2 and LeNet-5 from their shipped files' contents.
    pub fn load(vae: (&str, &[u8]), lenet: (&str, &[u8]), device: Device) -> Self {
        let vae = load_vae(vae.0, vae.1, &device).expect("the shipped VAE-2 loads");
        Self {
            decoder: CpuDecoder::new(&vae.decoder).expect("VAE-2's decoder is a ReLU one"),
            vae,
            lenet: load_lenet(lenet.0, lenet.1, &device).expect("the shipped LeNet-5 loads"),
            device,
        }
    }

    /// The CPU decoder's images of `n` codes.
    fn decode(&self, n: usize) -> Vec<f32> {
        self.decoder.decode(&code_values(n)).expect("whole codes")
    }

    /// The latent map's 400 codes given to `decode` in slices of 8 (as the worker decodes
    /// them); what the last call returned.
    fn manifold(&self, decode: impl Fn(&[f32]) -> f32) -> f32 {
        let codes = manifold_grid(20, 0.05).concat();
        // Every slice decoded (`last` could skip to the end), one value kept.
        codes.chunks(8 * 2).fold(0.0, |_, slice| decode(slice))
    }
}

/// `n` latent codes of VAE-2 spread over the prior's ±2.
fn code_values(n: usize) -> Vec<f32> {
    (0..n * 2)
        .map(|i| ((i * 37 % 17) as f32 - 8.0) / 4.0)
        .collect()
}

impl Models {
    fn digit(&self) -> Tensor<4> {
        let pixels = example_digit(4).expect("the example 4");
        Tensor::from_data(TensorData::new(pixels, [1, 1, 28, 28]), &self.device)
    }
}

/// One benchmark case: a name, how many timed runs, and the work (which reads its result
/// back, so nothing is left queued).
pub struct Case {
    pub name: &'static str,
    pub runs: usize,
    pub work: fn(&Models) -> f32,
}

/// Reads a tensor back and returns one of its values, so the work cannot be skipped.
fn first<const D: usize>(t: Tensor<D>) -> f32 {
    t.into_data().iter::<f32>().next().unwrap_or_default()
}

/// Every case, in the order they are printed.
pub const CASES: &[Case] = &[
    Case {
        name: "decode_1",
        runs: 51,
        work: |m| m.decode(1)[0],
    },
    Case {
        name: "decode_strip_10",
        runs: 21,
        work: |m| m.decode(10)[0],
    },
    Case {
        name: "manifold_20x20_slices_of_8",
        runs: 5,
        work: |m| m.manifold(|codes| m.decoder.decode(codes).expect("whole codes")[0]),
    },
    Case {
        name: "manifold_20x20_burn_flex",
        runs: 5,
        work: |m| {
            m.manifold(|codes| {
                let z = TensorData::new(codes.to_vec(), [codes.len() / 2, 2]);
                first(m.vae.decode(Tensor::from_data(z, &m.device)))
            })
        },
    },
    Case {
        name: "encode_1",
        runs: 51,
        work: |m| first(m.vae.encode(m.digit()).mu),
    },
    Case {
        name: "classify_1",
        runs: 51,
        work: |m| first(m.lenet.predict(m.digit())),
    },
];

/// How long each case runs untimed first. In the browser this is what lets the engine finish
/// compiling the hot functions with its optimising tier (V8 starts wasm in a baseline compiler
/// and tiers up in the background): with one warm-up run, the first case timed half-compiled
/// code, and `decode_1`'s median swung between 0.7 and 2 ms from run to run. Half a second
/// was still not always enough on two busy cores (one `cargo xtask bench` timed 1.2 ms, the
/// same build 0.55 ms right after), hence two seconds.
const WARM_UP_MS: f64 = 2000.0;

/// Times every case with `now_ms` and prints one line per case for `target`.
pub fn run_all(models: &Models, target: &str, now_ms: &dyn Fn() -> f64, print: &dyn Fn(&str)) {
    for case in CASES {
        let start = now_ms();
        let mut warm_up_runs = 0;
        while warm_up_runs < 3 || now_ms() - start < WARM_UP_MS {
            std::hint::black_box((case.work)(models));
            warm_up_runs += 1;
        }
        let mut times: Vec<f64> = (0..case.runs)
            .map(|_| {
                let t0 = now_ms();
                std::hint::black_box((case.work)(models));
                now_ms() - t0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        print(&format!(
            "BENCH {} {target} median_ms={:.3} min_ms={:.3} runs={}",
            case.name,
            times[times.len() / 2],
            times[0],
            times.len()
        ));
    }
}
