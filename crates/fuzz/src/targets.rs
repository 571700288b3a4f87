//! The fuzz targets, each with seeds built in code (or, for the weights, the shipped files).

use std::io::Write as _;

use burn::tensor::Device;
use convlab_digits::idx::parse_idx;
use convlab_model::weights::{load, parse_manifest};
use convlab_protocol::{Backend, FromWorker, Reply, Request, ToWorker, VaeChoice, decode, encode};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::Target;

/// Every target, cheapest first.
pub fn all() -> Vec<Target> {
    vec![
        Target {
            name: "idx",
            seeds: idx_seeds(),
            run: idx,
        },
        Target {
            name: "idx-gzip",
            seeds: idx_seeds().iter().map(|raw| gzip(raw)).collect(),
            run: idx,
        },
        Target {
            name: "idx-in-valid-gzip",
            seeds: idx_seeds(),
            run: idx_in_valid_gzip,
        },
        Target {
            name: "to-worker",
            seeds: to_worker_seeds(),
            run: to_worker,
        },
        Target {
            name: "from-worker",
            seeds: from_worker_seeds(),
            run: from_worker,
        },
        Target {
            name: "manifest",
            seeds: MANIFESTS.iter().map(|m| m.as_bytes().to_vec()).collect(),
            run: manifest,
        },
        Target {
            name: "weights",
            seeds: vec![LENET_BPK.to_vec()],
            run: weights,
        },
    ]
}

/// The target called `name`.
pub fn by_name(name: &str) -> Option<Target> {
    all().into_iter().find(|t| t.name == name)
}

// ---------------------------------------------------------------------------------------------
// IDX

/// An IDX header (unsigned bytes) and `dims`' product of data bytes.
fn idx_file(dims: &[u32]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    let n: u32 = dims.iter().product();
    bytes.extend((0..n).map(|i| (i * 37 % 256) as u8));
    bytes
}

fn idx_seeds() -> Vec<Vec<u8>> {
    let mut huge = idx_file(&[1, 28, 28]);
    // A header that declares 5,000,000 images of 28×28 over one image of data.
    huge[4..8].copy_from_slice(&5_000_000u32.to_be_bytes());
    vec![
        idx_file(&[3, 4, 4]),
        idx_file(&[5]),
        idx_file(&[2, 2, 3, 3]),
        idx_file(&[1, 28, 28]),
        huge,
    ]
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(raw);
    encoder.finish().unwrap_or_default()
}

fn idx(data: &[u8]) {
    let _ = parse_idx(data, "fuzz.idx");
}

/// A mutated IDX file inside an intact gzip stream: the parser's own checks, past the
/// gzip's CRC.
fn idx_in_valid_gzip(data: &[u8]) {
    let _ = parse_idx(&gzip(data), "fuzz.idx.gz");
}

// ---------------------------------------------------------------------------------------------
// The worker's messages

fn to_worker_seeds() -> Vec<Vec<u8>> {
    let requests = [
        Request::Load {
            backend: Backend::WebGpu,
            weights_url: "http://127.0.0.1:8080/weights/".into(),
            timeout_ms: 30_000,
        },
        Request::Decode {
            backend: Backend::Cpu,
            model: VaeChoice::Vae2,
            codes: vec![0.5, -1.0, 2.0, 0.0],
        },
        Request::Classify {
            backend: Backend::Cpu,
            images: vec![0.25; 16],
        },
        Request::References {
            backend: Backend::Cpu,
            model: VaeChoice::Vae16,
        },
        Request::Cancel { id: 3 },
        Request::TrainReset,
    ];
    requests
        .into_iter()
        .enumerate()
        .filter_map(|(id, request)| {
            encode(&ToWorker {
                id: id as u32,
                request,
            })
            .ok()
        })
        .collect()
}

fn from_worker_seeds() -> Vec<Vec<u8>> {
    let answers = [
        FromWorker::Ready,
        FromWorker::Answer {
            id: 1,
            result: Ok(Reply::Images(vec![0.0, 1.0, 0.5])),
        },
        FromWorker::Answer {
            id: 2,
            result: Ok(Reply::Posteriors {
                dim: 2,
                mu: vec![0.1, 0.2],
                log_var: vec![-1.0, -2.0],
            }),
        },
        FromWorker::Answer {
            id: 3,
            result: Err("no such model".into()),
        },
        FromWorker::GpuLost("device lost".into()),
    ];
    answers.iter().filter_map(|a| encode(a).ok()).collect()
}

fn to_worker(data: &[u8]) {
    round_trips::<ToWorker>(data);
}

fn from_worker(data: &[u8]) {
    round_trips::<FromWorker>(data);
}

/// A message that decodes from `data` encodes again, to the same message.
fn round_trips<T>(data: &[u8])
where
    T: serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    if let Ok(message) = decode::<T>(data) {
        let again = encode(&message).and_then(|bytes| decode::<T>(&bytes));
        assert!(
            again.as_ref().is_ok_and(|m| same_floats(m, &message)),
            "a decoded message does not round-trip: {again:?}"
        );
    }
}

/// Equal, counting NaNs with the same bits as equal (their `Debug` text is the same).
fn same_floats<T: std::fmt::Debug>(a: &T, b: &T) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

// ---------------------------------------------------------------------------------------------
// Weights

const MANIFESTS: [&str; 4] = [
    include_str!("../../../weights/lenet5.json"),
    include_str!("../../../weights/vae2.json"),
    include_str!("../../../weights/vae16.json"),
    include_str!("../../../weights/ae2.json"),
];
const LENET_BPK: &[u8] = include_bytes!("../../../weights/lenet5.bpk");

fn manifest(data: &[u8]) {
    let _ = parse_manifest(&String::from_utf8_lossy(data));
}

/// The shipped LeNet-5 manifest with a mutated `.bpk`, its recorded size made to match so
/// that the bytes reach the record reader and the finiteness check.
fn weights(data: &[u8]) {
    let json = MANIFESTS[0].replace(
        &format!("\"weights_bytes\": {}", LENET_BPK.len()),
        &format!("\"weights_bytes\": {}", data.len()),
    );
    let _ = load(&json, data, &Device::flex());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_are_what_the_parsers_accept() {
        for seed in &idx_seeds()[..4] {
            assert!(parse_idx(seed, "seed").is_ok());
            assert!(parse_idx(&gzip(seed), "seed.gz").is_ok());
        }
        assert!(parse_idx(&idx_seeds()[4], "seed").is_err());
        for seed in to_worker_seeds() {
            assert!(decode::<ToWorker>(&seed).is_ok());
        }
        for seed in from_worker_seeds() {
            assert!(decode::<FromWorker>(&seed).is_ok());
        }
        for json in MANIFESTS {
            assert!(parse_manifest(json).is_ok());
        }
        // The size the `weights` target rewrites is spelled as it expects.
        let size = format!("\"weights_bytes\": {}", LENET_BPK.len());
        assert!(MANIFESTS[0].contains(&size), "{size} not in lenet5.json");
        assert!(load(MANIFESTS[0], LENET_BPK, &Device::flex()).is_ok());
    }
}
