//! Detecting and installing the tools the build needs. Each tool prints one line when it is
//! already present, or says what it installs (child output streams through).
//!
//! | tool | source | why pinned |
//! |---|---|---|
//! | wasm32-unknown-unknown | rustup | — |
//! | trunk 0.21.14 | `cargo install --locked` | 0.22 needs a newer rustc |
//! | wasm-bindgen (+ test runner) | `cargo install wasm-bindgen-cli` | must equal Cargo.lock's |
//! | wasm-opt 132 | npm `binaryen@132` | Debian's 108 silently breaks the page |
//! | chromium + chromedriver | apt | browser tests |

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crate::ctx::{Ctx, Result};

mod browser;
mod wasm_opt;

use self::browser::browser;
use self::wasm_opt::wasm_opt;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const TRUNK_VERSION: &str = "0.21.14";
const WASM_OPT_VERSION: u32 = 132;

/// Which tools a command needs.
#[derive(Clone, Copy, Debug)]
pub struct Needs {
    pub trunk: bool,
    pub wasm_bindgen: bool,
    pub wasm_opt: bool,
    pub browser: bool,
}

impl Needs {
    pub const ALL: Self = Self {
        trunk: true,
        wasm_bindgen: true,
        wasm_opt: true,
        browser: true,
    };
}

/// What later steps need to know about the installed tools.
#[derive(Debug, Default)]
pub struct Installed {
    /// Set when [`Needs::browser`] was asked for.
    pub chromedriver: Option<PathBuf>,
}

/// Installs what is missing among `needs` (the wasm32 target is always checked).
pub fn setup(ctx: &Ctx, needs: Needs) -> Result<Installed> {
    wasm_target(ctx)?;
    if needs.trunk {
        trunk(ctx)?;
    }
    if needs.wasm_bindgen {
        wasm_bindgen(ctx)?;
    }
    if needs.wasm_opt {
        wasm_opt(ctx)?;
    }
    let chromedriver = if needs.browser {
        Some(browser(ctx)?)
    } else {
        None
    };
    Ok(Installed { chromedriver })
}

// ---------------------------------------------------------------------------------------------
// wasm32 target

fn wasm_target(ctx: &Ctx) -> Result {
    if ctx.which("rustup").is_some() {
        let installed = ctx
            .capture(
                ctx.command("rustup")
                    .args(["target", "list", "--installed"]),
            )
            .ok_or("`rustup target list --installed` failed")?;
        if installed.lines().any(|l| l.trim() == WASM_TARGET) {
            println!("{WASM_TARGET}: present");
            return Ok(());
        }
        println!("{WASM_TARGET}: installing");
        return ctx.run(ctx.command("rustup").args(["target", "add", WASM_TARGET]));
    }
    // No rustup (a distribution's Rust, say): the target's standard library must be in the
    // sysroot already.
    let rustc = std::env::var_os("RUSTC")
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "rustc".into());
    let sysroot = ctx
        .capture(ctx.command(&rustc).args(["--print", "sysroot"]))
        .ok_or(
            "neither rustup nor `rustc --print sysroot` works: install Rust (https://rustup.rs)",
        )?;
    if Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .is_dir()
    {
        println!("{WASM_TARGET}: present (in {sysroot}, no rustup)");
        Ok(())
    } else {
        Err(format!(
            "the {WASM_TARGET} target is missing from {sysroot} and rustup is not installed: \
             install the target's standard library for your toolchain"
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// cargo-installed tools

/// A tool installed with `cargo install`.
struct CargoTool<'a> {
    /// Crate to install.
    krate: &'a str,
    version: &'a str,
    locked: bool,
    /// Binaries that must all report `version`; the first is the one named in messages.
    bins: &'a [&'a str],
    /// How long a cold install took on a 2-core machine.
    eta: &'a str,
    /// Why `--locked` is or is not used, shown when installing.
    note: &'a str,
}

enum Found {
    Present(PathBuf),
    Missing,
    Wrong { path: PathBuf, version: String },
}

impl CargoTool<'_> {
    fn find(&self, ctx: &Ctx) -> Found {
        let mut first = None;
        for bin in self.bins {
            let Some(path) = ctx.which(bin) else {
                return Found::Missing;
            };
            match ctx.version_of(&path) {
                Some(v) if has_version_token(&v, self.version) => {}
                // wasm-bindgen-test-runner may not understand --version: its presence next to a
                // matching wasm-bindgen is enough.
                None if first.is_some() => {}
                other => {
                    return Found::Wrong {
                        path,
                        version: other.unwrap_or_else(|| "unknown version".into()),
                    };
                }
            }
            first.get_or_insert(path);
        }
        first.map_or(Found::Missing, Found::Present)
    }

    fn ensure(&self, ctx: &Ctx) -> Result {
        let name = self.bins.first().copied().unwrap_or(self.krate);
        match self.find(ctx) {
            Found::Present(path) => {
                println!("{name} {}: present ({})", self.version, path.display());
                return Ok(());
            }
            Found::Missing => println!("{name} {}: missing", self.version),
            Found::Wrong { path, version } => {
                println!(
                    "{name}: {} is `{version}`, need {}",
                    path.display(),
                    self.version
                );
            }
        }

        // Two concurrent builds of the same tool would only compete for the two cores.
        if let Some(pid) = wait_for_other_install(self.krate) {
            println!(
                "another `cargo install {}` (pid {pid}) has finished",
                self.krate
            );
            if let Found::Present(path) = self.find(ctx) {
                println!("{name} {}: present ({})", self.version, path.display());
                return Ok(());
            }
        }

        println!(
            "installing {} {} with cargo: this may take {} on a cold machine ({})",
            self.krate, self.version, self.eta, self.note
        );
        let mut cmd = ctx.cargo();
        cmd.args(["install", self.krate, "--version", self.version]);
        if self.locked {
            cmd.arg("--locked");
        }
        ctx.run(&mut cmd)?;

        match self.find(ctx) {
            Found::Present(path) => {
                println!("{name} {}: installed ({})", self.version, path.display());
                Ok(())
            }
            Found::Missing => Err(format!(
                "`cargo install {}` succeeded but `{name}` is not on PATH; is cargo's bin \
                 directory somewhere other than $CARGO_HOME/bin or ~/.cargo/bin?",
                self.krate
            )),
            Found::Wrong { path, version } => Err(format!(
                "after `cargo install {}`, {} still reports `{version}`, not {}: remove it or \
                 put cargo's bin directory first on PATH",
                self.krate,
                path.display(),
                self.version
            )),
        }
    }
}

fn trunk(ctx: &Ctx) -> Result {
    CargoTool {
        krate: "trunk",
        version: TRUNK_VERSION,
        locked: true,
        bins: &["trunk"],
        eta: "10–20 minutes",
        note: "0.22 needs a newer rustc",
    }
    .ensure(ctx)
}

fn wasm_bindgen(ctx: &Ctx) -> Result {
    let version = lockfile_wasm_bindgen(ctx)?;
    CargoTool {
        krate: "wasm-bindgen-cli",
        version: &version,
        // Its lockfile pins a crate version the reachable registry lacks; unlocked resolves.
        locked: false,
        bins: &["wasm-bindgen", "wasm-bindgen-test-runner"],
        eta: "7–12 minutes",
        note: "the version must equal Cargo.lock's wasm-bindgen",
    }
    .ensure(ctx)
}

/// The `wasm-bindgen` version in Cargo.lock (generating the lockfile if there is none).
fn lockfile_wasm_bindgen(ctx: &Ctx) -> Result<String> {
    let lock = ctx.root.join("Cargo.lock");
    if !lock.is_file() {
        println!("Cargo.lock: missing, generating it");
        ctx.run(ctx.cargo().arg("generate-lockfile"))?;
    }
    let text =
        fs::read_to_string(&lock).map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
    let versions = lock_versions(&text, "wasm-bindgen");
    match versions.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "no `wasm-bindgen` package in {}: does the web crate depend on it?",
            lock.display()
        )),
        many => Err(format!(
            "{} holds several wasm-bindgen versions ({}): the CLI can match only one; \
             pin `wasm-bindgen = \"=X\"` in the workspace",
            lock.display(),
            many.join(", ")
        )),
    }
}

/// Versions of the `[[package]]` entries called `name` in a Cargo.lock text.
fn lock_versions(lock: &str, name: &str) -> Vec<String> {
    let mut versions = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let mut pkg_name = None;
        let mut pkg_version = None;
        for line in block.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match key.trim() {
                "name" => pkg_name = Some(value),
                "version" => pkg_version = Some(value),
                _ => {}
            }
        }
        if let (Some(n), Some(v)) = (pkg_name, pkg_version)
            && n == name
            && !versions.iter().any(|known| known == v)
        {
            versions.push(v.to_string());
        }
    }
    versions
}

/// `trunk 0.21.14` has the token `0.21.14` (a leading `v` is ignored); `0.21.140` does not.
fn has_version_token(output: &str, version: &str) -> bool {
    output
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .any(|token| token.trim_start_matches('v') == version)
}

/// If another `cargo install <krate>` is running, waits for it to end and returns its pid.
fn wait_for_other_install(krate: &str) -> Option<u32> {
    let pid = other_cargo_install(krate)?;
    println!(
        "another `cargo install {krate}` is already running (pid {pid}): waiting for it to \
         finish instead of building it twice"
    );
    let start = Instant::now();
    let mut last_note = Instant::now();
    while other_cargo_install(krate).is_some() {
        thread::sleep(Duration::from_secs(5));
        if last_note.elapsed() >= Duration::from_secs(60) {
            println!(
                "  still waiting for pid {pid} ({} so far)",
                crate::ctx::fmt_duration(start.elapsed())
            );
            last_note = Instant::now();
        }
    }
    Some(pid)
}

/// The pid of a running `cargo install … <krate> …` other than ours (Linux `/proc`; elsewhere
/// always `None`).
fn other_cargo_install(krate: &str) -> Option<u32> {
    let own = std::process::id();
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        let is_cargo = args
            .first()
            .and_then(|a0| a0.rsplit(|&b| b == b'/').next())
            .is_some_and(|name| name == b"cargo");
        let installs = args.contains(&b"install".as_slice());
        let this_crate = args.contains(&krate.as_bytes());
        if is_cargo && installs && this_crate {
            return Some(pid);
        }
    }
    None
}

/// `name` on PATH, else `/usr/bin/name`.
fn find_tool(ctx: &Ctx, name: &str) -> Option<PathBuf> {
    ctx.which(name).or_else(|| {
        let path = Path::new("/usr/bin").join(name);
        path.is_file().then_some(path)
    })
}

fn is_root(ctx: &Ctx) -> bool {
    ctx.capture(ctx.command("id").arg("-u"))
        .is_some_and(|uid| uid.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockfile_parsing() {
        let lock = r#"
version = 4

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.130"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "cfg-if",
]

[[package]]
name = "xtask"
version = "0.1.0"
"#;
        assert_eq!(lock_versions(lock, "wasm-bindgen"), ["0.2.130"]);
        assert_eq!(lock_versions(lock, "xtask"), ["0.1.0"]);
        assert!(lock_versions(lock, "leptos").is_empty());
    }

    #[test]
    fn version_tokens() {
        assert!(has_version_token("trunk 0.21.14", "0.21.14"));
        assert!(has_version_token("wasm-bindgen 0.2.130", "0.2.130"));
        assert!(has_version_token("trunk v0.21.14", "0.21.14"));
        assert!(!has_version_token("trunk 0.21.140", "0.21.14"));
        assert!(!has_version_token("trunk 0.22.0", "0.21.14"));
    }
}
