//! `bench`: the VAE's training throughput and inference latency, measured the way
//! `bench/torch_vae.py` measures PyTorch, with the same JSON field names, so the two outputs
//! line up.
//!
//! - Training: Adam (lr 1e-3, ε 1e-8) on 8 fixed batches of synthetic images `k/255`;
//!   `warmup` untimed steps, then `rounds` timed rounds of `steps` steps; each step reads the
//!   loss back (PyTorch's `loss.item()`), so the device has finished it. Reports the median.
//! - Inference: encode 1 image, decode 1 and 64 latent codes, each read back to the host;
//!   `inf_warmup` (30) untimed calls, then `inf_reps` timed ones. Reports median, p10 and p90.

use std::time::Instant;

use anyhow::{Result, anyhow};
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use convlab_kernels::rng::SplitMix64;
use convlab_model::{Vae, VaeConfig, conv, vae_loss};
use serde_json::{Value, json};

use crate::artifacts::TrainingConfig;
use crate::cli::{BenchArgs, BenchMode};

/// Runs the benchmarks `args` asks for, calling `emit` with each JSON line.
pub fn run(
    args: &BenchArgs,
    device: &Device,
    backend: &str,
    mut emit: impl FnMut(&Value),
) -> Result<()> {
    let tag = format!("burn-0.22.1/{backend}");
    let params = VaeConfig::new()
        .with_latent_dim(args.latent)
        .init(device)
        .num_params();
    emit(&json!({
        "kind": "meta", "impl": tag, "threads": threads(), "params": params,
        "latent": args.latent, "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
    }));
    if matches!(args.mode, BenchMode::All | BenchMode::Train) {
        emit(&bench_train(args, device, &tag)?);
    }
    if matches!(args.mode, BenchMode::All | BenchMode::Infer) {
        for line in bench_infer(args, device, &tag)? {
            emit(&line);
        }
    }
    if args.mode == BenchMode::Layers {
        for line in bench_layers(args, device, &tag) {
            emit(&line);
        }
    }
    emit(&json!({
        "kind": "meta_end", "impl": tag, "latent": args.latent, "peak_rss_mb": peak_rss_mb(),
    }));
    Ok(())
}

/// Synthetic images `k/255` with `k` uniform in 0..=255, `[batch, 1, 28, 28]`.
fn synthetic_batch(batch: usize, rng: &mut SplitMix64, device: &Device) -> Tensor<4> {
    let values: Vec<f32> = (0..batch * 784)
        .map(|_| (rng.next_u64() % 256) as f32 / 255.0)
        .collect();
    Tensor::from_data(TensorData::new(values, [batch, 1, 28, 28]), device)
}

fn bench_train(args: &BenchArgs, device: &Device, tag: &str) -> Result<Value> {
    let device = device.clone().autodiff();
    device.seed(0);
    let mut model: Vae = VaeConfig::new().with_latent_dim(args.latent).init(&device);
    let params = model.num_params();
    let mut optimizer = TrainingConfig::adam().init();
    let mut rng = SplitMix64::new(1);
    let batches: Vec<Tensor<4>> = (0..8)
        .map(|_| synthetic_batch(args.batch, &mut rng, &device))
        .collect();

    let mut i = 0usize;
    let mut step = |model: Vae| -> Result<(Vae, f64)> {
        let x = batches[i % batches.len()].clone();
        i += 1;
        let output = model.forward(x.clone());
        let loss = vae_loss(&output, x, 1.0).total;
        let value = loss.clone().inner().into_scalar::<f32>() as f64;
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        Ok((optimizer.step(1e-3, model, grads), value))
    };

    let mut last = f64::NAN;
    let t0 = Instant::now();
    for _ in 0..args.warmup {
        (model, last) = step(model)?;
    }
    let warmup_s = t0.elapsed().as_secs_f64();
    let loss_after_warmup = last;
    let mut per_round = Vec::with_capacity(args.rounds);
    for _ in 0..args.rounds {
        let t = Instant::now();
        for _ in 0..args.steps {
            (model, last) = step(model)?;
        }
        per_round.push((args.steps * args.batch) as f64 / t.elapsed().as_secs_f64());
    }
    let median = median(&per_round).ok_or_else(|| anyhow!("--rounds must be at least 1"))?;
    Ok(json!({
        "impl": tag, "kind": "train", "latent": args.latent, "batch": args.batch,
        "steps_per_epoch": args.steps, "epochs": args.rounds, "warmup_steps": args.warmup,
        "warmup_s": round(warmup_s, 3),
        "median_img_per_s": round(median, 1),
        "median_ms_per_step": round(1000.0 * args.batch as f64 / median, 2),
        "per_epoch_img_per_s": per_round.iter().map(|v| round(*v, 1)).collect::<Vec<_>>(),
        "loss_after_warmup": round(loss_after_warmup, 3), "loss_last": round(last, 3),
        "params": params, "peak_rss_mb": peak_rss_mb(),
    }))
}

/// A named operation to time.
type Timed<'a> = (&'static str, Box<dyn Fn() + 'a>);

fn bench_infer(args: &BenchArgs, device: &Device, tag: &str) -> Result<Vec<Value>> {
    device.seed(0);
    let model = VaeConfig::new().with_latent_dim(args.latent).init(device);
    let mut rng = SplitMix64::new(2);
    let x1 = synthetic_batch(1, &mut rng, device);
    let z1 = Tensor::<2>::random([1, args.latent], Distribution::Normal(0.0, 1.0), device);
    let z64 = Tensor::<2>::random([64, args.latent], Distribution::Normal(0.0, 1.0), device);

    let read = |t: Tensor<2>| t.into_data();
    let read4 = |t: Tensor<4>| t.into_data();
    let ops: [Timed<'_>; 3] = [
        (
            "encode_1",
            Box::new(|| {
                let gaussian = model.encode(x1.clone());
                let _ = (read(gaussian.mu), read(gaussian.log_var));
            }),
        ),
        (
            "decode_1",
            Box::new(|| drop(read4(model.decode(z1.clone())))),
        ),
        (
            "decode_64",
            Box::new(|| drop(read4(model.decode(z64.clone())))),
        ),
    ];
    let mut lines = Vec::new();
    for (name, op) in ops {
        for _ in 0..args.inf_warmup {
            op();
        }
        let mut times: Vec<f64> = (0..args.inf_reps.max(1))
            .map(|_| {
                let t = Instant::now();
                op();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let median = median(&times).unwrap_or(f64::NAN);
        let at = |fraction: usize| times[(times.len() * fraction / 10).min(times.len() - 1)];
        lines.push(json!({
            "impl": tag, "kind": "infer", "op": name, "latent": args.latent,
            "reps": times.len(), "median_ms": round(median, 4),
            "p10_ms": round(at(1), 4), "p90_ms": round(at(9), 4),
        }));
    }
    Ok(lines)
}

/// A convolution of the VAE to time alone: its name, its input `[channels, side]`, and its forward
/// pass twice: the `burn::nn` module's own, and [`conv`]'s (the trainer's faster weight gradient).
type Layer<'a> = (
    &'static str,
    [usize; 2],
    [Box<dyn Fn(Tensor<4>) -> Tensor<4> + 'a>; 2],
);

/// Times each of the VAE's five convolutions alone at `args.batch`: the forward pass, and the
/// forward and backward passes against a dense output gradient (as the loss gives), once with the
/// `burn::nn` module's forward (`"path": "burn"`) and once with [`conv`]'s (`"path": "convlab"`),
/// interleaved so both see the same machine. The input needs a gradient except for the first layer,
/// as in training. Medians over `args.inf_reps` (at most 30) calls after 3 untimed ones.
fn bench_layers(args: &BenchArgs, device: &Device, tag: &str) -> Vec<Value> {
    let device = device.clone().autodiff();
    device.seed(0);
    let model: Vae = VaeConfig::new().with_latent_dim(args.latent).init(&device);
    let (enc, dec) = (&model.encoder, &model.decoder);
    // Conv2d weights are [out, in, k, k]; ConvTranspose2d weights [in, out, k, k].
    let layers: [Layer<'_>; 5] = [
        (
            "enc_conv1",
            [enc.conv1.weight.dims()[1], 28],
            [
                Box::new(|x| enc.conv1.forward(x)),
                Box::new(|x| conv::conv2d(&enc.conv1, x)),
            ],
        ),
        (
            "enc_conv2",
            [enc.conv2.weight.dims()[1], 14],
            [
                Box::new(|x| enc.conv2.forward(x)),
                Box::new(|x| conv::conv2d(&enc.conv2, x)),
            ],
        ),
        (
            "dec_deconv1",
            [dec.deconv1.weight.dims()[0], 7],
            [
                Box::new(|x| dec.deconv1.forward(x)),
                Box::new(|x| conv::conv_transpose2d(&dec.deconv1, x)),
            ],
        ),
        (
            "dec_deconv2",
            [dec.deconv2.weight.dims()[0], 14],
            [
                Box::new(|x| dec.deconv2.forward(x)),
                Box::new(|x| conv::conv_transpose2d(&dec.deconv2, x)),
            ],
        ),
        (
            "dec_deconv3",
            [dec.deconv3.weight.dims()[0], 28],
            [
                Box::new(|x| dec.deconv3.forward(x)),
                Box::new(|x| conv::conv_transpose2d(&dec.deconv3, x)),
            ],
        ),
    ];
    let reps = args.inf_reps.clamp(1, 30);
    let mut lines = Vec::new();
    for (i, (name, [channels, side], paths)) in layers.into_iter().enumerate() {
        let shape = [args.batch, channels, side, side];
        let mut x = Tensor::<4>::random(shape, Distribution::Default, &device);
        if i > 0 {
            x = x.require_grad();
        }
        let upstream = paths[0](x.clone()).detach();
        let forward_only =
            |layer: &dyn Fn(Tensor<4>) -> Tensor<4>| drop(layer(x.clone()).into_data());
        let with_backward = |layer: &dyn Fn(Tensor<4>) -> Tensor<4>| {
            drop((layer(x.clone()) * upstream.clone()).sum().backward())
        };
        // samples[path][pass]
        let mut samples: [[Vec<f64>; 2]; 2] = Default::default();
        for rep in 0..reps + 3 {
            for (layer, times) in paths.iter().zip(&mut samples) {
                let passes: [&dyn Fn(); 2] = [&|| forward_only(layer), &|| with_backward(layer)];
                for (pass, times) in passes.iter().zip(times.iter_mut()) {
                    let t = Instant::now();
                    pass();
                    if rep >= 3 {
                        times.push(t.elapsed().as_secs_f64() * 1e3);
                    }
                }
            }
        }
        let [burn, ours] = samples.map(|path| path.map(|times| median(&times).unwrap_or(f64::NAN)));
        for (path, [forward_ms, both_ms]) in [("burn", burn), ("convlab", ours)] {
            lines.push(json!({
                "impl": tag, "kind": "layer", "layer": name, "path": path, "batch": args.batch,
                "input": [channels, side, side], "output": &upstream.dims()[1..], "reps": reps,
                "forward_ms": round(forward_ms, 2), "forward_backward_ms": round(both_ms, 2),
                "backward_share": round(1.0 - forward_ms / both_ms, 3),
                "speedup_vs_burn": round(burn[1] / both_ms, 2),
            }));
        }
    }
    lines
}

/// The median, or `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Peak resident memory of this process in MB (Linux `VmHWM`), or `None` elsewhere.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(round(kb / 1024.0, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest bench: one warm-up step, one timed step, one repetition of each latency.
    fn tiny(mode: BenchMode, batch: usize) -> BenchArgs {
        BenchArgs {
            device: crate::cli::DeviceChoice::Cpu,
            latent: 2,
            batch,
            warmup: 1,
            steps: 1,
            rounds: 1,
            inf_reps: 1,
            inf_warmup: 0,
            mode,
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_tiny_bench_emits_the_torch_field_names() {
        let args = tiny(BenchMode::All, 4);
        let mut lines = Vec::new();
        run(&args, &Device::flex(), "flex", |v| lines.push(v.clone())).unwrap();
        let kinds: Vec<&str> = lines.iter().filter_map(|l| l["kind"].as_str()).collect();
        assert_eq!(
            kinds,
            ["meta", "train", "infer", "infer", "infer", "meta_end"]
        );
        let train = &lines[1];
        for field in [
            "median_img_per_s",
            "median_ms_per_step",
            "loss_last",
            "params",
        ] {
            assert!(!train[field].is_null(), "{field} missing: {train}");
        }
        assert_eq!(lines[4]["op"], "decode_64");
    }

    #[test]
    fn the_layer_bench_times_every_convolution_forward_and_backward() {
        let args = tiny(BenchMode::Layers, 2);
        let mut lines = Vec::new();
        run(&args, &Device::flex(), "flex", |v| lines.push(v.clone())).unwrap();
        let layers: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "layer").collect();
        let names: Vec<(&str, &str)> = layers
            .iter()
            .filter_map(|l| Some((l["layer"].as_str()?, l["path"].as_str()?)))
            .collect();
        let expected: Vec<(&str, &str)> = [
            "enc_conv1",
            "enc_conv2",
            "dec_deconv1",
            "dec_deconv2",
            "dec_deconv3",
        ]
        .into_iter()
        .flat_map(|name| [(name, "burn"), (name, "convlab")])
        .collect();
        assert_eq!(names, expected);
        for layer in layers {
            let forward = layer["forward_ms"].as_f64().unwrap();
            let both = layer["forward_backward_ms"].as_f64().unwrap();
            assert!(forward >= 0.0 && both >= 0.0, "{layer}");
            assert!(layer["speedup_vs_burn"].as_f64().unwrap() > 0.0, "{layer}");
        }
        assert!(!lines.iter().any(|l| l["kind"] == "train"));
    }
}
