//! `cargo xtask bench`: the speed benchmarks natively and in headless Chromium, printed side by
//! side as medians measured in the same run (see `docs/benchmarks.md`).

use std::process::Command;

use crate::ctx::{Ctx, Result};
use crate::steps::{
    Step, bundle_worker, cargo, report_dist_sizes, run_steps, serve_worker, timed_setup,
    unknown_flag, wasm_test,
};
use crate::tools::Needs;

/// Which steps `cargo xtask bench` runs.
#[derive(Clone, Copy, PartialEq)]
enum Only {
    All,
    /// `--training`: the training cases and the labs' frame gaps.
    Training,
    /// `--workers`: the manifold over the model workers and the labs' frame gaps.
    Workers,
}

/// `cargo xtask bench [--training | --workers]`
pub fn bench(ctx: &Ctx, args: &[String]) -> Result {
    let mut only = Only::All;
    for arg in args {
        match arg.as_str() {
            "--training" => only = Only::Training,
            "--workers" => only = Only::Workers,
            other => return Err(unknown_flag("bench", other)),
        }
    }
    let needs = Needs {
        trunk: false,
        wasm_bindgen: true,
        wasm_opt: false,
        browser: true,
    };
    let (timings, installed) = timed_setup(ctx, needs)?;
    let native = cargo(ctx, &["bench", "-p", "convlab-kernels", "--bench", "sobel"]);
    let models = cargo(
        ctx,
        &["bench", "-p", "convlab-model", "--bench", "inference"],
    );
    let training = cargo(
        ctx,
        &["bench", "-p", "convlab-learn", "--bench", "training"],
    );
    let wasm_bench = |package: &str, test: &str, extra: &[&str]| -> Result<Command> {
        let mut cmd = wasm_test(ctx, &installed, package)?;
        cmd.arg("--release")
            .args(extra)
            .args(["--test", test, "--", "--nocapture"]);
        Ok(cmd)
    };
    // The app's manifold over its model workers: a release worker (CPU only, as the cases
    // time it; the build with relaxed SIMD, which headless Chromium starts), bundled as Trunk
    // would and served beside the benchmark.
    let bench_worker = Step {
        after: Some(|ctx: &Ctx| {
            bundle_worker(ctx, "release", "convlab-worker-fma", &bench_worker_dir(ctx))
        }),
        ..Step::new(
            "bench worker (release)",
            cargo(
                ctx,
                &[
                    "build",
                    "--release",
                    "--target",
                    "wasm32-unknown-unknown",
                    "-p",
                    "convlab-worker",
                    "--no-default-features",
                    "--features",
                    "relaxed-simd",
                    "--bin",
                    "convlab-worker-fma",
                ],
            ),
        )
    };
    let addr = serve_worker(ctx, &bench_worker_dir(ctx), BENCH_SERVER_PORT)?;
    let mut workers_bench = wasm_test(ctx, &installed, "convlab-web")?;
    workers_bench
        .args(["--release", "--test", "workers_bench", "--", "--nocapture"])
        .env("CONVLAB_TEST_WORKER_URL", format!("http://{addr}/"));
    // Each step with the runs that take it besides a whole one.
    let (in_training, in_both): (&[Only], &[Only]) =
        (&[Only::Training], &[Only::Training, Only::Workers]);
    let in_all: &[Only] = &[];
    let all = vec![
        (in_all, Step::new("bench (native, criterion)", native)),
        (in_all, Step::new("bench (native, models)", models)),
        (in_training, Step::new("bench (native, training)", training)),
        (
            in_all,
            Step::new(
                "bench (wasm, Sobel, headless Chromium)",
                wasm_bench("convlab-web", "bench", &[])?,
            ),
        ),
        // The models on the CPU backend only: the wasm column times `flex`, as the native one
        // does.
        (
            in_all,
            Step::new(
                "bench (wasm, models, headless Chromium)",
                wasm_bench("convlab-worker", "bench", &["--no-default-features"])?,
            ),
        ),
        (
            in_all,
            Step::new(
                "bench (wasm with relaxed SIMD, models, headless Chromium)",
                wasm_bench(
                    "convlab-worker",
                    "bench",
                    &["--no-default-features", "--features", "relaxed-simd"],
                )?,
            ),
        ),
        // WebGPU included: the training steps on both of the worker's backends.
        (
            in_training,
            Step::new(
                "bench (wasm, training on the CPU and WebGPU, headless Chromium)",
                wasm_bench("convlab-worker", "training_bench", &[])?,
            ),
        ),
        (
            in_training,
            Step::new(
                "bench (wasm, memory over 10,000 inferences on the CPU, 2,000 on WebGPU, headless Chromium)",
                wasm_bench("convlab-worker", "memory_bench", &[])?,
            ),
        ),
        (in_both, bench_worker),
        (
            in_both,
            Step::new(
                "bench (wasm, manifold over the model workers and the labs' frame gaps, headless Chromium)",
                workers_bench,
            ),
        ),
    ];
    let steps = all
        .into_iter()
        .filter(|(runs, _)| only == Only::All || runs.contains(&only))
        .map(|(_, step)| step)
        .collect();
    let benches = run_steps(ctx, timings, steps, &[], "bench timings")?;
    print_bench_table(&benches);
    if ctx.root.join("dist").is_dir() {
        println!();
        report_dist_sizes(ctx)?;
    } else {
        println!("\n(no dist/: run `cargo xtask release` for wasm sizes)");
    }
    Ok(())
}

/// The port of the benchmark's worker server, fixed as the test pipeline's is: the address is
/// compiled into the benchmark, which a new port would rebuild.
const BENCH_SERVER_PORT: u16 = 47381;

/// Where `cargo xtask bench` puts the release worker it serves.
fn bench_worker_dir(ctx: &Ctx) -> std::path::PathBuf {
    ctx.target_dir().join("convlab-bench-worker")
}

/// One `BENCH <case> <target> median_ms=… …` line of a benchmark's output.
#[derive(Debug, PartialEq)]
pub(crate) struct BenchLine {
    case: String,
    target: String,
    median_ms: f64,
}

impl BenchLine {
    pub(crate) fn parse(line: &str) -> Option<Self> {
        let mut words = line.trim().strip_prefix("BENCH ")?.split_whitespace();
        let (case, target) = (words.next()?, words.next()?);
        let median_ms = words
            .find_map(|w| w.strip_prefix("median_ms="))?
            .parse()
            .ok()?;
        Some(Self {
            case: case.to_string(),
            target: target.to_string(),
            median_ms,
        })
    }
}

/// The cases timed natively, in wasm and in wasm with relaxed SIMD (`wasm-fma`), side by
/// side, with the ratios.
fn print_bench_table(lines: &[BenchLine]) {
    let median = |case: &str, target: &str| {
        lines
            .iter()
            .find(|l| l.case == case && l.target == target)
            .map(|l| l.median_ms)
    };
    let mut cases: Vec<&str> = Vec::new();
    for line in lines {
        if !cases.contains(&line.case.as_str()) {
            cases.push(&line.case);
        }
    }
    println!("\n==> medians, measured in this run (ms)");
    println!(
        "  {:<32} {:>9} {:>9} {:>9} {:>9} {:>11} {:>9}",
        "case", "native", "wasm", "wasm-fma", "webgpu", "wasm/native", "fma/wasm"
    );
    let show = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "-".to_string(),
    };
    for case in cases {
        let [n, w, f, g] = ["native", "wasm", "wasm-fma", "webgpu"].map(|t| median(case, t));
        println!(
            "  {case:<32} {:>9} {:>9} {:>9} {:>9} {:>11} {:>9}",
            show(n),
            show(w),
            show(f),
            show(g),
            ratio(w, n),
            ratio(f, w)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_lines_are_read() {
        let line = BenchLine::parse("    BENCH decode_1 wasm median_ms=0.912 min_ms=0.8 runs=51");
        assert_eq!(
            line,
            Some(BenchLine {
                case: "decode_1".into(),
                target: "wasm".into(),
                median_ms: 0.912
            })
        );
        assert_eq!(BenchLine::parse("test result: ok"), None);
        assert_eq!(BenchLine::parse("BENCH x native median_ms=abc"), None);
    }
}
