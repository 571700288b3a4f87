//! The MNIST files for `cargo xtask serve --mnist-dir DIR` (or `MNIST_DIR`): a small static
//! file server on 127.0.0.1 that answers `GET /mnist/<name>` for the four canonical IDX `.gz`
//! names only, which trunk's proxy puts beside the app, so the app finds them at
//! `mnist/<name>` without the user dragging anything. Nothing else is served: no other name,
//! no listing, no path outside the folder; requests are read with a size limit and timeouts,
//! and a handful of connections at a time.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use crate::ctx::Result;

/// The four files, as distributed.
pub const NAMES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// Where the app asks for them.
pub const URL_PREFIX: &str = "/mnist";

/// Longest request head read (request line and headers).
const MAX_HEAD: usize = 8 * 1024;
/// Connections handled at once; more wait in the listener's backlog.
const MAX_CONNECTIONS: usize = 8;

/// Checks that `dir` holds the four files; the error names the folder and what is missing.
pub fn check_dir(dir: &Path) -> Result<PathBuf> {
    if !dir.is_dir() {
        return Err(format!(
            "the MNIST folder {} does not exist (from --mnist-dir or MNIST_DIR)",
            dir.display()
        ));
    }
    let missing: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|name| !dir.join(name).is_file())
        .collect();
    if missing.is_empty() {
        Ok(dir.to_path_buf())
    } else {
        Err(format!(
            "the MNIST folder {} lacks {}: it must hold the four files {}",
            dir.display(),
            missing.join(", "),
            NAMES.join(", ")
        ))
    }
}

/// Serves the four files of `dir` on an ephemeral port of 127.0.0.1 from a background
/// thread; returns the address.
pub fn spawn(dir: PathBuf) -> Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot listen on 127.0.0.1 for the MNIST files: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the MNIST server's address: {e}"))?;
    let dir = Arc::new(dir);
    let active = Arc::new(AtomicUsize::new(0));
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            while active.load(Ordering::Acquire) >= MAX_CONNECTIONS {
                thread::sleep(Duration::from_millis(10));
            }
            active.fetch_add(1, Ordering::AcqRel);
            let (dir, active) = (dir.clone(), active.clone());
            thread::spawn(move || {
                let _ = handle(stream, &dir);
                active.fetch_sub(1, Ordering::AcqRel);
            });
        }
    });
    Ok(addr)
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// One of the four files (`head`: headers only).
    File {
        name: &'static str,
        head: bool,
    },
    NotFound,
    MethodNotAllowed,
    BadRequest,
}

/// Decides from the request line, e.g. `GET /mnist/t10k-images-idx3-ubyte.gz HTTP/1.1`.
fn route(request_line: &str) -> Answer {
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Answer::BadRequest;
    };
    if !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return Answer::BadRequest;
    }
    let head = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Answer::MethodNotAllowed,
    };
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let name = path
        .strip_prefix(URL_PREFIX)
        .and_then(|rest| rest.strip_prefix('/'));
    match NAMES.iter().find(|n| Some(**n) == name) {
        Some(name) => Answer::File { name, head },
        None => Answer::NotFound,
    }
}

fn handle(stream: TcpStream, dir: &Path) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(stream.try_clone()?).take(MAX_HEAD as u64);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The headers up to the blank line (none of them matters here).
    let mut header = String::new();
    loop {
        header.clear();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut out = stream;
    match route(&request_line) {
        Answer::File { name, head } => match std::fs::File::open(dir.join(name)) {
            Ok(mut file) => {
                let len = file.metadata()?.len();
                write!(
                    out,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: \
                     {len}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
                )?;
                if !head {
                    io::copy(&mut file, &mut out)?;
                }
                out.flush()
            }
            Err(_) => status(&mut out, "404 Not Found"),
        },
        Answer::NotFound => status(&mut out, "404 Not Found"),
        Answer::MethodNotAllowed => status(&mut out, "405 Method Not Allowed"),
        Answer::BadRequest => status(&mut out, "400 Bad Request"),
    }
}

fn status(out: &mut TcpStream, status: &str) -> io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: \
         close\r\n\r\n{status}\n",
        status.len() + 1
    )?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_four_names_are_routed() {
        assert_eq!(
            route("GET /mnist/t10k-images-idx3-ubyte.gz HTTP/1.1\r\n"),
            Answer::File {
                name: "t10k-images-idx3-ubyte.gz",
                head: false
            }
        );
        assert_eq!(
            route("HEAD /mnist/train-labels-idx1-ubyte.gz?x=1 HTTP/1.0"),
            Answer::File {
                name: "train-labels-idx1-ubyte.gz",
                head: true
            }
        );
        for line in [
            "GET /mnist/../Cargo.toml HTTP/1.1",
            "GET /mnist/ HTTP/1.1",
            "GET /t10k-images-idx3-ubyte.gz HTTP/1.1",
            "GET /mnist/t10k-images-idx3-ubyte HTTP/1.1",
            "GET /mnistt10k-images-idx3-ubyte.gz HTTP/1.1",
        ] {
            assert_eq!(route(line), Answer::NotFound, "{line}");
        }
        assert_eq!(
            route("POST /mnist/t10k-images-idx3-ubyte.gz HTTP/1.1"),
            Answer::MethodNotAllowed
        );
        assert_eq!(route("garbage"), Answer::BadRequest);
        assert_eq!(route(""), Answer::BadRequest);
    }

    fn get(addr: SocketAddr, path: &str) -> (String, Vec<u8>) {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        let split = all
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(all.len());
        let head = String::from_utf8_lossy(&all[..split]).to_string();
        let body = all.get(split + 4..).unwrap_or_default().to_vec();
        (head, body)
    }

    #[test]
    fn serves_the_files_of_a_complete_folder() {
        let dir = std::env::temp_dir().join(format!("xtask-mnist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(
            check_dir(&dir)
                .unwrap_err()
                .contains("t10k-labels-idx1-ubyte.gz")
        );
        for (i, name) in NAMES.iter().enumerate() {
            std::fs::write(dir.join(name), vec![i as u8; 1000 + i]).unwrap();
        }
        std::fs::write(dir.join("secret.txt"), "no").unwrap();
        let checked = check_dir(&dir).unwrap();
        let addr = spawn(checked).unwrap();

        let (head, body) = get(addr, "/mnist/t10k-images-idx3-ubyte.gz");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.contains("Content-Length: 1002"), "{head}");
        assert_eq!(body, vec![2u8; 1002]);
        let (head, _) = get(addr, "/mnist/secret.txt");
        assert!(head.starts_with("HTTP/1.1 404"), "{head}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
