//! Widgets shared by the pages. Components never import pages.

pub mod bars;
pub mod canvas;
pub mod controls;
pub mod digit;
pub mod drawing_pad;
pub mod heatmap;
pub mod image_source;
pub mod math;
pub mod matrix;
pub mod mnist_loader;
pub mod model_status;
pub mod player;
pub mod plot;
pub mod scatter;
pub mod theme;
