//! Writes a contact sheet of synthetic digits (rows: 0–9, columns: seeds) as a PGM image, to
//! look at the generator: `cargo run -p convlab-digits --example synthetic_sheet -- sheet.pgm`.

use std::io::Write;

use convlab_digits::synthetic::synthetic_digit;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "synthetic-digits.pgm".into());
    let columns = 16;
    let (width, height) = (columns * 28, 10 * 28);
    let mut pixels = vec![0u8; width * height];
    for digit in 0..10u8 {
        for seed in 0..columns {
            let image = synthetic_digit(digit, seed as u64)?;
            for (i, v) in image.iter().enumerate() {
                let (r, c) = (digit as usize * 28 + i / 28, seed * 28 + i % 28);
                pixels[r * width + c] = (v.clamp(0.0, 1.0) * 255.0) as u8;
            }
        }
    }
    let mut file = std::fs::File::create(&path)?;
    write!(file, "P5\n{width} {height}\n255\n")?;
    file.write_all(&pixels)?;
    println!("wrote {path} ({columns} samples of each digit)");
    Ok(())
}
