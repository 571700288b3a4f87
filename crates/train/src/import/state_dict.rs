//! The file side of an import: the reference VAE's `state_dict`, the two file formats, the
//! file's tensor list checked against the reference, and the tensors read into a [`Vae`].

use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use burn::store::{ApplyResult, ModuleSnapshot, ModuleStore, PyTorchToBurnAdapter};
use burn::store::{PytorchStore, PytorchStoreError, SafetensorsStore};
use burn::tensor::{DType, Device};
use convlab_model::encoder::{CONV1_CHANNELS, CONV2_CHANNELS, FEATURES};
use convlab_model::{Vae, VaeConfig};

/// Width of the encoder's dense bottleneck in the reference model.
const HIDDEN: usize = 16;

/// PyTorch module names of the reference VAE and the Burn paths they load into.
pub const TORCH_TO_BURN: [(&str, &str); 10] = [
    ("enc_conv1", "encoder.conv1"),
    ("enc_conv2", "encoder.conv2"),
    ("enc_fc", "encoder.fc"),
    ("enc_ln", "encoder.ln"),
    ("enc_mu", "mu"),
    ("enc_logvar", "log_var"),
    ("dec_fc", "decoder.fc"),
    ("dec_deconv1", "decoder.deconv1"),
    ("dec_deconv2", "decoder.deconv2"),
    ("dec_deconv3", "decoder.deconv3"),
];

/// The `state_dict` of `bench/torch_vae.py`'s `VAE(latent)`: each key with its PyTorch shape,
/// in the model's order (20 tensors, 134,197 numbers at latent 2).
pub fn reference_state_dict(latent: usize) -> Vec<(String, Vec<usize>)> {
    let layers: [(&str, Vec<usize>, usize); 10] = [
        ("enc_conv1", vec![CONV1_CHANNELS, 1, 3, 3], CONV1_CHANNELS),
        (
            "enc_conv2",
            vec![CONV2_CHANNELS, CONV1_CHANNELS, 3, 3],
            CONV2_CHANNELS,
        ),
        ("enc_fc", vec![HIDDEN, FEATURES], HIDDEN),
        ("enc_ln", vec![HIDDEN], HIDDEN),
        ("enc_mu", vec![latent, HIDDEN], latent),
        ("enc_logvar", vec![latent, HIDDEN], latent),
        ("dec_fc", vec![FEATURES, latent], FEATURES),
        // ConvTranspose2d weights are [in, out, k, k] in PyTorch (and in Burn).
        (
            "dec_deconv1",
            vec![CONV2_CHANNELS, CONV2_CHANNELS, 3, 3],
            CONV2_CHANNELS,
        ),
        (
            "dec_deconv2",
            vec![CONV2_CHANNELS, CONV1_CHANNELS, 3, 3],
            CONV1_CHANNELS,
        ),
        ("dec_deconv3", vec![CONV1_CHANNELS, 1, 3, 3], 1),
    ];
    layers
        .into_iter()
        .flat_map(|(layer, weight, bias)| {
            [
                (format!("{layer}.weight"), weight),
                (format!("{layer}.bias"), vec![bias]),
            ]
        })
        .collect()
}

/// The two file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TorchFormat {
    /// `torch.save`: a zip archive (PyTorch ≥ 1.6) or a bare pickle (older).
    Pytorch,
    /// safetensors: an 8-byte header length, then a JSON header, then the data.
    Safetensors,
}

impl TorchFormat {
    /// `"pytorch"` or `"safetensors"`, as `config.json` records it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pytorch => "pytorch",
            Self::Safetensors => "safetensors",
        }
    }

    /// For messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Pytorch => "a PyTorch torch.save file",
            Self::Safetensors => "a safetensors file",
        }
    }
}

/// Tells the format from the first bytes of `path`.
pub fn detect_format(path: &Path) -> Result<TorchFormat> {
    let mut head = Vec::with_capacity(16);
    File::open(path)
        .and_then(|file| file.take(16).read_to_end(&mut head))
        .with_context(|| format!("cannot read {}", path.display()))?;
    // safetensors first: its first byte is the low byte of the header length, which may be
    // 0x80, a pickle's first byte; the ninth byte of what torch.save writes is not `{`.
    if head.len() > 8 && head[8] == b'{' {
        return Ok(TorchFormat::Safetensors);
    }
    if head.starts_with(b"PK\x03\x04") || head.first() == Some(&0x80) {
        // A zip archive (torch.save since 1.6) or a pickle (protocol 2+, older torch.save).
        return Ok(TorchFormat::Pytorch);
    }
    if head.is_empty() {
        bail!("{} is empty: not a PyTorch state_dict", path.display());
    }
    bail!(
        "{} is neither a PyTorch torch.save file (a zip archive or a pickle) nor a safetensors \
         file (a length and a JSON header): its first bytes are {:02x?}",
        path.display(),
        &head[..head.len().min(8)]
    )
}

/// One tensor of the file as PyTorch names it.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorInfo {
    /// The `state_dict` key, e.g. `enc_fc.weight`.
    pub name: String,
    /// PyTorch's shape.
    pub shape: Vec<usize>,
    /// Its element type.
    pub dtype: DType,
}

/// A state_dict read into the reference VAE.
#[derive(Debug)]
pub struct ImportedVae {
    /// The model, on the device it was loaded to.
    pub vae: Vae,
    /// Its configuration (the reference VAE at the file's latent size).
    pub config: VaeConfig,
    /// The file's format.
    pub format: TorchFormat,
    /// The file's tensors, in the reference order.
    pub tensors: Vec<TensorInfo>,
    /// The file's size in bytes.
    pub bytes: u64,
}

/// Reads the file's tensor list (names, shapes, dtypes; no data yet).
fn list_tensors(path: &Path, format: TorchFormat) -> Result<Vec<TensorInfo>> {
    let infos = |map: &std::collections::BTreeMap<String, burn::store::burn_pack::Tensor>| {
        map.values()
            .map(|t| TensorInfo {
                name: t.name.clone(),
                shape: t.shape.to_vec(),
                dtype: t.dtype,
            })
            .collect::<Vec<_>>()
    };
    match format {
        TorchFormat::Pytorch => {
            let mut store = PytorchStore::from_file(path).map_indices_contiguous(false);
            match store.get_all_tensors() {
                Ok(map) => Ok(infos(map)),
                Err(err) => Err(pytorch_error(path, &err)),
            }
        }
        TorchFormat::Safetensors => {
            let mut store = SafetensorsStore::from_file(path).map_indices_contiguous(false);
            store.get_all_tensors().map(infos).map_err(|err| {
                anyhow!(
                    "cannot read {} as a safetensors file (truncated or corrupt?): {err}",
                    path.display()
                )
            })
        }
    }
}

/// A reader failure in the user's terms: a damaged archive, or a pickle that is not a dict of
/// tensors (a whole pickled `nn.Module`, a list, ...).
fn pytorch_error(path: &Path, err: &PytorchStoreError) -> anyhow::Error {
    use burn::store::pytorch_reader::PytorchError;
    let what = match err {
        PytorchStoreError::Reader(PytorchError::InvalidFormat(_) | PytorchError::Pickle(_)) => {
            "it holds no state_dict (a dict of tensors) that this reader understands; save the \
             weights with torch.save(model.state_dict(), PATH)"
        }
        PytorchStoreError::Reader(PytorchError::Zip(_) | PytorchError::Io(_)) => {
            "the file is truncated or corrupt"
        }
        _ => "it could not be read",
    };
    anyhow!(
        "cannot read {} as a PyTorch torch.save file: {what} ({err})",
        path.display()
    )
}

/// Compares the file's tensors with the reference VAE's `state_dict` and returns the latent
/// size, or one error listing every problem. `latent`: the size asked for (`--latent`), or
/// `None` to take it from `enc_mu.weight`.
pub fn check_state_dict(
    path: &Path,
    tensors: &[TensorInfo],
    latent: Option<usize>,
) -> Result<usize> {
    let file = path.display();
    if tensors.is_empty() {
        bail!(
            "{file} holds no tensors: not a state_dict. Save the weights with \
             torch.save(model.state_dict(), PATH)"
        );
    }
    let find = |name: &str| tensors.iter().find(|t| t.name == name);
    let reference = reference_state_dict(1);
    let known = |name: &str| reference.iter().any(|(n, _)| n == name);
    if !tensors.iter().any(|t| known(&t.name)) {
        // Keys like `model.enc_conv1.weight`: a checkpoint dict, or a model wrapped in another.
        let nested = tensors
            .iter()
            .find_map(|t| t.name.strip_suffix(".enc_conv1.weight"));
        if let Some(prefix) = nested {
            bail!(
                "{file}: the VAE's tensors are nested under '{prefix}.' (e.g. \
                 '{prefix}.enc_conv1.weight'): this is a checkpoint, not the model's state_dict. \
                 Save the state_dict on its own (torch.save(checkpoint[...], PATH), or \
                 torch.save(model.state_dict(), PATH))"
            );
        }
        bail!(
            "{file} is not a state_dict of the reference VAE (bench/torch_vae.py): none of its \
             {} tensors has a name of that model (first: {})",
            tensors.len(),
            tensors[0].name
        );
    }

    // The latent size: enc_mu.weight is [L, 16].
    let found_latent = find("enc_mu.weight")
        .filter(|t| t.shape.len() == 2 && t.shape[0] > 0)
        .map(|t| t.shape[0]);
    let latent = match (latent, found_latent) {
        (Some(asked), Some(found)) if asked != found => bail!(
            "{file} holds a VAE with latent size {found} (enc_mu.weight is {:?}), not {asked}: \
             use --latent {found}",
            find("enc_mu.weight")
                .map(|t| &t.shape)
                .unwrap_or(&Vec::new())
        ),
        (Some(asked), _) => asked,
        (None, Some(found)) => found,
        (None, None) => {
            bail!("{file}: cannot tell the latent size (no usable enc_mu.weight); give --latent")
        }
    };

    let reference = reference_state_dict(latent);
    let mut problems = Vec::new();
    let missing: Vec<&str> = reference
        .iter()
        .filter(|(name, _)| find(name).is_none())
        .map(|(name, _)| name.as_str())
        .collect();
    if !missing.is_empty() {
        problems.push(format!("missing tensor(s): {}", missing.join(", ")));
    }
    let unexpected: Vec<&str> = tensors
        .iter()
        .filter(|t| !known(&t.name))
        .map(|t| t.name.as_str())
        .collect();
    if !unexpected.is_empty() {
        problems.push(format!(
            "unexpected tensor(s), not in the reference VAE: {}",
            unexpected.join(", ")
        ));
    }
    let mut not_f32 = Vec::new();
    for (name, shape) in &reference {
        let Some(found) = find(name) else { continue };
        if &found.shape != shape {
            problems.push(format!(
                "{name} has shape {:?}; the reference VAE at latent {latent} needs {shape:?}",
                found.shape
            ));
        } else if found.dtype != DType::F32 {
            not_f32.push(format!("{name} is {:?}", found.dtype));
        }
    }
    if !not_f32.is_empty() {
        problems.push(format!(
            "{}: import-torch reads float32 weights (save model.float().state_dict())",
            not_f32.join(", ")
        ));
    }
    if problems.is_empty() {
        Ok(latent)
    } else {
        bail!(
            "{file} does not match the reference VAE (bench/torch_vae.py, latent {latent}):\n  \
             {}",
            problems.join("\n  ")
        )
    }
}

/// Reads `path` (format told by its content) into the reference VAE on `device`. `latent`:
/// `--latent`, or `None` to take it from the file.
pub fn read_vae(path: &Path, latent: Option<usize>, device: &Device) -> Result<ImportedVae> {
    let format = detect_format(path)?;
    let bytes = fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let mut tensors = list_tensors(path, format)?;
    let latent = check_state_dict(path, &tensors, latent)?;
    let order = reference_state_dict(latent);
    tensors.sort_by_key(|t| order.iter().position(|(name, _)| *name == t.name));

    let config = VaeConfig::new().with_latent_dim(latent);
    let mut vae = config.init(device);
    let loaded = match format {
        TorchFormat::Pytorch => {
            let mut store = TORCH_TO_BURN.iter().fold(
                PytorchStore::from_file(path).map_indices_contiguous(false),
                |store, (torch, burn)| {
                    store.with_key_remapping(format!("^{torch}\\."), format!("{burn}."))
                },
            );
            vae.load_from(&mut store).map_err(|err| err.to_string())
        }
        TorchFormat::Safetensors => {
            let mut store = TORCH_TO_BURN.iter().fold(
                SafetensorsStore::from_file(path)
                    .map_indices_contiguous(false)
                    .with_from_adapter(PyTorchToBurnAdapter),
                |store, (torch, burn)| {
                    store.with_key_remapping(format!("^{torch}\\."), format!("{burn}."))
                },
            );
            vae.load_from(&mut store).map_err(|err| err.to_string())
        }
    };
    let result = loaded.map_err(|err| {
        anyhow!(
            "cannot load {} into the reference VAE: {err}",
            path.display()
        )
    })?;
    check_applied(path, &result, order.len())?;
    Ok(ImportedVae {
        vae,
        config,
        format,
        tensors,
        bytes,
    })
}

/// Every tensor applied, none left over: what [`check_state_dict`] established, confirmed on
/// the Burn side (a renaming slip would show here).
fn check_applied(path: &Path, result: &ApplyResult, expected: usize) -> Result<()> {
    if result.errors.is_empty()
        && result.missing.is_empty()
        && result.unused.is_empty()
        && result.applied.len() == expected
    {
        Ok(())
    } else {
        bail!(
            "{}: loading into the Burn model did not use exactly the {expected} tensors of the \
             reference VAE:\n{result}",
            path.display()
        )
    }
}
