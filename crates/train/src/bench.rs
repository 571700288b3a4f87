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
use convlab_model::{Vae, VaeConfig, vae_loss};
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

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_tiny_bench_emits_the_torch_field_names() {
        let args = BenchArgs {
            device: crate::cli::DeviceChoice::Cpu,
            latent: 2,
            batch: 4,
            warmup: 1,
            steps: 1,
            rounds: 1,
            inf_reps: 1,
            inf_warmup: 0,
            mode: BenchMode::All,
        };
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
}
