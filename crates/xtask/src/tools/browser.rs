//! Chromium and its chromedriver, from apt, for the browser tests.

use std::path::{Path, PathBuf};

use super::{find_tool, is_root};
use crate::ctx::{Ctx, Result};

const BROWSERS: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];
const APT_PACKAGES: &[&str] = &["chromium", "chromium-driver"];

/// Makes sure a Chromium and its chromedriver are installed; returns chromedriver's path.
pub(super) fn browser(ctx: &Ctx) -> Result<PathBuf> {
    if let (Some(browser), Some(driver)) = (find_browser(ctx), find_tool(ctx, "chromedriver")) {
        report_browser(ctx, &browser, &driver);
        return Ok(driver);
    }
    println!(
        "chromium/chromedriver: missing; installing the Debian packages {} (a few minutes)",
        APT_PACKAGES.join(" ")
    );
    apt_install(
        ctx,
        APT_PACKAGES,
        "the browser tests (or use --skip-browser)",
    )?;
    let packages = APT_PACKAGES.join(" ");
    match (find_browser(ctx), find_tool(ctx, "chromedriver")) {
        (Some(browser), Some(driver)) => {
            report_browser(ctx, &browser, &driver);
            Ok(driver)
        }
        _ => Err(format!(
            "installed {packages} but chromium/chromedriver are still not found on PATH or in \
             /usr/bin"
        )),
    }
}

/// Installs Debian packages with apt-get, as root or through passwordless sudo; otherwise
/// fails with the command to run by hand. `needed_for` completes "… are needed for".
pub(super) fn apt_install(ctx: &Ctx, packages: &[&str], needed_for: &str) -> Result {
    let list = packages.join(" ");
    let prefix: &[&str] = if is_root(ctx) {
        &[]
    } else if ctx
        .capture(ctx.command("sudo").args(["-n", "true"]))
        .is_some()
    {
        &["sudo", "-n"]
    } else {
        return Err(format!(
            "{list} are needed for {needed_for} and cannot be installed without root: run \
             `sudo apt-get install {list}` (Debian/Ubuntu)"
        ));
    };
    let apt = |args: &[&str]| {
        let all: Vec<&str> = prefix.iter().chain(args).copied().collect();
        let (program, rest) = all.split_first().ok_or("empty command")?;
        ctx.run(
            ctx.command(program)
                .args(rest)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    };
    apt(&["apt-get", "update"])?;
    let mut install = vec!["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y"];
    install.extend(packages);
    apt(&install)
}

fn report_browser(ctx: &Ctx, browser: &Path, driver: &Path) {
    for path in [browser, driver] {
        let version = ctx
            .version_of(path)
            .unwrap_or_else(|| "version unknown".into());
        // `ChromeDriver 156.0.… (commit-refs/…)`: the part before the brackets will do.
        let version = version.split(" (").next().unwrap_or_default();
        println!("{version}: present ({})", path.display());
    }
}

fn find_browser(ctx: &Ctx) -> Option<PathBuf> {
    BROWSERS.iter().find_map(|name| find_tool(ctx, name))
}
