//! `cargo xtask …`: set up the tools, serve the app, run the CI pipeline, run the benchmarks.
//! Standard library only, so it builds in seconds on a fresh machine.

mod bench;
mod csp;
mod ctx;
mod file_server;
mod fuzz;
mod release;
mod serve;
mod smoke;
mod steps;
mod test;
mod tools;

use std::process::ExitCode;

use ctx::{Ctx, Result};

const USAGE: &str = "\
cargo xtask <command> [options]

Commands:
  setup [--no-browser]
        Install what is missing, skipping what is present: the wasm32-unknown-unknown target,
        trunk 0.21.14, wasm-bindgen-cli (= Cargo.lock's wasm-bindgen), wasm-opt 132 (npm
        binaryen, in $CONVLAB_TOOLS_DIR or ~/.cache/convlab), chromium + chromedriver (apt).
        A cold install takes 20-30 minutes, mostly building trunk and wasm-bindgen-cli.
  serve [--release] [--mnist-dir DIR] [-- <trunk args>]
        Set up (without Chromium), then `trunk serve` at http://127.0.0.1:8080.
        --mnist-dir DIR (or MNIST_DIR=DIR): DIR holds the four MNIST files
        (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
        t10k-labels-idx1-ubyte.gz); they are served to the app at /mnist/<name> and the
        pages load them without any dragging, e.g.
        `MNIST_DIR=../shared/data/mnist cargo xtask serve`.
  test [--quick] [--skip-browser] [--skip-release]
        Set up, then run the CI steps, cheapest first, stopping at the first failure:
          fmt check, clippy (native), clippy (wasm32), native tests,
          browser tests (headless Chromium), release build (+ wasm sizes), and
          the release smoke check (see smoke). The release build (`release`, in a
          target directory of its own, its output in <target>/release-build.log) runs
          in the background from the start.
        Prints a table of step timings and a closing `tests: N passed, M failed` line.
        --quick: only fmt, clippy and the native tests (no browser, no release build).
  release
        Set up (without Chromium), then `trunk build --release` into dist/ (what a static host
        serves), write its Content-Security-Policy (hashes of the inline scripts) into
        dist/index.html, and print the wasm sizes.
  smoke
        The release build in dist/ (from `release`, which `test` runs) served
        as a static host would, in headless Chromium: the pages mount, and the latent map's
        manifold is decoded by the release model worker on WebGPU and on the CPU, with no
        Content-Security-Policy violation.
  bench [--training | --workers]
        Criterion benchmarks (native), the wasm benchmarks in headless Chromium (the models,
        the two labs' training, then the manifold over the model workers and the labs' frame
        gaps); prints the release wasm size if dist/ exists.
        --training: only the training cases (native, wasm, WebGPU), the memory over 10,000
        inferences and the labs' frame gaps.
        --workers: only the manifold over the model workers and the labs' frame gaps.
  fuzz [--seconds N] [--executions N] [--seed S] [TARGET...]
        Mutation fuzzing of the parsers (convlab-fuzz): each target (all by default: idx,
        idx-gzip, idx-in-valid-gzip, to-worker, from-worker, manifest, weights) for N seconds
        (60 by default); prints executions and crashes, saves crashing inputs to fuzz-crashes/.
        `test` runs a short seeded run of each.
  help  This text.

Every child runs at the workspace root with npm's wasm-opt and cargo's bin directory first on
PATH. CARGO_TARGET_DIR is passed through.
";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nerror: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result {
    let args = std::env::args_os()
        .skip(1)
        .map(|a| {
            a.into_string()
                .map_err(|a| format!("argument {a:?} is not valid UTF-8"))
        })
        .collect::<Result<Vec<String>>>()?;
    let Some((command, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Ok(());
    };
    match command.as_str() {
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        "setup" => serve::setup(&Ctx::new()?, rest),
        "serve" => serve::serve(&Ctx::new()?, rest),
        "test" => test::test(&Ctx::new()?, rest),
        "bench" => bench::bench(&Ctx::new()?, rest),
        "smoke" => test::smoke(&Ctx::new()?, rest),
        "release" => release::release(&Ctx::new()?, rest),
        "fuzz" => fuzz::fuzz(&Ctx::new()?, rest),
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}
