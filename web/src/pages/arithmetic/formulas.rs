//! The formulas beside the picture, as MathML: the symbols, then the current numbers, then the
//! result.

use super::settings::Settings;

/// Digits in groups of three (with narrow spaces), so large counts stay readable.
pub(super) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(ch);
    }
    out
}

fn mi(name: &str) -> String {
    format!("<mi>{name}</mi>")
}

fn num(n: usize) -> String {
    format!("<mn>{n}</mn>")
}

fn sub(base: &str, index: &str) -> String {
    format!("<msub><mi>{base}</mi><mtext>{index}</mtext></msub>")
}

const DOT: &str = "<mo>·</mo>";
const PLUS: &str = "<mo>+</mo>";
const MINUS: &str = "<mo>−</mo>";
const EQ: &str = "<mo>=</mo>";

/// The output-size formula, then with the numbers, then the size (or "no output").
pub(super) fn size_formula(s: &Settings, size: Option<usize>) -> String {
    let result = size.map_or_else(|| "<mtext>no output</mtext>".to_string(), num);
    let dk = |d: String, k: String| format!("{d}<mo>(</mo>{k}{MINUS}<mn>1</mn><mo>)</mo>");
    if s.transposed {
        let symbolic = format!(
            "<mo>(</mo>{i}{MINUS}<mn>1</mn><mo>)</mo>{s_}{MINUS}<mn>2</mn>{p}{PLUS}{dk}{PLUS}{op}{PLUS}<mn>1</mn>",
            i = mi("i"),
            s_ = mi("s"),
            p = mi("p"),
            dk = dk(mi("d"), mi("k")),
            op = sub("p", "out"),
        );
        let numbers = format!(
            "<mo>(</mo>{i}{MINUS}<mn>1</mn><mo>)</mo>{DOT}{s_}{MINUS}<mn>2</mn>{DOT}{p}{PLUS}{dk}{PLUS}{op}{PLUS}<mn>1</mn>",
            i = num(s.input),
            s_ = num(s.stride),
            p = num(s.padding),
            dk = dk(format!("{}{DOT}", num(s.dilation)), num(s.kernel)),
            op = num(s.output_padding),
        );
        format!("{o}{EQ}{symbolic}{EQ}{numbers}{EQ}{result}", o = mi("o"))
    } else {
        let fraction = |i: String, p: String, d: String, k: String, s_: String, two: String| {
            format!(
                "<mrow><mo>⌊</mo><mfrac><mrow>{i}{PLUS}{two}{p}{MINUS}{dk}{MINUS}<mn>1</mn></mrow>{s_}</mfrac><mo>⌋</mo></mrow>{PLUS}<mn>1</mn>",
                dk = dk(d, k)
            )
        };
        let symbolic = fraction(
            mi("i"),
            mi("p"),
            mi("d"),
            mi("k"),
            mi("s"),
            "<mn>2</mn>".into(),
        );
        let numbers = fraction(
            num(s.input),
            num(s.padding),
            format!("{}{DOT}", num(s.dilation)),
            num(s.kernel),
            num(s.stride),
            format!("<mn>2</mn>{DOT}"),
        );
        format!("{o}{EQ}{symbolic}{EQ}{numbers}{EQ}{result}", o = mi("o"))
    }
}

/// Weights and biases, with the numbers.
pub(super) fn params_formula(s: &Settings, total: Option<u64>) -> String {
    let (cin, cout) = (sub("C", "in"), sub("C", "out"));
    format!(
        "<mi>P</mi>{EQ}{cin}{DOT}{cout}{DOT}<msup><mi>k</mi><mn>2</mn></msup>{PLUS}{cout}{EQ}\
         {a}{DOT}{b}{DOT}<msup>{k}<mn>2</mn></msup>{PLUS}{b}{EQ}<mn>{t}</mn>",
        a = num(s.channels_in),
        b = num(s.channels_out),
        k = num(s.kernel),
        t = total.map_or_else(|| "too many to count".to_string(), grouped),
    )
}

/// Multiply-adds per image: every output cell (forward) or every input cell (transposed)
/// meets every weight of every filter once.
pub(super) fn macs_formula(s: &Settings, positions: usize, total: u64) -> String {
    let (cin, cout) = (sub("C", "in"), sub("C", "out"));
    let cells = if s.transposed { "i" } else { "o" };
    format!(
        "<mtext>MACs</mtext>{EQ}{cin}{DOT}{cout}{DOT}<msup><mi>k</mi><mn>2</mn></msup>{DOT}<msup><mi>{cells}</mi><mn>2</mn></msup>{EQ}\
         {a}{DOT}{b}{DOT}<msup>{k}<mn>2</mn></msup>{DOT}<msup>{n}<mn>2</mn></msup>{EQ}<mn>{t}</mn>",
        a = num(s.channels_in),
        b = num(s.channels_out),
        k = num(s.kernel),
        n = num(positions),
        t = grouped(total),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn big_numbers_are_grouped() {
        assert_eq!(grouped(320), "320");
        assert_eq!(grouped(1_234_567), "1\u{202f}234\u{202f}567");
    }
}
