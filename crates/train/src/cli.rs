//! The command line: `convlab-train train | eval | bench`. Only parsing lives here; `main`
//! turns the parsed arguments into calls of the library.
//!
//! The doc comments below are the `--help` text, so they explain each flag in the lecture's
//! terms rather than in the code's.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Train, evaluate and benchmark the lecture's models on MNIST, natively.
///
/// Three models: LeNet-5 (a CNN that classifies digits), a variational autoencoder (VAE) and a
/// plain autoencoder (AE) with the same encoder and decoder. A training run writes a folder
/// (`--out`) with `config.json`, the weights `model.bpk`, `metrics.csv` (one row per epoch)
/// and a checkpoint to resume from; `eval --model DIR` scores that folder on the test set.
///
/// Typical session:
///
///   convlab-train train vae --epochs 10 --out runs/vae
///
///   convlab-train eval --model runs/vae
#[derive(Debug, Parser)]
#[command(
    name = "convlab-train",
    version,
    about,
    long_about,
    verbatim_doc_comment
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model on the MNIST training images and save it.
    ///
    /// Each epoch is one pass over the training images in a new random order, in mini-batches;
    /// after each, the model is scored on the held-out validation images and saved.
    Train(TrainArgs),
    /// Score a trained model on the 10,000 MNIST test images; JSON on stdout.
    ///
    /// VAE: the negative ELBO (reconstruction BCE + KL, in nats per image; lower is better).
    /// AE: the reconstruction BCE alone. LeNet-5: accuracy and the 10×10 confusion matrix.
    Eval(EvalArgs),
    /// Measure training throughput and inference latency of the VAE; JSON lines on stdout.
    ///
    /// The same measurements and field names as `bench/torch_vae.py`, the PyTorch reference:
    /// training images per second at batch 128 (median over several timed rounds, after a
    /// warm-up), and the median latency of encoding one image and decoding 1 and 64 latent codes.
    Bench(BenchArgs),
}

/// Which of the lecture's models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// LeNet-5: a convolutional classifier, image → one of the ten digits.
    Lenet,
    /// Variational autoencoder: image → a Gaussian over the latent space → sampled code →
    /// image. Loss: reconstruction BCE + β·KL.
    Vae,
    /// Plain autoencoder: image → latent code → image. Loss: reconstruction BCE only.
    Ae,
}

/// Where the arithmetic runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DeviceChoice {
    /// The GPU when this build has GPU support and one is found, else the CPU (it says which).
    #[default]
    Auto,
    /// The GPU (Burn's wgpu backend); an error when the build or the machine has none.
    Gpu,
    /// The CPU (Burn's `flex` backend, all cores).
    Cpu,
}

/// `convlab-train train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The model to train.
    #[arg(value_enum)]
    pub model: ModelKind,

    /// Number of epochs: full passes over the training images. With --resume, the total
    /// to reach, counting the epochs already done.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,

    /// Images per mini-batch: the gradient of each optimiser step is averaged over this many.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,

    /// Learning rate of the Adam optimiser (its ε is 1e-8, as in PyTorch).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,

    /// Latent size L (VAE, AE): the number of values the encoder squeezes a 784-pixel image
    /// into. 2 lets the lecture draw the latent space as a plane; 16 reconstructs more sharply.
    #[arg(long, default_value_t = 2)]
    pub latent: usize,

    /// β (VAE only), the weight of the KL term in the loss BCE + β·KL. β = 1 is the standard
    /// VAE; smaller β gives sharper reconstructions but a latent space that is less like
    /// N(0, I), so decoding random codes gives worse digits; larger β the opposite.
    #[arg(long, default_value_t = 1.0)]
    pub beta: f64,

    /// Seed for the weight initialisation, the validation split, the batch order and the
    /// VAE's sampling noise: the same seed gives the same run.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Use only the first N training images (quick runs and tests). The validation images
    /// are carved out of these N.
    #[arg(long, value_name = "N")]
    pub train_limit: Option<usize>,

    /// Validation set size: this many training images, chosen by --seed, are held out of
    /// training and used after each epoch to watch for overfitting. This is not the test
    /// set: the 10,000 test images stay untouched until `eval`. Default: one twelfth of the
    /// training images (5,000 of 60,000); 0 for none.
    #[arg(long, value_name = "N")]
    pub validation: Option<usize>,

    /// Folder holding the four MNIST files (gzipped or not). Default: $MNIST_DIR, else
    /// ../shared/data/mnist beside the workspace.
    #[arg(long, value_name = "DIR")]
    pub mnist_dir: Option<PathBuf>,

    /// Folder for the run's files: config.json, model.bpk, optimizer.bpk, state.json,
    /// metrics.csv. Default: runs/<model>.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Continue the run saved in --out from its last completed epoch, with its saved
    /// configuration (only --epochs is taken from this command line).
    #[arg(long)]
    pub resume: bool,

    /// Where to compute.
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,

    /// Print a progress line every N mini-batches (0: only one line per epoch).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub log_every: usize,
}

/// `convlab-train eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A folder written by `convlab-train train` (config.json + model.bpk).
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,

    /// Folder holding the MNIST files. Default: $MNIST_DIR, else ../shared/data/mnist.
    #[arg(long, value_name = "DIR")]
    pub mnist_dir: Option<PathBuf>,

    /// Score only the first N test images.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,

    /// Images per forward pass (affects speed and memory, not the result).
    #[arg(long, default_value_t = 500)]
    pub batch_size: usize,

    /// Seed of the VAE's sampling noise: the negative ELBO is estimated with one sample of z
    /// per image.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Where to compute.
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
}

/// `convlab-train bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Where to compute.
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    pub device: DeviceChoice,

    /// Latent size L of the benchmarked VAE.
    #[arg(long, default_value_t = 2)]
    pub latent: usize,

    /// Images per training step.
    #[arg(long, default_value_t = 128)]
    pub batch: usize,

    /// Untimed training steps first (allocations, caches, thread pools).
    #[arg(long, default_value_t = 10)]
    pub warmup: usize,

    /// Training steps per timed round.
    #[arg(long, default_value_t = 20)]
    pub steps: usize,

    /// Timed rounds; the median is reported.
    #[arg(long, default_value_t = 7)]
    pub rounds: usize,

    /// Timed repetitions of each inference measurement.
    #[arg(long, default_value_t = 300)]
    pub inf_reps: usize,

    /// Untimed repetitions before each inference measurement.
    #[arg(long, default_value_t = 30)]
    pub inf_warmup: usize,

    /// Which measurements.
    #[arg(long, value_enum, default_value_t = BenchMode::All)]
    pub mode: BenchMode,
}

/// What `bench` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchMode {
    /// Training throughput and inference latency.
    All,
    /// Training throughput only.
    Train,
    /// Inference latency only.
    Infer,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn train_flags_parse() {
        let cli = Cli::try_parse_from([
            "convlab-train",
            "train",
            "vae",
            "--epochs",
            "3",
            "--beta",
            "0.5",
            "--train-limit",
            "256",
            "--validation",
            "0",
            "--device",
            "cpu",
        ])
        .unwrap();
        let Command::Train(args) = cli.command else {
            panic!("not train")
        };
        assert_eq!(args.model, ModelKind::Vae);
        assert_eq!((args.epochs, args.beta), (3, 0.5));
        assert_eq!((args.train_limit, args.validation), (Some(256), Some(0)));
        assert_eq!(args.device, DeviceChoice::Cpu);
    }
}
