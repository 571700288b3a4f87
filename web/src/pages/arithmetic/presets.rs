//! The lecture's worked examples, offered as presets.

use super::settings::Settings;

/// A worked example from the lecture (or from the networks it shows).
pub(super) struct Preset {
    pub(super) slug: &'static str,
    pub(super) label: &'static str,
    pub(super) settings: Settings,
    /// What to notice, shown while the preset is active.
    pub(super) note: &'static str,
}

pub(super) const PRESETS: [Preset; 7] = [
    Preset {
        slug: "aside",
        label: "Lecture aside: 4×4 ∗ 2×2, stride 1 → 3×3",
        settings: Settings::ASIDE,
        note: "The forward convolution of the Conv2DTranspose aside: the 2×2 kernel [[3, 5], [2, 2]] fits in 3 positions \
               along each axis of the 4×4 input, so the output is 3×3 — the slide's 27, 39, 51 / 55, 59, 63 / 25, 21, 17.",
    },
    Preset {
        slug: "pooling",
        label: "Pooling-style: 4×4, 2×2, stride 2 → 2×2",
        settings: Settings {
            stride: 2,
            ..Settings::ASIDE
        },
        note: "The pooling slide's geometry: a 2×2 window moved 2 cells at a time visits each cell once, so 4×4 becomes 2×2. \
               A strided convolution down-samples the same way, with learned weights instead of max or mean.",
    },
    Preset {
        slug: "aside-transposed",
        label: "Lecture aside, transposed: 3×3 → 4×4 with the same kernel",
        settings: Settings {
            input: 3,
            transposed: true,
            ..Settings::ASIDE
        },
        note: "",
    },
    Preset {
        slug: "vae-encoder",
        label: "VAE encoder: 28×28, 3×3, stride 2, padding 1 → 14×14",
        settings: Settings {
            input: 28,
            kernel: 3,
            stride: 2,
            padding: 1,
            channels_out: 32,
            ..Settings::ASIDE
        },
        note: "The first layer of the lecture's convolutional autoencoder: 32 filters of 3×3 on a 28×28 digit. Padding 1 \
               keeps the border cells in play and stride 2 halves the size: 28 → 14 (the next layer gives 7).",
    },
    Preset {
        slug: "vae-decoder",
        label: "VAE decoder: 7×7 transposed, 3×3, stride 2, padding 1, output padding 1 → 14×14",
        settings: Settings {
            input: 7,
            kernel: 3,
            stride: 2,
            padding: 1,
            channels_in: 64,
            channels_out: 64,
            transposed: true,
            output_padding: 1,
            ..Settings::ASIDE
        },
        note: "The decoder undoes the encoder's shapes: a stride-2 transposed convolution doubles 7 to 14. Both 13 and 14 \
               shrink to 7 under the forward layer, so output padding 1 picks 14.",
    },
    Preset {
        slug: "lenet-c1",
        label: "LeNet-5 C1: 28×28, 5×5, padding 2 → 28×28 (6 filters)",
        settings: Settings {
            input: 28,
            kernel: 5,
            padding: 2,
            channels_out: 6,
            ..Settings::ASIDE
        },
        note: "LeNet-5's first layer: 6 filters of 5×5. Padding (k − 1)/2 = 2 makes a \"same\" convolution: the output is \
               as large as the input. 6 × 25 weights + 6 biases = 156 parameters.",
    },
    Preset {
        slug: "dilated",
        label: "Dilated: 7×7, 3×3, dilation 2 → 3×3",
        settings: Settings {
            input: 7,
            kernel: 3,
            dilation: 2,
            ..Settings::ASIDE
        },
        note: "Dilation 2 spreads the 9 taps of a 3×3 kernel over a 5×5 area (gaps between them): a larger view for the \
               same 9 weights. It fits in 3 positions of the 7×7 input.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::arithmetic::settings::build;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn presets_give_the_lecture_sizes() {
        let size = |slug: &str| {
            let p = PRESETS.iter().find(|p| p.slug == slug).unwrap();
            build(p.settings, "", "").unwrap().size()
        };
        assert_eq!(size("aside"), 3);
        assert_eq!(size("pooling"), 2);
        assert_eq!(size("aside-transposed"), 4);
        assert_eq!(size("vae-encoder"), 14);
        assert_eq!(size("vae-decoder"), 14);
        assert_eq!(size("lenet-c1"), 28);
        assert_eq!(size("dilated"), 3);
    }

    #[test]
    fn the_transposed_aside_gives_the_slide_grid() {
        let p = &PRESETS[2];
        let layer = build(p.settings, "", "").unwrap();
        assert_eq!(layer.output.row(0), &[81.0, 252.0, 348.0, 255.0]);
        assert_eq!(layer.output.row(3), &[50.0, 92.0, 76.0, 34.0]);
    }
}
