//! A small static file server on 127.0.0.1 for the files the app loads at run time but trunk
//! does not serve: the MNIST files of `cargo xtask serve --mnist-dir DIR` (behind trunk's
//! proxy at `/mnist/`), and, for the browser tests, the model worker and the shipped weights
//! (which the test page fetches from this server's origin, hence CORS).
//!
//! It serves exactly the files it is given, each at its own URL path: no other path, no
//! listing, nothing outside them. Requests are read with a size limit and timeouts, and a
//! handful of connections at a time.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use crate::ctx::Result;

/// The four MNIST files, as distributed.
pub const MNIST_NAMES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// Where the app asks for the MNIST files.
pub const MNIST_PREFIX: &str = "/mnist";

/// Longest request head read (request line and headers).
const MAX_HEAD: usize = 8 * 1024;
/// Connections handled at once; more wait in the listener's backlog.
const MAX_CONNECTIONS: usize = 8;
/// The longest a stalled request is held.
const STALL_LIMIT: Duration = Duration::from_secs(120);

/// Checks that `dir` holds the four MNIST files; the error names the folder and what is
/// missing.
pub fn check_mnist_dir(dir: &Path) -> Result<PathBuf> {
    if !dir.is_dir() {
        return Err(format!(
            "the MNIST folder {} does not exist (from --mnist-dir or MNIST_DIR)",
            dir.display()
        ));
    }
    let missing: Vec<&str> = MNIST_NAMES
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
            MNIST_NAMES.join(", ")
        ))
    }
}

/// The routes for the four MNIST files of `dir` at `/mnist/<name>`.
pub fn mnist_routes(dir: &Path) -> Vec<(String, PathBuf)> {
    MNIST_NAMES
        .iter()
        .map(|name| (format!("{MNIST_PREFIX}/{name}"), dir.join(name)))
        .collect()
}

/// What a server serves: each URL path with its file.
#[derive(Clone, Debug)]
pub struct Files {
    routes: Vec<(String, PathBuf)>,
    /// Whether pages of other origins may load the files (`Access-Control-Allow-Origin: *`,
    /// `Cross-Origin-Resource-Policy: cross-origin`).
    cors: bool,
    /// The single-page app's `index.html`, the answer to a path without a file extension
    /// that no route has (`/latent-map`).
    app: Option<PathBuf>,
    /// A path prefix whose requests are never answered (the browser tests of a stalled
    /// server): held until the client gives up, or [`STALL_LIMIT`].
    stall: Option<String>,
}

impl Files {
    pub fn new(routes: Vec<(String, PathBuf)>, cors: bool) -> Self {
        Self {
            routes,
            cors,
            app: None,
            stall: None,
        }
    }

    /// Never answers the requests for paths under `prefix` (which ends in `/`).
    pub fn with_stall(mut self, prefix: &str) -> Self {
        self.stall = Some(prefix.to_string());
        self
    }

    /// Also answers every extension-less path without a route with `index`.
    pub fn with_app_fallback(mut self, index: PathBuf) -> Self {
        self.app = Some(index);
        self
    }

    fn path(&self, file: FileRef) -> &Path {
        match file {
            FileRef::Route(index) => &self.routes[index].1,
            FileRef::App => self.app.as_deref().unwrap_or(Path::new("")),
        }
    }
}

/// A file a request is answered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileRef {
    Route(usize),
    App,
}

/// Serves `files` on `port` of 127.0.0.1 (0: any free port) from a background thread;
/// returns the address.
pub fn spawn(files: Files, port: u16) -> Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the file server's address: {e}"))?;
    let files = Arc::new(files);
    let active = Arc::new(AtomicUsize::new(0));
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            while active.load(Ordering::Acquire) >= MAX_CONNECTIONS {
                thread::sleep(Duration::from_millis(10));
            }
            active.fetch_add(1, Ordering::AcqRel);
            let (files, active) = (files.clone(), active.clone());
            thread::spawn(move || {
                let _ = handle(stream, &files);
                active.fetch_sub(1, Ordering::AcqRel);
            });
        }
    });
    Ok(addr)
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// A file (`head`: headers only).
    File {
        file: FileRef,
        head: bool,
    },
    /// Nothing, until the client closes the connection.
    Stall,
    NotFound,
    MethodNotAllowed,
    BadRequest,
}

/// Decides from the request line, e.g. `GET /mnist/t10k-images-idx3-ubyte.gz HTTP/1.1`.
fn route(request_line: &str, files: &Files) -> Answer {
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
    let last = path.rsplit('/').next().unwrap_or_default();
    if files.stall.as_deref().is_some_and(|p| path.starts_with(p)) {
        return Answer::Stall;
    }
    match files.routes.iter().position(|(p, _)| p == path) {
        Some(index) => Answer::File {
            file: FileRef::Route(index),
            head,
        },
        None if files.app.is_some() && !last.contains('.') => Answer::File {
            file: FileRef::App,
            head,
        },
        None => Answer::NotFound,
    }
}

/// The `Content-Type` of a file, from its name.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript",
        Some("json") => "application/json",
        Some("gz") => "application/gzip",
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        _ => "application/octet-stream",
    }
}

fn handle(stream: TcpStream, files: &Files) -> io::Result<()> {
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
    match route(&request_line, files) {
        Answer::File { file, head } => match std::fs::File::open(files.path(file)) {
            Ok(mut opened) => {
                let len = opened.metadata()?.len();
                let kind = content_type(files.path(file));
                // CORS for fetch; CORP for `importScripts`, which is a no-cors load that a
                // cross-origin-isolated page (the test runner's, COEP `require-corp`) refuses
                // without it.
                let cors = if files.cors {
                    "Access-Control-Allow-Origin: *\r\nCross-Origin-Resource-Policy: cross-origin\r\n"
                } else {
                    ""
                };
                write!(
                    out,
                    "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len}\r\n\
                     {cors}Cache-Control: no-cache\r\nConnection: close\r\n\r\n"
                )?;
                if !head {
                    io::copy(&mut opened, &mut out)?;
                }
                out.flush()
            }
            Err(_) => status(&mut out, "404 Not Found"),
        },
        Answer::Stall => {
            hold(&mut out);
            Ok(())
        }
        Answer::NotFound => status(&mut out, "404 Not Found"),
        Answer::MethodNotAllowed => status(&mut out, "405 Method Not Allowed"),
        Answer::BadRequest => status(&mut out, "400 Bad Request"),
    }
}

/// Reads (and drops) what the client sends until it closes the connection, or for
/// [`STALL_LIMIT`].
fn hold(stream: &mut TcpStream) {
    let start = std::time::Instant::now();
    let mut buf = [0u8; 512];
    while start.elapsed() < STALL_LIMIT {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
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

    fn mnist_files() -> Files {
        Files::new(mnist_routes(Path::new("/data")), false)
    }

    #[test]
    fn only_the_given_paths_are_routed() {
        let files = mnist_files();
        assert_eq!(
            route("GET /mnist/t10k-images-idx3-ubyte.gz HTTP/1.1\r\n", &files),
            Answer::File {
                file: FileRef::Route(2),
                head: false
            }
        );
        assert_eq!(
            route(
                "HEAD /mnist/train-labels-idx1-ubyte.gz?x=1 HTTP/1.0",
                &files
            ),
            Answer::File {
                file: FileRef::Route(1),
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
            assert_eq!(route(line, &files), Answer::NotFound, "{line}");
        }
        assert_eq!(
            route("POST /mnist/t10k-images-idx3-ubyte.gz HTTP/1.1", &files),
            Answer::MethodNotAllowed
        );
        assert_eq!(route("garbage", &files), Answer::BadRequest);
        assert_eq!(route("", &files), Answer::BadRequest);
    }

    #[test]
    fn an_app_answers_its_own_routes_with_its_index() {
        let files = mnist_files().with_app_fallback(PathBuf::from("/dist/index.html"));
        let app = Answer::File {
            file: FileRef::App,
            head: false,
        };
        assert_eq!(route("GET /latent-map?n=20 HTTP/1.1", &files), app);
        assert_eq!(route("GET / HTTP/1.1", &files), app);
        assert_eq!(files.path(FileRef::App), Path::new("/dist/index.html"));
        // Files keep their routes; a missing file is still missing.
        assert_eq!(
            route("GET /mnist/t10k-images-idx3-ubyte.gz HTTP/1.1", &files),
            Answer::File {
                file: FileRef::Route(2),
                head: false
            }
        );
        assert_eq!(
            route("GET /missing.wasm HTTP/1.1", &files),
            Answer::NotFound
        );
        // Without the fallback, a page path is not found.
        assert_eq!(
            route("GET /latent-map HTTP/1.1", &mnist_files()),
            Answer::NotFound
        );
    }

    #[test]
    fn only_paths_under_the_stall_prefix_stall() {
        let files = mnist_files().with_stall("/stall/");
        assert_eq!(
            route("GET /stall/weights/vae2.json HTTP/1.1", &files),
            Answer::Stall
        );
        assert_eq!(route("GET /stalled.js HTTP/1.1", &files), Answer::NotFound);
        assert_eq!(
            route("GET /stall/x HTTP/1.1", &mnist_files()),
            Answer::NotFound
        );
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
            check_mnist_dir(&dir)
                .unwrap_err()
                .contains("t10k-labels-idx1-ubyte.gz")
        );
        for (i, name) in MNIST_NAMES.iter().enumerate() {
            std::fs::write(dir.join(name), vec![i as u8; 1000 + i]).unwrap();
        }
        std::fs::write(dir.join("secret.txt"), "no").unwrap();
        let checked = check_mnist_dir(&dir).unwrap();
        let addr = spawn(Files::new(mnist_routes(&checked), false), 0).unwrap();

        let (head, body) = get(addr, "/mnist/t10k-images-idx3-ubyte.gz");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.contains("Content-Length: 1002"), "{head}");
        assert!(head.contains("Content-Type: application/gzip"), "{head}");
        assert!(!head.contains("Access-Control"), "{head}");
        assert_eq!(body, vec![2u8; 1002]);
        let (head, _) = get(addr, "/mnist/secret.txt");
        assert!(head.starts_with("HTTP/1.1 404"), "{head}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn cross_origin_files_carry_their_type() {
        let dir = std::env::temp_dir().join(format!("xtask-cors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("w_bg.wasm"), b"\0asm").unwrap();
        let files = Files::new(vec![("/w_bg.wasm".into(), dir.join("w_bg.wasm"))], true);
        let addr = spawn(files, 0).unwrap();
        let (head, body) = get(addr, "/w_bg.wasm");
        assert!(head.contains("Content-Type: application/wasm"), "{head}");
        assert!(head.contains("Access-Control-Allow-Origin: *"), "{head}");
        assert!(
            head.contains("Cross-Origin-Resource-Policy: cross-origin"),
            "{head}"
        );
        assert_eq!(body, b"\0asm");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
