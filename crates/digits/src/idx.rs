//! The IDX file format of MNIST, read from gzipped or raw files and checked before it is
//! trusted.
//!
//! An IDX file is a 4-byte magic number `00 00 <type> <rank>`, then `rank` big-endian `u32`
//! dimensions, then the values in row-major order. MNIST uses type `0x08` (unsigned byte):
//! images have magic 2051 (`00 00 08 03`: count, rows, cols) and labels 2049
//! (`00 00 08 01`: count).
//!
//! Every check compares the header with what the file really holds; a corrupt, truncated or
//! mislabelled file gives an [`IdxError`] that names the file and the problem, never a panic,
//! and a header that claims more data than the file has allocates nothing for it.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

/// IDX type code for unsigned bytes, the only one MNIST uses.
pub const UNSIGNED_BYTE: u8 = 0x08;
/// Magic number of an IDX image file (unsigned bytes, rank 3).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX label file (unsigned bytes, rank 1).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// The two bytes every gzip stream starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Why an IDX file could not be read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file starts like gzip but does not decompress.
    #[error("{}: the gzip data is corrupt or cut short ({source})", file.display())]
    Gzip {
        file: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file ends inside the magic number or the dimensions.
    #[error("{}: the IDX header is cut short: it needs {needed} bytes, the file has {found}", file.display())]
    TruncatedHeader {
        file: PathBuf,
        needed: usize,
        found: usize,
    },
    /// The first four bytes are not `00 00 <known type> <rank ≥ 1>`.
    #[error(
        "{}: bad magic number {}: an IDX file starts with 00 00, a type code and a rank of at least 1",
        file.display(), Hex(found)
    )]
    BadMagic { file: PathBuf, found: [u8; 4] },
    /// A valid IDX type other than unsigned bytes.
    #[error("{}: IDX type code 0x{code:02x} is not supported; MNIST files hold unsigned bytes (0x08)", file.display())]
    UnsupportedType { file: PathBuf, code: u8 },
    /// A valid IDX file of the wrong kind, such as a label file where images were expected.
    #[error(
        "{}: magic number {found} (0x{found:08x}), expected {expected} (0x{expected:08x}) for an IDX {kind} file",
        file.display()
    )]
    WrongMagic {
        file: PathBuf,
        kind: &'static str,
        expected: u32,
        found: u32,
    },
    /// The dimensions multiply to more bytes than can exist.
    #[error("{}: dimensions {dims:?} describe more data than can be addressed", file.display())]
    TooLarge { file: PathBuf, dims: Vec<usize> },
    /// The dimensions describe more data than [`MAX_IDX_BYTES`]: refused before any of it is
    /// read or inflated, so a small gzip that declares gigabytes never fills the memory.
    #[error(
        "{}: dimensions {dims:?} describe {bytes} bytes, more than the {limit} this reader          accepts (MNIST's largest file holds 47,040,000)",
        file.display()
    )]
    OverLimit {
        file: PathBuf,
        dims: Vec<usize>,
        bytes: u64,
        limit: u64,
    },
    /// The file holds fewer data bytes than its dimensions describe.
    #[error(
        "{}: truncated: dimensions {dims:?} need {expected} data bytes but only {found} follow the header",
        file.display()
    )]
    Truncated {
        file: PathBuf,
        dims: Vec<usize>,
        expected: u64,
        found: u64,
    },
    /// The file holds more bytes than its dimensions describe (a wrong count or size).
    #[error(
        "{}: dimensions {dims:?} describe {expected} data bytes but more follow the header; the dimensions are wrong or the file is not IDX",
        file.display()
    )]
    TrailingData {
        file: PathBuf,
        dims: Vec<usize>,
        expected: u64,
    },
}

/// Four bytes as `00 00 08 03`.
struct Hex<'a>(&'a [u8; 4]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a:02x} {b:02x} {c:02x} {d:02x}")
    }
}

/// The contents of an unsigned-byte IDX file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions from the header, outermost first (`[count, rows, cols]` for images).
    pub dims: Vec<usize>,
    /// The values, row-major; `data.len()` is the product of `dims`.
    pub data: Vec<u8>,
}

impl IdxArray {
    /// The magic number this array's file has: `0x0000_08_<rank>`.
    pub fn magic(&self) -> u32 {
        (u32::from(UNSIGNED_BYTE) << 8) | self.dims.len() as u32
    }
}

/// The most data bytes an IDX file may describe: 64 MiB, room for MNIST's largest file
/// (60,000 images of 28×28: 47,040,000 bytes) and for nothing that would exhaust a browser tab.
pub const MAX_IDX_BYTES: u64 = 64 << 20;

/// Reads an IDX file, gzipped (recognised by its content, not its name) or raw.
pub fn read_idx(path: impl AsRef<Path>) -> Result<IdxArray, IdxError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| IdxError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    parse_idx(&bytes, path)
}

/// Parses IDX bytes already in memory (an upload, `include_bytes!`), gzipped or raw; `name`
/// is the file name the errors report.
pub fn parse_idx(bytes: &[u8], name: impl AsRef<Path>) -> Result<IdxArray, IdxError> {
    let file = name.as_ref();
    if bytes.starts_with(&GZIP_MAGIC) {
        decode(GzDecoder::new(bytes), file, None).map_err(|error| match error {
            // Inside a gzip stream every read failure is the stream's fault.
            IdxError::Io { file, source } => IdxError::Gzip { file, source },
            other => other,
        })
    } else {
        decode(bytes, file, Some(bytes.len() as u64))
    }
}

/// Reads an IDX image file (magic 2051): `[count, rows, cols]` unsigned bytes.
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<IdxArray, IdxError> {
    expect_magic(read_idx(&path)?, path.as_ref(), "image", IMAGES_MAGIC)
}

/// Reads an IDX label file (magic 2049): `[count]` unsigned bytes.
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<IdxArray, IdxError> {
    expect_magic(read_idx(&path)?, path.as_ref(), "label", LABELS_MAGIC)
}

fn expect_magic(
    array: IdxArray,
    file: &Path,
    kind: &'static str,
    expected: u32,
) -> Result<IdxArray, IdxError> {
    if array.magic() == expected {
        Ok(array)
    } else {
        Err(IdxError::WrongMagic {
            file: file.to_path_buf(),
            kind,
            expected,
            found: array.magic(),
        })
    }
}

/// Decodes a stream; `stored_len` is the stream's total length when known (raw files), so a
/// wrong header is caught before any data is read.
fn decode(
    mut reader: impl Read,
    file: &Path,
    stored_len: Option<u64>,
) -> Result<IdxArray, IdxError> {
    let io_error = |source| IdxError::Io {
        file: file.to_path_buf(),
        source,
    };
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut reader, &mut magic).map_err(io_error)?;
    if got < magic.len() {
        return Err(IdxError::TruncatedHeader {
            file: file.to_path_buf(),
            needed: magic.len(),
            found: got,
        });
    }
    let [zero_a, zero_b, code, rank] = magic;
    // Type codes of the IDX specification: u8, i8, i16, i32, f32, f64.
    let known_type = matches!(code, 0x08 | 0x09 | 0x0b | 0x0c | 0x0d | 0x0e);
    if zero_a != 0 || zero_b != 0 || !known_type || rank == 0 {
        return Err(IdxError::BadMagic {
            file: file.to_path_buf(),
            found: magic,
        });
    }
    if code != UNSIGNED_BYTE {
        return Err(IdxError::UnsupportedType {
            file: file.to_path_buf(),
            code,
        });
    }

    let header_len = 4 + 4 * usize::from(rank);
    let mut dim_bytes = vec![0u8; 4 * usize::from(rank)];
    let got = read_up_to(&mut reader, &mut dim_bytes).map_err(io_error)?;
    if got < dim_bytes.len() {
        return Err(IdxError::TruncatedHeader {
            file: file.to_path_buf(),
            needed: header_len,
            found: 4 + got,
        });
    }
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let too_large = || IdxError::TooLarge {
        file: file.to_path_buf(),
        dims: dims.clone(),
    };
    let expected = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .filter(|&n| usize::try_from(n).is_ok())
        .ok_or_else(too_large)?;
    if expected > MAX_IDX_BYTES {
        return Err(IdxError::OverLimit {
            file: file.to_path_buf(),
            dims,
            bytes: expected,
            limit: MAX_IDX_BYTES,
        });
    }

    if let Some(total) = stored_len {
        let found = total.saturating_sub(header_len as u64);
        check_length(file, &dims, expected, found)?;
    }
    // One byte more than expected, to notice trailing data without reading it all.
    let mut data = Vec::new();
    reader
        .take(expected.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(io_error)?;
    check_length(file, &dims, expected, data.len() as u64)?;
    Ok(IdxArray { dims, data })
}

fn check_length(file: &Path, dims: &[usize], expected: u64, found: u64) -> Result<(), IdxError> {
    if found < expected {
        Err(IdxError::Truncated {
            file: file.to_path_buf(),
            dims: dims.to_vec(),
            expected,
            found,
        })
    } else if found > expected {
        Err(IdxError::TrailingData {
            file: file.to_path_buf(),
            dims: dims.to_vec(),
            expected,
        })
    } else {
        Ok(())
    }
}

/// Fills `buf` as far as the stream allows; returns how many bytes it got.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The bytes of an unsigned-byte IDX file with these dimensions and values (not checked
/// against each other, so tests can write broken files too).
pub fn encode_idx(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, UNSIGNED_BYTE, dims.len() as u8];
    for &d in dims {
        bytes.extend_from_slice(&(d as u32).to_be_bytes());
    }
    bytes.extend_from_slice(data);
    bytes
}

/// `bytes` gzip-compressed, as the MNIST distribution stores its files.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Writes an unsigned-byte IDX file, gzipped when `compress` is set.
pub fn write_idx(
    path: impl AsRef<Path>,
    dims: &[usize],
    data: &[u8],
    compress: bool,
) -> Result<(), IdxError> {
    let path = path.as_ref();
    let raw = encode_idx(dims, data);
    let bytes = if compress { gzip(&raw) } else { raw };
    std::fs::write(path, bytes).map_err(|source| IdxError::Io {
        file: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "digits-idx3-ubyte";

    fn images_2x3x2() -> (Vec<usize>, Vec<u8>) {
        (vec![2, 3, 2], (0..12).map(|v| v * 20).collect())
    }

    fn message(error: IdxError) -> String {
        error.to_string()
    }

    #[test]
    fn parses_raw_and_gzipped_bytes_alike() {
        let (dims, data) = images_2x3x2();
        let raw = encode_idx(&dims, &data);
        assert_eq!(&raw[..8], &[0, 0, 8, 3, 0, 0, 0, 2]);
        let from_raw = parse_idx(&raw, NAME).unwrap();
        let from_gz = parse_idx(&gzip(&raw), NAME).unwrap();
        assert_eq!(from_raw, IdxArray { dims, data });
        assert_eq!(from_gz, from_raw);
        assert_eq!(from_raw.magic(), IMAGES_MAGIC);
    }

    #[test]
    fn empty_input_is_a_truncated_header() {
        let err = message(parse_idx(&[], NAME).unwrap_err());
        assert!(
            err.contains(NAME) && err.contains("header is cut short"),
            "{err}"
        );
    }

    #[test]
    fn bad_magic_is_reported_in_hex() {
        let mut raw = encode_idx(&[1], &[7]);
        raw[0] = 0x12;
        let err = message(parse_idx(&raw, NAME).unwrap_err());
        assert!(
            err.contains(NAME) && err.contains("bad magic number 12 00 08 01"),
            "{err}"
        );
    }

    #[test]
    fn other_idx_types_are_named_as_unsupported() {
        let mut raw = encode_idx(&[1], &[0, 0, 0, 0]);
        raw[2] = 0x0d; // f32
        assert!(matches!(
            parse_idx(&raw, NAME),
            Err(IdxError::UnsupportedType { code: 0x0d, .. })
        ));
    }

    #[test]
    fn header_cut_inside_the_dimensions() {
        let raw = encode_idx(&[2, 3, 2], &[]);
        let err = parse_idx(&raw[..9], NAME).unwrap_err();
        assert!(
            matches!(
                err,
                IdxError::TruncatedHeader {
                    needed: 16,
                    found: 9,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn short_and_long_data_are_caught_raw_and_gzipped() {
        let (dims, data) = images_2x3x2();
        let short = encode_idx(&dims, &data[..10]);
        let long = encode_idx(&dims, &[data.as_slice(), &[1, 2]].concat());
        for bytes in [short.clone(), gzip(&short)] {
            let err = parse_idx(&bytes, NAME).unwrap_err();
            assert!(
                matches!(
                    err,
                    IdxError::Truncated {
                        expected: 12,
                        found: 10,
                        ..
                    }
                ),
                "{err}"
            );
            assert!(err.to_string().contains(NAME));
        }
        for bytes in [long.clone(), gzip(&long)] {
            let err = parse_idx(&bytes, NAME).unwrap_err();
            assert!(
                matches!(err, IdxError::TrailingData { expected: 12, .. }),
                "{err}"
            );
        }
    }

    #[test]
    fn huge_dimensions_fail_without_allocating() {
        let raw = encode_idx(
            &[u32::MAX as usize, u32::MAX as usize, u32::MAX as usize],
            &[1, 2, 3],
        );
        assert!(matches!(
            parse_idx(&raw, NAME),
            Err(IdxError::TooLarge { .. })
        ));
        // 3·5·17·257·641·65537·6700417 = 2^64 − 1 exactly: no overflow on the limit either.
        let raw = encode_idx(&[3, 5, 17, 257, 641, 65_537, 6_700_417], &[1, 2, 3]);
        for bytes in [raw.clone(), gzip(&raw)] {
            assert!(matches!(
                parse_idx(&bytes, NAME),
                Err(IdxError::OverLimit { .. })
            ));
        }
        // A gzip that declares 5,000,000 images (3.9 GB) is refused from its header, before
        // inflating anything: here a few MB of zeros behind it.
        let raw = encode_idx(&[5_000_000, 28, 28], &vec![0; 4 << 20]);
        for bytes in [raw.clone(), gzip(&raw)] {
            let err = parse_idx(&bytes, NAME).unwrap_err();
            assert!(
                matches!(
                    err,
                    IdxError::OverLimit {
                        bytes: 3_920_000_000,
                        ..
                    }
                ),
                "{err}"
            );
        }
        let raw = encode_idx(&[60_000, 28, 28], &[1, 2, 3]);
        assert!(matches!(
            parse_idx(&gzip(&raw), NAME),
            Err(IdxError::Truncated { found: 3, .. })
        ));
    }

    #[test]
    fn corrupt_gzip_is_a_gzip_error() {
        let (dims, data) = images_2x3x2();
        let mut gz = gzip(&encode_idx(&dims, &data));
        let cut = gz.len() - 12;
        gz.truncate(cut);
        let err = parse_idx(&gz, NAME).unwrap_err();
        assert!(matches!(err, IdxError::Gzip { .. }), "{err}");
        assert!(err.to_string().contains(NAME));
    }

    #[test]
    fn files_round_trip_gzipped_and_raw() {
        let dir = tempfile::tempdir().unwrap();
        let (dims, data) = images_2x3x2();
        for (name, compress) in [("images-idx3-ubyte.gz", true), ("images-idx3-ubyte", false)] {
            let path = dir.path().join(name);
            write_idx(&path, &dims, &data, compress).unwrap();
            let on_disk = std::fs::read(&path).unwrap();
            assert_eq!(on_disk.starts_with(&GZIP_MAGIC), compress);
            let back = read_idx_images(&path).unwrap();
            assert_eq!(
                back,
                IdxArray {
                    dims: dims.clone(),
                    data: data.clone()
                }
            );
        }
        let labels = dir.path().join("labels-idx1-ubyte.gz");
        write_idx(&labels, &[4], &[3, 1, 4, 1], true).unwrap();
        assert_eq!(read_idx_labels(&labels).unwrap().data, vec![3, 1, 4, 1]);
    }

    #[test]
    fn file_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nowhere-idx1-ubyte.gz");
        let err = read_idx(&missing).unwrap_err();
        assert!(matches!(err, IdxError::Io { .. }));
        assert!(err.to_string().contains("nowhere-idx1-ubyte.gz"), "{err}");

        // A label file where images are expected: valid IDX, wrong kind.
        let labels = dir.path().join("swapped-idx1-ubyte");
        write_idx(&labels, &[2], &[1, 2], false).unwrap();
        let err = read_idx_images(&labels).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("swapped-idx1-ubyte") && text.contains("expected 2051"),
            "{text}"
        );

        let short = dir.path().join("short-idx3-ubyte.gz");
        std::fs::write(&short, gzip(&encode_idx(&[3, 28, 28], &[0; 100]))).unwrap();
        let text = read_idx_images(&short).unwrap_err().to_string();
        assert!(
            text.contains("short-idx3-ubyte.gz") && text.contains("truncated"),
            "{text}"
        );
    }
}
