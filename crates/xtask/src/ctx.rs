//! Where things are (repository root, tools cache, PATH) and how child processes are started.
//!
//! Every child process runs at the repository root with [`Ctx::path`] as its `PATH`: the npm
//! binaryen first (wasm-opt 132), then cargo's bin directory (trunk, wasm-bindgen), then the
//! caller's `PATH`.

use std::env;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Errors are messages for a person: they are printed and xtask exits with status 1.
pub type Result<T = ()> = std::result::Result<T, String>;

pub struct Ctx {
    /// The workspace root (the directory holding the root `Cargo.toml`).
    pub root: PathBuf,
    /// Cache for tools that are not installed by cargo (npm's binaryen).
    pub tools_dir: PathBuf,
    /// `PATH` for every child process.
    path: OsString,
}

impl Ctx {
    pub fn new() -> Result<Self> {
        let root = repo_root()?;
        let tools_dir = tools_dir(&root);
        let mut dirs = vec![binaryen_bin(&tools_dir)];
        dirs.extend(cargo_bin_dirs());
        if let Some(existing) = env::var_os("PATH") {
            dirs.extend(env::split_paths(&existing));
        }
        let mut unique: Vec<PathBuf> = Vec::with_capacity(dirs.len());
        for dir in dirs {
            if !dir.as_os_str().is_empty() && !unique.contains(&dir) {
                unique.push(dir);
            }
        }
        let path = env::join_paths(&unique).map_err(|e| format!("cannot build PATH: {e}"))?;
        Ok(Self {
            root,
            tools_dir,
            path,
        })
    }

    /// Cargo's target directory: `CARGO_TARGET_DIR`, or `target/` at the root.
    pub fn target_dir(&self) -> PathBuf {
        match env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => self.root.join(dir),
            None => self.root.join("target"),
        }
    }

    /// Directory holding npm's `wasm-opt` once binaryen is installed.
    pub fn binaryen_bin(&self) -> PathBuf {
        binaryen_bin(&self.tools_dir)
    }

    /// A command that runs at the repository root with the xtask `PATH`.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root).env("PATH", &self.path);
        cmd
    }

    /// `cargo`, preferring the one that runs this xtask (`$CARGO`), so that a toolchain chosen
    /// with `cargo +toolchain xtask` carries over.
    pub fn cargo(&self) -> Command {
        let program = env::var_os("CARGO")
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| OsString::from("cargo"));
        self.command(program)
    }

    /// First executable called `name` on the xtask `PATH`.
    pub fn which(&self, name: &str) -> Option<PathBuf> {
        env::split_paths(&self.path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    }

    /// Runs `cmd` quietly and returns its output (stdout, or stderr when stdout is empty), or
    /// `None` if it could not start or failed.
    pub fn capture(&self, cmd: &mut Command) -> Option<String> {
        let out = cmd.stdin(Stdio::null()).output().ok()?;
        if !out.status.success() {
            return None;
        }
        let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if stdout.is_empty() {
            Some(String::from_utf8_lossy(&out.stderr).trim().to_string())
        } else {
            Some(stdout)
        }
    }

    /// First line of `program --version`, or `None` if it is missing or fails.
    pub fn version_of(&self, program: &Path) -> Option<String> {
        let out = self.capture(self.command(program).arg("--version"))?;
        Some(out.lines().next().unwrap_or_default().trim().to_string())
    }

    /// Runs `cmd` like [`Ctx::run`], echoing its standard output line by line and adding up the
    /// test harness's `test result: … N passed; M failed` lines (libtest and
    /// wasm-bindgen-test print the same summary).
    pub fn run_counting_tests(&self, cmd: &mut Command) -> Result<TestCounts> {
        let mut counts = TestCounts::default();
        self.run_streaming(cmd, &mut |text| counts.add_summary_line(text))?;
        Ok(counts)
    }

    /// Runs `cmd`, echoing the command line and then its standard output line by line, each
    /// line also handed to `on_line`.
    pub fn run_streaming(&self, cmd: &mut Command, on_line: &mut dyn FnMut(&str)) -> Result {
        use std::io::{BufRead, BufReader, Write};
        let line = display(cmd);
        println!("$ {line}");
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start `{line}`: {e}"))?;
        if let Some(out) = child.stdout.take() {
            let stdout = std::io::stdout();
            for text in BufReader::new(out).lines().map_while(std::io::Result::ok) {
                on_line(&text);
                let mut lock = stdout.lock();
                let _ = writeln!(lock, "{text}");
            }
        }
        let status = child
            .wait()
            .map_err(|e| format!("could not wait for `{line}`: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{line}` failed ({status})"))
        }
    }

    pub fn run(&self, cmd: &mut Command) -> Result {
        run_command(cmd)
    }
}

/// `crates/xtask` → the workspace root.
fn repo_root() -> Result<PathBuf> {
    // `cargo run` (the `cargo xtask` alias) sets it for the program it runs: the clone this
    // command was typed in. The path compiled in is only a fallback: with one target directory
    // shared by several clones, cargo may run a binary another clone built (its sources were
    // newer), and that one would test the other clone's tree.
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let root = manifest_dir
        .ancestors()
        .nth(2)
        .ok_or_else(|| format!("{} has no grandparent", manifest_dir.display()))?;
    if !root.join("Cargo.toml").is_file() {
        return Err(format!(
            "expected the workspace root at {} (no Cargo.toml there)",
            root.display()
        ));
    }
    Ok(root.to_path_buf())
}

fn non_empty_var(name: &str) -> Option<PathBuf> {
    env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `$CONVLAB_TOOLS_DIR`, else `$XDG_CACHE_HOME/convlab`, else `$HOME/.cache/convlab`, else
/// `<root>/.tools` (ignored by git).
fn tools_dir(root: &Path) -> PathBuf {
    if let Some(dir) = non_empty_var("CONVLAB_TOOLS_DIR") {
        return dir;
    }
    if let Some(cache) = non_empty_var("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return cache.join("convlab");
    }
    if let Some(home) = non_empty_var("HOME") {
        return home.join(".cache").join("convlab");
    }
    root.join(".tools")
}

fn binaryen_bin(tools_dir: &Path) -> PathBuf {
    tools_dir.join("binaryen").join("node_modules").join(".bin")
}

/// Where `cargo install` puts binaries: `$CARGO_INSTALL_ROOT/bin` if set, and
/// `$CARGO_HOME/bin` or `$HOME/.cargo/bin`.
fn cargo_bin_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(root) = non_empty_var("CARGO_INSTALL_ROOT") {
        dirs.push(root.join("bin"));
    }
    if let Some(home) = non_empty_var("CARGO_HOME") {
        dirs.push(home.join("bin"));
    } else if let Some(home) = non_empty_var("HOME") {
        dirs.push(home.join(".cargo").join("bin"));
    }
    dirs
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

/// The command line as a person would type it (environment overrides other than PATH first).
pub fn display(cmd: &Command) -> String {
    let mut line = String::new();
    for (key, value) in cmd.get_envs() {
        if key == "PATH" {
            continue;
        }
        if let Some(value) = value {
            let _ = write!(line, "{}={} ", key.to_string_lossy(), quote(value));
        }
    }
    // The program's name only: `$CARGO` is a long toolchain path.
    let program = cmd.get_program();
    line.push_str(&quote(Path::new(program).file_name().unwrap_or(program)));
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&quote(arg));
    }
    line
}

fn quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `12.3s`, `4m 05.2s`, `1h 02m 03s`.
pub fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if secs < 3600.0 {
        let whole = d.as_secs();
        let frac = secs - (whole / 60 * 60) as f64;
        format!("{}m {frac:04.1}s", whole / 60)
    } else {
        let whole = d.as_secs();
        format!(
            "{}h {:02}m {:02}s",
            whole / 3600,
            whole % 3600 / 60,
            whole % 60
        )
    }
}

/// `846123 bytes (846.1 KB)`.
pub fn fmt_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e6 {
        format!("{bytes} bytes ({:.2} MB)", b / 1e6)
    } else if b >= 1e3 {
        format!("{bytes} bytes ({:.1} KB)", b / 1e3)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(fmt_duration(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(fmt_duration(Duration::from_millis(245_200)), "4m 05.2s");
        assert_eq!(fmt_duration(Duration::from_secs(3723)), "1h 02m 03s");
    }

    #[test]
    fn command_lines() {
        let mut cmd = Command::new("cargo");
        cmd.env("PATH", "/x")
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .args(["test", "--", "a b"]);
        assert_eq!(
            display(&cmd),
            "CHROMEDRIVER=/usr/bin/chromedriver cargo test -- 'a b'"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(fmt_bytes(512), "512 bytes");
        assert_eq!(fmt_bytes(846_123), "846123 bytes (846.1 KB)");
        assert_eq!(fmt_bytes(9_260_000), "9260000 bytes (9.26 MB)");
    }
}

/// Tests passed and failed, summed over the harness summaries of one or more runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TestCounts {
    pub passed: u64,
    pub failed: u64,
}

impl TestCounts {
    /// Adds the numbers of a `test result: ok. 12 passed; 0 failed; …` line; ignores others.
    pub fn add_summary_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        let number_before = |word: &str| {
            rest.split(';')
                .filter_map(|part| {
                    part.trim()
                        .trim_start_matches("ok.")
                        .trim_start_matches("FAILED.")
                        .trim()
                        .strip_suffix(word)
                })
                .find_map(|n| n.trim().parse::<u64>().ok())
        };
        self.passed += number_before("passed").unwrap_or(0);
        self.failed += number_before("failed").unwrap_or(0);
    }

    pub fn add(&mut self, other: TestCounts) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

#[cfg(test)]
mod test_counts {
    use super::TestCounts;

    #[test]
    fn reads_libtest_and_wasm_bindgen_test_summaries() {
        let mut c = TestCounts::default();
        c.add_summary_line("test result: ok. 51 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s");
        c.add_summary_line(
            "test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 filtered out; finished in 5.13s",
        );
        c.add_summary_line("running 4 tests");
        assert_eq!(
            c,
            TestCounts {
                passed: 54,
                failed: 1
            }
        );
    }
}

/// Prints `cmd`, runs it to the end and turns a failure into a message naming it.
pub fn run_command(cmd: &mut Command) -> Result {
    let line = display(cmd);
    println!("$ {line}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}
