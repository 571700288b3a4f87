//! The page's settings as they live in the URL query, and their limits.

use std::fmt;
use std::str::FromStr;

use convlab_kernels::neuron::Activation;

/// The drawing's strokes, kept in this browser between visits.
pub(super) const STROKES_KEY: &str = "convlab.cnn.strokes";

/// What the neuron looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(super) enum NeuronInput {
    /// The lecture's 4×4 example (its Conv2DTranspose aside).
    #[default]
    Lecture,
    /// An example digit, 28×28.
    Digit,
    /// The digit drawn in section 3, as LeNet-5 sees it (28×28).
    Drawing,
}

impl NeuronInput {
    pub(super) const OPTIONS: [(&'static str, &'static str); 3] = [
        ("lecture", "the lecture's 4×4 example"),
        ("digit", "an example digit (28×28)"),
        ("drawing", "your drawing below (28×28)"),
    ];

    fn slug(self) -> &'static str {
        match self {
            NeuronInput::Lecture => "lecture",
            NeuronInput::Digit => "digit",
            NeuronInput::Drawing => "drawing",
        }
    }
}

impl fmt::Display for NeuronInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for NeuronInput {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "lecture" => Ok(NeuronInput::Lecture),
            "digit" => Ok(NeuronInput::Digit),
            "drawing" => Ok(NeuronInput::Drawing),
            _ => Err(format!("unknown input {s:?}")),
        }
    }
}

/// The neuron's activation in the URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(super) struct ActivationParam(pub(super) Activation);

impl fmt::Display for ActivationParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.slug())
    }
}

impl FromStr for ActivationParam {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Activation::from_slug(s)
            .map(ActivationParam)
            .ok_or_else(|| format!("unknown activation {s:?}"))
    }
}

/// How the feature maps are coloured: each layer on its own scale, or all on one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(super) enum MapScale {
    #[default]
    PerLayer,
    Global,
}

impl fmt::Display for MapScale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MapScale::PerLayer => "layer",
            MapScale::Global => "global",
        })
    }
}

impl FromStr for MapScale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "layer" => Ok(MapScale::PerLayer),
            "global" => Ok(MapScale::Global),
            _ => Err(format!("unknown scale {s:?}")),
        }
    }
}

/// The "why convolutions" calculator's numbers, each with the range the page accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Calculator {
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) channels: usize,
    pub(super) neurons: usize,
    pub(super) kernel: usize,
    pub(super) filters: usize,
}

impl Calculator {
    /// The lecture's 4k colour image and one neuron; a 3×3 kernel with one filter.
    pub(super) const LECTURE: Calculator = Calculator {
        width: 3840,
        height: 2160,
        channels: 3,
        neurons: 1,
        kernel: 3,
        filters: 1,
    };

    /// `(name, value, min, max)` of each number.
    pub(super) fn limits(&self) -> [(&'static str, usize, usize, usize); 6] {
        [
            ("width", self.width, 1, 100_000),
            ("height", self.height, 1, 100_000),
            ("number of channels", self.channels, 1, 1_024),
            ("number of neurons", self.neurons, 1, 1_000_000),
            ("kernel size", self.kernel, 1, 99),
            ("number of filters", self.filters, 1, 100_000),
        ]
    }

    /// The sentence that says which number is out of range, if one is (it can come from a URL).
    pub(super) fn check(&self) -> Result<(), String> {
        for (what, value, min, max) in self.limits() {
            if !(min..=max).contains(&value) {
                return Err(format!(
                    "The {what} must be between {min} and {max} on this page (it is {value})."
                ));
            }
        }
        Ok(())
    }
}

/// The lecture's stack of dense layers: 4,000 neurons per layer, 10 layers, 10⁷ weights each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stack {
    pub(super) neurons: usize,
    pub(super) layers: usize,
    pub(super) weights: usize,
}

impl Stack {
    pub(super) const LECTURE: Stack = Stack {
        neurons: 4_000,
        layers: 10,
        weights: 10_000_000,
    };

    pub(super) fn check(&self) -> Result<(), String> {
        let limits = [
            ("number of neurons per layer", self.neurons, 100_000_000),
            ("number of layers", self.layers, 10_000),
            ("number of weights per neuron", self.weights, 1_000_000_000),
        ];
        for (what, value, max) in limits {
            if !(1..=max).contains(&value) {
                return Err(format!(
                    "The {what} must be between 1 and {max} on this page (it is {value})."
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn settings_round_trip_and_refuse_what_they_do_not_know() {
        for (slug, _) in NeuronInput::OPTIONS {
            assert_eq!(slug.parse::<NeuronInput>().unwrap().to_string(), slug);
        }
        assert!("camera".parse::<NeuronInput>().is_err());
        assert_eq!(
            "tanh".parse::<ActivationParam>().unwrap(),
            ActivationParam(Activation::Tanh)
        );
        assert!("gelu".parse::<ActivationParam>().is_err());
        assert_eq!("global".parse::<MapScale>().unwrap(), MapScale::Global);
    }

    #[test]
    fn out_of_range_numbers_are_a_sentence() {
        assert!(Calculator::LECTURE.check().is_ok());
        let huge = Calculator {
            width: usize::MAX,
            ..Calculator::LECTURE
        };
        assert!(huge.check().unwrap_err().contains("width"));
        assert!(Stack::LECTURE.check().is_ok());
        let none = Stack {
            layers: 0,
            ..Stack::LECTURE
        };
        assert!(none.check().unwrap_err().contains("layers"));
    }
}
