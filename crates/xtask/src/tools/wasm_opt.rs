//! wasm-opt from npm's `binaryen`, pinned: Debian's older one silently breaks the page.

use std::fs;

use super::WASM_OPT_VERSION;
use super::browser::apt_install;
use crate::ctx::{Ctx, Result};

pub(super) fn wasm_opt(ctx: &Ctx) -> Result {
    // npm's binaryen is first on the xtask PATH, so this finds it once installed.
    if let Some(path) = ctx.which("wasm-opt") {
        let version = ctx.version_of(&path).unwrap_or_default();
        if wasm_opt_version(&version) == Some(WASM_OPT_VERSION) {
            println!("wasm-opt {WASM_OPT_VERSION}: present ({})", path.display());
            return Ok(());
        }
        println!(
            "wasm-opt: {} is `{version}`, need {WASM_OPT_VERSION} (Debian's binaryen builds a \
             page that never starts); installing npm's binaryen@{WASM_OPT_VERSION} ahead of it \
             on PATH",
            path.display()
        );
    } else {
        println!("wasm-opt {WASM_OPT_VERSION}: missing");
    }

    let npm = match ctx.which("npm") {
        Some(npm) => npm,
        None => {
            println!("npm: missing; wasm-opt {WASM_OPT_VERSION} comes from npm's binaryen");
            apt_install(ctx, &["npm"], "wasm-opt (npm's binaryen)")?;
            ctx.which("npm")
                .ok_or("installed Debian's npm but `npm` is still not on PATH")?
        }
    };
    let prefix = ctx.tools_dir.join("binaryen");
    fs::create_dir_all(&prefix).map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    println!(
        "installing binaryen@{WASM_OPT_VERSION} from npm into {} (a minute or so)",
        prefix.display()
    );
    let package = format!("binaryen@{WASM_OPT_VERSION}");
    ctx.run(
        ctx.command(npm)
            .arg("install")
            .arg("--prefix")
            .arg(&prefix)
            .args(["--no-audit", "--no-fund", &package]),
    )?;

    let installed = ctx.binaryen_bin().join("wasm-opt");
    let version = ctx.version_of(&installed).unwrap_or_default();
    if wasm_opt_version(&version) == Some(WASM_OPT_VERSION) {
        println!(
            "wasm-opt {WASM_OPT_VERSION}: installed ({})",
            installed.display()
        );
        Ok(())
    } else {
        Err(format!(
            "after `npm install {package}`, `{} --version` says `{version}`, not version \
             {WASM_OPT_VERSION}",
            installed.display()
        ))
    }
}

/// `wasm-opt version 132 (version_132)` → 132.
fn wasm_opt_version(output: &str) -> Option<u32> {
    let mut words = output.split_whitespace();
    while let Some(word) = words.next() {
        if word == "version" {
            let number: String = words
                .next()?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            return number.parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm_opt_versions() {
        assert_eq!(
            wasm_opt_version("wasm-opt version 132 (version_132)"),
            Some(132)
        );
        assert_eq!(wasm_opt_version("wasm-opt version 108"), Some(108));
        assert_eq!(wasm_opt_version("wasm-opt version 1320"), Some(1320));
        assert_eq!(wasm_opt_version("nonsense"), None);
    }
}
