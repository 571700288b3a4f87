//! `convlab-fuzz [--seconds N | --executions N] [--seed S] [TARGET...]`: fuzzes each target
//! (all by default) and prints executions and crashes; crashing inputs are written to
//! `fuzz-crashes/` in the working directory. Exits with 1 when anything crashed.

use std::process::ExitCode;
use std::time::Duration;

use convlab_fuzz::{Budget, Report, fuzz, targets};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let mut budget = Budget::Time(Duration::from_secs(10));
    let mut seed = 1;
    let mut names = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |flag: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{flag} takes a whole number"))
        };
        match arg.as_str() {
            "--seconds" => budget = Budget::Time(Duration::from_secs(number("--seconds")?)),
            "--executions" => budget = Budget::Executions(number("--executions")?),
            "--seed" => seed = number("--seed")?,
            name => names.push(name.to_string()),
        }
    }
    let chosen = if names.is_empty() {
        targets::all()
    } else {
        names
            .iter()
            .map(|n| {
                targets::by_name(n).ok_or_else(|| {
                    let known: Vec<_> = targets::all().iter().map(|t| t.name).collect();
                    format!("no target `{n}` (targets: {})", known.join(", "))
                })
            })
            .collect::<Result<_, _>>()?
    };
    println!(
        "{:<20} {:>12} {:>10} {:>8}",
        "target", "executions", "per second", "crashes"
    );
    let mut clean = true;
    for target in &chosen {
        let report = fuzz(target, budget, seed);
        print_row(&report);
        clean &= report.crash_count == 0;
        save_crashes(&report)?;
    }
    Ok(clean)
}

fn print_row(report: &Report) {
    let rate = report.executions as f64 / report.took.as_secs_f64().max(1e-9);
    println!(
        "{:<20} {:>12} {:>10.0} {:>8}",
        report.target, report.executions, rate, report.crash_count
    );
    for crash in &report.crashes {
        println!("    crash: {}", crash.message);
    }
}

fn save_crashes(report: &Report) -> Result<(), String> {
    if report.crashes.is_empty() {
        return Ok(());
    }
    let dir = std::path::Path::new("fuzz-crashes");
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (i, crash) in report.crashes.iter().enumerate() {
        let path = dir.join(format!("{}-{i}.bin", report.target));
        std::fs::write(&path, &crash.input)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("    saved {}", path.display());
    }
    Ok(())
}
