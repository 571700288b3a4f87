//! `cargo xtask smoke`: the release build as users get it. Serves `dist/` (what `trunk build
//! --release` wrote, wasm-opt included) the way a static host does, opens it in headless
//! Chromium through chromedriver's WebDriver API, and checks that the pages mount and that
//! the model worker decodes the latent map's manifold, on WebGPU and on the CPU. The browser
//! tests run debug builds through wasm-bindgen alone; this is the only check of what Trunk and
//! wasm-opt ship (a wasm-opt that breaks the page, as Debian's binaryen does, fails here).
//!
//! WebDriver is spoken directly (JSON over HTTP/1.0 on a local port), to keep xtask free of
//! dependencies.

use std::io::{BufRead, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::ctx::{Ctx, Result};
use crate::file_server::{self, Files};

/// How long a page may take to mount.
const MOUNT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the manifold may take (the worker's first start compiles 11 MB of wasm, and
/// SwiftShader's WebGPU runs on the CPU: about 25 s here).
const MANIFOLD_TIMEOUT: Duration = Duration::from_secs(150);

/// Runs the checks against `dist/` with the chromedriver at `driver`.
pub fn run(ctx: &Ctx, driver: &Path) -> Result {
    let dist = ctx.root.join("dist");
    let files = dist_files(&dist)?;
    let site = file_server::spawn(files, 0)?;
    let driver = Driver::start(driver)?;
    let session = driver.session()?;
    let result = checks(&session, site);
    session.close();
    result
}

/// Every file under `dist` at its own path; any other path without a file extension is the app
/// (`index.html`), as a single-page app's host answers it.
fn dist_files(dist: &Path) -> Result<Files> {
    let mut routes = Vec::new();
    let mut folders = vec![dist.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| {
            format!(
                "cannot read {} (run `cargo xtask release`): {e}",
                folder.display()
            )
        })?;
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                folders.push(path);
            } else if let Ok(relative) = path.strip_prefix(dist) {
                let url: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
                routes.push((format!("/{}", url.join("/")), path.clone()));
            }
        }
    }
    let index = dist.join("index.html");
    if !index.is_file() {
        return Err(format!(
            "{} is missing: run `cargo xtask release`",
            index.display()
        ));
    }
    Ok(Files::new(routes, false).with_app_fallback(index))
}

fn checks(session: &Session, site: SocketAddr) -> Result {
    let base = format!("http://{site}");
    // The convolution pages: the page's own wasm (no models).
    for (path, page) in [
        ("/", "page-home"),
        ("/sobel", "page-sobel"),
        ("/pooling", "page-pooling"),
    ] {
        session.open(&format!("{base}{path}"))?;
        session.wait_for(&format!("{path} mounted"), &mounted(page), MOUNT_TIMEOUT)?;
        obeys_the_policy(session, path)?;
        println!("smoke: {path} mounts ({page}) under the Content-Security-Policy");
    }
    // The latent map on each backend: the worker starts, loads the weights, encodes the
    // reference digits and decodes the 20×20 manifold.
    for backend in ["webgpu", "cpu"] {
        session.open(&format!("{base}/"))?;
        session.script(&format!(
            "localStorage.setItem('convlab.backend', '{backend}'); return 'ok';"
        ))?;
        session.open(&format!("{base}/latent-map"))?;
        let started = Instant::now();
        let shown = session.wait_for(
            &format!("the manifold on {backend}"),
            MANIFOLD,
            MANIFOLD_TIMEOUT,
        )?;
        obeys_the_policy(session, "/latent-map")?;
        println!(
            "smoke: /latent-map decodes the manifold ({shown}) in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        if backend == "cpu" && !shown.starts_with("cpu") {
            return Err(format!("asked for the CPU, the page runs on: {shown}"));
        }
        // Headless Chromium has relaxed SIMD: the page must have started that worker build.
        if backend == "cpu" && !shown.contains("fused multiply-add") {
            return Err(format!(
                "the CPU decoder runs without fused multiply-adds (convlab-worker-fma not \
                 started): {shown}"
            ));
        }
    }
    Ok(())
}

/// Fails unless the page runs under the release Content-Security-Policy (`csp.rs`) and
/// nothing it did broke it: every fetch, script and worker came from the page's origin.
fn obeys_the_policy(session: &Session, path: &str) -> Result {
    let seen = session.script(
        "return window.convlabCspViolations ? JSON.stringify(window.convlabCspViolations) : 'none';",
    )?;
    match seen.as_str() {
        "[]" => Ok(()),
        "none" => Err(format!(
            "{path} has no Content-Security-Policy recorder: dist/index.html was not written by \
             `cargo xtask release`"
        )),
        violations => Err(format!(
            "{path} broke its Content-Security-Policy: {violations}"
        )),
    }
}

/// A script that answers `ok` once the element `data-testid=page` is in the document.
fn mounted(page: &str) -> String {
    format!("return document.querySelector('[data-testid=\"{page}\"]') ? 'ok' : 'waiting';")
}

/// Answers `ok <backend> [(<CPU kernels>)], <n> bright pixels` once the manifold is drawn with ink, `failed: …`
/// when the page shows an error, and what it is waiting for otherwise.
const MANIFOLD: &str = "\
const q = (id) => document.querySelector('[data-testid=\"' + id + '\"]');
const alert = document.querySelector('[role=\"alert\"]');
if (alert && alert.textContent.trim()) return 'failed: ' + alert.textContent.trim();
if (!q('page-latent-map')) return 'waiting for the page';
const backend = q('backend');
if (!backend) return 'waiting for the models';
const canvas = q('latent-map-manifold');
if (!canvas) return 'waiting for the manifold on ' + backend.textContent;
const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
let ink = 0;
for (let i = 0; i < px.length; i += 4) if (px[i] > 127) ink++;
if (ink === 0) return 'waiting for ink on ' + backend.textContent;
const kernels = q('cpu-kernels');
return 'ok ' + backend.textContent + (kernels ? kernels.textContent : '') + ', ' + ink + ' bright pixels';";

/// A chromedriver process on a free local port.
struct Driver {
    child: Child,
    addr: SocketAddr,
}

impl Driver {
    fn start(path: &Path) -> Result<Self> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port for chromedriver: {e}"))?
            .port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
        let driver = Self {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if http(driver.addr, "GET", "/status", "").is_ok_and(|r| r.contains("\"ready\":true")) {
                return Ok(driver);
            }
            thread::sleep(Duration::from_millis(100));
        }
        Err(format!("{} did not answer on port {port}", path.display()))
    }

    /// A headless Chromium with WebGPU (SwiftShader), as the browser tests run it.
    fn session(&self) -> Result<Session> {
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--enable-unsafe-webgpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ];
        let args: Vec<String> = args.iter().map(|a| format!("\"{a}\"")).collect();
        let body = format!(
            "{{\"capabilities\":{{\"alwaysMatch\":{{\"browserName\":\"chrome\",\
             \"goog:chromeOptions\":{{\"args\":[{}]}}}}}}}}",
            args.join(",")
        );
        let answer = http(self.addr, "POST", "/session", &body)?;
        let id = json_string(&answer, "sessionId")
            .ok_or_else(|| format!("chromedriver gave no session: {answer}"))?;
        Ok(Session {
            addr: self.addr,
            id,
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session.
struct Session {
    addr: SocketAddr,
    id: String,
}

impl Session {
    fn open(&self, url: &str) -> Result {
        let body = format!("{{\"url\":{}}}", json_quote(url));
        let answer = http(
            self.addr,
            "POST",
            &format!("/session/{}/url", self.id),
            &body,
        )?;
        match json_string(&answer, "error") {
            Some(error) => Err(format!("could not open {url}: {error}: {answer}")),
            None => Ok(()),
        }
    }

    /// Runs `script` in the page; its string answer.
    fn script(&self, script: &str) -> Result<String> {
        let body = format!("{{\"script\":{},\"args\":[]}}", json_quote(script));
        let path = format!("/session/{}/execute/sync", self.id);
        let answer = http(self.addr, "POST", &path, &body)?;
        if let Some(error) = json_string(&answer, "error") {
            return Err(format!("a script failed: {error}: {answer}"));
        }
        json_string(&answer, "value").ok_or_else(|| format!("a script answered {answer}"))
    }

    /// Runs `script` until it answers `ok…` (returned) or `failed…`, for at most `timeout`.
    fn wait_for(&self, what: &str, script: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        while Instant::now() < deadline {
            // A page still loading can fail a script; try again.
            if let Ok(answer) = self.script(script) {
                if answer.starts_with("ok") {
                    return Ok(answer.trim_start_matches("ok").trim().to_string());
                }
                if answer.starts_with("failed") {
                    return Err(format!("{what}: {answer}"));
                }
                last = answer;
            }
            thread::sleep(Duration::from_millis(250));
        }
        Err(format!(
            "{what}: not within {} s (last: {last})",
            timeout.as_secs()
        ))
    }

    fn close(&self) {
        let _ = http(self.addr, "DELETE", &format!("/session/{}", self.id), "");
    }
}

/// One HTTP/1.1 request; the answer's body (chromedriver sends a `Content-Length`, and
/// answers HTTP/1.0 with nothing).
fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> Result<String> {
    let fail = |e: std::io::Error| format!("chromedriver at {addr}: {method} {path}: {e}");
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(180)))
        .map_err(fail)?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(fail)?;
    let mut reader = std::io::BufReader::new(stream);
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(fail)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut answer = Vec::new();
    match length {
        Some(length) => {
            answer.resize(length, 0);
            reader.read_exact(&mut answer).map_err(fail)?;
        }
        None => {
            reader.read_to_end(&mut answer).map_err(fail)?;
        }
    }
    String::from_utf8(answer)
        .map_err(|e| format!("chromedriver answered {path} with non-UTF-8: {e}"))
}

/// `text` as a JSON string literal.
fn json_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The first string value of `"key"` in a JSON text (enough for WebDriver's answers:
/// `{"value": {"sessionId": "…"}}`, `{"value": "…"}`, `{"value": {"error": "…"}}`).
fn json_string(json: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\"");
    let mut rest = &json[json.find(&needle)? + needle.len()..];
    rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let mut chars = rest.strip_prefix('"')?.chars();
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?).unwrap_or('?'));
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webdriver_answers_are_read() {
        let session = r#"{"value":{"capabilities":{"browserName":"chrome"},"sessionId":"ab12"}}"#;
        assert_eq!(json_string(session, "sessionId").as_deref(), Some("ab12"));
        let value = r#"{"value": "ok cpu, 3 \"bright\" pixels\u00e9"}"#;
        assert_eq!(
            json_string(value, "value").as_deref(),
            Some("ok cpu, 3 \"bright\" pixelsé")
        );
        assert_eq!(json_string(r#"{"value":null}"#, "value"), None);
        let error = r#"{"value":{"error":"no such window","message":"x"}}"#;
        assert_eq!(
            json_string(error, "error").as_deref(),
            Some("no such window")
        );
    }

    #[test]
    fn scripts_are_quoted_for_json() {
        assert_eq!(json_quote("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        let quoted = json_quote(MANIFOLD);
        assert_eq!(
            json_string(&format!("{{\"s\":{quoted}}}"), "s").as_deref(),
            Some(MANIFOLD)
        );
    }
}
