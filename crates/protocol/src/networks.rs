//! What the CNN page asks about the networks themselves: their layers (the architecture cards),
//! LeNet-5's convolution kernels, and every layer's feature maps of one drawing.

use convlab_kernels::architecture::Layer;
use serde::{Deserialize, Serialize};

/// A network's layers, read from its module in the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Network {
    pub name: String,
    /// `[channels, rows, cols]` of the input it takes.
    pub input: [usize; 3],
    pub layers: Vec<NamedLayer>,
}

impl Network {
    /// The layers without their names, as `convlab_kernels::architecture::table` takes them.
    pub fn layers(&self) -> Vec<Layer> {
        self.layers.iter().map(|l| l.layer).collect()
    }
}

/// One layer and its name in the network (`conv1`, `relu`, `fc3`, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedLayer {
    pub name: String,
    #[serde(with = "LayerDef")]
    pub layer: Layer,
}

/// The weights of a convolution: `[filters, channels, rows, cols]` and a bias per filter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KernelBank {
    pub shape: [u32; 4],
    #[serde(with = "crate::floats")]
    pub weights: Vec<f32>,
    #[serde(with = "crate::floats")]
    pub bias: Vec<f32>,
}

impl KernelBank {
    /// Kernel `channel` of `filter`, row-major, or `None` outside the bank.
    pub fn kernel(&self, filter: usize, channel: usize) -> Option<&[f32]> {
        let [filters, channels, rows, cols] = self.shape.map(|v| v as usize);
        if filter >= filters || channel >= channels {
            return None;
        }
        let size = rows * cols;
        let start = (filter * channels + channel) * size;
        self.weights.get(start..start + size)
    }
}

/// LeNet-5's and AlexNet's layers and LeNet-5's two convolutions' weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Networks {
    pub lenet5: Network,
    pub alexnet: Network,
    /// LeNet-5's `conv1` (6 filters of 1 × 5×5).
    pub conv1: KernelBank,
    /// LeNet-5's `conv2` (16 filters of 6 × 5×5).
    pub conv2: KernelBank,
}

/// What one layer of LeNet-5 made of an image: `shape` is `[maps, rows, cols]` (dense layers
/// are maps of one pixel), the values map after map, row-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureMap {
    pub layer: String,
    pub shape: [u32; 3],
    #[serde(with = "crate::floats")]
    pub values: Vec<f32>,
}

/// [`Layer`] as it travels: the kernels crate has no serde (it has no dependencies at all), so
/// its shape is spelled out here once for serde's derive, which checks it field by field.
#[derive(Serialize, Deserialize)]
#[serde(remote = "Layer")]
enum LayerDef {
    Conv2d {
        in_channels: usize,
        filters: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        bias: bool,
    },
    MaxPool2d {
        size: [usize; 2],
        stride: [usize; 2],
    },
    Flatten,
    Linear {
        inputs: usize,
        outputs: usize,
        bias: bool,
    },
    Activation,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FromWorker, Reply, decode, encode};

    #[test]
    fn networks_round_trip() {
        let networks = Networks {
            lenet5: Network {
                name: "LeNet-5".into(),
                input: [1, 28, 28],
                layers: vec![
                    NamedLayer {
                        name: "conv1".into(),
                        layer: Layer::Conv2d {
                            in_channels: 1,
                            filters: 6,
                            kernel: [5, 5],
                            stride: [1, 1],
                            padding: [2, 2],
                            bias: true,
                        },
                    },
                    NamedLayer {
                        name: "pool1".into(),
                        layer: Layer::MaxPool2d {
                            size: [2, 2],
                            stride: [2, 2],
                        },
                    },
                    NamedLayer {
                        name: "fc".into(),
                        layer: Layer::Linear {
                            inputs: 400,
                            outputs: 120,
                            bias: false,
                        },
                    },
                ],
            },
            alexnet: Network {
                name: "AlexNet".into(),
                input: [3, 227, 227],
                layers: vec![NamedLayer {
                    name: "flatten".into(),
                    layer: Layer::Flatten,
                }],
            },
            conv1: KernelBank {
                shape: [6, 1, 5, 5],
                weights: (0..150).map(|i| i as f32).collect(),
                bias: vec![0.5; 6],
            },
            conv2: KernelBank {
                shape: [1, 1, 1, 1],
                weights: vec![1.0],
                bias: vec![0.0],
            },
        };
        let answer = FromWorker::Answer {
            id: 9,
            result: Ok(Reply::Networks(Box::new(networks.clone()))),
        };
        assert_eq!(
            decode::<FromWorker>(&encode(&answer).unwrap()).unwrap(),
            answer
        );
        assert_eq!(networks.lenet5.layers().len(), 3);
        assert_eq!(networks.conv1.kernel(1, 0).unwrap()[0], 25.0);
        assert_eq!(networks.conv1.kernel(6, 0), None);
        assert_eq!(networks.conv1.kernel(0, 1), None);
    }
}
