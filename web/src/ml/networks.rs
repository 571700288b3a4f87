//! The CNN page's calls: LeNet-5's and AlexNet's layers and kernels, and every layer of
//! LeNet-5 on one drawing.

use convlab_protocol::{FeatureMap, IMAGE_PIXELS, Networks, Reply, Request};

use super::client;
use super::{Models, unexpected};

impl Models {
    /// What each layer of LeNet-5 makes of one 784-value image, in the network's order.
    pub async fn feature_maps(&self, image: &[f32]) -> Result<Vec<FeatureMap>, String> {
        if image.len() != IMAGE_PIXELS {
            return Err(format!(
                "an image has {} values instead of {IMAGE_PIXELS}",
                image.len()
            ));
        }
        let request = Request::FeatureMaps {
            backend: self.backend,
            image: image.to_vec(),
        };
        match client::call(request).await? {
            Reply::FeatureMaps(maps) => Ok(maps),
            other => Err(unexpected(&other)),
        }
    }

    /// LeNet-5's and AlexNet's layers as the worker's modules have them, and LeNet-5's
    /// convolution kernels.
    pub async fn networks(&self) -> Result<Networks, String> {
        match client::call(Request::Networks {
            backend: self.backend,
        })
        .await?
        {
            Reply::Networks(networks) => Ok(*networks),
            other => Err(unexpected(&other)),
        }
    }
}
