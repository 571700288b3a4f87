//! `cargo xtask fuzz`: longer runs of the fuzz targets than the tests' bounded one.

use crate::ctx::{Ctx, Result};
use crate::steps::cargo;

/// `cargo xtask fuzz [--seconds N] [--seed S] [TARGET...]`: `convlab-fuzz` in a dev build
/// (overflow checks on, panics caught: the release profile aborts on a panic).
pub fn fuzz(ctx: &Ctx, args: &[String]) -> Result {
    let mut cmd = cargo(ctx, &["run", "-p", "convlab-fuzz", "--"]);
    if !args.iter().any(|a| a == "--seconds" || a == "--executions") {
        cmd.args(["--seconds", "60"]);
    }
    cmd.args(args);
    ctx.run(&mut cmd)
}
