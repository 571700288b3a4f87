//! The choices both training labs (`/train`, `/train-vae`) keep in the URL: where the images
//! come from and the optimizer, each written as a slug.

use std::fmt;
use std::str::FromStr;

use convlab_digits::{IMAGE_PIXELS, MnistDataset};

use crate::ml::training::{TrainData, TrainOptimizer};

/// A choice in the URL, written as its slug.
macro_rules! slugged {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $slug:literal, $label:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            pub const OPTIONS: &'static [(&'static str, &'static str)] =
                &[$(($slug, $label),)+];
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self {
                    $($name::$variant => $slug,)+
                })
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($slug => Ok($name::$variant),)+
                    _ => Err(format!("unknown choice {s:?}")),
                }
            }
        }
    };
}

pub(crate) use slugged;

slugged! {
    /// Where a run's images come from.
    DataParam {
        Synthetic => "synthetic", "synthetic digits";
        Mnist => "mnist", "MNIST (the loaded training files)";
    }
}

impl DataParam {
    /// The first `total` images of the choice, as a run takes them: the synthetic digits are
    /// drawn in the worker; MNIST's come from the loaded training files.
    pub fn train_data(
        self,
        mnist: Option<&MnistDataset>,
        total: usize,
    ) -> Result<TrainData, String> {
        match self {
            DataParam::Synthetic => Ok(TrainData::Synthetic),
            DataParam::Mnist => {
                let mnist = mnist.ok_or(
                    "no MNIST training files are loaded: load them below, or choose the synthetic digits",
                )?;
                if total > mnist.len() {
                    return Err(format!(
                        "{total} images asked for; the MNIST files hold {}",
                        mnist.len()
                    ));
                }
                Ok(TrainData::Images {
                    images: mnist.images()[..total * IMAGE_PIXELS].to_vec(),
                    labels: mnist.labels()[..total].to_vec(),
                })
            }
        }
    }
}

/// The optimizer choice in the URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OptimizerParam {
    #[default]
    Adam,
    Sgd,
    Momentum,
}

impl OptimizerParam {
    pub const OPTIONS: [(&'static str, &'static str); 3] = [
        ("adam", "Adam"),
        ("sgd", "SGD"),
        ("momentum", "SGD + momentum 0.9"),
    ];

    pub fn to_protocol(self) -> TrainOptimizer {
        match self {
            OptimizerParam::Adam => TrainOptimizer::Adam,
            OptimizerParam::Sgd => TrainOptimizer::Sgd { momentum: 0.0 },
            OptimizerParam::Momentum => TrainOptimizer::Sgd { momentum: 0.9 },
        }
    }
}

impl fmt::Display for OptimizerParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OptimizerParam::Adam => "adam",
            OptimizerParam::Sgd => "sgd",
            OptimizerParam::Momentum => "momentum",
        })
    }
}

impl FromStr for OptimizerParam {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "adam" => Ok(OptimizerParam::Adam),
            "sgd" => Ok(OptimizerParam::Sgd),
            "momentum" => Ok(OptimizerParam::Momentum),
            _ => Err(format!("unknown optimizer {s:?}")),
        }
    }
}
