//! `cargo xtask release` (set up, then `trunk build --release` into `dist/`, with the wasm
//! sizes), and the same build run in the background beside the test pipeline's other steps.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Instant;

use crate::ctx::{Ctx, Result, fmt_duration};
use crate::steps::{report_dist_sizes, unknown_flag};
use crate::tools::{self, Needs};

/// `cargo xtask release`
pub fn release(ctx: &Ctx, args: &[String]) -> Result {
    if let Some(other) = args.first() {
        return Err(unknown_flag("release", other));
    }
    let needs = Needs {
        trunk: true,
        wasm_bindgen: true,
        wasm_opt: true,
        browser: false,
    };
    tools::setup(ctx, needs)?;
    let start = Instant::now();
    ctx.run(ctx.command("trunk").args(["build", "--release"]))?;
    crate::csp::apply(&ctx.root.join("dist").join("index.html"))?;
    println!("dist/index.html: Content-Security-Policy written");
    println!("release build: ok in {}", fmt_duration(start.elapsed()));
    report_dist_sizes(ctx)
}

/// `cargo xtask release` running as a child of this process, its output in a log file, so
/// that the steps in front go on meanwhile (most of its time is single-threaded linking and
/// link-time optimisation, which leaves the other core to them).
///
/// It has a target directory of its own: cargo locks a target directory for one build at a
/// time, and the release profiles share no artifacts with the test builds anyway.
/// Dropping it before [`Background::wait`] stops the build.
pub(crate) struct Background {
    child: Option<Child>,
    log: PathBuf,
    start: Instant,
}

impl Background {
    pub(crate) fn start_release(ctx: &Ctx) -> Result<Self> {
        let target = ctx.target_dir();
        fs::create_dir_all(&target)
            .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
        let log = target.join("release-build.log");
        let out =
            File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot share {}: {e}", log.display()))?;
        let xtask = std::env::current_exe()
            .map_err(|e| format!("cannot find this program to run `release`: {e}"))?;
        let mut cmd = ctx.command(xtask);
        cmd.arg("release")
            .env("CARGO_TARGET_DIR", target.join("release-build"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // Its own process group, so that stopping it stops trunk and cargo too.
            .process_group(0);
        let child = cmd
            .spawn()
            .map_err(|e| format!("could not start `cargo xtask release`: {e}"))?;
        println!(
            "release build started in the background (pid {}), log: {}",
            child.id(),
            log.display()
        );
        Ok(Self {
            child: Some(child),
            log,
            start: Instant::now(),
        })
    }

    /// Waits for the build, then prints the end of its log (the sizes), or more of it when
    /// it failed.
    pub(crate) fn wait(mut self) -> Result {
        let Some(mut child) = self.child.take() else {
            return Err("internal error: the release build was already waited for".into());
        };
        let status = child
            .wait()
            .map_err(|e| format!("could not wait for the release build: {e}"))?;
        let took = fmt_duration(self.start.elapsed());
        let lines = if status.success() { 12 } else { 80 };
        println!("(last lines of {})", self.log.display());
        for line in self.tail(lines) {
            println!("  {line}");
        }
        if status.success() {
            println!("release build finished {took} after it started");
            Ok(())
        } else {
            Err(format!(
                "`cargo xtask release` failed ({status}); the whole log: {}",
                self.log.display()
            ))
        }
    }

    fn tail(&self, n: usize) -> Vec<String> {
        let Ok(file) = File::open(&self.log) else {
            return vec![format!("(cannot read {})", self.log.display())];
        };
        let lines: Vec<String> = BufReader::new(file)
            .lines()
            .map_while(std::io::Result::ok)
            .collect();
        lines[lines.len().saturating_sub(n)..].to_vec()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The whole group: xtask, trunk and the cargo builds under them.
            let group = format!("-{}", child.id());
            let _ = std::process::Command::new("kill")
                .args(["-TERM", "--", &group])
                .status();
            let _ = child.wait();
        }
    }
}
