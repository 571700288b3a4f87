//! The command line: `convlab-train train | eval | export | bench | import-torch`. Only parsing lives here; `main`
//! turns the parsed arguments into calls of the library.
//!
//! The doc comments below are the `--help` text, so they explain each flag in the lecture's
//! terms rather than in the code's.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Train, evaluate, export and benchmark the lecture's models on MNIST, natively.
///
/// Three models: LeNet-5 (a CNN that classifies digits), a variational autoencoder (VAE) and a
/// plain autoencoder (AE) with the same encoder and decoder. A training run writes a folder
/// (`--out`) with `config.json`, the weights `model-E.bpk`, `metrics.csv` (one row per epoch)
/// and a checkpoint to resume from; `eval --model DIR` scores that folder on the test set
/// (`eval --weights NAME.json` an exported pair, or one the web app's training lab downloaded);
/// `export --model DIR --name NAME` writes weights/NAME.bpk and weights/NAME.json for the web app.
///
/// Typical session:
///
///   convlab-train train vae --epochs 10 --out runs/vae
///
///   convlab-train eval --model runs/vae
///
///   convlab-train export --model runs/vae --name vae
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
    /// Package a trained model for the web app: weights/NAME.bpk and weights/NAME.json.
    ///
    /// Loads the run, scores it on the 10,000 MNIST test images (as `eval` does), and writes
    /// the weights (Burn's .bpk, as training saved them) and a JSON description beside them:
    /// the model and its configuration, the training settings, the epochs, the test-set
    /// figures and the command line that repeats the training run. See weights/README.md.
    Export(ExportArgs),
    /// Measure training throughput and inference latency of the VAE; JSON lines on stdout.
    ///
    /// The same measurements and field names as `bench/torch_vae.py`, the PyTorch reference:
    /// training images per second at batch 128 (median over several timed rounds, after a
    /// warm-up), and the median latency of encoding one image and decoding 1 and 64 latent codes.
    Bench(BenchArgs),
    /// Load the reference VAE trained in PyTorch (its state_dict, .pt or .safetensors) into a
    /// run folder that `eval` and `export` take like a trained one.
    ///
    /// The model must be bench/torch_vae.py's VAE (the lecture's workshop model), saved with
    /// torch.save(model.state_dict(), "vae.pt") or with safetensors' save_file(state_dict,
    /// "vae.safetensors"); the format is told from the file's content, not its name.
    /// Every tensor is checked against that model (names, shapes, float32) before loading, and
    /// any mismatch is named. Linear weights are transposed (PyTorch [out, in], Burn [in, out])
    /// and the layers renamed (enc_fc → encoder.fc, enc_logvar → log_var, ...). The run folder
    /// gets config.json (marked as imported), model-0.bpk, state.json (0 epochs) and metrics.csv.
    ///
    ///   convlab-train import-torch --input vae.pt --latent 2 --out runs/torch-vae
    ///
    ///   convlab-train eval --model runs/torch-vae
    ImportTorch(ImportTorchArgs),
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

    /// Learning rate of the last epoch: the rate falls from --lr to this along a half cosine,
    /// epoch by epoch. Big steps early, small steps late settle the weights into a minimum
    /// instead of jumping around it (the validation curve stops wobbling). Default: constant.
    #[arg(long, value_name = "LR")]
    pub lr_final: Option<f64>,

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

    /// Data augmentation by translation (the lecture's "CNN – Model Training" slides): shift
    /// each training image by up to PX pixels in x and in y, whole pixels, drawn afresh for
    /// every image in every epoch. A digit is the same digit wherever it sits, so this makes
    /// more training data out of the same images and keeps the network from learning the
    /// position by heart. MNIST digits are centred by their centre of mass, drawn ones often
    /// are not: 2 to 3 pixels makes a classifier robust to that. Only the training images
    /// are changed, never the validation or test images. 0 turns it off.
    #[arg(long, value_name = "PX", default_value_t = 0.0, value_parser = non_negative,
          help_heading = "Augmentation")]
    pub translate: f32,

    /// Rotate each training image by a random angle of up to DEG degrees, either way, about
    /// its centre. Handwriting slants by a few degrees; 10 to 15 is plenty. Large angles
    /// start to turn a 6 into a 9 (the lecture's 6 ≠ 9). 0 turns it off.
    #[arg(long, value_name = "DEG", default_value_t = 0.0, value_parser = non_negative,
          help_heading = "Augmentation")]
    pub rotate: f32,

    /// Zoom each training image by a random factor between 1 − FRACTION and 1 + FRACTION
    /// about its centre (0.1: from 90% to 110%), for digits drawn larger or smaller. Must be
    /// below 1. 0 turns it off.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0, value_parser = below_one,
          help_heading = "Augmentation")]
    pub scale: f32,

    /// Mirror half of the training images left to right. Off by default, and best left off
    /// for digits: the lecture's 6 ≠ 9 warning. A mirrored person waving is still a person
    /// waving, so flips help there, but a mirrored 2, 3, 4, 5 or 7 is not a digit at all,
    /// and a network taught that it is learns something false.
    #[arg(long, help_heading = "Augmentation")]
    pub flip: bool,

    /// Add Gaussian noise with standard deviation STD to every pixel of the training images
    /// (then clamp to [0, 1]); 0.2 to 0.5 is clearly visible. For LeNet-5 it is one more
    /// variation to be robust to. For the VAE and AE the reconstruction target stays the
    /// CLEAN image, so the model learns to remove the noise: a denoising autoencoder (the
    /// lecture's "AutoEncoder – Noise Reduction"). 0 turns it off.
    #[arg(long, value_name = "STD", default_value_t = 0.0, value_parser = non_negative,
          help_heading = "Augmentation")]
    pub noise: f32,

    /// Folder holding the four MNIST files (gzipped or not). Default: $MNIST_DIR, else
    /// ../shared/data/mnist beside the workspace.
    #[arg(long, value_name = "DIR")]
    pub mnist_dir: Option<PathBuf>,

    /// Folder for the run's files: config.json, model-E.bpk, optimizer-E.bpk (E: the last epoch), state.json,
    /// metrics.csv. Default: runs/<model>.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Continue the run saved in --out from its last completed epoch, with its saved
    /// configuration, augmentation included (only --epochs is taken from this command line).
    /// Batches and augmentations are seeded by epoch, so the result is the same as a run
    /// that was never interrupted.
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
    /// A folder written by `convlab-train train` (config.json + its weights).
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "weights",
        conflicts_with = "weights"
    )]
    pub model: Option<PathBuf>,

    /// A weights description, NAME.json, with NAME.bpk beside it: what `export` writes, and
    /// what the web app's training lab downloads.
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,

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

/// `convlab-train export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A folder written by `convlab-train train` (config.json + its weights + state.json).
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,

    /// The name of the exported files: NAME.bpk and NAME.json. Letters, digits, '-', '_' and
    /// '.', not starting with '.'; e.g. lenet, vae-l2.
    #[arg(long)]
    pub name: String,

    /// The folder to write them into (created if needed).
    #[arg(long, value_name = "DIR", default_value = "weights")]
    pub to: PathBuf,

    /// Replace NAME.bpk and NAME.json when they already exist.
    #[arg(long)]
    pub force: bool,

    /// Folder holding the MNIST files. Default: $MNIST_DIR, else ../shared/data/mnist.
    #[arg(long, value_name = "DIR")]
    pub mnist_dir: Option<PathBuf>,

    /// Where to compute the test-set figures.
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

/// `convlab-train import-torch`.
#[derive(Debug, Args)]
pub struct ImportTorchArgs {
    /// The state_dict: a torch.save file (.pt, .pth) or a safetensors file.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,

    /// Latent size L of the saved VAE. Default: read from the file (enc_mu.weight is
    /// [L, 16]); when given, a file of another size is an error.
    #[arg(long)]
    pub latent: Option<usize>,

    /// The run folder to write (config.json, model-0.bpk, state.json, metrics.csv).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Compare the loaded model with outputs PyTorch computed: a JSON with `latent`, `images`
    /// ([N][784] pixels), `mu` and `logvar` ([N][L], from model.encode) and `logits` ([N][784],
    /// from model.decode_logits(mu)), as crates/train/fixtures/make_torch_fixture.py writes.
    /// Prints the largest absolute differences; above --tolerance it is an error and nothing
    /// is written.
    #[arg(long, value_name = "EXPECTED.json")]
    pub check: Option<PathBuf>,

    /// Largest absolute difference --check accepts.
    #[arg(long, default_value_t = 1e-4, requires = "check")]
    pub tolerance: f64,

    /// Replace a run already in --out (its metrics and optimizer state go too).
    #[arg(long)]
    pub force: bool,
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
    /// Each convolution of the VAE alone at the batch size: the forward pass, and the forward
    /// and backward passes a training step pays for. Shows where the training time goes.
    Layers,
}

/// A number ≥ 0 (the augmentation limits).
fn non_negative(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
        Ok(value) => Err(format!("must be a number ≥ 0, got {value}")),
        Err(err) => Err(err.to_string()),
    }
}

/// A number in `[0, 1)` (the zoom range).
fn below_one(text: &str) -> Result<f32, String> {
    let value = non_negative(text)?;
    if value < 1.0 {
        Ok(value)
    } else {
        Err(format!(
            "must be below 1 (the zoom is drawn from 1 − FRACTION to 1 + FRACTION), got {value}"
        ))
    }
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
        assert_eq!((args.translate, args.rotate, args.scale), (0.0, 0.0, 0.0));
        assert!(
            !args.flip && args.noise == 0.0,
            "augmentation is off by default"
        );
    }

    #[test]
    fn augmentation_flags_parse_and_refuse_bad_values() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["convlab-train", "train", "lenet"];
            argv.extend_from_slice(extra);
            Cli::try_parse_from(argv)
        };
        let cli = parse(&[
            "--translate",
            "2",
            "--rotate",
            "10",
            "--scale",
            "0.1",
            "--flip",
            "--noise",
            "0.3",
        ])
        .unwrap();
        let Command::Train(args) = cli.command else {
            panic!("not train")
        };
        assert_eq!(
            (
                args.translate,
                args.rotate,
                args.scale,
                args.flip,
                args.noise
            ),
            (2.0, 10.0, 0.1, true, 0.3)
        );
        assert!(parse(&["--rotate", "-5"]).is_err());
        assert!(parse(&["--scale", "1"]).is_err());
        assert!(parse(&["--noise", "NaN"]).is_err());
    }

    #[test]
    fn import_torch_flags_parse() {
        let cli = Cli::try_parse_from([
            "convlab-train",
            "import-torch",
            "--input",
            "vae.pt",
            "--latent",
            "2",
            "--out",
            "runs/torch-vae",
            "--check",
            "expected.json",
        ])
        .unwrap();
        let Command::ImportTorch(args) = cli.command else {
            panic!("not import-torch")
        };
        assert_eq!(args.input, PathBuf::from("vae.pt"));
        assert_eq!(args.latent, Some(2));
        assert_eq!(args.out, PathBuf::from("runs/torch-vae"));
        assert_eq!(args.check, Some(PathBuf::from("expected.json")));
        assert_eq!(args.tolerance, 1e-4);
        assert!(!args.force);
        assert!(
            Cli::try_parse_from(["convlab-train", "import-torch", "--input", "vae.pt"]).is_err(),
            "--out is required"
        );
    }

    #[test]
    fn eval_takes_a_run_folder_or_a_weights_pair_but_not_both() {
        let parse = |args: &[&str]| {
            let cli = Cli::try_parse_from([&["convlab-train", "eval"], args].concat())?;
            let Command::Eval(args) = cli.command else {
                panic!("not eval")
            };
            Ok::<_, clap::Error>((args.model, args.weights))
        };
        assert_eq!(
            parse(&["--weights", "lab.json"]).unwrap(),
            (None, Some(PathBuf::from("lab.json")))
        );
        assert_eq!(
            parse(&["--model", "runs/lenet"]).unwrap().0,
            Some(PathBuf::from("runs/lenet"))
        );
        assert!(parse(&[]).is_err());
        assert!(parse(&["--model", "runs/lenet", "--weights", "lab.json"]).is_err());
    }

    #[test]
    fn export_flags_parse() {
        let cli = Cli::try_parse_from([
            "convlab-train",
            "export",
            "--model",
            "runs/lenet",
            "--name",
            "lenet",
        ])
        .unwrap();
        let Command::Export(args) = cli.command else {
            panic!("not export")
        };
        assert_eq!(args.model, PathBuf::from("runs/lenet"));
        assert_eq!(
            (args.name.as_str(), args.to.as_path()),
            ("lenet", std::path::Path::new("weights"))
        );
        assert!(!args.force);
    }
}
