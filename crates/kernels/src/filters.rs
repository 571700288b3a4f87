//! Kernel presets for the 2D convolution page.

use crate::Grid;
use crate::sobel::{SOBEL_X, SOBEL_Y, grid3};

/// A named 3×3 kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    SobelX,
    SobelY,
    BoxBlur,
    Gaussian,
    Sharpen,
    Laplacian,
    Emboss,
    Identity,
}

impl Preset {
    pub const ALL: [Preset; 8] = [
        Preset::SobelX,
        Preset::SobelY,
        Preset::BoxBlur,
        Preset::Gaussian,
        Preset::Sharpen,
        Preset::Laplacian,
        Preset::Emboss,
        Preset::Identity,
    ];

    /// A short name for menus.
    pub fn label(self) -> &'static str {
        match self {
            Preset::SobelX => "Sobel Gx",
            Preset::SobelY => "Sobel Gy",
            Preset::BoxBlur => "Box blur",
            Preset::Gaussian => "Gaussian blur",
            Preset::Sharpen => "Sharpen",
            Preset::Laplacian => "Laplacian",
            Preset::Emboss => "Emboss",
            Preset::Identity => "Identity",
        }
    }

    /// The name used in URLs.
    pub fn slug(self) -> &'static str {
        match self {
            Preset::SobelX => "sobel-x",
            Preset::SobelY => "sobel-y",
            Preset::BoxBlur => "box",
            Preset::Gaussian => "gaussian",
            Preset::Sharpen => "sharpen",
            Preset::Laplacian => "laplacian",
            Preset::Emboss => "emboss",
            Preset::Identity => "identity",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.slug() == slug)
    }

    /// One sentence on what the kernel does, for the page.
    pub fn explanation(self) -> &'static str {
        match self {
            Preset::SobelX => {
                "Differences left to right, smoothed vertically: finds vertical edges."
            }
            Preset::SobelY => {
                "Differences top to bottom, smoothed horizontally: finds horizontal edges."
            }
            Preset::BoxBlur => {
                "The mean of the 3×3 neighbourhood: blurs, like mean pooling with stride 1."
            }
            Preset::Gaussian => "A weighted mean that favours the centre: a gentler blur.",
            Preset::Sharpen => "The pixel minus its blurred neighbours, added back: boosts detail.",
            Preset::Laplacian => {
                "The second derivative: zero on flat areas and ramps, large at thin lines and corners."
            }
            Preset::Emboss => {
                "A diagonal difference on grey: edges look raised, as if lit from the top left."
            }
            Preset::Identity => "A single 1 in the centre: the output equals the input.",
        }
    }

    pub fn kernel(self) -> Grid {
        let k: [[f32; 3]; 3] = match self {
            Preset::SobelX => SOBEL_X,
            Preset::SobelY => SOBEL_Y,
            Preset::BoxBlur => [[1.0 / 9.0; 3]; 3],
            Preset::Gaussian => [
                [1.0 / 16.0, 2.0 / 16.0, 1.0 / 16.0],
                [2.0 / 16.0, 4.0 / 16.0, 2.0 / 16.0],
                [1.0 / 16.0, 2.0 / 16.0, 1.0 / 16.0],
            ],
            Preset::Sharpen => [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]],
            Preset::Laplacian => [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]],
            Preset::Emboss => [[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]],
            Preset::Identity => [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]],
        };
        grid3(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip() {
        for p in Preset::ALL {
            assert_eq!(Preset::from_slug(p.slug()), Some(p));
        }
        assert_eq!(Preset::from_slug("nope"), None);
    }

    #[test]
    fn blurs_keep_brightness() {
        for p in [
            Preset::BoxBlur,
            Preset::Gaussian,
            Preset::Sharpen,
            Preset::Identity,
        ] {
            assert!((p.kernel().sum() - 1.0).abs() < 1e-6, "{}", p.label());
        }
        for p in [Preset::SobelX, Preset::SobelY, Preset::Laplacian] {
            assert_eq!(p.kernel().sum(), 0.0, "{}", p.label());
        }
    }
}
