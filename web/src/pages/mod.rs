//! One module per page (one URL each). Pages use components and never import each other.

pub mod arithmetic;
pub mod cnn;
pub mod conv1d;
pub mod denoise;
pub mod draw;
pub mod generate;
pub mod home;
pub mod interpolate;
pub mod latent_map;
pub mod not_found;
pub mod pooling;
pub mod sobel;
pub mod train;
pub mod train_vae;
