//! What the commands share: a timed sequence of steps with its summary table, and the
//! commands it runs (cargo, the browser tests' runner, the release sizes).

use std::fs::{self, File};
use std::io;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench::BenchLine;
use crate::ctx::{Ctx, Result, TestCounts, fmt_bytes, fmt_duration};
use crate::file_server::{self, Files};
use crate::release::Background;
use crate::tools::{self, Installed, Needs};

pub(crate) type After = fn(&Ctx) -> Result;

pub(crate) struct Step {
    pub(crate) name: &'static str,
    pub(crate) job: Job,
    /// Runs after the command succeeds (e.g. reporting sizes).
    pub(crate) after: Option<After>,
    /// A test run whose harness summaries count towards the final `N passed, M failed` line.
    pub(crate) counts_tests: bool,
}

impl Step {
    pub(crate) fn new(name: &'static str, cmd: Command) -> Self {
        Self {
            name,
            job: Job::Run(cmd),
            after: None,
            counts_tests: false,
        }
    }

    pub(crate) fn tests(name: &'static str, cmd: Command) -> Self {
        Self {
            counts_tests: true,
            ..Self::new(name, cmd)
        }
    }

    /// A step that waits for a job started in the background earlier.
    pub(crate) fn wait(name: &'static str, background: Background) -> Self {
        Self {
            name,
            job: Job::Wait(background),
            after: None,
            counts_tests: false,
        }
    }
}

pub(crate) enum Job {
    Run(Command),
    Wait(Background),
}

pub(crate) struct Timings {
    rows: Vec<(String, Duration, &'static str)>,
    start: Instant,
}

impl Timings {
    fn new() -> Self {
        Self {
            rows: Vec::new(),
            start: Instant::now(),
        }
    }

    fn record(&mut self, name: String, took: Duration, outcome: &'static str) {
        self.rows.push((name, took, outcome));
    }

    fn print(&self, title: &str) {
        let width = self
            .rows
            .iter()
            .map(|(name, ..)| name.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        println!("\n==> {title}");
        for (name, took, outcome) in &self.rows {
            let time = if matches!(*outcome, "skipped" | "not run") {
                "-".to_string()
            } else {
                fmt_duration(*took)
            };
            println!("  {name:<width$}  {time:>10}  {outcome}");
        }
        let total = fmt_duration(self.start.elapsed());
        println!("  {:<width$}  {total:>10}", "total");
    }
}

/// Runs `steps` in order after `setup_took`, printing `==> [i/N] name` and the elapsed time of
/// each, then a summary table; stops at the first failure (the table is printed either way).
/// Returns the `BENCH …` lines the steps printed.
pub(crate) fn run_steps(
    ctx: &Ctx,
    mut timings: Timings,
    steps: Vec<Step>,
    skipped: &[&str],
    title: &str,
) -> Result<Vec<BenchLine>> {
    let n = steps.len();
    let mut failure = None;
    let mut totals = TestCounts::default();
    let mut benches = Vec::new();
    for (i, step) in steps.into_iter().enumerate() {
        let label = format!("[{}/{n}] {}", i + 1, step.name);
        if failure.is_some() {
            timings.record(label, Duration::ZERO, "not run");
            continue;
        }
        println!("\n==> {label}");
        let start = Instant::now();
        let run = match (step.job, step.counts_tests) {
            (Job::Wait(background), _) => background.wait(),
            (Job::Run(mut cmd), true) => ctx
                .run_counting_tests(&mut cmd)
                .map(|counts| totals.add(counts)),
            (Job::Run(mut cmd), false) => ctx.run_streaming(&mut cmd, &mut |line| {
                if let Some(result) = BenchLine::parse(line) {
                    benches.push(result);
                }
            }),
        };
        let result = run.and_then(|()| step.after.map_or(Ok(()), |after| after(ctx)));
        let took = start.elapsed();
        match result {
            Ok(()) => {
                println!("==> {label}: ok in {}", fmt_duration(took));
                timings.record(label, took, "ok");
            }
            Err(e) => {
                println!("==> {label}: FAILED after {}", fmt_duration(took));
                timings.record(label.clone(), took, "FAILED");
                failure = Some(format!("step {label} failed: {e}"));
            }
        }
    }
    for name in skipped {
        timings.record((*name).to_string(), Duration::ZERO, "skipped");
    }
    timings.print(title);
    if totals != TestCounts::default() {
        // The plain closing line CI reads: every test of every harness, added up.
        println!(
            "\ntests: {} passed, {} failed",
            totals.passed, totals.failed
        );
    }
    failure.map_or(Ok(benches), Err)
}

/// Times `tools::setup` as the first row of the summary.
pub(crate) fn timed_setup(ctx: &Ctx, needs: Needs) -> Result<(Timings, Installed)> {
    let mut timings = Timings::new();
    println!("==> setup");
    let start = Instant::now();
    let installed = tools::setup(ctx, needs)?;
    let took = start.elapsed();
    println!("==> setup: ok in {}", fmt_duration(took));
    timings.record("setup".into(), took, "ok");
    Ok((timings, installed))
}

/// Serves [`worker_files`] on `port`, or on any free port when it is taken; the address.
pub(crate) fn serve_worker(
    ctx: &Ctx,
    dir: &std::path::Path,
    port: u16,
) -> Result<std::net::SocketAddr> {
    let files = || worker_files(ctx, dir);
    file_server::spawn(files()?, port).or_else(|_| file_server::spawn(files()?, 0))
}

/// The worker builds the page's model-worker client (`web/src/ml/client/`) looks for, the one with fused multiply-adds first.
const WORKER_BUILDS: [&str; 2] = ["convlab-worker-fma", "convlab-worker"];

/// The two files of each worker build in `dir` (read when asked for: a build that is not there
/// is a 404, and the page starts the other) and the shipped weights, at the paths the app asks
/// for; nothing ever comes from under [`STALL_PREFIX`] (the tests of a stalled server).
fn worker_files(ctx: &Ctx, dir: &std::path::Path) -> Result<Files> {
    let mut routes: Vec<(String, std::path::PathBuf)> = WORKER_BUILDS
        .iter()
        .flat_map(|build| [format!("{build}.js"), format!("{build}_bg.wasm")])
        .map(|name| (format!("/{name}"), dir.join(&name)))
        .collect();
    let weights = ctx.root.join("weights");
    let entries =
        fs::read_dir(&weights).map_err(|e| format!("cannot read {}: {e}", weights.display()))?;
    for path in entries.flatten().map(|e| e.path()) {
        let shipped = path
            .extension()
            .is_some_and(|ext| ext == "json" || ext == "bpk");
        if let (true, Some(name)) = (shipped, path.file_name().and_then(|n| n.to_str())) {
            routes.push((format!("/weights/{name}"), path.clone()));
        }
    }
    Ok(Files::new(routes, true).with_stall(STALL_PREFIX))
}

/// Where the test server never answers.
const STALL_PREFIX: &str = "/stall/";

/// `wasm-bindgen --target no-modules` on the worker binary `bin` of cargo profile `profile`,
/// into `dir`.
pub(crate) fn bundle_worker(ctx: &Ctx, profile: &str, bin: &str, dir: &std::path::Path) -> Result {
    let wasm = ctx
        .target_dir()
        .join("wasm32-unknown-unknown")
        .join(profile)
        .join(format!("{bin}.wasm"));
    if !wasm.is_file() {
        return Err(format!(
            "the worker binary {} was not built",
            wasm.display()
        ));
    }
    ctx.run(
        ctx.command("wasm-bindgen")
            .args(["--target", "no-modules", "--no-typescript", "--out-dir"])
            .arg(dir)
            .arg(&wasm),
    )
}

pub(crate) fn cargo(ctx: &Ctx, args: &[&str]) -> Command {
    let mut cmd = ctx.cargo();
    cmd.args(args);
    cmd
}

/// `cargo test --target wasm32-unknown-unknown -p PACKAGE`, run in headless Chromium.
pub(crate) fn wasm_test(ctx: &Ctx, installed: &Installed, package: &str) -> Result<Command> {
    let mut cmd = cargo(
        ctx,
        &["test", "--target", "wasm32-unknown-unknown", "-p", package],
    );
    browser_env(&mut cmd, installed)?;
    Ok(cmd)
}

/// Environment for `wasm-bindgen-test-runner` driving headless Chromium. The timeout is for a
/// test binary's whole run: the VAE training test trains four small runs, which take about
/// three minutes on a 2-core CPU in a debug build, and twice that while `test`'s release build
/// runs beside it.
fn browser_env(cmd: &mut Command, installed: &Installed) -> Result {
    let driver = installed
        .chromedriver
        .as_ref()
        .ok_or("internal error: chromedriver was not set up")?;
    cmd.env("CHROMEDRIVER", driver)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "900");
    Ok(())
}

/// Prints the raw and gzip -9 size of each `dist/*.wasm`.
pub(crate) fn report_dist_sizes(ctx: &Ctx) -> Result {
    let dist = ctx.root.join("dist");
    let mut wasm: Vec<_> = fs::read_dir(&dist)
        .map_err(|e| format!("cannot read {}: {e}", dist.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "wasm"))
        .collect();
    wasm.sort();
    if wasm.is_empty() {
        println!("no .wasm files in {}", dist.display());
        return Ok(());
    }
    let gzip = ctx.which("gzip");
    if gzip.is_none() {
        println!("(gzip not found: compressed sizes skipped)");
    }
    println!("release wasm sizes:");
    for path in wasm {
        let raw = fs::metadata(&path)
            .map_err(|e| format!("cannot stat {}: {e}", path.display()))?
            .len();
        let name = path
            .strip_prefix(&ctx.root)
            .unwrap_or(&path)
            .display()
            .to_string();
        match &gzip {
            Some(gzip) => {
                let compressed = gzip_size(ctx, gzip, &path)?;
                println!(
                    "  {name}: {} raw, {} gzip -9",
                    fmt_bytes(raw),
                    fmt_bytes(compressed)
                );
            }
            None => println!("  {name}: {} raw", fmt_bytes(raw)),
        }
    }
    Ok(())
}

/// `gzip -9 -c FILE | wc -c`
fn gzip_size(ctx: &Ctx, gzip: &std::path::Path, file: &std::path::Path) -> Result<u64> {
    let input = File::open(file).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let mut child = ctx
        .command(gzip)
        .args(["-9", "-c"])
        .stdin(input)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start gzip: {e}"))?;
    let counted = match child.stdout.as_mut() {
        Some(out) => io::copy(out, &mut io::sink()),
        None => Ok(0),
    };
    let status = child.wait().map_err(|e| format!("gzip: {e}"))?;
    let bytes = counted.map_err(|e| format!("reading gzip output: {e}"))?;
    if status.success() {
        Ok(bytes)
    } else {
        Err(format!("gzip -9 -c {} failed ({status})", file.display()))
    }
}

pub(crate) fn unknown_flag(command: &str, flag: &str) -> String {
    format!("unknown argument `{flag}` for `cargo xtask {command}` (see `cargo xtask help`)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_counts_compressed_bytes() -> Result {
        let ctx = Ctx::new()?;
        let Some(gzip) = ctx.which("gzip") else {
            return Ok(()); // nothing to test without gzip
        };
        let file = std::env::temp_dir().join(format!("xtask-gzip-{}.bin", std::process::id()));
        fs::write(&file, vec![7u8; 100_000]).map_err(|e| e.to_string())?;
        let size = gzip_size(&ctx, &gzip, &file);
        let _ = fs::remove_file(&file);
        let size = size?;
        assert!(
            size > 0 && size < 1_000,
            "gzip -9 of 100 kB of one byte: {size}"
        );
        Ok(())
    }
}
