//! Trained weights as the web app receives them: a pair of files per model,
//! `weights/NAME.bpk` (the parameters, Burn's burnpack exactly as `Module::save_file` writes
//! it) and `weights/NAME.json` (a [`WeightsManifest`]: which model and configuration the
//! parameters belong to, how they were trained, and what they score on the MNIST test set).
//! `convlab-train export` writes both; `weights/README.md` describes the layout.
//!
//! The loaders take the two files' contents, not paths: the browser fetches bytes. Each
//! rebuilds the model the JSON configures and applies the record read with
//! [`ModuleRecord::from_bytes`], so a file that does not fit the model (another model kind, a
//! different latent size, a truncated download, a `.bpk` from one export and a `.json` from
//! another) is an error that says which, never a model with wrong or missing weights.
//!
//! A description is checked before anything is built from it: the configuration must be in
//! bounds (a latent size of 1–64, 1–1,000 classes) and the `.bpk` the size the JSON says, so a
//! hostile `latent_dim: 100000000` never allocates. The weights are applied on the CPU and
//! checked finite there (a NaN or an infinity is refused, naming the tensor, e.g. `fc2.weight`), and only then
//! moved to `device`, so no GPU tensor is ever read back synchronously.

use burn::module::{Module, ModuleVisitor, Param};
use burn::store::ModuleRecord;
use burn::tensor::Tensor;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use crate::autoencoder::{Autoencoder, AutoencoderConfig};
use crate::lenet::{LeNet5, LeNet5Config};
use crate::vae::{Vae, VaeConfig};

/// The `format` field of every manifest.
pub const FORMAT: &str = "convlab-weights";
/// The layout version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Which model, with the configuration that rebuilds it before its weights are applied.
/// In JSON: `{"kind": "lenet" | "vae" | "ae", "config": {...}}`, the same as the `model` field
/// of a training run's `config.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", content = "config", rename_all = "lowercase")]
pub enum ModelSpec {
    /// LeNet-5.
    Lenet(LeNet5Config),
    /// The variational autoencoder.
    Vae(VaeConfig),
    /// The plain autoencoder.
    Ae(AutoencoderConfig),
}

impl ModelSpec {
    /// "lenet", "vae" or "ae", as in the JSON.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Lenet(_) => "lenet",
            Self::Vae(_) => "vae",
            Self::Ae(_) => "ae",
        }
    }

    /// The configuration as compact JSON, for messages.
    fn config_json(&self) -> String {
        let config = match self {
            Self::Lenet(c) => serde_json::to_string(c),
            Self::Vae(c) => serde_json::to_string(c),
            Self::Ae(c) => serde_json::to_string(c),
        };
        config.unwrap_or_default()
    }
}

/// The test-set figures of `convlab-train eval` at export time. Fields that do not apply to
/// the model are absent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestScores {
    /// Test images scored (10,000 for the full MNIST test set).
    pub images: usize,
    /// Units of the loss figures ("nats per image").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<String>,
    /// Fraction classified right (LeNet-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Mean cross-entropy (LeNet-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_entropy: Option<f64>,
    /// `confusion[true][predicted]` counts (LeNet-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confusion: Option<Vec<Vec<u64>>>,
    /// Mean reconstruction BCE per image, summed over the pixels (VAE, AE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bce: Option<f64>,
    /// Mean KL divergence per image (VAE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kl: Option<f64>,
    /// BCE + KL, the bound on −log p(x) (VAE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative_elbo: Option<f64>,
    /// How the VAE's z was drawn for the estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<String>,
}

/// `weights/NAME.json`: what the `.bpk` beside it holds.
///
/// `T` is the type of [`training`](Self::training): readers take it as plain JSON; the
/// trainer writes its own `TrainingConfig` there, field for field as in `config.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WeightsManifest<T = serde_json::Value> {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// NAME: the two files are `NAME.json` and `NAME.bpk`.
    pub name: String,
    /// The model and its configuration.
    pub model: ModelSpec,
    /// Number of parameters (weights and biases) in the `.bpk`.
    pub parameters: usize,
    /// File name of the weights, `NAME.bpk`, beside this file.
    pub weights_file: String,
    /// Its size in bytes, so a `.bpk` from another export (or a cut-off download) is caught.
    pub weights_bytes: u64,
    /// [`weights_checksum`] of its bytes, so a `.bpk` of another export of the same model (a
    /// crash between writing the two files, a copy of one file only) is caught too. Absent:
    /// only the size is checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_fnv1a: Option<String>,
    /// Training epochs behind the weights.
    pub epochs: usize,
    /// The training run's `config.json` as the trainer wrote it (optimiser, learning rate,
    /// batch size, β, seed, validation size, augmentation, ...).
    pub training: T,
    /// The command line that repeats the training run.
    pub command: String,
    /// Something to know about `command` or the run (e.g. a model configuration the command
    /// line cannot express, or a run that diverged after these weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Scores on the MNIST test set.
    pub test: TestScores,
    /// The program that wrote the files, with its version.
    pub exported_by: String,
}

/// Why shipped weights could not be loaded. Each message says which files disagree and how.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The JSON does not parse, or lacks a field of the layout.
    #[error("the weights description is not convlab's weights JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Another format or a newer layout.
    #[error(
        "the weights description is format {format:?} version {version}; this build reads \
         {FORMAT:?} version {FORMAT_VERSION}"
    )]
    Format { format: String, version: u32 },
    /// The JSON describes another kind of model than the one asked for.
    #[error("{name}.json describes a {found} model, not a {expected}")]
    WrongKind {
        name: String,
        expected: &'static str,
        found: &'static str,
    },
    /// The `.bpk` is not the size the JSON recorded.
    #[error(
        "{name}.bpk has {actual} bytes but {name}.json says {expected}: the two files are not \
         from the same export (or the download was cut off)"
    )]
    Size {
        name: String,
        expected: u64,
        actual: usize,
    },
    /// The `.bpk` has the right size but not the bytes the JSON recorded.
    #[error(
        "{name}.bpk is not the file {name}.json was exported with (its checksum differs): the \
         two files are from different exports; export them again"
    )]
    Checksum { name: String },
    /// The bytes are not a burnpack file.
    #[error("{name}.bpk is not a readable Burn weights file: {detail}")]
    Unreadable { name: String, detail: String },
    /// The configuration is out of the bounds this build loads.
    #[error("{name}.json configures {what}; this build loads {bounds}")]
    Config {
        name: String,
        what: String,
        bounds: &'static str,
    },
    /// A weight is NaN or infinite.
    #[error("{name}.bpk holds a value that is not finite in {tensor}: the weights are broken")]
    NotFinite { name: String, tensor: String },
    /// The record's tensors do not fit the model the JSON configures.
    #[error("{name}.bpk does not fit the {kind} model {name}.json configures ({config}): {detail}")]
    Mismatch {
        name: String,
        kind: &'static str,
        config: String,
        detail: String,
    },
}

/// Any of the three models, as [`load`] returns it.
#[derive(Debug)]
pub enum LoadedWeights {
    /// LeNet-5.
    Lenet(LeNet5),
    /// The variational autoencoder.
    Vae(Vae),
    /// The plain autoencoder.
    Ae(Autoencoder),
}

/// The longest NAME of a pair.
pub const MAX_NAME_LEN: usize = 64;

/// Whether `name` may name a pair (`NAME.json`, `NAME.bpk`): 1–[`MAX_NAME_LEN`] letters,
/// digits, '-', '_' or '.', not starting with '.', so it is a plain file name everywhere.
pub fn is_weights_name(name: &str) -> bool {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    plain && !name.is_empty() && !name.starts_with('.') && name.len() <= MAX_NAME_LEN
}

/// The latent sizes this build loads.
pub const LATENT_BOUNDS: std::ops::RangeInclusive<usize> = 1..=64;
/// The class counts this build loads.
pub const CLASS_BOUNDS: std::ops::RangeInclusive<usize> = 1..=1000;

/// Parses `NAME.json` and checks its format, its version and its configuration's bounds.
pub fn parse_manifest(json: &str) -> Result<WeightsManifest, WeightsError> {
    let manifest: WeightsManifest = serde_json::from_str(json)?;
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(WeightsError::Format {
            format: manifest.format,
            version: manifest.format_version,
        });
    }
    let out_of_bounds = match &manifest.model {
        ModelSpec::Lenet(c) => (!CLASS_BOUNDS.contains(&c.num_classes))
            .then(|| (format!("{} classes", c.num_classes), "1 to 1,000 classes")),
        ModelSpec::Vae(VaeConfig { latent_dim, .. })
        | ModelSpec::Ae(AutoencoderConfig { latent_dim, .. }) => {
            (!LATENT_BOUNDS.contains(latent_dim)).then(|| {
                (
                    format!("a latent size of {latent_dim}"),
                    "latent sizes 1 to 64",
                )
            })
        }
    };
    if let Some((what, bounds)) = out_of_bounds {
        return Err(WeightsError::Config {
            name: manifest.name,
            what,
            bounds,
        });
    }
    Ok(manifest)
}

/// [`parse_manifest`], then the `.bpk`'s size against the one the JSON recorded: both before
/// a model is built.
fn checked_manifest(json: &str, bpk: &[u8]) -> Result<WeightsManifest, WeightsError> {
    let manifest = parse_manifest(json)?;
    if manifest.weights_bytes != bpk.len() as u64 {
        return Err(WeightsError::Size {
            name: manifest.name,
            expected: manifest.weights_bytes,
            actual: bpk.len(),
        });
    }
    if let Some(recorded) = &manifest.weights_fnv1a
        && !recorded.eq_ignore_ascii_case(&weights_checksum(bpk))
    {
        return Err(WeightsError::Checksum {
            name: manifest.name,
        });
    }
    Ok(manifest)
}

/// The 64-bit FNV-1a hash of `bytes` as 16 lowercase hex digits: what
/// [`WeightsManifest::weights_fnv1a`] records (a check that two files belong together, not a
/// defence against tampering).
pub fn weights_checksum(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Rebuilds whichever model `json` describes on `device` and applies the weights in `bpk`.
pub fn load(json: &str, bpk: &[u8], device: &Device) -> Result<LoadedWeights, WeightsError> {
    let manifest = checked_manifest(json, bpk)?;
    let cpu = Device::flex();
    Ok(match &manifest.model {
        ModelSpec::Lenet(c) => LoadedWeights::Lenet(apply(&manifest, c.init(&cpu), bpk, device)?),
        ModelSpec::Vae(c) => LoadedWeights::Vae(apply(&manifest, c.init(&cpu), bpk, device)?),
        ModelSpec::Ae(c) => LoadedWeights::Ae(apply(&manifest, c.init(&cpu), bpk, device)?),
    })
}

/// LeNet-5 from `NAME.json` and the bytes of `NAME.bpk`.
pub fn load_lenet(json: &str, bpk: &[u8], device: &Device) -> Result<LeNet5, WeightsError> {
    let manifest = checked_manifest(json, bpk)?;
    match &manifest.model {
        ModelSpec::Lenet(c) => apply(&manifest, c.init(&Device::flex()), bpk, device),
        _ => Err(wrong_kind(manifest, "lenet")),
    }
}

/// The VAE from `NAME.json` and the bytes of `NAME.bpk`.
pub fn load_vae(json: &str, bpk: &[u8], device: &Device) -> Result<Vae, WeightsError> {
    let manifest = checked_manifest(json, bpk)?;
    match &manifest.model {
        ModelSpec::Vae(c) => apply(&manifest, c.init(&Device::flex()), bpk, device),
        _ => Err(wrong_kind(manifest, "vae")),
    }
}

/// The autoencoder from `NAME.json` and the bytes of `NAME.bpk`.
pub fn load_autoencoder(
    json: &str,
    bpk: &[u8],
    device: &Device,
) -> Result<Autoencoder, WeightsError> {
    let manifest = checked_manifest(json, bpk)?;
    match &manifest.model {
        ModelSpec::Ae(c) => apply(&manifest, c.init(&Device::flex()), bpk, device),
        _ => Err(wrong_kind(manifest, "ae")),
    }
}

fn wrong_kind(manifest: WeightsManifest, expected: &'static str) -> WeightsError {
    WeightsError::WrongKind {
        expected,
        found: manifest.model.kind_name(),
        name: manifest.name,
    }
}

/// Reads `bpk` as a burnpack record, applies it to `model` (which `manifest` configured, on the
/// CPU), checks every weight finite and moves the model to `device`.
fn apply<M: Module>(
    manifest: &WeightsManifest,
    model: M,
    bpk: &[u8],
    device: &Device,
) -> Result<M, WeightsError> {
    let name = manifest.name.clone();
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bpk.to_vec())).map_err(|err| {
        WeightsError::Unreadable {
            name: name.clone(),
            detail: err.to_string(),
        }
    })?;
    let model = model
        .try_load_record(record)
        .map_err(|err| WeightsError::Mismatch {
            name: name.clone(),
            kind: manifest.model.kind_name(),
            config: manifest.model.config_json(),
            detail: err.to_string(),
        })?;
    if let Some(tensor) = first_non_finite(&model) {
        return Err(WeightsError::NotFinite { name, tensor });
    }
    Ok(model.to_device(device))
}

/// The first parameter of `model` holding a NaN or an infinity (`"fc2.weight"`), if any.
pub fn first_non_finite<M: Module>(model: &M) -> Option<String> {
    let mut finite = FiniteCheck::default();
    model.visit(&mut finite);
    finite.first_broken
}

/// Finds the first float parameter with a NaN or an infinity (on the CPU device, where reading
/// a tensor back is a copy).
#[derive(Default)]
struct FiniteCheck {
    path: Vec<String>,
    first_broken: Option<String>,
}

impl ModuleVisitor for FiniteCheck {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.first_broken.is_some() {
            return;
        }
        let finite = param
            .val()
            .into_data()
            .iter::<f32>()
            .all(|v: f32| v.is_finite());
        if !finite {
            self.first_broken = Some(self.path.join("."));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tensor};

    use crate::vae::Noise;

    /// A manifest for `model` whose weights file has `bytes` bytes.
    fn manifest_json(model: ModelSpec, bytes: usize) -> String {
        let manifest = WeightsManifest {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            name: "unit".to_string(),
            model,
            parameters: 0,
            weights_file: "unit.bpk".to_string(),
            weights_bytes: bytes as u64,
            weights_fnv1a: None,
            epochs: 1,
            training: serde_json::Value::Null,
            command: String::new(),
            note: None,
            test: TestScores::default(),
            exported_by: "a unit test".to_string(),
        };
        serde_json::to_string(&manifest).expect("serialisable")
    }

    /// What `save_file` would write, read back as bytes.
    fn saved_bytes<M: Module>(model: &M) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("unit.bpk");
        model.clone().save_file(&path).expect("saved");
        std::fs::read(path).expect("read back")
    }

    #[test]
    fn saved_files_load_from_bytes_to_the_same_outputs() {
        let device = Device::flex();
        let x = Tensor::<4>::random([2, 1, 28, 28], Distribution::Default, &device);

        let net = LeNet5Config::new().init(&device);
        let bpk = saved_bytes(&net);
        let json = manifest_json(ModelSpec::Lenet(LeNet5Config::new()), bpk.len());
        let loaded = load_lenet(&json, &bpk, &device).expect("LeNet loads");
        assert_eq!(
            net.forward(x.clone()).into_data(),
            loaded.forward(x.clone()).into_data()
        );

        let config = VaeConfig::new().with_latent_dim(3);
        let vae = config.init(&device);
        let bpk = saved_bytes(&vae);
        let json = manifest_json(ModelSpec::Vae(config), bpk.len());
        let loaded = load_vae(&json, &bpk, &device).expect("VAE loads");
        assert_eq!(
            vae.forward_with(x.clone(), Noise::Zero).logits.into_data(),
            loaded
                .forward_with(x.clone(), Noise::Zero)
                .logits
                .into_data()
        );

        let ae = AutoencoderConfig::new().init(&device);
        let bpk = saved_bytes(&ae);
        let json = manifest_json(ModelSpec::Ae(AutoencoderConfig::new()), bpk.len());
        let loaded = load_autoencoder(&json, &bpk, &device).expect("AE loads");
        assert_eq!(
            ae.forward(x.clone()).logits.into_data(),
            loaded.forward(x).logits.into_data()
        );
    }

    #[test]
    fn out_of_bounds_configurations_are_refused_before_anything_is_built() {
        let device = Device::flex();
        // A latent size of 10⁸ would be a 10⁸-wide Linear layer: refused from the JSON alone.
        let json = manifest_json(
            ModelSpec::Vae(VaeConfig::new().with_latent_dim(100_000_000)),
            10,
        );
        let err = load_vae(&json, &[0; 10], &device).unwrap_err();
        assert!(matches!(err, WeightsError::Config { .. }), "{err}");
        assert!(err.to_string().contains("100000000"), "{err}");
        let json = manifest_json(
            ModelSpec::Ae(AutoencoderConfig::new().with_latent_dim(0)),
            10,
        );
        assert!(matches!(
            load_autoencoder(&json, &[0; 10], &device),
            Err(WeightsError::Config { .. })
        ));
        let json = manifest_json(
            ModelSpec::Lenet(LeNet5Config::new().with_num_classes(5_000_000)),
            10,
        );
        assert!(matches!(
            load_lenet(&json, &[0; 10], &device),
            Err(WeightsError::Config { .. })
        ));
    }

    #[test]
    fn weights_of_another_export_of_the_same_size_are_refused_by_their_checksum() {
        let device = Device::flex();
        let (a, b) = (
            LeNet5Config::new().init(&device),
            LeNet5Config::new().init(&device),
        );
        let (bpk_a, bpk_b) = (saved_bytes(&a), saved_bytes(&b));
        assert_eq!(bpk_a.len(), bpk_b.len());
        let mut manifest: WeightsManifest = serde_json::from_str(&manifest_json(
            ModelSpec::Lenet(LeNet5Config::new()),
            bpk_a.len(),
        ))
        .expect("a manifest");
        manifest.weights_fnv1a = Some(weights_checksum(&bpk_a));
        let json = serde_json::to_string(&manifest).expect("serialisable");
        assert!(load_lenet(&json, &bpk_a, &device).is_ok());
        let err = load_lenet(&json, &bpk_b, &device).unwrap_err();
        assert!(matches!(err, WeightsError::Checksum { .. }), "{err}");
        // FNV-1a's published test vectors.
        assert_eq!(weights_checksum(b""), "cbf29ce484222325");
        assert_eq!(weights_checksum(b"a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn a_weight_that_is_not_finite_is_refused_and_named() {
        let device = Device::flex();
        let mut net = LeNet5Config::new().init(&device);
        let broken = net.fc2.weight.val().mul_scalar(f32::NAN);
        net.fc2.weight = Param::from_tensor(broken);
        let bpk = saved_bytes(&net);
        let json = manifest_json(ModelSpec::Lenet(LeNet5Config::new()), bpk.len());
        let err = load_lenet(&json, &bpk, &device).unwrap_err();
        assert!(
            matches!(&err, WeightsError::NotFinite { tensor, .. } if tensor == "fc2.weight"),
            "{err}"
        );
    }

    #[test]
    fn mismatches_are_named() {
        let device = Device::flex();
        let bpk = saved_bytes(&VaeConfig::new().init(&device));

        // Asked for LeNet, the JSON says VAE.
        let json = manifest_json(ModelSpec::Vae(VaeConfig::new()), bpk.len());
        let err = load_lenet(&json, &bpk, &device).unwrap_err().to_string();
        assert!(err.contains("describes a vae model, not a lenet"), "{err}");

        // VAE weights under a LeNet description.
        let json = manifest_json(ModelSpec::Lenet(LeNet5Config::new()), bpk.len());
        let err = load(&json, &bpk, &device).unwrap_err().to_string();
        assert!(err.contains("does not fit the lenet model"), "{err}");

        // Latent size 2 weights under a latent size 4 description.
        let json = manifest_json(
            ModelSpec::Vae(VaeConfig::new().with_latent_dim(4)),
            bpk.len(),
        );
        let err = load_vae(&json, &bpk, &device).unwrap_err().to_string();
        assert!(
            err.contains("does not fit the vae model") && err.contains("\"latent_dim\":4"),
            "{err}"
        );

        // A cut-off file.
        let json = manifest_json(ModelSpec::Vae(VaeConfig::new()), bpk.len());
        let err = load_vae(&json, &bpk[..100], &device).unwrap_err();
        assert!(
            matches!(err, WeightsError::Size { actual: 100, .. }),
            "{err}"
        );
        let json = manifest_json(ModelSpec::Vae(VaeConfig::new()), 100);
        let err = load_vae(&json, &bpk[..100], &device).unwrap_err();
        assert!(matches!(err, WeightsError::Unreadable { .. }), "{err}");

        // Not our JSON at all, or a later version of it.
        assert!(matches!(
            load(r#"{"hello": 1}"#, &bpk, &device),
            Err(WeightsError::Json(_))
        ));
        let newer = manifest_json(ModelSpec::Vae(VaeConfig::new()), bpk.len())
            .replace("\"format_version\":1", "\"format_version\":2");
        assert!(matches!(
            load(&newer, &bpk, &device),
            Err(WeightsError::Format { version: 2, .. })
        ));
    }
}
