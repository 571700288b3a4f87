//! `convlab-train`: parses the command line, picks the device, calls the library.

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use convlab_train::cli::{Cli, Command};
use convlab_train::training::TrainOutcome;
use convlab_train::{bench, data, device, eval, export, import, training};

/// mimalloc instead of the system allocator. A training step allocates and frees tensors of
/// several megabytes; glibc serves those with `mmap` and returns them with `munmap`, so every
/// step page-faults its buffers in again, zeroes them in the kernel and flushes the TLBs of
/// both cores (29% of `perf` samples were in the kernel, 9% with mimalloc). Training runs ≈ 1.5×
/// faster with it (`convlab-train bench --device cpu`; README, "Training the models").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Train(args) => {
            let selected = device::select(args.device)?;
            eprintln!("device: {}", selected.description);
            match training::train_command(&args, &selected.device, true)? {
                TrainOutcome::Finished { .. } => Ok(ExitCode::SUCCESS),
                TrainOutcome::Diverged {
                    divergence,
                    kept_epoch,
                } => {
                    let place = divergence
                        .batch
                        .map_or("in the validation pass".to_string(), |b| {
                            format!("at batch {b}")
                        });
                    eprintln!(
                        "stopped: the loss became {} in epoch {} {place}. Kept the last good \
                         weights (model-{kept_epoch}.bpk): those after epoch {kept_epoch}{}. Try a smaller --lr.",
                        divergence.loss,
                        divergence.epoch,
                        if kept_epoch == 0 {
                            " (the initial weights)"
                        } else {
                            ""
                        },
                    );
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Eval(args) => {
            let selected = device::select(args.device)?;
            eprintln!("device: {}", selected.description);
            let mnist = data::mnist_dir(args.mnist_dir.clone());
            let options = eval::EvalOptions {
                limit: args.limit,
                batch_size: args.batch_size,
                seed: args.seed,
            };
            let report = match (&args.model, &args.weights) {
                (Some(dir), _) => eval::evaluate(dir, &mnist, &selected.device, &options)?,
                (None, Some(json)) => {
                    eval::evaluate_weights(json, &mnist, &selected.device, &options)?
                }
                (None, None) => anyhow::bail!("give --model DIR or --weights FILE"),
            };
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Export(args) => {
            let selected = device::select(args.device)?;
            eprintln!("device: {}", selected.description);
            let exported = export::export_command(&args, &selected.device)?;
            println!(
                "wrote {} and {}",
                exported.weights.display(),
                exported.manifest_path.display()
            );
            println!("test set: {}", export::summary(&exported.manifest.test));
            println!("trained with: {}", exported.manifest.command);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(args) => {
            let selected = device::select(args.device)?;
            eprintln!("device: {}", selected.description);
            let backend = if selected.is_gpu { "wgpu" } else { "flex" };
            bench::run(&args, &selected.device, backend, |line| println!("{line}"))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportTorch(args) => {
            let selected = device::cpu();
            let imported = import::import(
                &import::ImportOptions {
                    input: args.input.clone(),
                    latent: args.latent,
                    out: args.out.clone(),
                    check: args.check.clone(),
                    tolerance: args.tolerance,
                    force: args.force,
                },
                &selected.device,
            )?;
            let vae = &imported.vae;
            println!(
                "read {} ({}, {} tensors): the reference VAE at latent {}, {} parameters",
                args.input.display(),
                vae.format.describe(),
                vae.tensors.len(),
                vae.config.latent_dim,
                burn::module::Module::num_params(&vae.vae),
            );
            if let (Some(report), Some(path)) = (&imported.check, &args.check) {
                println!(
                    "check against {}: {}; max {:.1e} ≤ {:e}",
                    path.display(),
                    report.summary(),
                    report.max(),
                    args.tolerance
                );
            }
            println!(
                "wrote {} (config.json, model-0.bpk, state.json, metrics.csv)",
                imported.run.path().display()
            );
            println!(
                "next: convlab-train eval --model {}",
                imported.run.path().display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
