//! Formulas as MathML (rendered natively by every current browser; no fonts or scripts to load).

use convlab_kernels::Grid;
use leptos::prelude::*;

use crate::url_state::format_number;

/// A MathML formula given as the inside of a `<math>` element.
#[component]
pub fn Math(
    /// MathML markup without the outer `<math>` element.
    #[prop(into)]
    mathml: Signal<String>,
    /// Display on its own line (block) rather than inline.
    #[prop(optional)]
    block: bool,
) -> impl IntoView {
    let display = if block { "block" } else { "inline" };
    let html = move || format!(r#"<math display="{display}">{}</math>"#, mathml.get());
    view! { <span class="math" inner_html=html></span> }
}

/// `<mn>` for a number.
pub fn mn(v: f32) -> String {
    if v < 0.0 {
        format!("<mo>−</mo><mn>{}</mn>", format_number(-v))
    } else {
        format!("<mn>{}</mn>", format_number(v))
    }
}

/// A bracketed matrix.
pub fn matrix(grid: &Grid) -> String {
    let rows: String = grid
        .to_rows()
        .iter()
        .map(|r| {
            format!(
                "<mtr>{}</mtr>",
                r.iter()
                    .map(|v| format!("<mtd>{}</mtd>", mn(*v)))
                    .collect::<String>()
            )
        })
        .collect();
    format!(r#"<mrow><mo>[</mo><mtable>{rows}</mtable><mo>]</mo></mrow>"#)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn negative_numbers_use_a_real_minus() {
        assert_eq!(mn(-2.0), "<mo>−</mo><mn>2</mn>");
        assert!(matrix(&convlab_kernels::lecture_kernel()).contains("<mn>5</mn>"));
    }
}
