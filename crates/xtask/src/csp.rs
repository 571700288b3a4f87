//! The release page's Content-Security-Policy: `cargo xtask release` writes it into
//! `dist/index.html` once Trunk has, because the policy lists the SHA-256 of each inline
//! script Trunk wrote (its start-up module names the hashed wasm file, so it changes with
//! every build).
//!
//! Everything comes from the page's own origin: scripts (and the wasm they compile, hence
//! `'wasm-unsafe-eval'`), the weights and MNIST fetches, the model worker (started from a
//! `blob:` start-up script that imports the worker's files from the origin). Inline `style`
//! attributes are allowed (the pages set sizes and colours that way); nothing else inline
//! runs. A small recorder script, listed too, keeps every violation in
//! `window.convlabCspViolations`, which the smoke check reads.

use std::fs;
use std::path::Path;

use crate::ctx::Result;

/// The recorder, the first script of the page.
const RECORDER: &str = "window.convlabCspViolations = []; \
document.addEventListener('securitypolicyviolation', (e) => \
window.convlabCspViolations.push(e.violatedDirective + ' ' + e.blockedURI));";

/// Adds the policy and the recorder to `index` (after `<meta charset>`). Refuses a page that
/// already has a policy: it was written by an earlier run, so Trunk did not rebuild it.
pub fn apply(index: &Path) -> Result {
    let html =
        fs::read_to_string(index).map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    if html.contains("Content-Security-Policy") {
        return Err(format!(
            "{} already has a Content-Security-Policy",
            index.display()
        ));
    }
    let page = with_policy(&html)?;
    fs::write(index, page).map_err(|e| format!("cannot write {}: {e}", index.display()))
}

/// `html` with the policy and the recorder after its `<meta charset>`.
fn with_policy(html: &str) -> Result<String> {
    let mut hashes = vec![script_hash(RECORDER)];
    hashes.extend(inline_scripts(html).into_iter().map(script_hash));
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; worker-src 'self' blob:; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'none'",
        hashes.join(" ")
    );
    let charset = "<meta charset=\"utf-8\" />";
    let at = html
        .find(charset)
        .map(|i| i + charset.len())
        .ok_or("index.html has no `<meta charset=\"utf-8\" />` to put the policy after")?;
    Ok(format!(
        "{}\n    <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\" />\n    \
         <script>{RECORDER}</script>{}",
        &html[..at],
        &html[at..]
    ))
}

/// The bodies of the `<script>` elements without a `src`.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut bodies = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        let Some(tag_end) = rest[open..].find('>').map(|i| open + i + 1) else {
            break;
        };
        let Some(close) = rest[tag_end..].find("</script>").map(|i| tag_end + i) else {
            break;
        };
        if !rest[open..tag_end].contains(" src=") {
            bodies.push(&rest[tag_end..close]);
        }
        rest = &rest[close + "</script>".len()..];
    }
    bodies
}

/// `'sha256-<base64>'` of a script's text, as CSP lists it.
fn script_hash(body: &str) -> String {
    format!("'sha256-{}'", base64(&sha256(body.as_bytes())))
}

/// SHA-256 (FIPS 180-4).
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend((data.len() as u64 * 8).to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            (hh, g, f, e, d, c, b, a) = (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
        }
        for (slot, v) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *slot = slot.wrapping_add(v);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, v) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&v.to_be_bytes());
    }
    out
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_and_base64_match_their_test_vectors() {
        assert_eq!(
            base64(&sha256(b"")),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            base64(&sha256(b"abc")),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
        // Two blocks.
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            base64(&sha256(long)),
            "JI1qYdIGOLjlwCaTDD5gOaM85Flk/yFn9uzt1BnbBsE="
        );
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }

    #[test]
    fn every_inline_script_is_hashed_and_the_policy_comes_first() -> Result {
        let html = "<html><head><meta charset=\"utf-8\" />\n<script type=\"module\">\nimport x;\n</script>\
                    <script src=\"/a.js\"></script><script>b()</script></head></html>";
        assert_eq!(inline_scripts(html), ["\nimport x;\n", "b()"]);
        let page = with_policy(html)?;
        let policy_at = page.find("Content-Security-Policy").ok_or("no policy")?;
        assert!(policy_at < page.find("import x").ok_or("no script")?);
        for body in ["\nimport x;\n", "b()", RECORDER] {
            assert!(page.contains(&script_hash(body)), "{body} not hashed");
        }
        assert!(page.contains("'wasm-unsafe-eval'") && page.contains("worker-src 'self' blob:"));
        Ok(())
    }
}
