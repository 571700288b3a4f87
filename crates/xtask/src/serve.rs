//! `cargo xtask setup` and `cargo xtask serve`.

use std::process::Command;

use crate::ctx::{Ctx, Result, display};
use crate::file_server::{self, Files};
use crate::steps::unknown_flag;
use crate::tools::{self, Needs};

/// `cargo xtask setup [--no-browser]`
pub fn setup(ctx: &Ctx, args: &[String]) -> Result {
    let mut needs = Needs::ALL;
    for arg in args {
        match arg.as_str() {
            "--no-browser" => needs.browser = false,
            other => return Err(unknown_flag("setup", other)),
        }
    }
    tools::setup(ctx, needs)?;
    println!("setup: done");
    Ok(())
}

/// `cargo xtask serve [--release] [--mnist-dir DIR] [-- trunk args]`; `MNIST_DIR` stands in
/// for `--mnist-dir`.
pub fn serve(ctx: &Ctx, args: &[String]) -> Result {
    let (ours, extra) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let mut release = false;
    let mut mnist_dir = None;
    let mut ours = ours.iter();
    while let Some(arg) = ours.next() {
        match arg.as_str() {
            "--release" => release = true,
            "--mnist-dir" => {
                let dir = ours
                    .next()
                    .ok_or("`--mnist-dir` needs a folder: `--mnist-dir ../shared/data/mnist`")?;
                mnist_dir = Some(std::path::PathBuf::from(dir));
            }
            other => match other.strip_prefix("--mnist-dir=") {
                Some(dir) => mnist_dir = Some(std::path::PathBuf::from(dir)),
                None => return Err(unknown_flag("serve", other)),
            },
        }
    }
    let mnist_dir = mnist_dir.or_else(|| {
        std::env::var_os("MNIST_DIR")
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
    });
    // Checked before the (possibly long) setup, so a typo fails at once.
    let mnist_dir = mnist_dir
        .map(|dir| file_server::check_mnist_dir(&dir))
        .transpose()?;
    tools::setup(
        ctx,
        Needs {
            browser: false,
            ..Needs::ALL
        },
    )?;
    let mut cmd = ctx.command("trunk");
    cmd.arg("serve");
    if release {
        cmd.arg("--release");
    }
    cmd.args(extra);
    println!(
        "trunk serve: http://127.0.0.1:8080 unless the trunk args say otherwise (Ctrl-C stops)"
    );
    let Some(dir) = mnist_dir else {
        return exec(cmd);
    };
    // The files come from a small server of ours, behind trunk's proxy at /mnist/.
    let addr = file_server::spawn(Files::new(file_server::mnist_routes(&dir), false), 0)?;
    cmd.arg("--proxy-backend")
        .arg(format!("http://{addr}{}", file_server::MNIST_PREFIX));
    println!(
        "MNIST: serving the four files of {} at {}/<name> (the app loads them itself)",
        dir.display(),
        file_server::MNIST_PREFIX
    );
    println!("$ {}", display(&cmd));
    // A child, not exec: this process keeps serving the files while trunk runs.
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{}`: {e}", display(&cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`trunk serve` exited with {status}"))
    }
}

/// Replaces xtask with `cmd` (Unix), so Ctrl-C and the exit status belong to it directly.
#[cfg(unix)]
fn exec(mut cmd: Command) -> Result {
    use std::os::unix::process::CommandExt as _;
    println!("$ {}", display(&cmd));
    let err = cmd.exec();
    Err(format!("could not start `{}`: {err}", display(&cmd)))
}

#[cfg(not(unix))]
fn exec(mut cmd: Command) -> Result {
    crate::ctx::run_command(&mut cmd)
}
