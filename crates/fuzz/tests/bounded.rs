//! A short, seeded run of every fuzz target (the same inputs each time): none may panic.
//! Longer runs: `cargo xtask fuzz`.

use convlab_fuzz::{Budget, fuzz, targets};

/// Executions per target; the weights target builds a model per input, so it gets fewer.
fn executions(name: &str) -> u64 {
    if name == "weights" { 200 } else { 20_000 }
}

#[test]
fn no_target_panics_on_a_bounded_run() {
    let mut failures = Vec::new();
    for target in targets::all() {
        let report = fuzz(&target, Budget::Executions(executions(target.name)), 2026);
        println!(
            "{}: {} executions in {:.2?}, {} crashes",
            report.target, report.executions, report.took, report.crash_count
        );
        for crash in &report.crashes {
            failures.push(format!(
                "{}: {} (input {:?})",
                report.target,
                crash.message,
                &crash.input[..crash.input.len().min(64)]
            ));
        }
    }
    assert!(failures.is_empty(), "crashes:\n{}", failures.join("\n"));
}
