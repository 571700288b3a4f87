//! `cargo xtask test` (the CI pipeline, cheapest step first) and `cargo xtask smoke`.

use std::process::Command;

use crate::ctx::{Ctx, Result};
use crate::release::Background;
use crate::steps::{
    Step, bundle_worker, cargo, run_steps, serve_worker, timed_setup, unknown_flag, wasm_test,
};
use crate::tools::{self, Installed, Needs};

/// `cargo xtask test [--quick] [--skip-browser] [--skip-release]`
pub fn test(ctx: &Ctx, args: &[String]) -> Result {
    let (mut browser, mut release) = (true, true);
    for arg in args {
        match arg.as_str() {
            "--skip-browser" => browser = false,
            "--skip-release" => release = false,
            "--quick" => (browser, release) = (false, false),
            other => return Err(unknown_flag("test", other)),
        }
    }
    // Only what the chosen steps use: `--quick` needs no trunk, wasm-bindgen or Chromium.
    // Trunk is installed by the release build, which starts now and runs beside the steps
    // below until the pipeline waits for it.
    let needs = Needs {
        trunk: false,
        wasm_bindgen: browser || release,
        wasm_opt: release,
        browser,
    };
    let (timings, installed) = timed_setup(ctx, needs)?;
    let release_build = release
        .then(|| Background::start_release(ctx))
        .transpose()?;

    let mut steps = vec![
        Step::new("fmt", cargo(ctx, &["fmt", "--all", "--", "--check"])),
        Step::new(
            "clippy (native)",
            cargo(
                ctx,
                &[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
            ),
        ),
        // The web app and the model worker with their browser tests, and the libraries they
        // use. The libraries' own native test suites (proptest, Burn) are not built for wasm32.
        Step::new(
            "clippy (wasm32)",
            cargo(
                ctx,
                &[
                    "clippy",
                    "--target",
                    "wasm32-unknown-unknown",
                    "-p",
                    "convlab-web",
                    "-p",
                    "convlab-worker",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
            ),
        ),
        Step::new(
            "clippy (wasm32 libraries)",
            cargo(
                ctx,
                &[
                    "clippy",
                    "--target",
                    "wasm32-unknown-unknown",
                    "-p",
                    "convlab-kernels",
                    "-p",
                    "convlab-digits",
                    "-p",
                    "convlab-protocol",
                    "-p",
                    "convlab-model",
                    "--lib",
                    "--",
                    "-D",
                    "warnings",
                ],
            ),
        ),
        // The web app's and the worker's tests run only in a browser (next steps).
        Step::tests(
            "tests (native)",
            cargo(
                ctx,
                &[
                    "test",
                    "--workspace",
                    "--exclude",
                    "convlab-web",
                    "--exclude",
                    "convlab-worker",
                ],
            ),
        ),
    ];
    let mut skipped = Vec::new();
    if browser {
        steps.extend(browser_steps(ctx, &installed)?);
    } else {
        skipped.push("tests (browser)");
    }
    if let Some(release_build) = release_build {
        steps.push(Step::wait(
            "release build (in the background since setup)",
            release_build,
        ));
        if browser {
            let xtask = std::env::current_exe()
                .map_err(|e| format!("cannot find this program to run `smoke`: {e}"))?;
            let mut smoke = ctx.command(xtask);
            smoke.arg("smoke");
            steps.push(Step::new(
                "release smoke (dist/ in headless Chromium)",
                smoke,
            ));
        } else {
            skipped.push("release smoke");
        }
    } else {
        skipped.push("release build");
        skipped.push("release smoke");
    }
    run_steps(ctx, timings, steps, &skipped, "step timings").map(drop)
}

/// The port the test file server tries first: a fixed one keeps `CONVLAB_TEST_WORKER_URL`
/// (compiled into the app's browser tests) the same from run to run, so they are not rebuilt.
const TEST_SERVER_PORT: u16 = 47380;

/// The browser tests: the worker's own (its models on a page), then the app's, whose model
/// pages start the real worker from a file server of ours.
fn browser_steps(ctx: &Ctx, installed: &Installed) -> Result<Vec<Step>> {
    let dev_test = |package: &str, no_run: bool| -> Result<Command> {
        let mut cmd = wasm_test(ctx, installed, package)?;
        if no_run {
            cmd.arg("--no-run");
        }
        // No debug info: keeps the wasm (and the browser's memory) small. The same settings
        // for every wasm step, so they share their build.
        cmd.env("CARGO_PROFILE_DEV_DEBUG", "0");
        Ok(cmd)
    };
    // The worker's tests also build its binary (with the same features), which the app's
    // tests load: `worker bundle` only runs wasm-bindgen on it.
    let worker_tests = dev_test("convlab-worker", false)?;
    let bundle = Step {
        after: Some(bundle_test_worker),
        ..Step::new("worker bundle", dev_test("convlab-worker", true)?)
    };
    let addr = serve_worker(ctx, &test_worker_dir(ctx), TEST_SERVER_PORT)?;
    let mut app_tests = dev_test("convlab-web", false)?;
    app_tests.env("CONVLAB_TEST_WORKER_URL", format!("http://{addr}/"));
    // The worker's models again, built with relaxed SIMD (`convlab-worker-fma`'s CPU decoder):
    // last, since it relinks the worker binary that `worker bundle` bundled.
    let mut fma_tests = dev_test("convlab-worker", false)?;
    fma_tests.args(["--features", "relaxed-simd", "--test", "models"]);
    Ok(vec![
        Step::tests("tests (browser, worker)", worker_tests),
        bundle,
        Step::tests("tests (browser, app)", app_tests),
        Step::tests("tests (browser, worker with relaxed SIMD)", fma_tests),
    ])
}

/// Where `worker bundle` puts the worker's JavaScript and wasm for the app's browser tests.
fn test_worker_dir(ctx: &Ctx) -> std::path::PathBuf {
    ctx.target_dir().join("convlab-test-worker")
}

/// `wasm-bindgen --target no-modules` on the worker binary the tests built: what Trunk does
/// for a `data-type="worker"` module. (The plain build: the page falls back to it when the
/// server has no `convlab-worker-fma`.)
fn bundle_test_worker(ctx: &Ctx) -> Result {
    bundle_worker(ctx, "debug", "convlab-worker", &test_worker_dir(ctx))
}

/// `cargo xtask smoke`
pub fn smoke(ctx: &Ctx, args: &[String]) -> Result {
    if let Some(other) = args.first() {
        return Err(unknown_flag("smoke", other));
    }
    let needs = Needs {
        trunk: false,
        wasm_bindgen: false,
        wasm_opt: false,
        browser: true,
    };
    let installed = tools::setup(ctx, needs)?;
    let driver = installed
        .chromedriver
        .as_ref()
        .ok_or("internal error: chromedriver was not set up")?;
    crate::smoke::run(ctx, driver)
}
